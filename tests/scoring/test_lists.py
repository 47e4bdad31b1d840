"""List rules on tiny literal inputs: bands, offers, control group, budget, exclusions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repurchase.config import BandThresholds, OfferTier
from repurchase.schema import Tables
from repurchase.scoring.lists import (assign_offers, bands, block_size, budget_cut, control_flags, exclusions,
                                      rank_order)


def test_bands_at_the_thresholds():
    got = bands(np.array([0.9, 0.5, 0.49, 0.2, 0.19, 0.0]), BandThresholds(high=0.5, medium=0.2))
    assert got.tolist() == ["high", "high", "medium", "medium", "low", "low"]


def test_first_matching_offer_tier_wins_by_list_segment_code_or_label_and_band():
    tiers = [OfferTier(name="vip", discount_pct=50, expiry_days=3, lists=["recall"], segments=["111"], bands=["high"]),
             OfferTier(name="winback", discount_pct=30, lists=["recall"], segments=["important win-back"]),
             OfferTier(name="any", discount_pct=10, lists=["recall"]),
             OfferTier(name="need_only", lists=["need"])]
    code = pd.Series(["111", "111", "001", "000"])
    seg = pd.Series(["important value", "important value", "important win-back", "general win-back"])
    got = assign_offers("recall", code, seg, np.array(["high", "low", "high", "high"]), tiers)
    assert got["offer"].tolist() == ["vip", "any", "winback", "any"]
    assert got["offer_discount_pct"].tolist() == [50, 10, 30, 10]
    assert got["offer_expiry_days"].tolist() == [3, 7, 7, 7]
    assert assign_offers("need", code, seg, np.array(["high"] * 4), tiers[:3])["offer"].tolist() == ["none"] * 4


@pytest.mark.parametrize("share, size", [(0.1, 10), (0.15, 20), (0.05, 20), (0.2, 5), (0.33, 100), (0.5, 2)])
def test_block_size(share, size):
    assert block_size(share) == size


def test_control_share_is_exact_per_band_in_whole_blocks_and_stable_for_a_seed(seed):
    band = np.array(["high"] * 300 + ["medium"] * 200 + ["low"] * 100, dtype=object)
    rng = np.random.default_rng(seed)
    band = band[rng.permutation(len(band))]
    flags = control_flags(band, 0.1, seed)
    for b, n in (("high", 300), ("medium", 200), ("low", 100)):
        assert flags[band == b].sum() == n // 10
        # one control in every block of ten consecutive rows of the band
        assert (flags[band == b].reshape(-1, 10).sum(axis=1) == 1).all()
    assert np.array_equal(flags, control_flags(band, 0.1, seed))
    assert not np.array_equal(flags, control_flags(band, 0.1, seed + 1))


def test_control_flags_do_not_change_when_the_list_is_cut(seed):
    band = np.random.default_rng(seed).choice(np.array(["high", "medium", "low"], dtype=object), 997)
    full = control_flags(band, 0.1, seed)
    for n in (1, 10, 123, 500):
        assert np.array_equal(control_flags(band[:n], 0.1, seed), full[:n])


def test_budget_cut_counts_only_contacted_rows():
    control = np.array([False, True, False, False, True, False])
    assert budget_cut(np.ones(6), control, contacts=2) == 3      # rows 0, 2 contacted; row 1 control kept
    assert budget_cut(np.ones(6), control, contacts=3) == 4
    assert budget_cut(np.ones(6), control, contacts=0) == 0
    assert budget_cut(np.ones(6), control, contacts=100) == 6
    cost = np.array([5.0, 100.0, 5.0, 20.0, 1.0, 1.0])
    assert budget_cut(cost, control, money=10) == 3             # 5 + 5; the control row's cost does not count
    assert budget_cut(cost, control, money=30, contacts=2) == 3


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 50), st.booleans()), max_size=60), st.integers(0, 40), st.floats(0, 400))
def test_budget_is_never_exceeded(rows, contacts, money):
    cost = np.array([r[0] for r in rows])
    control = np.array([r[1] for r in rows], dtype=bool)
    keep = budget_cut(cost, control, contacts=contacts, money=money)
    contacted = ~control[:keep]
    assert contacted.sum() <= contacts
    assert cost[:keep][contacted].sum() <= money + 1e-6
    assert keep == 0 or contacted[-1]  # the list ends on a contacted row


def test_rank_order_breaks_ties_by_customer_id():
    ids = pd.Series(["c", "a", "b", "d"])
    assert rank_order(np.array([0.5, 0.5, 0.9, 0.5]), ids).tolist() == [2, 1, 0, 3]


def test_exclusions_do_not_contact_and_recent_real_contacts_only():
    tz = "Asia/Shanghai"
    ts = lambda s: pd.Timestamp(s, tz=tz)  # noqa: E731
    customers = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "do_not_contact": [True, False, None, False]})
    contacts = pd.DataFrame({"customer_id": ["b", "c", "d", "a"],
                             "contacted_ts": [ts("2025-06-25"), ts("2025-06-29 23:00"), ts("2025-06-10"), ts("2025-07-01")],
                             "control_group": [False, True, False, False]})
    tables = Tables(orders=pd.DataFrame(), customers=customers, contacts=contacts, timezone=tz)
    got = exclusions(tables, pd.Series(["a", "b", "c", "d", "e"]), ts("2025-07-01"), 7)
    assert got["do_not_contact"].tolist() == [True, False, False, False, False]
    # b: contacted 6 days before T; c: a control hold-out is not a contact; d: too long ago; a: at T is not before T
    assert got["recently_contacted"].tolist() == [False, True, False, False, False]
