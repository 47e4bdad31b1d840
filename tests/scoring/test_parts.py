"""The parts of a list row on tiny literal data: reasons, best contact hour, due categories."""

from __future__ import annotations

import numpy as np
import pandas as pd

from repurchase.schema import Tables
from repurchase.scoring.categories import due_categories
from repurchase.scoring.contact_time import best_contact_hour
from repurchase.scoring.explain import _text, top_contributions

TZ = "Asia/Shanghai"


def ts(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz=TZ)


def test_reason_texts_for_a_person():
    X = pd.DataFrame({"days_since_last_order": [74.0], "gap_median_last10_days": [21.0], "orders_trend_90d": [-2 / 3],
                      "checkin_30d": [3.0], "due_ratio_rice": [1.54], "days_since_last_engagement": [np.nan],
                      "spend_90d": [1234.5]})
    assert _text(X, "days_since_last_order") == ["last bought 74 days ago, 3.5 times the usual 21-day gap"]
    assert _text(X, "days_since_last_order", "zh") == ["上次购买是 74 天前，是平时 21 天间隔的 3.5 倍"]
    # (a - b) / (a + b) = -2/3 means a = b / 5: down 80%
    assert _text(X, "orders_trend_90d") == ["orders down 80% in the last 90 days (vs the 90 before)"]
    assert _text(X, "orders_trend_90d", "zh") == ["近 90 天下单比之前 90 天减少 80%"]
    assert _text(X, "checkin_30d") == ["3 check-ins in the last 30 days"]
    assert _text(X, "checkin_30d", "zh") == ["近 30 天签到 3 次"]
    assert _text(X, "due_ratio_rice") == ["rice: last bought 1.5 times its usual cycle ago"]
    assert _text(X, "days_since_last_engagement") == ["never active in the community"]
    assert _text(X, "spend_90d") == ["spent 1,234 in the last 90 days"]


def test_top_contributions_are_the_largest_positive_lightgbm_contributions(seed):
    import lightgbm as lgb

    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(400, 4)), columns=list("abcd"))
    y = (X["a"] + 0.5 * X["b"] + rng.normal(scale=0.5, size=400) > 0).astype(int)

    class M:  # the two attributes top_contributions reads from a RepurchaseClassifier
        model_ = lgb.LGBMClassifier(n_estimators=30, verbose=-1, random_state=0).fit(X, y)
        best_iteration_ = 30

    top = top_contributions(M, X, k=2)
    contrib = M.model_.booster_.predict(X, pred_contrib=True)[:, :-1]
    for i in range(len(X)):
        pos = [j for j in np.argsort(-contrib[i], kind="stable")[:2] if contrib[i, j] > 0]
        assert [j for j in top[i] if j >= 0] == pos


def test_best_contact_hour_own_then_store_then_population():
    orders = pd.DataFrame({
        "order_id": ["o1", "o2", "o3", "o4", "o5", "o6", "o7"],
        "customer_id": ["a", "a", "b", "c", "c", "c", "a"],
        "order_ts": [ts("2025-01-01 09:10"), ts("2025-01-02 09:50"), ts("2025-01-03 20:00"),
                     ts("2025-01-04 15:00"), ts("2025-01-05 15:30"), ts("2025-01-06 15:45"), ts("2025-02-01 09:00")],
        "amount": [1.0] * 7, "store_id": ["s1", "s1", "s2", "s1", "s1", "s1", "s1"]})
    events = pd.DataFrame({"customer_id": ["a", "d"], "event_ts": [ts("2025-01-05 09:00"), ts("2025-01-05 21:00")],
                           "event_type": ["message", "checkin"]})
    customers = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "store_id": [None, "s1", None, None]})
    tables = Tables(orders=orders, events=events, customers=customers, timezone=TZ)
    got = best_contact_hour(tables, pd.Series(["a", "b", "c", "d"]), ts("2025-01-10"), min_touches=3)
    # a: 2 orders + 1 event at 9 (the order at 09:00 on 2025-02-01 is after T); b: 1 touch -> the store of
    # the customers table (s1, peak 15 h); c: own 15 h; d: no store anywhere -> the population's peak:
    # 9 h and 15 h have 3 touches each before T, a tie goes to the earlier hour
    assert got["best_contact_hour"].tolist() == [9, 15, 15, 9]
    assert got["contact_hour_source"].tolist() == ["own", "store", "own", "population"]


def test_due_categories_same_category_by_cycle_upgrade_and_not_yet_due():
    orders = pd.DataFrame({
        "order_id": ["o1", "o2", "o3", "o4", "o5"],
        "customer_id": ["a", "a", "a", "b", "b"],
        "order_ts": [ts("2025-01-01"), ts("2025-01-21"), ts("2025-02-08"), ts("2025-02-01"), ts("2025-02-09")],
        "amount": [10.0] * 5})
    items = pd.DataFrame({"order_id": ["o1", "o2", "o3", "o4", "o5"],
                          "sku": ["RICE", "RICE", "OIL", "COURSE-1", "RICE"], "quantity": [1.0] * 5})
    products = pd.DataFrame({"sku": ["RICE", "OIL", "COURSE-1", "COURSE-2"],
                             "category": ["rice", "oil", "course", "course"], "cycle_days": [20.0, 40.0, None, None],
                             "upgrade_sku": [None, None, "COURSE-2", None], "related_categories": [None, None, None, None]})
    tables = Tables(orders=orders, order_items=items, products=products, timezone=TZ)
    got = due_categories(tables, pd.Series(["a", "b"]), ts("2025-02-10"), np.array([0.8, 0.5]), due_ratio=0.8, k=3)
    a, b = got["top_categories"].tolist()
    # a: rice last bought 20 days ago on a 20-day cycle -> due; oil bought 2 days ago (cycle 40) -> not pushed
    assert "rice" in a and "(due)" in a and "oil" not in a
    assert got.loc[0, "top_category_1"] == "rice"
    # b: bought the beginner course -> the advanced one is an upgrade; rice bought yesterday -> not due
    assert "course" in b and "(upgrade)" in b and "rice" not in b
    p = float(a.split("rice ")[1].split(" ")[0])
    assert 0 < p <= 0.8  # P(category) <= P(any purchase)


def test_path_contributions_add_up_to_the_raw_margin(seed):
    import lightgbm as lgb

    from repurchase.scoring.explain import contributions

    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(300, 5)), columns=list("abcde"))
    y = (X["a"] - X["c"] + rng.normal(scale=0.7, size=300) > 0).astype(int)

    class M:
        model_ = lgb.LGBMClassifier(n_estimators=25, num_leaves=7, verbose=-1, random_state=0).fit(X, y)
        best_iteration_ = 25

    raw = M.model_.booster_.predict(X, raw_score=True)
    for method in ("shap", "path"):
        c = contributions(M, X, method)
        shap_base = M.model_.booster_.predict(X, pred_contrib=True)[:, -1]
        from repurchase.scoring.explain import path_matrix

        base = shap_base if method == "shap" else path_matrix(M)[2]
        assert np.allclose(c.sum(axis=1) + base, raw)
        assert np.abs(c[:, [1, 3, 4]]).mean() < np.abs(c[:, [0, 2]]).mean()  # the signal features dominate


def test_due_category_days_are_wall_clock_days_across_daylight_saving():
    # rice bought 30 days apart (own cycle 30), T 24 local days after the last: due ratio exactly 0.8.
    # In epoch seconds the spring-forward hour (2025-03-09) made it 23.958 days: 'not yet due'.
    from repurchase.schema import Tables
    from repurchase.scoring.categories import due_categories

    tz = "America/New_York"
    orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["c1", "c1"],
                           "order_ts": pd.to_datetime(["2025-01-15", "2025-02-14"]).tz_localize(tz),
                           "amount": [10.0, 10.0], "status": ["paid", "paid"]})
    items = pd.DataFrame({"order_id": ["o1", "o2"], "sku": ["r", "r"], "quantity": [1.0, 1.0], "category": ["rice", "rice"]})
    t = pd.Timestamp("2025-03-10", tz=tz)
    got = due_categories(Tables(orders=orders, order_items=items, timezone=tz), pd.Series(["c1"]), t,
                         np.array([0.9]), due_ratio=0.8, k=1)
    assert got.loc[0, "top_category_1"] == "rice"


def test_btyd_reasons_are_words_with_their_window():
    X = pd.DataFrame({"bgnbd_p_buy_30d": [0.92, 0.1], "bgnbd_p_alive": [0.9, 0.2], "btyd_recency_days": [40.0, 3.0]})
    assert _text(X, "bgnbd_p_buy_30d") == ["by their buying rhythm, likely to buy within 30 days",
                                          "by their buying rhythm, unlikely to buy within 30 days"]
    assert _text(X, "bgnbd_p_alive") == ["still buying at their usual rhythm", "has gone quiet for their usual rhythm"]
    from repurchase.features.catalog import CATALOG

    # every feature of the group, by the catalog: no placeholder and no model name in any reason
    names = [spec.name.replace("{w}", "30") for spec in CATALOG if spec.group == "btyd"]
    Y = pd.DataFrame({n: [0.7, 3.0] for n in names})
    for name in names:
        assert not any("{" in t or "BG/NBD" in t or "BTYD" in t for t in _text(Y, name)), name
