"""Offers on a tiny literal frame, expected values written out by hand.

Business timezone UTC; as of 2024-03-01 (T1) and 2024-04-01 (T2), both 00:00.

Orders:
  a: 01-10 90 + 10 discount; 02-10 50 with coupon c1; 03-10 100 without offer
  b: 01-05 20; a cancelled order 02-01 with a discount (not paid: ignored)
  c: 01-20 30, discount missing
Events (claim = coupon_claim, redeem = coupon_redeem, expiry in brackets):
  a: claim 01-01 [02-01] expired at both dates; claims 02-01 and 02-05 [03-20] and a redeem
     02-10 [03-20] matched to one of them; claim 02-15 without expiry (never open);
     claim exactly at T1 [05-01] (not before T1, open at T2)
  b: redeem 02-20 [04-15] without a claim (clipped at 0, must not cancel another expiry's
     coupon); claim 02-25 [06-01]
  c: claim 02-01 [02-20] and two redeems 02-10 [02-20] (rate capped at 1); claim 02-01 expiring
     exactly at T2 [04-01] (open at T1 only)
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from repurchase.config import FeatureConfig
from repurchase.data.io import load_tables
from repurchase.features import build_features
from tests.conftest import write_csv

ORDERS = [
    ("a1", "a", "2024-01-10 10:00:00", 90.0, "paid", 10.0, ""),
    ("a2", "a", "2024-02-10 10:00:00", 50.0, "paid", "", "c1"),
    ("a3", "a", "2024-03-10 10:00:00", 100.0, "paid", 0.0, ""),
    ("b1", "b", "2024-01-05 10:00:00", 20.0, "paid", "", ""),
    ("b2", "b", "2024-02-01 10:00:00", 40.0, "cancelled", 5.0, "c2"),
    ("c1", "c", "2024-01-20 10:00:00", 30.0, "paid", "", ""),
]
EVENTS = [
    ("a", "2024-01-01 09:00:00", "coupon_claim", "2024-02-01 00:00:00"),
    ("a", "2024-02-01 09:00:00", "coupon_claim", "2024-03-20 00:00:00"),
    ("a", "2024-02-05 09:00:00", "coupon_claim", "2024-03-20 00:00:00"),
    ("a", "2024-02-10 09:00:00", "coupon_redeem", "2024-03-20 00:00:00"),
    ("a", "2024-02-15 09:00:00", "coupon_claim", ""),
    ("a", "2024-03-01 00:00:00", "coupon_claim", "2024-05-01 00:00:00"),
    ("b", "2024-02-20 09:00:00", "coupon_redeem", "2024-04-15 00:00:00"),
    ("b", "2024-02-25 09:00:00", "coupon_claim", "2024-06-01 00:00:00"),
    ("c", "2024-02-01 09:00:00", "coupon_claim", "2024-02-20 00:00:00"),
    ("c", "2024-02-10 09:00:00", "coupon_redeem", "2024-02-20 00:00:00"),
    ("c", "2024-02-10 10:00:00", "coupon_redeem", "2024-02-20 00:00:00"),
    ("c", "2024-02-01 10:00:00", "coupon_claim", "2024-04-01 00:00:00"),
    ("c", "2024-02-02 10:00:00", "checkin", ""),
]
NAN = math.nan
# (customer, as of): share, depth, redeem rate, open, days to expiry
EXPECTED = {
    ("a", "2024-03-01"): (2 / 2, 1000 / 15000, 1 / 4, 1, 19),  # 2 claims - 1 redeem on 03-20
    ("a", "2024-04-01"): (2 / 3, 1000 / 25000, 1 / 5, 1, 30),  # the claim made at T1, for 05-01
    ("b", "2024-03-01"): (0, 0, 1, 1, 92),  # 1 redeem / 1 claim; 06-01 open, 04-15 clipped
    ("b", "2024-04-01"): (0, 0, 1, 1, 61),
    ("c", "2024-03-01"): (0, 0, 1, 1, 31),  # min(2 / 2, 1); the 04-01 claim
    ("c", "2024-04-01"): (0, 0, 1, 0, NAN),  # expiry exactly at T2: not open
}
COLUMNS = ["discount_order_share", "avg_discount_depth", "coupon_redeem_rate", "coupons_open", "days_to_coupon_expiry"]


@pytest.fixture(scope="module")
def feats(tmp_path_factory):
    d = tmp_path_factory.mktemp("offers_literal")
    write_csv(d, "orders", pd.DataFrame(ORDERS, columns=["order_id", "customer_id", "order_ts", "amount", "status",
                                                         "discount_amount", "coupon_id"]))
    write_csv(d, "events", pd.DataFrame(EVENTS, columns=["customer_id", "event_ts", "event_type", "expires_ts"]))
    tables, _ = load_tables(d)
    f = build_features(tables, ["2024-03-01", "2024-04-01"], config=FeatureConfig(dtype="float64"))
    f["as_of"] = f["as_of"].dt.strftime("%Y-%m-%d")
    return f.set_index(["customer_id", "as_of"])


def test_offers_by_hand(feats):
    assert sorted(feats.index) == sorted(EXPECTED)
    for key, want in EXPECTED.items():
        got = feats.loc[key, COLUMNS].to_numpy(dtype=float)
        for col, g, w in zip(COLUMNS, got, want):
            assert (math.isnan(g) and math.isnan(w)) or g == w, (key, col, g, w)


def test_no_expiry_column_means_nothing_open(tmp_path):
    write_csv(tmp_path, "orders", pd.DataFrame(ORDERS, columns=["order_id", "customer_id", "order_ts", "amount",
                                                                "status", "discount_amount", "coupon_id"]))
    write_csv(tmp_path, "events", pd.DataFrame([e[:3] for e in EVENTS],
                                               columns=["customer_id", "event_ts", "event_type"]))
    f = build_features(load_tables(tmp_path)[0], ["2024-03-01"], config=FeatureConfig(dtype="float64"))
    f = f.set_index("customer_id")
    assert (f["coupons_open"] == 0).all() and f["days_to_coupon_expiry"].isna().all()
    assert f.loc["a", "coupon_redeem_rate"] == 1 / 4 and f.loc["c", "coupon_redeem_rate"] == 1


def test_orders_only_has_no_coupon_columns(tmp_path):
    write_csv(tmp_path, "orders", pd.DataFrame([o[:5] for o in ORDERS],
                                               columns=["order_id", "customer_id", "order_ts", "amount", "status"]))
    f = build_features(load_tables(tmp_path)[0], ["2024-03-01"], config=FeatureConfig(dtype="float64"))
    assert not set(COLUMNS) & set(f.columns)
