"""The scoring pipeline: validate -> load the champions -> features at the as-of date and both
lists -> export (files, and the CRM database when configured) -> summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd
import yaml

from repurchase.config import Config
from repurchase.data.io import load_tables, resolve_timezone
from repurchase.errors import ConfigError
from repurchase.export.crm import check_driver, export_lists, mask, read_drift_reference, resolve_url
from repurchase.pipelines._steps import Steps, plan_text
from repurchase.pipelines.retrain import data_dir_of
from repurchase.reports.run_report import read_lift, render_run_report
from repurchase.scoring import ScoreResult, load_models, score
from repurchase.spine import AsOfContext

STEPS = ["validate", "load champions", "score", "export"]


@dataclass
class ScoreRun:
    result: ScoreResult | None = None
    files: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)


def format_summary(s: dict) -> str:
    """The printed summary of a scoring run."""
    n, r = s["need"], s["recall"]
    lines = [f"need list:   {n['rows']:,} rows ({n['contacted']:,} to contact, {n['control']:,} control); "
             f"bands {n['bands']}; expected buyers among those contacted {n['expected_buyers_contacted']:,}",
             "             excluded: " + ", ".join(f"{k} {v:,}" for k, v in n["excluded"].items()),
             f"recall list: {r['rows']:,} rows ({r['contacted']:,} to contact, {r['control']:,} control); "
             f"bands {r['bands']}; value at risk {r['value_at_risk']:,.0f}",
             f"             expected recovered revenue {r['expected_recovered_revenue']:,.0f} for cost "
             f"{r['cost']:,.0f}: ROI {r['roi'] if r['roi'] is not None else 'n/a'}",
             "             excluded: " + ", ".join(f"{k} {v:,}" for k, v in r["excluded"].items())]
    return "\n".join(lines)


def score_lists(config: Config, as_of: str | None, data_dir: str | Path | None = None, *, out_dir: str | Path | None = None,
                models: str | Path | None = None, db: str | None = None, dry_run: bool = False,
                progress: bool = False, echo: Callable[[str], None] = print) -> ScoreRun:
    """Score at ``as_of`` (None: today in the data's business timezone) and export both lists.

    ``models``: "mlflow", or a bundle directory (default: ``scoring.models``, bundles from
    ``models.dir``); ``out_dir`` and ``db`` default to ``export.out_dir`` and ``export.db_url`` (or
    ``$REPURCHASE_DB_URL``); ``db=""`` writes files only.
    """
    data = data_dir_of(config, data_dir)
    out = Path(out_dir or config.export.out_dir)
    source = models or ("mlflow" if config.scoring.models == "mlflow" else config.models.dir)
    url = None if db == "" else resolve_url(db or config.export.db_url)  # "": files only
    if url:
        check_driver(url)  # before any work: a missing driver must not surface after the scoring
    steps = Steps(STEPS, echo, long={"score"})
    run = ScoreRun(timings=steps.timings)
    with steps.step("validate") as notes:
        # T once, before any loading: every step below reads it from this context
        ctx = as_of_context(config, data, as_of)
        tables, report = load_tables(data, config.data)
        check_as_of(tables, ctx.ts, config.scoring.max_days_after_data)
        notes.append(f"{data}: " + ", ".join(f"{t} {n:,}" for t, n in report.rows_kept.items())
                     + (f"; {sum(report.rejected.values()):,} rows rejected" if report.rejected else "")
                     + f"; scoring as of {ctx.date} ({tables.timezone})")
    if dry_run:
        echo(plan_text("dry run: nothing scored or written", STEPS,
                       yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False, allow_unicode=True),
                       [f"models: {source}", f"lists to: {out}", f"database: {mask(url) if url else 'none'}"]))
        return run
    with steps.step("load champions") as notes:
        champions = load_models(source, config, fallback=config.scoring.fallback_to_rules)
        notes.append(", ".join(m.version for m in champions.all()))
    with steps.step("score") as notes:
        # the previous run's distributions, read before this run replaces them: drift since then
        result = score(tables, ctx, champions, config, progress=progress, previous=read_drift_reference(out))
        run.result = result
        notes.append(f"{result.summary['customers_scored']:,} customers; need list {len(result.need):,} rows, "
                     f"recall list {len(result.recall):,} rows")
        notes += format_summary(result.summary).splitlines()
    with steps.step("export") as notes:
        html = render_run_report(result, {m.task: m.manifest for m in (champions.need, champions.churn)},
                                 warn_psi=config.scoring.drift_warn_psi, lift=read_lift(config.export.lift_dir),
                                 title="Scoring run")
        # files and database as one run: the files are swapped in only with the commit
        run.files, written = export_lists(result.need, result.recall, result.summary, out, as_of=ctx.date, url=url,
                                          drift=result.drift, lock_wait_s=config.export.lock_wait_seconds,
                                          report_html=html, drift_reference=result.drift_reference)
        notes.append(f"{out}/: need_list, recall_list (.csv UTF-8 with BOM, .parquet), summary.json, drift.csv, "
                     "score_distribution.png, report.html (open it in a browser)")
        for task, d in result.summary["drift"].items():
            notes.append(f"drift of the {task} model's population: largest {d['worst']}"
                         + (f"; over {config.scoring.drift_warn_psi}: {', '.join(d['over_warn'])}" if d["over_warn"] else ""))
        if url:
            run.files["database"] = f"{mask(url)} crm_customer_scores"
            notes.append(f"{mask(url)}: crm_customer_scores, {sum(written.values()):,} rows replaced for {ctx.date} "
                         "(view crm_customer_tags)")
    return run


def as_of_context(config: Config, data_dir: str | Path, as_of: str | None) -> AsOfContext:
    """T in the business timezone (the config's, else the data directory's ``dataset.yaml``, as
    the loader resolves it); ``as_of`` None is this morning in that timezone."""
    tz = resolve_timezone(data_dir, config.data.timezone)
    return AsOfContext.today(tz) if as_of is None else AsOfContext.of(as_of, tz)


def check_as_of(tables, T: pd.Timestamp, max_days: int | None) -> None:
    """Refuse an as-of date more than ``max_days`` after the last order: the lists would rank
    customers on data that stopped long ago (a wrong date, or a stale export)."""
    if max_days is None or tables.orders.empty:
        return
    last = tables.orders["order_ts"].max()
    last_day = (last.tz_convert(T.tz) if last.tzinfo is not None else last).date()
    gap_days = (T.date() - last_day).days
    if gap_days > max_days:
        raise ConfigError(f"as-of date {T.date()} is {gap_days:,} days after the data's last order ({last_day}), more "
                          f"than scoring.max_days_after_data ({max_days}): check --as-of (without it scoring uses "
                          "today) or load fresher data")
