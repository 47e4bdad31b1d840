"""Transparent RFM rules: what scores the lists when no trained champion can (the data gate
refused training, or nothing has been trained yet). Every row they score says so."""

from __future__ import annotations

import numpy as np
import pandas as pd

RULES_VERSION = "rfm-rules-v1"


def _due_fit(due: np.ndarray) -> np.ndarray:
    """1 when the customer's usual gap has just run out, lower before it and long after it."""
    due = np.where(np.isfinite(due), due, 1.0)
    return np.where(due <= 1.5, np.clip(due, 0, 1), np.clip(1 - (due - 1.5) / 3, 0, 1))


class RFMRules:
    """A rule score in [0, 1] from the frequency quintile and the due ratio (not a probability).

    need:  0.5 x f_score / 5 + 0.5 x due fit (1 when the usual gap has just run out)
    churn: 0.6 x min(due_ratio / 3, 1) + 0.4 x (5 - f_score) / 4
    """

    features_in_ = ["f_score", "due_ratio"]

    def __init__(self, task: str):
        self.task = task

    def terms(self, X: pd.DataFrame) -> np.ndarray:
        f = np.nan_to_num(X["f_score"].to_numpy(float), nan=1.0)
        due = X["due_ratio"].to_numpy(float) if "due_ratio" in X.columns else np.full(len(X), np.nan)
        if self.task == "next_purchase":
            return np.column_stack([0.5 * f / 5, 0.5 * _due_fit(due)])
        return np.column_stack([0.4 * (5 - f) / 4, 0.6 * np.clip(np.nan_to_num(due, nan=1.0) / 3, 0, 1)])

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        s = np.clip(self.terms(X).sum(axis=1), 0, 1)
        return np.column_stack([1 - s, s])

    def contributions(self, X: pd.DataFrame) -> np.ndarray:
        """The rule's terms: the score is their sum, the larger one is the first reason."""
        return self.terms(X)
