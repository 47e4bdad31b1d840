"""Time in queries: floored epoch seconds, the business wall clock, and the as-of table.

Ibis has no timezone conversion that every backend compiles (a cast to a zoned timestamp is a
no-op on DuckDB and ``hour()`` of a zoned timestamp is refused), so the wall clock is
``epoch + offset`` with the offset picked by a CASE over the zone's UTC-offset steps inside the
data's time range (a handful for a year or two of data). Local hours and days then follow by
integer arithmetic, exactly as :func:`repurchase._timeline.wall_seconds` gives them.
"""

from __future__ import annotations

from functools import lru_cache

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from repurchase._timeline import DAY_S, wall_seconds
from repurchase.spine import shifted_seconds

__all__ = ["DAY_S", "asof_frame", "secs", "to_wall", "utc_offsets"]


def secs(ts: ibis.Value) -> ibis.Value:
    """The floored epoch second of a timestamp: "strictly before T" is ``secs(ts) < T``."""
    return ts.epoch_seconds().floor().cast("int64")


@lru_cache(maxsize=64)
def utc_offsets(tz: str, lo_s: int, hi_s: int) -> tuple[tuple[int | None, int], ...]:
    """The UTC offset of ``tz`` between epoch seconds ``lo_s`` and ``hi_s`` as steps
    ``((None, offset), (from_second, offset), ...)``: the first applies before the second's start.

    The zone is sampled once a day and each change bisected to the second, so a step is exact.
    """
    lo = pd.Timestamp(lo_s, unit="s", tz="UTC").floor("D") - pd.Timedelta(days=2)
    hi = pd.Timestamp(hi_s, unit="s", tz="UTC").ceil("D") + pd.Timedelta(days=2)
    days = pd.date_range(lo, hi, freq="D")
    day_s = days.as_unit("s").asi8
    off = wall_seconds(day_s, tz) - day_s
    steps: list[tuple[int | None, int]] = [(None, int(off[0]))]
    for i in np.flatnonzero(np.diff(off)) + 1:
        a, b = int(day_s[i - 1]), int(day_s[i])  # the change lies in (a, b]
        while b - a > 1:
            mid = (a + b) // 2
            o = int(wall_seconds(np.array([mid]), tz)[0]) - mid
            a, b = (mid, b) if o == off[i - 1] else (a, mid)
        steps.append((b, int(off[i])))
    return tuple(steps)


def to_wall(s: ibis.Value, steps: tuple[tuple[int | None, int], ...]) -> ibis.Value:
    """Epoch seconds -> seconds on the business wall clock, for the steps of :func:`utc_offsets`."""
    if len(steps) == 1:
        return s + steps[0][1]
    branches = [(s >= start, s + off) for start, off in reversed(steps[1:])]
    return ibis.cases(*branches, else_=s + steps[0][1])


def asof_frame(t_s: np.ndarray, tz: str, windows: list[int]) -> pd.DataFrame:
    """One row per distinct as-of date (ascending): ``as_of_key`` 0.., ``t_s`` (T in epoch
    seconds), ``t_wall`` (T on the wall clock) and ``s{w}`` (the epoch second of local midnight
    ``w`` calendar days before T) for every window; a few Python computations per date."""
    uniq = np.unique(np.asarray(t_s, dtype=np.int64))
    out = pd.DataFrame({"as_of_key": np.arange(len(uniq), dtype=np.int64), "t_s": uniq,
                        "t_wall": wall_seconds(uniq, tz).astype(np.int64)})
    for w in sorted(set(windows)):
        out[f"s{w}"] = shifted_seconds(uniq, tz, -w).astype(np.int64)
    return out


def microseconds(table: pa.Table) -> pa.Table:
    """Timestamps at microsecond resolution, as every engine holds them (DuckDB cannot cast a
    nanosecond zoned timestamp). Truncation floors after 1970; seconds are floored anyway."""
    for i, f in enumerate(table.schema):
        if pa.types.is_timestamp(f.type) and f.type.unit == "ns":
            table = table.set_column(i, f.name, table.column(i).cast(pa.timestamp("us", f.type.tz), safe=False))
    return table
