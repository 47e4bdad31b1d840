"""Many as-of dates without joining every row to every date.

A row at epoch second ``ts`` gets an **entry key**, the index of the first as-of date after it
(``#{k: t_k <= ts}``), and per window w an **exit key**, the first date whose window start is
after it (``#{k: s_w(k) <= ts}``). The row counts at date k when ``entry <= k`` and is inside the
window ``[T - w, T)`` when ``entry <= k < exit_w``. So per customer, a windowed count is the
running count of entries minus the running count of exits: aggregates per (customer, key), then
cumulative windows over each customer's dates. No row is ever repeated, whatever the number of
dates, and every intermediate is an integer, so the results are exact.
"""

from __future__ import annotations

from typing import Sequence

import ibis

KEYS = ["customer_id", "as_of_key"]


@ibis.udf.agg.builtin(name="quantile_disc")
def _quantile_disc(x: float, q: float) -> float:
    """DuckDB's discrete quantile: the lower middle value at q = 0.5."""


def median(t: ibis.Table, group: list[str], value: str, *, duckdb: bool) -> ibis.Table:
    """Exact median of ``value`` (non-null) per ``group`` as ``_med``, as numpy's: the middle
    value, or the mean of the two middle values (for an odd count both are the middle value, and
    (v + v) / 2 = v).

    On DuckDB the two middles are aggregates (the lower of x and of -x), which need no sort of
    the whole input; elsewhere (Spark has no discrete quantile) they are picked by row number.
    """
    t = t.filter(t[value].notnull())
    if duckdb:
        m = t.group_by(group).aggregate(_lo=_quantile_disc(t[value], 0.5), _hi=-_quantile_disc(-t[value], 0.5))
    else:
        t = t.mutate(_i=ibis.row_number().over(group_by=group, order_by=value),
                     _c=t[value].count().over(group_by=group))
        lo = t[value].max(where=(2 * t._i == t._c - 1) | (2 * t._i == t._c - 2))
        hi = t[value].max(where=(2 * t._i == t._c - 1) | (2 * t._i == t._c))
        m = t.group_by(group).aggregate(_lo=lo, _hi=hi)
    return m.select(*group, _med=(m._lo + m._hi) / 2.0)


def key_of(ts: ibis.Value, bounds: Sequence[int]) -> ibis.Value:
    """How many of the ascending ``bounds`` (epoch seconds) are <= ``ts``: 0..len(bounds)."""
    return sum(((ts >= int(b)).cast("int64") for b in bounds), ibis.literal(0, "int64"))


def entry_key(ts: ibis.Value, s) -> ibis.Value:
    """The first as-of date after ``ts`` (``s``: the :class:`~repurchase.engine.session.Session`)."""
    return key_of(ts, s.bounds("t_s"))


def exit_key(ts: ibis.Value, s, days: int) -> ibis.Value:
    """The first as-of date whose ``days``-day window starts after ``ts``."""
    return key_of(ts, s.bounds(f"s{days}"))


def keyed_counts(rows: ibis.Table, key: ibis.Value, n_dates: int, **aggregates) -> ibis.Table:
    """Aggregates of ``rows`` per (customer, key), for keys that fall on an as-of date; each
    aggregate is a function of the keyed table (``lambda r: r.cents.sum()``)."""
    r = rows.mutate(_k=key)
    r = r.filter(r._k < n_dates)
    return r.group_by("customer_id", as_of_key=r._k).aggregate(**{k: f(r) for k, f in aggregates.items()})


def left_join(left: ibis.Table, right: ibis.Table, on: list[str] = KEYS) -> ibis.Table:
    """``left`` with ``right``'s other columns (no ``_right`` duplicates of the keys)."""
    j = left.left_join(right, on)
    return j.drop(*[f"{k}_right" for k in on if f"{k}_right" in j.columns])


def cumulative(deltas: Sequence[ibis.Table], asof: ibis.Table, *, sums: Sequence[str] = (),
               maxes: Sequence[str] = (), mins: Sequence[str] = ()) -> ibis.Table:
    """Running values per customer over the as-of dates from the per-(customer, key) ``deltas``.

    The grid is every (customer, date) from the customer's first key on; each delta table is
    left-joined onto it and ``sums`` become running sums (missing = 0), ``maxes``/``mins``
    running maxima/minima (missing until the first value).
    """
    firsts = ibis.union(*[d.select("customer_id", "as_of_key") for d in deltas], distinct=False)
    firsts = firsts.group_by("customer_id").aggregate(_first=firsts.as_of_key.min())
    g = firsts.join(asof, firsts._first <= asof.as_of_key).select("customer_id", "as_of_key")
    for d in deltas:
        g = left_join(g, d)
    win = dict(group_by="customer_id", order_by="as_of_key")
    cols = {c: g[c].fill_null(0).cumsum(**win) for c in sums}
    cols.update({c: g[c].cummax(**win) for c in maxes})
    cols.update({c: g[c].cummin(**win) for c in mins})
    return g.select("customer_id", "as_of_key", **cols)


def quintile_table(t: ibis.Table, col: str, out: str, *, descending: bool = False) -> ibis.Table:
    """1..5 by average-tie percentile rank of ``col`` within each as-of date, as pandas
    ``rank(pct=True, method="average")`` then ``ceil(pct * 5)``: computed on the (date, value)
    frequencies, not on every row. Join it back on ``(as_of_key, col)``."""
    f = t.group_by("as_of_key", col).aggregate(_ties=t.count())
    order = ibis.desc(col) if descending else ibis.asc(col)
    f = f.mutate(_below=f._ties.cumsum(group_by="as_of_key", order_by=order) - f._ties,
                 _n=f._ties.sum().over(group_by="as_of_key"))
    pct = (f._below + 1 + (f._ties - 1) / 2.0) / f._n
    return f.select("as_of_key", col, **{out: (pct * 5).ceil().clip(lower=1, upper=5).cast("float64")})


def round_half_even(x: ibis.Value) -> ibis.Value:
    """``numpy.round``: halves go to the even neighbour (SQL ``ROUND`` takes them away from zero)."""
    lo = x.floor()
    frac = x - lo  # exact for |x| < 2**52
    up = ibis.cases((frac > 0.5, lo + 1), (frac < 0.5, lo), else_=lo + (lo % 2))
    return up.cast("int64")
