"""Benchmark: training both models on the 1M-customer synthetic retailer, 6 as-of dates.

Run: .venv/bin/python bench/train.py [--data DIR]
Builds the feature spine (4 training dates + validation + test), then trains the next-purchase
and churn LightGBM models (early stopping, calibration) and scores the test date. Prints wall time
and peak RSS per step.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine, peak_rss_gib, timed  # noqa: E402

from repurchase.data.io import load_tables  # noqa: E402
from repurchase.models import backtest  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path("/tmp/bench1m/data"))
    args = parser.parse_args()
    print(f"training benchmark on {machine()}; data {args.data}")
    r: dict[str, float] = {}
    with timed("load + validate tables", r):
        tables, _ = load_tables(args.data)
    for task, horizon, test in (("next_purchase", 30, "2025-11-01"), ("churn", 90, "2025-09-01")):
        with timed(f"{task}: features (6 dates) + train + score", r):
            res = backtest(tables, task, horizon, [test], n_train=4, n_boot=50, bgnbd=False)
        m = res.metrics.set_index("model")
        print(f"    {task}: {int(m.loc['lightgbm', 'n']):,} test rows, AUC lightgbm {m.loc['lightgbm', 'auc']:.4f} "
              f"vs recency {m.loc['recency', 'auc']:.4f}; trees {res.models[test].best_iteration_}")
    print(f"  peak RSS {peak_rss_gib():.2f} GiB")


if __name__ == "__main__":
    main()
