from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from repurchase.models.evaluate import expected_calibration_error, lift_at, metrics, paired_bootstrap_auc, precision_recall_at_k


def test_ece_by_hand():
    # two bins: p=0.15 (y rate 0.5) and p=0.95 (y rate 1.0), four rows each
    p = np.array([0.15] * 4 + [0.95] * 4)
    y = np.array([0, 1, 0, 1, 1, 1, 1, 1])
    assert expected_calibration_error(y, p) == pytest.approx(0.5 * 0.35 + 0.5 * 0.05)


def test_lift_and_precision_at_k_by_hand():
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    p = np.linspace(1, 0, 10)  # the first row ranks first
    assert lift_at(y, p, 0.1) == pytest.approx(1 / 0.2)
    assert precision_recall_at_k(y, p, 2) == (0.5, 0.5)


def test_metrics_agree_with_sklearn(seed):
    rng = np.random.default_rng(seed)
    p = rng.random(500)
    y = (rng.random(500) < p).astype(float)
    m = metrics(y, p)
    assert m["auc"] == pytest.approx(roc_auc_score(y, p))
    assert m["n"] == 500 and 0 < m["brier"] < 0.25 and m["ece"] < 0.1


def test_paired_bootstrap_detects_a_better_model(seed):
    rng = np.random.default_rng(seed)
    y = (rng.random(2000) < 0.3).astype(float)
    good = y + rng.normal(0, 0.5, 2000)
    bad = y + rng.normal(0, 1.5, 2000)
    diff, lo, hi = paired_bootstrap_auc(y, good, bad, n_boot=200, seed=seed)
    assert lo > 0 and lo < diff < hi
    diff, lo, hi = paired_bootstrap_auc(y, good, good, n_boot=50, seed=seed)
    assert diff == 0 and lo == 0 and hi == 0


def test_bootstrap_aucs_by_weights_equal_rank_sums_on_the_resampled_rows(seed):
    """The weighted AUC of a resample (multiplicities, ranked once) is the rank-sum AUC of the
    resampled rows themselves, ties included: the paired interval is the same as the slow one."""
    from repurchase.models.evaluate import _weighted_auc, fast_auc

    rng = np.random.default_rng(seed)
    y = (rng.random(400) < 0.3).astype(float)
    p = np.round(rng.random(400) + y * 0.3, 1)  # rounded: many ties
    group = np.unique(p, return_inverse=True)[1]
    for _ in range(20):
        i = rng.integers(0, 400, 400)
        w = np.bincount(i, minlength=400).astype(float)
        w1 = np.where(y > 0, w, 0.0)
        assert _weighted_auc(group, w, w1, w1.sum(), 400 - w1.sum()) == fast_auc(y[i], p[i])
