"""Parsing raw columns into canonical types, reporting which rows fail (never dropping them here)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from repurchase.schema import Kind

_TRUE = {"true", "t", "1", "yes", "y", "是", "1.0"}
_FALSE = {"false", "f", "0", "no", "n", "否", "0.0"}
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
_NUMBER_NOISE = re.compile(r"[\s,¥￥$€£]")


def _blank_to_na(s: pd.Series) -> pd.Series:
    s = s.astype("str") if not pd.api.types.is_string_dtype(s.dtype) else s
    s = s.str.strip()
    return s.mask(s == "")


def parse_column(raw: pd.Series, kind: Kind, tz: str) -> tuple[pd.Series, pd.Series]:
    """Parse ``raw`` as ``kind``.

    Returns
    -------
    (parsed, bad)
        ``parsed`` in the canonical dtype, and a boolean mask of rows whose non-missing raw value
        could not be parsed (they are missing in ``parsed``).
    """
    if kind in ("id", "str"):
        return _parse_text(raw), pd.Series(False, index=raw.index)
    if kind in ("float", "int"):
        return _parse_number(raw)
    if kind == "bool":
        return _parse_bool(raw)
    if kind == "ts":
        return _parse_ts(raw, tz)
    raise ValueError(f"unknown kind {kind}")


def _parse_text(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(raw.dtype) and not pd.api.types.is_object_dtype(raw.dtype):
        # Typed sources (Parquet) arrive trimmed; stripping millions of strings is not free,
        # but an empty string is still a missing value.
        empty = raw == ""
        return raw.mask(empty) if empty.any() else raw
    if pd.api.types.is_float_dtype(raw.dtype):
        # Ids stored as floats (Excel, pandas with NaN) read back as "12345", not "12345.0".
        whole = raw.notna() & (raw == np.floor(raw))
        out = raw.astype("str")
        out = out.mask(whole, raw[whole].astype("Int64").astype("str"))
        return out.mask(raw.isna())
    if pd.api.types.is_integer_dtype(raw.dtype) or pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("str").mask(raw.isna())
    return _blank_to_na(raw)


def _parse_number(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        parsed = raw.astype("float64")
        return parsed, pd.Series(False, index=raw.index)
    text = _blank_to_na(raw)
    cleaned = text.str.replace(_NUMBER_NOISE, "", regex=True)
    parsed = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    bad = text.notna() & parsed.isna()
    return parsed, bad


def _parse_bool(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("boolean"), pd.Series(False, index=raw.index)
    text = _blank_to_na(raw).str.lower()
    parsed = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    parsed[text.isin(_TRUE)] = True
    parsed[text.isin(_FALSE)] = False
    bad = text.notna() & parsed.isna()
    return parsed, bad


def _localize(naive: pd.Series, tz: str) -> pd.Series:
    # Ambiguous wall-clock times (the DST fall-back hour) are read as standard time.
    return naive.dt.tz_localize(tz, ambiguous=np.zeros(len(naive), dtype=bool), nonexistent="shift_forward")


def _parse_ts(raw: pd.Series, tz: str) -> tuple[pd.Series, pd.Series]:
    """Timezone-aware timestamps in ``tz``: naive values are local business time, values with an
    offset are converted."""
    dtype = raw.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return raw.dt.tz_convert(tz).astype(f"datetime64[ns, {tz}]"), pd.Series(False, index=raw.index)
    if pd.api.types.is_datetime64_dtype(dtype):
        return _localize(raw.astype("datetime64[ns]"), tz), pd.Series(False, index=raw.index)
    text = _blank_to_na(raw)
    out = pd.Series(pd.NaT, index=raw.index, dtype=f"datetime64[ns, {tz}]")
    present = text.notna()
    has_offset = present & text.str.contains(_OFFSET, na=False)
    naive_mask = present & ~has_offset
    if naive_mask.any():
        naive = _to_datetime(text[naive_mask], utc=False)
        out[naive_mask] = _localize(naive, tz)
    if has_offset.any():
        aware = _to_datetime(text[has_offset], utc=True)
        out[has_offset] = aware.dt.tz_convert(tz)
    bad = present & out.isna()
    return out, bad


def _to_datetime(text: pd.Series, utc: bool) -> pd.Series:
    # ISO 8601 is the fast path; anything else is retried value by value ("mixed").
    parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=utc)
    retry = parsed.isna()
    if retry.any():
        parsed = parsed.copy()
        parsed[retry] = pd.to_datetime(text[retry], errors="coerce", format="mixed", utc=utc)
    # a year such as 1 or 9999 parses at second resolution but does not fit nanoseconds: not a
    # valid timestamp here (it becomes a bad row, named in the error), never an overflow
    lo, hi = pd.Timestamp.min.ceil("s"), pd.Timestamp.max.floor("s")
    if utc:
        lo, hi = lo.tz_localize("UTC"), hi.tz_localize("UTC")
    parsed = parsed.where(parsed.isna() | ((parsed >= lo) & (parsed <= hi)))
    return parsed.astype("datetime64[ns, UTC]" if utc else "datetime64[ns]")
