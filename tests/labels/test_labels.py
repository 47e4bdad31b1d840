"""Labels look only at [T, T + horizon) (churn: who is active is decided before T)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from repurchase.errors import DataError
from repurchase.labels import churn_labels, next_purchase_labels
from tests.features.strategies import make_tables

BASE = {"amount": 1.0, "status": "paid", "discount_amount": 0.0, "coupon_id": None}
T = pd.Timestamp("2024-03-01", tz="UTC")


def _tables(rows):
    orders = [dict(BASE, order_id=f"o{i}", customer_id=c, order_ts=pd.Timestamp(ts), **kw) for i, (c, ts, kw) in enumerate(rows)]
    orders.append(dict(BASE, order_id="end", customer_id="zz", order_ts=pd.Timestamp("2024-12-31")))  # data runs to the end of 2024
    return make_tables("UTC", orders)


def _spine(*customers):
    return pd.DataFrame({"customer_id": list(customers), "as_of": [T] * len(customers)})


def test_next_purchase_window_by_hand():
    t = _tables([
        ("a", "2024-02-20", {}), ("a", "2024-03-01 00:00:00", {}),  # exactly at T: inside [T, T+30)
        ("b", "2024-02-20", {}), ("b", "2024-03-31 00:00:00", {}),  # exactly at T+30: outside
        ("c", "2024-02-20", {}), ("c", "2024-03-10", {"status": "cancelled"}),  # not a purchase
        ("d", "2024-02-20", {}), ("d", "2024-03-30 23:59:59", {}),
    ])
    y = next_purchase_labels(t, _spine("a", "b", "c", "d"), 30)
    assert y.tolist() == [1.0, 0.0, 0.0, 1.0]
    assert y.name == "next_purchase_30d"


def test_churn_by_hand():
    t = _tables([
        ("active_stays", "2024-01-15", {}), ("active_stays", "2024-04-01", {}),
        ("active_leaves", "2024-01-15", {}),
        ("long_gone", "2023-01-01", {}), ("long_gone", "2024-04-01", {}),  # inactive at T: no label
    ])
    y = churn_labels(t, _spine("active_stays", "active_leaves", "long_gone"), active_days=180, churn_days=90)
    assert y.iloc[:2].tolist() == [0.0, 1.0] and np.isnan(y.iloc[2])


def test_orders_outside_the_window_do_not_matter():
    base = [("a", "2024-02-20", {}), ("a", "2024-03-15", {})]
    y0 = next_purchase_labels(_tables(base), _spine("a"), 30)
    y1 = next_purchase_labels(_tables(base + [("a", "2023-06-01", {}), ("a", "2024-06-01", {})]), _spine("a"), 30)
    pd.testing.assert_series_equal(y0, y1)


def test_incomplete_window_refused():
    t = _tables([("a", "2024-02-20", {})])
    late = pd.DataFrame({"customer_id": ["a"], "as_of": [pd.Timestamp("2024-12-15", tz="UTC")]})
    with pytest.raises(DataError, match="not complete"):
        next_purchase_labels(t, late, 30)
