"""Lift against the control group: literal figures, open windows, and recovery of a simulated
campaign's true lift."""

from __future__ import annotations


import pandas as pd
import pytest

from repurchase.config import load_config
from repurchase.lift.campaign import simulate_campaign
from repurchase.lift import measure_lift, write_lift_report
from repurchase.schema import Tables
from repurchase.scoring import load_models, score

TZ = "Asia/Shanghai"


def _ts(s):
    return pd.Timestamp(s, tz=TZ)


def test_lift_by_hand_and_an_open_window_is_not_guessed():
    ids = [f"c{i}" for i in range(8)]
    lists = pd.DataFrame({"customer_id": ids, "as_of": [pd.Timestamp("2025-03-01").date()] * 8, "list": "need",
                          "control_group": [False] * 4 + [True] * 4, "band": "high", "rfm_segment": "important value",
                          "offer": "need_reminder", "model_version": "m v1"})
    # contacted: c0, c1, c2 buy in the window (c0 twice); control: c4 buys; c5 buys after the window
    orders = pd.DataFrame({"order_id": [f"o{i}" for i in range(7)],
                           "customer_id": ["c0", "c0", "c1", "c2", "c4", "c5", "c7"],
                           "order_ts": [_ts("2025-03-02"), _ts("2025-03-20"), _ts("2025-03-05"), _ts("2025-03-30"),
                                        _ts("2025-03-10"), _ts("2025-04-15"), _ts("2025-02-01")],
                           "amount": [100.0, 50.0, 80.0, 20.0, 60.0, 10.0, 5.0]})
    tables = Tables(orders=orders, timezone=TZ)
    r = measure_lift(tables, lists, 30, contact_cost=2.0, n_boot=200, min_group=1)
    m = r.overall.set_index("metric")
    assert m.loc["purchase_rate", ["contacted", "control", "lift_abs", "lift_rel"]].tolist() == [0.75, 0.25, 0.5, 2.0]
    assert m.loc["orders_per_customer", "lift_abs"] == pytest.approx(1.0 - 0.25)
    assert m.loc["revenue_per_customer", "lift_abs"] == pytest.approx((250 / 4) - (60 / 4))
    roi = r.roi.iloc[0]
    assert roi["incremental_revenue"] == pytest.approx((62.5 - 15) * 4) and roi["roi"] == pytest.approx((190 - 8) / 8)
    assert "no contacts table" in r.notes[0]
    # 40 days after 2025-03-01 is after the last order: reported open, not measured
    late = measure_lift(tables, lists, 60, n_boot=50, min_group=1)
    assert late.overall.empty and late.open_windows["closes"].iloc[0] == "2025-04-30"


@pytest.fixture(scope="module")
def campaign(synthetic_tables, bundles_dir, score_config):
    """Lists scored 60 days before the data ends (half held out as control for power), then a
    simulated campaign with a heterogeneous effect."""
    cfg = load_config(overrides=[score_config.model_dump(mode="json"),
                                 {"scoring": {"control_share": 0.5, "recall": {"budget_contacts": 400}}}])
    end = synthetic_tables.orders["order_ts"].max()
    as_of = (end - pd.Timedelta(days=60)).date().isoformat()
    res = score(synthetic_tables, as_of, load_models(bundles_dir, cfg), cfg)
    lists = pd.concat([res.need, res.recall], ignore_index=True)
    new, truth = simulate_campaign(synthetic_tables, lists, window_days=30, seed=7)
    return new, lists, truth


def test_lift_recovers_the_true_lift_inside_its_interval(campaign, tmp_path):
    tables, lists, truth = campaign
    r = measure_lift(tables, lists, 30, n_boot=2000, seed=1)
    assert not r.notes  # the contacts table says who was contacted
    for name, t in truth.loc[~truth["control_group"]].groupby("list"):
        row = r.overall.set_index(["list", "metric"]).loc[(name, "purchase_rate")]
        true_lift = float((t["converted"] & ~t["natural"]).mean())
        assert row["lift_abs_lo"] <= true_lift <= row["lift_abs_hi"], (name, true_lift, row.to_dict())
        orders = r.overall.set_index(["list", "metric"]).loc[(name, "orders_per_customer")]
        assert orders["lift_abs_lo"] <= float(t["converted"].mean()) <= orders["lift_abs_hi"]
        assert true_lift > 0.02
    assert set(r.breakdown["by"]) == {"band", "rfm_segment", "offer"}
    files = write_lift_report(r, tmp_path / "lift")
    assert files["plot"].stat().st_size > 5000 and "Realised ROI" in files["report"].read_text()


def test_without_a_campaign_there_is_no_lift(campaign, synthetic_tables):
    _, lists, _ = campaign
    r = measure_lift(synthetic_tables, lists, 30, n_boot=2000, seed=1)  # nobody was really contacted
    for row in r.overall.loc[r.overall["metric"] == "purchase_rate"].itertuples():
        assert row.lift_abs_lo <= 0 <= row.lift_abs_hi
