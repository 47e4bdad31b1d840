"""The data plane on a query engine: feature definitions as Ibis expressions.

DuckDB runs them in-process by default; the same expressions run on Apache Spark
(``engine.backend: spark``). See :class:`repurchase.engine.session.Session`.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import ibis

from repurchase.engine.session import Session
from repurchase.engine.tables import sql_string

__all__ = ["Session", "connect"]


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
        if memory_limit is not None:
            con.raw_sql(f"SET memory_limit = '{memory_limit}'")
        return con
    if backend == "spark":
        from repurchase.engine.spark import ibis_spark, spark_session

        return ibis_spark(spark_session(spark_master))
    raise ValueError(f"unknown engine backend {backend!r} (use duckdb or spark)")


def _spill_dir() -> str:
    """This process's DuckDB spill directory (created once, removed at exit)."""
    global _SPILL
    if _SPILL is None:
        _SPILL = tempfile.mkdtemp(prefix=f"repurchase-duckdb-{os.getpid()}-")
        atexit.register(shutil.rmtree, _SPILL, ignore_errors=True)
    return _SPILL


_SPILL: str | None = None
