"""Shipping the best candidate when LightGBM loses to a baseline on the holdout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from repurchase.models.baselines import FeatureScore, RFMLogistic
from repurchase.models.candidates import best_candidate, labelled, shippable_baselines


def _ship(**aucs):
    return {k: (None, v, None) for k, v in aucs.items()}


@pytest.mark.parametrize("lgb, ship, champ, want", [
    (0.80, _ship(rfm_logistic=0.79, bgnbd=0.78), None, None),  # LightGBM won: nothing to ship
    (0.78, _ship(rfm_logistic=0.79, bgnbd=0.80), None, "bgnbd"),  # the best baseline, not the first
    (0.78, _ship(rfm_logistic=0.79), 0.81, None),  # an older champion is better still: keep it
    (0.78, _ship(rfm_logistic=0.79), 0.785, "rfm_logistic"),
    (0.79, _ship(rfm_logistic=0.79), None, None),  # a tie is not a win
    (0.78, {}, None, None),
])
def test_best_candidate(lgb, ship, champ, want):
    assert best_candidate(lgb, ship, champ, 0.0) == want


def test_list_rows_name_a_shipped_baseline():
    assert labelled("shop-churn v3", {"scorer": "rfm_logistic"}) == "shop-churn v3 (rfm_logistic)"
    assert labelled("shop-churn v3", {}) == "shop-churn v3"
    assert labelled("rfm-rules-v1", {"rules": True, "scorer": "x"}) == "rfm-rules-v1"


def test_baselines_ship_and_explain_from_the_feature_rows(seed):
    rng = np.random.default_rng(seed)
    n = 400
    X = pd.DataFrame({"days_since_last_order": rng.integers(1, 300, n).astype(float),
                      "orders_count": rng.integers(1, 20, n).astype(float),
                      "spend_total": rng.gamma(2, 50, n), "days_since_first_order": rng.integers(300, 700, n).astype(float),
                      "bgnbd_p_buy_30d": rng.uniform(0, 1, n), "other": rng.normal(size=n)})
    y = (rng.uniform(size=n) < 1 / (1 + X["days_since_last_order"] / 60)).astype(int).to_numpy()
    rfm = RFMLogistic().fit(X, y)
    got = shippable_baselines({"rfm_logistic": rfm, "recency": object()}, X, y, "churn", 30)
    assert set(got) == {"rfm_logistic", "bgnbd"}  # recency does not ship; BG/NBD from its exact-horizon column
    assert np.allclose(got["bgnbd"][2], 1 - X["bgnbd_p_buy_30d"])  # churn: the complement of P(buy)
    assert got["rfm_logistic"][1] > 0.6
    assert shippable_baselines({}, X, y, "churn", 14) == {}  # no 14-day column: nothing from BG/NBD
    # the logistic regression's reasons add up to its logit (less the intercept) and name only its inputs
    c = rfm.contributions(X)
    logit = rfm.model_.decision_function(rfm._x(X))
    assert np.allclose(c.sum(axis=1) + rfm.model_[-1].intercept_[0], logit)
    assert np.all(c[:, list(X.columns).index("other")] == 0)
    f = FeatureScore("bgnbd_p_buy_30d").fit(X, y)
    assert np.argmax(f.contributions(X), axis=1).tolist() == [4] * n
    with pytest.raises(ValueError, match="bgnbd_p_buy_7d"):
        FeatureScore("bgnbd_p_buy_7d").fit(X, y)
