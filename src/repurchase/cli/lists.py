"""Commands on the lists: score, lift, train-uplift, simulate-campaign."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from repurchase import _format
from repurchase.cli._shell import cli, config_options, given


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
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default=None,
              help="Query engine for the features [engine.backend: duckdb].")
@config_options
def score(data_dir, data_opt, as_of, out, models_src, db, dry_run, tolerant, engine, config):
    """Write the need list and the recall list (files, and a SQL table with --db)."""
    from repurchase.pipelines import score_lists

    cfg = config.load({**(given("data", tolerant=tolerant) or {}), **(given("engine", backend=engine) or {})})
    t0 = time.perf_counter()
    run = score_lists(cfg, as_of, data_dir or data_opt, out_dir=out, models=models_src, db=db, dry_run=dry_run,
                      progress=sys.stderr.isatty(), echo=click.echo)
    click.echo(f"score finished in {time.perf_counter() - t0:.1f}s")
    if run.files:
        click.echo(_format.paths_text("Wrote:", run.files))


@cli.command()
@click.argument("data_dir", type=click.Path())
@click.option("--lists", "lists_dir", required=True, type=click.Path(exists=True, file_okay=False),
              help="A scoring output (or a folder of them) with need_list.parquet / recall_list.parquet.")
@click.option("--window", "window_days", type=int, default=30, show_default=True, help="Days after each as-of date.")
@click.option("--out", default=None, type=click.Path(file_okay=False), help="Report directory [LISTS/lift].")
@click.option("--no-mlflow", is_flag=True, help="Do not log the figures to MLflow.")
@config_options
def lift(data_dir, lists_dir, window_days, out, no_mlflow, config):
    """Measure each list's lift against its control group over the window after its as-of date."""
    from repurchase.data.io import load_tables
    from repurchase.lift import measure_lift, read_lists, write_lift_report

    cfg = config.load()
    tables, _ = load_tables(data_dir, cfg.data)
    rows = read_lists(lists_dir)
    result = measure_lift(tables, rows, window_days, contact_cost=cfg.scoring.recall.contact_cost,
                          seed=cfg.scoring.control_seed)
    out = Path(out) if out else Path(lists_dir) / "lift"
    paths = write_lift_report(result, out)
    text = _format.lift_text(result)
    if text:
        click.echo(text)
    if not no_mlflow and not result.overall.empty:
        from repurchase.lift import track_lift
        from repurchase.tracking import masked_uri

        runs = track_lift(result, cfg.models.experiment, out)
        click.echo(f"logged to MLflow: {len(runs)} runs ({masked_uri()})")
    click.echo(_format.paths_text(f"Wrote {out}:", paths))


@cli.command("train-uplift")
@click.argument("data_dir", type=click.Path())
@click.option("--lists", "lists_dir", required=True, type=click.Path(exists=True, file_okay=False),
              help="Past scoring outputs whose recall lists were contacted (contacts table in DATA_DIR).")
@click.option("--window", "window_days", type=int, default=30, show_default=True)
@click.option("--holdout-as-of", default=None, help="Hold out this campaign and compare uplift and risk ranking on it.")
@click.option("--models-dir", type=click.Path(file_okay=False), default=None, help="[models.dir]")
@config_options
def train_uplift_cmd(data_dir, lists_dir, window_days, holdout_as_of, models_dir, config):
    """Learn who responds to recall contacts (two-model uplift) from past campaigns with control groups."""
    from repurchase.data.io import load_tables
    from repurchase.lift import read_lists
    from repurchase.lift.uplift import BUNDLE, train_uplift
    from repurchase.scoring import load_models

    # truthiness, not given(): an empty --models-dir keeps models.dir
    cfg = config.load({"models": {"dir": models_dir}} if models_dir else None)
    tables, _ = load_tables(data_dir, cfg.data)
    fc = load_models("mlflow" if cfg.scoring.models == "mlflow" else cfg.models.dir, cfg).churn.feature_config
    report = train_uplift(tables, read_lists(lists_dir), window_days, fc, cfg.models.dir, holdout_as_of=holdout_as_of)
    click.echo(_format.uplift_text(report))
    click.echo(f"Wrote {cfg.models.dir / BUNDLE}; rank the recall list by it with --set scoring.recall.ranking=uplift")


@cli.command("simulate-campaign")
@click.argument("data_dir", type=click.Path())
@click.option("--lists", "lists_dir", required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False), help="New data directory (tables + contacts).")
@click.option("--window", "window_days", type=int, default=30, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@config_options
def simulate_campaign_cmd(data_dir, lists_dir, out, window_days, seed, config):
    """Synthetic data only: contact the lists (honouring control flags) with a known effect."""
    from repurchase.lift.campaign import simulate_campaign
    from repurchase.data.io import load_tables, write_parquet, write_tables
    from repurchase.lift import read_lists

    tables, _ = load_tables(data_dir, config.load().data)
    new, truth = simulate_campaign(tables, read_lists(lists_dir), window_days=window_days, seed=seed)
    write_tables(new.as_dict(), out, meta={"timezone": new.timezone})
    write_parquet(truth, Path(out) / "campaign_truth.parquet")
    click.echo(_format.campaign_text(truth))
    click.echo(f"Wrote {out}")
