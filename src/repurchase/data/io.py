"""The only input I/O: find, read, map, parse and validate the canonical tables of a data directory.

A data directory holds one file per table (``<table>.parquet``, ``<table>.csv`` or
``<table>.csv.gz``) and optionally ``dataset.yaml`` describing it (its ``timezone``). Problems are
of two kinds:

* fatal (missing required table or column, a column that cannot be parsed at all, no orders):
  :class:`~repurchase.errors.DataError`, always;
* row-level (duplicate keys, missing ids, unparseable values, negative amounts not marked as
  refunds, rows pointing at unknown orders or customers): fatal by default, or, when tolerant,
  moved to ``rejects`` with a reason and counted. No row is ever dropped silently.

What loading guarantees (issue 12): ids are trimmed text in every table (an integer Parquet id is
its decimal text), and a table whose ids mostly match none of the table it refers to, or match
only once leading zeros are dropped, is refused; numbers follow ``data.decimal``; each timestamp
column has one day/month order (``data.date_format`` or inferred from the whole column); a
duplicated header is refused; Parquet decimals and dates are read.

This module is the loader and the one import path of it: reading the files is
:mod:`~repurchase.data.read`, typing columns and row rules :mod:`~repurchase.data.validate`, the
whole-table id checks :mod:`~repurchase.data.ids`, writing tables :mod:`~repurchase.data.write`;
their public names are re-exported here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from repurchase._arrow import release_memory, unique
from repurchase.config import DataConfig
from repurchase.data.ids import MISMATCH_SHARE, check_id_formats
from repurchase.data.read import (
    DATASET_FILE,
    SUFFIXES,
    dataset_meta,
    find_table_file,
    map_columns,
    read_raw,
    resolve_timezone,
)
from repurchase.data.validate import (
    MAX_AMOUNT, Problem, RawRows, normalise_status, raw_frame, row_checks, rule_columns, type_columns,
)
from repurchase.data.write import write_parquet, write_rejects, write_tables
from repurchase.errors import DataError
from repurchase.schema import TABLES, Tables, validate_frame

__all__ = [
    "DATASET_FILE", "MAX_AMOUNT", "MISMATCH_SHARE", "REJECT_REASON", "SOURCE_ROW", "SUFFIXES",
    "LoadReport", "Problem", "dataset_meta", "find_table_file", "load_tables", "map_columns", "read_raw",
    "resolve_timezone", "write_parquet", "write_rejects", "write_tables",
]

log = logging.getLogger(__name__)

REJECT_REASON = "reject_reason"
SOURCE_ROW = "source_row"


@dataclass
class LoadReport:
    """What loading did: rows read and kept per table, rejects by reason."""

    data_dir: Path
    timezone: str
    files: dict[str, Path] = field(default_factory=dict)
    rows_read: dict[str, int] = field(default_factory=dict)
    rows_kept: dict[str, int] = field(default_factory=dict)
    rejected: dict[tuple[str, str], int] = field(default_factory=dict)

    def summary_frame(self) -> pd.DataFrame:
        rows = []
        for table, path in self.files.items():
            rej = sum(n for (t, _), n in self.rejected.items() if t == table)
            rows.append(
                {"table": table, "file": path.name, "rows_read": self.rows_read[table],
                 "rows_kept": self.rows_kept[table], "rows_rejected": rej}
            )
        return pd.DataFrame(rows)


def load_tables(data_dir: str | Path, config: DataConfig | None = None, *, tolerant: bool | None = None,
                keep: Mapping[str, Sequence[str]] | None = None) -> tuple[Tables, LoadReport]:
    """Load, parse and validate every canonical table in ``data_dir``.

    Parameters
    ----------
    data_dir : path
        Directory with ``orders`` and optional tables.
    config : DataConfig, optional
        Column mapping, encoding, timezone and status words.
    tolerant : bool, optional
        Overrides ``config.tolerant``: move row-level problems to ``Tables.rejects``.
    keep : mapping of table -> columns, optional
        Only these columns (and the table's required ones) are kept once a table is validated;
        every rule still runs on every column, so the rows kept and rejected are the same as
        without ``keep``. For a run that reads a few columns (``repurchase features``): the
        others are not held in memory. None keeps everything.

    Returns
    -------
    (Tables, LoadReport)

    Raises
    ------
    DataError
        On any fatal problem, and on row-level problems unless tolerant.
    """
    config = config or DataConfig()
    tolerant = config.tolerant if tolerant is None else tolerant
    data_dir = Path(data_dir)
    if not data_dir.exists():
        raise DataError(f"data directory {data_dir} does not exist.")
    if not data_dir.is_dir():
        raise DataError(f"data directory {data_dir} is a file, not a directory.")
    tz = resolve_timezone(data_dir, config.timezone)
    report = LoadReport(data_dir=data_dir, timezone=tz)
    typed, raws, problems = _read_typed(_table_files(data_dir), tz, config, report, keep)

    # Id formats first: a table keyed by other ids is fatal even when tolerant (its opt-outs would
    # be lost, not rejected). Then references row by row, against the keys that survive their own
    # table's checks.
    check_id_formats(typed, report.files)
    problems += _row_problems(typed, raws, problems)

    if problems and not tolerant:
        shown = "\n".join(pr.describe() for pr in problems[:5])
        more = f"\n(and {len(problems) - 5} more problems)" if len(problems) > 5 else ""
        raise DataError(
            f"{len(problems)} row-level problem(s) in {data_dir}:\n{shown}{more}\n"
            "Fix the data, or rerun with --tolerant to move these rows to rejects/ with a reason."
        )

    out, rejects = _split_rejects(typed, raws, problems, report)
    tables = Tables(timezone=tz, rejects=rejects, **out)
    del typed, raws, problems
    release_memory()
    return tables, report


def _table_files(data_dir: Path) -> dict[str, Path | None]:
    """Each canonical table's file in ``data_dir`` (``None`` when absent); ``orders`` must be there."""
    files = {t: find_table_file(data_dir, t) for t in TABLES}
    if files["orders"] is None:
        present = ", ".join(sorted(p.name for p in data_dir.iterdir())[:20]) or "nothing"
        raise DataError(
            f"required table 'orders' not found in {data_dir}: expected orders.parquet, orders.csv "
            f"or orders.csv.gz (the directory holds: {present})."
        )
    return files


def _read_typed(files: Mapping[str, Path | None], tz: str, config: DataConfig, report: LoadReport,
                keep: Mapping[str, Sequence[str]] | None = None) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame | RawRows], list[Problem]]:
    """Read, map and type every present table: the typed frames, the raw ones (for rejects and
    examples) and the problems of types and statuses, in table order."""
    typed: dict[str, pd.DataFrame] = {}
    raws: dict[str, pd.DataFrame | RawRows] = {}
    problems: list[Problem] = []
    for name, path in files.items():
        if path is None:
            continue
        mapping = config.columns.get(name, {})
        id_headers = [mapping.get(c.name, c.name) for c in TABLES[name].columns if c.kind == "id"]
        def read(path=path, name=name, mapping=mapping, id_headers=id_headers) -> pd.DataFrame:
            return map_columns(read_raw(path, name, config.encoding, id_headers), name, mapping, path).reset_index(drop=True)

        raw = read()
        t, p = type_columns(raw, name, tz, path, config)
        if name == "orders":
            t, ps = normalise_status(t, raw, config.status_values)
            p += ps
        report.files[name] = path
        report.rows_read[name] = len(raw)
        if keep is not None:  # the rules above saw every column; the row rules below need only these
            wanted = {*rule_columns(name), *keep.get(name, ())}
            t = t[[c for c in t.columns if c in wanted]]
        # a table whose values all parse keeps no raw copy: the later row checks read it again
        # for their examples and rejects only if they find something
        typed[name], raws[name] = t, (raw if p else RawRows(read))
        problems += p
        del raw
        release_memory()
    return typed, raws, problems


def _row_problems(typed: Mapping[str, pd.DataFrame], raws: Mapping[str, pd.DataFrame | RawRows],
                  problems: list[Problem]) -> list[Problem]:
    """The row rules of orders, then of every other table against the orders (and their
    customers) that survive the orders' own checks (``problems`` so far, and these)."""
    found = row_checks("orders", typed["orders"], raws["orders"], {})
    bad_orders = _union([pr.mask for pr in problems + found if pr.table == "orders"], typed["orders"].index)
    good = typed["orders"].loc[~bad_orders]
    known = {"orders": good["order_id"]}
    known["customers"] = unique([good["customer_id"]] + ([typed["customers"]["customer_id"]] if "customers" in typed else []))
    for name in typed:
        if name != "orders":
            found += row_checks(name, typed[name], raws[name], known)
    return found


def _split_rejects(typed: Mapping[str, pd.DataFrame], raws: Mapping[str, pd.DataFrame | RawRows], problems: list[Problem],
                   report: LoadReport) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Per table, the rows kept (validated against the contract) and the raw rows rejected, each
    with its first reason and its data row number; counts go to ``report``."""
    out: dict[str, pd.DataFrame] = {}
    rejects: dict[str, pd.DataFrame] = {}
    for name, frame in typed.items():
        mine = [pr for pr in problems if pr.table == name]
        bad = _union([pr.mask for pr in mine], frame.index)
        if bad.any():
            reasons = _first_reason(mine, frame.index)
            rej = raw_frame(raws[name]).loc[bad].assign(**{REJECT_REASON: reasons[bad], SOURCE_ROW: frame.index[bad] + 1})
            rejects[name] = rej
            for pr in mine:
                key = (name, f"{pr.column}: {pr.reason}")
                report.rejected[key] = report.rejected.get(key, 0) + pr.count
        kept = frame.loc[~bad].reset_index(drop=True) if bad.any() else frame  # no copy of a clean table
        if name == "orders" and kept.empty:
            raise DataError("table 'orders' has no valid rows left after rejecting row-level problems.")
        out[name] = validate_frame(kept, name)
        report.rows_kept[name] = len(kept)
    return out, rejects


def _union(masks: list[pd.Series], index: pd.Index) -> pd.Series:
    out = pd.Series(False, index=index)
    for m in masks:
        out |= m
    return out


def _first_reason(problems: list[Problem], index: pd.Index) -> pd.Series:
    """One reason per rejected row: the first rule it broke."""
    reason = pd.Series(pd.NA, index=index, dtype="str")
    for pr in problems:
        reason = reason.mask(reason.isna() & pr.mask, f"{pr.column}: {pr.reason}")
    return reason
