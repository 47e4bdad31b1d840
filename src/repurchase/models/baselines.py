"""Honest baselines, scored on exactly the rows the model is scored on."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

RFM_INPUTS = ("days_since_last_order", "orders_count", "spend_total", "days_since_first_order")


def row_logistic(model: LogisticRegression, X: np.ndarray) -> np.ndarray:
    """P(class 1) of a fitted binary logistic regression, row by row.

    The same as ``model.predict_proba(X)[:, 1]`` up to the last bit, but each row's logit is a sum
    of its own terms in column order, not a BLAS matrix product whose rounding depends on the
    number of rows: a customer's score does not change with the batch (or population) it is
    scored in.
    """
    from scipy.special import expit

    X = np.asarray(X, dtype=float)
    z = np.full(len(X), float(model.intercept_[0]))
    for j, c in enumerate(model.coef_.ravel()):
        z += X[:, j] * c
    return expit(z)


class RecencyBaseline(ClassifierMixin, BaseEstimator):
    """Recency only: a monotone (isotonic) map from days since the last order to a probability."""

    def fit(self, X: pd.DataFrame, y) -> "RecencyBaseline":
        r = X["days_since_last_order"].to_numpy(float)
        self.iso_ = IsotonicRegression(increasing="auto", out_of_bounds="clip").fit(r, np.asarray(y, float))
        self.classes_ = np.array([0.0, 1.0])
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = self.iso_.predict(X["days_since_last_order"].to_numpy(float))
        # ties in a step function carry no ranking; break them by recency itself
        p = np.clip(p + 1e-9 * self._direction() * X["days_since_last_order"].to_numpy(float), 0, 1)
        return np.column_stack([1 - p, p])

    def _direction(self) -> float:
        return 1.0 if self.iso_.increasing_ else -1.0


class RFMLogistic(ClassifierMixin, BaseEstimator):
    """Logistic regression on standardised log RFM: recency, frequency, monetary, tenure."""

    def __init__(self, C: float = 1.0):
        self.C = C

    @staticmethod
    def _x(X: pd.DataFrame) -> np.ndarray:
        return np.log1p(np.clip(X[list(RFM_INPUTS)].to_numpy(float), 0, None))

    def fit(self, X: pd.DataFrame, y) -> "RFMLogistic":
        self.model_ = make_pipeline(StandardScaler(), LogisticRegression(C=self.C, max_iter=1000))
        self.model_.fit(self._x(X), np.asarray(y, float))
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = row_logistic(self.model_[-1], self.model_[0].transform(self._x(X)))
        return np.column_stack([1 - p, p])

    def contributions(self, X: pd.DataFrame) -> np.ndarray:
        """Per-row contribution of each column of ``X`` to the logit, against the average customer
        of the training rows (coefficient x standardised log value; 0 for the other columns)."""
        scaler, lr = self.model_[0], self.model_[-1]
        terms = scaler.transform(self._x(X)) * lr.coef_.ravel()[None, :]
        out = np.zeros((len(X), X.shape[1]))
        out[:, [list(X.columns).index(c) for c in RFM_INPUTS]] = terms
        return out


class FeatureScore(ClassifierMixin, BaseEstimator):
    """One feature column read as the probability (``1 - value`` with ``flip``): BG/NBD's P(buy
    within the horizon), which the ``btyd`` feature group computes at every as-of date, shipped as
    the scorer when nothing trained beats it."""

    def __init__(self, column: str = "bgnbd_p_buy_90d", flip: bool = False):
        self.column = column
        self.flip = flip

    def fit(self, X: pd.DataFrame, y=None) -> "FeatureScore":
        if self.column not in X.columns:
            raise ValueError(f"FeatureScore: column {self.column!r} is not among the features")
        self.classes_ = np.array([0.0, 1.0])
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = np.clip(np.nan_to_num(X[self.column].to_numpy(float), nan=0.0), 0, 1)
        p = 1 - p if self.flip else p
        return np.column_stack([1 - p, p])

    def contributions(self, X: pd.DataFrame) -> np.ndarray:
        """The one column is the one reason."""
        out = np.zeros((len(X), X.shape[1]))
        out[:, list(X.columns).index(self.column)] = self.predict_proba(X)[:, 1]
        return out
