"""RFM: recency, frequency and monetary value, all-time and per window, plus scores and segments."""

from __future__ import annotations

import numpy as np
import pandas as pd

from repurchase.features._context import FeatureContext
from repurchase.segments import rfm_code, thresholds


def rfm(ctx: FeatureContext) -> dict[str, np.ndarray]:
    o = ctx.orders
    tl = o.tl
    start, pos = ctx.orders_pos
    has = pos > start
    n_orders = (pos - start).astype(np.float64)
    amount = tl.prefix(o.amount_cents)
    spend = (amount[pos] - amount[start]) / 100.0
    out: dict[str, np.ndarray] = {
        "days_since_last_order": ctx.days_to_t(tl.gather(ctx.orders_wall, pos - 1, has), wall=True),
        "days_since_first_order": ctx.days_to_t(tl.gather(ctx.orders_wall, start, has), wall=True),
        "orders_count": n_orders,
    }
    for w in ctx.config.windows_days:
        out[f"orders_{w}d"] = (pos - ctx.orders_in(w)).astype(np.float64)
    out["spend_total"] = spend
    for w in ctx.config.windows_days:
        out[f"spend_{w}d"] = ctx.col((amount[pos] - amount[ctx.orders_in(w)]) / 100.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["avg_order_value"] = np.where(has, spend / n_orders, np.nan)
    running_max = (
        pd.Series(o.amount_cents).groupby(tl.codes, sort=False).cummax().to_numpy() / 100.0
        if len(tl) else np.array([])
    )
    out["max_order_value"] = tl.gather(running_max, pos - 1, has)
    out.update(_scores(ctx, out))
    return out


def _quintile(values: np.ndarray, groups: np.ndarray, higher_is_better: bool = True) -> np.ndarray:
    """1..5 by percentile rank within each as-of group (ties share the average rank)."""
    s = pd.Series(values if higher_is_better else -values)
    pct = s.groupby(groups, sort=False).rank(pct=True, method="average").to_numpy()
    return np.where(np.isfinite(pct), np.clip(np.ceil(pct * 5), 1, 5), 1).astype(np.float64)


def _scores(ctx: FeatureContext, f: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    recency = f["days_since_last_order"]
    groups = ctx.q_t
    out = {
        "r_score": _quintile(np.where(np.isfinite(recency), recency, np.inf), groups, higher_is_better=False),
        "f_score": _quintile(f["orders_count"], groups),
        "m_score": _quintile(f["spend_total"], groups),
    }
    code = np.zeros(ctx.n, dtype=np.int64)
    cfg = ctx.config
    for t in np.unique(groups):
        rows = groups == t
        thr = thresholds(recency[rows], f["orders_count"][rows], f["spend_total"][rows], cfg.rfm_threshold, cfg.rfm_fixed)
        code[rows] = rfm_code(recency[rows], f["orders_count"][rows], f["spend_total"][rows], thr)
    out["rfm_code"] = code
    return out
