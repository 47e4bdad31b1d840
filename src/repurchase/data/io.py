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
"""

from __future__ import annotations

import gzip
import logging
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from repurchase._arrow import isin, release_memory, unique
from repurchase._io import atomic_dir, write_atomic, write_csv
from repurchase.config import DataConfig, check_timezone
from repurchase.data.parse import ColumnError, parse_column
from repurchase.errors import DataError
from repurchase.schema import ORDER_STATUSES, TABLES, Tables, examples, validate_frame

log = logging.getLogger(__name__)

SUFFIXES = (".parquet", ".csv", ".csv.gz")
DATASET_FILE = "dataset.yaml"
REJECT_REASON = "reject_reason"
SOURCE_ROW = "source_row"


@dataclass
class Problem:
    """Rows of one table that break one rule."""

    table: str
    column: str
    reason: str
    mask: pd.Series
    frame: pd.DataFrame  # the raw rows, for examples and rejects

    @property
    def count(self) -> int:
        return int(self.mask.sum())

    def describe(self) -> str:
        return (
            f"table '{self.table}', column '{self.column}': {self.count:,} of {len(self.mask):,} "
            f"rows {self.reason}; e.g.\n{examples(self.frame, self.mask)}"
        )


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


def dataset_meta(data_dir: Path) -> dict:
    """The data directory's own description (``dataset.yaml``), or ``{}``."""
    path = Path(data_dir) / DATASET_FILE
    if not path.is_file():
        return {}
    try:
        meta = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path} cannot be read as YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise DataError(f"{path} must hold a mapping, e.g. 'timezone: Asia/Shanghai'")
    return meta


def resolve_timezone(data_dir: Path, configured: str | None) -> str:
    """Business timezone: the config's, else the data directory's ``dataset.yaml``, else UTC."""
    if configured:
        return check_timezone(configured)
    tz = dataset_meta(data_dir).get("timezone")
    return check_timezone(str(tz)) if tz else "UTC"


def find_table_file(data_dir: Path, table: str) -> Path | None:
    found = [data_dir / f"{table}{s}" for s in SUFFIXES if (data_dir / f"{table}{s}").is_file()]
    if len(found) > 1:
        raise DataError(
            f"table '{table}' is present more than once in {data_dir}: "
            f"{', '.join(p.name for p in found)}; keep one."
        )
    return found[0] if found else None


def _refuse_duplicate_headers(headers: list, table: str, path: Path) -> None:
    seen, dup = set(), []
    for h in headers:
        if h is None or (isinstance(h, float) and np.isnan(h)) or str(h).strip() == "":
            continue  # trailing empty cells of a spreadsheet export become harmless 'Unnamed: n' columns
        if h in seen and h not in dup:
            dup.append(h)
        seen.add(h)
    if dup:
        raise DataError(
            f"table '{table}' ({path}) has the header {', '.join(repr(str(h)) for h in dup)} more than once; "
            "which column is meant cannot be told. Rename or drop the copies and export again."
        )


def _read_parquet(path: Path, table: str, id_headers: Iterable[str]) -> pd.DataFrame:
    """Parquet with its types, except the ones pandas cannot hold as the contract needs: integer
    ids become their decimal text (exactly, never through float64), decimals become floats and
    dates become timestamps (warehouse exports use both)."""
    _refuse_duplicate_headers(pq.read_schema(path).names, table, path)
    data = pq.read_table(path)
    ids = set(id_headers)
    columns = []
    for name, col in zip(data.column_names, data.columns):
        kind = col.type
        if name in ids and (pa.types.is_integer(kind) or (pa.types.is_decimal(kind) and kind.scale == 0)):
            col = pc.cast(col, pa.string())
        elif pa.types.is_decimal(kind):
            col = pc.cast(col, pa.float64())
        elif pa.types.is_date(kind):
            col = pc.cast(col, pa.timestamp("s"))
        columns.append(col)
    data = pa.Table.from_arrays(columns, names=data.column_names)
    # self_destruct frees each Arrow column as it is converted: lower peak memory
    return data.to_pandas(self_destruct=True, split_blocks=True)


def read_raw(path: Path, table: str, encoding: str = "utf-8", id_headers: Iterable[str] = ()) -> pd.DataFrame:
    """Read one table file as stored: Parquet with its types (``id_headers`` as text), CSV as
    text (types come later)."""
    try:
        if path.name.endswith(".parquet"):
            return _read_parquet(path, table, id_headers)
        enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
        # pandas renames a repeated header to 'amount.1' silently: read the header row as it is
        header = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False, encoding=enc)
        _refuse_duplicate_headers(header.iloc[0].tolist() if len(header) else [], table, path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding=enc)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        # a truncated .gz ends in EOFError, which click would report as "Interrupted."
        raise DataError(
            f"table '{table}': {path} is truncated or corrupt ({type(exc).__name__}: {exc or 'unexpected end of data'}); "
            "copy or export the file again."
        ) from exc
    except UnicodeDecodeError as exc:
        raise DataError(
            f"table '{table}' ({path.name}) is not valid {encoding} text (byte {exc.start}: "
            f"{exc.reason}). Set data.encoding (e.g. gbk for many Chinese exports)."
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"table '{table}' ({path.name}) is empty: no header row.") from exc
    except (pd.errors.ParserError, pa.ArrowException, OSError, ValueError) as exc:
        raise DataError(f"table '{table}' ({path.name}) cannot be read: {exc}") from exc


def map_columns(frame: pd.DataFrame, table: str, mapping: Mapping[str, str], path: Path) -> pd.DataFrame:
    """Rename the user's headers onto canonical names (``mapping`` is canonical -> header)."""
    if not mapping:
        return frame
    absent = {c: h for c, h in mapping.items() if h not in frame.columns}
    if absent:
        have = ", ".join(map(str, frame.columns[:20]))
        pairs = ", ".join(f"{c} <- '{h}'" for c, h in absent.items())
        raise DataError(
            f"table '{table}' ({path.name}): data.columns maps {pairs}, but the file has no such "
            f"header (headers: {have})."
        )
    clash = [c for c in mapping if c in frame.columns and mapping[c] != c]
    renamed = frame.drop(columns=clash).rename(columns={h: c for c, h in mapping.items()})
    return renamed


def _typed(frame: pd.DataFrame, table: str, tz: str, path: Path,
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


#: an order above this is a data error (a unit mix-up or a stray id in the amount column)
MAX_AMOUNT = 1e9

_KIND_WORD = {"id": "text", "str": "text", "float": "a number", "int": "a whole number",
              "bool": "true/false", "ts": "a timestamp"}


def _excel_hint(raw: pd.Series, bad: pd.Series) -> str:
    """Numbers like 45123.5 in a timestamp column are Excel serial dates."""
    num = pd.to_numeric(raw[bad].astype("str").str.strip(), errors="coerce")
    if len(num) and num.between(20_000, 80_000).mean() > 0.5:
        return (" (they look like Excel serial dates, e.g. 45123.5 = 2023-07-16 12:00: "
                "format the column as text 'YYYY-MM-DD HH:MM' before exporting)")
    return ""


def _normalise_status(typed: pd.DataFrame, raw: pd.DataFrame, status_values: Mapping[str, str]) -> tuple[pd.DataFrame, list[Problem]]:
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


def _row_checks(name: str, typed: pd.DataFrame, raw: pd.DataFrame, known: dict) -> list[Problem]:
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


def load_tables(data_dir: str | Path, config: DataConfig | None = None, *, tolerant: bool | None = None) -> tuple[Tables, LoadReport]:
    """Load, parse and validate every canonical table in ``data_dir``.

    Parameters
    ----------
    data_dir : path
        Directory with ``orders`` and optional tables.
    config : DataConfig, optional
        Column mapping, encoding, timezone and status words.
    tolerant : bool, optional
        Overrides ``config.tolerant``: move row-level problems to ``Tables.rejects``.

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

    files = {t: find_table_file(data_dir, t) for t in TABLES}
    if files["orders"] is None:
        present = ", ".join(sorted(p.name for p in data_dir.iterdir())[:20]) or "nothing"
        raise DataError(
            f"required table 'orders' not found in {data_dir}: expected orders.parquet, orders.csv "
            f"or orders.csv.gz (the directory holds: {present})."
        )

    typed: dict[str, pd.DataFrame] = {}
    raws: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for name, path in files.items():
        if path is None:
            continue
        mapping = config.columns.get(name, {})
        id_headers = [mapping.get(c.name, c.name) for c in TABLES[name].columns if c.kind == "id"]
        raw = read_raw(path, name, config.encoding, id_headers)
        raw = map_columns(raw, name, mapping, path)
        raw = raw.reset_index(drop=True)
        t, p = _typed(raw, name, tz, path, config)
        if name == "orders":
            t, ps = _normalise_status(t, raw, config.status_values)
            p += ps
        typed[name], raws[name] = t, raw
        problems += p
        release_memory()
        report.files[name] = path
        report.rows_read[name] = len(raw)

    # Id formats first: a table keyed by other ids is fatal even when tolerant (its opt-outs would
    # be lost, not rejected). Then references row by row, against the keys that survive their own
    # table's checks.
    _check_id_formats(typed, report.files)
    problems += _row_checks("orders", typed["orders"], raws["orders"], {})
    bad_orders = _union([pr.mask for pr in problems if pr.table == "orders"], typed["orders"].index)
    good = typed["orders"].loc[~bad_orders]
    known = {"orders": good["order_id"]}
    known["customers"] = unique([good["customer_id"]] + ([typed["customers"]["customer_id"]] if "customers" in typed else []))
    for name in typed:
        if name != "orders":
            problems += _row_checks(name, typed[name], raws[name], known)

    if problems and not tolerant:
        shown = "\n".join(pr.describe() for pr in problems[:5])
        more = f"\n(and {len(problems) - 5} more problems)" if len(problems) > 5 else ""
        raise DataError(
            f"{len(problems)} row-level problem(s) in {data_dir}:\n{shown}{more}\n"
            "Fix the data, or rerun with --tolerant to move these rows to rejects/ with a reason."
        )

    out: dict[str, pd.DataFrame] = {}
    rejects: dict[str, pd.DataFrame] = {}
    for name, frame in typed.items():
        mine = [pr for pr in problems if pr.table == name]
        bad = _union([pr.mask for pr in mine], frame.index)
        if bad.any():
            reasons = _first_reason(mine, frame.index)
            rej = raws[name].loc[bad].assign(**{REJECT_REASON: reasons[bad], SOURCE_ROW: frame.index[bad] + 1})
            rejects[name] = rej
            for pr in mine:
                key = (name, f"{pr.column}: {pr.reason}")
                report.rejected[key] = report.rejected.get(key, 0) + pr.count
        kept = frame.loc[~bad].reset_index(drop=True)
        if name == "orders" and kept.empty:
            raise DataError("table 'orders' has no valid rows left after rejecting row-level problems.")
        out[name] = validate_frame(kept, name)
        report.rows_kept[name] = len(kept)

    tables = Tables(timezone=tz, rejects=rejects, **out)
    del typed, raws, problems
    release_memory()
    return tables, report


#: a table whose distinct ids mostly (more than this share) match none of the table it refers to
#: uses another id format; so does one whose unmatched ids mostly match once leading zeros go
MISMATCH_SHARE = 0.5


def _check_id_formats(typed: Mapping[str, pd.DataFrame], files: Mapping[str, Path]) -> None:
    """Refuse tables whose ids do not meet the ids they refer to (see :func:`_refuse_mismatch`)."""
    o = typed["orders"]
    # (table, column, the ids it refers to, where they come from, how unmatched ids are described, both ways)
    checks = []
    if "customers" in typed:
        checks.append(("customers", "customer_id", unique([o["customer_id"]]), "orders",
                       "match no customer_id in 'orders'", True))
    known = unique([o["customer_id"]] + ([typed["customers"]["customer_id"]] if "customers" in typed else []))
    for name in ("events", "contacts"):
        if name in typed:
            checks.append((name, "customer_id", known, "orders", "are in neither customers nor orders", False))
    if "order_items" in typed:
        checks.append(("order_items", "order_id", unique([o["order_id"]]), "orders", "are not in orders", False))
        if "products" in typed:
            checks.append(("products", "sku", unique([typed["order_items"]["sku"]]), "order_items",
                           "match no sku in 'order_items'", True))
    for table, col, parent_ids, parent, phrase, both_ways in checks:
        _refuse_mismatch(table, col, typed[table][col], parent_ids, parent, phrase, files[table], both_ways)


def _strip_zeros(ids: pa.Array) -> pa.Array:
    trimmed = pc.utf8_ltrim(ids, characters="0")
    return pc.if_else(pc.equal(trimmed, ""), "0", trimmed)


def _refuse_mismatch(table: str, col: str, values: pd.Series, parent_ids: pa.Array, parent: str, phrase: str,
                     path: Path, both_ways: bool) -> None:
    """Raise when ``table``'s ``col`` ids match ``parent_ids`` only once leading zeros are dropped,
    or mostly match none of them (``both_ways``: and most of the parent's are missing here too,
    since a customers or products table may well hold ids nobody ordered).

    A few unmatched ids are row-level problems (or legitimate members who never bought); this is
    the whole-table check that catches two exports with different id formats.
    """
    ids = unique([values])
    if not len(ids) or not len(parent_ids):
        return
    found = pc.is_in(ids, value_set=parent_ids)
    unmatched = ids.filter(pc.invert(found))
    n_ids, n_unmatched = len(ids), len(unmatched)
    if not n_unmatched:
        return
    where = f"table '{table}' ({path.name}), column '{col}'"
    # leading zeros: digit ids equal once the zeros are dropped ('749' vs '00749')
    digits = unmatched.filter(pc.match_substring_regex(unmatched, r"^\d+$"))
    parent_digits = parent_ids.filter(pc.match_substring_regex(parent_ids, r"^\d+$"))
    if len(digits) and len(parent_digits):
        keys, parent_keys = _strip_zeros(digits), _strip_zeros(parent_digits)
        hit = pc.is_in(keys, value_set=parent_keys)
        n_hit = int(pc.sum(hit).as_py() or 0)
        if n_hit and n_hit >= MISMATCH_SHARE * n_unmatched:
            shown = digits.filter(hit)[:3]
            pos = pc.index_in(_strip_zeros(shown), value_set=parent_keys).to_pylist()
            pairs = ", ".join(f"{table} {a!r} ~ {parent} {parent_digits[p].as_py()!r}" for a, p in zip(shown.to_pylist(), pos))
            raise DataError(
                f"{where}: {n_hit:,} of {n_ids:,} distinct ids {phrase}, but would if leading zeros were ignored "
                f"(e.g. {pairs}). One export lost the leading zeros (an integer column or a spreadsheet); ids are "
                "compared as text and never guessed: export them as text in both tables."
            )
    if n_unmatched <= MISMATCH_SHARE * n_ids:
        return
    shown = ", ".join(repr(v) for v in unmatched[:3].to_pylist())
    detail = ""
    if both_ways:
        covered = int(pc.sum(pc.is_in(parent_ids, value_set=ids)).as_py() or 0)
        if covered > MISMATCH_SHARE * len(parent_ids):
            return
        missing = parent_ids.filter(pc.invert(pc.is_in(parent_ids, value_set=ids)))
        detail = (f", and only {covered:,} of the {len(parent_ids):,} {col} values of '{parent}' are in '{table}' "
                  f"(e.g. not there: {', '.join(repr(v) for v in missing[:3].to_pylist())})")
    raise DataError(
        f"{where}: {n_unmatched:,} of {n_ids:,} distinct ids {phrase} (e.g. {shown}){detail}. The tables seem to "
        f"use different ids (another export, or another id field): map the right column with data.columns."
    )


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


def write_rejects(rejects: Mapping[str, pd.DataFrame], out_dir: str | Path) -> dict[str, Path]:
    """Write ``rejects/<table>.csv`` (UTF-8 with BOM) as one atomic directory."""
    out_dir = Path(out_dir)
    if not rejects:
        return {}
    with atomic_dir(out_dir) as tmp:
        for name, frame in rejects.items():
            write_csv(frame, tmp / f"{name}.csv", index=False, encoding="utf-8-sig")
    return {name: out_dir / f"{name}.csv" for name in rejects}


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    with warnings.catch_warnings():
        # pyarrow reads Series.values of tz-aware columns, which pandas 3.1 deprecates.
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
        table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, compression="zstd")


def write_parquet(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write one frame as Parquet (zstd), atomically: the old file or the new one, never half."""
    return write_atomic(path, lambda tmp: _write_parquet(frame, tmp))


def write_tables(
    tables: Mapping[str, pd.DataFrame] | Iterable[tuple[str, pd.DataFrame]],
    out_dir: str | Path,
    *,
    meta: Mapping | None = None,
) -> dict[str, Path]:
    """Write canonical tables as Parquet (plus ``dataset.yaml``) into ``out_dir``, atomically.

    ``tables`` is a mapping or an iterable of ``(name, frame)`` pairs (written as they come, so
    a generator never holds every table at once). Output is byte-for-byte reproducible for the
    same frames and library versions.
    """
    out_dir = Path(out_dir)
    pairs = tables.items() if isinstance(tables, Mapping) else tables
    written: list[str] = []
    with atomic_dir(out_dir) as tmp:
        for name, frame in pairs:
            written.append(name)
            _write_parquet(frame, tmp / f"{name}.parquet")
            del frame
        if meta:
            (tmp / DATASET_FILE).write_text(yaml.safe_dump(dict(meta), sort_keys=False, allow_unicode=True), encoding="utf-8")
    return {name: out_dir / f"{name}.parquet" for name in written}
