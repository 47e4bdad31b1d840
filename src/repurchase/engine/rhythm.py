"""Purchase rhythm as queries: the gaps between a customer's paid orders, the median of the last
ten, the 90-day order trend and the preferred weekday and hour.

Each paid order gets its gap from the customer's previous order on the business wall clock, in
whole seconds, and its entry key (:mod:`repurchase.engine._keys`); per customer and date the
running order count, sum of squared gaps and first and last order give the mean and standard
deviation. A gap is among the last ten before T from its order's entry key up to the entry key of
the tenth order after it, so it is joined to those dates only (at most ten gaps per customer and
date). The modes count orders per (customer, weekday or hour, entry key) and accumulate over the
dates. Seconds and counts stay integers until the final divisions, which are the numpy path's
operations in the same order, so the values are identical to it.

The due ratio compares each customer's mean gap with the population's at the same date: it is
computed on the finished columns (:mod:`repurchase.features.rhythm`) from ``gap_mean_days`` and
``_n_gaps``.
"""

from __future__ import annotations

import ibis
import numpy as np

from repurchase.engine._keys import KEYS, cumulative, entry_key, key_of, keyed_counts, left_join, median
from repurchase.engine._time import DAY_S
from repurchase.engine.session import Session
from repurchase.spine import shifted_seconds

#: the gaps the recent median reads
LAST_GAPS = 10
#: the trend compares orders in [T - 90, T) with those in [T - 180, T - 90)
TREND = (90, 180)
NAMES = ["gap_mean_days", "gap_std_days", "gap_median_last10_days", "orders_trend_90d", "preferred_weekday",
         "preferred_hour", "_n_gaps"]
_NULL = ibis.null("float64")


def rhythm_columns(s: Session) -> dict[str, np.ndarray]:
    """The rhythm group's query columns (float64, spine order) and ``_n_gaps``, each row's number
    of gaps before T. A trend window the as-of table lacks has its starts passed as run values."""
    extra = [w for w in TREND if f"s{w}" not in s.asof_df.columns]
    t = s.asof_df["t_s"].to_numpy()
    ints = [int(v) for w in extra for v in shifted_seconds(t, s.tz, -w)]

    def build(_strs, run_ints):
        n = s.n_dates
        starts = {w: s.bounds(f"s{w}") for w in TREND if w not in extra}
        starts.update({w: run_ints[i * n:(i + 1) * n] for i, w in enumerate(extra)})
        return _columns(s, starts)

    return s.columns(("rhythm", tuple(extra)), build, NAMES, ints=ints)


def _orders(s: Session) -> ibis.Table:
    """Paid orders with their wall-clock second, gap in seconds (null on a customer's first),
    entry key ``_e`` and the entry key ``_x`` of the tenth order after (``n_dates`` for none)."""
    o = s.paid_orders(with_order_id=True)
    o = o.select("customer_id", "order_id", "ts_s", wall=s.wall(o.ts_s))
    # with tied seconds the gaps and the tenth next second are the same whichever tied order comes first
    w = ibis.window(group_by="customer_id", order_by=["ts_s", "order_id"])
    o = o.select("customer_id", "ts_s", "wall", gap=o.wall - o.wall.lag().over(w),
                 _next=o.ts_s.lead(LAST_GAPS).over(w))
    n = s.n_dates
    nxt = ibis.ifelse(o._next.isnull(), ibis.literal(n, "int64"), entry_key(o._next.fill_null(0), s))
    return s.cache(o.select("customer_id", "ts_s", "wall", "gap", _e=entry_key(o.ts_s, s), _x=nxt))


def _running(s: Session, o: ibis.Table, starts: dict) -> ibis.Table:
    """Per (customer, date): orders, the sum of squared gaps, first and last order, and the window
    exits of the trend."""
    n = s.n_dates
    deltas = [keyed_counts(o, o._e, n, n_in=lambda r: r.count(), ss=lambda r: (r.gap * r.gap).sum(),
                           first_s=lambda r: r.ts_s.min(), last_s=lambda r: r.ts_s.max())]
    for w in TREND:
        deltas.append(keyed_counts(o, key_of(o.ts_s, starts[w]), n, **{f"n_out{w}": lambda r: r.count()}))
    return cumulative(deltas, s.asof, sums=["n_in", "ss", *(f"n_out{w}" for w in TREND)], maxes=["last_s"],
                      mins=["first_s"])


def _recent(s: Session, o: ibis.Table) -> ibis.Table:
    """Per (customer, date): ``recent``, the median of the last (up to) ten gaps before T in days."""
    g = o.filter(o.gap.notnull(), o._e < o._x)
    k = s.asof.select("as_of_key")
    j = g.join(k, (k.as_of_key >= g._e) & (k.as_of_key < g._x))
    j = j.select("customer_id", "as_of_key", _v=j.gap / DAY_S)
    m = median(j, KEYS, "_v", duckdb=s.planned)
    return m.select(*KEYS, recent=m._med)


def _mode(s: Session, o: ibis.Table, label: ibis.Value, name: str) -> ibis.Table:
    """Per (customer, date): ``name``, the most frequent ``label`` of the orders before T (lowest
    on ties), from running counts per (customer, label) over the dates."""
    n = s.n_dates
    a = o.mutate(_l=label)
    a = a.filter(a._e < n)
    a = a.group_by("customer_id", "_l", as_of_key=a._e).aggregate(_n=a.count())
    firsts = a.group_by("customer_id", "_l").aggregate(_first=a.as_of_key.min())
    k = s.asof.select("as_of_key")
    g = firsts.join(k, firsts._first <= k.as_of_key).select("customer_id", "_l", "as_of_key")
    g = left_join(g, a, ["customer_id", "_l", "as_of_key"])
    g = g.mutate(_c=g._n.fill_null(0).cumsum(group_by=["customer_id", "_l"], order_by="as_of_key"))
    g = g.mutate(_i=ibis.row_number().over(group_by=KEYS, order_by=[ibis.desc("_c"), "_l"]))
    return g.filter(g._i == 0).select(*KEYS, **{name: g._l})


def _columns(s: Session, starts: dict) -> ibis.Table:
    """The spine (``_row``) with the rhythm columns."""
    o = _orders(s)
    x = left_join(s.spine, _running(s, o, starts))
    x = left_join(x, _recent(s, o))
    # 1970-01-01 was a Thursday: weekday 3 with Monday = 0
    x = left_join(x, _mode(s, o, (o.wall // DAY_S + 3) % 7, "weekday"))
    x = left_join(x, _mode(s, o, (o.wall % DAY_S) // 3600, "hour"))
    n_in = x.n_in.fill_null(0)
    n_gaps = ibis.greatest(n_in - 1, 0)
    mean = ibis.ifelse(n_gaps >= 1, (s.wall(x.last_s) - s.wall(x.first_s)) / DAY_S / n_gaps, _NULL)
    mean_s = mean * DAY_S
    ss = x.ss.fill_null(0).cast("int64").cast("float64")
    var = (ss / n_gaps - mean_s * mean_s) / (DAY_S * DAY_S)
    last90 = n_in - x.n_out90.fill_null(0)
    prev90 = x.n_out90.fill_null(0) - x.n_out180.fill_null(0)
    return x.select(
        "_row",
        gap_mean_days=mean,
        gap_std_days=ibis.ifelse(n_gaps >= 2, ibis.greatest(var, 0.0).sqrt(), _NULL),
        gap_median_last10_days=x.recent,
        orders_trend_90d=ibis.ifelse(last90 + prev90 > 0, (last90 - prev90) / (last90 + prev90), 0.0),
        preferred_weekday=x.weekday.cast("float64"),
        preferred_hour=x.hour.cast("float64"),
        _n_gaps=n_gaps.cast("float64"),
    )
