"""The rfm and engagement feature groups as one dialect-neutral SQL text each (SQLGlot's default
dialect), transpiled with ``sqlglot.transpile(..., write="duckdb")`` (or ``"spark"``).

Tables the SQL reads by name: ``orders``, ``events``, ``customers`` (views over the Parquet files, so
DuckDB pushes projections and filters into the scan) and ``asof`` (one row per as-of date, see
:func:`common.as_of_params`). Every time is compared as a floored epoch second, as the package does.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import sqlglot

from common import (ENGAGEMENT_WINDOWS, MEMBERSHIP, ORDER_WINDOWS, RFM_COLUMNS, TOP_EVENT_TYPES, as_of_params,
                    finish, parquet, timezone_of)
from repurchase.features.catalog import safe_name


def _secs(col: str) -> str:
    """Floored epoch second of a timestamp column."""
    return f"CAST(FLOOR(UNIX_MICROS({col}) / 1000000) AS BIGINT)"


def _local(col: str, tz: str) -> str:
    return f"CONVERT_TIMEZONE('UTC', '{tz}', {col})"


def _wall(col: str, tz: str) -> str:
    """Floored second on the business wall clock (epoch of the local clock reading)."""
    return _secs(_local(col, tz))


def _quintile(value: str, order: str) -> str:
    """1..5 by average-tie percentile rank within the as-of date (pandas rank(pct=True))."""
    pct = (f"(RANK() OVER (PARTITION BY as_of_key ORDER BY {value} {order}) "
           f"+ (COUNT(*) OVER (PARTITION BY as_of_key, {value}) - 1) / 2.0) "
           f"/ COUNT(*) OVER (PARTITION BY as_of_key)")
    return f"LEAST(5, GREATEST(1, CEIL(({pct}) * 5)))"


def rfm_sql(tz: str) -> str:
    windows = "".join(
        f",\n      SUM(CASE WHEN o.ts_s >= a.s{w} THEN 1 ELSE 0 END) AS orders_{w}d"
        f",\n      COALESCE(SUM(CASE WHEN o.ts_s >= a.s{w} THEN o.cents END), 0) / 100.0 AS spend_{w}d"
        for w in ORDER_WINDOWS)
    cols = ",\n  ".join(c for c in RFM_COLUMNS if not c.endswith("_score"))
    return f"""
WITH paid AS (
  SELECT customer_id, {_secs('order_ts')} AS ts_s, ROUND(amount * 100) AS cents
  FROM orders
  WHERE status IS NULL OR status = 'paid'
),
agg AS (
  SELECT o.customer_id, a.as_of_key,
      a.t_wall, MAX(o.ts_s) AS last_s, MIN(o.ts_s) AS first_s,
      COUNT(*) AS orders_count,
      SUM(o.cents) AS cents_total,
      SUM(o.cents) / 100.0 AS spend_total,
      SUM(o.cents) / 100.0 / COUNT(*) AS avg_order_value,
      MAX(o.cents) / 100.0 AS max_order_value{windows}
  FROM paid AS o JOIN asof AS a ON o.ts_s < a.t_s
  GROUP BY o.customer_id, a.as_of_key, a.t_wall
),
days AS (
  SELECT *, (t_wall - {_wall_of_epoch('last_s', tz)}) / 86400.0 AS days_since_last_order,
            (t_wall - {_wall_of_epoch('first_s', tz)}) / 86400.0 AS days_since_first_order
  FROM agg
)
SELECT customer_id, as_of_key,
  {cols},
  {_quintile('days_since_last_order', 'DESC')} AS r_score,
  {_quintile('orders_count', 'ASC')} AS f_score,
  {_quintile('cents_total', 'ASC')} AS m_score
FROM days
"""


def counted_types_sql() -> str:
    """The most frequent event types before the latest as-of date (membership types excluded)."""
    return f"""
SELECT event_type, COUNT(*) AS n
FROM events
WHERE {_secs('event_ts')} < (SELECT MAX(t_s) FROM asof)
  AND event_type IS NOT NULL AND event_type NOT IN ('{MEMBERSHIP[0]}', '{MEMBERSHIP[1]}')
GROUP BY event_type
ORDER BY n DESC, event_type ASC
LIMIT {TOP_EVENT_TYPES}
"""


def engagement_columns(types: list[str]) -> list[str]:
    return ([f"{safe_name(t)}_{w}d" for t in types for w in ENGAGEMENT_WINDOWS]
            + ["events_30d", "engagement_trend_30d", "days_since_last_engagement", "most_active_hour_90d",
               "referrals_made", "in_group", "days_since_joined_group", "checkin_rate_30d", "days_since_registered"])


def engagement_sql(tz: str, types: list[str]) -> str:
    counted = ", ".join(f"'{t}'" for t in types)
    per_type = "".join(
        f",\n      SUM(CASE WHEN e.event_type = '{t}' AND e.ts_s >= a.s{w} THEN 1 ELSE 0 END) AS {safe_name(t)}_{w}d"
        for t in types for w in ENGAGEMENT_WINDOWS)
    g_cols = ", ".join(f"g.{c}" for c in [f"{safe_name(t)}_{w}d" for t in types for w in ENGAGEMENT_WINDOWS]
                       + ["last30", "prev30", "last_s", "referrals_made", "join_s", "leave_s", "checkin_days"])
    type_cols = "".join(f"\n  COALESCE({safe_name(t)}_{w}d, 0) AS {safe_name(t)}_{w}d,"
                        for t in types for w in ENGAGEMENT_WINDOWS)
    return f"""
WITH spine AS (
  SELECT DISTINCT o.customer_id, a.as_of_key, a.t_s, a.t_wall, a.s30
  FROM orders AS o JOIN asof AS a ON {_secs('o.order_ts')} < a.t_s
  WHERE o.status IS NULL OR o.status = 'paid'
),
ev AS (
  SELECT customer_id, event_type, {_secs('event_ts')} AS ts_s,
         EXTRACT(HOUR FROM {_local('event_ts', tz)}) AS hour,
         CAST({_local('event_ts', tz)} AS DATE) AS day,
         event_type IN ({counted}) AS counted
  FROM events
  WHERE event_type IN ({counted}, 'group_join', 'group_leave', 'referral', 'checkin')
),
g AS (
  SELECT e.customer_id, a.as_of_key{per_type},
      SUM(CASE WHEN e.counted AND e.ts_s >= a.s30 THEN 1 ELSE 0 END) AS last30,
      SUM(CASE WHEN e.counted AND e.ts_s >= a.s60 AND e.ts_s < a.s30 THEN 1 ELSE 0 END) AS prev30,
      MAX(CASE WHEN e.counted THEN e.ts_s END) AS last_s,
      SUM(CASE WHEN e.event_type = 'referral' THEN 1 ELSE 0 END) AS referrals_made,
      MAX(CASE WHEN e.event_type = 'group_join' THEN e.ts_s END) AS join_s,
      MAX(CASE WHEN e.event_type = 'group_leave' THEN e.ts_s END) AS leave_s,
      COUNT(DISTINCT CASE WHEN e.event_type = 'checkin' AND e.ts_s >= a.s30 THEN e.day END) AS checkin_days
  FROM ev AS e JOIN asof AS a ON e.ts_s < a.t_s
  GROUP BY e.customer_id, a.as_of_key
),
hours AS (
  SELECT e.customer_id, a.as_of_key, e.hour, COUNT(*) AS n
  FROM ev AS e JOIN asof AS a ON e.ts_s < a.t_s AND e.ts_s >= a.s90
  WHERE e.counted
  GROUP BY e.customer_id, a.as_of_key, e.hour
),
mode AS (
  SELECT customer_id, as_of_key, hour FROM (
    SELECT customer_id, as_of_key, hour,
           ROW_NUMBER() OVER (PARTITION BY customer_id, as_of_key ORDER BY n DESC, hour ASC) AS k
    FROM hours) AS ranked
  WHERE k = 1
),
joined AS (
  SELECT s.customer_id, s.as_of_key, s.t_s, s.t_wall, {g_cols}, m.hour AS mode_hour,
      CASE WHEN {_secs('c.registered_ts')} < s.t_s THEN {_wall('c.registered_ts', tz)} END AS reg_wall,
      CASE WHEN {_secs('c.joined_group_ts')} < s.t_s THEN {_secs('c.joined_group_ts')} END AS cjoin_s
  FROM spine AS s
  LEFT JOIN g ON g.customer_id = s.customer_id AND g.as_of_key = s.as_of_key
  LEFT JOIN mode AS m ON m.customer_id = s.customer_id AND m.as_of_key = s.as_of_key
  LEFT JOIN customers AS c ON c.customer_id = s.customer_id
),
membership AS (
  SELECT *,
      CASE WHEN cjoin_s IS NULL THEN join_s WHEN join_s IS NULL THEN cjoin_s
           WHEN join_s > cjoin_s THEN join_s ELSE cjoin_s END AS joined_s
  FROM joined
),
flags AS (
  SELECT *, CASE WHEN joined_s IS NOT NULL AND NOT (leave_s IS NOT NULL AND leave_s >= joined_s)
                 THEN 1 ELSE 0 END AS in_group_flag
  FROM membership
),
days AS (
  SELECT *, CASE WHEN in_group_flag = 1
                 THEN (t_wall - {_wall_of_epoch('joined_s', tz)}) / 86400.0 END AS days_joined
  FROM flags
)
SELECT customer_id, as_of_key,{type_cols}
  COALESCE(last30, 0) AS events_30d,
  CASE WHEN COALESCE(last30, 0) + COALESCE(prev30, 0) > 0
       THEN (COALESCE(last30, 0) - COALESCE(prev30, 0)) * 1.0 / (COALESCE(last30, 0) + COALESCE(prev30, 0))
       ELSE 0.0 END AS engagement_trend_30d,
  (t_wall - {_wall_of_epoch('last_s', tz)}) / 86400.0 AS days_since_last_engagement,
  mode_hour AS most_active_hour_90d,
  COALESCE(referrals_made, 0) AS referrals_made,
  in_group_flag AS in_group,
  days_joined AS days_since_joined_group,
  COALESCE(checkin_days, 0) / CASE WHEN in_group_flag = 1
      THEN LEAST(30.0, GREATEST(days_joined, 1.0)) ELSE 30.0 END AS checkin_rate_30d,
  (t_wall - reg_wall) / 86400.0 AS days_since_registered
FROM days
"""


def _wall_of_epoch(col: str, tz: str) -> str:
    """Wall-clock second of an epoch-second column."""
    return _wall(f"UNIX_TO_TIME({col})", tz)


class SqlEngine:
    """DuckDB in-process over the Parquet files of a data directory."""

    def __init__(self, data_dir: str, threads: int = 1, dialect: str = "duckdb"):
        self.data_dir, self.tz, self.dialect = str(data_dir), timezone_of(data_dir), dialect
        self.con = duckdb.connect()
        self.con.execute(f"SET threads TO {threads}")
        self.con.execute("SET TimeZone = 'UTC'")  # CONVERT_TIMEZONE transpiles through CAST(ts AS TIMESTAMP)
        for table in ("orders", "events", "customers"):
            path = parquet(data_dir, table)
            if path is not None:
                self.con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{path}')")

    def sql(self, text: str) -> str:
        return sqlglot.transpile(text, read=None, write=self.dialect, unsupported_level=sqlglot.ErrorLevel.RAISE)[0]

    def run(self, text: str, params: pd.DataFrame) -> pd.DataFrame:
        self.con.register("asof", params)
        return self.con.execute(self.sql(text)).df()

    def rfm(self, dates) -> pd.DataFrame:
        params = as_of_params(dates, self.tz)
        return finish(self.run(rfm_sql(self.tz), params), params, self.tz, RFM_COLUMNS)

    def counted_types(self, params: pd.DataFrame) -> list[str]:
        return self.run(counted_types_sql(), params)["event_type"].tolist()

    def engagement(self, dates) -> pd.DataFrame:
        params = as_of_params(dates, self.tz)
        types = self.counted_types(params)
        frame = self.run(engagement_sql(self.tz, types), params)
        return finish(frame, params, self.tz, engagement_columns(types))
