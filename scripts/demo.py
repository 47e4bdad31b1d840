"""The whole main job on the embedded synthetic retailer (`make demo`):
generate -> retrain every model (tracked in MLflow: ./mlflow.db unless MLFLOW_TRACKING_URI is set)
-> score the champions -> need and recall lists as files and a SQLite CRM table -> repurchase-rate
report. Wiring only: each step is a package function and a CLI subcommand.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from repurchase import SyntheticSpec, load_config, load_tables, metrics_report, write_synthetic
from repurchase.cli import guarded
from repurchase.cli._logs import setup_logging
from repurchase.lift.campaign import simulate_campaign
from repurchase.data.io import write_parquet, write_tables
from repurchase.lift import measure_lift, read_lists, track_lift, write_lift_report
from repurchase.pipelines import retrain, score_lists
from repurchase.reports.repurchase import format_rates
from repurchase.tracking import masked_uri


def run(out: Path, profile: str | None = "demo", overrides: list = ()) -> dict[str, Path | str]:
    out = Path(out).resolve()
    data_dir = out / "data"
    cfg = load_config(profile=profile, overrides=[{
        "data": {"dir": str(data_dir)}, "models": {"dir": str(out / "models")},
        "export": {"out_dir": str(out / "lists"), "db_url": f"sqlite:///{out / 'crm.db'}"}}, *overrides])
    where: dict[str, Path | str] = {}

    t0 = time.perf_counter()
    g = cfg.generate
    spec = SyntheticSpec(customers=g.customers, days=g.days, seed=g.seed, start=g.start, timezone=g.timezone)
    write_synthetic(data_dir, spec)
    where["synthetic data"] = data_dir
    print(f"== generate: {spec.customers:,} customers, {spec.days} days ({time.perf_counter() - t0:.1f}s)")

    print("== retrain (the retrain pipeline: repurchase retrain)")
    trained = retrain(cfg)
    for r in trained.results:
        where[f"report {r.task} {r.horizon_days}d"] = r.files["report"]

    tables, _ = load_tables(data_dir, cfg.data)
    as_of = (tables.orders["order_ts"].max() + pd.Timedelta(days=1)).date().isoformat()  # "this morning"

    # Closing the loop: the lists of 45 days ago, contacted with a simulated (known) effect, then lift.
    t0 = time.perf_counter()
    camp = out / "campaign"
    past = (tables.orders["order_ts"].max() - pd.Timedelta(days=45)).date().isoformat()
    old = score_lists(cfg, past, out_dir=camp / "lists", db="", echo=lambda _: None)
    lists = read_lists(camp / "lists")
    new, truth = simulate_campaign(tables, lists, window_days=30, seed=cfg.generate.seed)
    write_tables(new.as_dict(), camp / "data", meta={"timezone": new.timezone})
    write_parquet(truth, camp / "campaign_truth.parquet")
    lifted = measure_lift(new, lists, 30, contact_cost=cfg.scoring.recall.contact_cost, seed=cfg.scoring.control_seed)
    files = write_lift_report(lifted, camp / "lift")
    track_lift(lifted, cfg.models.experiment, camp / "lift")
    print(f"== campaign as of {past}: {int((~lists['control_group']).sum()):,} contacted, "
          f"{int(lists['control_group'].sum()):,} held out; lift over 30 days ({time.perf_counter() - t0:.1f}s):")
    t = truth.loc[~truth["control_group"]]
    for r in lifted.overall.loc[lifted.overall["metric"] == "purchase_rate"].itertuples():
        true = float((t.loc[t["list"] == r.list, "converted"] & ~t.loc[t["list"] == r.list, "natural"]).mean())
        print(f"   {r.list:<6} purchase rate {r.contacted:.3f} contacted vs {r.control:.3f} control: lift "
              f"{r.lift_abs:+.3f} (95% {r.lift_abs_lo:+.3f} .. {r.lift_abs_hi:+.3f}); simulated truth {true:+.3f}")
    for r in lifted.roi.itertuples():
        print(f"   {r.list:<6} incremental revenue {r.incremental_revenue:,.0f}, realised ROI {r.roi:.2f}")
    where["campaign lift report"] = files["report"]
    del old

    print("== score (the scoring pipeline: repurchase score)")
    # the run report shows the campaign's lift measured above
    cfg = cfg.model_copy(update={"export": cfg.export.model_copy(update={"lift_dir": camp / "lift"})})
    scored = score_lists(cfg, as_of)
    where["need list"] = scored.files["need_list (csv)"]
    where["recall list"] = scored.files["recall_list (csv)"]
    where["list summary"] = scored.files["summary"]
    where["run report"] = scored.files["run report"]
    where["CRM table"] = f"{cfg.export.db_url} crm_customer_scores, view crm_customer_tags"

    t0 = time.perf_counter()
    rep = metrics_report(tables, out / "metrics", cfg.metrics.period, cfg.metrics.by)
    print(f"== repurchase rates: {len(rep.rates)} periods, {len(rep.cohorts)} cohorts ({time.perf_counter() - t0:.1f}s)")
    print(format_rates(rep.rates.tail(6)))
    where.update({f"metrics {k}": v for k, v in rep.files.items()})
    where["model bundles"] = out / "models"
    where["MLflow store"] = masked_uri()
    return where


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("demo_output"))
    parser.add_argument("--profile", default="demo")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)
    setup_logging()  # warnings only: the demo prints its own lines
    t0 = time.perf_counter()
    where: dict[str, Path | str] = {}
    code = guarded(lambda: where.update(run(args.out, args.profile)), debug=args.debug)
    if code:
        return code
    print(f"\nDemo finished in {time.perf_counter() - t0:.0f}s. Where everything went:")
    for name, path in where.items():
        print(f"  {name:<28} {path}")
    print(f"\nLook at the runs: .venv/bin/mlflow ui --backend-store-uri {masked_uri()}")
    print("Next: .venv/bin/repurchase --help")
    return 0


if __name__ == "__main__":
    sys.exit(main())
