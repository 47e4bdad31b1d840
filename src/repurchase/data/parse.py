"""Parsing raw columns into canonical types, reporting which rows fail (never dropping them here).

A value is never guessed into a different one: a column whose values only make sense in another
decimal locale, or whose day/month order the column does not decide, is refused whole
(:class:`ColumnError`), so the loader can name the table and file.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from repurchase.errors import DataError
from repurchase.schema import Kind

_TRUE = {"true", "t", "1", "yes", "y", "是", "1.0"}
_FALSE = {"false", "f", "0", "no", "n", "否", "0.0"}
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
#: spaces (a thousands separator in many locales) and currency signs; never "," or "."
_NUMBER_NOISE = re.compile(r"[\s¥￥$€£]")
#: per decimal separator: a value using the other separator only as whole thousands groups
_GROUPED = {".": re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"),
            ",": re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d*)?")}
_OTHER = {".": ",", ",": "."}
#: day/month/year or month/day/year with one separator, then an optional time part
_DMY = r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})((?:[\sT].*)?)$"


class ColumnError(DataError):
    """A whole column refused; the loader prefixes the table, file and column."""


def _blank_to_na(s: pd.Series) -> pd.Series:
    s = s.astype("str") if not pd.api.types.is_string_dtype(s.dtype) else s
    s = s.str.strip()
    return s.mask(s == "")


def parse_column(raw: pd.Series, kind: Kind, tz: str, *, decimal: str = ".",
                 date_format: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Parse ``raw`` as ``kind``.

    Parameters
    ----------
    raw : Series
        The column as read (text from CSV, typed from Parquet).
    kind : Kind
        Its canonical kind.
    tz : str
        Business timezone for naive timestamps.
    decimal : {".", ","}
        Decimal separator of text numbers; the other one may only group thousands.
    date_format : str, optional
        strftime format of text timestamps that are not ISO 8601; None infers the day/month
        order from the whole column.

    Returns
    -------
    (parsed, bad)
        ``parsed`` in the canonical dtype, and a boolean mask of rows whose non-missing raw value
        could not be parsed (they are missing in ``parsed``).

    Raises
    ------
    ColumnError
        When the column as a whole cannot be read without a guess (decimal locale, day/month order).
    """
    if kind in ("id", "str"):
        return _parse_text(raw), pd.Series(False, index=raw.index)
    if kind in ("float", "int"):
        return _parse_number(raw, decimal)
    if kind == "bool":
        return _parse_bool(raw)
    if kind == "ts":
        return _parse_ts(raw, tz, date_format)
    raise ValueError(f"unknown kind {kind}")


def _parse_text(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(raw.dtype) and not pd.api.types.is_object_dtype(raw.dtype):
        # CSV and Parquet text alike: ' O1' and 'O1' are one id (Arrow-backed strip is vectorised)
        text = raw.str.strip()
        empty = text == ""
        return text.mask(empty) if empty.any() else text
    if pd.api.types.is_float_dtype(raw.dtype):
        # Ids stored as floats (Excel, pandas with NaN) read back as "12345", not "12345.0".
        whole = raw.notna() & (raw == np.floor(raw))
        out = raw.astype("str")
        out = out.mask(whole, raw[whole].astype("Int64").astype("str"))
        return out.mask(raw.isna())
    if pd.api.types.is_integer_dtype(raw.dtype) or pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("str").mask(raw.isna())
    return _blank_to_na(raw)


def _parse_number(raw: pd.Series, decimal: str = ".") -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        parsed = raw.astype("float64")
        return parsed, pd.Series(False, index=raw.index)
    if decimal not in _OTHER:
        raise ValueError(f"decimal separator must be '.' or ',', not {decimal!r}")
    text = _blank_to_na(raw).str.replace(_NUMBER_NOISE, "", regex=True)
    parsed, misplaced = _numbers_in_locale(text, decimal)
    bad = text.notna() & parsed.isna()
    if misplaced.any():
        # values that are numbers only in the other locale: refuse the column, never rescale
        other = _OTHER[decimal]
        elsewhere = misplaced & _numbers_in_locale(text, other)[0].notna()
        if elsewhere.any():
            shown = ", ".join(repr(v) for v in raw[elsewhere].drop_duplicates().head(5))
            raise ColumnError(
                f"{int(elsewhere.sum()):,} of {int(text.notna().sum()):,} values are numbers only with "
                f"'{other}' as the decimal separator (e.g. {shown}), but data.decimal is '{decimal}'. "
                f'Set data.decimal: "{other}" if this export writes {_SAMPLE[other]}; nothing was read as a guess.'
            )
    return parsed, bad


_SAMPLE = {",": "12,5 for twelve and a half (1.299,00 for 1299)", ".": "12.5 for twelve and a half (1,299.00 for 1299)"}


def _numbers_in_locale(text: pd.Series, decimal: str) -> tuple[pd.Series, pd.Series]:
    """Numbers of ``text`` (no spaces or currency left) read with ``decimal``; the other separator
    is accepted only between whole groups of three digits (1,299.00 with '.', 1.299,00 with ',').

    Returns the parsed numbers and the mask of values whose separators do not fit the locale.
    """
    group = _OTHER[decimal]
    has_group = text.str.contains(group, regex=False, na=False)
    grouped = has_group & text.str.fullmatch(_GROUPED[decimal], na=False)
    misplaced = has_group & ~grouped
    if decimal == ",":
        # a lone decimal comma is fine; two commas are not a number
        misplaced |= text.str.count(",").fillna(0) > 1
    cleaned = text.mask(grouped, text.str.replace(group, "", regex=False)).mask(misplaced)
    if decimal == ",":
        cleaned = cleaned.str.replace(",", ".", regex=False)
    return pd.to_numeric(cleaned, errors="coerce").astype("float64"), misplaced


def _parse_bool(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    # a Parquet bool column with nulls reaches pandas as objects True / False / None
    if pd.api.types.is_bool_dtype(raw.dtype) or (
            pd.api.types.is_object_dtype(raw.dtype) and pd.api.types.infer_dtype(raw, skipna=True) == "boolean"):
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


def _in_ns_range(ts: pd.Series) -> pd.Series:
    """Rows of a datetime column (any unit) that fit nanoseconds (years 1678-2261)."""
    lo, hi = pd.Timestamp.min.ceil("s"), pd.Timestamp.max.floor("s")
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        lo, hi = lo.tz_localize("UTC"), hi.tz_localize("UTC")
    return ts.isna() | ((ts >= lo) & (ts <= hi))


def _parse_ts(raw: pd.Series, tz: str, date_format: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Timezone-aware timestamps in ``tz``: naive values are local business time, values with an
    offset are converted."""
    dtype = raw.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        # Parquet keeps its unit (us, ms, s from date32): a year such as 9999 does not fit
        # nanoseconds; it is a bad row (named by the loader), never an overflow
        bad = ~_in_ns_range(raw)
        fits = raw.where(~bad) if bad.any() else raw
        if isinstance(dtype, pd.DatetimeTZDtype):
            return fits.dt.tz_convert(tz).astype(f"datetime64[ns, {tz}]"), bad
        return _localize(fits.astype("datetime64[ns]"), tz), bad
    text = _blank_to_na(raw)
    text = _day_month_to_iso(text, _format_order(date_format))
    out = pd.Series(pd.NaT, index=raw.index, dtype=f"datetime64[ns, {tz}]")
    present = text.notna()
    has_offset = present & text.str.contains(_OFFSET, na=False)
    naive_mask = present & ~has_offset
    if naive_mask.any():
        naive = _to_datetime(text[naive_mask], utc=False, date_format=date_format)
        out[naive_mask] = _localize(naive, tz)
    if has_offset.any():
        aware = _to_datetime(text[has_offset], utc=True, date_format=date_format)
        out[has_offset] = aware.dt.tz_convert(tz)
    bad = present & out.isna()
    return out, bad


def _format_order(date_format: str | None) -> str | None:
    """'dm' or 'md' when a configured format puts the day or the month first, else None."""
    if not date_format or "%d" not in date_format or "%m" not in date_format:
        return None
    return "dm" if date_format.index("%d") < date_format.index("%m") else "md"


def _day_month_to_iso(text: pd.Series, order: str | None = None) -> pd.Series:
    """Rewrite numeric day/month dates (05/01/2024, 13.01.2024 10:00) as ISO 8601 with one
    day/month order for the whole column.

    ``order`` ('dm' or 'md') comes from a configured format; without one, the order is the one
    some value proves (a first field of 13-31 is a day, so is a second one); a column where both
    happen mixes orders, and a column where no value decides while some value reads differently
    either way is ambiguous: both are refused.
    """
    # a cheap vectorised pre-filter (ISO columns skip the regex extraction entirely)
    candidate = text.str.match(r"\d{1,2}[/.-]\d{1,2}[/.-]\d", na=False)
    if not candidate.any():
        return text
    parts = text[candidate].str.extract(_DMY).reindex(text.index)
    found = parts[0].notna()
    if not found.any():
        return text
    a = pd.to_numeric(parts[0]).where(found)
    b = pd.to_numeric(parts[2]).where(found)
    if order is None:
        day_first = found & a.between(13, 31) & (b <= 12)
        month_first = found & b.between(13, 31) & (a <= 12)
        undecided = found & (a <= 12) & (b <= 12) & (a != b)
        hint = "set data.date_format, e.g. '%d/%m/%Y %H:%M' (day first) or '%m/%d/%Y %H:%M' (month first)"
        if day_first.any() and month_first.any():
            raise ColumnError(
                f"mixes day/month/year values (e.g. {_shown(text, day_first)}) and month/day/year values "
                f"(e.g. {_shown(text, month_first)}); one format per column is needed: {hint}."
            )
        if not (day_first.any() or month_first.any()) and undecided.any():
            raise ColumnError(
                f"{int(undecided.sum()):,} of {int(text.notna().sum()):,} values read as different dates day "
                f"first or month first (e.g. {_shown(text, undecided)}), and no value decides (none has a "
                f"day, 13 to 31, in the first or the second place); {hint}."
            )
        order = "md" if month_first.any() else "dm"
    # a value the order cannot read (13/13/2024) becomes an invalid ISO date: a bad row
    day, month = (b, a) if order == "md" else (a, b)
    year = parts[3].where(parts[3].str.len() == 4, _century(parts[3]))
    iso = (year + "-" + month.astype("Int64").astype("str").str.zfill(2) + "-"
           + day.astype("Int64").astype("str").str.zfill(2) + parts[4])
    return text.mask(found, iso)


def _century(yy: pd.Series) -> pd.Series:
    # two-digit years as strptime's %y reads them: 69-99 are 19xx, 00-68 are 20xx
    n = pd.to_numeric(yy, errors="coerce")
    return (n + np.where(n >= 69, 1900, 2000)).astype("Int64").astype("str")


def _shown(text: pd.Series, mask: pd.Series, n: int = 3) -> str:
    return ", ".join(repr(v) for v in text[mask].drop_duplicates().head(n))


def _to_datetime(text: pd.Series, utc: bool, date_format: str | None = None) -> pd.Series:
    # ISO 8601 is the fast path; the rest is read with the configured format, or else value by
    # value ("mixed": only unambiguous forms are left once day/month dates are rewritten as ISO).
    parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=utc)
    retry = parsed.isna()
    if retry.any():
        parsed = parsed.copy()
        parsed[retry] = pd.to_datetime(text[retry], errors="coerce", format=date_format or "mixed", utc=utc)
    # a year such as 1 or 9999 parses at second resolution but does not fit nanoseconds: not a
    # valid timestamp here (it becomes a bad row, named in the error), never an overflow
    parsed = parsed.where(_in_ns_range(parsed))
    return parsed.astype("datetime64[ns, UTC]" if utc else "datetime64[ns]")
