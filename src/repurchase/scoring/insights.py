"""What drives each model on today's population, for the run report: mean |SHAP| per feature and
how often each feature is a row's top reason, on a seeded sample of the scored rows (exact
TreeSHAP on a few thousand rows takes seconds, on millions it would take minutes)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from repurchase.scoring.explain import contributions
from repurchase.scoring.models import ScoringModels
from repurchase.scoring.predict import Predictions, populations


def model_insights(models: ScoringModels, preds: Predictions, active: np.ndarray, *, sample_rows: int = 2000,
                   seed: int = 0, top: int = 12) -> dict[str, dict]:
    """Per main model (need, churn): ``importance`` (feature, mean |contribution|), ``top_driver``
    (feature, share of sampled rows whose largest upward push it is), ``rows`` sampled; models
    without per-row contributions are left out with ``note``."""
    out = {}
    for m, rows in populations(models, preds, active):
        X = preds.features_of(m).loc[rows, m.features]
        if len(X) > sample_rows:
            X = X.sample(sample_rows, random_state=seed)
        try:
            c = np.asarray(contributions(m.model, X), float)
        except (AttributeError, TypeError, ValueError) as exc:  # a shipped baseline without contributions
            out[m.task] = {"rows": len(X), "importance": [], "top_driver": [], "note": f"no per-row contributions: {exc}"}
            continue
        if len(X) == 0:
            out[m.task] = {"rows": 0, "importance": [], "top_driver": [], "note": "nobody scored"}
            continue
        mean_abs = pd.Series(np.abs(c).mean(axis=0), index=m.features).sort_values(ascending=False)
        best = np.where(c.max(axis=1) > 0, c.argmax(axis=1), -1)
        drivers = pd.Series([m.features[j] for j in best if j >= 0]).value_counts(normalize=True)
        out[m.task] = {"rows": int(len(X)), "note": "",
                       "importance": [(f, float(v)) for f, v in mean_abs.head(top).items()],
                       "top_driver": [(f, float(v)) for f, v in drivers.head(top).items()]}
    return out


__all__ = ["model_insights"]
