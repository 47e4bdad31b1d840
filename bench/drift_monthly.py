"""How often does the drift alarm fire when nothing has really changed?

Online Retail II: `repurchase score` runs on the first of 12 consecutive months into one output
directory (each run sees the previous one's distributions), as a monthly cron would, with the
default models either retrained once on the data before the first date (``--retrain once``: the
models age a year) or retrained every month on the data before that month's date (``--retrain
monthly``: the cadence the README recommends). Per run, the columns over
`scoring.drift_warn_psi` are counted two ways: the old rule (PSI against the training holdout,
every column) and the current one (`judged_psi`: features that grow with time judged against the
previous run only).

Run: .venv/bin/python bench/drift_monthly.py [--retrain once|monthly] [--out DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "online_retail_ii" / "online_retail_ii.csv.gz"
DATES = [f"{y}-{m:02d}-01" for y, m in [(2010, 12)] + [(2011, k) for k in range(1, 12)]]


def repurchase(*args: str) -> None:
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "repurchase"), "-q", *args], capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"repurchase {' '.join(args)} failed:\n{done.stderr[-2000:]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--retrain", choices=["once", "monthly"], default="once")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    out = (args.out or ROOT / "bench" / "out" / f"drift_monthly_{args.retrain}").resolve()
    data, lists = ROOT / "bench" / "out" / "orii", out / "lists"
    if not (data / "orders.parquet").is_file():
        repurchase("import", "online-retail-ii", str(SHARED), "--out", str(data))

    def retrain_before(as_of: str) -> Path:
        """The default models trained on the orders before ``as_of`` only (what a cron then sees)."""
        from repurchase.data.io import load_tables, write_tables

        models = out / f"models_{as_of}"
        if (models / "churn_90d").is_dir():
            return models
        t0 = time.perf_counter()
        tables, _ = load_tables(data)
        cut = pd.Timestamp(as_of, tz=tables.orders["order_ts"].dt.tz)
        frames = tables.as_dict()
        frames["orders"] = tables.orders.loc[tables.orders["order_ts"] < cut]
        frames["order_items"] = tables.order_items.loc[tables.order_items["order_id"].isin(frames["orders"]["order_id"])]
        write_tables({k: v for k, v in frames.items() if v is not None}, out / "train_data", meta={"timezone": tables.timezone})
        repurchase("retrain", str(out / "train_data"), "--no-mlflow", "--set", f"models.dir={models}")
        print(f"  retrained on the orders before {as_of} ({time.perf_counter() - t0:.0f} s)", flush=True)
        return models

    models = retrain_before(DATES[0])
    rows = []
    for as_of in DATES:
        if args.retrain == "monthly":
            models = retrain_before(as_of)
        t0 = time.perf_counter()
        repurchase("score", str(data), "--as-of", as_of, "--out", str(lists), "--models", str(models),
                   "--set", f"models.dir={models}")
        d = pd.read_csv(lists / "drift.csv")
        for model, g in d.groupby("model"):
            old, new = g.loc[g["psi"] > 0.25, "column"].tolist(), g.loc[g["judged_psi"] > 0.25, "column"].tolist()
            rows.append({"as_of": as_of, "model": model, "old_rule": len(old), "judged": len(new),
                         "old_columns": " ".join(old[:6]), "judged_columns": " ".join(new[:6])})
        print(f"  {as_of}: scored in {time.perf_counter() - t0:.0f} s", flush=True)
    table = pd.DataFrame(rows)
    table.to_csv(out / "alarms.csv", index=False)
    print(table.to_string(index=False))
    for model, g in table.groupby("model"):
        print(f"{model}: runs with an alarm, old rule {(g['old_rule'] > 0).sum()}/{len(g)}, "
              f"judged {(g['judged'] > 0).sum()}/{len(g)}")
    print(f"retrain {args.retrain}; machine: {machine()}")


if __name__ == "__main__":
    main()
