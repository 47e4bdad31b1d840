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


def test_labels_equal_a_row_by_row_reference_across_daylight_saving(seed):
    # orders around the March and November changes in New York; windows are local calendar days,
    # so an order at local midnight T + h is outside and one a second before it inside
    rng = np.random.default_rng(seed)
    tz = "America/New_York"
    start = pd.Timestamp("2024-01-01")
    rows = [dict(BASE, order_id=f"o{i}", customer_id=f"c{rng.integers(200)}",
                 order_ts=start + pd.Timedelta(minutes=int(rng.integers(0, 365 * 24 * 60))),
                 status="paid" if rng.random() > 0.1 else "cancelled") for i in range(1500)]
    rows += [dict(BASE, order_id=f"m{i}", customer_id="c0", order_ts=pd.Timestamp(ts))  # the window edges
             for i, ts in enumerate(["2024-03-10 00:00", "2024-04-08 23:59:59", "2024-04-09 00:00", "2024-11-03 01:30"])]
    t = make_tables(tz, rows)
    dates = [pd.Timestamp(d, tz=tz) for d in ("2024-03-10", "2024-06-01", "2024-10-20", "2024-11-03")]
    spine = pd.DataFrame([(c, d) for d in dates for c in sorted(set(t.orders["customer_id"]))],
                         columns=["customer_id", "as_of"])
    paid = t.orders[t.orders["status"] == "paid"]

    def count(c, lo, hi):
        ts = paid.loc[paid["customer_id"] == c, "order_ts"]
        return int(((ts >= lo) & (ts < hi)).sum())

    def local(d, days):  # local midnight `days` calendar days from d
        return (d.tz_localize(None) + pd.Timedelta(days=days)).tz_localize(tz)

    for h in (1, 30):
        want = [float(count(c, d, local(d, h)) > 0) for c, d in spine.itertuples(index=False)]
        assert next_purchase_labels(t, spine, h).tolist() == want, h
    want = [(float(count(c, d, local(d, 30)) == 0) if count(c, local(d, -90), d) > 0 else None)
            for c, d in spine.itertuples(index=False)]
    got = churn_labels(t, spine, active_days=90, churn_days=30)
    assert [None if np.isnan(v) else v for v in got] == want
    assert 0 < np.nanmean(got) < 1 and sum(w is None for w in want) > 0  # both classes, and inactive rows
