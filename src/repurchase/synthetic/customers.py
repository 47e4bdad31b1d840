"""The customers of the synthetic retailer: latent traits, referrals, groups, and the
``customers`` and ``ground_truth`` tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from repurchase.synthetic.catalog import FLASH_HOURS, GROUP_SIZE, SOURCES, STAPLE_CYCLE_DAYS, STAPLE_SHARE, STAPLES
from repurchase.synthetic.columns import take, text, timestamps
from repurchase.synthetic.draws import sigmoid
from repurchase.synthetic.records import OrderRecords
from repurchase.synthetic.spec import SyntheticSpec


class Retailer:
    """Latent customer traits and the engagement-intensity function, as arrays.

    Times (``reg``, ``lapse``, ``join``, ``leave``) are days since the start, ``np.inf`` for
    never; every array has one entry per customer. Drawing the traits is the first use of ``rng``.

    Parameters
    ----------
    spec : SyntheticSpec
        The retailer (its stores are shared by every block).
    rng : Generator
        The block's random generator.
    n : int, optional
        Customers of this block; default ``spec.customers`` (one block).
    """

    def __init__(self, spec: SyntheticSpec, rng: np.random.Generator, n: int | None = None):
        n, days = spec.customers if n is None else n, float(spec.days)
        self.n, self.days, self.rng = n, days, rng
        self.reg = days * rng.beta(0.8, 1.2, n)
        self.engage = rng.beta(1.2, 2.4, n)
        self.speed = rng.lognormal(0.0, 0.3, n)
        self.loyalty = rng.normal(0.0, 1.0, n)
        self.price_sens = rng.beta(2.0, 3.0, n)
        self.lifetime = rng.exponential(400.0 * (0.4 + 1.2 * self.engage))
        self.lapse = self.reg + self.lifetime
        self.fade_days = rng.uniform(20.0, 60.0, n)
        self.n_stores = spec.n_stores
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


def assign_referrals(r: Retailer) -> None:
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


def register_at_first_order(r: Retailer, orders: OrderRecords) -> None:
    """Registration is the first sign of the customer: the first order, or earlier."""
    first_order = np.full(r.n, np.inf)
    np.minimum.at(first_order, orders.customer, orders.day)
    r.reg = np.minimum(r.reg, first_order)


def members_per_store(r: Retailer) -> np.ndarray:
    """Group members of each store (they decide how many groups a store has)."""
    return np.bincount(r.store[np.isfinite(r.join)], minlength=r.n_stores)


def group_ids(r: Retailer, store_ids: pa.Array, members: np.ndarray | None = None) -> pa.Array:
    """Each customer's WeChat group id ``S001-G1 ..``: groups of about ``GROUP_SIZE`` members per
    store, drawn for every customer (used only for group members).

    ``members`` counts each store's members over the whole retailer (every block; default: this
    one), so that a store has the same groups in every block.
    """
    members = members_per_store(r) if members is None else members
    groups_per_store = np.maximum(1, np.ceil(members / GROUP_SIZE)).astype(int)
    group_no = np.floor(r.rng.random(r.n) * groups_per_store[r.store]).astype(int) + 1
    return pc.binary_join_element_wise(store_ids.take(pa.array(r.store)), pa.scalar("-G"),
                                       pc.cast(pa.array(group_no), pa.string()), "")


def customers_table(spec: SyntheticSpec, r: Retailer, customer_ids: pa.Array, store_ids: pa.Array,
                    groups: pa.Array) -> pd.DataFrame:
    """The ``customers`` table, one row per customer index."""
    in_group = np.isfinite(r.join)
    return pd.DataFrame({
        "customer_id": text(customer_ids),
        "registered_ts": timestamps(spec, r.reg),
        "source_channel": take(SOURCES, r.source),
        "store_id": take(store_ids, r.store),
        "group_id": take(groups, np.arange(r.n), valid=in_group),
        "joined_group_ts": timestamps(spec, np.where(in_group, r.join, 0.0)).where(in_group),
        "do_not_contact": r.do_not_contact,
        "referred_by": take(customer_ids, np.maximum(r.referred_by, 0), valid=r.referred_by >= 0),
    })


def ground_truth_table(spec: SyntheticSpec, r: Retailer, customer_ids: pa.Array) -> pd.DataFrame:
    """Each customer's latent traits; ``purchase_rate_30d`` is the expected number of staple
    orders in 30 days while active, at the customer's typical engagement."""
    typical = np.where(np.isfinite(r.join), r.engage, 0.0)
    p_buy = sigmoid(0.4 + r.loyalty + 3.5 * (typical - 0.2))
    per_30d = (r.staples * (30.0 * r.speed[:, None] / STAPLE_CYCLE_DAYS)).sum(axis=1) * p_buy
    lapse = np.minimum(r.lapse, 10 * r.days)  # keep far-future lapses representable
    return pd.DataFrame({
        "customer_id": text(customer_ids),
        "purchase_rate_30d": per_30d,
        "engagement_propensity": r.engage,
        "usage_speed": r.speed,
        "loyalty": r.loyalty,
        "price_sensitivity": r.price_sens,
        "in_group": np.isfinite(r.join),
        "staples": pd.Series(["|".join(np.array(STAPLES)[row]) for row in r.staples], dtype="str"),
        "lapse_ts": timestamps(spec, lapse),
        "lapsed_in_window": r.lapse < r.days,
    })
