"""The model on the synthetic retailer: it finds the generator's signal, beats the baselines on
the same rows, uses engagement, is reproducible, and refuses a different feature set."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from repurchase.config import FeatureConfig
from repurchase.data.io import load_tables
from repurchase.errors import DataError
from repurchase.models import RepurchaseClassifier, backtest, training_dates
from repurchase.models.report import write_backtest_report
from repurchase.spine import shift_days

TEST_DATE = "2025-01-01"


@pytest.fixture(scope="module")
def tables(tmp_path_factory, seed):
    from repurchase.synthetic import SyntheticSpec, write_synthetic

    out = tmp_path_factory.mktemp("models") / "data"
    write_synthetic(out, SyntheticSpec(customers=3000, days=400, start=pd.Timestamp("2024-01-01").date(), seed=seed))
    return load_tables(out)[0]


@pytest.fixture(scope="module")
def result(tables):
    return backtest(tables, "next_purchase", 30, [TEST_DATE], n_train=6, n_boot=200,
                    model=RepurchaseClassifier(n_estimators=400, early_stopping_rounds=30))


def test_training_dates_never_reach_past_validation():
    test = pd.Timestamp("2011-06-01", tz="Europe/London")
    train, val = training_dates(test, 90, n_train=12)
    assert shift_days(val, 90) == test  # local calendar days: London changes clocks in between
    assert val == pd.Timestamp("2011-03-03", tz="Europe/London")
    assert all(shift_days(t, 90) <= val for t in train) and len(train) == 12
    assert train == sorted(train)


def test_model_beats_recency_and_logistic_on_the_same_rows(result):
    m = result.metrics.set_index("model")
    assert {"lightgbm", "recency", "rfm_logistic"} <= set(m.index)
    assert (m["n"] == m.loc["lightgbm", "n"]).all()
    assert m.loc["lightgbm", "auc"] > m.loc["recency", "auc"] + 0.005
    c = result.comparisons.set_index("baseline")
    assert c.loc["recency", "ci_low"] > 0  # the paired interval is above zero
    assert m.loc["lightgbm", "ece"] < 0.05


def test_model_beats_bgnbd_where_engagement_carries_signal(result):
    pytest.importorskip("lifetimes")
    c = result.comparisons.set_index("baseline")
    assert c.loc["bgnbd", "auc_diff"] > 0 and c.loc["bgnbd", "ci_low"] > 0


def test_engagement_adds_auc(tables):
    kw = dict(n_train=6, n_boot=50, model=RepurchaseClassifier(n_estimators=400, early_stopping_rounds=30))
    orders_only = FeatureConfig(groups=["rfm", "rhythm"])
    a = backtest(tables, "next_purchase", 30, [TEST_DATE], feature_config=orders_only, **kw).metrics
    b = backtest(tables, "next_purchase", 30, [TEST_DATE], **kw).metrics
    auc = lambda m: m.set_index("model").loc["lightgbm", "auc"]
    assert auc(b) > auc(a) + 0.003


def test_churn_task_runs_and_beats_recency(tables):
    r = backtest(tables, "churn", 60, ["2024-12-01"], n_train=4, n_boot=50,
                 model=RepurchaseClassifier(n_estimators=300, early_stopping_rounds=30)).metrics.set_index("model")
    assert 0.2 < r.loc["lightgbm", "positive_rate"] < 0.8
    assert r.loc["lightgbm", "auc"] > r.loc["recency", "auc"]


def test_same_data_same_model(tables, result):
    again = backtest(tables, "next_purchase", 30, [TEST_DATE], n_train=6, n_boot=200,
                     model=RepurchaseClassifier(n_estimators=400, early_stopping_rounds=30))
    pd.testing.assert_frame_equal(result.metrics, again.metrics)
    np.testing.assert_array_equal(result.scores[TEST_DATE]["lightgbm"], again.scores[TEST_DATE]["lightgbm"])


def test_feature_mismatch_is_refused_by_name(seed):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.random(400), "b": rng.random(400)})
    y = (X["a"] + rng.normal(0, 0.3, 400) > 0.5).astype(float)
    clf = RepurchaseClassifier(n_estimators=20, early_stopping_rounds=5).fit(X[:300], y[:300], X[300:], y[300:])
    assert clf.predict_proba(X).shape == (400, 2)
    with pytest.raises(DataError, match=r"missing: b; not seen in training: c"):
        clf.predict_proba(X.rename(columns={"b": "c"}))


def test_report_files(result, tmp_path):
    paths = write_backtest_report(result, tmp_path / "r")
    m = pd.read_csv(paths["metrics"])
    assert list(m.columns) == ["task", "model", "as_of", "horizon_days", "n", "positive_rate", "auc", "pr_auc",
                               "brier", "ece", "lift_top_decile"]
    assert paths["gains"].stat().st_size > 5000 and "LightGBM minus baseline" in paths["report"].read_text()
    seg = pd.read_csv(paths["segments"])
    assert {"rfm_segment", "auc", "n"} <= set(seg.columns) and seg["n"].min() >= 20
    assert "precision_at_budget" in paths["report"].read_text()


def test_budget_metrics(result):
    m = result.metrics.set_index("model")
    assert (m["budget"] == round(0.1 * m["n"])).all()
    # the model's precision at the budget is at least the base rate's (it ranks better than random)
    assert m.loc["lightgbm", "precision_at_budget"] > m.loc["lightgbm", "positive_rate"]


def test_weekly_training_dates_are_mondays_before_validation():
    test = pd.Timestamp("2011-06-01", tz="Europe/London")
    train, val = training_dates(test, 30, n_train=8, freq="weekly")
    assert len(train) == 8 and all(t.weekday() == 0 for t in train)
    assert all(shift_days(t, 30) <= val for t in train) and train == sorted(train)
    assert (train[-1].date() - train[-2].date()).days == 7  # calendar days: London changes clocks here


def test_boosting_from_bgnbd(tables):
    pytest.importorskip("lifetimes")
    cfg = FeatureConfig(groups=["rfm", "rhythm", "btyd"])
    kw = dict(n_train=4, n_boot=20, bgnbd=False, feature_config=cfg)
    r = backtest(tables, "next_purchase", 30, [TEST_DATE], model=RepurchaseClassifier(
        n_estimators=200, early_stopping_rounds=20, init_from="bgnbd_p_buy_30d"), **kw)
    m = r.metrics.set_index("model")
    assert m.loc["lightgbm", "auc"] > m.loc["recency", "auc"]
    p = r.scores[TEST_DATE]["lightgbm"]
    assert p.between(0, 1).all()
    with pytest.raises(DataError, match="init_from column 'nope'"):
        backtest(tables, "next_purchase", 30, [TEST_DATE], model=RepurchaseClassifier(init_from="nope"), **kw)


def test_init_from_complement_starts_a_churn_model_from_one_minus_p():
    X = pd.DataFrame({"p_buy": [0.1, 0.5, 0.9]})
    plain, comp = RepurchaseClassifier(init_from="p_buy"), RepurchaseClassifier(init_from="1-p_buy")
    assert np.allclose(comp._init(X), -plain._init(X))
    assert np.allclose(comp._init(X), np.log(0.9 / 0.1) * np.array([1, 0, -1]))


def test_fast_auc_equals_sklearn_with_ties():
    from sklearn.metrics import roc_auc_score

    from repurchase.models.evaluate import fast_auc

    rng = np.random.default_rng(3)
    y = rng.random(500) < 0.3
    p = np.round(rng.random(500), 1)  # many ties
    assert fast_auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert fast_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
