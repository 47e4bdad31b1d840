"""What both spike implementations share: the as-of parameter table and the timezone offsets.

Everything here is a handful of Python computations per as-of date (never per row): the window
starts are local midnights computed by the package's own helpers, so the engines compare floored
epoch seconds exactly as ``repurchase._timeline.Timeline`` does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from repurchase._timeline import wall_seconds
from repurchase.data.read import resolve_timezone
from repurchase.spine import as_of_dates, shifted_seconds

#: order windows (features.windows_days) and engagement windows (features.engagement_windows_days)
ORDER_WINDOWS = (30, 90, 180, 365)
ENGAGEMENT_WINDOWS = (7, 30, 90)
#: every window start either group needs (60: the previous 30 days of engagement_trend_30d)
ALL_WINDOWS = sorted(set(ORDER_WINDOWS) | set(ENGAGEMENT_WINDOWS) | {60})
TOP_EVENT_TYPES = 10
MEMBERSHIP = ("group_join", "group_leave")
RFM_COLUMNS = (["days_since_last_order", "days_since_first_order", "orders_count"]
               + [f"orders_{w}d" for w in ORDER_WINDOWS] + ["spend_total"]
               + [f"spend_{w}d" for w in ORDER_WINDOWS]
               + ["avg_order_value", "max_order_value", "r_score", "f_score", "m_score"])


def timezone_of(data_dir: str | Path) -> str:
    return resolve_timezone(Path(data_dir), None)


def parquet(data_dir: str | Path, table: str) -> str | None:
    p = Path(data_dir) / f"{table}.parquet"
    return str(p) if p.is_file() else None


def as_of_params(dates, tz: str) -> pd.DataFrame:
    """One row per as-of date T: ``as_of_key`` (the index), ``t_s`` (T in epoch seconds),
    ``t_wall`` (T on the business wall clock, seconds) and ``s{w}`` (epoch second of local midnight
    w calendar days before T) for every window."""
    ts = as_of_dates(dates, tz)
    t_s = np.array([int(t.value // 10**9) for t in ts], dtype=np.int64)
    out = pd.DataFrame({"as_of_key": np.arange(len(ts), dtype=np.int64), "t_s": t_s,
                        "t_wall": wall_seconds(t_s, tz).astype(np.int64)})
    for w in ALL_WINDOWS:
        out[f"s{w}"] = shifted_seconds(t_s, tz, -w)
    return out


def as_of_values(params: pd.DataFrame, tz: str) -> pd.Series:
    """The tz-aware ``as_of`` of each ``as_of_key`` (for the output keys)."""
    return pd.to_datetime(params["t_s"], unit="s", utc=True).dt.tz_convert(tz)


def utc_offsets(tz: str, start: str = "1990-01-01", end: str = "2040-01-01") -> list[tuple[int, int]]:
    """The timezone's UTC offset as steps: ``[(from_epoch_second, offset_seconds), ...]``, the first
    from -inf. For engines without a timezone conversion (Ibis has none): wall seconds are
    ``epoch + offset`` with the offset picked by a CASE over these few steps."""
    hours = pd.date_range(start, end, freq="h", tz="UTC")
    off = np.array([int(x.utcoffset().total_seconds()) for x in hours.tz_convert(tz)[::24]])
    day_s = hours[::24].as_unit("s").asi8
    steps = [(None, int(off[0]))]
    for i in np.flatnonzero(np.diff(off)) + 1:
        lo, hi = int(day_s[i - 1]), int(day_s[i])  # the change is in (lo, hi]: bisect to the second
        while hi - lo > 1:
            mid = (lo + hi) // 2
            o = int(pd.Timestamp(mid, unit="s", tz="UTC").tz_convert(tz).utcoffset().total_seconds())
            lo, hi = (mid, hi) if o == off[i - 1] else (lo, mid)
        steps.append((hi, int(off[i])))
    return steps


def finish(frame: pd.DataFrame, params: pd.DataFrame, tz: str, columns: list[str]) -> pd.DataFrame:
    """Keys ``customer_id``, ``as_of`` (tz-aware) first, then the feature columns, sorted."""
    as_of = as_of_values(params, tz)
    frame = frame.merge(pd.DataFrame({"as_of_key": params["as_of_key"], "as_of": as_of}), on="as_of_key")
    frame = frame.sort_values(["as_of", "customer_id"], kind="stable").reset_index(drop=True)
    return frame[["customer_id", "as_of", *columns]]
