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
* Quintile scores stay per as-of date, but come from the (date, value) frequencies
  (:func:`quintile_table`) instead of rank windows over every row.
* The keyed orders and the feature table are ``.cache()``-d: DuckDB otherwise re-evaluates each
  referenced sub-expression (5 and 4 times here). The union and pivot shapes below are the
  measured-slower alternatives, kept for the record (RESULTS.md, "Multi-date rfm, rewritten").

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


def quintile_table(t: ibis.Table, col: str, out: str, *, descending: bool = False) -> ibis.Table:
    """``quintile`` computed on the distinct values per as-of date instead of on every row: the
    (as_of_key, value) frequencies, a running count of the values before each one, then the same
    arithmetic: ``(rank_min + (ties - 1) / 2) / n``, ``ceil(pct * 5)`` clipped to 1..5. Join it back
    on (as_of_key, col)."""
    f = t.group_by("as_of_key", col).aggregate(ties=t.count())
    order = ibis.desc(col) if descending else ibis.asc(col)
    f = f.mutate(below=f.ties.cumsum(group_by="as_of_key", order_by=order) - f.ties,
                 n=f.ties.sum().over(group_by="as_of_key"))
    pct = (f.below + 1 + (f.ties - 1) / 2.0) / f.n
    return f.select("as_of_key", col, **{out: (pct * 5).ceil().clip(lower=1, upper=5)})


class IbisMultiDate(IbisEngine):
    cache_stages = True
    def rfm_md_expr(self, orders: ibis.Table, asof: ibis.Table, params: pd.DataFrame, *,
                    union: bool = False) -> ibis.Table:
        n = len(params)
        o = self.paid(orders)
        o = o.mutate(entry=key_of(o.ts_s, params["t_s"]),
                     **{f"exit{w}": key_of(o.ts_s, params[f"s{w}"]) for w in ORDER_WINDOWS})
        if self.cache_stages:
            o = o.cache()  # read and key the orders once; the five aggregates below each scan them
        if union:
            return self._md_union(o, asof, n)
        # narrow: one aggregate per key kind, each joined onto the spine grid
        e = o.filter(o.entry < n)
        d = e.group_by("customer_id", as_of_key=e.entry).aggregate(
            n_in=e.count(), c_in=e.cents.sum(), last_s=e.ts_s.max(), first_s=e.ts_s.min(), max_c=e.cents.max())
        firsts = d.group_by("customer_id").aggregate(f=d.as_of_key.min())
        g = (firsts.join(asof, firsts.f <= asof.as_of_key).select("customer_id", "as_of_key", "t_wall")
             .left_join(d, ["customer_id", "as_of_key"]).drop("customer_id_right", "as_of_key_right"))
        measures = ["n_in", "c_in"]
        for w in ORDER_WINDOWS:
            x = o.filter(o[f"exit{w}"] < n)
            x = x.group_by("customer_id", as_of_key=x[f"exit{w}"]).aggregate(
                **{f"n_out{w}": x.count(), f"c_out{w}": x.cents.sum()})
            g = g.left_join(x, ["customer_id", "as_of_key"]).drop("customer_id_right", "as_of_key_right")
            measures += [f"n_out{w}", f"c_out{w}"]
        return self._md_finish(g, measures)

    def _md_union(self, o: ibis.Table, asof: ibis.Table, n: int) -> ibis.Table:
        """The first try: one aggregate over the union of entry and exit rows (slower: wide rows)."""
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
        return self._md_finish(g, measures)

    def _md_finish(self, g: ibis.Table, measures: list[str]) -> ibis.Table:
        """Deltas on the dense (customer, key) spine -> cumulative values -> the rfm columns."""
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
        if self.cache_stages:
            agg = agg.cache()  # a temp table: otherwise the four references below may recompute it
        for col, out, desc in (("days_since_last_order", "r_score", True), ("orders_count", "f_score", False),
                               ("cents_total", "m_score", False)):
            agg = agg.join(quintile_table(agg, col, out, descending=desc), ["as_of_key", col])
        return agg.select("customer_id", "as_of_key", *RFM_COLUMNS)

    def rfm_pivot_expr(self, orders: ibis.Table, params: pd.DataFrame) -> ibis.Table:
        """One pass over the paid orders grouped by customer only, with every (as-of date x
        measure) as a filtered aggregate (the dates are literals: a few dozen per run), then one
        row per (customer, date) by unnesting an array of structs."""
        o = self.paid(orders)
        o = o.filter(o.ts_s < int(params["t_s"].max()))
        aggs, fields = {"first_s": o.ts_s.min()}, []
        for k, row in params.iterrows():
            before = o.ts_s < int(row["t_s"])
            aggs.update({f"n_{k}": o.ts_s.count(where=before), f"c_{k}": o.cents.sum(where=before),
                         f"last_{k}": o.ts_s.max(where=before), f"maxc_{k}": o.cents.max(where=before)})
            for w in ORDER_WINDOWS:
                inside = before & (o.ts_s >= int(row[f"s{w}"]))
                aggs[f"n{w}_{k}"] = o.ts_s.count(where=inside)
                aggs[f"c{w}_{k}"] = o.cents.sum(where=inside)
        wide = o.group_by("customer_id").aggregate(**aggs)
        names = ["n", "c", "last", "maxc", *(f"{p}{w}" for w in ORDER_WINDOWS for p in ("n", "c"))]
        arr = ibis.array([ibis.struct({"as_of_key": ibis.literal(int(k), "int64"),
                                       "t_wall": ibis.literal(int(row["t_wall"]), "int64"),
                                       **{m: wide[f"{m}_{k}"] for m in names}})
                          for k, row in params.iterrows()])
        c = wide.select("customer_id", "first_s", s=arr).unnest("s").unpack("s")
        c = c.filter(c.n > 0)
        windows = {}
        for w in ORDER_WINDOWS:
            windows[f"orders_{w}d"] = c[f"n{w}"]
            windows[f"spend_{w}d"] = c[f"c{w}"].fill_null(0) / 100.0
        agg = c.select(
            "customer_id", "as_of_key",
            days_since_last_order=(c.t_wall - to_wall(c.last, self.tz)) / DAY,
            days_since_first_order=(c.t_wall - to_wall(c.first_s, self.tz)) / DAY,
            orders_count=c.n,
            cents_total=c.c,
            spend_total=c.c / 100.0,
            avg_order_value=c.c / 100.0 / c.n,
            max_order_value=c.maxc / 100.0,
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


class IbisMultiDatePivot(IbisMultiDate):
    """Orders grouped by customer only, every (date x measure) a filtered aggregate (measured slower)."""

    def rfm(self, dates) -> pd.DataFrame:
        params = as_of_params(dates, self.tz)
        expr = self.rfm_pivot_expr(self.tables["orders"], params)
        return finish(expr.to_pandas(), params, self.tz, RFM_COLUMNS)


class IbisMultiDateUnion(IbisMultiDate):
    """The same deltas, but from one aggregate over a wide union (measured slower; kept for the record)."""

    def rfm(self, dates) -> pd.DataFrame:
        params = as_of_params(dates, self.tz)
        expr = self.rfm_md_expr(self.tables["orders"], ibis.memtable(params), params, union=True)
        return finish(expr.to_pandas(), params, self.tz, RFM_COLUMNS)


class IbisOldJoinFreqQuintile(IbisMultiDate):
    """Control: the OLD join-every-order-to-every-later-date aggregate, but with this file's
    cached feature table and frequency quintiles; separates the two changes' effects."""

    def rfm(self, dates) -> pd.DataFrame:
        import ibis_features
        params = as_of_params(dates, self.tz)
        real = ibis_features.quintile
        ibis_features.quintile = lambda t, v, descending=False: ibis.literal(0.0)  # scores added below
        try:
            agg = self.rfm_expr(self.tables["orders"], ibis.memtable(params))
        finally:
            ibis_features.quintile = real
        agg = agg.drop("r_score", "f_score", "m_score").cache()
        # m ranks spend_total (= cents / 100, the same order and ties as the integer cents)
        for col, out, desc in (("days_since_last_order", "r_score", True), ("orders_count", "f_score", False),
                               ("spend_total", "m_score", False)):
            agg = agg.join(quintile_table(agg, col, out, descending=desc), ["as_of_key", col])
        return finish(agg.select("customer_id", "as_of_key", *RFM_COLUMNS).to_pandas(), params, self.tz, RFM_COLUMNS)
