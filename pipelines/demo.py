"""The demo job on the embedded synthetic retailer: generate -> validate -> metrics -> features ->
backtest -> train the models, tracked in MLflow (./mlflow.db unless MLFLOW_TRACKING_URI is set) ->
score the champions -> need and recall lists as files and a SQLite CRM table.

Wiring only: each step is a public package function (and a CLI subcommand).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import pandas as pd

from repurchase import SyntheticSpec, load_config, load_tables, metrics_report, write_synthetic
from repurchase.data.io import write_parquet
from repurchase.features import build_features
from repurchase.models import backtest
from repurchase.models.report import write_backtest_report
from repurchase.models.train import describe, main_horizon, train
from repurchase.export.crm import write_crm_table, write_list_files
from repurchase.scoring import load_models, score
from repurchase.cli import format_summary
from repurchase.tracking import masked_uri
from repurchase.spine import schedule
from repurchase.cli import guarded
from repurchase.reports.repurchase import format_rates


def run(out: Path, profile: str | None = "demo") -> dict[str, Path | str]:
    cfg = load_config(profile=profile)
    data_dir, metrics_dir = out / "data", out / "metrics"
    where: dict[str, Path] = {}

    t0 = time.perf_counter()
    g = cfg.generate
    spec = SyntheticSpec(customers=g.customers, days=g.days, seed=g.seed, start=g.start, timezone=g.timezone)
    write_synthetic(data_dir, spec)
    where["synthetic data"] = data_dir
    print(f"[1/7] generate: {spec.customers:,} customers, {spec.days} days ({time.perf_counter() - t0:.1f}s)")

    t0 = time.perf_counter()
    tables, report = load_tables(data_dir, cfg.data)
    print(f"[2/7] validate: {report.rows_kept['orders']:,} orders, "
          f"{sum(report.rows_kept.values()):,} rows in {len(report.rows_kept)} tables, "
          f"{sum(report.rejected.values())} rejected ({time.perf_counter() - t0:.1f}s)")

    t0 = time.perf_counter()
    rep = metrics_report(tables, metrics_dir, cfg.metrics.period, cfg.metrics.by)
    print(f"[3/7] metrics: {len(rep.rates)} periods, {len(rep.cohorts)} cohorts ({time.perf_counter() - t0:.1f}s)")
    print(format_rates(rep.rates.tail(6)))
    where.update(rep.files)

    # Features as of the first day of the last month of data, from data strictly before it.
    t0 = time.perf_counter()
    last = tables.orders["order_ts"].max()
    dates = schedule(str((last - pd.DateOffset(months=11)).date().replace(day=1)), str(last.date().replace(day=1)),
                     "monthly", tables.timezone)
    feats = build_features(tables, dates, config=cfg.features)
    features_path = write_parquet(feats, out / "features.parquet")
    print(f"[4/7] features: {len(feats):,} rows (customer x as-of) x {feats.shape[1] - 2} columns, "
          f"{len(dates)} monthly as-of dates ({time.perf_counter() - t0:.1f}s)")
    where["features"] = features_path

    # Out-of-time check of the next-purchase model against its baselines, on the same rows.
    t0 = time.perf_counter()
    test_date = dates[-2]  # its 30-day label window closes before the data ends
    result = backtest(tables, "next_purchase", 30, [test_date], n_train=6, feature_config=cfg.features, n_boot=200)
    files = write_backtest_report(result, out / "backtest", title="Demo backtest: next purchase within 30 days")
    print(f"[5/7] backtest, next purchase in 30 days, as of {test_date.date()} ({time.perf_counter() - t0:.1f}s):")
    print(result.metrics[["model", "n", "positive_rate", "auc", "pr_auc", "brier", "ece", "lift_top_decile"]].round(3).to_string(index=False))
    where["backtest report"] = files["report"]

    # Train at the latest complete date (need, its timing horizons, churn), track in MLflow, promote by the gate.
    t0 = time.perf_counter()
    jobs = [("next_purchase", main_horizon("next_purchase", cfg))]
    jobs += [("next_purchase", h) for h in cfg.models.timing_horizons_days if h != jobs[0][1]]
    jobs += [("churn", main_horizon("churn", cfg))]
    for task, horizon in jobs:
        r = train(tables, task, horizon, cfg, models_dir=out / "models")
        print(f"[6/7] {describe(r)}")
        where[f"{task} {horizon}d bundle"] = r.bundle
    print(f"      ({time.perf_counter() - t0:.1f}s)")

    # Score this morning (the day after the last order) with the champions from the registry.
    t0 = time.perf_counter()
    as_of = (last + pd.Timedelta(days=1)).date().isoformat()
    result = score(tables, as_of, load_models("mlflow", cfg), cfg)
    files = write_list_files(result.need, result.recall, result.summary, out / "lists")
    db = f"sqlite:///{(out / 'crm.db').resolve()}"
    written = write_crm_table([result.need, result.recall], db)
    print(f"[7/7] score as of {as_of} ({time.perf_counter() - t0:.1f}s):")
    print(format_summary(result.summary))
    where["need list"] = files["need_list (csv)"]
    where["recall list"] = files["recall_list (csv)"]
    where["list summary"] = files["summary"]
    where["score plot"] = files["score plot"]
    where["CRM table"] = f"{db} crm_customer_scores ({sum(written.values()):,} rows), view crm_customer_tags"
    where["MLflow store"] = masked_uri()
    return where


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("demo_output"))
    parser.add_argument("--profile", default="demo")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    where: dict[str, Path] = {}
    code = guarded(lambda: where.update(run(args.out, args.profile)), debug=args.debug)
    if code:
        return code
    print("\nWhere everything went:")
    for name, path in where.items():
        print(f"  {name:<24} {path}")
    print(f"\nLook at the runs: .venv/bin/mlflow ui --backend-store-uri {masked_uri()}")
    print("Next: .venv/bin/repurchase --help")
    return 0


if __name__ == "__main__":
    sys.exit(main())
