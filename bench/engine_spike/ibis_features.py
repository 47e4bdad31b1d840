"""The rfm and engagement feature groups as Ibis expressions, over the Parquet files of a data
directory (DuckDB backend here; the same expressions compile for the PySpark backend).

Ibis has no timezone conversion (a cast to ``timestamp('Asia/Shanghai')`` compiles to a no-op and
``hour()`` of a tz-aware timestamp is refused), so wall-clock seconds are ``epoch + offset`` with the
offset picked by a CASE over the zone's few UTC-offset steps (:func:`common.utc_offsets`); the local
hour and day follow from wall seconds by integer arithmetic.
"""

from __future__ import annotations

import ibis
import pandas as pd
from ibis import _

from common import (ENGAGEMENT_WINDOWS, MEMBERSHIP, ORDER_WINDOWS, RFM_COLUMNS, TOP_EVENT_TYPES, as_of_params,
                    finish, parquet, timezone_of, utc_offsets)
from repurchase.features.catalog import safe_name

DAY = 86_400


def secs(ts: ibis.Value) -> ibis.Value:
    """Floored epoch second of a timestamp."""
    return (ts.epoch_seconds()).floor().cast("int64")


def to_wall(s: ibis.Value, tz: str) -> ibis.Value:
    """Epoch seconds -> seconds on the business wall clock."""
    steps = utc_offsets(tz)
    if len(steps) == 1:
        return s + steps[0][1]
    branches = [(s >= start, s + off) for start, off in reversed(steps[1:])]
    return ibis.cases(*branches, else_=s + steps[0][1])


def quintile(t: ibis.Table, value: ibis.Value, *, descending: bool = False) -> ibis.Value:
    """1..5 by average-tie percentile rank within the as-of date (pandas rank(pct=True))."""
    order = value.desc() if descending else value.asc()
    first = ibis.rank().over(group_by=t.as_of_key, order_by=order) + 1  # ibis.rank() is 0-based
    ties = t.customer_id.count().over(group_by=[t.as_of_key, value])
    n = t.customer_id.count().over(group_by=t.as_of_key)
    pct = (first + (ties - 1) / 2.0) / n
    return (pct * 5).ceil().clip(lower=1, upper=5)


class IbisEngine:
    def __init__(self, data_dir: str, threads: int = 1, backend: str = "duckdb"):
        self.data_dir, self.tz = str(data_dir), timezone_of(data_dir)
        self.con = ibis.duckdb.connect(threads=threads) if backend == "duckdb" else None
        self.tables = {}
        if self.con is not None:
            for name in ("orders", "events", "customers"):
                path = parquet(data_dir, name)
                if path is not None:
                    self.tables[name] = self.con.read_parquet(path, table_name=name)

    # -- expressions (backend-free: they take tables, so the pyspark check reuses them) --------

    def paid(self, orders: ibis.Table) -> ibis.Table:
        o = orders.filter(orders.status.isnull() | (orders.status == "paid"))
        ts_s = secs(o.order_ts)
        return o.select("customer_id", ts_s=ts_s, cents=(o.amount * 100).round())

    def rfm_expr(self, orders: ibis.Table, asof: ibis.Table) -> ibis.Table:
        o = self.paid(orders)
        j = o.join(asof, o.ts_s < asof.t_s)
        windows = {}
        for w in ORDER_WINDOWS:
            inside = j.ts_s >= j[f"s{w}"]
            windows[f"orders_{w}d"] = j.ts_s.count(where=inside)
            windows[f"spend_{w}d"] = j.cents.sum(where=inside).fill_null(0) / 100.0
        agg = j.group_by("customer_id", "as_of_key", "t_wall").aggregate(
            last_s=j.ts_s.max(),
            first_s=j.ts_s.min(),
            orders_count=j.count(),
            cents_total=j.cents.sum(),
            spend_total=j.cents.sum() / 100.0,
            avg_order_value=j.cents.sum() / 100.0 / j.count(),
            max_order_value=j.cents.max() / 100.0,
            **windows,
        )
        agg = agg.mutate(days_since_last_order=(agg.t_wall - to_wall(agg.last_s, self.tz)) / DAY,
                         days_since_first_order=(agg.t_wall - to_wall(agg.first_s, self.tz)) / DAY)
        return agg.mutate(
            r_score=quintile(agg, agg.days_since_last_order, descending=True),
            f_score=quintile(agg, agg.orders_count),
            m_score=quintile(agg, agg.cents_total),
        ).select("customer_id", "as_of_key", *RFM_COLUMNS)

    def counted_types_expr(self, events: ibis.Table, asof: ibis.Table) -> ibis.Table:
        e = events.filter(secs(events.event_ts) < asof.t_s.max().as_scalar(), events.event_type.notnull(),
                          ~events.event_type.isin(MEMBERSHIP))
        return (e.group_by("event_type").aggregate(n=e.count())
                .order_by([ibis.desc("n"), "event_type"]).limit(TOP_EVENT_TYPES))

    def engagement_expr(self, orders: ibis.Table, events: ibis.Table, customers: ibis.Table | None,
                        asof: ibis.Table, types: list[str]) -> ibis.Table:
        tz = self.tz
        o = self.paid(orders)
        spine = o.join(asof, o.ts_s < asof.t_s).select("customer_id", "as_of_key", "t_s", "t_wall").distinct()

        ev = events.filter(events.event_type.isin([*types, *MEMBERSHIP, "referral", "checkin"]))
        ts_s = secs(ev.event_ts)
        wall = to_wall(ts_s, tz)
        ev = ev.select("customer_id", "event_type", ts_s=ts_s,
                       hour=(wall % DAY) // 3600, day=wall // DAY, counted=ev.event_type.isin(types))
        j = ev.join(asof, ev.ts_s < asof.t_s)
        typ = j.event_type
        counts = {f"{safe_name(t)}_{w}d": j.count(where=(typ == t) & (j.ts_s >= j[f"s{w}"]))
                  for t in types for w in ENGAGEMENT_WINDOWS}
        g = j.group_by("customer_id", "as_of_key").aggregate(
            **counts,
            last30=j.count(where=j.counted & (j.ts_s >= j.s30)),
            prev30=j.count(where=j.counted & (j.ts_s >= j.s60) & (j.ts_s < j.s30)),
            last_s=j.ts_s.max(where=j.counted),
            referrals_made=j.count(where=typ == "referral"),
            join_s=j.ts_s.max(where=typ == "group_join"),
            leave_s=j.ts_s.max(where=typ == "group_leave"),
            checkin_days=j.day.nunique(where=(typ == "checkin") & (j.ts_s >= j.s30)),
        )
        recent = j.filter(j.counted, j.ts_s >= j.s90)
        hours = recent.group_by("customer_id", "as_of_key", "hour").aggregate(n=recent.count())
        mode = (hours.mutate(k=ibis.row_number().over(group_by=["customer_id", "as_of_key"],
                                                      order_by=[ibis.desc("n"), "hour"]))
                .filter(_.k == 0).select("customer_id", "as_of_key", mode_hour="hour"))

        x = spine.left_join(g, ["customer_id", "as_of_key"]).drop("customer_id_right", "as_of_key_right")
        x = x.left_join(mode, ["customer_id", "as_of_key"]).drop("customer_id_right", "as_of_key_right")
        if customers is not None:
            c = customers.select("customer_id", reg_s=secs(customers.registered_ts),
                                 cjoin_s=secs(customers.joined_group_ts))
            x = x.left_join(c, "customer_id").drop("customer_id_right")
            x = x.mutate(reg_s=ibis.ifelse(x.reg_s < x.t_s, x.reg_s, ibis.null("int64")),
                         cjoin_s=ibis.ifelse(x.cjoin_s < x.t_s, x.cjoin_s, ibis.null("int64")))
            joined = ibis.coalesce(ibis.greatest(x.join_s, x.cjoin_s), x.join_s, x.cjoin_s)
        else:
            joined = x.join_s
        x = x.mutate(joined_s=joined)
        in_group = x.joined_s.notnull() & ~(x.leave_s.notnull() & (x.leave_s >= x.joined_s))
        x = x.mutate(in_group=in_group.cast("float64"))
        x = x.mutate(days_since_joined_group=ibis.ifelse(x.in_group == 1, (x.t_wall - to_wall(x.joined_s, tz)) / DAY,
                                                         ibis.null("float64")))
        last30, prev30 = x.last30.fill_null(0), x.prev30.fill_null(0)
        days_in = ibis.ifelse(x.in_group == 1, ibis.least(30.0, ibis.greatest(x.days_since_joined_group, 1.0)), 30.0)
        out = {k: x[k].fill_null(0) for k in counts}
        out.update(
            events_30d=last30,
            engagement_trend_30d=ibis.ifelse(last30 + prev30 > 0, (last30 - prev30) / (last30 + prev30), 0.0),
            days_since_last_engagement=(x.t_wall - to_wall(x.last_s, tz)) / DAY,
            most_active_hour_90d=x.mode_hour,
            referrals_made=x.referrals_made.fill_null(0),
            in_group=x.in_group,
            days_since_joined_group=x.days_since_joined_group,
            checkin_rate_30d=x.checkin_days.fill_null(0) / days_in,
        )
        if customers is not None:
            out["days_since_registered"] = (x.t_wall - to_wall(x.reg_s, tz)) / DAY
        return x.select("customer_id", "as_of_key", **out)

    # -- running on DuckDB ------------------------------------------------------------------

    def rfm(self, dates) -> pd.DataFrame:
        params = as_of_params(dates, self.tz)
        expr = self.rfm_expr(self.tables["orders"], ibis.memtable(params))
        return finish(expr.to_pandas(), params, self.tz, RFM_COLUMNS)

    def counted_types(self, asof: ibis.Table) -> list[str]:
        return self.counted_types_expr(self.tables["events"], asof).to_pandas()["event_type"].tolist()

    def engagement(self, dates) -> pd.DataFrame:
        params = as_of_params(dates, self.tz)
        asof = ibis.memtable(params)
        types = self.counted_types(asof)
        expr = self.engagement_expr(self.tables["orders"], self.tables["events"], self.tables.get("customers"),
                                    asof, types)
        frame = expr.to_pandas()
        return finish(frame, params, self.tz, [c for c in frame.columns if c not in ("customer_id", "as_of_key")])
