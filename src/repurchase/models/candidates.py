"""When LightGBM loses to a baseline on the holdout, the best candidate is shipped instead.

The promotion gate never makes a champion of a model that is worse than the best baseline on the
holdout. Refusing alone would leave scoring on the RFM rules (or an older champion), which can be
worse than the baseline that just won; so the winning baseline becomes the champion, on the same
holdout rows, and every list row names it (``model_version`` ends in ``(rfm_logistic)`` or
``(bgnbd)``). Only baselines that score from the feature rows can ship: RFM logistic, and BG/NBD's
P(buy) when the ``btyd`` features hold the model's exact horizon.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from repurchase.models.baselines import FeatureScore
from repurchase.models.evaluate import metrics as score_metrics

#: the scorer of a manifest without a "scorer" key
DEFAULT_SCORER = "lightgbm"


def shippable_baselines(fitted: dict, X: pd.DataFrame, y: np.ndarray, task: str, horizon_days: int) -> dict[str, tuple]:
    """``{name: (scorer, holdout AUC, holdout p)}`` for the baselines that can be shipped."""
    out = {}
    cands = {"rfm_logistic": fitted["rfm_logistic"]} if "rfm_logistic" in fitted else {}
    column = f"bgnbd_p_buy_{horizon_days}d"
    if column in X.columns and X[column].notna().any():
        cands["bgnbd"] = FeatureScore(column, flip=task == "churn").fit(X, y)
    for name, m in cands.items():
        p = m.predict_proba(X)[:, 1]
        out[name] = (m, float(score_metrics(y, p)["auc"]), p)
    return out


def best_candidate(lightgbm_auc: float, shippable: dict, champion_auc: float | None, min_gain: float) -> str | None:
    """The baseline to ship instead of LightGBM: the best shippable one, when it beats LightGBM and
    any comparable champion (by more than ``min_gain``); else None."""
    if not shippable:
        return None
    name = max(shippable, key=lambda k: (shippable[k][1], k))
    auc = shippable[name][1]
    if not auc > lightgbm_auc:
        return None
    if champion_auc is not None and not auc - champion_auc > min_gain:
        return None
    return name


def labelled(version: str, manifest: dict) -> str:
    """A model version as list rows show it: with the scorer when it is not LightGBM."""
    scorer = manifest.get("scorer", DEFAULT_SCORER)
    return version if scorer == DEFAULT_SCORER or manifest.get("rules") else f"{version} ({scorer})"
