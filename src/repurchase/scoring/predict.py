"""Prediction: the features at T through the training code path, each champion's probability,
and the drift of the scored population against each model's training holdout."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from repurchase.config import ScoringConfig
from repurchase.errors import DataError
from repurchase.features import build_features, feature_columns
from repurchase.models.lgbm import check_feature_names
from repurchase.schema import Tables
from repurchase.scoring.models import ScoringModel, ScoringModels
from repurchase.spine import AsOfContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Predictions:
    """Every champion's probabilities at T and the feature frames behind them.

    Attributes
    ----------
    features : dict
        One feature frame per distinct pinned feature config (see :func:`config_key`).
    probs : dict
        ``"{task}_{horizon_days}"`` -> P per customer, in spine order.
    spine : DataFrame
        The first feature frame built: every model's frame has the same customers in this order.
    """

    features: dict[str, pd.DataFrame]
    probs: dict[str, np.ndarray]
    spine: pd.DataFrame

    def features_of(self, m: ScoringModel) -> pd.DataFrame:
        return self.features[config_key(m)]

    def p(self, m: ScoringModel) -> np.ndarray:
        return self.probs[f"{m.task}_{m.horizon_days}"]


def config_key(m: ScoringModel) -> str:
    """Models trained with the same pinned feature config share one feature build."""
    return json.dumps(m.manifest["features_config"], sort_keys=True)


def predict(tables: Tables, ctx: AsOfContext, models: ScoringModels, timings: dict[str, float], *,
            progress: bool = False, batch_rows: int | None = None, engine: dict | None = None) -> Predictions:
    """Features at T once per distinct (pinned) feature config (usually one build serves every
    model), then each model's probabilities; the time taken goes to ``timings``.

    ``batch_rows``: customers per prediction batch (``scoring.batch_rows``; None: all at once).
    A model's inputs (the column selection LightGBM converts to a matrix, the blend's stacked
    logits) exist for one batch at a time; the probabilities do not depend on it, every row is
    predicted on its own. ``engine``: where the features run (:func:`repurchase.engine.connect`
    arguments, ``config.engine``; None: DuckDB in-process).
    """
    t0 = time.perf_counter()
    built: dict[str, pd.DataFrame] = {}
    probs: dict[str, np.ndarray] = {}
    for m in models.all():
        key = config_key(m)
        if key not in built:
            built[key] = build_features(tables, [ctx.ts], config=m.feature_config, progress=progress, engine=engine)
        feats = built[key]
        first = next(iter(built.values()))
        if not feats["customer_id"].equals(first["customer_id"]):
            raise DataError("the models were trained with different spines (features.include_non_buyers); retrain them alike")
        probs[f"{m.task}_{m.horizon_days}"] = _predict(m, feats, batch_rows)
    timings["features_and_models"] = time.perf_counter() - t0
    if not built or len(first) == 0:
        raise DataError(f"no customer has a paid order before {ctx.date}: nothing to score")
    return Predictions(built, probs, first)


def batches(n: int, batch_rows: int | None) -> list[slice]:
    """Consecutive row slices of at most ``batch_rows`` rows covering ``range(n)`` (one slice
    when ``batch_rows`` is None; none when ``n`` is 0)."""
    step = max(1, batch_rows or n or 1)
    return [slice(a, min(n, a + step)) for a in range(0, n, step)]


def rows_of(frame: pd.DataFrame, rows: np.ndarray, columns: list[str]) -> pd.DataFrame:
    """``frame[columns].iloc[rows]`` as one take: only the listed rows are copied, not every
    customer's inputs first."""
    at = frame.columns.get_indexer(columns)
    if (at < 0).any():
        raise KeyError([c for c, i in zip(columns, at) if i < 0])
    return frame.iloc[rows, at]


def _predict(m: ScoringModel, feats: pd.DataFrame, batch_rows: int | None = None) -> np.ndarray:
    if m.rules:
        cols = [c for c in feats.columns if c in m.model.features_in_]
    else:
        try:  # names and dtypes only: no copy of the frame
            check_feature_names(m.features, feats.iloc[:0][feature_columns(feats)], m.dtypes)
        except DataError as exc:
            raise DataError(f"{m.version} ({m.task}, {m.horizon_days} d): {exc} Retrain the model on this data, "
                            "or score data with the columns it was trained on.") from exc
        cols = m.features
    parts = [m.model.predict_proba(feats.iloc[rows][cols])[:, 1] for rows in batches(len(feats), batch_rows)]
    return np.concatenate(parts) if parts else m.model.predict_proba(feats[cols])[:, 1]


def populations(models: ScoringModels, preds: Predictions, active: np.ndarray):
    """(model, row mask) of the two main models: the need model scores everyone, the churn model
    the active customers it was trained on. Drift, its references and the run report's insights
    all look at these rows."""
    return ((models.need, np.ones(len(preds.spine), dtype=bool)), (models.churn, active))


def drift(models: ScoringModels, preds: Predictions, active: np.ndarray, sc: ScoringConfig,
          previous: dict | None = None, as_of: str | None = None) -> dict[str, pd.DataFrame]:
    """PSI per feature and of the score against each model's training holdout and, given
    ``previous`` (task -> the previous run's reference), against the previous scoring run; a
    warning for each column whose judged PSI is above ``scoring.drift_warn_psi`` (features that
    grow with time are judged against the previous run only)."""
    from repurchase.models.drift import drift_table

    out = {}
    for m, rows in populations(models, preds, active):
        if m.rules or "reference" not in m.manifest:
            continue
        ref = {"_as_of": m.manifest.get("holdout"), **m.manifest["reference"]}
        out[m.task] = drift_table(ref, preds.features_of(m).loc[rows, m.features], preds.p(m)[rows],
                                  previous=(previous or {}).get(m.task), as_of=as_of)
    for task, d in out.items():
        high = d.loc[d["judged_psi"] > sc.drift_warn_psi]
        if len(high):
            log.warning("%s: %d columns drifted (PSI > %s): %s", task, len(high), sc.drift_warn_psi,
                        ", ".join(f"{c} {v:.2f}" for c, v in zip(high["column"][:5], high["judged_psi"][:5])))
    return out


def drift_references(models: ScoringModels, preds: Predictions, active: np.ndarray,
                     as_of: str | None = None) -> dict[str, dict]:
    """Today's distributions per model (what the next run compares with), as
    :func:`repurchase.models.drift.reference` builds them at training."""
    from repurchase.models.drift import reference

    out = {}
    for m, rows in populations(models, preds, active):
        if not m.rules:
            out[m.task] = reference(preds.features_of(m).loc[rows, m.features], preds.p(m)[rows], as_of)
    return out


def drift_summary(d: pd.DataFrame, sc: ScoringConfig) -> dict:
    """The largest judged PSI of one model's drift table, the columns over the warning level, and
    the features left out of the comparison with training because they grow with time."""
    if d.empty:
        return {"max_psi": None, "worst": None, "over_warn": [], "judged_on_previous_run_only": []}
    top = d.iloc[0]
    judged = d["judged_psi"].notna()
    return {"max_psi": float(d["judged_psi"].max()) if judged.any() else None,
            "worst": f"{top['column']} PSI {top['judged_psi']:.3f}" if judged.any() else None,
            "over_warn": d.loc[d["judged_psi"] > sc.drift_warn_psi, "column"].tolist(),
            "judged_on_previous_run_only": d.loc[d["grows_with_time"], "column"].tolist()}


def refuse_drift(summary: dict, sc: ScoringConfig) -> None:
    """Raise when a model's largest PSI is over ``scoring.drift_max_psi``: nothing is exported."""
    too_far = {t: s["max_psi"] for t, s in summary["drift"].items()
               if sc.drift_max_psi is not None and s["max_psi"] is not None and s["max_psi"] > sc.drift_max_psi}
    if too_far:
        raise DataError(f"drift above scoring.drift_max_psi = {sc.drift_max_psi}: "
                        + "; ".join(f"{t}: {summary['drift'][t]['worst']}" for t in too_far)
                        + ". The population no longer looks like the one the models were trained on; nothing was "
                          "exported. Retrain, or raise the threshold if the change is expected.")
