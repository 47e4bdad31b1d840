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
import pyarrow as pa
import pyarrow.compute as pc

from repurchase._arrow import index_in, to_arrow, unique
from repurchase.errors import ConfigError, DataError
from repurchase._timeline import epoch_seconds, wall_seconds
from repurchase.schema import Tables, paid_mask

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


def shift_days(ts: pd.Timestamp, days: int) -> pd.Timestamp:
    """``ts`` moved by ``days`` local calendar days: midnight stays midnight across DST changes
    (a "30-day window" is 30 local days, not 30 x 24 hours)."""
    naive = ts.tz_localize(None) + pd.Timedelta(days=days)
    return naive.tz_localize(ts.tz, ambiguous=False, nonexistent="shift_forward")


def shifted_seconds(as_of_s: np.ndarray, tz: str, days: int) -> np.ndarray:
    """For as-of dates given in epoch seconds, the epoch second of the local midnight ``days``
    later (negative: earlier); computed once per distinct date."""
    as_of_s = np.asarray(as_of_s, dtype=np.int64)
    if not len(as_of_s):
        return as_of_s
    uniq, inv = np.unique(as_of_s, return_inverse=True)
    local = pd.to_datetime(uniq, unit="s", utc=True).tz_convert(tz).tz_localize(None) + pd.Timedelta(days=days)
    shifted = local.tz_localize(tz, ambiguous=np.zeros(len(local), dtype=bool), nonexistent="shift_forward")
    return shifted.as_unit("s").asi8[inv]  # explicit unit: pandas 3 keeps the input resolution


@dataclass(frozen=True)
class AsOfContext:
    """One as-of date T, converted once: the scoring pipeline builds it before loading the data
    and every scoring step reads T from it (none parses or converts a raw date again).

    Attributes
    ----------
    ts : Timestamp
        T, local midnight in ``tz`` (tz-aware).
    tz : str
        The business timezone.
    seconds : int
        T in epoch seconds: rows strictly before T have a smaller (floored) epoch second.
    wall_seconds : int
        T on the business wall clock (:func:`repurchase._timeline.wall_seconds`): "days since"
        are differences of wall seconds, as the features measure them.
    """

    ts: pd.Timestamp
    tz: str
    seconds: int
    wall_seconds: int

    @classmethod
    def of(cls, value: "AsOf | AsOfContext", tz: str) -> "AsOfContext":
        """The context of ``value`` (a date, or a context, returned as it is) in ``tz``."""
        if isinstance(value, AsOfContext):
            if value.tz != tz:
                raise ConfigError(f"as-of date {value.ts.date()} was resolved in {value.tz}, the data is in {tz}")
            return value
        return cls._at(as_of_timestamp(value, tz), tz)

    @classmethod
    def _at(cls, ts: pd.Timestamp, tz: str) -> "AsOfContext":
        seconds = int(epoch_seconds(pd.Series([ts]))[0])
        return cls(ts, tz, seconds, int(wall_seconds(np.array([seconds]), tz)[0]))

    @classmethod
    def today(cls, tz: str) -> "AsOfContext":
        """This morning's midnight in the business's own calendar."""
        return cls.of(pd.Timestamp.now(tz=tz).date().isoformat(), tz)

    @property
    def date(self) -> dt.date:
        return self.ts.date()

    def shifted(self, days: int) -> pd.Timestamp:
        """Local midnight ``days`` calendar days after T (negative: before; see :func:`shift_days`)."""
        return shift_days(self.ts, days)

    def window_start(self, days: int) -> pd.Timestamp:
        """The start of the window ``[T - days, T)``: local midnight ``days`` calendar days before T."""
        return shift_days(self.ts, -days)

    def window_start_seconds(self, days: int) -> int:
        """:meth:`window_start` in epoch seconds."""
        return int(epoch_seconds(pd.Series([self.window_start(days)]))[0])

    def earlier(self, days: int) -> "AsOfContext":
        """The context of T - ``days`` local days, an as-of date of its own (e.g. a training window);
        where that midnight does not exist (a clock change at midnight), the first instant after it."""
        return AsOfContext._at(self.window_start(days), self.tz)


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


@dataclass(frozen=True, eq=False)
class CustomerIndex:
    """Integer codes for customer ids, shared by every table of one feature run.

    Codes follow first appearance (orders, then customers, then, for non-buyers, events), so
    they are deterministic for the same data. An id outside the index (an event of someone in
    neither orders nor customers) gets the sink code ``len(index)``, which no spine row has.
    """

    ids: pd.Index
    order_codes: np.ndarray  # code of every row of tables.orders

    @classmethod
    def from_tables(cls, tables: Tables, *, include_events: bool = False) -> "CustomerIndex":
        # one hash pass over the largest id column gives both its codes and its dictionary
        encoded = pc.dictionary_encode(to_arrow(tables.orders["customer_id"]))
        ids = encoded.dictionary
        order_codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        others = [getattr(tables, "customers", None)] + ([tables.events] if include_events else [])
        for frame in others:
            if frame is not None and len(frame):
                extra = unique([frame["customer_id"]])
                extra = extra.filter(pc.invert(pc.is_in(extra, value_set=ids)))
                ids = pa.concat_arrays([ids, extra.cast(ids.type)])
        return cls(pd.Index(pd.Series(ids.to_pandas()).astype("str")), order_codes)

    def codes(self, ids: pd.Series) -> np.ndarray:
        """Codes of ``ids``; unknown ids get the sink code ``len(self)``."""
        codes = index_in(ids, self.ids)
        return np.where(codes < 0, len(self.ids), codes)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_codes(self) -> int:
        """Codes in use, the sink included."""
        return len(self.ids) + 1


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
    index = index or CustomerIndex.from_tables(tables, include_events=include_non_buyers)
    first_seen = np.full(index.n_codes, np.iinfo(np.int64).max, dtype=np.int64)
    paid = paid_mask(tables.orders)
    np.minimum.at(first_seen, index.order_codes[paid], epoch_seconds(tables.orders.loc[paid, "order_ts"]))
    if include_non_buyers:
        c = tables.customers
        if c is not None:
            for col in ("registered_ts", "joined_group_ts"):
                if col in c.columns:
                    first_seen = np.minimum(first_seen, _first_time(index, c["customer_id"], c[col]))
        if tables.events is not None:
            e = tables.events
            first_seen = np.minimum(first_seen, _first_time(index, e["customer_id"], e["event_ts"]))
    first_seen[len(index)] = np.iinfo(np.int64).max  # the sink is never on the spine
    spine = spine_rows(index.ids, first_seen, dates, tz)
    if spine.empty:
        raise no_population(dates, tables.orders["order_ts"].min().date(), tables.orders["order_ts"].max().date())
    return spine


def spine_rows(ids: pd.Index, first_seen_s: np.ndarray, dates: Sequence[pd.Timestamp], tz: str) -> pd.DataFrame:
    """Per date (in order), the customers ``ids`` (in their order) first seen strictly before it:
    ``first_seen_s`` is each one's first epoch second (int64 max for never)."""
    frames = []
    for t in dates:
        rows = np.flatnonzero(first_seen_s < int(t.value // 10**9))
        frames.append(pd.DataFrame({"customer_id": ids[rows],
                                    "as_of": pd.Series(t, index=range(len(rows)), dtype=f"datetime64[ns, {tz}]")}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["customer_id", "as_of"])


def no_population(dates: Sequence[pd.Timestamp], first_day: dt.date, last_day: dt.date) -> DataError:
    """The error of a spine without a customer at any of ``dates`` (the orders' first and last day)."""
    return DataError(
        f"no customer has a paid order before the as-of date(s) {', '.join(str(d.date()) for d in dates)}; "
        f"the orders run from {first_day} to {last_day}."
    )


def _first_time(index: CustomerIndex, ids: pd.Series, ts: pd.Series) -> np.ndarray:
    """Earliest epoch second per customer code (int64 max where none)."""
    out = np.full(index.n_codes, np.iinfo(np.int64).max, dtype=np.int64)
    ok = ts.notna().to_numpy() & ids.notna().to_numpy()
    if ok.any():
        np.minimum.at(out, index.codes(ids[ok]), epoch_seconds(ts[ok]))
    return out
