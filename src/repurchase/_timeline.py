"""The one point-in-time primitive: a table's rows sorted by (customer, time).

A :class:`Timeline` answers, for many (customer, T) queries at once, "which of this customer's
rows are strictly before T" as an index range ``[start, pos)`` into the sorted rows. Counts,
sums (through prefix sums), first/last values and windows ``[T - w, T)`` all follow from that
range, so the sort is done once and shared by every as-of date: the cost of one more as-of date
is a few binary searches per spine row, not another pass over the data.

Times are whole epoch seconds (floored), which keeps "strictly before T" exact for as-of dates at
local midnight: a row at T - 0.5 s floors to T - 1 s and counts; a row at T + 0.5 s floors to T
and does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DAY_S = 86_400


def wall_seconds(seconds: np.ndarray, tz: str) -> np.ndarray:
    """Epoch seconds -> seconds on the local wall clock of ``tz`` (each instant plus its UTC offset).

    Durations people read off the calendar ("days since the last order") are differences of wall
    seconds: local midnight to local midnight is a whole number of days even across a daylight
    saving change, where epoch seconds are an hour short or long. Windows are local calendar days
    already (:func:`repurchase.spine.shifted_seconds`); every "days since" uses this. Float input
    keeps NaN (no row); int64 input keeps int64 min (missing).
    """
    values = np.asarray(seconds)
    floating = values.dtype.kind == "f"
    ok = np.isfinite(values) if floating else values != np.iinfo(np.int64).min
    out = values.astype(np.float64 if floating else np.int64, copy=True)
    if tz == "UTC" or not ok.any():
        return out
    ints = values[ok].astype(np.int64)
    local = pd.to_datetime(ints, unit="s", utc=True).tz_convert(tz).tz_localize(None)
    out[ok] = local.as_unit("s").asi8  # explicit unit: pandas 3 keeps the input resolution
    return out


def epoch_seconds(ts: pd.Series) -> np.ndarray:
    """Tz-aware timestamps -> floored epoch seconds (int64); missing -> int64 min."""
    values = ts.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[s]")
    out = values.to_numpy(dtype="datetime64[s]").astype(np.int64)
    return out


@dataclass(frozen=True)
class Timeline:
    """Rows sorted by (code, ts) with a composite search key.

    Attributes
    ----------
    codes, ts : ndarray of int64
        Customer code and epoch second of each row, sorted.
    order : ndarray of int64 or None
        ``sorted_row[i]`` is source row ``order[i]`` (None when the rows came sorted); use
        :meth:`sort` for value columns.
    block_start : ndarray of int64
        First sorted row of each code (length ``n_codes + 1``).
    """

    codes: np.ndarray
    ts: np.ndarray
    order: np.ndarray | None  # None: rows were given sorted
    block_start: np.ndarray
    key: np.ndarray
    base: int
    span: int

    @classmethod
    def build(cls, codes: np.ndarray, ts: np.ndarray, n_codes: int, *, presorted: bool = False) -> "Timeline":
        """Sort rows by (code, ts); with ``presorted`` the rows already are (no sort, ``order``
        is the identity), e.g. a subset taken in order from another timeline."""
        codes = np.asarray(codes, dtype=np.int64)
        ts = np.asarray(ts, dtype=np.int64)
        base = int(ts.min()) if len(ts) else 0
        span = (int(ts.max()) - base + 2) if len(ts) else 2
        if n_codes * span >= np.iinfo(np.int64).max // 2:
            raise OverflowError("too many customers x seconds for the composite key")
        key = codes * span + (ts - base)
        if presorted:
            order = None
        else:
            order = np.argsort(key, kind="stable")
            key, codes, ts = key[order], codes[order], ts[order]
        block_start = np.searchsorted(codes, np.arange(n_codes + 1), side="left")
        return cls(codes, ts, order, block_start, key, base, span)

    def __len__(self) -> int:
        return len(self.ts)

    def sort(self, values: np.ndarray) -> np.ndarray:
        """A value column of the source rows, in timeline order."""
        values = np.asarray(values)
        return values if self.order is None else values[self.order]

    def start(self, codes: np.ndarray) -> np.ndarray:
        """First row of each queried customer."""
        return self.block_start[codes]

    def pos(self, codes: np.ndarray, t: np.ndarray | int) -> np.ndarray:
        """Index one past the customer's last row strictly before ``t``."""
        rel = np.clip(np.asarray(t, dtype=np.int64) - self.base, 0, self.span - 1)
        return np.searchsorted(self.key, codes * self.span + rel, side="left")

    @staticmethod
    def prefix(values: np.ndarray) -> np.ndarray:
        """Prefix sums with a leading 0: the sum over rows [a, b) is ``p[b] - p[a]``.

        Integer values (cents, seconds) stay int64 and wrap on overflow: the difference of two
        wrapped prefix sums is still exact whenever the block's own sum fits in int64, so a
        customer's sums never depend on other customers' rows (not even by rounding).
        """
        values = np.asarray(values)
        dtype = np.int64 if np.issubdtype(values.dtype, np.integer) else np.float64
        out = np.empty(len(values) + 1, dtype=dtype)
        out[0] = 0
        np.cumsum(values, out=out[1:], dtype=dtype)
        return out

    def gather(self, values: np.ndarray, idx: np.ndarray, valid: np.ndarray, fill=np.nan) -> np.ndarray:
        """``values[idx]`` (sorted values) where ``valid``, else ``fill``."""
        safe = np.where(valid, idx, 0)
        if not len(values):
            return np.full(len(idx), fill, dtype=np.float64)
        return np.where(valid, values[safe], fill)


def mode_by_code(
    codes: np.ndarray,
    ts: np.ndarray,
    labels: np.ndarray,
    n_labels: int,
    q_codes: np.ndarray,
    q_t: np.ndarray,
    since: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Most frequent label (lowest on ties) among each customer's rows before T (and, with
    ``since``, a per-query lower bound in epoch seconds, at or after it). Returns (mode, count
    of rows); mode is -1 for none.

    One ``bincount`` per distinct T: O(rows) per as-of date, cheap for a small label set.
    """
    mode = np.full(len(q_codes), -1, dtype=np.int64)
    total = np.zeros(len(q_codes), dtype=np.int64)
    if not len(codes):
        return mode, total
    n_codes = int(max(codes.max(), q_codes.max() if len(q_codes) else 0)) + 1
    for t in np.unique(q_t):
        rows = q_t == t
        sel = ts < t
        if since is not None:
            sel &= ts >= since[rows][0]
        counts = np.bincount(codes[sel] * n_labels + labels[sel], minlength=n_codes * n_labels)
        counts = counts.reshape(n_codes, n_labels)
        c = counts[q_codes[rows]]
        n = c.sum(axis=1)
        mode[rows] = np.where(n > 0, c.argmax(axis=1), -1)
        total[rows] = n
    return mode, total
