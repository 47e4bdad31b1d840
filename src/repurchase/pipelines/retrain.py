"""The retrain pipeline: validate -> plan the as-of dates from the data -> for every model (need,
timing horizons, churn): spine, features, labels, fit, evaluate against the baselines and the
current champion on the same holdout, register and promote by the gate, report. One MLflow parent
run with a child run per model."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

from repurchase.config import Config
from repurchase.data.io import load_tables
from repurchase.errors import ConfigError, DataError
from repurchase.models.plan import plan_training, training_jobs
from repurchase.models.train import TrainResult, describe, train
from repurchase.pipelines._steps import Steps, plan_text
from repurchase.scoring.need_metrics import need_metrics_for

STEPS = ["validate", "plan", "train", "summary"]


@dataclass
class RetrainResult:
    results: list[TrainResult] = field(default_factory=list)
    parent_run_id: str | None = None
    refused: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)


def data_dir_of(config: Config, data_dir: str | Path | None) -> Path:
    d = data_dir or config.data.dir
    if d is None:
        raise ConfigError("no data directory: pass DATA_DIR (or --data) or set data.dir in the config")
    return Path(d)


def retrain(config: Config, data_dir: str | Path | None = None, *, dry_run: bool = False, track: bool = True,
            holdout: str | None = None, echo: Callable[[str], None] = print) -> RetrainResult:
    """Retrain every model, tracked in MLflow (``track``) and promoted by the gate.

    With ``dry_run`` the data is validated and the plan (dates per model, resolved config) is
    printed, and nothing is trained or written.
    """
    data = data_dir_of(config, data_dir)
    steps = Steps(STEPS, echo, long={"train"})
    out = RetrainResult(timings=steps.timings)
    with steps.step("validate") as notes:
        tables, report = load_tables(data, config.data)
        notes.append(f"{data}: " + ", ".join(f"{t} {n:,}" for t, n in report.rows_kept.items())
                     + f"; {sum(report.rejected.values()):,} rows rejected")
    with steps.step("plan") as notes:
        jobs = plan_training(tables, config, holdout)
        kept = [j for j in jobs if not j.dropped]
        notes.append(f"{len(kept)} models, as-of dates derived from the data (label windows complete)")
        notes += [j.describe() for j in jobs]
        budget = config.models.max_training_rows
        notes.append("training row budget: " + ("none (models.max_training_rows: null)" if budget is None else
                     f"{budget:,} training + validation spine rows per model; above it whole customers are sampled "
                     f"(seed {config.models.training_sample_seed}), the holdout is kept whole"))
    if dry_run:
        echo(plan_text("dry run: nothing trained or written", STEPS,
                       yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False, allow_unicode=True),
                       [f"models dir: {config.models.dir}", f"MLflow: {'on' if track else 'off'}"]))
        return out

    def run_all():
        from tqdm.auto import tqdm

        bar = tqdm(jobs, desc="models", unit="model", disable=not sys.stderr.isatty(), leave=False)
        for job in bar:
            if job.dropped:
                continue
            bar.set_postfix_str(f"{job.task} {job.horizon_days} d")
            try:
                r = train(tables, job.task, job.horizon_days, config, holdout=job.holdout,
                          models_dir=config.models.dir, track=track, train_freq=job.freq, slot_days=job.slot_days,
                          need_metrics=need_metrics_for(config))
            except DataError as exc:  # the data gate: the other models still train
                out.refused.append(f"{job.task} {job.horizon_days} d: {exc}")
                steps.live(f"{job.task} {job.horizon_days} d: REFUSED by the data gate")
                continue
            out.results.append(r)
            m = r.metrics.set_index("model")
            # printed as each model finishes: under cron the log shows progress, not minutes of silence
            steps.live(f"{job.task} {job.horizon_days} d: AUC {m.loc['lightgbm', 'auc']:.4f} on "
                       f"{int(m.loc['lightgbm', 'n']):,} holdout rows; {describe(r)}")

    with steps.step("train") as notes:
        if track:
            from repurchase import tracking

            with tracking.parent_run(config.models.experiment, f"retrain-{dt.date.today().isoformat()}",
                                     {"data_dir": str(data), "models": ",".join(f"{t}_{h}d" for t, h in training_jobs(config))},
                                     config.model_dump(mode="json")) as run_id:
                out.parent_run_id = run_id
                run_all()
                tracking.log_summary(
                    {f"{r.task}_{r.horizon_days}d_auc": float(r.metrics.set_index("model").loc["lightgbm", "auc"]) for r in out.results}
                    | {f"{r.task}_{r.horizon_days}d_promoted": float(r.promoted) for r in out.results},
                    {"pipeline": "retrain"})
        else:
            run_all()
        shipped = sum(bool(r.shipped) for r in out.results)
        notes.insert(0, f"{sum(r.promoted for r in out.results)} of {len(jobs)} promoted to champion"
                     + (f", {shipped} where a baseline beat LightGBM and was shipped instead" if shipped else "")
                     + (f", {len(out.refused)} refused by the data gate" if out.refused else ""))
    with steps.step("summary") as notes:
        notes.append(f"bundles under {config.models.dir}/, reports under {config.models.dir}/reports/")
        for r in out.results:
            notes.append(f"{r.task} {r.horizon_days} d report: {r.files.get('report')}")
    if out.refused:
        raise DataError("training refused (scoring will use the current champions, or transparent RFM rules where "
                        "there are none):\n  " + "\n  ".join(out.refused))
    return out
