"""Purchase rhythm: gaps between orders, how "due" a customer is, trend, preferred day and hour."""

from __future__ import annotations

import warnings

import numpy as np

from repurchase.features._context import FeatureContext
from repurchase._timeline import DAY_S, mode_by_code

LAST_GAPS = 10


def rhythm(ctx: FeatureContext, rfm: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    o = ctx.orders
    tl = o.tl
    start, pos = ctx.orders_pos
    n_gaps = np.maximum(pos - start - 1, 0)
    # gap[i]: days from the customer's previous order to row i (NaN on a customer's first row)
    gap = np.full(len(tl), np.nan)
    # gaps on the local wall clock: midnight to midnight is whole days across daylight saving
    wall = ctx.orders_wall
    gap_s = np.zeros(len(tl), dtype=np.int64)  # whole seconds: exact integer sums of squares
    if len(tl) > 1:
        same = tl.codes[1:] == tl.codes[:-1]
        gap_s[1:] = np.where(same, wall[1:] - wall[:-1], 0)
        gap[1:] = np.where(same, gap_s[1:] / DAY_S, np.nan)
    sq = tl.prefix(gap_s * gap_s)
    first = tl.gather(wall, start, pos > start)
    last = tl.gather(wall, pos - 1, pos > start)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n_gaps >= 1, (last - first) / DAY_S / n_gaps, np.nan)
        # sum of squared gaps before T (rows start+1 .. pos-1), exact in seconds^2
        ss = (sq[np.maximum(pos, start + 1)] - sq[np.minimum(start + 1, len(sq) - 1)]).astype(np.float64)
        mean_s = mean * DAY_S
        var = np.where(n_gaps >= 2, ss / n_gaps - mean_s * mean_s, np.nan) / (DAY_S * DAY_S)
    std = np.sqrt(np.clip(var, 0.0, None))

    median_recent = np.full(ctx.n, np.nan)
    chunk = 1_000_000  # the (rows x 10) matrix of recent gaps, a chunk at a time
    for lo in range(0, ctx.n, chunk):
        hi = min(lo + chunk, ctx.n)
        recent = np.full((hi - lo, LAST_GAPS), np.nan)
        for j in range(LAST_GAPS):
            idx = pos[lo:hi] - 1 - j
            recent[:, j] = tl.gather(gap, idx, idx > start[lo:hi])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: customers with one order
            median_recent[lo:hi] = np.nanmedian(recent, axis=1)

    # "Due": days since the last order over the customer's typical gap, shrunk toward the
    # population's typical gap at the same as-of date when the customer has few gaps.
    k = ctx.config.due_shrinkage_gaps
    due = np.full(ctx.n, np.nan)
    for t in np.unique(ctx.q_t):
        rows = ctx.q_t == t
        m = mean[rows]
        pop = np.nanmedian(m) if np.isfinite(m).any() else np.nan
        typical = (np.nan_to_num(m) * n_gaps[rows] + k * pop) / (n_gaps[rows] + k) if k > 0 else m
        with np.errstate(invalid="ignore", divide="ignore"):  # a zero typical gap says nothing
            due[rows] = np.where(typical > 0, rfm["days_since_last_order"][rows] / typical, np.nan)

    last90 = rfm.get("orders_90d", (pos - ctx.orders_in(90)).astype(np.float64))
    prev90 = (ctx.orders_in(90) - ctx.orders_in(180)).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        trend = np.where(last90 + prev90 > 0, (last90 - prev90) / (last90 + prev90), 0.0)

    weekday, _ = mode_by_code(tl.codes, tl.ts, o.weekday, 7, ctx.q_codes, ctx.q_t)
    hour, _ = mode_by_code(tl.codes, tl.ts, o.hour, 24, ctx.q_codes, ctx.q_t)
    return {
        "gap_mean_days": mean,
        "gap_std_days": std,
        "gap_median_last10_days": median_recent,
        "due_ratio": due,
        "orders_trend_90d": trend,
        "preferred_weekday": np.where(weekday >= 0, weekday, np.nan).astype(np.float64),
        "preferred_hour": np.where(hour >= 0, hour, np.nan).astype(np.float64),
    }
