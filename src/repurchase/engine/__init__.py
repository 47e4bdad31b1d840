"""The data plane on a query engine: feature definitions as Ibis expressions.

DuckDB runs them in-process by default; the same expressions run on Apache Spark
(``engine.backend: spark``). See :class:`repurchase.engine.session.Session`.
"""

from __future__ import annotations

import ibis

from repurchase.engine.session import Session

__all__ = ["Session", "connect"]


def connect(backend: str = "duckdb", *, threads: int | None = None, memory_limit: str | None = None,
            spark_master: str = "local[2]"):
    """A connected Ibis backend: DuckDB in-process, or Spark at ``spark_master``."""
    if backend == "duckdb":
        con = ibis.duckdb.connect()
        # zoned timestamps are cast to UTC instants: never to the machine's own timezone
        con.raw_sql("SET TimeZone = 'UTC'")
        if threads is not None:
            con.raw_sql(f"SET threads = {int(threads)}")
        if memory_limit is not None:
            con.raw_sql(f"SET memory_limit = '{memory_limit}'")
        return con
    if backend == "spark":
        from repurchase.engine.spark import ibis_spark, spark_session

        return ibis_spark(spark_session(spark_master))
    raise ValueError(f"unknown engine backend {backend!r} (use duckdb or spark)")
