"""``engine``: which query engine runs the feature definitions."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from repurchase.config._base import _Strict


class SparkConfig(_Strict):
    """Apache Spark (``engine.backend: spark``; ``pip install 'repurchase[spark]'`` and Java 17)."""

    #: where the driver connects: ``local[2]`` on one machine, ``spark://host:7077`` or ``yarn``
    master: str = "local[2]"


class EngineConfig(_Strict):
    """The query engine of the data plane (the definitions are the same on every backend)."""

    #: duckdb: in-process, nothing to install; spark: the same definitions on a Spark cluster
    backend: Literal["duckdb", "spark"] = "duckdb"
    #: DuckDB worker threads (null: one per core)
    threads: int | None = Field(None, ge=1)
    #: DuckDB memory limit before it spills to disk, e.g. "4GB" (null: half the machine's memory)
    memory_limit: str | None = Field(None, pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")
    #: spine rows per feature build when many as-of dates are written (``repurchase features``):
    #: whole dates are built batch by batch and appended to the file, so memory follows the batch,
    #: not the spine (null: every date at once)
    batch_rows: int | None = Field(4_000_000, ge=1)
    spark: SparkConfig = SparkConfig()

    def connect_args(self) -> dict:
        """The arguments of :func:`repurchase.engine.connect`."""
        return {"backend": self.backend, "threads": self.threads, "memory_limit": self.memory_limit,
                "spark_master": self.spark.master}
