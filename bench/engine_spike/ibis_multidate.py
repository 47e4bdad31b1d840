"""The rfm group at many as-of dates as Ibis expressions, without joining orders to as-of dates.

The one-date-shaped query (``ibis_features.IbisEngine.rfm_expr``) joins every paid order to every
later as-of date T and aggregates: about 12x the order rows at 12 monthly dates. Here no order is
ever repeated:

* Each order gets an **entry key**: the index of the first as-of date after it (``#{k: t_k <= ts}``,
  a sum of comparisons with the few T literals), and, per window w, an **exit key**: the first
  as-of date whose window start is after it (``#{k: s_w(k) <= ts}``). The order is inside window w
  at date k exactly when ``entry <= k < exit_w``, so, per customer,
  ``orders_{w}d(k) = #{entry <= k} - #{exit_w <= k}`` (``exit_w >= entry`` always, because
  ``s_w(k) < t_k``); the same for cents.
* One aggregate over the union of "order enters at key" and "order leaves window w at key" rows
  gives per (customer, key) deltas; last order, first order and largest order come along with the
  entry rows.
* The dense spine (customer x every key from the customer's first entry on) left-joins the deltas,
  and cumulative windows per customer ordered by key (sum; max for the last order and largest
  order; min for the first order) turn deltas into the as-of values.
* Quintile scores stay per as-of date, as before.

Every value is an integer (counts, cents, epoch seconds) until the final divisions, which are the
same operations as in the one-date query, so the results are identical, not just close.
"""

from __future__ import annotations

import ibis
import pandas as pd

from common import ORDER_WINDOWS, RFM_COLUMNS, as_of_params, finish
from ibis_features import DAY, IbisEngine, quintile, to_wall


def key_of(ts: ibis.Value, bounds) -> ibis.Value:
    """How many of the ascending ``bounds`` (epoch seconds) are <= ts: 0..len(bounds)."""
    return sum(((ts >= int(b)).cast("int64") for b in bounds), ibis.literal(0, "int64"))


class IbisMultiDate(IbisEngine):
    def rfm_md_expr(self, orders: ibis.Table, asof: ibis.Table, params: pd.DataFrame) -> ibis.Table:
        n = len(params)
        o = self.paid(orders)
        o = o.mutate(entry=key_of(o.ts_s, params["t_s"]),
                     **{f"exit{w}": key_of(o.ts_s, params[f"s{w}"]) for w in ORDER_WINDOWS})
        zero, none = ibis.literal(0, "int64"), ibis.null("int64")
        measures = ["n_in", "c_in", *(f"{p}{w}" for w in ORDER_WINDOWS for p in ("n_out", "c_out"))]

        def rows(src, key, **vals):
            cols = {m: vals.get(m, zero) for m in measures}
            return src.select("customer_id", as_of_key=key, **cols,
                              ts_s=vals.get("ts_s", none), cents=vals.get("cents", none))

        parts = [rows(o.filter(o.entry < n), o.entry, n_in=ibis.literal(1, "int64"), c_in=o.cents,
                      ts_s=o.ts_s, cents=o.cents)]
        for w in ORDER_WINDOWS:
            ex = o[f"exit{w}"]
            parts.append(rows(o.filter(ex < n), ex, **{f"n_out{w}": ibis.literal(1, "int64"), f"c_out{w}": o.cents}))
        u = ibis.union(*parts, distinct=False)
        d = u.group_by("customer_id", "as_of_key").aggregate(
            **{m: u[m].sum() for m in measures},
            last_s=u.ts_s.max(), first_s=u.ts_s.min(), max_c=u.cents.max())

        # the spine: every customer from the key of their first paid order on
        firsts = d.filter(d.n_in > 0).group_by("customer_id").aggregate(f=d.as_of_key.min())
        grid = firsts.join(asof, firsts.f <= asof.as_of_key).select("customer_id", "as_of_key", "t_wall")
        g = grid.left_join(d, ["customer_id", "as_of_key"]).drop("customer_id_right", "as_of_key_right")
        win = dict(group_by="customer_id", order_by="as_of_key")
        cum = {m: g[m].fill_null(0).cumsum(**win) for m in measures}
        c = g.select("customer_id", "as_of_key", "t_wall", **cum,
                     last_s=g.last_s.cummax(**win), first_s=g.first_s.cummin(**win), max_c=g.max_c.cummax(**win))

        windows = {}
        for w in ORDER_WINDOWS:
            windows[f"orders_{w}d"] = c.n_in - c[f"n_out{w}"]
            windows[f"spend_{w}d"] = (c.c_in - c[f"c_out{w}"]) / 100.0
        agg = c.select(
            "customer_id", "as_of_key",
            days_since_last_order=(c.t_wall - to_wall(c.last_s, self.tz)) / DAY,
            days_since_first_order=(c.t_wall - to_wall(c.first_s, self.tz)) / DAY,
            orders_count=c.n_in,
            cents_total=c.c_in,
            spend_total=c.c_in / 100.0,
            avg_order_value=c.c_in / 100.0 / c.n_in,
            max_order_value=c.max_c / 100.0,
            **windows,
        )
        return agg.mutate(
            r_score=quintile(agg, agg.days_since_last_order, descending=True),
            f_score=quintile(agg, agg.orders_count),
            m_score=quintile(agg, agg.cents_total),
        ).select("customer_id", "as_of_key", *RFM_COLUMNS)

    def rfm(self, dates) -> pd.DataFrame:
        params = as_of_params(dates, self.tz)
        expr = self.rfm_md_expr(self.tables["orders"], ibis.memtable(params), params)
        return finish(expr.to_pandas(), params, self.tz, RFM_COLUMNS)
