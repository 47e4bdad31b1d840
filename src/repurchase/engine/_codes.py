"""Customer ids as integer codes on DuckDB, once per feature run.

Every feature group joins its tables to the spine and groups them by customer; with text ids each
hash join, aggregate and window partition hashes and compares strings (12M orders, 21M events at
1M customers). The session numbers the run's customer ids once (:data:`DICT`: every id of the
spine and of each table with a ``customer_id``) and every table a group reads, and the spine,
carries the code in ``customer_id`` instead of the text. The codes are only keys: no feature
orders by ``customer_id`` or returns it, so the features are the same whichever numbering.
"""

from __future__ import annotations

import ibis
import pyarrow as pa

DICT = "_rp_customer_codes"


def dict_sql(sources: list[str]) -> str:
    """The statement creating :data:`DICT` over the ``customer_id`` of the named relations."""
    union = " UNION ".join(f'SELECT "customer_id" FROM "{s}"' for s in sources)
    return (f'CREATE OR REPLACE TEMP TABLE "{DICT}" AS SELECT "customer_id", CAST(row_number() OVER () AS INTEGER) '
            f'AS "_code" FROM ({union}) WHERE "customer_id" IS NOT NULL')


def coded_sql(name: str, relation: str, *, table: bool = False) -> str:
    """A view (or temp table) ``name``: relation ``relation`` with its ``customer_id`` as the
    code (null for a null id; every row kept)."""
    kind = "TABLE" if table else "VIEW"
    return (f'CREATE OR REPLACE TEMP {kind} "{name}" AS SELECT d."_code" AS "customer_id", t.* EXCLUDE ("customer_id") '
            f'FROM "{relation}" t LEFT JOIN "{DICT}" d ON t."customer_id" = d."customer_id"')


class CustomerCodes:
    """The coded tables of a :class:`repurchase.engine.session.Session` (DuckDB only)."""

    def _coded(self, key: str) -> ibis.Table:
        """Table key ``key`` with ``customer_id`` as the run's integer code (:mod:`._codes`)."""
        self._plan.coded.add(key)
        return ibis.table(self._coded_schema(key), name=f"_rp_c_{key}")

    def _coded_schema(self, key: str) -> ibis.Schema:
        """Create the coded form of table key ``key`` (and the codes) on this connection once."""
        if ("coded", key) not in self._arrow:
            con = self.con.con
            if DICT not in self._shared:
                sources = []
                for n, frame in self.tables.as_dict().items():
                    if "customer_id" not in frame.columns:
                        continue
                    sources.append(rel := f"_rp_ids_{n}")
                    if self.in_files:
                        con.execute(f'CREATE OR REPLACE TEMP VIEW "{rel}" AS {frame.select(["customer_id"])}')
                    else:
                        con.register(rel, pa.table({"customer_id": self._column(n, "customer_id")}))
                con.register("_rp_spine", self._spine_arrow)
                con.execute(dict_sql([*sources, "_rp_spine"]))
                self._shared.add(DICT)
            if key == "spine" or not self.in_files:
                con.register(f"_rp_{key}", self._spine_arrow if key == "spine" else self._arrow_of(key))
            # the spine is joined once; a table is coded as it is read
            con.execute(coded_sql(f"_rp_c_{key}", f"_rp_{key}", table=key == "spine"))
            self._arrow[("coded", key)] = self.con.table(f"_rp_c_{key}").schema()
        return self._arrow[("coded", key)]
