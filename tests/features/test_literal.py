"""Tiny literal frames with the expected values written out by hand.

As of 2024-03-01 00:00 (business timezone UTC):
  a: paid orders 2024-01-01 10:00 (100), 01-31 10:00 (50), 02-25 12:00 (20); a cancelled one on 02-20
  b: one order 2024-02-01 00:00 (80)
  c: one order exactly at 2024-03-01 00:00 -> not before T, not on the spine
  d: one order at 2024-03-01 07:00+08:00 = 2024-02-29 23:00 UTC (10) -> counts
"""

from __future__ import annotations

import pandas as pd
import pytest

from repurchase.config import FeatureConfig
from repurchase.data.io import load_tables
from repurchase.features import build_features
from tests.conftest import write_csv

ORDERS = [
    ("a1", "a", "2024-01-01 10:00:00", 100.0, "paid"),
    ("a2", "a", "2024-01-31 10:00:00", 50.0, "paid"),
    ("a3", "a", "2024-02-20 10:00:00", 30.0, "cancelled"),
    ("a4", "a", "2024-02-25 12:00:00", 20.0, "paid"),
    ("b1", "b", "2024-02-01 00:00:00", 80.0, "paid"),
    ("c1", "c", "2024-03-01 00:00:00", 999.0, "paid"),
    ("d1", "d", "2024-03-01T07:00:00+08:00", 10.0, "paid"),
]


@pytest.fixture(scope="module")
def feats(tmp_path_factory):
    d = tmp_path_factory.mktemp("literal")
    write_csv(d, "orders", pd.DataFrame(ORDERS, columns=["order_id", "customer_id", "order_ts", "amount", "status"]))
    tables, _ = load_tables(d)  # dataset timezone: UTC
    f = build_features(tables, ["2024-03-01"], config=FeatureConfig(dtype="float64"))
    return f.set_index("customer_id")


def test_population_strictly_before_T(feats):
    assert sorted(feats.index) == ["a", "b", "d"]  # c's only order is exactly at T


def test_rfm_by_hand(feats):
    a = feats.loc["a"]
    assert a["orders_count"] == 3 and a["orders_30d"] == 2 and a["orders_90d"] == 3
    assert a["spend_total"] == 170 and a["spend_30d"] == 70
    assert a["days_since_last_order"] == pytest.approx(4.5)
    assert a["days_since_first_order"] == pytest.approx(60 - 10 / 24)
    assert a["avg_order_value"] == pytest.approx(170 / 3) and a["max_order_value"] == 100
    b = feats.loc["b"]
    assert (b["orders_count"], b["orders_30d"], b["days_since_last_order"]) == (1, 1, 29)
    assert pd.isna(b["gap_mean_days"]) and pd.isna(b["gap_std_days"])


def test_rhythm_by_hand(feats):
    a = feats.loc["a"]
    assert a["gap_mean_days"] == pytest.approx((30 + 25 + 2 / 24) / 2)
    assert a["gap_std_days"] == pytest.approx((30 - 25 - 2 / 24) / 2)
    assert a["gap_median_last10_days"] == pytest.approx((30 + 25 + 2 / 24) / 2)
    assert a["preferred_hour"] == 10
    assert a["preferred_weekday"] == 0  # Mon, Wed, Sun once each: the lowest wins
    pop = a["gap_mean_days"]  # the only customer with a gap
    assert a["due_ratio"] == pytest.approx(4.5 / pop)
    assert feats.loc["b", "due_ratio"] == pytest.approx(29 / pop)  # no own gap: the population's


def test_other_timezone_is_converted(feats):
    d = feats.loc["d"]
    assert d["days_since_last_order"] == pytest.approx(1 / 24)
    assert d["preferred_hour"] == 23  # business time, not the offset's


def test_rfm_segments_by_hand(feats):
    # means: recency (4.5 + 29 + 1/24) / 3, frequency 5/3, spend 260/3
    assert feats.loc["a", "rfm_segment"] == "important value" and feats.loc["a", "rfm_code"] == 111
    assert feats.loc["b", "rfm_segment"] == "general win-back" and feats.loc["b", "rfm_code"] == 0
    assert feats.loc["d", "rfm_segment"] == "general development" and feats.loc["d", "rfm_code"] == 100


def test_orders_only_data_has_no_other_groups(feats):
    assert not any(c.startswith(("checkin", "message", "categories_", "coupon")) for c in feats.columns)
    assert "discount_order_share" not in feats.columns  # no discount or coupon columns either


def test_labels_and_thresholds_are_configurable(tmp_path):
    write_csv(tmp_path, "orders", pd.DataFrame(ORDERS, columns=["order_id", "customer_id", "order_ts", "amount", "status"]))
    tables, _ = load_tables(tmp_path)
    labels = {code: f"seg{code}" for code in ("000", "001", "010", "011", "100", "101", "110", "111")}
    cfg = FeatureConfig(rfm_threshold="fixed", rfm_fixed={"recency_days": 10, "frequency_orders": 0, "monetary": 15},
                        segment_labels=labels)
    f = build_features(tables, ["2024-03-01"], config=cfg).set_index("customer_id")
    assert f.loc["a", "rfm_segment"] == "seg111" and f.loc["b", "rfm_segment"] == "seg011"
    assert f.loc["d", "rfm_segment"] == "seg110"


def test_days_since_are_local_calendar_days_across_daylight_saving(tmp_path):
    """America/New_York: clocks go forward on 2024-03-10 and back on 2024-11-03. A customer who
    last bought at midnight 235 days before T is 235 days ago, not 235 + 1/24 (every duration
    feature is measured on the local wall clock, as the windows are)."""
    from datetime import date

    write_csv(tmp_path, "orders", [
        {"order_id": "x1", "customer_id": "x", "order_ts": "2024-03-01 00:00:00", "amount": 10.0},
        {"order_id": "x2", "customer_id": "x", "order_ts": "2024-03-05 10:00:00", "amount": 10.0},
        {"order_id": "x3", "customer_id": "x", "order_ts": "2024-03-20 00:00:00", "amount": 10.0},
        {"order_id": "y1", "customer_id": "y", "order_ts": "2024-10-20 00:00:00", "amount": 10.0},
    ])
    write_csv(tmp_path, "order_items", [{"order_id": o, "sku": "t", "quantity": 1, "category": "tea"}
                                        for o in ("x1", "x2", "x3", "y1")])
    write_csv(tmp_path, "customers", [
        {"customer_id": "x", "registered_ts": "2024-03-02 00:00:00", "joined_group_ts": "2024-03-03 00:00:00"},
        {"customer_id": "y", "registered_ts": "2024-10-01 00:00:00", "joined_group_ts": ""},
    ])
    write_csv(tmp_path, "events", [
        {"customer_id": "x", "event_ts": "2024-03-08 09:00:00", "event_type": "coupon_claim", "expires_ts": "2024-11-05 00:00:00"},
        {"customer_id": "x", "event_ts": "2024-03-09 12:00:00", "event_type": "message", "expires_ts": ""},
    ])
    (tmp_path / "dataset.yaml").write_text("timezone: America/New_York\n", encoding="utf-8")
    tables, _ = load_tables(tmp_path)
    f = build_features(tables, ["2024-04-01", "2024-11-10"], config=FeatureConfig(dtype="float64"))
    f = f.set_index(["customer_id", f["as_of"].dt.date.astype(str)])

    def days(a: str, b: str) -> int:
        return (date.fromisoformat(b) - date.fromisoformat(a)).days

    spring, fall = f.loc[("x", "2024-04-01")], f.loc[("x", "2024-11-10")]
    # across the spring change (an hour short in UTC)
    assert spring["days_since_last_order"] == 12 and spring["days_since_first_order"] == days("2024-03-01", "2024-04-01")
    assert spring["days_since_registered"] == 30 and spring["days_since_joined_group"] == 29
    assert spring["days_since_last_engagement"] == 22.5  # Mar 9 12:00 EST -> Apr 1 00:00 EDT
    assert spring["days_to_coupon_expiry"] == days("2024-04-01", "2024-11-05")  # across the autumn change
    gaps = [4 + 10 / 24, 14 + 14 / 24]  # Mar 1 -> Mar 5 10:00 -> Mar 20, the second across the change
    assert spring["gap_mean_days"] == pytest.approx(9.5, abs=1e-12)
    assert spring["gap_std_days"] == pytest.approx((gaps[1] - gaps[0]) / 2, abs=1e-12)
    assert spring["gap_median_last10_days"] == pytest.approx(9.5, abs=1e-12)
    assert spring["due_ratio_tea"] == pytest.approx(12 / 9.5, abs=1e-12)  # own cycle (Mar 20 - Mar 1) / 2
    # across the autumn change (an hour long in UTC)
    assert fall["days_since_last_order"] == days("2024-03-20", "2024-11-10")
    assert fall["days_since_first_order"] == days("2024-03-01", "2024-11-10")
    assert fall["days_since_registered"] == days("2024-03-02", "2024-11-10")
    assert f.loc[("y", "2024-11-10"), "days_since_last_order"] == 21
    assert f.loc[("y", "2024-11-10"), "days_since_registered"] == days("2024-10-01", "2024-11-10")
