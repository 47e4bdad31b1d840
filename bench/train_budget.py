"""Benchmark: holdout AUC and fit time against the training row budget (``models.max_training_rows``).

Run: .venv/bin/python bench/train_budget.py [--data DIR] [--task next_purchase] [--horizon 30]
     [--budgets 250000,500000,1000000,2000000,3000000]
The retrain's dates for one model (12 monthly training dates, validation at D - H, holdout D = the
latest complete date), the customer sample of the largest budget built once (features for it and
the whole holdout); each smaller budget is the prefix of the same seeded customer order, so every
sample is nested in the next. Per budget: the shipped model (``model_for``: blend on) fitted on
the sample's training rows, early-stopped and stacked on its validation rows, scored on every
holdout customer; the RFM logistic on the same rows for scale.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine, peak_rss_gib, timed  # noqa: E402

from repurchase.config import load_config  # noqa: E402
from repurchase.data.io import load_tables  # noqa: E402
from repurchase.features import build_features, feature_columns, pin_feature_config  # noqa: E402
from repurchase.models.backtest import labels_for, training_dates  # noqa: E402
from repurchase.models.baselines import RFMLogistic  # noqa: E402
from repurchase.models.evaluate import metrics  # noqa: E402
from repurchase.models.plan import latest_holdout, model_for  # noqa: E402
from repurchase.models.sample import sample_training_spine  # noqa: E402
from repurchase.spine import build_spine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path("/tmp/bench1m/data"))
    parser.add_argument("--task", default="next_purchase", choices=["next_purchase", "churn"])
    parser.add_argument("--horizon", type=int, default=30)
    parser.add_argument("--budgets", default="250000,500000,1000000,2000000,3000000")
    args = parser.parse_args()
    budgets = sorted(int(b) for b in args.budgets.split(","))
    cfg = load_config()
    print(f"training-budget benchmark on {machine()}; data {args.data}; {args.task} {args.horizon} d")
    r: dict[str, float] = {}
    with timed("load + validate tables", r):
        tables, _ = load_tables(args.data, cfg.data)
    hold = latest_holdout(tables, args.horizon)
    train, val = training_dates(hold, args.horizon, cfg.models.train_dates)
    with timed(f"spine + sample at {budgets[-1]:,}", r):
        spine = build_spine(tables, train + [val, hold])
        spine, top = sample_training_spine(spine, hold, budgets[-1], cfg.models.training_sample_seed)
    print(f"    {top.describe() or f'spine {top.spine_rows:,} rows fits the budget'}")
    with timed(f"features: {len(spine):,} rows", r):
        feats = build_features(tables, spine=spine, config=pin_feature_config(tables, hold, cfg.features))
        y = labels_for(args.task, tables, feats[["customer_id", "as_of"]], args.horizon, cfg.models.active_days)
    cols = feature_columns(feats)
    labelled = y.notna().to_numpy()
    is_hold = (feats["as_of"] == hold).to_numpy()
    X_hold, y_hold = feats.loc[is_hold & labelled, cols], y[is_hold & labelled].to_numpy()
    keys = feats[["customer_id", "as_of"]].assign(_row=np.arange(len(feats)))
    print(f"    holdout {hold.date()}: {len(y_hold):,} rows; validation {val.date()}; "
          f"training {train[0].date()} .. {train[-1].date()}")
    print(f"  {'budget':>10} {'customers':>10} {'train rows':>11} {'val rows':>9} {'fit s':>7} {'trees':>6} "
          f"{'AUC':>7} {'RFM AUC':>8}")
    for b in budgets:
        kept, s = sample_training_spine(keys, hold, b, cfg.models.training_sample_seed)
        rows = np.zeros(len(feats), dtype=bool)
        rows[kept["_row"].to_numpy()] = True
        tr = rows & labelled & (feats["as_of"] < val).to_numpy()
        va = rows & labelled & (feats["as_of"] == val).to_numpy()
        t0 = time.perf_counter()
        clf = model_for(args.task, args.horizon, cfg).fit(feats.loc[tr, cols], y[tr].to_numpy(),
                                                          feats.loc[va, cols], y[va].to_numpy())
        fit_s = time.perf_counter() - t0
        auc = metrics(y_hold, clf.predict_proba(X_hold)[:, 1])["auc"]
        rfm = RFMLogistic().fit(feats.loc[tr | va, cols], y[tr | va].to_numpy())
        rfm_auc = metrics(y_hold, rfm.predict_proba(X_hold)[:, 1])["auc"]
        print(f"  {b:>10,} {s.sampled_customers:>10,} {int(tr.sum()):>11,} {int(va.sum()):>9,} {fit_s:>7.1f} "
              f"{clf.best_iteration_:>6} {auc:>7.4f} {rfm_auc:>8.4f}", flush=True)
    print(f"  peak RSS {peak_rss_gib():.2f} GiB")


if __name__ == "__main__":
    main()
