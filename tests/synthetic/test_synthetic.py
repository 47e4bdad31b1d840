"""The synthetic retailer behaves like the business, reproducibly."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from repurchase.data.io import load_tables
from repurchase.synthetic import FLASH_HOURS, SyntheticSpec, write_synthetic


def _digests(directory):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, seed):
    spec = SyntheticSpec(customers=300, days=120, seed=seed)
    write_synthetic(tmp_path / "a", spec)
    write_synthetic(tmp_path / "b", spec)
    write_synthetic(tmp_path / "c", SyntheticSpec(customers=300, days=120, seed=seed + 1))
    a, b, c = (_digests(tmp_path / x) for x in "abc")
    assert a == b
    assert a["orders.parquet"] != c["orders.parquet"]


@pytest.fixture(scope="module")
def world(synthetic_dir):
    tables, report = load_tables(synthetic_dir)
    truth = pd.read_parquet(synthetic_dir / "ground_truth.parquet")
    return tables, report, truth


def test_loads_clean_with_every_table(world):
    tables, report, truth = world
    assert report.rejected == {}
    assert set(tables.present()) == {"orders", "order_items", "customers", "events", "products"}
    assert tables.timezone == "Asia/Shanghai"
    assert len(truth) == len(tables.customers)
    buyers = set(tables.orders["customer_id"])
    assert buyers <= set(tables.customers["customer_id"])
    assert len(buyers) > 0.95 * len(tables.customers)  # a few members never buy, as in real groups


def test_amounts_add_up(world):
    tables, _, _ = world
    o, items = tables.orders, tables.order_items
    gross = (items["quantity"] * items["unit_price"]).groupby(items["order_id"]).sum()
    net = gross.reindex(o["order_id"]).to_numpy() - o["discount_amount"].to_numpy()
    assert np.allclose(net, o["amount"].to_numpy(), atol=0.011)
    assert (o["amount"] >= 0).all()
    assert set(o["status"]) == {"paid", "cancelled", "refunded"}


def test_flash_sale_hours_stand_out(world):
    tables, _, _ = world
    hours = tables.paid_orders()["order_ts"].dt.hour.value_counts()
    flash = hours.reindex(FLASH_HOURS).mean()
    other = hours.reindex([9, 11, 13, 14, 16, 17, 19, 20]).mean()
    assert flash > 1.5 * other


def test_coupons_redeem_before_expiry_and_after_claim(world):
    tables, _, _ = world
    ev = tables.events
    redeem = ev[ev["event_type"] == "coupon_redeem"]
    assert len(redeem) > 20
    assert (redeem["event_ts"] <= redeem["expires_ts"]).all()
    claims = ev[ev["event_type"] == "coupon_claim"]
    assert (claims["expires_ts"] - claims["event_ts"] == pd.Timedelta(days=7)).all()
    used = tables.orders.dropna(subset=["coupon_id"])
    assert len(used) == len(redeem)
    assert (used["discount_amount"] > 0).all()


def test_referrals_come_from_earlier_group_members(world):
    tables, _, _ = world
    c = tables.customers.set_index("customer_id")
    referred = c.dropna(subset=["referred_by"])
    assert len(referred) > 10
    referrer = c.loc[referred["referred_by"]]
    assert (referrer["joined_group_ts"].to_numpy() <= referred["registered_ts"].to_numpy()).all()
    refs = tables.events[tables.events["event_type"] == "referral"]
    assert len(refs) == len(referred)
    assert set(refs["customer_id"]) == set(referred["referred_by"])


def test_no_purchase_after_lapse(world):
    tables, _, truth = world
    lapse = truth.set_index("customer_id")["lapse_ts"]
    o = tables.orders
    assert (o["order_ts"].to_numpy() < lapse.reindex(o["customer_id"]).to_numpy()).all()


def test_engagement_fades_before_lapse(world):
    tables, _, truth = world
    lapsed = truth[truth["lapsed_in_window"] & truth["in_group"]].set_index("customer_id")["lapse_ts"]
    ev = tables.events[tables.events["event_type"].isin(["message", "checkin", "share"])]
    ev = ev[ev["customer_id"].isin(lapsed.index)]
    days_before = (lapsed.reindex(ev["customer_id"]).to_numpy() - ev["event_ts"].to_numpy()) / pd.Timedelta(days=1)
    late = ((days_before > 0) & (days_before <= 14)).sum() / 14
    early = ((days_before > 90) & (days_before <= 120)).sum() / 30
    assert late < 0.6 * early


def test_engagement_raises_purchases_and_truth_matches_behaviour(world):
    tables, _, truth = world
    t = truth.set_index("customer_id")
    start = tables.orders["order_ts"].min()
    end = tables.orders["order_ts"].max()
    active_end = np.minimum(t["lapse_ts"], end)
    reg = tables.customers.set_index("customer_id")["registered_ts"].reindex(t.index)
    active_days = ((active_end - reg) / pd.Timedelta(days=1)).clip(lower=30)
    orders = tables.paid_orders().groupby("customer_id").size().reindex(t.index, fill_value=0)
    rate = orders / active_days * 30
    events = tables.events[tables.events["event_type"].isin(["message", "checkin"])]
    eng = events.groupby("customer_id").size().reindex(t.index, fill_value=0) / active_days * 30
    assert rate.corr(t["purchase_rate_30d"], method="spearman") > 0.5
    # engaged group members buy more often than non-members
    members = t["in_group"]
    assert rate[members & (eng > eng[members].median())].mean() > 1.3 * rate[~members].mean()
    del start
