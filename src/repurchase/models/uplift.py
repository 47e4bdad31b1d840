"""Uplift: who responds to a contact, learned from past campaigns with control groups.

A two-model estimator (one LightGBM on contacted customers, one on the control group) predicts
P(outcome | contacted) - P(outcome | not contacted) per customer. Qini curves compare rankings
by the incremental outcomes they capture.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from repurchase.errors import DataError


#: the bundle folder of the recall list's uplift model (trained by lift, read by scoring)
BUNDLE = "uplift_recall"


class TwoModelUplift(BaseEstimator):
    """Two LightGBM classifiers, on treated and on control rows; uplift = p_treated - p_control.

    Parameters
    ----------
    n_estimators, learning_rate, num_leaves, min_child_samples : LightGBM parameters (small and
        regularised by default: campaign data are small and noisy).
    random_state : int
    """

    def __init__(self, n_estimators: int = 150, learning_rate: float = 0.05, num_leaves: int = 7,
                 min_child_samples: int = 40, random_state: int = 0):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.random_state = random_state

    def _model(self):
        import lightgbm as lgb

        return lgb.LGBMClassifier(n_estimators=self.n_estimators, learning_rate=self.learning_rate,
                                  num_leaves=self.num_leaves, min_child_samples=self.min_child_samples,
                                  subsample=0.8, subsample_freq=1, colsample_bytree=0.8, reg_lambda=5.0,
                                  random_state=self.random_state, deterministic=True, force_row_wise=True,
                                  n_jobs=2, verbose=-1)

    def fit(self, X: pd.DataFrame, treated, y) -> "TwoModelUplift":
        treated, y = np.asarray(treated, bool), np.asarray(y, float)
        for name, rows in (("contacted", treated), ("control", ~treated)):
            if rows.sum() < 20 or len(np.unique(y[rows])) < 2:
                raise DataError(f"uplift needs both outcomes among the {name} customers of past campaigns "
                                f"({int(rows.sum())} rows, {int(y[rows].sum())} positive)")
        self.feature_names_in_ = list(X.columns)
        self.model_t_ = self._model().fit(X[treated], y[treated])
        self.model_c_ = self._model().fit(X[~treated], y[~treated])
        return self

    def predict_uplift(self, X: pd.DataFrame) -> np.ndarray:
        X = X[self.feature_names_in_]
        return self.model_t_.predict_proba(X)[:, 1] - self.model_c_.predict_proba(X)[:, 1]


def qini_curve(score: np.ndarray, treated: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(share targeted, incremental outcomes) when targeting by ``score``, highest first:
    Y_t(k) - Y_c(k) x N_t(k) / N_c(k) over the first k rows."""
    order = np.argsort(-np.asarray(score, float), kind="stable")
    t, y = np.asarray(treated, bool)[order], np.asarray(y, float)[order]
    n_t, n_c = np.cumsum(t), np.cumsum(~t)
    y_t, y_c = np.cumsum(y * t), np.cumsum(y * ~t)
    with np.errstate(invalid="ignore", divide="ignore"):
        inc = y_t - np.where(n_c > 0, y_c * n_t / n_c, 0.0)
    share = np.arange(1, len(t) + 1) / len(t)
    return np.r_[0.0, share], np.r_[0.0, inc]


def qini_coefficient(score: np.ndarray, treated: np.ndarray, y: np.ndarray) -> float:
    """Area between the Qini curve and the random-targeting line, per row (higher is better)."""
    x, q = qini_curve(score, treated, y)
    random = x * q[-1]
    return float(np.trapezoid(q - random, x))


def true_qini(score: np.ndarray, effect: np.ndarray) -> float:
    """The Qini coefficient against a known per-row effect (simulations): incremental outcomes
    captured by the first k rows = the sum of their true effects."""
    order = np.argsort(-np.asarray(score, float), kind="stable")
    q = np.r_[0.0, np.cumsum(np.asarray(effect, float)[order])]
    x = np.linspace(0, 1, len(q))
    return float(np.trapezoid(q - x * q[-1], x))
