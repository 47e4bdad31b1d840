"""Community engagement: event counts per type and window, recency, check-in rate, trend,
referrals, group membership and the most active hour."""

from __future__ import annotations

import numpy as np
import pandas as pd

from repurchase.features._context import FeatureContext
from repurchase._timeline import Timeline, epoch_seconds, mode_by_code
from repurchase.features.catalog import safe_name

#: event types that describe membership, not engagement
MEMBERSHIP = ("group_join", "group_leave")


def counted_types(ctx: FeatureContext) -> list[str]:
    """The engagement event types counted: ``features.event_types`` when pinned, else the most
    frequent before the latest as-of date (ties by name), at most ``features.top_event_types``."""
    if ctx.config.event_types is not None:
        return list(ctx.config.event_types)
    arr = ctx.event_arrays
    counts = np.bincount(arr["type"][arr["ts"] < ctx.t_max], minlength=len(arr["types"]))
    ranked = sorted(((t, n) for t, n in zip(arr["types"], counts) if n and t not in MEMBERSHIP),
                    key=lambda kv: (-kv[1], kv[0]))
    return [t for t, _ in ranked[: ctx.config.top_event_types]]


def engagement(ctx: FeatureContext) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    ev = ctx.tables.events
    cfg = ctx.config
    if ev is not None:
        types = counted_types(ctx)
        for etype in types:
            tl, _ = ctx.events_of([etype], cache=False)
            pos = tl.pos(ctx.q_codes, ctx.q_t)
            for w in cfg.engagement_windows_days:
                out[f"{safe_name(etype)}_{w}d"] = ctx.col(pos - tl.pos(ctx.q_codes, ctx.t_minus(w)))
            del tl
        tl, rows = ctx.events_of(types, cache=False)
        pos, start = tl.pos(ctx.q_codes, ctx.q_t), tl.start(ctx.q_codes)
        last30 = pos - tl.pos(ctx.q_codes, ctx.t_minus(30))
        prev30 = tl.pos(ctx.q_codes, ctx.t_minus(30)) - tl.pos(ctx.q_codes, ctx.t_minus(60))
        out["events_30d"] = last30.astype(np.float64)
        out["engagement_trend_30d"] = np.where(last30 + prev30 > 0, (last30 - prev30) / np.maximum(last30 + prev30, 1), 0.0)
        out["days_since_last_engagement"] = ctx.days_to_t(tl.gather(tl.ts, pos - 1, pos > start))
        hour = ctx.event_arrays["hour"][rows].astype(np.int64)  # in timeline order already
        mode, _ = mode_by_code(tl.codes, tl.ts, hour, 24, ctx.q_codes, ctx.q_t, since=ctx.t_minus(90))
        out["most_active_hour_90d"] = np.where(mode >= 0, mode, np.nan).astype(np.float64)
        tl, _ = ctx.events_of(["referral"])
        out["referrals_made"] = (tl.pos(ctx.q_codes, ctx.q_t) - tl.start(ctx.q_codes)).astype(np.float64)
    out.update(_membership(ctx))
    return out


def _membership(ctx: FeatureContext) -> dict[str, np.ndarray]:
    """In a group at T, days since joining, and the 30-day check-in rate over days in the group."""
    c, ev = ctx.tables.customers, ctx.tables.events
    has_join_col = c is not None and "joined_group_ts" in c.columns
    res: dict[str, np.ndarray] = {}
    if has_join_col or ev is not None:
        joined = _per_customer_before(ctx, c, "joined_group_ts") if has_join_col else np.full(ctx.n, np.nan)
        left = np.full(ctx.n, np.nan)
        if ev is not None:
            for etype in ("group_join", "group_leave"):
                tl, _ = ctx.events_of([etype])
                pos, start = tl.pos(ctx.q_codes, ctx.q_t), tl.start(ctx.q_codes)
                last = tl.gather(tl.ts, pos - 1, pos > start)
                if etype == "group_join":
                    joined = np.fmax(joined, last)
                else:
                    left = last
        in_group = np.isfinite(joined) & ~(np.isfinite(left) & (left >= np.nan_to_num(joined, nan=-np.inf)))
        res["in_group"] = in_group.astype(np.float64)
        res["days_since_joined_group"] = np.where(in_group, ctx.days_to_t(joined), np.nan)
    if ev is not None:
        days_in = np.full(ctx.n, 30.0)
        if "in_group" in res:
            days_in = np.where(res["in_group"] > 0, np.minimum(30.0, np.maximum(res["days_since_joined_group"], 1.0)), 30.0)
        res["checkin_rate_30d"] = _checkin_days(ctx, 30) / days_in
    if c is not None and "registered_ts" in c.columns:
        reg = _per_customer_before(ctx, c, "registered_ts")
        res["days_since_registered"] = ctx.days_to_t(reg)
    return res


def _per_customer_before(ctx: FeatureContext, frame: pd.DataFrame, column: str) -> np.ndarray:
    """A per-customer timestamp (epoch seconds) for each spine row, NaN unless before T."""
    ok = frame[column].notna()
    per = np.full(ctx.index.n_codes, np.nan)
    per[ctx.index.codes(frame.loc[ok, "customer_id"])] = epoch_seconds(frame.loc[ok, column])
    value = per[ctx.q_codes]
    return np.where(value < ctx.q_t, value, np.nan)


def _checkin_days(ctx: FeatureContext, window: int) -> np.ndarray:
    """Distinct local days with a check-in in [T - window, T)."""
    key = ("checkin_days",)
    if key not in ctx._cache:
        tl, rows = ctx.events_of(["checkin"])
        day = ctx.event_arrays["day"][rows]
        # rows are sorted by (customer, time): a new day is a change of customer or of day
        first = np.ones(len(rows), dtype=bool)
        first[1:] = (tl.codes[1:] != tl.codes[:-1]) | (day[1:] != day[:-1])
        # one row per check-in day, stamped at the first check-in of that day
        ctx._cache[key] = Timeline.build(tl.codes[first], tl.ts[first], ctx.index.n_codes, presorted=True)
    tl = ctx._cache[key]
    return (tl.pos(ctx.q_codes, ctx.q_t) - tl.pos(ctx.q_codes, ctx.t_minus(window))).astype(np.float64)
