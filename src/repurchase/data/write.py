"""Writing tables out: canonical tables as Parquet, one frame as Parquet, rejects as CSV.

Every write is atomic (:mod:`repurchase._io`): the previous output, or the new one, never half of
it. The Parquet bytes are reproducible for the same frames and library versions.
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import Iterable, Mapping

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from repurchase._io import atomic_dir, write_atomic, write_csv
from repurchase.data.read import DATASET_FILE


def write_rejects(rejects: Mapping[str, pd.DataFrame], out_dir: str | Path) -> dict[str, Path]:
    """Write ``rejects/<table>.csv`` (UTF-8 with BOM) as one atomic directory."""
    out_dir = Path(out_dir)
    if not rejects:
        return {}
    with atomic_dir(out_dir) as tmp:
        for name, frame in rejects.items():
            write_csv(frame, tmp / f"{name}.csv", index=False, encoding="utf-8-sig")
    return {name: out_dir / f"{name}.csv" for name in rejects}


def _arrow_table(frame: pd.DataFrame) -> pa.Table:
    with warnings.catch_warnings():
        # pyarrow reads Series.values of tz-aware columns, which pandas 3.1 deprecates.
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
        return pa.Table.from_pandas(frame, preserve_index=False)


#: rows per row group of a frame written as Parquet (pyarrow's default row-group size)
ROW_GROUP_ROWS = 1024 * 1024


def _write_parquet(frames: Iterable[pd.DataFrame], path: Path) -> None:
    # one row group converted at a time: a 12-date feature frame of 1M customers (3.3 GiB of
    # float32) is not copied whole into Arrow; the bytes are those of one write_table
    writer = None
    try:
        for frame in frames:
            for start in range(0, max(len(frame), 1), ROW_GROUP_ROWS):
                part = _arrow_table(frame.iloc[start:start + ROW_GROUP_ROWS])
                if writer is None:
                    writer = pq.ParquetWriter(path, part.schema, compression="zstd")
                elif len(part) == 0:
                    continue
                writer.write_table(part.cast(writer.schema), row_group_size=ROW_GROUP_ROWS)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise ValueError("no frame to write")


def write_parquet(frame: pd.DataFrame | Iterable[pd.DataFrame], path: str | Path) -> Path:
    """Write one frame as Parquet (zstd), atomically: the old file or the new one, never half.

    ``frame`` may also be an iterable of frames with the same columns (e.g. the batches of
    :func:`repurchase.features.batches.feature_batches`): they are written one after the other
    as one file, and the file appears only once the last is written.
    """
    frames = [frame] if isinstance(frame, pd.DataFrame) else frame
    return write_atomic(path, lambda tmp: _write_parquet(frames, tmp))


def write_tables(
    tables: Mapping[str, pd.DataFrame] | Iterable[tuple[str, pd.DataFrame]],
    out_dir: str | Path,
    *,
    meta: Mapping | None = None,
) -> dict[str, Path]:
    """Write canonical tables as Parquet (plus ``dataset.yaml``) into ``out_dir``, atomically.

    ``tables`` is a mapping or an iterable of ``(name, frame)`` pairs (written as they come, so
    a generator never holds every table at once). A name that comes again is appended to its
    file as further row groups (cast to the schema of its first part), so a table can be written
    in parts of bounded size. Output is byte-for-byte reproducible for the same frames and
    library versions; one part per table is the bytes of ``pyarrow.parquet.write_table``.
    """
    out_dir = Path(out_dir)
    pairs = tables.items() if isinstance(tables, Mapping) else tables
    writers: dict[str, pq.ParquetWriter] = {}
    with atomic_dir(out_dir) as tmp, contextlib.ExitStack() as files:
        for name, frame in pairs:
            table = _arrow_table(frame)
            del frame
            if name not in writers:
                writer = pq.ParquetWriter(tmp / f"{name}.parquet", table.schema, compression="zstd")
                writers[name] = files.enter_context(writer)
            elif not table.schema.equals(writers[name].schema, check_metadata=False):
                table = table.cast(writers[name].schema)  # e.g. a part whose column is all null
            writers[name].write_table(table)
            del table
        files.close()  # every footer written before the directory is swapped in
        if meta:
            (tmp / DATASET_FILE).write_text(yaml.safe_dump(dict(meta), sort_keys=False, allow_unicode=True), encoding="utf-8")
    return {name: out_dir / f"{name}.parquet" for name in writers}
