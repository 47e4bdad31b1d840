"""Labels as queries: paid orders in [T, T + horizon) and, for churn's "active", in [T - A, T),
windows in local calendar days.

An order at ``ts`` is before T for the dates from its entry key on, and before T + h for the dates
from its key on the forward bounds (``#{k: T_k + h <= ts}``, a window of ``-h`` days in the as-of
table). So per customer and date, orders in [T, T + h) = running count of the forward keys minus
running count of the entry keys: integers, one pass over the orders whatever the dates.
"""

from __future__ import annotations

import ibis
import numpy as np

from repurchase.engine._keys import cumulative, entry_key, exit_key, keyed_counts, left_join
from repurchase.engine.session import Session


def label_query(s: Session, horizon_days: int, active_days: int | None) -> ibis.Table:
    """The spine (``_row``) with ``orders_ahead`` in [T, T + horizon) and, with ``active_days``,
    ``orders_active`` in [T - active_days, T)."""
    o = s.paid_orders()
    n = s.n_dates
    deltas = [keyed_counts(o, entry_key(o.ts_s, s), n, before=lambda r: r.count()),
              keyed_counts(o, exit_key(o.ts_s, s, -horizon_days), n, before_end=lambda r: r.count())]
    sums = ["before", "before_end"]
    if active_days is not None:
        deltas.append(keyed_counts(o, exit_key(o.ts_s, s, active_days), n, before_start=lambda r: r.count()))
        sums.append("before_start")
    x = left_join(s.spine, cumulative(deltas, s.asof, sums=sums))
    before = x.before.fill_null(0)
    cols = {"orders_ahead": (x.before_end.fill_null(0) - before).cast("float64")}
    if active_days is not None:
        cols["orders_active"] = (before - x.before_start.fill_null(0)).cast("float64")
    return x.select("_row", **cols)


def label_counts(s: Session, horizon_days: int, active_days: int | None = None) -> dict[str, np.ndarray]:
    """``orders_ahead`` (and ``orders_active``) per spine row (float64, spine order)."""
    names = ["orders_ahead", *(["orders_active"] if active_days is not None else [])]
    return s.columns(("labels", horizon_days, active_days), lambda _s, _i: label_query(s, horizon_days, active_days),
                     names)
