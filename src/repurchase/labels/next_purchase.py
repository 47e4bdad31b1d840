"""The next-purchase label: a paid order in [T, T + horizon)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from repurchase.engine.labels import label_counts
from repurchase.labels._window import check_window, session
from repurchase.schema import Tables


def next_purchase_labels(tables: Tables, spine: pd.DataFrame, horizon_days: int = 30) -> pd.Series:
    """1.0 when the customer has at least one paid order in [T, T + horizon), else 0.0.

    Raises :class:`DataError` when a label window reaches past the end of the data.
    """
    check_window(tables, spine, horizon_days, "next-purchase")
    n = label_counts(session(tables, spine, [-horizon_days]), horizon_days)["orders_ahead"]
    return pd.Series((n > 0).astype(np.float64), index=spine.index, name=f"next_purchase_{horizon_days}d")
