"""The customer x as-of spine as a query over the tables' files (:class:`QueryTables`).

The same population and order as :func:`repurchase.spine.build_spine` on pandas tables: a
customer is on the spine at T when their first paid order (or, with ``include_non_buyers``, their
registration, group joining or first event) is strictly before T; rows are ordered by as-of date,
then by the customer's first appearance (orders in file order, then customers, then events).
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from repurchase.engine.tables import QueryTables
from repurchase.schema import VALID_ORDER_STATUS
from repurchase.spine import AsOf, as_of_dates, no_population, spine_rows

__all__ = ["query_spine"]

_SECONDS = "CAST(floor(epoch({c})) AS BIGINT)"


def _first_seen_sql(tables: QueryTables, include_non_buyers: bool) -> str:
    """One row per customer: ``customer_id``, ``order_key`` (first appearance), ``first_s``."""
    o = tables.orders
    paid = ('WHERE "status" IS NULL OR "status" = ' + f"'{VALID_ORDER_STATUS}'") if "status" in o.columns else ""
    seen = [f'SELECT "customer_id", 0 AS src, "_rn" FROM ({o.select(["customer_id"], row_number=True)})']
    times = [f'SELECT "customer_id", {_SECONDS.format(c="order_ts")} AS s FROM ({o.select(["customer_id", "order_ts", "status"])}) {paid}']
    c, e = tables.customers, tables.events
    if c is not None:
        seen.append(f'SELECT "customer_id", 1, "_rn" FROM ({c.select(["customer_id"], row_number=True)})')
        if include_non_buyers:
            for col in ("registered_ts", "joined_group_ts"):
                if col in c.columns:
                    times.append(f'SELECT "customer_id", {_SECONDS.format(c=col)} FROM ({c.select(["customer_id", col])}) '
                                 f'WHERE "{col}" IS NOT NULL')
    if e is not None and include_non_buyers:
        seen.append(f'SELECT "customer_id", 2, "_rn" FROM ({e.select(["customer_id"], row_number=True)})')
        times.append(f'SELECT "customer_id", {_SECONDS.format(c="event_ts")} FROM ({e.select(["customer_id", "event_ts"])}) '
                     'WHERE "event_ts" IS NOT NULL')
    # (source, row) packed in one key: a customer's first appearance in the first table that has them
    return f"""
    WITH seen AS (SELECT "customer_id", min(src * 1000000000000000 + "_rn") AS order_key
                  FROM ({' UNION ALL '.join(seen)}) WHERE "customer_id" IS NOT NULL GROUP BY "customer_id"),
         firsts AS (SELECT "customer_id", min(s) AS first_s FROM ({' UNION ALL '.join(times)})
                    WHERE "customer_id" IS NOT NULL GROUP BY "customer_id")
    SELECT seen."customer_id", first_s FROM seen JOIN firsts USING ("customer_id") ORDER BY order_key"""


def query_spine(con, tables: QueryTables, as_of: Sequence[AsOf], *, include_non_buyers: bool = False) -> pd.DataFrame:
    """One row per (customer_id, as_of), as :func:`repurchase.spine.build_spine` gives it.

    Parameters
    ----------
    con : duckdb connection
        Where the query runs (the DuckDB connection under an Ibis backend).
    tables : QueryTables
        Validated tables in their files.
    as_of : sequence of dates
        As-of dates (local midnight in ``tables.timezone``).
    include_non_buyers : bool
        Also community members with no paid order before T.

    Returns
    -------
    DataFrame
        ``customer_id`` (str), ``as_of`` (tz-aware).
    """
    tz = tables.timezone
    dates = as_of_dates(as_of, tz)
    result = con.sql(_first_seen_sql(tables, include_non_buyers))
    data = result.to_arrow_table() if hasattr(result, "to_arrow_table") else result.arrow()
    ids = pd.Index(pd.Series(data.column("customer_id").to_pandas()).astype("str"))
    spine = spine_rows(ids, data.column("first_s").to_numpy(), dates, tz)
    if spine.empty:
        o = tables.orders
        lo, hi = con.sql(f'SELECT min(epoch("order_ts")), max(epoch("order_ts")) FROM ({o.select(["order_ts"])})').fetchall()[0]
        raise no_population(dates, *(pd.Timestamp(v, unit="s", tz="UTC").tz_convert(tz).date() for v in (lo, hi)))
    return spine
