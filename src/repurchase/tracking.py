"""MLflow: the only module that imports it.

With no ``MLFLOW_TRACKING_URI`` MLflow 3 uses ``sqlite:///mlflow.db`` in the working directory
(artifacts under ``./mlruns``); set the variable to use a team server. Secrets never reach MLflow:
only the config's public fields and the data fingerprint are logged.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

import pandas as pd

from repurchase.errors import RepurchaseError

log = logging.getLogger(__name__)

CHAMPION = "champion"
MANIFEST = "manifest.json"
#: MLflow 3 stores sklearn models with skops (not pickle) and loads only types declared trusted:
#: ours, and the LightGBM objects inside it
SKOPS_TRUSTED = ["collections.OrderedDict", "lightgbm.basic.Booster", "lightgbm.sklearn.LGBMClassifier",
                 "repurchase.models.baselines.FeatureScore", "repurchase.models.baselines.RFMLogistic",
                 "repurchase.models.lgbm.RepurchaseClassifier"]


#: bounded HTTP retries for a tracking server (names as in mlflow/environment_variables.py;
#: an explicit value in the environment wins). MLflow's defaults (7 retries, backoff factor 2,
#: 120 s per request) keep a job waiting for minutes on a server that is down; these give up after
#: about 10 s on a refused connection and at most ~2 minutes on a host that does not answer.
HTTP_LIMITS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "3", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
               "MLFLOW_HTTP_REQUEST_TIMEOUT": "30"}
#: "nothing there yet" from the registry (no such model, no such alias); anything else is a failure
_NOT_FOUND = {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"}
_reachable: set[str] = set()


def _mask(uri: str) -> str:
    if "@" in uri and "://" in uri:
        scheme, rest = uri.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return uri


def _unreachable(uri: str, exc: BaseException) -> RepurchaseError:
    reason = str(exc).replace(uri, _mask(uri)).splitlines()[0][:300] if str(exc) else type(exc).__name__
    return RepurchaseError(
        f"the MLflow tracking server at {_mask(uri)} is unreachable ({reason}). Start it or fix "
        "MLFLOW_TRACKING_URI (unset, ./mlflow.db is used); to score without it, use the local bundles: "
        "--models DIR (the retrain's models.dir) or scoring.models: bundles.")


def _mlflow():
    # a progress bar per downloaded manifest is noise in a pipeline's output
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    for key, value in HTTP_LIMITS.items():
        os.environ.setdefault(key, value)
    import mlflow

    uri = mlflow.get_tracking_uri()
    if uri not in _reachable and uri.startswith(("http://", "https://")):
        # one cheap call up front: a server that is down is one clear error, not a failure deep
        # inside a run (or, worse, read as "no champion yet")
        try:
            mlflow.MlflowClient().search_experiments(max_results=1)
        except Exception as exc:  # noqa: BLE001 - MlflowException / requests errors / OSError
            raise _unreachable(uri, exc) from exc
        _reachable.add(uri)
    return mlflow


def tracking_uri() -> str:
    return _mlflow().get_tracking_uri()


@dataclass
class TrackedModel:
    run_id: str
    experiment: str
    registered_name: str
    version: str


def pip_requirements() -> list[str]:
    """Pinned requirements of the logged model (explicit: inferring them starts a slow subprocess)."""
    from importlib.metadata import version

    return [f"{p}=={version(p)}" for p in ("lightgbm", "scikit-learn", "pandas", "numpy", "scipy")]


def log_training(
    *,
    experiment: str,
    run_name: str,
    registered_name: str,
    model: Any,
    X_example: pd.DataFrame,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    tags: Mapping[str, str],
    artifacts: Mapping[str, Path],
    config: Mapping[str, Any],
    manifest: Mapping[str, Any] | None = None,
) -> TrackedModel:
    """Log one training run (params, metrics, config, artifacts, the model with its signature and
    an input example) and register the model as a new version."""
    mlflow = _mlflow()
    nested = mlflow.active_run() is not None  # a child of the pipeline's parent run
    if not nested:
        mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=run_name, nested=nested) as run:
        mlflow.log_params({k: (str(v)[:500]) for k, v in params.items()})
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if pd.notna(v)})
        mlflow.set_tags(dict(tags))
        mlflow.log_dict(dict(config), "config.json")
        if manifest is not None:  # what scoring needs besides the model: features, pinned config
            mlflow.log_dict(json.loads(json.dumps(dict(manifest), default=str)), MANIFEST)
        for name, path in artifacts.items():
            mlflow.log_artifact(str(path), artifact_path=name)
        example = X_example.head(5)
        signature = mlflow.models.infer_signature(example, model.predict_proba(example))
        with _stderr_to_log():  # "Successfully registered model ..." is printed, not logged
            info = mlflow.sklearn.log_model(
                model, name="model", signature=signature, input_example=example,
                pip_requirements=pip_requirements(), pyfunc_predict_fn="predict_proba",
                registered_model_name=registered_name, skops_trusted_types=SKOPS_TRUSTED,
            )
        version = str(info.registered_model_version)
    return TrackedModel(run.info.run_id, experiment, registered_name, version)


@contextlib.contextmanager
def _stderr_to_log() -> Iterator[None]:
    """MLflow's registry prints its notices to stderr; they go to this module's INFO log instead."""
    buf = io.StringIO()
    with contextlib.redirect_stderr(buf):
        yield
    for line in buf.getvalue().splitlines():
        if line.strip():
            log.info("mlflow: %s", line.strip())


@contextlib.contextmanager
def parent_run(experiment: str, run_name: str, params: Mapping[str, Any], config: Mapping[str, Any]) -> Iterator[str]:
    """One MLflow run around a pipeline; training runs inside it become its children."""
    mlflow = _mlflow()
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=run_name) as run:
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        mlflow.log_dict(json.loads(json.dumps(dict(config), default=str)), "resolved_config.json")
        yield run.info.run_id


def log_summary(metrics: Mapping[str, float], tags: Mapping[str, str]) -> None:
    """Metrics and tags on the active (parent) run."""
    mlflow = _mlflow()
    mlflow.log_metrics({k: float(v) for k, v in metrics.items() if v is not None and pd.notna(v)})
    mlflow.set_tags(dict(tags))


def log_lift(experiment: str, run_name: str, metrics: Mapping[str, float], tags: Mapping[str, str],
             artifacts_dir: Path | None = None) -> str:
    """One run with a list's measured lift, tagged with the model version that produced the list
    (and tagged on that registered version too, when it is one)."""
    mlflow = _mlflow()
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=run_name) as run:
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if v is not None and pd.notna(v)})
        mlflow.set_tags(dict(tags))
        if artifacts_dir is not None:
            mlflow.log_artifacts(str(artifacts_dir), artifact_path="lift")
    name, _, version = str(tags.get("model_version", "")).partition(" v")
    if version.isdigit():
        try:
            mlflow.MlflowClient().set_model_version_tag(name, version, f"lift_{tags.get('list')}_{tags.get('as_of')}",
                                                        f"{metrics.get('purchase_rate_lift_abs', float('nan')):.4f} "
                                                        f"(run {run.info.run_id})")
        except Exception as exc:  # noqa: BLE001 - a registry without that model: the run still holds the figures
            log.warning("could not tag %s v%s with its lift: %s", name, version, exc)
    return run.info.run_id


def champion_version(registered_name: str) -> str | None:
    """The version the ``champion`` alias points at, or None."""
    mlflow = _mlflow()
    try:
        return str(mlflow.MlflowClient().get_model_version_by_alias(registered_name, CHAMPION).version)
    except Exception as exc:  # noqa: BLE001 - MlflowException; its error_code tells "none yet" from a failure
        if getattr(exc, "error_code", None) in _NOT_FOUND:
            return None
        if _is_database_error(exc):  # a local store that is not a database: the caller names the file
            raise
        raise _unreachable(mlflow.get_tracking_uri(), exc) from exc


def _is_database_error(exc: BaseException) -> bool:
    import sqlite3

    from sqlalchemy.exc import SQLAlchemyError

    return isinstance(exc, (SQLAlchemyError, sqlite3.DatabaseError))


def load_version(registered_name: str, version: str):
    return _mlflow().sklearn.load_model(f"models:/{registered_name}/{version}")


def load_champion(registered_name: str) -> tuple[Any, dict, str] | None:
    """The champion's model, its training manifest and version, or None when there is none."""
    version = champion_version(registered_name)
    if version is None:
        return None
    mlflow = _mlflow()
    mv = mlflow.MlflowClient().get_model_version(registered_name, version)
    try:
        manifest = mlflow.artifacts.load_dict(f"runs:/{mv.run_id}/{MANIFEST}")
    except Exception as exc:  # noqa: BLE001 - MlflowException / OSError: a run from before manifests
        raise RepurchaseError(f"{registered_name} v{version} (run {mv.run_id}) has no {MANIFEST}: retrain it "
                              f"with this version of repurchase ({exc})") from exc
    return load_version(registered_name, version), manifest, version


def set_champion(registered_name: str, version: str, reason: str) -> None:
    client = _mlflow().MlflowClient()
    client.set_registered_model_alias(registered_name, CHAMPION, version)
    client.set_model_version_tag(registered_name, version, "promotion", reason)


def note_challenger(registered_name: str, version: str, reason: str) -> None:
    client = _mlflow().MlflowClient()
    client.set_model_version_tag(registered_name, version, "promotion", f"challenger: {reason}")


def masked_uri() -> str:
    """The tracking URI with any password replaced, for printing."""
    return _mask(os.environ.get("MLFLOW_TRACKING_URI") or tracking_uri())
