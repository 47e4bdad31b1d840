"""Reading a data directory as stored: its description, its table files, their headers.

Nothing here types a value: Parquet keeps its own types (bar the few pandas cannot hold as the
contract needs), CSV stays text, and :mod:`repurchase.data.validate` parses both. What is refused
here is what makes a file unreadable as a table: a table present twice, a duplicated header, a
truncated or undecodable file, a ``data.columns`` header the file lacks.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from repurchase.config import check_timezone
from repurchase.errors import DataError

SUFFIXES = (".parquet", ".csv", ".csv.gz")
DATASET_FILE = "dataset.yaml"


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
