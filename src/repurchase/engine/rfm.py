"""RFM as queries: recency, frequency and spend, all-time and per window, and the quintile scores.

Per customer, entries and window exits of paid orders are counted per as-of key
(:mod:`repurchase.engine._keys`) and accumulated over the dates; the spine then takes its rows.
Cents, counts and epoch seconds stay integers until the final divisions, which are the numpy
path's operations in the same order, so the values are identical to it.
"""

from __future__ import annotations

import ibis
import numpy as np

from repurchase.engine._keys import cumulative, entry_key, exit_key, keyed_counts, left_join, quintile_table
from repurchase.engine._time import DAY_S
from repurchase.engine.session import Session

#: a missing recency ranks as the least recent (the numpy path ranked it as +inf)
_NEVER = 1e300


def rfm_names(windows: list[int]) -> list[str]:
    """The rfm columns in output order."""
    return ["days_since_last_order", "days_since_first_order", "orders_count", *(f"orders_{w}d" for w in windows),
            "spend_total", *(f"spend_{w}d" for w in windows), "avg_order_value", "max_order_value",
            "r_score", "f_score", "m_score"]


def rfm_query(s: Session, windows: list[int]) -> ibis.Table:
    """The rfm columns on the spine (with ``_row``)."""
    o = s.paid_orders()
    n = s.n_dates
    deltas = [keyed_counts(o, entry_key(o.ts_s, s), n, n_in=lambda r: r.count(),
                           c_in=lambda r: r.cents.sum(), last_s=lambda r: r.ts_s.max(),
                           first_s=lambda r: r.ts_s.min(), max_c=lambda r: r.cents.max())]
    for w in windows:
        deltas.append(keyed_counts(o, exit_key(o.ts_s, s, w), n, **{
            f"n_out{w}": lambda r: r.count(), f"c_out{w}": lambda r: r.cents.sum()}))
    sums = ["n_in", "c_in", *(f"{p}{w}" for w in windows for p in ("n_out", "c_out"))]
    c = cumulative(deltas, s.asof, sums=sums, maxes=["last_s", "max_c"], mins=["first_s"])
    x = left_join(s.spine, c)
    n_in, c_in = x.n_in.fill_null(0), x.c_in.fill_null(0)
    cols = {
        "days_since_last_order": (x.t_wall - s.wall(x.last_s)) / DAY_S,
        "days_since_first_order": (x.t_wall - s.wall(x.first_s)) / DAY_S,
        "orders_count": n_in.cast("float64"),
    }
    for w in windows:
        cols[f"orders_{w}d"] = (n_in - x[f"n_out{w}"].fill_null(0)).cast("float64")
    cols["spend_total"] = c_in / 100.0
    for w in windows:
        cols[f"spend_{w}d"] = (c_in - x[f"c_out{w}"].fill_null(0)) / 100.0
    cols["avg_order_value"] = ibis.ifelse(n_in > 0, c_in / 100.0 / n_in, ibis.null("float64"))
    cols["max_order_value"] = x.max_c / 100.0
    f = s.cache(x.select("customer_id", "as_of_key", "_row", **cols, _cents=c_in))
    f = f.mutate(_recency=f.days_since_last_order.fill_null(_NEVER))
    for col, out, desc in (("_recency", "r_score", True), ("orders_count", "f_score", False),
                           ("_cents", "m_score", False)):
        f = f.join(quintile_table(f, col, out, descending=desc), ["as_of_key", col])
        f = f.drop(*[c for c in f.columns if c.endswith("_right")])
    return f


def rfm_columns(s: Session, windows: list[int]) -> dict[str, np.ndarray]:
    """The rfm group's columns (float64, spine order)."""
    return s.columns(("rfm", tuple(windows)), lambda _strs, _ints: rfm_query(s, windows), rfm_names(windows))
