"""What every label shares: the end of the data, a query session on the spine, and the check
that a label window closes before the data ends."""

from __future__ import annotations

import pandas as pd

from repurchase._timeline import epoch_seconds
from repurchase.engine import Session, connect
from repurchase.errors import DataError
from repurchase.schema import Tables
from repurchase.spine import shifted_seconds


def data_end(tables: Tables) -> pd.Timestamp:
    """The end of observed history: one second after the last order (any status)."""
    return tables.orders["order_ts"].max() + pd.Timedelta(seconds=1)


def session(tables: Tables, spine: pd.DataFrame, windows: list[int]) -> Session:
    """A query session on the spine (DuckDB in-process); ``windows`` in days, negative ones ending
    after T (see :mod:`repurchase.engine.labels`)."""
    return Session(connect(), tables, spine["customer_id"], epoch_seconds(spine["as_of"]), windows)


def check_window(tables: Tables, spine: pd.DataFrame, days: int, what: str) -> None:
    """Raise :class:`DataError` when a ``days``-long window from an as-of date passes the data end."""
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
