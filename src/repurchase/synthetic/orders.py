"""The orders of the synthetic retailer: staples when due, flash sales, coupon redemptions and
courses, as one :class:`OrderRecords` by time.

A staple is bought at each due point of the customer's own cycle with a probability that rises
with their current engagement intensity; a lapsed customer buys no more.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from repurchase.synthetic.catalog import (COUPON, COUPON_DAYS, COURSE, COURSE_ADVANCED, COURSE_BEGINNER, EVENT_CODE,
                                          FLASH, STAPLE, STAPLE_CYCLE_DAYS)
from repurchase.synthetic.customers import Retailer
from repurchase.synthetic.draws import at_hour, hours, random_staple, sigmoid
from repurchase.synthetic.records import EventRecords, FlashSaleVisits, OrderRecords


def _orders(customer: np.ndarray, day: np.ndarray, kind: int, category, coupon=-1, coupon_value=0.0) -> OrderRecords:
    """Orders of one ``kind``; scalars are repeated for every order."""
    n = len(customer)
    return OrderRecords(customer=customer, day=day, kind=np.full(n, kind, np.int8),
                        category=np.broadcast_to(category, n), coupon=np.broadcast_to(coupon, n),
                        coupon_value=np.broadcast_to(coupon_value, n))


def _coupon_orders(r: Retailer, claims: EventRecords) -> OrderRecords:
    """A claimed coupon turns into an order before it expires, or not. Their categories are drawn
    later (see :func:`simulate_orders`); until then ``category`` is -1."""
    rng = r.rng
    claim = claims.kind == EVENT_CODE["coupon_claim"]
    cl_c, cl_t, cl_v = claims.customer[claim], claims.day[claim], claims.value[claim]
    redeem = (rng.random(len(cl_c)) < 0.2 + 0.5 * r.price_sens[cl_c]) & (cl_t < r.lapse[cl_c])
    coupon_seq = np.flatnonzero(claim)  # a coupon's id is the index of its claim event
    red_c = cl_c[redeem]
    red_t = at_hour(rng, cl_t[redeem] + rng.uniform(0.0, COUPON_DAYS - 1.0, int(redeem.sum())),
                    hours(rng, r.pref_hour[red_c], 0.5))
    red_t = np.minimum(red_t, cl_t[redeem] + COUPON_DAYS - 1e-4)
    return _orders(red_c, red_t, COUPON, -1, coupon=coupon_seq[redeem], coupon_value=cl_v[redeem])


def _staple_renewals(r: Retailer, season: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Renewal process per (customer, staple): buy at each due point with an engagement-driven
    probability; the first purchase of the first staple is the customer's registration.

    Returns customer index, day (at the due point, no time of day yet) and staple index.
    """
    rng = r.rng
    cust, cat = np.nonzero(r.staples)
    cycle = STAPLE_CYCLE_DAYS[cat] / r.speed[cust]
    first_of_customer = np.r_[True, cust[1:] != cust[:-1]]
    t = r.reg[cust] + np.where(first_of_customer, 0.0, rng.uniform(0, 1, len(cust)) * cycle)
    out_c, out_t, out_k = [], [], []
    live = np.arange(len(cust))
    first = first_of_customer.copy()
    while len(live):
        c = cust[live]
        stop = np.minimum(r.lapse[c], r.days)
        keep = t[live] < stop
        live, c = live[keep], c[keep]
        if not len(live):
            break
        tl = t[live]
        inten = r.intensity(c, tl)
        logit = 0.4 + 1.0 * r.loyalty[c] + 3.5 * (inten - 0.2) + season[tl.astype(np.int64)]
        buy = first[live] | (rng.random(len(live)) < sigmoid(logit))
        out_c.append(c[buy]); out_t.append(tl[buy]); out_k.append(cat[live][buy])
        first[live] = False
        t[live] = tl + cycle[live] * rng.gamma(4.0, 0.25, len(live))
    return np.concatenate(out_c), np.concatenate(out_t), np.concatenate(out_k)


def _staple_orders(r: Retailer, season: np.ndarray) -> OrderRecords:
    """Staple renewals at a time of day, never before the customer registered."""
    st_c, st_t, st_k = _staple_renewals(r, season)
    st_t = at_hour(r.rng, st_t, hours(r.rng, r.pref_hour[st_c], 0.4))
    st_t = np.maximum(st_t, r.reg[st_c])
    return _orders(st_c, st_t, STAPLE, st_k)


def _course_orders(r: Retailer) -> tuple[OrderRecords, OrderRecords]:
    """Some customers take the beginner course; engaged ones upgrade weeks later."""
    rng = r.rng
    takes = rng.random(r.n) < 0.04 + 0.2 * r.engage
    active_span = np.maximum(np.minimum(r.lapse, r.days) - r.reg, 0.0)
    crs_c = np.flatnonzero(takes & (active_span > 1))
    crs_t = r.reg[crs_c] + rng.uniform(0.0, 1.0, len(crs_c)) * active_span[crs_c]
    up = rng.random(len(crs_c)) < 0.15 + 0.6 * r.engage[crs_c]
    up_t = crs_t + rng.gamma(3.0, 20.0, len(crs_c))
    up &= up_t < np.minimum(r.lapse[crs_c], r.days)
    return _orders(crs_c, crs_t, COURSE_BEGINNER, COURSE), _orders(crs_c[up], up_t[up], COURSE_ADVANCED, COURSE)


def simulate_orders(r: Retailer, season: np.ndarray, claims: EventRecords, flash: FlashSaleVisits) -> OrderRecords:
    """Every order of the history, by time (then customer index).

    Parameters
    ----------
    r : Retailer
        The customers (and the random generator, drawn from in a fixed order).
    season : ndarray
        Purchase logit per day (:func:`~repurchase.synthetic.spec.month_logit`).
    claims : EventRecords
        The engagement events; their coupon claims may be redeemed.
    flash : FlashSaleVisits
        The flash-sale purchases.
    """
    coupons = _coupon_orders(r, claims)
    staples = _staple_orders(r, season)
    courses, upgrades = _course_orders(r)
    flash_cat = np.where(r.rng.random(len(flash)) < 0.6, 2, 0)  # snacks or cooking oil
    flash_orders = _orders(flash.customer, flash.day, FLASH, flash_cat)
    # A coupon's category is drawn last, after the flash sales': the order of the random stream.
    coupons = dataclasses.replace(coupons, category=random_staple(r.rng, r.staples, coupons.customer))
    o = OrderRecords.concat([staples, flash_orders, coupons, courses, upgrades])
    keep = (o.day < r.days) & (o.day >= 0) & (o.day < r.lapse[o.customer])  # a lapsed customer buys no more
    o = o.take(keep)
    return o.take(np.lexsort((o.customer, o.day)))
