"""Labels on the spine: they look only at [T, T + horizon), never before T except to decide who
is "active" for churn ([T - A, T), which is known at T). Windows are local calendar days."""

from __future__ import annotations

import numpy as np
import pandas as pd

from repurchase.errors import DataError
from repurchase._timeline import Timeline, epoch_seconds
from repurchase.schema import Tables
from repurchase.spine import CustomerIndex, paid_order_timeline, shifted_seconds

__all__ = ["churn_labels", "data_end", "next_purchase_labels"]


def data_end(tables: Tables) -> pd.Timestamp:
    """The end of observed history: one second after the last order (any status)."""
    return tables.orders["order_ts"].max() + pd.Timedelta(seconds=1)


def _timeline(tables: Tables, spine: pd.DataFrame) -> tuple[Timeline, np.ndarray, np.ndarray]:
    index = CustomerIndex.from_tables(tables)
    tl = paid_order_timeline(tables, index)
    return tl, index.codes(spine["customer_id"]), epoch_seconds(spine["as_of"])


def _check_window(tables: Tables, spine: pd.DataFrame, days: int, what: str) -> None:
    end = data_end(tables)
    window_end = pd.Series(shifted_seconds(epoch_seconds(spine["as_of"]), tables.timezone, days), index=spine.index)
    late = window_end > int(end.value // 10**9)
    if late.any():
        first = spine.loc[late, "as_of"].min()
        raise DataError(
            f"{what} label window of {days} days is not complete for as-of date {first.date()} "
            f"({int(late.sum()):,} spine rows): the data ends at {end}. Use as-of dates at least "
            f"{days} days before the end of the data."
        )


def next_purchase_labels(tables: Tables, spine: pd.DataFrame, horizon_days: int = 30) -> pd.Series:
    """1.0 when the customer has at least one paid order in [T, T + horizon), else 0.0.

    Raises :class:`DataError` when a label window reaches past the end of the data.
    """
    _check_window(tables, spine, horizon_days, "next-purchase")
    tl, codes, t = _timeline(tables, spine)
    n = tl.pos(codes, shifted_seconds(t, tables.timezone, horizon_days)) - tl.pos(codes, t)
    return pd.Series((n > 0).astype(np.float64), index=spine.index, name=f"next_purchase_{horizon_days}d")


def churn_labels(tables: Tables, spine: pd.DataFrame, active_days: int = 180, churn_days: int = 90) -> pd.Series:
    """Among customers active at T (a paid order in [T - active_days, T)): 1.0 when they place no
    paid order in [T, T + churn_days), else 0.0; NaN for customers not active at T."""
    _check_window(tables, spine, churn_days, "churn")
    tl, codes, t = _timeline(tables, spine)
    active = tl.pos(codes, t) - tl.pos(codes, shifted_seconds(t, tables.timezone, -active_days)) > 0
    bought = tl.pos(codes, shifted_seconds(t, tables.timezone, churn_days)) - tl.pos(codes, t) > 0
    y = np.where(active, (~bought).astype(np.float64), np.nan)
    return pd.Series(y, index=spine.index, name=f"churn_{churn_days}d")
