"""SQL for the query loader: each canonical column typed as the pandas loader types it.

:func:`typed_expr` turns a Parquet column (its Arrow type) into the DuckDB expression whose
values equal what :mod:`repurchase.data.parse` makes of it, or refuses (:class:`Fallback`) a type
the pandas loader would have to parse or convert in a way SQL does not reproduce exactly; the
loader (:mod:`repurchase.data.query_load`) then leaves the directory to pandas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import pandas as pd
import pyarrow as pa

from repurchase.engine.tables import sql_string
from repurchase.engine._time import utc_offsets
from repurchase.schema import Kind

__all__ = ["Fallback", "SourceColumn", "check_type", "in_gaps", "localise", "quote", "status_mapped", "trimmed",
           "typed_expr", "zone_steps"]

#: what ``str.strip`` removes (pandas' Arrow-backed strip removes the same set, checked by the tests)
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
              "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
#: pandas holds nanoseconds: a timestamp outside years 1678-2261 is a bad row there (a margin of
#: some months on the exact bounds keeps a localised value inside them too)
TS_MIN_US = int(pd.Timestamp("1678-01-01").value // 1000)
TS_MAX_US = int(pd.Timestamp("2261-12-31").value // 1000)
#: integers up to this convert to float64 exactly, in Arrow and DuckDB alike
MAX_EXACT = 2**53 - 1


class Fallback(Exception):
    """The query path does not apply to this data directory: load it with pandas."""


def quote(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def trimmed(col: str) -> str:
    """Text trimmed of whitespace as ``str.strip`` trims it, empty -> NULL (``parse._parse_text``)."""
    # trim() with a character set is ~13x slower than a scan (18 s on 21M ids): a value that
    # starts and ends with printable ASCII other than space has nothing to trim, and is most
    # values; the others (spaces, non-ASCII ends, line breaks inside) take the exact trim
    return (f"CASE WHEN regexp_full_match({col}, '[!-~](.*[!-~])?') THEN {col} "
            f"ELSE NULLIF(trim({col}, {sql_string(WHITESPACE)}), '') END")


@dataclass(frozen=True)
class SourceColumn:
    """One canonical column as the file stores it."""

    canonical: str
    header: str
    type: pa.DataType
    kind: Kind

    @property
    def ref(self) -> str:
        return quote(self.header)

    @property
    def naive_ts(self) -> bool:
        """A timestamp without a zone (or a date): local business time, localised by SQL."""
        return self.kind == "ts" and (pa.types.is_date(self.type) or self.type.tz is None)

    @property
    def nanos(self) -> bool:
        return pa.types.is_timestamp(self.type) and self.type.unit == "ns"

    @property
    def decimal(self) -> bool:
        return pa.types.is_decimal(self.type)


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def check_type(col: SourceColumn) -> None:
    """Refuse a Parquet type that the pandas loader would parse (or convert inexactly here)."""
    t, kind = col.type, col.kind
    if kind in ("id", "str"):
        ok = _is_text(t) or (kind == "id" and (pa.types.is_integer(t) or (pa.types.is_decimal128(t) and t.scale == 0)))
    elif kind in ("float", "int"):
        ok = (pa.types.is_integer(t) or pa.types.is_float32(t) or pa.types.is_float64(t)
              or pa.types.is_decimal128(t))
    elif kind == "bool":
        ok = pa.types.is_boolean(t)
    elif kind == "ts":
        ok = pa.types.is_timestamp(t) or pa.types.is_date32(t)
    else:
        ok = False
    if not ok:
        raise Fallback(f"column '{col.header}' is {t}, not a native {kind} type")


def _decimal_double(ref: str, scale: int) -> str:
    """A decimal as Arrow casts it to float64 (what the pandas loader reads): the unscaled
    integer times ``10**-scale``, split into whole and fraction above 2**53 (not correctly
    rounded, so ``CAST(d AS DOUBLE)`` differs in the last bit for a tenth of the values)."""
    if scale <= 0:
        return f"CAST({ref} AS DOUBLE)"
    power = 10**scale
    tenth = f"CAST({sql_string(repr(float(f'1e-{scale}')))} AS DOUBLE)"
    u = f"CAST(abs({ref}) * {power} AS HUGEINT)"
    positive = (f"CASE WHEN {u} <= {MAX_EXACT} THEN CAST({u} AS DOUBLE) * {tenth} "
                f"ELSE CAST({u} // {power} AS DOUBLE) + CAST({u} % {power} AS DOUBLE) * {tenth} END")
    return f"CASE WHEN {ref} < 0 THEN -({positive}) ELSE {positive} END"


def typed_expr(col: SourceColumn, steps: tuple | None = None, exact: Mapping[int, int] | None = None) -> str:
    """The DuckDB expression of ``col`` typed as the pandas loader types it (for a naive
    timestamp, ``steps`` and ``exact`` are those of :func:`localise`)."""
    check_type(col)
    ref, t = col.ref, col.type
    if col.kind in ("id", "str"):
        return trimmed(ref if _is_text(t) else f"CAST({ref} AS VARCHAR)")
    if col.kind in ("float", "int"):
        value = _decimal_double(ref, t.scale) if col.decimal else f"CAST({ref} AS DOUBLE)"
        return f"NULLIF({value}, CAST('NaN' AS DOUBLE))"  # NaN is missing in pandas, a value in SQL
    if col.kind == "bool":
        return f"CAST({ref} AS BOOLEAN)"
    if not col.naive_ts:
        return f"CAST({ref} AS TIMESTAMPTZ)"
    return localise(f"CAST({ref} AS TIMESTAMP)", steps or ((None, 0),), exact)


def _ts_literal(epoch_us: int) -> str:
    return f"TIMESTAMP '{pd.Timestamp(int(epoch_us), unit='us').isoformat(sep=' ')}'"


def in_gaps(wall: str, steps: tuple) -> str | None:
    """SQL true where ``wall`` is a wall-clock time that the offset ``steps`` skip (None: none)."""
    spans = [(start + before, start + offset) for (start, offset), (_, before) in zip(steps[1:], steps[:-1])
             if offset > before]
    return " OR ".join(f"({wall} >= {_ts_literal(lo * 1_000_000)} AND {wall} < {_ts_literal(hi * 1_000_000)})"
                       for lo, hi in spans) or None


def localise(wall: str, steps: tuple, exact: Mapping[int, int] | None = None) -> str:
    """Naive wall-clock ``wall`` as an instant (TIMESTAMPTZ) for the zone's offset ``steps`` (see
    :func:`repurchase.engine._time.utc_offsets`), as ``parse._localize`` does it.

    An ambiguous time (the fall-back hour) takes the later offset (standard time). A time in a
    spring-forward gap is looked up in ``exact`` (wall -> UTC epoch microseconds, computed by
    pandas for the few such values of the column): pandas' ``shift_forward`` moves it to the next
    whole hour of the wall clock, not to the end of the gap (they differ for a 30-minute gap),
    and DuckDB's own zone conversion would move it by the gap's length.
    """
    def shifted(offset: int) -> str:
        return f"{wall} - INTERVAL '{int(offset)} seconds'"

    branches = [f"WHEN {wall} = {_ts_literal(w)} THEN {_ts_literal(u)}" for w, u in (exact or {}).items()]
    for start, offset in reversed(steps[1:]):
        branches.append(f"WHEN {wall} >= {_ts_literal((start + offset) * 1_000_000)} THEN {shifted(offset)}")
    utc = f"CASE {' '.join(branches)} ELSE {shifted(steps[0][1])} END" if branches else shifted(steps[0][1])
    return f"timezone('UTC', {utc})"


def zone_steps(tz: str, lo_us: int, hi_us: int) -> tuple:
    """The UTC-offset steps of ``tz`` around wall-clock microseconds ``lo_us``-``hi_us``."""
    day = 86_400
    return utc_offsets(tz, lo_us // 1_000_000 - day, hi_us // 1_000_000 + day)


def status_mapped(text: str, status_values: dict[str, str]) -> str:
    """Orders' status as ``validate.normalise_status`` maps it, before lower-casing: ``text`` is
    already trimmed, and ``data.status_values`` replaces whole words, all at once (as pandas'
    ``replace`` does: a mapped word is not mapped again)."""
    if not status_values:
        return text
    cases = " ".join(f"WHEN {sql_string(k)} THEN {sql_string(v)}" for k, v in status_values.items())
    return f"(CASE {text} {cases} ELSE {text} END)"
