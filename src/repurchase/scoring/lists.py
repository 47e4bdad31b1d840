"""The rules that turn scores into lists: bands, offers, exclusions, the control group, the budget."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from repurchase.config import BandThresholds, OfferTier
from repurchase._timeline import epoch_seconds
from repurchase.schema import Tables
from repurchase.spine import AsOf, AsOfContext

LIST_COLUMNS = ["customer_id", "as_of", "list", "rank", "score", "band", "rfm_code", "rfm_segment", "offer", "reasons",
                "best_contact_hour", "control_group", "model_version"]


def bands(score: np.ndarray, thresholds: BandThresholds) -> np.ndarray:
    """"high" at or above ``thresholds.high``, "medium" at or above ``thresholds.medium``, else "low"."""
    score = np.asarray(score, float)
    return np.where(score >= thresholds.high, "high", np.where(score >= thresholds.medium, "medium", "low")).astype(object)


def assign_offers(list_name: str, rfm_code: pd.Series, rfm_segment: pd.Series, band: np.ndarray,
                  tiers: list[OfferTier]) -> pd.DataFrame:
    """The first tier matching the list, the RFM segment (code or label) and the band, per row:
    ``offer``, ``offer_discount_pct``, ``offer_expiry_days`` ("none" when no tier matches)."""
    n = len(band)
    name = np.full(n, "none", dtype=object)
    pct = np.zeros(n)
    days = np.zeros(n, dtype=np.int64)
    free = np.ones(n, bool)
    code, seg = rfm_code.to_numpy().astype(str), rfm_segment.to_numpy().astype(str)
    for tier in tiers:
        if list_name not in tier.lists:
            continue
        hit = free.copy()
        if tier.segments is not None:
            hit &= np.isin(code, tier.segments) | np.isin(seg, tier.segments)
        if tier.bands is not None:
            hit &= np.isin(band, tier.bands)
        name[hit], pct[hit], days[hit] = tier.name, tier.discount_pct, tier.expiry_days
        free &= ~hit
    return pd.DataFrame({"offer": name, "offer_discount_pct": pct, "offer_expiry_days": days})


def block_size(share: float) -> int:
    """The smallest block (at most 100 rows) in which ``share`` is a whole number of rows."""
    for m in range(1, 101):
        if abs(m * share - round(m * share)) < 1e-9:
            return m
    return 100


def control_flags(band: np.ndarray, share: float, seed: int) -> np.ndarray:
    """Randomised blocks: within each band, rows in rank order form blocks of :func:`block_size`
    rows and a seeded random ``share`` of each block is control.

    Every row is control with probability ``share``; each band holds its share (exactly, in whole
    blocks), control and contacted rows have the same score mix, and a row's flag depends only on
    the rows ranked above it in its band, so cutting the list at a budget changes no flag.
    """
    n = len(band)
    out = np.zeros(n, bool)
    if share <= 0 or n == 0:
        return out
    m = block_size(share)
    per_block = int(round(m * share))
    for b_i, b in enumerate(("high", "medium", "low")):
        rows = np.flatnonzero(band == b)
        if len(rows) == 0:
            continue
        rng = np.random.default_rng([seed, b_i])
        n_blocks = -(-len(rows) // m)
        # one permutation of block positions per block; a position is control if it is among the first per_block
        perm = np.argsort(rng.random((n_blocks, m)), axis=1)
        ctrl_pos = perm[:, :per_block]
        flag = np.zeros((n_blocks, m), bool)
        np.put_along_axis(flag, ctrl_pos, True, axis=1)
        out[rows] = flag.ravel()[: len(rows)]
    return out


def budget_cut(cost: np.ndarray, control: np.ndarray, *, contacts: int | None = None,
               money: float | None = None) -> int:
    """How many ranked rows to keep so that contacted (non-control) rows stay within the budget.

    ``cost`` is each row's cost if contacted; control rows are never contacted and cost nothing.
    The cut is after the last contacted row that still fits, so the trailing rows are contacted.
    """
    contacted = ~np.asarray(control, bool)
    fits = np.ones(len(cost), bool)
    if contacts is not None:
        fits &= np.cumsum(contacted) <= contacts
    if money is not None:
        fits &= np.cumsum(np.where(contacted, cost, 0.0)) <= money + 1e-9
    # the prefix that fits, ending at a contacted row
    stop = np.flatnonzero(~fits)
    n = int(stop[0]) if len(stop) else len(cost)
    last = np.flatnonzero(contacted[:n])
    return int(last[-1] + 1) if len(last) else 0


def exclusions(tables: Tables, customer_ids: pd.Series, as_of: AsOf | AsOfContext, contacted_days: int) -> pd.DataFrame:
    """Per customer: ``do_not_contact`` (customers table) and ``recently_contacted`` (a real contact,
    not a control hold-out, in the ``contacted_days`` before T)."""
    ids = customer_ids.reset_index(drop=True)
    dnc = np.zeros(len(ids), bool)
    c = tables.customers
    if c is not None and "do_not_contact" in c.columns:
        flagged = c.loc[c["do_not_contact"].fillna(False).astype(bool), "customer_id"]
        dnc = ids.isin(flagged).to_numpy()
    recent = np.zeros(len(ids), bool)
    k = tables.contacts
    if k is not None and contacted_days > 0:
        ctx = AsOfContext.of(as_of, tables.timezone)
        t, since = ctx.seconds, ctx.window_start_seconds(contacted_days)
        ts = epoch_seconds(k["contacted_ts"])
        real = ~k["control_group"].fillna(False).astype(bool).to_numpy() if "control_group" in k.columns else True
        hit = (ts >= since) & (ts < t) & real
        recent = ids.isin(k.loc[hit, "customer_id"]).to_numpy()
    return pd.DataFrame({"do_not_contact": dnc, "recently_contacted": recent})


def rank_order(score: np.ndarray, customer_ids: pd.Series) -> np.ndarray:
    """Positions sorted by score, highest first; ties by customer id so reruns give the same order."""
    frame = pd.DataFrame({"s": -np.asarray(score, float), "c": customer_ids.to_numpy()})
    return frame.sort_values(["s", "c"], kind="stable").index.to_numpy()


@dataclass(frozen=True)
class Audience:
    """Everyone scored at T, as both lists see them.

    Attributes
    ----------
    ctx : AsOfContext
        T.
    ids : Series
        Customer ids, in spine order (positions index every per-customer array).
    base : DataFrame
        ``customer_id``, ``as_of`` (a date), ``rfm_code``, ``rfm_segment``, ``best_contact_hour``,
        ``contact_hour_source`` per customer.
    excl : DataFrame
        :func:`exclusions` per customer.
    """

    ctx: AsOfContext
    ids: pd.Series
    base: pd.DataFrame
    excl: pd.DataFrame

    @property
    def excluded(self) -> np.ndarray:
        """Not to be contacted by either list: do-not-contact, or contacted recently."""
        return self.excl["do_not_contact"].to_numpy() | self.excl["recently_contacted"].to_numpy()


def list_frame(base: pd.DataFrame, rows: np.ndarray, list_name: str, score: np.ndarray, band: np.ndarray,
               control: np.ndarray, version: str) -> pd.DataFrame:
    """The columns every list shares, for ``rows`` (positions in ``base``) in rank order."""
    b = base.iloc[rows].reset_index(drop=True)
    return pd.DataFrame({
        "customer_id": b["customer_id"], "as_of": b["as_of"], "list": list_name,
        "rank": np.arange(1, len(rows) + 1, dtype=np.int64), "score": np.round(score, 6),
        "band": band, "rfm_code": b["rfm_code"], "rfm_segment": b["rfm_segment"],
        "control_group": control, "model_version": version,
    })
