"""Loading the champion models for scoring: from the MLflow registry (alias ``champion``) or from
local bundles under ``models/``, each with the manifest it was trained with."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repurchase.config import Config, FeatureConfig
from repurchase.errors import MissingModelError, RepurchaseError
from repurchase.models.bundle import MANIFEST_FILE, load_bundle
from repurchase.models.candidates import labelled
from repurchase.models.gate import feature_set_difference
from repurchase.models.plan import bundle_name, main_horizon, registered_name

log = logging.getLogger(__name__)


@dataclass
class ScoringModel:
    """One trained model with what scoring needs to use it honestly."""

    task: str
    horizon_days: int
    model: Any
    manifest: dict
    version: str  # shown on every list row, e.g. "repurchase-churn v3" or "bundle churn_90d@1a2b3c4d5e6f"

    @property
    def rules(self) -> bool:
        """True for the RFM-rules fallback (no trained model)."""
        return bool(self.manifest.get("rules"))

    @property
    def features(self) -> list[str]:
        return list(self.manifest["features"])

    @property
    def dtypes(self) -> dict[str, str]:
        return dict(self.manifest.get("dtypes") or {})

    @property
    def feature_config(self) -> FeatureConfig:
        return FeatureConfig.model_validate(self.manifest["features_config"])


@dataclass
class ScoringModels:
    need: ScoringModel
    churn: ScoringModel
    #: extra next-purchase horizons for the expected purchase date, shortest first
    timing: list[ScoringModel] = field(default_factory=list)

    def all(self) -> list[ScoringModel]:
        return [self.need, self.churn, *self.timing]


def _store_text(uri: str) -> str:
    """The tracking store for a message: the URI, and the file's absolute path for SQLite."""
    if uri.startswith("sqlite:///"):
        return f"{uri} ({Path(uri[len('sqlite:///'):]).resolve()})"
    return uri


def _from_mlflow(task: str, horizon: int, config: Config, required: bool) -> ScoringModel | None:
    import sqlite3

    from sqlalchemy.exc import SQLAlchemyError

    from repurchase import tracking

    name = registered_name(task, horizon, config)
    try:
        found = tracking.load_champion(name)
    except (SQLAlchemyError, sqlite3.DatabaseError) as exc:  # e.g. a mlflow.db that is not a database
        why = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise RepurchaseError(f"the MLflow tracking store {_store_text(tracking.masked_uri())} cannot be read ({why}): "
                              "restore it from a backup, set MLFLOW_TRACKING_URI to a working store, or score from "
                              "local bundles with --models models") from None
    if found is None:
        if required:
            raise MissingModelError(
                f"no champion for '{name}' in the MLflow registry at {tracking.masked_uri()} (models.name_prefix "
                f"'{config.models.name_prefix}'): train one first (repurchase retrain DATA_DIR with the same profile), "
                f"or score from local bundles with --models {config.models.dir}")
        return None
    model, manifest, version = found
    return ScoringModel(task, horizon, model, manifest, labelled(f"{name} v{version}", manifest))


def _from_bundles(root: Path, task: str, horizon: int, required: bool) -> ScoringModel | None:
    path = root / bundle_name(task, horizon)
    if not (path / MANIFEST_FILE).is_file():
        if required:
            raise MissingModelError(
                f"no model bundle at {path} ({MANIFEST_FILE} missing): train one first "
                f"(repurchase train DATA_DIR --task {task} --horizon {horizon} --models-dir {root})")
        return None
    model, manifest = load_bundle(path)
    return ScoringModel(task, horizon, model, manifest, labelled(f"bundle {path.name}@{manifest['sha256'][:12]}", manifest))


def rules_model(task: str, horizon: int, config: Config, why: str) -> ScoringModel:
    """The RFM-rules stand-in for a model that cannot be loaded; ``why`` goes to the log and summary."""
    from repurchase.scoring.rules import RULES_VERSION, RFMRules

    log.warning("%s %d d: no usable champion (%s): scoring with transparent RFM rules, labelled %s in every row",
                task, horizon, why, RULES_VERSION)
    model = RFMRules(task)
    manifest = {"task": task, "horizon_days": horizon, "rules": True, "why": why, "features": model.features_in_,
                "dtypes": {}, "features_config": config.features.model_dump(mode="json")}
    return ScoringModel(task, horizon, model, manifest, RULES_VERSION)


def feature_family(m: ScoringModel) -> list[str]:
    """A champion's feature columns, the per-category and per-event-type ones as their catalog
    pattern: those are ranked at each model's own holdout and may differ within one retrain (scoring
    builds them per model), everything else must be the same in one consistent set of champions."""
    from repurchase.features.catalog import lookup

    out = []
    for c in m.features:
        spec = lookup(c)
        name = spec.name if spec is not None and ("{category}" in spec.name or "{event_type}" in spec.name) else c
        if name not in out:
            out.append(name)
    return out


def _inconsistent(ref: ScoringModel, m: ScoringModel) -> str:
    """"" when ``m`` was trained on the same feature set as ``ref``, else what differs."""
    pins = {"categories", "event_types"}
    a, b = feature_family(ref), feature_family(m)
    diff = feature_set_difference(a, b, ref.version, m.version)
    if not diff:
        ca = {k: v for k, v in ref.manifest["features_config"].items() if k not in pins}
        cb = {k: v for k, v in m.manifest["features_config"].items() if k not in pins}
        diff = ", ".join(f"features.{k}: {ca.get(k)!r} vs {cb.get(k)!r}" for k in sorted(set(ca) | set(cb))
                         if ca.get(k) != cb.get(k))
    return diff


def check_consistent(models: ScoringModels) -> ScoringModels:
    """One consistent set of champions: the need and churn models (and every timing model) trained
    on the same feature set. Two champions from different shops or schemas stop the run, naming both
    and what differs; a timing model that differs is left out (it is optional), with a warning."""
    trained = [m for m in (models.need, models.churn) if not m.rules]
    if len(trained) == 2:
        diff = _inconsistent(*trained)
        if diff:
            raise RepurchaseError(
                f"the champions are not one consistent set: {trained[0].version} ({trained[0].task}) and "
                f"{trained[1].version} ({trained[1].task}) were trained on a different feature set ({diff}). "
                "They come from different data (another shop sharing models.name_prefix, or a schema change where "
                "only one model was promoted): retrain both on this data with the same profile.")
    timing = []
    for m in models.timing:
        diff = _inconsistent(models.need, m) if not models.need.rules else ""
        if diff:
            log.warning("%s is left out: trained on a different feature set than %s (%s); the expected purchase date "
                        "uses the %d-day model", m.version, models.need.version, diff, models.need.horizon_days)
            continue
        timing.append(m)
    return ScoringModels(models.need, models.churn, timing)


def load_models(source: str | Path, config: Config, *, fallback: bool = True) -> ScoringModels:
    """The champion models: ``"mlflow"`` for the registry, else a directory of bundles.

    The need and churn models are required: without one (none trained, or the data gate refused
    training) the transparent RFM rules stand in when ``fallback``, labelled ``rfm-rules-v1`` in
    every row; otherwise the error says what to run. Timing models
    (``models.timing_horizons_days``) are used when present; without them the expected purchase
    date comes from the need model alone. A bundle that fails its integrity check is never
    replaced by rules: that error always stops the run.
    """
    def one(task: str, horizon: int, required: bool) -> ScoringModel | None:
        if str(source) == "mlflow":
            return _from_mlflow(task, horizon, config, required)
        return _from_bundles(Path(source), task, horizon, required)

    def main(task: str) -> ScoringModel:
        h = main_horizon(task, config)
        try:
            return one(task, h, True)
        except MissingModelError as exc:
            if not fallback:
                raise
            return rules_model(task, h, config, str(exc))

    need, churn = main("next_purchase"), main("churn")
    timing = []
    for h in config.models.timing_horizons_days:
        if h == need.horizon_days:
            continue
        m = one("next_purchase", h, False)
        if m is None:
            log.warning("no %d-day next-purchase model: the expected purchase date uses the %d-day model only", h,
                        need.horizon_days)
        else:
            timing.append(m)
    if need.rules:  # timing from a different model than the rules' score would not line up
        timing = []
    for m in [need, churn, *timing]:
        if m.rules:
            continue
        slot = int(m.manifest.get("slot_days", m.manifest.get("horizon_days", -1)))
        if m.manifest.get("task") != m.task or slot != m.horizon_days:
            raise RepurchaseError(f"{m.version}: its manifest says task {m.manifest.get('task')}, "
                                  f"{slot} days; expected {m.task}, {m.horizon_days} days")
        trained = int(m.manifest["horizon_days"])
        if trained != m.horizon_days:  # a short history: the slot was trained at a shorter horizon
            log.warning("%s was trained at %d days (the data was too short for %d): its score is P over %d days",
                        m.version, trained, m.horizon_days, trained)
            m.horizon_days = trained
    return check_consistent(ScoringModels(need, churn, sorted(timing, key=lambda m: m.horizon_days)))
