"""The need list measured, on a tiny literal shop with the answers written out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from repurchase.schema import Tables
from repurchase.scoring.need_metrics import need_list_metrics

TZ = "UTC"
T = pd.Timestamp("2025-03-01", tz=TZ)


def _day(d: int) -> pd.Timestamp:
    return T + pd.Timedelta(days=d, hours=10)


def _shop():
    # a: rice x3, oil x1 before T, buys oil on day 2; b: tea x2 before T, buys rice on day 6;
    # c: bought before T, not in the window (not a buyer: not counted)
    orders = pd.DataFrame({
        "order_id": ["a1", "a2", "a3", "b1", "b2", "c1", "a4", "b3", "late"],
        "customer_id": ["a", "a", "a", "b", "b", "c", "a", "b", "c"],
        "order_ts": [_day(-30), _day(-20), _day(-4), _day(-25), _day(-9), _day(-3), _day(2), _day(6), _day(10)],
        "amount": 10.0, "status": "paid"})
    items = pd.DataFrame({"order_id": ["a1", "a2", "a3", "a3", "b1", "b2", "c1", "a4", "b3", "late"],
                          "sku": "x", "quantity": 1.0,
                          "category": ["rice", "rice", "rice", "oil", "tea", "tea", "salt", "oil", "rice", "salt"]})
    tables = Tables(orders=orders, order_items=items, timezone=TZ)
    feats = pd.DataFrame({"customer_id": ["a", "b", "c"], "days_since_last_order": [4.0, 9.0, 3.0],
                          "gap_median_last10_days": [6.0, np.nan, np.nan]})
    return tables, feats


def test_hit_at_3_and_date_error_against_their_baselines():
    tables, feats = _shop()
    got = need_list_metrics(tables, feats, np.array([0.5, 0.5, 0.2]), np.array([1, 1, 0]), T, 10, category_method="rules")
    v = got.set_index(["metric", "method"])["value"]
    assert (got["n"] == 2).all() and set(got["as_of"]) == {"2025-03-01"}
    # own top 3: a [rice, oil] hits oil, b [tea] misses rice; popular [rice, tea, oil] (salt: 1 order) hits both
    assert v[("hit@3", "own_top")] == 0.5
    assert v[("hit@3", "popular")] == 1.0
    assert 0 <= v[("hit@3", "need_list")] <= 1
    # first purchase days 2 and 6 (orders at 10:00: 2.42 and 6.42); midpoint 5
    actual = np.array([2 + 10 / 24, 6 + 10 / 24])
    assert np.isclose(v[("date_mae_days", "midpoint")], np.mean(np.abs(5 - actual)))
    # last order + median gap: a 6 - 4 = 2 days; b has no gap: the midpoint
    assert np.isclose(v[("date_mae_days", "last_order_plus_median_gap")], np.mean(np.abs(np.array([2.0, 5.0]) - actual)))
    # the need list's date: the conditional median of a constant hazard with P(buy in 10 d) = 0.5
    t_half = np.log(1 - 0.25) / np.log(1 - 0.5) * 10
    assert np.isclose(v[("date_mae_days", "need_list")], np.mean(np.abs(t_half - actual)))


def test_above_the_buyer_cap_a_seeded_sample_of_buyers_is_measured(monkeypatch):
    from repurchase.scoring import need_metrics

    tables, feats = _shop()
    monkeypatch.setattr(need_metrics, "MAX_BUYERS", 1)
    runs = [need_list_metrics(tables, feats, np.array([0.5, 0.5, 0.2]), np.array([1, 1, 0]), T, 10,
                              category_method="rules") for _ in range(2)]
    assert (runs[0]["n"] == 1).all()
    pd.testing.assert_frame_equal(runs[0], runs[1])  # seeded: the same buyer each time
    own = runs[0].set_index(["metric", "method"])["value"][("hit@3", "own_top")]
    assert own in (0.0, 1.0)  # one buyer: a hit (a) or a miss (b)
