"""The fast vectorised features agree with the slow row-by-row reference on random data."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repurchase.config import FeatureConfig
from repurchase.errors import DataError
from repurchase.features import build_features
from repurchase.spine import as_of_dates, build_spine
from tests.features.strategies import EVENT_TYPES, as_of_days, as_of_list, retailers
from tests.oracles import (
    assert_frames_match,
    event_counts_reference,
    offers_reference,
    quintile_reference,
    rfm_rhythm_reference,
    spine_reference,
)

F64 = FeatureConfig(dtype="float64")
SETTINGS = settings(max_examples=int(os.environ.get("REPURCHASE_HYPOTHESIS_EXAMPLES", 30)), deadline=None, suppress_health_check=[HealthCheck.too_slow])

RFM_COLUMNS = ["orders_count", "spend_total", "days_since_last_order", "days_since_first_order", "avg_order_value",
               "max_order_value", "preferred_weekday", "preferred_hour", "gap_mean_days", "gap_median_last10_days",
               "orders_trend_90d", "due_ratio"] + [f"{k}_{w}d" for k in ("orders", "spend") for w in (30, 90, 180, 365)]


def _features(tables, days):
    try:
        return build_features(tables, as_of_list(days), config=F64)
    except DataError:
        return None  # nobody has bought before any of these dates


@SETTINGS
@given(tables=retailers(), days=as_of_days)
def test_spine_matches_reference(tables, days):
    dates = as_of_dates(as_of_list(days), tables.timezone)
    expected = spine_reference(tables.orders, dates)
    if not expected:
        with pytest.raises(DataError):
            build_spine(tables, dates)
        return
    spine = build_spine(tables, dates)
    assert set(zip(spine["customer_id"], spine["as_of"])) == expected
    assert not spine.duplicated().any()


@SETTINGS
@given(tables=retailers(with_items=False, with_events=False), days=as_of_days)
def test_rfm_rhythm_windows_match_reference(tables, days):
    fast = _features(tables, days)
    if fast is None:
        return
    slow = rfm_rhythm_reference(tables.orders, fast[["customer_id", "as_of"]])
    assert_frames_match(fast, slow, RFM_COLUMNS)
    # the standard deviation goes through prefix sums of squares: equal to rounding
    assert_frames_match(fast, slow, ["gap_std_days"], rtol=1e-6, atol=1e-5)


@SETTINGS
@given(tables=retailers(with_items=False, with_events=False), days=as_of_days)
def test_quintile_scores_match_reference(tables, days):
    fast = _features(tables, days)
    if fast is None:
        return
    for _, grp in fast.groupby("as_of"):
        assert grp["f_score"].tolist() == quintile_reference(grp["orders_count"].tolist())
        assert grp["m_score"].tolist() == quintile_reference(grp["spend_total"].tolist())
        assert grp["r_score"].tolist() == quintile_reference(grp["days_since_last_order"].tolist(), higher_is_better=False)


@SETTINGS
@given(tables=retailers(with_items=False), days=as_of_days)
def test_event_window_counts_match_reference(tables, days):
    cfg = FeatureConfig(dtype="float64", event_types=EVENT_TYPES)
    try:
        fast = build_features(tables, as_of_list(days), config=cfg)
    except DataError:
        return
    slow = event_counts_reference(tables.events if tables.events is not None else pd.DataFrame(columns=["customer_id", "event_ts", "event_type"]),
                                  fast[["customer_id", "as_of"]], EVENT_TYPES)
    cols = [f"{t}_{w}d" for t in EVENT_TYPES for w in (7, 30, 90)]
    if tables.events is None:
        assert not set(cols) & set(fast.columns)
        return
    assert_frames_match(fast, slow, cols)


@SETTINGS
@given(tables=retailers(with_items=False, with_events=False), days=as_of_days)
def test_offer_shares_match_reference(tables, days):
    fast = _features(tables, days)
    if fast is None:
        return
    slow = offers_reference(tables.orders, fast[["customer_id", "as_of"]])
    assert_frames_match(fast, slow, ["discount_order_share", "avg_discount_depth"], rtol=1e-9, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(tables=retailers(), days=as_of_days, dtype=st.sampled_from(["float32", "float64"]))
def test_inputs_are_not_mutated(tables, days, dtype):
    before = {name: frame.copy(deep=True) for name, frame in tables.as_dict().items()}
    _ = _features(tables, days)
    for name, frame in tables.as_dict().items():
        pd.testing.assert_frame_equal(frame, before[name])
