"""The query loader: check a directory of Parquet tables with DuckDB and keep them in their files.

:func:`load_query_tables` is the pandas loader (:func:`repurchase.data.io.load_tables`) for the
case where nothing needs parsing and nothing is wrong: every table a Parquet file with natively
typed canonical columns, and every rule of the pandas loader holding (types, required values,
keys, amounts, statuses, timestamp ranges, references, id formats). The rules run as aggregate
queries over the files, so no table is ever held in memory. Whenever a rule could fail, or a type
would need the pandas parsers, it returns ``None`` and the caller loads with pandas, which gives
the exact messages, rejects and tolerant behaviour; it is never more lenient than pandas.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from repurchase.config import DataConfig
from repurchase.data.ids import MISMATCH_SHARE
from repurchase.data.query_rules import (
    MAX_EXACT, TS_MAX_US, TS_MIN_US, Fallback, SourceColumn, check_type, in_gaps, quote, status_mapped, typed_expr,
    zone_steps,
)
from repurchase.data.parse import _localize
from repurchase.engine.tables import QueryFrame, QueryTables, sql_string
from repurchase.data.read import _refuse_duplicate_headers, find_table_file, resolve_timezone
from repurchase.data.validate import MAX_AMOUNT
from repurchase.errors import ConfigError, DataError
from repurchase.schema import ORDER_STATUSES, TABLES

__all__ = ["load_query_tables"]

log = logging.getLogger(__name__)

#: a column with more distinct wall times that do not exist in the zone is left to pandas
MAX_GAP_TIMES = 1000


def load_query_tables(data_dir: str | Path, config: DataConfig | None = None, *, tolerant: bool | None = None,
                      con: duckdb.DuckDBPyConnection | None = None) -> QueryTables | None:
    """Validate the Parquet tables of ``data_dir`` with queries, or say that pandas must load them.

    Parameters
    ----------
    data_dir : path
        Directory with ``orders`` and optional tables, as for ``load_tables``.
    config : DataConfig, optional
        Column mapping, timezone and status words (as for ``load_tables``).
    tolerant : bool, optional
        Accepted for the signature of ``load_tables`` and without effect: a table with any
        row-level problem is left to the pandas loader, which rejects rows (tolerant) or raises.
    con : duckdb connection, optional
        Where the checks run; default a new in-memory one.

    Returns
    -------
    QueryTables or None
        The validated tables, each a typed SELECT over its file; ``None`` when the query path
        does not apply (a CSV table, a column whose type needs parsing, or any problem the
        pandas loader would raise or reject): then ``load_tables`` must load the directory.
    """
    del tolerant  # any problem at all falls back, tolerant or not
    config = config or DataConfig()
    if con is None:
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")  # a library call prints nothing
    try:
        return _load(Path(data_dir), config, con)
    except Fallback as exc:
        reason = str(exc)
    except (DataError, ConfigError, duckdb.Error, pa.ArrowException, OSError, ValueError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
    log.debug("data in %s is loaded with pandas: %s", data_dir, reason)
    return None


def _load(data_dir: Path, config: DataConfig, con) -> QueryTables:
    if not data_dir.is_dir():
        raise Fallback("not a directory")
    tz = resolve_timezone(data_dir, config.timezone)
    files = {t: find_table_file(data_dir, t) for t in TABLES}
    files = {t: p for t, p in files.items() if p is not None}
    if "orders" not in files:
        raise Fallback("no orders table")
    text = [p.name for p in files.values() if not p.name.endswith(".parquet")]
    if text:
        raise Fallback(f"{', '.join(text)} must be parsed")
    frames = {name: _frame(con, name, path, tz, config) for name, path in files.items()}
    _check_references(con, frames)
    _check_id_formats(con, frames)
    return QueryTables(timezone=tz, **frames)


def _source_columns(name: str, path: Path, mapping: dict[str, str]) -> list[SourceColumn]:
    """The canonical columns of ``path`` after ``data.columns`` (as ``read.map_columns`` maps)."""
    schema = pq.read_schema(path)
    headers = list(schema.names)
    _refuse_duplicate_headers(headers, name, path)
    if len({h.lower() for h in headers}) < len(headers):
        raise Fallback(f"{path.name}: headers differ only in case (one name in SQL)")
    if "file_row_number" in {h.lower() for h in headers}:
        raise Fallback(f"{path.name}: a header is DuckDB's file_row_number")
    if any(h not in headers for h in mapping.values()):
        raise Fallback(f"{path.name}: a data.columns header is not in the file")
    clash = {c for c in mapping if c in headers and mapping[c] != c}  # dropped for the mapped one
    rename = {h: c for c, h in mapping.items()}
    named = [(rename.get(h, h), h) for h in headers if h not in clash]
    if len({c for c, _ in named}) < len(named):
        raise Fallback(f"{path.name}: data.columns gives two columns one name")
    spec = TABLES[name]
    missing = set(spec.required) - {c for c, _ in named}
    if missing:
        raise Fallback(f"{path.name}: required column(s) {sorted(missing)} missing")
    cols = [SourceColumn(c, h, schema.field(h).type, spec.kinds[c]) for c, h in named if c in spec.kinds]
    for col in cols:
        check_type(col)
    return cols


def _one_row(con, items: dict[str, str], source: str) -> dict:
    if not items:
        return {}
    sql = ", ".join(f"{expr} AS {quote(key)}" for key, expr in items.items())
    row = con.execute(f"SELECT {sql} FROM {source}").fetchall()[0]
    return dict(zip(items, row))


def _count(cond: str) -> str:
    return f"count(*) FILTER (WHERE {cond})"


def _frame(con, name: str, path: Path, tz: str, config: DataConfig) -> QueryFrame:
    """One table checked on its own and typed; a problem raises :class:`Fallback`."""
    cols = _source_columns(name, path, config.columns.get(name, {}))
    n_rows = pq.read_metadata(path).num_rows
    if name == "orders" and n_rows == 0:
        raise Fallback("orders has no rows")
    source = f"read_parquet({sql_string(path)})"
    # the stored values first: the timestamp range (pandas holds nanoseconds), and what the
    # typing needs to be exact (whole microseconds, decimals Arrow converts exactly)
    raw: dict[str, str] = {}
    for c in cols:
        if c.kind == "ts":
            us = f"epoch_us(CAST({c.ref} AS {'TIMESTAMP' if c.naive_ts else 'TIMESTAMPTZ'}))"
            raw[f"{c.canonical} min"], raw[f"{c.canonical} max"] = f"min({us})", f"max({us})"
            if c.nanos:
                raw[f"{c.canonical} has nanoseconds"] = _count(f"epoch_ns({c.ref}) % 1000 <> 0")
        if c.kind == "bool":  # Arrow hands pandas True/None objects, which parse._parse_bool cannot read
            raw[f"{c.canonical} has nulls"] = _count(f"{c.ref} IS NULL")
        if c.decimal and c.type.precision - c.type.scale > 15:
            raw[f"{c.canonical} beyond 2**53"] = _count(f"abs({c.ref}) > {MAX_EXACT}")
    stats = _one_row(con, raw, source)
    for key, value in stats.items():
        bad = (value is not None and not TS_MIN_US <= value <= TS_MAX_US) if key.endswith(("min", "max")) else bool(value)
        if bad:
            raise Fallback(f"{name}.{key}: {value}")
    exprs: dict[str, str] = {}
    for c in cols:
        lo, hi = stats.get(f"{c.canonical} min"), stats.get(f"{c.canonical} max")
        steps = zone_steps(tz, lo, hi) if c.naive_ts and lo is not None else None
        exprs[c.canonical] = typed_expr(c, steps, _gap_times(con, c, source, steps, tz) if steps else None)
    rules = _table_rules(name, exprs, tz, config)
    typed = f"(SELECT {', '.join(f'{e} AS {quote(c)}' for c, e in exprs.items())} FROM {source})"
    found = _one_row(con, rules, typed)  # status there is trimmed only: the rules map it
    broken = [rule for rule, n in found.items() if n]
    if broken:
        raise Fallback(f"{name}: {', '.join(broken)}")
    if name == "orders" and "status" in exprs:
        exprs["status"] = f"lower({status_mapped(exprs['status'], config.status_values)})"
    return QueryFrame(name=name, path=path, exprs=exprs, n_rows=n_rows)


def _gap_times(con, col: SourceColumn, source: str, steps: tuple, tz: str) -> dict[int, int]:
    """The wall times of ``col`` in a spring-forward gap, localised by pandas (wall -> UTC epoch
    microseconds): few in any real table, and how pandas shifts them is its own rule."""
    wall = f"CAST({col.ref} AS TIMESTAMP)"
    cond = in_gaps(wall, steps)
    if cond is None:
        return {}
    rows = con.execute(f"SELECT DISTINCT epoch_us({wall}) FROM {source} WHERE {cond} LIMIT {MAX_GAP_TIMES + 1}").fetchall()
    if len(rows) > MAX_GAP_TIMES:
        raise Fallback(f"{col.header}: more than {MAX_GAP_TIMES} times that do not exist in {tz}")
    walls = [w for (w,) in rows]
    utc = _localize(pd.Series(pd.to_datetime(walls, unit="us")).astype("datetime64[ns]"), tz)
    return dict(zip(walls, (int(ns) // 1000 for ns in utc.array.asi8)))


def _table_rules(name: str, exprs: dict[str, str], tz: str, config: DataConfig) -> dict[str, str]:
    """Aggregates over the typed columns (named by their canonical names) that count the rows
    breaking each rule of ``validate.type_columns``, ``normalise_status`` and ``row_checks``."""
    spec = TABLES[name]
    rules = {f"{c} missing": _count(f"{quote(c)} IS NULL") for c in spec.required}
    for key in spec.key:
        rules[f"{key} repeated"] = f"count({quote(key)}) - count(DISTINCT {quote(key)})"
    if name == "orders":
        status = None
        if "status" in exprs:
            mapped = status_mapped('"status"', config.status_values)
            words = ", ".join(sql_string(s) for s in ORDER_STATUSES)
            # ASCII words only: there SQL and Python lower-case alike
            rules["status unknown"] = _count(f"{mapped} IS NOT NULL AND NOT (lower({mapped}) IN ({words}) "
                                             f"AND regexp_full_match({mapped}, '[A-Za-z]+'))")
            status = f"lower({mapped})"
        negative = '"amount" < 0' + (f" AND coalesce({status} <> 'refunded', true)" if status else "")
        rules["negative amount"] = _count(negative)
        rules["absurd amount"] = _count(f'NOT isfinite("amount") OR "amount" > {MAX_AMOUNT!r}')
        if "discount_amount" in exprs:
            rules["negative discount"] = _count('"discount_amount" < 0')
    early = pd.Timestamp("1990-01-01", tz=tz).value // 1000
    # pandas' own "now" comes later (it loads after this): never more lenient than it
    future = (pd.Timestamp.now(tz=tz) + pd.Timedelta(days=1)).value // 1000
    for c, kind in spec.kinds.items():
        if kind == "ts" and c in exprs:
            rules[f"{c} before 1990"] = _count(f"epoch_us({quote(c)}) < {early}")
            if c != "expires_ts":
                rules[f"{c} in the future"] = _count(f"epoch_us({quote(c)}) > {future}")
    return rules


def _check_references(con, frames: dict[str, QueryFrame]) -> None:
    """Rows pointing at unknown orders or customers (every order is good once here)."""
    orders = frames["orders"]
    customers = [orders.select(["customer_id"])]
    if "customers" in frames:
        customers.append(frames["customers"].select(["customer_id"]))
    known = {"order_items": [orders.select(["order_id"])], "events": customers, "contacts": customers}
    col = {"order_items": "order_id", "events": "customer_id", "contacts": "customer_id"}
    for name, parents in known.items():
        if name not in frames:
            continue
        parent = " UNION ALL ".join(f"SELECT * FROM ({p})" for p in parents)
        # an anti join on the distinct parents: NOT IN (subquery) is a slow mark join (40 s at 1M)
        sql = (f"WITH p AS (SELECT DISTINCT v FROM ({parent}) p(v) WHERE v IS NOT NULL) "
               f"SELECT count(*) FROM (SELECT v FROM ({frames[name].select([col[name]])}) t(v) WHERE v IS NOT NULL) c "
               "ANTI JOIN p USING (v)")
        if con.execute(sql).fetchall()[0][0]:
            raise Fallback(f"{name}.{col[name]} points at unknown rows")


def _check_id_formats(con, frames: dict[str, QueryFrame]) -> None:
    """``ids.check_id_formats`` for the tables that may hold ids nobody refers to (customers,
    products); the others were refused above at their first unknown id already."""
    pairs = [("customers", "customer_id", "orders", "customer_id")]
    if "order_items" in frames:
        pairs.append(("products", "sku", "order_items", "sku"))
    for table, col, parent, parent_col in pairs:
        if table in frames and _mismatch(con, frames[table].select([col]), frames[parent].select([parent_col])):
            raise Fallback(f"{table}.{col} ids do not match {parent}' ids (ids.py refuses them)")


def _mismatch(con, ids_sql: str, parent_sql: str) -> bool:
    """Whether ``ids._refuse_mismatch`` (both ways) raises for these ids, counted by DuckDB."""
    zeros = "CASE WHEN ltrim(v, '0') = '' THEN '0' ELSE ltrim(v, '0') END"
    digits = "regexp_full_match(v, '[0-9]+')"
    n_ids, n_parent, n_unmatched, n_hit, covered = con.execute(f"""
        WITH ids AS (SELECT DISTINCT v FROM ({ids_sql}) t(v) WHERE v IS NOT NULL),
             parent AS (SELECT DISTINCT v FROM ({parent_sql}) t(v) WHERE v IS NOT NULL),
             unmatched AS (SELECT v FROM ids ANTI JOIN parent USING (v)),
             parent_keys AS (SELECT DISTINCT {zeros} AS k FROM parent WHERE {digits})
        SELECT (SELECT count(*) FROM ids), (SELECT count(*) FROM parent), (SELECT count(*) FROM unmatched),
               (SELECT count(*) FROM (SELECT {zeros} AS k FROM unmatched WHERE {digits}) u SEMI JOIN parent_keys USING (k)),
               (SELECT count(*) FROM parent SEMI JOIN ids USING (v))
    """).fetchall()[0]
    if not n_ids or not n_parent or not n_unmatched:
        return False
    if n_hit and n_hit >= MISMATCH_SHARE * n_unmatched:
        return True  # the ids match once leading zeros are dropped
    if n_unmatched <= MISMATCH_SHARE * n_ids:
        return False
    return covered <= MISMATCH_SHARE * n_parent
