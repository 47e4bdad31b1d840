"""BG/NBD: the published CDNOW parameters, BTYD summaries by hand, the conditional purchase probability."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from repurchase.features.bgnbd import BGNBDBaseline, btyd_summary
from tests.features.strategies import make_tables

lifetimes = pytest.importorskip("lifetimes")


def test_reproduces_published_cdnow_parameters():
    # Fader, Hardie & Lee (2005): the 2,357-customer CDNOW sample, 39-week calibration, in weeks.
    # The summary ships inside lifetimes; the sample cannot be recreated from the master file.
    from lifetimes.datasets import load_cdnow_summary

    summary = load_cdnow_summary(index_col=[0])
    bg = BGNBDBaseline(horizon_days=1).fit(summary)
    expected = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert {k: round(v, 3) for k, v in bg.params_.items()} == expected


def test_summary_by_hand():
    base = {"amount": 1.0, "status": "paid", "discount_amount": 0.0, "coupon_id": None}
    rows = [("a", "2024-01-01 09:00"), ("a", "2024-01-01 18:00"), ("a", "2024-01-11 10:00"), ("a", "2024-02-01 10:00"),
            ("b", "2024-02-20 10:00"), ("a", "2024-03-05 10:00")]  # the last is after T
    t = make_tables("UTC", [dict(base, order_id=f"o{i}", customer_id=c, order_ts=pd.Timestamp(ts)) for i, (c, ts) in enumerate(rows)])
    spine = pd.DataFrame({"customer_id": ["a", "b"], "as_of": [pd.Timestamp("2024-03-01", tz="UTC")] * 2})
    s = btyd_summary(t, spine)
    # a: purchase days Jan 1 (twice), Jan 11, Feb 1 -> 3 days, 2 repeats; first Jan 1, last Feb 1
    assert s.loc[0].tolist() == [2.0, 31.0, 60.0]
    assert s.loc[1].tolist() == [0.0, 0.0, 10.0]


def test_purchase_probability_behaves(seed):
    rng = np.random.default_rng(seed)
    n = 400
    T = rng.uniform(30, 300, n)
    tx = T * rng.random(n)
    x = rng.poisson(3, n).astype(float)
    tx = np.where(x == 0, 0.0, tx)
    X = pd.DataFrame({"frequency": x, "recency": tx, "T": T})
    bg = BGNBDBaseline(horizon_days=30).fit(X)
    p30, p90 = bg.p_buy(X, 30), bg.p_buy(X, 90)
    assert np.all((p30 >= 0) & (p30 <= 1)) and np.all(p90 >= p30 - 1e-12)
    assert np.allclose(bg.p_buy(X, 1e-9), 0, atol=1e-6)
    alive = np.asarray(bg.model_.conditional_probability_alive(x, tx, T), float)
    assert np.allclose(bg.p_buy(X, 1e7), np.nan_to_num(alive, nan=1.0), atol=1e-3)  # a long horizon: P(alive)
    churn = BGNBDBaseline(horizon_days=30, churn=True).fit(X).predict_proba(X)[:, 1]
    assert np.allclose(churn, 1 - p30)
