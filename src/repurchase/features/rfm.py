"""RFM: recency, frequency and monetary value, all-time and per window, plus scores and segments.

The columns are queries (:mod:`repurchase.engine.rfm`); the 3-bit segment code, which compares
each customer with the population of its as-of date, is computed here on the finished columns.
"""

from __future__ import annotations

import numpy as np

from repurchase.engine.rfm import rfm_columns
from repurchase.features._context import FeatureContext
from repurchase.segments import rfm_code, thresholds


def rfm(ctx: FeatureContext) -> dict[str, np.ndarray]:
    out = rfm_columns(ctx.session, ctx.config.windows_days)
    out["rfm_code"] = _codes(ctx, out)
    return out


def _codes(ctx: FeatureContext, f: dict[str, np.ndarray]) -> np.ndarray:
    recency, orders, spend = f["days_since_last_order"], f["orders_count"], f["spend_total"]
    code = np.zeros(ctx.n, dtype=np.int64)
    cfg = ctx.config
    for t in np.unique(ctx.q_t):
        rows = ctx.q_t == t
        thr = thresholds(recency[rows], orders[rows], spend[rows], cfg.rfm_threshold, cfg.rfm_fixed)
        code[rows] = rfm_code(recency[rows], orders[rows], spend[rows], thr)
    return code
