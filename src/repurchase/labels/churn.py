"""The churn label: an active customer (a paid order in [T - A, T), known at T) places no paid
order in [T, T + churn window)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from repurchase.engine.labels import label_counts
from repurchase.labels._window import check_window, session
from repurchase.schema import Tables


def churn_labels(tables: Tables, spine: pd.DataFrame, active_days: int = 180, churn_days: int = 90) -> pd.Series:
    """Among customers active at T (a paid order in [T - active_days, T)): 1.0 when they place no
    paid order in [T, T + churn_days), else 0.0; NaN for customers not active at T."""
    check_window(tables, spine, churn_days, "churn")
    c = label_counts(session(tables, spine, [-churn_days, active_days]), churn_days, active_days)
    y = np.where(c["orders_active"] > 0, (c["orders_ahead"] == 0).astype(np.float64), np.nan)
    return pd.Series(y, index=spine.index, name=f"churn_{churn_days}d")
