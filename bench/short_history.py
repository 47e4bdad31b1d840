"""A shop that started its CRM this season: the synthetic retailer (1,500 customers, 540 days, seed
20261122) cut to its last 120 days, orders only, then `repurchase retrain --no-mlflow` and
`repurchase score` with the defaults. Prints the plan (weekly dates, shortened horizons), which
model or shipped baseline became champion, and the list sizes.

Run: .venv/bin/python bench/short_history.py [OUT_DIR]   (default /tmp/short120)
"""

import shutil
import sys
from pathlib import Path

import pandas as pd

from repurchase.cli import main as cli
from repurchase.data.io import load_tables
from repurchase.synthetic import SyntheticSpec, write_synthetic


def main(out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    write_synthetic(out / "full", SyntheticSpec(customers=1500, days=540, seed=20261122))
    tables, _ = load_tables(out / "full")
    o = tables.orders
    end = o["order_ts"].max()
    (out / "short").mkdir(parents=True)
    o[o["order_ts"] >= end - pd.Timedelta(days=120)].to_parquet(out / "short" / "orders.parquet", index=False)
    (out / "short" / "dataset.yaml").write_text(f"timezone: {tables.timezone}\n", encoding="utf-8")
    cli(["-q", "retrain", str(out / "short"), "--no-mlflow", "--models-dir", str(out / "models")])
    cli(["-q", "score", str(out / "short"), "--models", str(out / "models"),
         "--as-of", (end + pd.Timedelta(days=1)).date().isoformat(), "--out", str(out / "lists")])


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/short120"))
