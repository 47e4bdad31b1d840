"""BG/NBD outputs as features (group ``btyd``, on by default; needs ``lifetimes``).

At each as-of date the model is fitted on the spine rows of that date, from their histories
strictly before it (unsupervised: no labels), so nothing after T is used. Its outputs summarise a
customer's buying process in a way trees find hard to learn from raw RFM alone.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from repurchase.errors import RepurchaseError
from repurchase.features._context import FeatureContext
from repurchase.engine.btyd import btyd_columns
from repurchase.features.bgnbd import BGNBDBaseline, lifetimes_available

log = logging.getLogger(__name__)


def btyd(ctx: FeatureContext) -> dict[str, np.ndarray]:
    if not lifetimes_available():
        log.warning("feature group 'btyd' needs lifetimes (pip install 'repurchase[btyd]'); skipped")
        return {}
    summary = pd.DataFrame(btyd_columns(ctx.session))
    horizons = sorted(set(ctx.config.btyd_horizons_days))
    names = ["btyd_repeat_days", "btyd_recency_days", "btyd_age_days", "bgnbd_p_alive",
             *[f"bgnbd_p_buy_{h}d" for h in horizons], "bgnbd_expected_purchases_90d"]
    out = {n: np.full(ctx.n, np.nan) for n in names}
    out["btyd_repeat_days"] = summary["frequency"].to_numpy(float)
    out["btyd_recency_days"] = summary["recency"].to_numpy(float)
    out["btyd_age_days"] = summary["T"].to_numpy(float)
    for t in np.unique(ctx.q_t):
        rows = ctx.q_t == t
        s = summary.loc[rows]
        try:
            bg = BGNBDBaseline().fit(s)
        except RepurchaseError as exc:
            log.warning("BG/NBD features at %s: %s; left empty", pd.Timestamp(t, unit="s").date(), exc)
            continue
        x, tx, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
        with np.errstate(all="ignore"):
            alive = np.asarray(bg.model_.conditional_probability_alive(x, tx, T), float)
            expected = np.asarray(bg.model_.conditional_expected_number_of_purchases_up_to_time(90, x, tx, T), float)
        out["bgnbd_p_alive"][rows] = np.where(np.isfinite(alive), alive, np.nan)
        for h in horizons:
            out[f"bgnbd_p_buy_{h}d"][rows] = bg.p_buy(s, h)
        out["bgnbd_expected_purchases_90d"][rows] = np.where(np.isfinite(expected), expected, np.nan)
    return out
