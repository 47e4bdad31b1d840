"""Spark SQL reads a literal like ``100.0`` as a DECIMAL: ``cents / 100.0 / n`` then runs in
decimal arithmetic and is rounded to 6 places before it becomes a double, which is not the
IEEE division DuckDB and numpy do. Ibis writes Python floats as such literals, so on Spark every
finite float literal is written as ``CAST(<literal> AS DOUBLE)`` (exact: the shortest decimal that
names a double converts back to it)."""

from __future__ import annotations

import math

_PATCHED = False


def double_literals() -> None:
    """Make Ibis's PySpark compiler write float literals as doubles (once per process)."""
    global _PATCHED
    if _PATCHED:
        return
    import sqlglot.expressions as sge
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler

    plain = PySparkCompiler.visit_NonNullLiteral

    def visit(self, op, *, value, dtype):
        result = plain(self, op, value=value, dtype=dtype)
        if dtype.is_floating() and math.isfinite(value) and isinstance(result, sge.Literal):
            return sge.Cast(this=result, to=sge.DataType.build("DOUBLE"))
        return result

    PySparkCompiler.visit_NonNullLiteral = visit
    _PATCHED = True
