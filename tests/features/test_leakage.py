"""The cardinal sin: nothing at or after T may change a feature at T."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repurchase.errors import DataError
from repurchase.features import build_features
from repurchase.schema import Tables
from tests.features.strategies import CATEGORIES, EVENT_TYPES, retailers

FUTURE_TYPES = EVENT_TYPES + ["group_join", "group_leave"]


@st.composite
def future_rows(draw, tables: Tables, T: pd.Timestamp):
    """Orders, items and events stamped at or after T (exactly at T included), for known and new customers."""
    customers = sorted(set(tables.orders["customer_id"])) + ["newcomer"]
    orders, items, events = [], [], []
    for k in range(draw(st.integers(1, 8))):
        ts = T + pd.Timedelta(seconds=draw(st.sampled_from([0, 1, 3600, 86_399, 86_400 * 30, 86_400 * 200])))
        oid = f"future{k}"
        orders.append({"order_id": oid, "customer_id": draw(st.sampled_from(customers)), "order_ts": ts,
                       "amount": float(draw(st.integers(0, 9999))), "status": "paid",
                       "discount_amount": draw(st.sampled_from([0.0, 30.0])), "coupon_id": draw(st.sampled_from([None, "cpX"]))})
        for cat in draw(st.lists(st.sampled_from(CATEGORIES + ["brand_new_category"]), min_size=1, max_size=3)):
            items.append({"order_id": oid, "sku": f"{cat}-9", "quantity": 1.0, "category": cat, "unit_price": 1.0})
    for _ in range(draw(st.integers(0, 12))):
        ts = T + pd.Timedelta(seconds=draw(st.integers(0, 86_400 * 60)))
        etype = draw(st.sampled_from(FUTURE_TYPES + ["brand_new_event"]))
        row = {"customer_id": draw(st.sampled_from(customers)), "event_ts": ts, "event_type": etype}
        if etype == "coupon_claim":
            row["expires_ts"] = ts + pd.Timedelta(days=7)
        events.append(row)
    return orders, items, events


def _append(tables: Tables, orders, items, events) -> Tables:
    tz = tables.timezone
    o = pd.concat([tables.orders, pd.DataFrame(orders).astype({"order_id": "str", "customer_id": "str", "status": "str", "coupon_id": "str"})
                   .assign(order_ts=lambda d: pd.to_datetime(d["order_ts"]).astype(f"datetime64[ns, {tz}]"))], ignore_index=True)
    # Rows go into the tables that exist: a new table would be a new schema, not a later row.
    i = pd.concat([tables.order_items, pd.DataFrame(items).astype({"order_id": "str", "sku": "str", "category": "str"})], ignore_index=True) \
        if tables.order_items is not None else None
    e = tables.events
    if events and e is not None:
        new = pd.DataFrame(events).astype({"customer_id": "str", "event_type": "str"})
        new["event_ts"] = pd.to_datetime(new["event_ts"]).astype(f"datetime64[ns, {tz}]")
        if "expires_ts" in new.columns:
            new["expires_ts"] = pd.to_datetime(new["expires_ts"]).astype(f"datetime64[ns, {tz}]")
        e = pd.concat([e, new], ignore_index=True)
    return Tables(orders=o, order_items=i, events=e, customers=tables.customers, timezone=tz)


@settings(max_examples=int(os.environ.get("REPURCHASE_HYPOTHESIS_EXAMPLES", 40)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), tables=retailers(), day=st.integers(1, 420))
def test_rows_at_or_after_T_change_nothing(data, tables, day):
    T = (pd.Timestamp("2024-01-01") + pd.Timedelta(days=day)).tz_localize(tables.timezone)
    try:
        before = build_features(tables, [T])
    except DataError:
        return
    orders, items, events = data.draw(future_rows(tables, T))
    after = build_features(_append(tables, orders, items, events), [T])
    pd.testing.assert_frame_equal(before, after, check_exact=True)


def test_order_exactly_at_T_is_not_counted_but_one_second_before_is():
    from tests.features.strategies import make_tables

    base = {"amount": 10.0, "status": "paid", "discount_amount": 0.0, "coupon_id": None}
    t = make_tables("UTC", [
        dict(base, order_id="a", customer_id="x", order_ts=pd.Timestamp("2024-03-01 00:00:00")),
        dict(base, order_id="b", customer_id="y", order_ts=pd.Timestamp("2024-02-29 23:59:59")),
    ])
    f = build_features(t, ["2024-03-01"])
    assert f["customer_id"].tolist() == ["y"]
    assert np.isclose(f["days_since_last_order"].iloc[0], 1 / 86_400)


@settings(max_examples=int(os.environ.get("REPURCHASE_HYPOTHESIS_EXAMPLES", 40)) // 4, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), tables=retailers(max_customers=8, with_events=False), day=st.integers(60, 420))
def test_bgnbd_features_ignore_rows_at_or_after_T(data, tables, day):
    import pytest

    from repurchase.config import FeatureConfig
    from repurchase.features.bgnbd import lifetimes_available

    if not lifetimes_available():
        pytest.skip("needs lifetimes")
    cfg = FeatureConfig(groups=["rfm", "btyd"])
    T = (pd.Timestamp("2024-01-01") + pd.Timedelta(days=day)).tz_localize(tables.timezone)
    try:
        before = build_features(tables, [T], config=cfg)
    except DataError:
        return
    orders, items, events = data.draw(future_rows(tables, T))
    after = build_features(_append(tables, orders, items, events), [T], config=cfg)
    pd.testing.assert_frame_equal(before, after, check_exact=True)
