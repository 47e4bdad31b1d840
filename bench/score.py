"""Benchmark: scoring the 1M-customer synthetic retailer end to end.

Run: .venv/bin/python bench/score.py [--data DIR] [--models DIR] [--train-customers N]
1. (not timed as scoring) trains the champion bundles -- need 30 d, timing 7 d and 14 d, churn
   90 d -- on a sample of N customers of the same data, when --models holds none yet;
2. in a fresh process, scores every customer at one as-of date: load, features at one date, four
   models, best contact hours, due categories, reasons, both lists, file export. Prints wall time
   and peak RSS per step.
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine, peak_rss_gib, timed  # noqa: E402

from repurchase.config import load_config  # noqa: E402
from repurchase.data.io import load_tables  # noqa: E402

AS_OF = "2025-12-01"


def train_sample(data: Path, models: Path, n: int) -> None:
    from repurchase.models.train import train

    cfg = load_config(overrides=[{"models": {"train_dates": 4}}])
    tables, _ = load_tables(data)
    keep = tables.orders["customer_id"].drop_duplicates().sample(n, random_state=0)
    o = tables.orders.loc[tables.orders["customer_id"].isin(keep)]
    sub = dataclasses.replace(
        tables, orders=o, order_items=tables.order_items.loc[tables.order_items["order_id"].isin(o["order_id"])],
        customers=tables.customers.loc[tables.customers["customer_id"].isin(keep)],
        events=tables.events.loc[tables.events["customer_id"].isin(keep)])
    del tables
    for task, h in (("next_purchase", 30), ("next_purchase", 7), ("next_purchase", 14), ("churn", 90)):
        t0 = time.perf_counter()
        r = train(sub, task, h, cfg, models_dir=models, track=False)
        print(f"  trained {task} {h} d on {n:,} customers in {time.perf_counter() - t0:.1f} s: {r.reason[:60]}...")


def score_all(data: Path, models: Path, out: Path, reasons: str, recall_budget: int | None) -> None:
    from repurchase.export.crm import write_list_files
    from repurchase.scoring import load_models, score

    print(f"scoring benchmark on {machine()}; data {data}, as of {AS_OF}")
    over: dict = {"scoring": {"reasons_method": reasons}}
    if recall_budget is not None:
        over["scoring"]["recall"] = {"budget_contacts": recall_budget}
    cfg = load_config(overrides=[over])
    print(f"  reasons from {reasons} contributions; recall budget {cfg.scoring.recall.budget_contacts:,} contacts")
    r: dict[str, float] = {}
    t_all = time.perf_counter()
    with timed("load + validate tables", r):
        tables, _ = load_tables(data)
    with timed("load models", r):
        models_ = load_models(models, cfg)
    with timed("score (features .. lists)", r):
        res = score(tables, AS_OF, models_, cfg)
    for k, v in res.timings_s.items():
        print(f"    {k:<26} {v:8.1f} s")
    with timed("export files (csv, parquet, png)", r):
        write_list_files(res.need, res.recall, res.summary, out)
    total = time.perf_counter() - t_all
    print(f"  customers scored {res.summary['customers_scored']:,}; need list {len(res.need):,} rows; "
          f"recall list {len(res.recall):,} rows")
    print(f"  TOTAL {total:.1f} s, peak RSS {peak_rss_gib():.2f} GiB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path("/tmp/bench1m/data"))
    parser.add_argument("--models", type=Path, default=Path("/tmp/bench1m/models"))
    parser.add_argument("--train-customers", type=int, default=100_000)
    parser.add_argument("--phase", choices=["all", "score"], default="all")
    parser.add_argument("--reasons", choices=["auto", "shap", "path"], default="auto")
    parser.add_argument("--recall-budget", type=int, default=None, help="contacts [config default]")
    args = parser.parse_args()
    if args.phase == "all":
        if not (args.models / "churn_90d" / "manifest.json").is_file():
            train_sample(args.data, args.models, args.train_customers)
        # score in a fresh process so that peak RSS is the scoring job's own
        subprocess.run([sys.executable, __file__, "--phase", "score", "--data", str(args.data),
                        "--models", str(args.models), "--reasons", args.reasons]
                       + (["--recall-budget", str(args.recall_budget)] if args.recall_budget is not None else []), check=True)
        return
    with tempfile.TemporaryDirectory() as tmp:
        score_all(args.data, args.models, Path(tmp) / "lists", args.reasons, args.recall_budget)


if __name__ == "__main__":
    main()
