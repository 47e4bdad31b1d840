"""The one place where time enters: customer x as-of rows.

The same code builds the training spine (many as-of dates) and the scoring spine (one date).
An as-of date T is local midnight in the business timezone; a customer is on the spine at T when
they have at least one paid order strictly before T (optionally also community members who have
never bought: registered, joined a group, or had an event before T).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Literal, Sequence

import numpy as np
import pandas as pd

from repurchase._arrow import index_in, unique
from repurchase.errors import ConfigError, DataError
from repurchase.features._timeline import epoch_seconds
from repurchase.schema import Tables

AsOf = str | dt.date | dt.datetime | pd.Timestamp


def as_of_timestamp(value: AsOf, tz: str) -> pd.Timestamp:
    """An as-of date as local midnight in ``tz`` (a time of day other than midnight is refused)."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"as-of date {value!r} is not a date (use YYYY-MM-DD)") from exc
    if ts is pd.NaT:
        raise ConfigError(f"as-of date {value!r} is not a date (use YYYY-MM-DD)")
    ts = ts.tz_convert(tz) if ts.tzinfo is not None else ts.tz_localize(tz)
    if ts != ts.normalize():
        raise ConfigError(f"as-of date {value!r} must be a date at midnight, not a time of day")
    return ts


def as_of_dates(values: Iterable[AsOf], tz: str) -> list[pd.Timestamp]:
    """Sorted, unique local-midnight as-of timestamps."""
    out = sorted({as_of_timestamp(v, tz) for v in values})
    if not out:
        raise ConfigError("at least one as-of date is needed")
    return out


def schedule(start: AsOf, end: AsOf, freq: Literal["monthly", "weekly"] = "monthly", tz: str = "UTC") -> list[pd.Timestamp]:
    """As-of dates from ``start`` to ``end`` inclusive: the 1st of each month, or each Monday."""
    s, e = as_of_timestamp(start, tz), as_of_timestamp(end, tz)
    if e < s:
        raise ConfigError(f"schedule end {e.date()} is before its start {s.date()}")
    rule = {"monthly": "MS", "weekly": "W-MON"}.get(freq)
    if rule is None:
        raise ConfigError(f"unknown schedule frequency '{freq}' (monthly or weekly)")
    dates = pd.date_range(s.tz_localize(None), e.tz_localize(None), freq=rule)
    return [d.tz_localize(tz) for d in dates]


@dataclass(frozen=True)
class CustomerIndex:
    """Integer codes for customer ids, shared by every table of one feature run (in order of
    first appearance: orders, then customers, then events; deterministic for the same data)."""

    ids: pd.Index

    @classmethod
    def from_tables(cls, tables: Tables) -> "CustomerIndex":
        parts = [tables.orders["customer_id"]]
        for name in ("customers", "events"):
            frame = getattr(tables, name)
            if frame is not None:
                parts.append(frame["customer_id"])
        return cls(pd.Index(pd.Series(unique(parts).to_pandas()).astype("str")))

    def codes(self, ids: pd.Series) -> np.ndarray:
        codes = index_in(ids, self.ids)
        if (codes < 0).any():
            missing = ids[codes < 0].head(5).tolist()
            raise DataError(f"{int((codes < 0).sum())} customer ids are not in the customer index, e.g. {missing}")
        return codes.astype(np.int64)

    def __len__(self) -> int:
        return len(self.ids)


def build_spine(
    tables: Tables,
    as_of: Sequence[AsOf],
    *,
    include_non_buyers: bool = False,
    index: CustomerIndex | None = None,
) -> pd.DataFrame:
    """One row per (customer_id, as_of) for the population at each as-of date.

    Parameters
    ----------
    tables : Tables
        Validated tables.
    as_of : sequence of dates
        As-of dates (local midnight in ``tables.timezone``).
    include_non_buyers : bool
        Also include community members with no paid order before T who registered, joined a
        group, or had an event before T.
    index : CustomerIndex, optional
        Reuse an existing customer index.

    Returns
    -------
    DataFrame
        ``customer_id`` (str), ``as_of`` (tz-aware), ordered by as_of, then by the customer's
        first appearance in the data (deterministic for the same inputs).
    """
    tz = tables.timezone
    dates = as_of_dates(as_of, tz)
    index = index or CustomerIndex.from_tables(tables)
    paid = tables.paid_orders(["customer_id", "order_ts"])
    first_seen = _first_time(index, paid["customer_id"], paid["order_ts"])
    if include_non_buyers:
        c = tables.customers
        if c is not None:
            for col in ("registered_ts", "joined_group_ts"):
                if col in c.columns:
                    first_seen = np.minimum(first_seen, _first_time(index, c["customer_id"], c[col]))
        if tables.events is not None:
            e = tables.events
            first_seen = np.minimum(first_seen, _first_time(index, e["customer_id"], e["event_ts"]))
    frames = []
    for t in dates:
        t_s = int(t.value // 10**9)
        codes = np.flatnonzero(first_seen < t_s)
        frames.append(pd.DataFrame({"customer_id": index.ids[codes],
                                    "as_of": pd.Series(t, index=range(len(codes)), dtype=f"datetime64[ns, {tz}]")}))
    spine = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["customer_id", "as_of"])
    if spine.empty:
        raise DataError(
            f"no customer has a paid order before the as-of date(s) {', '.join(str(d.date()) for d in dates)}; "
            f"the orders run from {tables.orders['order_ts'].min().date()} to {tables.orders['order_ts'].max().date()}."
        )
    return spine


def _first_time(index: CustomerIndex, ids: pd.Series, ts: pd.Series) -> np.ndarray:
    """Earliest epoch second per customer code (int64 max where none)."""
    out = np.full(len(index), np.iinfo(np.int64).max, dtype=np.int64)
    ok = ts.notna().to_numpy() & ids.notna().to_numpy()
    if ok.any():
        np.minimum.at(out, index.codes(ids[ok]), epoch_seconds(ts[ok]))
    return out
