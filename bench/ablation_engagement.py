"""What the engagement features add on Complete Journey: the shipped defaults with events
(campaign receipts, coupon redemptions) against the same data without them, on the same test
rows, with the paired-bootstrap 95% interval of the AUC gain at each date.

Run: .venv/bin/python bench/ablation_engagement.py DATA_DIR [TASK:HORIZON ...]
     (DATA_DIR: `repurchase import complete-journey` output; default tasks next_purchase:14 churn:28)
"""

import dataclasses
import sys
import time

import numpy as np
import pandas as pd

from repurchase.config import load_config
from repurchase.data.io import load_tables
from repurchase.models.backtest import backtest
from repurchase.models.evaluate import paired_bootstrap_auc
from repurchase.models.plan import model_for

DATES = ["2017-09-01", "2017-10-15", "2017-12-01"]


def main(data_dir: str, jobs: list[str]) -> None:
    cfg = load_config()
    tables, _ = load_tables(data_dir, cfg.data)
    no_events = dataclasses.replace(tables, events=None)
    print(f"events: {0 if tables.events is None else len(tables.events):,} rows; "
          f"types {sorted(tables.events['event_type'].unique()) if tables.events is not None else []}")
    rows = []
    for job in jobs:
        task, horizon = job.split(":")[0], int(job.split(":")[1])
        runs = {}
        for name, t in (("with_events", tables), ("orders_only", no_events)):
            t0 = time.perf_counter()
            runs[name] = backtest(t, task, horizon, DATES, feature_config=cfg.features, model=model_for(task, horizon, cfg),
                                  keep_holdout=True, n_boot=100)
            print(f"{task} {horizon} d {name}: {time.perf_counter() - t0:.0f} s", flush=True)
        for d in runs["with_events"].scores:
            a, b = runs["with_events"], runs["orders_only"]
            ids_a, ids_b = a.holdout[d]["customer_id"].to_numpy(), b.holdout[d]["customer_id"].to_numpy()
            assert np.array_equal(ids_a, ids_b), "the two runs must score the same rows"
            y = a.scores[d]["y"].to_numpy()
            diff, lo, hi = paired_bootstrap_auc(y, a.scores[d]["lightgbm"].to_numpy(), b.scores[d]["lightgbm"].to_numpy(), n_boot=1000)
            ma, mb = a.metrics.set_index(["model", "as_of"]), b.metrics.set_index(["model", "as_of"])
            n_eng = [c for c in a.holdout[d].columns if c not in b.holdout[d].columns]
            rows.append({"task": f"{task} {horizon} d", "as_of": d, "auc_with_events": ma.loc[("lightgbm", d), "auc"],
                         "auc_orders_only": mb.loc[("lightgbm", d), "auc"], "gain": diff, "ci_low": lo, "ci_high": hi,
                         "extra_features": len(n_eng)})
    out = pd.DataFrame(rows)
    print(out.round(4).to_string(index=False))
    print(out.groupby("task")[["auc_with_events", "auc_orders_only", "gain"]].mean().round(4).to_string())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:] or ["next_purchase:14", "churn:28"])
