"""Typing the canonical columns of one table, and the rules each row must meet.

Types first (:func:`type_columns`): a column that fails as a whole is fatal, single bad values are
:class:`Problem` s. Then the row rules (:func:`row_checks`): repeated keys, negative amounts not
marked as refunds, timestamps before 1990 or in the future, absurd amounts, rows pointing at
unknown orders or customers. The loader decides whether problems are fatal or become rejects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from repurchase._arrow import isin
from repurchase.config import DataConfig
from repurchase.data.parse import ColumnError, parse_column
from repurchase.data.row_examples import examples
from repurchase.errors import DataError
from repurchase.schema import ORDER_STATUSES, TABLES, validate_frame

#: an order above this is a data error (a unit mix-up or a stray id in the amount column)
MAX_AMOUNT = 1e9

_KIND_WORD = {"id": "text", "str": "text", "float": "a number", "int": "a whole number",
              "bool": "true/false", "ts": "a timestamp"}


class RawRows:
    """A table as stored, read again from its file only when rows must be shown or rejected: a
    clean table's raw copy is not held beside its typed one (at 1M customers, ~4 GiB)."""

    def __init__(self, read: Callable[[], pd.DataFrame]):
        self._read = read
        self._frame: pd.DataFrame | None = None

    @property
    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = self._read()
        return self._frame


def raw_frame(raw: pd.DataFrame | RawRows) -> pd.DataFrame:
    """The raw rows of a table, read again when only a :class:`RawRows` was kept."""
    return raw.frame if isinstance(raw, RawRows) else raw


@dataclass
class Problem:
    """Rows of one table that break one rule."""

    table: str
    column: str
    reason: str
    mask: pd.Series
    frame: pd.DataFrame | RawRows  # the raw rows, for examples and rejects

    @property
    def count(self) -> int:
        return int(self.mask.sum())

    def describe(self) -> str:
        return (
            f"table '{self.table}', column '{self.column}': {self.count:,} of {len(self.mask):,} "
            f"rows {self.reason}; e.g.\n{examples(raw_frame(self.frame), self.mask)}"
        )


def type_columns(frame: pd.DataFrame, table: str, tz: str, path: Path,
                 config: DataConfig | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse canonical columns; whole-column failures are fatal, single rows are problems."""
    config = config or DataConfig()
    spec = TABLES[table]
    validate_frame(frame, table, dtypes=False)
    if frame.empty and table == "orders":
        raise DataError(f"table 'orders' ({path.name}) has no rows; at least one order is needed.")
    out = {}
    problems: list[Problem] = []
    for col in frame.columns:
        kind = spec.kinds.get(col)
        if kind is None:
            out[col] = frame[col]  # extra attributes pass through untouched (e.g. country)
            continue
        try:
            parsed, bad = parse_column(frame[col], kind, tz, decimal=config.decimal, date_format=config.date_format)
        except ColumnError as exc:
            raise DataError(f"table '{table}' ({path.name}), column '{col}': {exc}") from exc
        n_present = int(frame[col].notna().sum())
        n_bad = int(bad.sum())
        if n_present and n_bad == n_present and n_bad > 0:
            raise DataError(
                f"table '{table}' ({path.name}), column '{col}' cannot be parsed as {_KIND_WORD[kind]}: "
                f"all {n_bad:,} non-empty values fail{_excel_hint(frame[col], bad) if kind == 'ts' else ''}; "
                f"e.g.\n{examples(frame[[col]], bad)}"
            )
        if n_bad:
            problems.append(Problem(table, col, f"cannot be parsed as {_KIND_WORD[kind]}", bad, frame))
        if col in spec.required:
            missing = parsed.isna() & ~bad
            if int(missing.sum()) == len(frame) and len(frame):
                raise DataError(f"table '{table}' ({path.name}): required column '{col}' is empty in every row.")
            if missing.any():
                problems.append(Problem(table, col, "have no value (required)", missing, frame))
        out[col] = parsed
    return pd.DataFrame(out, index=frame.index), problems


def _excel_hint(raw: pd.Series, bad: pd.Series) -> str:
    """Numbers like 45123.5 in a timestamp column are Excel serial dates."""
    num = pd.to_numeric(raw[bad].astype("str").str.strip(), errors="coerce")
    if len(num) and num.between(20_000, 80_000).mean() > 0.5:
        return (" (they look like Excel serial dates, e.g. 45123.5 = 2023-07-16 12:00: "
                "format the column as text 'YYYY-MM-DD HH:MM' before exporting)")
    return ""


def normalise_status(typed: pd.DataFrame, raw: pd.DataFrame, status_values: Mapping[str, str]) -> tuple[pd.DataFrame, list[Problem]]:
    """Orders' ``status`` trimmed, mapped through ``data.status_values`` and lower-cased; any
    other word than :data:`~repurchase.schema.ORDER_STATUSES` is a problem."""
    if "status" not in typed.columns:
        return typed, []
    status = typed["status"].str.strip()
    if status_values:
        status = status.replace(dict(status_values))
    status = status.str.lower()
    unknown = status.notna() & ~status.isin(ORDER_STATUSES)
    typed = typed.assign(status=status)
    problems = []
    if unknown.any():
        problems.append(Problem("orders", "status", f"have a status other than {'/'.join(ORDER_STATUSES)} "
                                "(map yours with data.status_values)", unknown, raw))
    return typed, problems


def rule_columns(name: str) -> set[str]:
    """The columns :func:`row_checks` and the id checks read in table ``name``: a load that keeps
    only some columns keeps these too, so that the same rows are kept and rejected."""
    spec = TABLES[name]
    ts = {c for c, kind in spec.kinds.items() if kind == "ts"}
    return {*spec.required, *spec.key, *ts, "order_id", "customer_id", "sku", "amount", "status", "discount_amount"}


def row_checks(name: str, typed: pd.DataFrame, raw: pd.DataFrame | RawRows, known: dict) -> list[Problem]:
    """Rules on single rows and keys (types were checked already)."""
    p: list[Problem] = []
    spec = TABLES[name]
    for key in spec.key:
        dup = typed[key].notna() & typed.duplicated(subset=[key], keep="first")
        if dup.any():
            p.append(Problem(name, key, f"repeat a {key} seen on an earlier row", dup, raw))
    if name == "orders":
        neg = typed["amount"] < 0
        if "status" in typed.columns:
            neg &= typed["status"].ne("refunded").fillna(True)
        if neg.any():
            p.append(Problem(name, "amount", "have a negative amount not marked as a refund", neg, raw))
        if "discount_amount" in typed.columns:
            neg_d = typed["discount_amount"] < 0
            if neg_d.any():
                p.append(Problem(name, "discount_amount", "have a negative discount", neg_d, raw))
    for col, kind in spec.kinds.items():
        if kind != "ts" or col not in typed.columns:
            continue
        ts = typed[col]
        early = ts.notna() & (ts < pd.Timestamp("1990-01-01", tz=ts.dt.tz))
        if early.any():
            p.append(Problem(name, col, "are before 1990 (an empty or zero date such as 1970-01-01?)", early, raw))
        if col != "expires_ts":  # a coupon may expire in the future; nothing else happened there yet
            future = ts.notna() & (ts > pd.Timestamp.now(tz=ts.dt.tz) + pd.Timedelta(days=1))
            if future.any():
                p.append(Problem(name, col, "are in the future (after tomorrow)", future, raw))
    if name == "orders":
        absurd = ~np.isfinite(typed["amount"].fillna(0).to_numpy(float)) | (typed["amount"] > MAX_AMOUNT)
        if absurd.any():
            p.append(Problem(name, "amount", f"have an absurd amount (infinite or above {MAX_AMOUNT:,.0f})",
                             pd.Series(absurd, index=typed.index), raw))
    if name == "order_items" and "orders" in known:
        orphan = typed["order_id"].notna() & ~isin(typed["order_id"], known["orders"])
        if orphan.any():
            p.append(Problem(name, "order_id", "point at an order_id not in orders", orphan, raw))
    if name in ("events", "contacts") and "customers" in known:
        orphan = typed["customer_id"].notna() & ~isin(typed["customer_id"], known["customers"])
        if orphan.any():
            p.append(Problem(name, "customer_id", "point at a customer_id in neither customers nor orders", orphan, raw))
    return p

