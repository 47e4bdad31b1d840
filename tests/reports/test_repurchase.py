"""Repurchase rates and cohorts against values computed by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from repurchase.errors import DataError
from repurchase.reports.repurchase import cohort_retention, metrics_report, repurchase_rates
from repurchase.schema import Tables

UTC = "UTC"


def _orders(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "order_ts", "channel", "status"])
    frame["order_ts"] = pd.to_datetime(frame["order_ts"]).dt.tz_localize(UTC)
    frame.insert(0, "order_id", [f"o{i}" for i in range(len(frame))])
    frame["amount"] = 10.0
    return frame


# a: Jan x2 (store), Feb x1 (mini) + a cancelled Feb order; b: Jan x1, Mar x3; c: Feb x1
ROWS = [
    ("a", "2024-01-05", "store", "paid"), ("a", "2024-01-20", "store", "paid"),
    ("a", "2024-02-10", "mini", "paid"), ("a", "2024-02-15", "mini", "cancelled"),
    ("b", "2024-01-07", "mini", "paid"), ("b", "2024-03-01", "mini", "paid"),
    ("b", "2024-03-02", "store", "paid"), ("b", "2024-03-03", "mini", "paid"),
    ("c", "2024-02-01", "store", "paid"),
]


@pytest.fixture
def tables():
    return Tables(orders=_orders(ROWS), timezone=UTC)


def test_monthly_rates_by_hand(tables):
    r = repurchase_rates(tables.paid_orders(), "month").set_index("period")
    assert r.loc["2024-01", ["customers", "repeat_customers", "orders", "repeat_orders"]].tolist() == [2, 1, 3, 1]
    assert r.loc["2024-01", "user_repurchase_rate"] == pytest.approx(1 / 2)
    assert r.loc["2024-01", "order_repurchase_rate"] == pytest.approx(1 / 3)
    assert r.loc["2024-02", ["customers", "repeat_customers", "orders", "repeat_orders"]].tolist() == [2, 0, 2, 0]
    assert r.loc["2024-03", "user_repurchase_rate"] == 1.0
    assert r.loc["2024-03", "order_repurchase_rate"] == pytest.approx(2 / 3)


def test_quarterly_and_yearly(tables):
    q = repurchase_rates(tables.paid_orders(), "quarter").set_index("period")
    assert q.loc["2024Q1", "user_repurchase_rate"] == pytest.approx(2 / 3)
    assert q.loc["2024Q1", "order_repurchase_rate"] == pytest.approx(5 / 8)
    y = repurchase_rates(tables.paid_orders(), "year")
    assert y["period"].tolist() == ["2024"]


def test_by_order_attribute_is_its_own_population(tables):
    r = repurchase_rates(tables.paid_orders(), "month", by="channel").set_index(["period", "channel"])
    assert r.loc[("2024-01", "store"), ["customers", "repeat_customers"]].tolist() == [1, 1]
    assert r.loc[("2024-01", "mini"), ["customers", "repeat_customers"]].tolist() == [1, 0]
    # b bought 3 times in March, but only twice through the mini-program
    assert r.loc[("2024-03", "mini"), ["customers", "repeat_customers", "orders", "repeat_orders"]].tolist() == [1, 1, 2, 1]


def test_by_customer_attribute_and_unknown_column(tables):
    customers = pd.DataFrame({"customer_id": ["a", "b"], "tier": ["gold", "silver"]})
    r = repurchase_rates(tables.paid_orders(), "quarter", by="tier", customers=customers).set_index("tier")
    assert r.loc["gold", "customers"] == 1 and r.loc["(missing)", "customers"] == 1  # c has no tier
    with pytest.raises(DataError, match="--by 'nope'"):
        repurchase_rates(tables.paid_orders(), "month", by="nope", customers=customers)


def test_periods_follow_business_time():
    o = _orders([("a", "2024-01-31 20:00", "x", "paid")])
    o["order_ts"] = o["order_ts"].dt.tz_convert("Asia/Shanghai")  # 2024-02-01 04:00 local
    assert repurchase_rates(o, "month")["period"].tolist() == ["2024-02"]


def test_cohorts_by_hand(tables):
    c = cohort_retention(tables.paid_orders()).set_index("cohort")
    assert c.loc["2024-01", "cohort_size"] == 2 and c.loc["2024-02", "cohort_size"] == 1
    assert c.loc["2024-01", ["m0", "m1", "m2"]].tolist() == [1.0, 0.5, 0.5]
    assert c.loc["2024-02", "m0"] == 1.0 and c.loc["2024-02", "m1"] == 0.0
    assert math.isnan(c.loc["2024-02", "m2"])  # April is after the data ends: unknown, not zero


def test_report_writes_files_atomically(tables, tmp_path):
    out = tmp_path / "m"
    rep = metrics_report(tables, out, "month")
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in rep.files.values())
    back = pd.read_csv(rep.files["rates_csv"], encoding="utf-8-sig")
    assert back["customers"].tolist() == [2, 2, 1]
    with pytest.raises(DataError):
        metrics_report(tables, tmp_path / "never", "month", by="nope")
    assert not (tmp_path / "never").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # no temporary directory left behind
