"""Time as whole seconds: epoch seconds of instants, and the business wall clock.

The feature groups are queries (:mod:`repurchase.engine`); these helpers serve the spine, the
labels and the scoring layer. Times are whole epoch seconds (floored), which keeps "strictly
before T" exact for as-of dates at local midnight: a row at T - 0.5 s floors to T - 1 s and
counts; a row at T + 0.5 s floors to T and does not.
"""

from __future__ import annotations

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
