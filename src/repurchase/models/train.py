"""Training for production: fit at the latest holdout date, compare with the baselines and the
current champion on the same rows, track in MLflow, promote by the gate, write a bundle.

The plan (which models, which dates, which names) is :mod:`repurchase.models.plan`, the gate
:mod:`repurchase.models.gate`."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from repurchase.config import Config
from repurchase.errors import RepurchaseError
from repurchase.features import feature_columns, pin_feature_config
from repurchase.models.backtest import Task, backtest
from repurchase.models.bundle import load_bundle, save_bundle
from repurchase.models.candidates import best_candidate, shippable_baselines
from repurchase.models.gate import _champion_auc, _gate
from repurchase.models.plan import bundle_name, latest_holdout, model_for, registered_name
from repurchase.models.report import write_backtest_report
from repurchase.models.sample import TrainingSample
from repurchase.schema import Tables
from repurchase.spine import AsOf, as_of_timestamp

log = logging.getLogger(__name__)

def fingerprint(tables: Tables) -> dict:
    """Row counts, order date range and a hash of the orders (what the model was trained on)."""
    o = tables.orders
    h = hashlib.sha256(pd.util.hash_pandas_object(o[["order_id", "customer_id", "order_ts", "amount"]], index=False).to_numpy().tobytes())
    return {"rows": {k: len(v) for k, v in tables.as_dict().items()}, "orders_from": str(o["order_ts"].min()),
            "orders_to": str(o["order_ts"].max()), "orders_sha256": h.hexdigest(), "timezone": tables.timezone}


@dataclass
class TrainResult:
    task: str
    horizon_days: int
    holdout: str
    metrics: pd.DataFrame
    promoted: bool
    reason: str
    bundle: Path | None
    registered_name: str
    version: str | None = None
    run_id: str | None = None
    champion_auc: float | None = None
    files: dict = field(default_factory=dict)
    #: the baseline shipped as champion when LightGBM lost to it (None: LightGBM or nothing shipped)
    shipped: str | None = None
    #: what the training row budget did (``models.max_training_rows``)
    sample: TrainingSample | None = None


def train(
    tables: Tables,
    task: Task,
    horizon_days: int,
    config: Config,
    *,
    holdout: AsOf | None = None,
    models_dir: str | Path = "models",
    track: bool = True,
    report_dir: str | Path | None = None,
    train_freq: str = "monthly",
    slot_days: int | None = None,
    need_metrics: Callable[..., pd.DataFrame] | None = None,
) -> TrainResult:
    """Train one task at ``holdout`` (default: the latest complete date) and promote by the gate.

    ``slot_days``: the configured horizon that names the model (default ``horizon_days``); a
    short history trains the same slot at a shorter horizon (:func:`plan_training`).
    ``need_metrics``: measures the need list in the report (see :func:`~repurchase.models.backtest.backtest`).
    """
    slot = slot_days or horizon_days
    hold = as_of_timestamp(holdout, tables.timezone) if holdout is not None else latest_holdout(tables, horizon_days)
    # the categories / event types with their own columns, fixed as at the holdout: scoring reuses them
    pinned = pin_feature_config(tables, hold, config.features)
    result = backtest(tables, task, horizon_days, [hold], n_train=config.models.train_dates, train_freq=train_freq,
                      active_days=config.models.active_days, feature_config=pinned, keep_holdout=True,
                      min_positives=config.models.min_positives, min_negatives=config.models.min_negatives,
                      model=model_for(task, horizon_days, config), need_metrics=need_metrics,
                      max_training_rows=config.models.max_training_rows, sample_seed=config.models.training_sample_seed,
                      engine=config.engine.connect_args())
    key = hold.date().isoformat()
    model, rows = result.models[key], result.holdout[key]
    sample = result.samples.get(key)  # None: no row budget (models.max_training_rows: null)
    sampled = {"budget": None, "sampled": False} if sample is None else sample.as_dict()
    X_hold, y_hold = rows[feature_columns(rows)], result.scores[key]["y"].to_numpy()
    name = registered_name(task, slot, config)
    bundle_dir = Path(models_dir) / bundle_name(task, slot)
    report_dir = report_dir or Path(models_dir) / "reports" / f"{task}_{horizon_days}d_{key}"
    files = write_backtest_report(result, report_dir, title=f"Training {task}, {horizon_days}-day horizon, holdout {key}")
    from repurchase.models.drift import reference
    from repurchase.models.evaluate import decile_table

    manifest = {"task": task, "horizon_days": horizon_days, "slot_days": slot, "train_freq": train_freq,
                "holdout": key, **result.dates[key],
                "features": list(X_hold.columns), "dtypes": {c: str(t) for c, t in X_hold.dtypes.items()},
                "metrics": result.metrics.set_index("model")[["auc", "pr_auc", "brier", "ece", "lift_top_decile"]].to_dict("index"),
                "calibration": model.calibration_, "blend": model.blend_weights(), "trees": model.best_iteration_, "data": fingerprint(tables),
                "active_days": config.models.active_days, "features_config": pinned.model_dump(mode="json"),
                # the row budget: training rows of the full spine and of the customers sampled from it
                "training_sample": sampled,
                # the holdout's distributions: scoring compares today's population with them (drift)
                "reference": reference(X_hold, result.scores[key]["lightgbm"].to_numpy()),
                # gains and calibration of the scorer on its holdout, for the run report
                "holdout_deciles": decile_table(y_hold, result.scores[key]["lightgbm"].to_numpy())}

    lgb_auc = float(result.metrics.set_index("model").loc["lightgbm", "auc"])
    ship = shippable_baselines(result.baselines.get(key, {}), X_hold, y_hold, task, horizon_days)

    def decide(champ_auc: float | None, champ_note: str) -> tuple[bool, str, str | None, dict]:
        """The gate's verdict, and the baseline shipped instead (None) with its bundle manifest."""
        promoted, reason = _gate(result.metrics, config, champ_auc, champ_note)
        shipped = None if promoted else best_candidate(lgb_auc, ship, champ_auc, config.models.min_auc_gain_vs_champion)
        if not shipped:
            return promoted, reason, None, {}
        _, auc, p = ship[shipped]
        return promoted, reason, shipped, {
            **manifest, "scorer": shipped, "calibration": "none", "blend": None, "trees": 0,
            "reference": reference(X_hold, p), "holdout_deciles": decile_table(y_hold, p), "lightgbm_auc": lgb_auc, "scorer_auc": auc,
            "promotion": _ship_reason(shipped, auc, lgb_auc, champ_auc)}

    tracked = None
    if track:
        from repurchase import tracking

        prior = tracking.champion_version(name)
        champ_auc, champ_note = None, ""
        if prior is not None:
            champ_auc, champ_note = _champion_auc(tracking.load_version(name, prior), f"{name} v{prior}", X_hold, y_hold)
        lgb = result.metrics.set_index("model").loc["lightgbm"]
        common = dict(experiment=config.models.experiment, registered_name=name, X_example=X_hold,
                      tags={"task": task, "data_orders_sha256": manifest["data"]["orders_sha256"],
                            "training_sampled": str(sampled["sampled"]).lower()},
                      artifacts={"report": files["report"].parent},
                      config={"features": manifest["features_config"], "models": config.models.model_dump(),
                              "data_fingerprint": manifest["data"], "feature_names": manifest["features"]})
        run_params = {"task": task, "horizon_days": horizon_days, "holdout": key,
                      "train_dates": ",".join(result.dates[key]["train"]),
                      "validation_date": result.dates[key]["validation"], "n_features": X_hold.shape[1],
                      **{f"training_{k}": v for k, v in sampled.items() if k != "sampled"}}
        tracked = tracking.log_training(
            run_name=f"{task}-{horizon_days}d-{key}", model=model, params={**model.get_params(), **run_params},
            metrics={**{f"holdout_{k}": float(v) for k, v in lgb.items() if isinstance(v, (int, float))},
                     **{f"baseline_{r.model}_auc": r.auc for r in result.metrics.itertuples() if r.model != "lightgbm"},
                     "best_iteration": model.best_iteration_},
            manifest=manifest, **common)
        promoted, reason, shipped, shipped_manifest = decide(champ_auc, champ_note)
        if promoted:
            tracking.set_champion(name, tracked.version, reason)
        else:
            tracking.note_challenger(name, tracked.version, reason)
        manifest.update({"mlflow_run_id": tracked.run_id, "registered_model": name, "version": tracked.version})
        if shipped:
            scorer, auc = ship[shipped][0], ship[shipped][1]
            logged = {k: v for k, v in shipped_manifest.items() if k != "promotion"}  # as the LightGBM run's
            base_run = tracking.log_training(
                run_name=f"{task}-{horizon_days}d-{key}-{shipped}", model=scorer,
                params={**scorer.get_params(), **run_params, "scorer": shipped},
                metrics={"holdout_auc": auc, "lightgbm_auc": lgb_auc}, manifest=logged, **common)
            tracking.set_champion(name, base_run.version, shipped_manifest["promotion"])
            shipped_manifest.update({"mlflow_run_id": base_run.run_id, "registered_model": name,
                                     "version": base_run.version})
    else:
        champ_auc, champ_note = None, ""
        if (bundle_dir / "manifest.json").is_file():
            try:
                champ, _ = load_bundle(bundle_dir)
                champ_auc, champ_note = _champion_auc(champ, f"bundle {bundle_dir}", X_hold, y_hold)
            except RepurchaseError as exc:
                log.warning("ignoring the local champion bundle: %s", exc)
        promoted, reason, shipped, shipped_manifest = decide(champ_auc, champ_note)
    if shipped:
        save_bundle(ship[shipped][0], shipped_manifest, bundle_dir)
    manifest["promotion"] = reason
    target = bundle_dir if promoted else bundle_dir.with_name(bundle_dir.name + ".challenger")
    save_bundle(model, manifest, target)
    if shipped:
        reason = f"{reason}. {shipped_manifest['promotion']}"
    return TrainResult(task, horizon_days, key, result.metrics, promoted, reason, target, name,
                       tracked.version if tracked else None, tracked.run_id if tracked else None, champ_auc, files,
                       shipped, sample)


def _ship_reason(scorer: str, auc: float, lgb_auc: float, champion_auc: float | None) -> str:
    vs = f", above the champion's {champion_auc:.4f}" if champion_auc is not None else ""
    return (f"shipped the best candidate instead: {scorer} (holdout AUC {auc:.4f} against LightGBM's {lgb_auc:.4f}{vs}) "
            f"is the champion and scores the lists")


def describe(r: TrainResult) -> str:
    status = ("promoted to champion" if r.promoted else
              f"kept as challenger, {r.shipped} shipped as champion" if r.shipped else "kept as challenger")
    where = f"{r.registered_name} v{r.version}" if r.version else "local bundle only"
    sampled = f" ({r.sample.describe()})" if r.sample is not None and r.sample.sampled else ""
    return (f"{r.task} ({r.horizon_days} d, holdout {r.holdout}{sampled}): {where}, {status}: {r.reason}. "
            f"Bundle: {r.bundle}")


__all__ = ["TrainResult", "describe", "fingerprint", "train"]
