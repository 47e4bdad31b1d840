"""Loading the champion models for scoring: from the MLflow registry (alias ``champion``) or from
local bundles under ``models/``, each with the manifest it was trained with."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repurchase.config import Config, FeatureConfig
from repurchase.errors import RepurchaseError
from repurchase.models.bundle import MANIFEST_FILE, load_bundle
from repurchase.models.train import bundle_name, main_horizon, registered_name

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


def _from_mlflow(task: str, horizon: int, config: Config, required: bool) -> ScoringModel | None:
    from repurchase import tracking

    name = registered_name(task, horizon, config)
    found = tracking.load_champion(name)
    if found is None:
        if required:
            raise RepurchaseError(
                f"no champion for '{name}' in the MLflow registry at {tracking.masked_uri()}: train one first "
                f"(repurchase train DATA_DIR --task {task} --horizon {horizon}), or score from local bundles with --models models")
        return None
    model, manifest, version = found
    return ScoringModel(task, horizon, model, manifest, f"{name} v{version}")


def _from_bundles(root: Path, task: str, horizon: int, required: bool) -> ScoringModel | None:
    path = root / bundle_name(task, horizon)
    if not (path / MANIFEST_FILE).is_file():
        if required:
            raise RepurchaseError(
                f"no model bundle at {path} ({MANIFEST_FILE} missing): train one first "
                f"(repurchase train DATA_DIR --task {task} --horizon {horizon} --models-dir {root})")
        return None
    model, manifest = load_bundle(path)
    return ScoringModel(task, horizon, model, manifest, f"bundle {path.name}@{manifest['sha256'][:12]}")


def load_models(source: str | Path, config: Config) -> ScoringModels:
    """The champion models: ``"mlflow"`` for the registry, else a directory of bundles.

    The need and churn models are required; timing models (``models.timing_horizons_days``) are
    used when present, and without them the expected purchase date comes from the need model alone.
    """
    def one(task: str, horizon: int, required: bool) -> ScoringModel | None:
        if str(source) == "mlflow":
            return _from_mlflow(task, horizon, config, required)
        return _from_bundles(Path(source), task, horizon, required)

    need = one("next_purchase", main_horizon("next_purchase", config), True)
    churn = one("churn", main_horizon("churn", config), True)
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
    for m in [need, churn, *timing]:
        if m.manifest.get("task") != m.task or int(m.manifest.get("horizon_days", -1)) != m.horizon_days:
            raise RepurchaseError(f"{m.version}: its manifest says task {m.manifest.get('task')}, "
                                  f"{m.manifest.get('horizon_days')} days; expected {m.task}, {m.horizon_days} days")
    return ScoringModels(need, churn, sorted(timing, key=lambda m: m.horizon_days))
