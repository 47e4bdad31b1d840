"""Validated tables that stay in their files: each is a typed SELECT over its Parquet file.

:func:`repurchase.data.query_load.load_query_tables` (the data floor) checks a data directory with queries and,
when every rule of the pandas loader holds, returns :class:`QueryTables` instead of pandas
frames: the query engine then reads the files itself (projection and predicate pushdown, out of
core) and only the feature matrix is ever built in memory. The attribute names follow
:class:`repurchase.schema.Tables` (``orders``, ``order_items``, ... ; ``None`` when absent), and a
:class:`QueryFrame` answers what the feature groups ask of a table's shape (``columns``,
``len``) without reading it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from repurchase.schema import TABLES

__all__ = ["QueryFrame", "QueryTables", "sql_string"]


def sql_string(text: str) -> str:
    """``text`` as a single-quoted SQL literal."""
    return "'" + str(text).replace("'", "''") + "'"


@dataclass(frozen=True)
class QueryFrame:
    """One validated table in its file.

    Parameters
    ----------
    name : str
        Canonical table name.
    path : Path
        Its Parquet file.
    exprs : mapping of canonical column -> SQL expression
        Each canonical column as a DuckDB expression over the file's own columns, already typed
        as the pandas loader types it: ids and text trimmed ``VARCHAR`` (empty -> NULL), numbers
        ``DOUBLE``, timestamps ``TIMESTAMPTZ`` (naive ones localised in the business timezone),
        ``BOOLEAN``; orders' ``status`` mapped and lower-cased.
    n_rows : int
        Rows in the file (every one kept: a table with a problem never becomes a QueryFrame).
    """

    name: str
    path: Path
    exprs: Mapping[str, str]
    n_rows: int

    @property
    def columns(self) -> pd.Index:
        return pd.Index(list(self.exprs), dtype=object)

    def __len__(self) -> int:
        return self.n_rows

    @property
    def empty(self) -> bool:
        return self.n_rows == 0

    def select(self, columns: Sequence[str] | None = None, *, row_number: bool = False) -> str:
        """SQL selecting ``columns`` (those the table has, in that order; None: all) typed, with
        ``_rn`` (the row's position in the file, from 0) when ``row_number``."""
        cols = list(self.exprs) if columns is None else [c for c in columns if c in self.exprs]
        parts = [f'{self.exprs[c]} AS "{c}"' for c in cols]
        if row_number:
            parts.append('CAST(file_row_number AS BIGINT) AS "_rn"')
        source = f"read_parquet({sql_string(self.path)}{', file_row_number = true' if row_number else ''})"
        return f"SELECT {', '.join(parts) or '1 AS _one'} FROM {source}"


@dataclass
class QueryTables:
    """The canonical tables of one data directory as :class:`QueryFrame` s (absent: ``None``)."""

    orders: QueryFrame
    order_items: QueryFrame | None = None
    customers: QueryFrame | None = None
    events: QueryFrame | None = None
    products: QueryFrame | None = None
    contacts: QueryFrame | None = None
    timezone: str = "UTC"
    rejects: dict = field(default_factory=dict)  # always empty: a table with problems is loaded by pandas

    def present(self) -> list[str]:
        return [name for name in TABLES if getattr(self, name) is not None]

    def as_dict(self) -> Mapping[str, QueryFrame]:
        return {name: getattr(self, name) for name in self.present()}

    @property
    def files(self) -> dict[str, Path]:
        return {name: frame.path for name, frame in self.as_dict().items()}
