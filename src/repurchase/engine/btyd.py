"""The buy-till-you-die summary as a query: per spine row, the BG/NBD ``frequency``, ``recency``
and ``T`` in local calendar days from paid orders strictly before T.

A purchase day is stamped at its first order; it counts at the dates after that instant (entry
keys, :mod:`repurchase.engine._keys`), so the number of days, the first and the last day are
running values over the as-of dates, as the rfm counts are.
"""

from __future__ import annotations

import ibis
import numpy as np

from repurchase.engine._keys import cumulative, entry_key, keyed_counts, left_join
from repurchase.engine._time import DAY_S
from repurchase.engine.session import Session

SUMMARY = ["frequency", "recency", "T"]


def btyd_query(s: Session) -> ibis.Table:
    """The spine (``_row``) with ``frequency`` (purchase days - 1), ``recency`` (last - first
    purchase day) and ``T`` (the as-of day - first purchase day); null without a purchase."""
    o = s.paid_orders()
    o = o.mutate(day=s.wall(o.ts_s) // DAY_S)
    days = o.group_by("customer_id", "day").aggregate(ts_s=o.ts_s.min())
    delta = keyed_counts(days, entry_key(days.ts_s, s), s.n_dates, n_days=lambda r: r.count(),
                         first_day=lambda r: r.day.min(), last_day=lambda r: r.day.max())
    x = left_join(s.spine, cumulative([delta], s.asof, sums=["n_days"], maxes=["last_day"], mins=["first_day"]))
    bought = x.n_days.fill_null(0) > 0
    return x.select("_row", frequency=ibis.ifelse(bought, x.n_days - 1, ibis.null("int64")).cast("float64"),
                    recency=(x.last_day - x.first_day).cast("float64"),
                    T=(x.t_wall // DAY_S - x.first_day).cast("float64"))


def btyd_columns(s: Session) -> dict[str, np.ndarray]:
    """``frequency``, ``recency``, ``T`` (float64, spine order, NaN without a purchase)."""
    return s.columns(("btyd",), lambda _strs, _ints: btyd_query(s), SUMMARY)
