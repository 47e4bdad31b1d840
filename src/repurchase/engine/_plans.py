"""Compiled queries, kept per shape: Ibis compiles in Python, and on small data that costs more
than running the query (about 0.5 s for a feature group against milliseconds of DuckDB).

A group's expressions are built once per *shape* (the group, its window lengths, the number of
as-of dates, timezone steps and event types, and the schemas of the tables), with every value
that varies between runs (as-of seconds, window starts, UTC offsets, event type names) written
as a **sentinel** literal. The compiled SQL statements are kept; each run substitutes its own
values for the sentinels and executes them. Sentinels are 19-digit integers (no real epoch
second or offset has as many digits) and quoted markers for strings, so a substitution can only
hit its own literal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from repurchase.engine.tables import sql_string

#: the first integer sentinel; the i-th is BASE + i (19 digits, below the int64 maximum)
BASE = 7_340_012_345_000_000_000
_INT = re.compile(r"734001234500\d{7}")
_STR = re.compile(r"'__rp_s(\d+)__'")


@dataclass
class Params:
    """The values of one run, in a canonical order fixed by the shape. While a plan is built each
    value is handed out as the sentinel of its position; ``live`` hands out the values themselves
    (no plan, e.g. on Spark)."""

    ints: list[int]
    strs: list[str]
    live: bool = False

    def int_at(self, i: int) -> int:
        return int(self.ints[i]) if self.live else BASE + i

    def str_at(self, i: int) -> str:
        return str(self.strs[i]) if self.live else f"__rp_s{i}__"

    def fill(self, sql: str) -> str:
        """``sql`` with this run's values in place of the sentinels."""
        sql = _INT.sub(lambda m: str(int(self.ints[int(m.group(0)) - BASE])), sql)
        return _STR.sub(lambda m: sql_string(self.strs[int(m.group(1))]), sql)


@dataclass
class Plan:
    """The statements of one group for one shape: temp tables in order, then the final select,
    and the registered tables they read."""

    stages: list[tuple[str, str]] = field(default_factory=list)  # (temp table name, sql)
    final: str | None = None
    tables: set = field(default_factory=set)
    coded: set = field(default_factory=set)  # table keys read with customer codes (:mod:`._codes`)


#: plans by shape, for the life of the process (a few dozen shapes at most)
PLANS: dict[tuple, Plan] = {}
