"""Purchase rhythm: gaps between orders, how "due" a customer is, trend, preferred day and hour.

The columns are queries (:mod:`repurchase.engine.rhythm`); the due ratio, which shrinks each
customer's mean gap toward the population's median at the same as-of date, is computed here on
the finished columns.
"""

from __future__ import annotations

import numpy as np

from repurchase.engine.rhythm import rhythm_columns
from repurchase.features._context import FeatureContext


def rhythm(ctx: FeatureContext, rfm: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    got = rhythm_columns(ctx.session)
    n_gaps = got.pop("_n_gaps").astype(np.int64)
    due = _due(ctx, got["gap_mean_days"], n_gaps, rfm["days_since_last_order"])
    names = ["gap_mean_days", "gap_std_days", "gap_median_last10_days"]
    return {**{k: got[k] for k in names}, "due_ratio": due,
            **{k: got[k] for k in ("orders_trend_90d", "preferred_weekday", "preferred_hour")}}


def _due(ctx: FeatureContext, mean: np.ndarray, n_gaps: np.ndarray, since: np.ndarray) -> np.ndarray:
    """Days since the last order over the customer's typical gap, shrunk toward the population's
    typical gap at the same as-of date when the customer has few gaps."""
    k = ctx.config.due_shrinkage_gaps
    due = np.full(ctx.n, np.nan)
    for t in np.unique(ctx.q_t):
        rows = ctx.q_t == t
        m = mean[rows]
        pop = np.nanmedian(m) if np.isfinite(m).any() else np.nan
        typical = (np.nan_to_num(m) * n_gaps[rows] + k * pop) / (n_gaps[rows] + k) if k > 0 else m
        with np.errstate(invalid="ignore", divide="ignore"):  # a zero typical gap says nothing
            due[rows] = np.where(typical > 0, since[rows] / typical, np.nan)
    return due
