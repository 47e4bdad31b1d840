"""Offers: how much a customer buys on discount, and the coupons they hold at the as-of date."""

from __future__ import annotations

import numpy as np
import pandas as pd

from repurchase.features._context import FeatureContext
from repurchase._timeline import DAY_S, epoch_seconds


def offers(ctx: FeatureContext) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    o = ctx.orders
    start, pos = ctx.orders_pos
    n = (pos - start).astype(np.float64)
    if o.has_offer is not None:
        offer = o.tl.prefix(o.has_offer)
        disc = o.tl.prefix(o.discount_cents)
        paid = o.tl.prefix(o.amount_cents)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["discount_order_share"] = np.where(n > 0, (offer[pos] - offer[start]) / n, np.nan)
            gross = (paid[pos] - paid[start]) + (disc[pos] - disc[start])
            out["avg_discount_depth"] = np.where(gross > 0, (disc[pos] - disc[start]) / gross, np.nan)
    # Which columns exist depends on the tables present, never on their rows (no leak, and a
    # stable feature set between training and scoring).
    if ctx.tables.events is not None:
        out.update(_coupons(ctx))
    return out


def _coupons(ctx: FeatureContext) -> dict[str, np.ndarray]:
    """Open coupons at T: claimed before T, expiring after T, not redeemed before T.

    A redemption is matched to a claim of the same customer with the same expiry (``coupon_redeem``
    events carry the coupon's ``expires_ts``); without expiries no coupon counts as open (0, and
    no days to expiry). Also the all-time redemption rate.
    """
    claims_tl, claim_rows = ctx.events_of(["coupon_claim"])
    redeem = ctx.events_of(["coupon_redeem"])
    events = ctx.tables.events
    claims = events.iloc[ctx.event_arrays["row"][claim_rows]]
    out: dict[str, np.ndarray] = {}
    claimed = claims_tl.pos(ctx.q_codes, ctx.q_t) - claims_tl.start(ctx.q_codes)
    r_tl = redeem[0]
    redeemed = r_tl.pos(ctx.q_codes, ctx.q_t) - r_tl.start(ctx.q_codes)
    out["coupon_redeem_rate"] = np.where(claimed > 0, np.minimum(redeemed / np.maximum(claimed, 1), 1.0), np.nan)
    open_count = np.zeros(ctx.n)
    nearest = np.full(ctx.n, np.nan)
    if "expires_ts" in claims.columns and claims["expires_ts"].notna().any():
        c_code = ctx.index.codes(claims["customer_id"])
        c_t, c_x = epoch_seconds(claims["event_ts"]), _seconds_or_min(claims["expires_ts"])
        if "expires_ts" in events.columns:
            r = events.iloc[ctx.event_arrays["row"][redeem[1]]]
            r_code, r_t, r_x = ctx.index.codes(r["customer_id"]), epoch_seconds(r["event_ts"]), _seconds_or_min(r["expires_ts"])
        else:
            r_code = r_t = r_x = np.array([], dtype=np.int64)
        for t in np.unique(ctx.q_t):
            live = (c_t < t) & (c_x > t)
            if not live.any():
                continue
            held = pd.DataFrame({"c": c_code[live], "x": c_x[live]}).value_counts()
            used_mask = (r_t < t) & (r_x > t)
            used = pd.DataFrame({"c": r_code[used_mask], "x": r_x[used_mask]}).value_counts()
            left = held.sub(used, fill_value=0).clip(lower=0)
            left = left[left > 0].reset_index()
            rows = np.flatnonzero(ctx.q_t == t)
            if left.empty:
                continue
            per = left.groupby("c").agg(n=("count", "sum"), x=("x", "min"))
            hit = per.reindex(ctx.q_codes[rows])
            open_count[rows] = hit["n"].fillna(0).to_numpy()
            # local calendar days: an expiry at midnight is whole days away across daylight saving
            nearest[rows] = (ctx.wall(hit["x"].to_numpy(dtype=np.float64)) - ctx.wall(np.array([t], dtype=np.float64))) / DAY_S
    out["coupons_open"] = open_count
    out["days_to_coupon_expiry"] = nearest
    return out


def _seconds_or_min(ts: pd.Series) -> np.ndarray:
    out = np.full(len(ts), np.iinfo(np.int64).min, dtype=np.int64)
    ok = ts.notna().to_numpy()
    out[ok] = epoch_seconds(ts[ok])
    return out
