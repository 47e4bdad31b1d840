"""Engagement of the synthetic retailer's group members, and the ``events`` table.

Weekly messages, morning check-ins, shares and coupon claims (with a 7-day expiry) follow each
member's current engagement intensity; flash sales at fixed hours on fixed weekdays draw engaged,
price-sensitive members in. Coupon redemptions, referrals and group joins / leaves are events too,
stamped from the orders and the customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from tqdm.auto import tqdm

from repurchase.synthetic.catalog import COUPON_DAYS, COUPON_VALUES, EVENT_CODE, EVENT_TYPES, FLASH_HOURS, FLASH_WEEKDAYS
from repurchase.synthetic.columns import take, timestamps
from repurchase.synthetic.customers import Retailer
from repurchase.synthetic.draws import at_hour, hours
from repurchase.synthetic.records import EventRecords, FlashSaleVisits, OrderRecords
from repurchase.synthetic.spec import SyntheticSpec


def _joined(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.array([], dtype)


def simulate_engagement(r: Retailer, spec: SyntheticSpec) -> tuple[EventRecords, FlashSaleVisits]:
    """Weekly engagement of group members; also the flash-sale purchases they make.

    Returns
    -------
    EventRecords
        Messages, check-ins, shares and coupon claims, week by week (unsorted).
    FlashSaleVisits
        Flash-sale purchases (customer, day), before they get a category.
    """
    rng = r.rng
    members = np.flatnonzero(np.isfinite(r.join))
    ev_c, ev_t, ev_k, ev_v, ev_x = [], [], [], [], []
    flash_c, flash_t = [], []
    start_weekday = spec.start.weekday()
    n_weeks = int(np.ceil(r.days / 7.0))
    for w in tqdm(range(n_weeks), desc="simulating weeks", unit="wk", leave=False, disable=None):
        t0 = 7.0 * w
        mid = np.full(len(members), t0 + 3.5)
        inten = r.intensity(members, mid)
        active = inten > 0
        idx, inten = members[active], inten[active]
        if not len(idx):
            continue
        counts = {
            "message": rng.poisson(7 * 0.22 * inten),
            "checkin": rng.binomial(7, np.clip(0.35 * inten**1.3, 0, 0.9)),
            "share": rng.poisson(7 * 0.02 * inten),
            "coupon_claim": rng.poisson(7 * 0.03 * (0.3 + r.price_sens[idx]) * inten),
        }
        for name, c in counts.items():
            who = np.repeat(idx, c)
            if name == "checkin":
                hour = rng.integers(7, 10, len(who))  # morning check-in (打卡)
            else:
                hour = hours(rng, r.pref_hour[who], 0.5)
            t = at_hour(rng, t0 + rng.integers(0, 7, len(who)), hour)
            ev_c.append(who); ev_k.append(np.full(len(who), EVENT_CODE[name], np.int8))
            val = rng.choice(COUPON_VALUES, len(who)) if name == "coupon_claim" else np.ones(len(who))
            ev_v.append(val)
            t = np.floor(t * 86_400.0) / 86_400.0  # whole seconds, so expiry is exactly claim + 7 days
            ev_t.append(t)
            ev_x.append(t + COUPON_DAYS if name == "coupon_claim" else np.full(len(who), np.nan))
        # Flash sales: fixed weekdays, fixed hours; engaged, price-sensitive members join in.
        n_flash = rng.poisson(0.5 * inten * (0.4 + r.price_sens[idx]))
        who = np.repeat(idx, n_flash)
        day_in_week = np.array(FLASH_WEEKDAYS)[rng.integers(0, 2, len(who))]
        offset = (day_in_week - (start_weekday + w * 7) % 7) % 7
        pref = r.pref_hour[who]
        hour = np.where(np.isin(pref, FLASH_HOURS), pref, rng.choice(FLASH_HOURS, len(who)))
        flash_c.append(who); flash_t.append(at_hour(rng, t0 + offset, hour))
    events = EventRecords(customer=_joined(ev_c, np.int64), day=_joined(ev_t, float), kind=_joined(ev_k, np.int8),
                          value=_joined(ev_v, float), expires_day=_joined(ev_x, float))
    return events, FlashSaleVisits(customer=_joined(flash_c, np.int64), day=_joined(flash_t, float))


def redemption_events(orders: OrderRecords, claims: EventRecords) -> EventRecords:
    """A ``coupon_redeem`` event stamps each order that used a coupon (expiring with its claim)."""
    used = orders.coupon >= 0
    return EventRecords(customer=orders.customer[used], day=orders.day[used],
                        kind=np.full(int(used.sum()), EVENT_CODE["coupon_redeem"], np.int8),
                        value=orders.coupon_value[used], expires_day=claims.expires_day[orders.coupon[used]])


def referral_events(r: Retailer) -> EventRecords:
    """The referrer shares an invitation shortly before the friend registers (and after joining)."""
    ref = np.flatnonzero(r.referred_by >= 0)
    ref_t = np.maximum(r.reg[ref] - r.rng.uniform(0.0, 2.0, len(ref)), r.join[r.referred_by[ref]])
    return EventRecords(customer=r.referred_by[ref], day=ref_t, kind=np.full(len(ref), EVENT_CODE["referral"], np.int8),
                        value=np.ones(len(ref)), expires_day=np.full(len(ref), np.nan))


def membership_events(r: Retailer) -> EventRecords:
    """``group_join`` of every member, then ``group_leave`` of those who left."""
    joined, left = np.isfinite(r.join), np.isfinite(r.leave)
    customer = np.r_[np.flatnonzero(joined), np.flatnonzero(left)]
    kind = np.r_[np.full(int(joined.sum()), EVENT_CODE["group_join"]),
                 np.full(int(left.sum()), EVENT_CODE["group_leave"])].astype(np.int8)
    return EventRecords(customer=customer, day=np.r_[r.join[joined], r.leave[left]], kind=kind,
                        value=np.ones(len(customer)), expires_day=np.full(len(customer), np.nan))


def events_table(spec: SyntheticSpec, r: Retailer, customer_ids: pa.Array, groups: pa.Array,
                 parts: list[EventRecords]) -> pd.DataFrame:
    """The ``events`` table: every part within the history, by time, customer and type."""
    ev = EventRecords.concat(parts)
    ev = ev.take((ev.day >= 0) & (ev.day < r.days))
    ev = ev.take(np.lexsort((ev.kind, ev.customer, ev.day)))
    has_exp = np.isfinite(ev.expires_day)
    return pd.DataFrame({
        "customer_id": take(customer_ids, ev.customer),
        "event_ts": timestamps(spec, ev.day),
        "event_type": take(EVENT_TYPES, ev.kind),
        "group_id": take(groups, ev.customer),
        "value": ev.value,
        "expires_ts": timestamps(spec, np.where(has_exp, ev.expires_day, 0.0)).where(has_exp),
    })
