"""The data plane on a query engine: feature definitions as Ibis expressions.

DuckDB runs them in-process by default; the same expressions run on Apache Spark
(``engine.backend: spark``). See :class:`repurchase.engine.session.Session`.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import ibis

from repurchase.engine.session import Session
from repurchase.engine.tables import sql_string

__all__ = ["Session", "connect", "sweep_stale_spill_dirs"]


def connect(backend: str = "duckdb", *, threads: int | None = None, memory_limit: str | None = None,
            spark_master: str = "local[2]"):
    """A connected Ibis backend: DuckDB in-process, or Spark at ``spark_master``."""
    if backend == "duckdb":
        con = ibis.duckdb.connect()
        # zoned timestamps are cast to UTC instants: never to the machine's own timezone
        con.raw_sql("SET TimeZone = 'UTC'")
        # what DuckDB spills past its memory limit goes to a private directory, removed at exit
        # (its default is ./.tmp in the user's working directory)
        con.raw_sql(f"SET temp_directory = {sql_string(_spill_dir())}")
        if threads is not None:
            con.raw_sql(f"SET threads = {int(threads)}")
        con.raw_sql(f"SET memory_limit = '{memory_limit or default_memory_limit()}'")
        return con
    if backend == "spark":
        from repurchase.engine.spark import ibis_spark, spark_session

        return ibis_spark(spark_session(spark_master))
    raise ValueError(f"unknown engine backend {backend!r} (use duckdb or spark)")


_SPILL_PREFIX = "repurchase-duckdb-"


def default_memory_limit() -> str:
    """Half of this machine's memory (DuckDB's own default, 80%, leaves too little beside it for
    the feature matrix the run builds in Python: at 10M customers one date is 3 GB of float32)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{max(total // 2 // 2**20, 256)}MiB"


def _spill_dir() -> str:
    """This process's DuckDB spill directory (created once, removed at exit).

    A killed run (SIGKILL, out of memory) never reaches its exit handler and would leave its
    spill files behind, up to the size of the data: the first connection of a later run removes
    the directories of this user's processes that no longer exist.
    """
    global _SPILL
    if _SPILL is None:
        sweep_stale_spill_dirs(Path(tempfile.gettempdir()))
        _SPILL = tempfile.mkdtemp(prefix=f"{_SPILL_PREFIX}{os.getpid()}-")
        atexit.register(shutil.rmtree, _SPILL, ignore_errors=True)
    return _SPILL


def sweep_stale_spill_dirs(parent: Path) -> list[Path]:
    """Remove this user's spill directories under ``parent`` whose process has ended.

    Returns the directories removed. A directory of a live process, of another user, or with a
    name this module did not write is left alone.
    """
    removed = []
    for d in parent.glob(f"{_SPILL_PREFIX}*-*"):
        pid = d.name[len(_SPILL_PREFIX):].split("-", 1)[0]
        try:
            if not pid.isdigit() or d.stat().st_uid != os.getuid() or _alive(int(pid)):
                continue
        except OSError:
            continue
        shutil.rmtree(d, ignore_errors=True)
        removed.append(d)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, another user's
    return True


_SPILL: str | None = None
