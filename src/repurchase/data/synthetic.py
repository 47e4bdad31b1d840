"""A synthetic private-domain retailer: the embedded default data of the demo and the tests.

It behaves like the business of ``shared/domain.md``, not like noise:

* a catalogue with consumption cycles (cooking oil, rice, snacks, skincare) and a course with an
  upgrade path (beginner -> advanced);
* customers who differ in usage speed (how fast they consume), loyalty, basket size, price
  sensitivity and engagement propensity;
* stores and WeChat groups with engagement events (messages, check-ins, shares, coupon claims with
  an expiry and their redemptions, referrals that bring new customers, group joins and leaves) and
  flash sales at fixed hours (10:00, 12:00, 15:00, 18:00) on fixed weekdays;
* staple purchases follow each customer's own cycle per category; at each "due" point the customer
  buys from us with a probability that rises with their *current* engagement intensity (and falls
  when it fades), so engagement truly raises purchase probability;
* a lapse process: engagement fades over the weeks before a customer's lapse date, then purchases
  stop.

The latent truth (each customer's purchase rate, engagement, lapse date) is written to
``ground_truth.parquet`` so tests can check that models recover real signal. Same seed, same bytes.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from tqdm.auto import tqdm

from repurchase.data.io import write_tables

log = logging.getLogger(__name__)

# sku, category, list price (yuan), cycle days (None: one-off), upgrade sku, related categories
CATALOG: tuple[tuple[str, str, float, float | None, str | None, str | None], ...] = (
    ("OIL-OLIVE-500", "cooking_oil", 128.0, 40.0, "OIL-OLIVE-1L", "rice"),
    ("OIL-OLIVE-1L", "cooking_oil", 198.0, 40.0, None, "rice"),
    ("OIL-PEANUT-5L", "cooking_oil", 139.0, 40.0, None, "rice"),
    ("RICE-5KG", "rice", 69.0, 30.0, "RICE-10KG", "cooking_oil"),
    ("RICE-10KG", "rice", 125.0, 30.0, None, "cooking_oil"),
    ("SNK-NUTS", "snacks", 39.0, 14.0, None, "snacks"),
    ("SNK-DRIED-FRUIT", "snacks", 29.0, 14.0, None, None),
    ("SNK-GIFT-BOX", "snacks", 88.0, 14.0, None, None),
    ("SKN-CREAM", "skincare", 239.0, 60.0, None, None),
    ("SKN-SERUM", "skincare", 329.0, 60.0, None, None),
    ("SKN-MASK", "skincare", 99.0, 60.0, None, "skincare"),
    ("CRS-BEGINNER", "course", 299.0, None, "CRS-ADVANCED", "course"),
    ("CRS-ADVANCED", "course", 699.0, None, None, None),
)
STAPLES = ("cooking_oil", "rice", "snacks", "skincare")
STAPLE_CYCLE_DAYS = np.array([40.0, 30.0, 14.0, 60.0])
STAPLE_SHARE = np.array([0.45, 0.40, 0.50, 0.30])  # chance a customer has each staple
RELATED = {0: 1, 1: 0, 2: 2, 3: 3}  # staple index -> a related staple for basket extras
FLASH_HOURS = np.array([10, 12, 15, 18])
FLASH_WEEKDAYS = (1, 4)  # Tuesday, Friday
SOURCES = np.array(["store", "mini_program", "ecommerce", "referral"])
EVENT_TYPES = ("message", "checkin", "share", "coupon_claim", "coupon_redeem", "referral",
               "group_join", "group_leave")
_E = {name: i for i, name in enumerate(EVENT_TYPES)}
COUPON_VALUES = np.array([10.0, 20.0, 30.0])
COUPON_DAYS = 7.0
GROUP_SIZE = 500
_DAY_NS = 86_400 * 10**9


@dataclass(frozen=True)
class SyntheticSpec:
    """Size and seed of a synthetic retailer.

    Parameters
    ----------
    customers : int
        Number of customers (referral-acquired ones included).
    days : int
        Length of the simulated history in days, starting at ``start``.
    seed : int
        Seed of the one random generator; same spec, same bytes.
    start : date
        First day of the history (local business time).
    timezone : str
        Business timezone of every timestamp.
    """

    customers: int = 5000
    days: int = 730
    seed: int = 42
    start: dt.date = dt.date(2024, 1, 1)
    timezone: str = "Asia/Shanghai"


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class _Retailer:
    """Latent customer traits and the engagement-intensity function, as arrays."""

    def __init__(self, spec: SyntheticSpec, rng: np.random.Generator):
        n, days = spec.customers, float(spec.days)
        self.n, self.days, self.rng = n, days, rng
        self.reg = days * rng.beta(0.8, 1.2, n)
        self.engage = rng.beta(1.2, 2.4, n)
        self.speed = rng.lognormal(0.0, 0.3, n)
        self.loyalty = rng.normal(0.0, 1.0, n)
        self.price_sens = rng.beta(2.0, 3.0, n)
        self.lifetime = rng.exponential(400.0 * (0.4 + 1.2 * self.engage))
        self.lapse = self.reg + self.lifetime
        self.fade_days = rng.uniform(20.0, 60.0, n)
        self.n_stores = max(3, n // 3500)
        self.store = rng.integers(0, self.n_stores, n)
        self.source = rng.choice(4, size=n, p=[0.40, 0.30, 0.15, 0.15])
        in_group = rng.random(n) < 0.2 + 0.6 * self.engage
        join = self.reg + rng.exponential(15.0, n)
        self.join = np.where(in_group & (join < days), join, np.inf)
        leaves = rng.random(n) < 0.5
        leave = self.lapse + rng.exponential(30.0, n)
        self.leave = np.where(np.isfinite(self.join) & leaves & (leave < days), leave, np.inf)
        flash_fan = rng.random(n) < 0.6
        self.pref_hour = np.where(flash_fan, rng.choice(FLASH_HOURS, n), rng.integers(8, 23, n))
        self.do_not_contact = rng.random(n) < 0.03
        staples = rng.random((n, 4)) < STAPLE_SHARE
        none = ~staples.any(axis=1)
        staples[none, rng.integers(0, 4, int(none.sum()))] = True
        self.staples = staples
        self.referred_by = np.full(n, -1)

    def intensity(self, idx: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Engagement intensity in [0, 1] of customers ``idx`` at times ``t`` (days)."""
        in_group = (self.join[idx] <= t) & (t < self.leave[idx])
        to_lapse = self.lapse[idx] - t
        fade = np.clip(0.15 + 0.85 * to_lapse / self.fade_days[idx], 0.15, 1.0)
        fade = np.where(to_lapse <= 0, 0.05, fade)
        return in_group * self.engage[idx] * fade


def _month_logit(spec: SyntheticSpec) -> np.ndarray:
    """Seasonal shift of purchase odds per day: Double 11 and the Spring Festival months."""
    dates = pd.date_range(spec.start, periods=spec.days + 1, freq="D")
    lift = {11: 0.5, 1: 0.25, 2: 0.25}
    return np.array([lift.get(m, 0.0) for m in dates.month])


def _hours(rng: np.random.Generator, pref: np.ndarray, p_pref: float) -> np.ndarray:
    """Hour of day: the customer's preferred hour with probability ``p_pref``, else 8-22."""
    return np.where(rng.random(len(pref)) < p_pref, pref, rng.integers(8, 23, len(pref)))


def _at_hour(rng: np.random.Generator, day: np.ndarray, hour: np.ndarray) -> np.ndarray:
    return np.floor(day) + (hour + rng.integers(0, 60, len(day)) / 60.0 + rng.integers(0, 60, len(day)) / 3600.0) / 24.0


def _assign_referrals(r: _Retailer) -> None:
    """Referral-sourced customers get a referrer who was in a group before they registered."""
    rng = r.rng
    members = np.flatnonzero(np.isfinite(r.join))
    order = members[np.argsort(r.join[members], kind="stable")]
    join_sorted = r.join[order]
    referred = np.flatnonzero(r.source == 3)
    n_before = np.searchsorted(join_sorted, r.reg[referred], side="left")
    pick = np.floor(rng.random(len(referred)) * n_before).astype(np.int64)
    ok = n_before > 0
    referrer = np.where(ok, order[np.minimum(pick, len(order) - 1)] if len(order) else 0, -1)
    ok &= (referrer != referred) & (rng.random(len(referred)) < 0.3 + r.engage[np.maximum(referrer, 0)])
    ok &= r.lapse[np.maximum(referrer, 0)] > r.reg[referred]
    r.referred_by[referred[ok]] = referrer[ok]
    r.source[referred[~ok]] = 1  # no plausible referrer: came through the mini-program instead


def _simulate_events(r: _Retailer, spec: SyntheticSpec):
    """Weekly engagement of group members; also flash-sale and coupon purchases they trigger."""
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
                hour = _hours(rng, r.pref_hour[who], 0.5)
            t = _at_hour(rng, t0 + rng.integers(0, 7, len(who)), hour)
            ev_c.append(who); ev_t.append(t); ev_k.append(np.full(len(who), _E[name], np.int8))
            val = rng.choice(COUPON_VALUES, len(who)) if name == "coupon_claim" else np.ones(len(who))
            ev_v.append(val)
            t = np.floor(t * 86_400.0) / 86_400.0  # whole seconds, so expiry is exactly claim + 7 days
            ev_t[-1] = t
            ev_x.append(t + COUPON_DAYS if name == "coupon_claim" else np.full(len(who), np.nan))
        # Flash sales: fixed weekdays, fixed hours; engaged, price-sensitive members join in.
        n_flash = rng.poisson(0.5 * inten * (0.4 + r.price_sens[idx]))
        who = np.repeat(idx, n_flash)
        day_in_week = np.array(FLASH_WEEKDAYS)[rng.integers(0, 2, len(who))]
        offset = (day_in_week - (start_weekday + w * 7) % 7) % 7
        pref = r.pref_hour[who]
        hour = np.where(np.isin(pref, FLASH_HOURS), pref, rng.choice(FLASH_HOURS, len(who)))
        flash_c.append(who); flash_t.append(_at_hour(rng, t0 + offset, hour))
    cat = lambda parts, dtype=None: np.concatenate(parts).astype(dtype) if parts else np.array([], dtype)
    events = {"c": cat(ev_c, np.int64), "t": cat(ev_t, float), "k": cat(ev_k, np.int8),
              "v": cat(ev_v, float), "x": cat(ev_x, float)}
    return events, cat(flash_c, np.int64), cat(flash_t, float)


def _staple_orders(r: _Retailer, season: np.ndarray):
    """Renewal process per (customer, staple): buy at each due point with an engagement-driven
    probability; the first purchase of the first staple is the customer's registration."""
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
        buy = first[live] | (rng.random(len(live)) < _sigmoid(logit))
        out_c.append(c[buy]); out_t.append(tl[buy]); out_k.append(cat[live][buy])
        first[live] = False
        t[live] = tl + cycle[live] * rng.gamma(4.0, 0.25, len(live))
    return np.concatenate(out_c), np.concatenate(out_t), np.concatenate(out_k)


def generate(spec: SyntheticSpec = SyntheticSpec()) -> dict[str, pd.DataFrame]:
    """Simulate the retailer and return its canonical tables plus ``ground_truth``.

    Returns
    -------
    dict of DataFrame
        ``orders``, ``order_items``, ``customers``, ``events``, ``products``, ``ground_truth``.
    """
    return dict(iter_tables(spec))


def iter_tables(spec: SyntheticSpec = SyntheticSpec()) -> Iterator[tuple[str, pd.DataFrame]]:
    """Like :func:`generate`, one ``(name, frame)`` at a time, so a writer can free each table
    before the next is built (the peak memory of 1M customers roughly halves)."""
    rng = np.random.default_rng(spec.seed)
    r = _Retailer(spec, rng)
    season = _month_logit(spec)
    _assign_referrals(r)
    events, flash_c, flash_t = _simulate_events(r, spec)

    # Coupon redemptions: a claimed coupon turns into an order before it expires, or not.
    claim = events["k"] == _E["coupon_claim"]
    cl_c, cl_t, cl_v = events["c"][claim], events["t"][claim], events["v"][claim]
    redeem = (rng.random(len(cl_c)) < 0.2 + 0.5 * r.price_sens[cl_c]) & (cl_t < r.lapse[cl_c])
    coupon_seq = np.flatnonzero(claim)  # a coupon's id is the index of its claim event
    red_c, red_v, red_coupon = cl_c[redeem], cl_v[redeem], coupon_seq[redeem]
    red_t = _at_hour(rng, cl_t[redeem] + rng.uniform(0.0, COUPON_DAYS - 1.0, int(redeem.sum())),
                     _hours(rng, r.pref_hour[red_c], 0.5))
    red_t = np.minimum(red_t, cl_t[redeem] + COUPON_DAYS - 1e-4)

    st_c, st_t, st_k = _staple_orders(r, season)
    st_t = _at_hour(rng, st_t, _hours(rng, r.pref_hour[st_c], 0.4))
    st_t = np.maximum(st_t, r.reg[st_c])

    # Courses: some customers take the beginner course; engaged ones upgrade weeks later.
    takes = rng.random(r.n) < 0.04 + 0.2 * r.engage
    active_span = np.maximum(np.minimum(r.lapse, r.days) - r.reg, 0.0)
    crs_c = np.flatnonzero(takes & (active_span > 1))
    crs_t = r.reg[crs_c] + rng.uniform(0.0, 1.0, len(crs_c)) * active_span[crs_c]
    up = rng.random(len(crs_c)) < 0.15 + 0.6 * r.engage[crs_c]
    up_t = crs_t + rng.gamma(3.0, 20.0, len(crs_c))
    up &= up_t < np.minimum(r.lapse[crs_c], r.days)

    n_flash = len(flash_c)
    flash_cat = np.where(rng.random(n_flash) < 0.6, 2, 0)  # snacks or cooking oil
    coupon_cat = _random_staple(rng, r.staples, red_c)
    # kind: 0 staple, 1 flash, 2 coupon, 3 course beginner, 4 course advanced
    o_c = np.concatenate([st_c, flash_c, red_c, crs_c, crs_c[up]])
    o_t = np.concatenate([st_t, flash_t, red_t, crs_t, up_t[up]])
    o_kind = np.concatenate([np.zeros(len(st_c)), np.ones(n_flash), np.full(len(red_c), 2),
                             np.full(len(crs_c), 3), np.full(int(up.sum()), 4)]).astype(np.int8)
    o_cat = np.concatenate([st_k, flash_cat, coupon_cat, np.full(len(crs_c), 4), np.full(int(up.sum()), 4)])
    o_coupon = np.concatenate([np.full(len(st_c) + n_flash, -1), red_coupon,
                               np.full(len(crs_c) + int(up.sum()), -1)])
    o_cval = np.concatenate([np.zeros(len(st_c) + n_flash), red_v, np.zeros(len(crs_c) + int(up.sum()))])
    keep = (o_t < r.days) & (o_t >= 0) & (o_t < r.lapse[o_c])  # a lapsed customer buys no more
    order = np.lexsort((o_c[keep], o_t[keep]))
    o_c, o_t, o_kind, o_cat, o_coupon, o_cval = (a[keep][order] for a in (o_c, o_t, o_kind, o_cat, o_coupon, o_cval))

    # Coupon redemption events stamp the order that used the coupon.
    used = o_coupon >= 0
    red_events = {"c": o_c[used], "t": o_t[used], "k": np.full(int(used.sum()), _E["coupon_redeem"], np.int8),
                  "v": o_cval[used], "x": events["x"][o_coupon[used]]}
    # Referral events: the referrer shares an invitation shortly before the friend registers.
    ref = np.flatnonzero(r.referred_by >= 0)
    ref_t = np.maximum(r.reg[ref] - rng.uniform(0.0, 2.0, len(ref)), r.join[r.referred_by[ref]])
    ref_events = {"c": r.referred_by[ref], "t": ref_t, "k": np.full(len(ref), _E["referral"], np.int8),
                  "v": np.ones(len(ref)), "x": np.full(len(ref), np.nan)}

    # Registration is the first sign of the customer: the first order, or earlier.
    first_order = np.full(r.n, np.inf)
    np.minimum.at(first_order, o_c, o_t)
    r.reg = np.minimum(r.reg, first_order)
    joined = np.isfinite(r.join)
    member_ev = {"c": np.r_[np.flatnonzero(joined), np.flatnonzero(np.isfinite(r.leave))],
                 "t": np.r_[r.join[joined], r.leave[np.isfinite(r.leave)]],
                 "k": np.r_[np.full(int(joined.sum()), _E["group_join"]), np.full(int(np.isfinite(r.leave).sum()), _E["group_leave"])].astype(np.int8)}
    member_ev["v"] = np.ones(len(member_ev["c"])); member_ev["x"] = np.full(len(member_ev["c"]), np.nan)

    yield from _build_tables(spec, r, rng, o_c, o_t, o_kind, o_cat, o_coupon, o_cval,
                             [events, red_events, ref_events, member_ev])
    yield "ground_truth", _ground_truth(spec, r, season)


def _random_staple(rng: np.random.Generator, staples: np.ndarray, who: np.ndarray) -> np.ndarray:
    """One of each customer's staple categories, uniformly."""
    s = staples[who].astype(float)
    s /= s.sum(axis=1, keepdims=True)
    u = rng.random(len(who))[:, None]
    return (u > np.cumsum(s, axis=1)).sum(axis=1).astype(np.int64)


# String columns are built in Arrow (take from a small dictionary) rather than as numpy unicode
# arrays: at 1M customers that is the difference between ~15 GiB and a few GiB of peak memory.
def _id_array(prefix: str, numbers: np.ndarray, width: int, valid: np.ndarray | None = None) -> pa.Array:
    nums = pa.array(numbers, mask=None if valid is None else ~valid)
    arr = pc.utf8_lpad(pc.cast(nums, pa.string()), width, "0")
    return pc.binary_join_element_wise(pa.scalar(prefix), arr, "")


def _ids(prefix: str, numbers: np.ndarray, width: int, valid: np.ndarray | None = None) -> pd.Series:
    return _text(_id_array(prefix, numbers, width, valid))


def _take(dictionary, idx: np.ndarray, valid: np.ndarray | None = None) -> pd.Series:
    """``dictionary[idx]`` as a text column (missing where not ``valid``)."""
    dictionary = dictionary if isinstance(dictionary, pa.Array) else pa.array(list(dictionary), pa.string())
    codes = pa.array(np.asarray(idx, dtype=np.int64), mask=None if valid is None else ~np.asarray(valid))
    return _text(dictionary.take(codes))


def _text(arr: pa.Array) -> pd.Series:
    return pd.Series(arr.to_pandas()).astype("str")


def _timestamps(spec: SyntheticSpec, days: np.ndarray) -> pd.Series:
    """Days since the start -> tz-aware local timestamps to the second."""
    start_ns = pd.Timestamp(spec.start).value
    secs = np.floor(days * 86_400.0 + 1e-6).astype(np.int64)  # epsilon: t + 7 days stays t + 7 days
    naive = pd.Series(pd.to_datetime(start_ns + secs * 10**9, unit="ns")).astype("datetime64[s]")
    return naive.dt.tz_localize(spec.timezone, ambiguous=np.zeros(len(naive), dtype=bool), nonexistent="shift_forward")


def _build_tables(spec, r, rng, o_c, o_t, o_kind, o_cat, o_coupon, o_cval, event_parts):
    n_orders = len(o_c)
    cid_width = len(str(r.n)) + 1
    cust_arr = _id_array("C", np.arange(1, r.n + 1), cid_width)
    skus = np.array([row[0] for row in CATALOG])
    prices = np.array([row[2] for row in CATALOG])
    sku_cat = np.array([row[1] for row in CATALOG])
    cat_names = np.array(list(STAPLES) + ["course"])
    sku_of_cat = [np.flatnonzero(sku_cat == c) for c in cat_names]

    # Lines: the order's main category, plus extras from a related staple or the customer's others.
    is_course = o_kind >= 3
    extra = np.where(is_course, 0, rng.poisson(0.3 + 0.4 * (1 - r.price_sens[o_c])))
    n_lines = 1 + extra
    line_order = np.repeat(np.arange(n_orders), n_lines)
    first_line = np.r_[0, np.cumsum(n_lines)[:-1]]
    is_main = np.zeros(len(line_order), bool)
    is_main[first_line] = True
    main_cat = np.repeat(o_cat, n_lines)
    related = np.array([RELATED[i] for i in range(4)] + [4])[main_cat]
    other = _random_staple(rng, r.staples, o_c[line_order])
    line_cat = np.where(is_main, main_cat, np.where(rng.random(len(line_order)) < 0.5, related, other))
    sku_idx = np.empty(len(line_order), np.int64)
    for ci, members in enumerate(sku_of_cat):
        m = line_cat == ci
        sku_idx[m] = members[rng.integers(0, len(members), int(m.sum()))]
    sku_idx[is_main & (np.repeat(o_kind, n_lines) == 3)] = np.flatnonzero(skus == "CRS-BEGINNER")[0]
    sku_idx[is_main & (np.repeat(o_kind, n_lines) == 4)] = np.flatnonzero(skus == "CRS-ADVANCED")[0]
    course_skus = np.flatnonzero(sku_cat == "course")
    qty = 1 + np.where(np.isin(sku_idx, course_skus), 0, rng.poisson(0.25, len(line_order)))
    unit_price = prices[sku_idx]
    gross = np.bincount(line_order, weights=qty * unit_price, minlength=n_orders)

    member_price = rng.random(n_orders) < 0.3
    discount = np.select(
        [o_kind == 1, o_kind == 2, member_price & (o_kind == 0)],
        [gross * rng.uniform(0.3, 0.5, n_orders), np.minimum(o_cval, 0.5 * gross), 0.05 * gross],
        0.0,
    ).round(2)
    amount = (gross - discount).round(2)
    u = rng.random(n_orders)
    status = np.where(u < 0.02, 1, np.where(u < 0.035, 2, 0))  # paid, cancelled, refunded
    src = r.source[o_c]
    channel = np.where(o_kind >= 1, 1,  # store, mini_program, ecommerce
                       np.where(src == 0, np.where(rng.random(n_orders) < 0.7, 0, 1), np.where(src == 2, 2, 1)))
    store_arr = _id_array("S", np.arange(1, r.n_stores + 1), 3)
    order_arr = _id_array("O", np.arange(1, n_orders + 1), max(9, len(str(n_orders))))
    yield "orders", pd.DataFrame({
        "order_id": _text(order_arr),
        "customer_id": _take(cust_arr, o_c),
        "order_ts": _timestamps(spec, o_t),
        "amount": amount,
        "status": _take(["paid", "cancelled", "refunded"], status),
        "channel": _take(["store", "mini_program", "ecommerce"], channel),
        "store_id": _take(store_arr, r.store[o_c]),
        "discount_amount": discount,
        "coupon_id": _ids("CP", np.maximum(o_coupon, 0), 1, valid=o_coupon >= 0),
    })
    yield "order_items", pd.DataFrame({
        "order_id": _take(order_arr, line_order),
        "sku": _take(skus, sku_idx),
        "quantity": qty.astype(float),
        "category": _take(sku_cat, sku_idx),
        "unit_price": unit_price,
    })
    del line_order, sku_idx, qty, unit_price, main_cat, related, other, line_cat, is_main

    groups_per_store = np.maximum(1, np.ceil(np.bincount(r.store[np.isfinite(r.join)], minlength=r.n_stores) / GROUP_SIZE)).astype(int)
    group_no = np.floor(rng.random(r.n) * groups_per_store[r.store]).astype(int) + 1
    group_arr = pc.binary_join_element_wise(store_arr.take(pa.array(r.store)), pa.scalar("-G"),
                                            pc.cast(pa.array(group_no), pa.string()), "")
    in_group = np.isfinite(r.join)
    yield "customers", pd.DataFrame({
        "customer_id": _text(cust_arr),
        "registered_ts": _timestamps(spec, r.reg),
        "source_channel": _take(SOURCES, r.source),
        "store_id": _take(store_arr, r.store),
        "group_id": _take(group_arr, np.arange(r.n), valid=in_group),
        "joined_group_ts": _timestamps(spec, np.where(in_group, r.join, 0.0)).where(in_group),
        "do_not_contact": r.do_not_contact,
        "referred_by": _take(cust_arr, np.maximum(r.referred_by, 0), valid=r.referred_by >= 0),
    })

    ev = {k: np.concatenate([p[k] for p in event_parts]) for k in ("c", "t", "k", "v", "x")}
    ok = (ev["t"] >= 0) & (ev["t"] < r.days)
    ev = {k: v[ok] for k, v in ev.items()}
    order_ev = np.lexsort((ev["k"], ev["c"], ev["t"]))
    ev = {k: v[order_ev] for k, v in ev.items()}
    has_exp = np.isfinite(ev["x"])
    yield "events", pd.DataFrame({
        "customer_id": _take(cust_arr, ev["c"]),
        "event_ts": _timestamps(spec, ev["t"]),
        "event_type": _take(EVENT_TYPES, ev["k"]),
        "group_id": _take(group_arr, ev["c"]),
        "value": ev["v"],
        "expires_ts": _timestamps(spec, np.where(has_exp, ev["x"], 0.0)).where(has_exp),
    })
    yield "products", pd.DataFrame(
        [{"sku": s, "category": c, "cycle_days": cyc if cyc is not None else np.nan,
          "upgrade_sku": up, "related_categories": rel} for s, c, _, cyc, up, rel in CATALOG]
    ).astype({"sku": "str", "category": "str", "upgrade_sku": "str", "related_categories": "str",
              "cycle_days": "float64"})


def _ground_truth(spec: SyntheticSpec, r: _Retailer, season: np.ndarray) -> pd.DataFrame:
    """Each customer's latent traits; ``purchase_rate_30d`` is the expected number of staple
    orders in 30 days while active, at the customer's typical engagement."""
    typical = np.where(np.isfinite(r.join), r.engage, 0.0)
    p_buy = _sigmoid(0.4 + r.loyalty + 3.5 * (typical - 0.2))
    per_30d = (r.staples * (30.0 * r.speed[:, None] / STAPLE_CYCLE_DAYS)).sum(axis=1) * p_buy
    lapse = np.minimum(r.lapse, 10 * r.days)  # keep far-future lapses representable
    cid_width = len(str(r.n)) + 1
    return pd.DataFrame({
        "customer_id": _ids("C", np.arange(1, r.n + 1), cid_width),
        "purchase_rate_30d": per_30d,
        "engagement_propensity": r.engage,
        "usage_speed": r.speed,
        "loyalty": r.loyalty,
        "price_sensitivity": r.price_sens,
        "in_group": np.isfinite(r.join),
        "staples": pd.Series(["|".join(np.array(STAPLES)[row]) for row in r.staples], dtype="str"),
        "lapse_ts": _timestamps(spec, lapse),
        "lapsed_in_window": r.lapse < r.days,
    })


def write_synthetic(out: str | Path, spec: SyntheticSpec = SyntheticSpec()) -> dict[str, Path]:
    """Generate and write the synthetic retailer to ``out`` (atomically), with ``dataset.yaml``."""
    meta = {"name": "synthetic private-domain retailer", "timezone": spec.timezone,
            "generator": {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in asdict(spec).items()},
            "ground_truth": "ground_truth.parquet (latent traits; not a canonical table)"}
    return write_tables(iter_tables(spec), out, meta=meta)
