"""Commands that build features and train: features, backtest, train, retrain."""

from __future__ import annotations

import time

import click

from repurchase import _format
from repurchase.cli._shell import cli, config_options, given

_TOLERANT_HELP = "Skip rows with row-level problems (counted)."


def _tracking_hint() -> None:
    from repurchase.tracking import masked_uri

    click.echo(_format.tracking_text(masked_uri()))


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
@click.option("--tolerant", is_flag=True, default=None, help=_TOLERANT_HELP)
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default=None,
              help="Query engine for the features [config engine.backend: duckdb].")
@config_options
def features(data_dir, as_of, schedule, freq, out, list_, markdown, include_non_buyers, tolerant, engine, config):
    """Point-in-time features per (customer, as-of date), from data strictly before each date."""
    import pandas as pd

    from repurchase.features import FEATURE_INPUTS, catalog_frame
    from repurchase.features import markdown as catalog_markdown
    from repurchase.features.batches import feature_batches

    if list_:
        click.echo(catalog_markdown() if markdown else _format.wide_table(catalog_frame()))
        return
    if not data_dir:
        raise click.UsageError("DATA_DIR is required (or use --list)")
    if not as_of and not schedule:
        raise click.UsageError("give --as-of DATE (repeatable) or --schedule START END")
    if not out:
        raise click.UsageError("--out FILE.parquet is required")
    from repurchase.data.io import load_tables, write_parquet
    from repurchase.data.query_load import load_query_tables
    from repurchase.spine import schedule as make_schedule

    cfg = config.load({**(given("features", include_non_buyers=include_non_buyers) or {}),
                       **(given("engine", backend=engine) or {})})
    t0 = time.perf_counter()
    # Parquet tables that pass every rule by query stay in their files (DuckDB reads them);
    # otherwise pandas loads them (its messages and rejects), holding only the columns read
    tables = load_query_tables(data_dir, cfg.data) if cfg.engine.backend == "duckdb" else None
    if tables is None:
        tables, _ = load_tables(data_dir, cfg.data, tolerant=tolerant, keep=FEATURE_INPUTS)
    else:
        click.echo("tables validated by query and read in place from their Parquet files")
    dates = list(as_of) if as_of else make_schedule(schedule[0], schedule[1], freq, tables.timezone)
    t1 = time.perf_counter()
    # batches of whole dates appended to one file: memory follows engine.batch_rows, not the spine
    per_date: list[pd.Series] = []  # customers per as-of date, one Series per batch written
    n_features = 0

    def batches():
        nonlocal n_features
        for frame in feature_batches(tables, dates, config=cfg.features, batch_rows=cfg.engine.batch_rows,
                                     progress=True, engine=cfg.engine.connect_args()):
            per_date.append(frame.groupby("as_of", sort=True).size())
            n_features = frame.shape[1] - 2
            yield frame

    write_parquet(batches(), out)
    t2 = time.perf_counter()
    click.echo(_format.features_text(pd.concat(per_date), n_features, t1 - t0, t2 - t1, batches=len(per_date)))
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
@click.option("--tolerant", is_flag=True, default=None, help=_TOLERANT_HELP)
@config_options
def backtest(data_dir, task, horizon, as_of, out, train_dates, train_freq, active_days, tolerant, config):
    """Train before each test date and score LightGBM and the baselines on the same rows."""
    from repurchase.data.io import load_tables
    from repurchase.models.backtest import backtest as run_backtest
    from repurchase.models.report import write_backtest_report

    cfg = config.load()
    tables, _ = load_tables(data_dir, cfg.data, tolerant=tolerant)
    t0 = time.perf_counter()
    from repurchase.models.plan import model_for
    from repurchase.scoring.need_metrics import need_metrics_for

    result = run_backtest(tables, task, horizon, list(as_of), n_train=train_dates, active_days=active_days,
                          feature_config=cfg.features, train_freq=train_freq, model=model_for(task, horizon, cfg),
                          need_metrics=need_metrics_for(cfg))
    paths = write_backtest_report(result, out, title=f"Backtest: {task}, {horizon}-day horizon, {data_dir}")
    click.echo(_format.backtest_text(result))
    click.echo(f"({time.perf_counter() - t0:.1f}s)")
    click.echo(_format.paths_text(f"Wrote {out}:", paths))


@cli.command()
@click.argument("data_dir", type=click.Path())
@click.option("--task", type=click.Choice(["next_purchase", "churn", "both"]), default="both", show_default=True)
@click.option("--horizon", type=int, default=None, help="Days [next_purchase 30, churn 90].")
@click.option("--holdout", default=None, help="Holdout as-of date [the latest whose label window is complete].")
@click.option("--models-dir", type=click.Path(file_okay=False), default=None, help="Bundle directory [models.dir].")
@click.option("--no-mlflow", is_flag=True, help="Do not track or register; gate against the local bundle only.")
@click.option("--tolerant", is_flag=True, default=None, help=_TOLERANT_HELP)
@config_options
def train(data_dir, task, horizon, holdout, models_dir, no_mlflow, tolerant, config):
    """Train, compare with baselines and the champion on a holdout date, track and promote."""
    from repurchase.data.io import load_tables
    from repurchase.models.train import describe
    from repurchase.models.train import train as run_train
    from repurchase.scoring.need_metrics import need_metrics_for

    cfg = config.load()
    tables, _ = load_tables(data_dir, cfg.data, tolerant=tolerant)
    tasks = ["next_purchase", "churn"] if task == "both" else [task]
    for t in tasks:
        h = horizon or (30 if t == "next_purchase" else 90)
        t0 = time.perf_counter()
        r = run_train(tables, t, h, cfg, holdout=holdout, models_dir=models_dir or cfg.models.dir, track=not no_mlflow,
                      need_metrics=need_metrics_for(cfg))
        click.echo(_format.train_metrics_text(r.metrics))
        click.echo(describe(r) + f" ({time.perf_counter() - t0:.1f}s)")
    if not no_mlflow:
        _tracking_hint()


@cli.command()
@click.argument("data_dir", type=click.Path(), required=False)
@click.option("--data", "data_opt", type=click.Path(), default=None, help="Data directory (same as DATA_DIR) [data.dir].")
@click.option("--dry-run", is_flag=True, help="Validate the data, print the plan and the resolved config; train nothing.")
@click.option("--holdout", default=None, help="Holdout as-of date [per model: the latest whose label window is complete].")
@click.option("--models-dir", type=click.Path(file_okay=False), default=None, help="Bundle directory [models.dir].")
@click.option("--no-mlflow", is_flag=True, help="Do not track or register; gate against the local bundles only.")
@click.option("--tolerant", is_flag=True, default=None, help="Skip rows with row-level problems (counted) [data.tolerant].")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default=None,
              help="Query engine for the features [engine.backend: duckdb].")
@config_options
def retrain(data_dir, data_opt, dry_run, holdout, models_dir, no_mlflow, tolerant, engine, config):
    """Retrain every model (need, timing horizons, churn): validate, plan dates from the data,
    features, labels, fit, evaluate against baselines and the champion, register, promote, report."""
    from repurchase.pipelines import retrain as run_retrain

    extra = {"models": {"dir": models_dir}} if models_dir else {}
    if tolerant:
        extra["data"] = {"tolerant": True}
    if engine:
        extra["engine"] = {"backend": engine}
    cfg = config.load(extra or None)
    t0 = time.perf_counter()
    run_retrain(cfg, data_dir or data_opt, dry_run=dry_run, track=not no_mlflow, holdout=holdout, echo=click.echo)
    click.echo(f"retrain finished in {time.perf_counter() - t0:.1f}s")
    if not no_mlflow and not dry_run:
        _tracking_hint()
