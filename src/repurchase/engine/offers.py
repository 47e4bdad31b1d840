"""Offers as queries: how much a customer buys on discount, and the coupons they hold at T.

Discount share and depth are running counts and cent sums of paid orders per as-of key
(:mod:`repurchase.engine._keys`). A coupon is held at T when claimed before T and expiring after
T, less the redemptions before T of the same customer and expiry: every claim and redemption of
one (customer, expiry) leaves on the same date (the last before the expiry), so per (customer,
expiry) the net count is a running sum over the dates from its first key up to that exit, clipped
at 0 on each date. Only those few dates are joined, never every row to every date. Counts, cents
and epoch seconds stay integers until the final divisions, which are the numpy path's operations
in the same order, so the values are identical to it.
"""

from __future__ import annotations

import ibis
import numpy as np

from repurchase.engine._keys import cumulative, entry_key, keyed_counts, left_join, round_half_even
from repurchase.engine._time import DAY_S, secs
from repurchase.engine.session import Session
from repurchase.schema import VALID_ORDER_STATUS

CLAIM, REDEEM = "coupon_claim", "coupon_redeem"
_NULL = ibis.null("float64")


def has_discounts(s: Session) -> bool:
    """Whether the discount columns exist: orders with ``discount_amount`` or ``coupon_id``."""
    return bool({"discount_amount", "coupon_id"} & set(s.tables.orders.columns))


def offer_names(s: Session) -> list[str]:
    """The offers columns in output order (by the columns and tables present, never their rows)."""
    names = ["discount_order_share", "avg_discount_depth"] if has_discounts(s) else []
    if s.tables.events is not None:
        names += ["coupon_redeem_rate", "coupons_open", "days_to_coupon_expiry"]
    return names


def _paid_orders(s: Session) -> ibis.Table:
    """Paid orders (status ``paid`` or missing, as :meth:`Session.paid_orders`) with their
    discount: ``customer_id``, ``ts_s``, ``cents``, ``disc`` (cents, missing = 0) and ``offer``
    (1 when discounted or with a coupon)."""
    o = s.table("orders", ["customer_id", "order_ts", "amount", "status", "discount_amount", "coupon_id"])
    if "status" in o.columns:
        o = o.filter(o.status.isnull() | (o.status == VALID_ORDER_STATUS))
    d = o.discount_amount.cast("float64").fill_null(0.0) if "discount_amount" in o.columns else ibis.literal(0.0)
    offer = d > 0
    if "coupon_id" in o.columns:
        offer = offer | o.coupon_id.notnull()
    return o.select("customer_id", ts_s=secs(o.order_ts), cents=round_half_even(o.amount * 100),
                    disc=round_half_even(d * 100), offer=offer.cast("int64"))


def _discounts(s: Session, x: ibis.Table) -> tuple[ibis.Table, dict]:
    o = _paid_orders(s)
    deltas = [keyed_counts(o, entry_key(o.ts_s, s), s.n_dates, n_in=lambda r: r.count(),
                           offers=lambda r: r.offer.sum(), c_in=lambda r: r.cents.sum(),
                           d_in=lambda r: r.disc.sum())]
    x = left_join(x, cumulative(deltas, s.asof, sums=["n_in", "offers", "c_in", "d_in"]))
    n, disc = x.n_in.fill_null(0), x.d_in.fill_null(0)
    gross = x.c_in.fill_null(0) + disc
    return x, {"discount_order_share": ibis.ifelse(n > 0, x.offers.fill_null(0) / n, _NULL),
               "avg_discount_depth": ibis.ifelse(gross > 0, disc / gross, _NULL)}


def _coupon_events(s: Session) -> ibis.Table:
    """Claims and redemptions: ``customer_id``, ``ts_s``, ``claim`` (1/0) and ``x`` (the expiry's
    epoch second, or null; only with an ``expires_ts`` column), computed once."""
    e = s.table("events", ["customer_id", "event_ts", "event_type", "expires_ts"])
    e = e.filter(e.event_type.isin([CLAIM, REDEEM]))
    cols = {"ts_s": secs(e.event_ts), "claim": (e.event_type == CLAIM).cast("int64")}
    if "expires_ts" in e.columns:
        cols["x"] = secs(e.expires_ts)
    return s.cache(e.select("customer_id", **cols))


def _open(s: Session, ev: ibis.Table) -> ibis.Table:
    """Per (customer, date) with a coupon held: ``n_open`` and ``x_min`` (the nearest expiry)."""
    ev = ev.filter(ev.x.notnull())
    ev = ev.mutate(_e=entry_key(ev.ts_s, s))
    ev = ev.filter(ev._e < s.n_dates)
    # per (customer, expiry, key): claims less redemptions that enter on that date
    d = ev.group_by("customer_id", "x", "_e").aggregate(_d=(2 * ev.claim - 1).sum())
    d = s.cache(d)
    g = d.group_by("customer_id", "x").aggregate(_first=d._e.min())
    a = s.asof.select("as_of_key", "t_s")
    # the dates on which the (customer, expiry) is live: from its first key while T < expiry
    grid = g.join(a, (a.as_of_key >= g._first) & (a.t_s < g.x)).select("customer_id", "x", "as_of_key")
    j = grid.left_join(d, [grid.customer_id == d.customer_id, grid.x == d.x, grid.as_of_key == d._e])
    j = j.select(grid.customer_id, grid.x, grid.as_of_key, _d=d._d.fill_null(0))
    j = j.mutate(_left=j._d.cumsum(group_by=["customer_id", "x"], order_by="as_of_key"))
    j = j.filter(j._left > 0)
    return j.group_by("customer_id", "as_of_key").aggregate(n_open=j._left.sum(), x_min=j.x.min())


def _coupons(s: Session, x: ibis.Table) -> tuple[ibis.Table, dict]:
    ev = _coupon_events(s)
    deltas = [keyed_counts(ev, entry_key(ev.ts_s, s), s.n_dates, claimed=lambda r: r.claim.sum(),
                           redeemed=lambda r: (1 - r.claim).sum())]
    x = left_join(x, cumulative(deltas, s.asof, sums=["claimed", "redeemed"]))
    claimed, redeemed = x.claimed.fill_null(0), x.redeemed.fill_null(0)
    cols = {"coupon_redeem_rate": ibis.ifelse(claimed > 0, ibis.least(redeemed / ibis.greatest(claimed, 1), 1.0),
                                              _NULL)}
    if "x" in ev.columns:
        x = left_join(x, _open(s, ev))
        cols["coupons_open"] = x.n_open.fill_null(0).cast("float64")
        # local calendar days: an expiry at midnight is whole days away across daylight saving
        cols["days_to_coupon_expiry"] = (s.wall(x.x_min) - x.t_wall) / DAY_S
    else:  # without expiries no coupon counts as open
        cols["coupons_open"] = ibis.literal(0.0)
        cols["days_to_coupon_expiry"] = _NULL
    return x, cols


def _columns(s: Session) -> ibis.Table:
    """The spine (``_row``) with the offers columns."""
    x, cols = s.spine, {}
    if has_discounts(s):
        x, got = _discounts(s, x)
        cols.update(got)
    if s.tables.events is not None:
        x, got = _coupons(s, x)
        cols.update(got)
    return x.select("_row", **cols)


def offer_columns(s: Session) -> dict[str, np.ndarray]:
    """The offers group's columns (float64, spine order), as the numpy path named and ordered them."""
    names = offer_names(s)
    if not names:
        return {}
    return s.columns(("offers",), lambda _strs, _ints: _columns(s), names)
