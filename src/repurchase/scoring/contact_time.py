"""The best hour to contact each customer: learned from when they engage and buy, falling back
to their store's peak hour, then the population's. Integer codes throughout (1M customers)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from repurchase._arrow import index_in
from repurchase._timeline import epoch_seconds
from repurchase.schema import Tables, paid_mask
from repurchase.spine import AsOf, AsOfContext


def _peak(counts: np.ndarray) -> np.ndarray:
    """Most frequent hour per row (ties: the earlier hour)."""
    return counts.argmax(axis=1)


def _touches(frame: pd.DataFrame, ts_col: str, ids: pd.Series, t: int, sel: np.ndarray | None = None):
    """(position among ``ids``, local hour) of the rows of ``frame`` before epoch second ``t``
    (or of the rows ``sel``)."""
    sel = epoch_seconds(frame[ts_col]) < t if sel is None else sel
    return index_in(frame["customer_id"], ids)[sel], frame[ts_col].dt.hour.to_numpy(dtype=np.int64)[sel]


def best_contact_hour(tables: Tables, customer_ids: pd.Series, as_of: AsOf | AsOfContext,
                      min_touches: int = 3) -> pd.DataFrame:
    """Per customer: ``best_contact_hour`` (0-23, local) and ``contact_hour_source``.

    ``own``: the most frequent hour of the customer's paid orders and engagement events before T
    (ties go to the earlier hour), when they have at least ``min_touches``; ``store``: the peak
    hour of orders at the customer's store (``customers.store_id``, else the store of most of
    their orders); ``population``: the peak hour of all orders and events before T.
    """
    ids = customer_ids.reset_index(drop=True)
    n = len(ids)
    t = AsOfContext.of(as_of, tables.timezone).seconds
    # masks and integer codes over whole columns: copying 30M+ id strings to filter them first
    # was the scoring run's memory peak at 1M customers
    orders = tables.orders
    with ThreadPoolExecutor(1) as pool:
        # the events' id lookup (hashing millions of ids, in C++ without the GIL) beside the orders'
        events = pool.submit(_touches, tables.events, "event_ts", ids, t) if tables.events is not None else None
        sel = paid_mask(orders) & (epoch_seconds(orders["order_ts"]) < t)
        o_q, o_hour = _touches(orders, "order_ts", ids, t, sel)
        qs, hours = [o_q], [o_hour]
        if events is not None:
            e_q, e_hour = events.result()
            qs.append(e_q)
            hours.append(e_hour)
    q, h = np.concatenate(qs), np.concatenate(hours)
    population_peak = int(np.bincount(h, minlength=24).argmax()) if len(h) else 12
    mine = np.bincount(q[q >= 0] * 24 + h[q >= 0], minlength=n * 24).reshape(n, 24)
    hour = _peak(mine)
    source = np.where(mine.sum(axis=1) >= min_touches, "own", "").astype(object)

    if "store_id" in orders.columns:
        stores = pd.Index(orders.loc[sel, "store_id"].dropna().unique())
        if len(stores):
            s_code = index_in(orders["store_id"], stores)[sel]
            ok = s_code >= 0
            store_peak = _peak(np.bincount(s_code[ok] * 24 + o_hour[ok], minlength=len(stores) * 24).reshape(-1, 24))
            cust_store = np.full(n, -1)
            # the store of most of the customer's orders (ties: the first store seen) ...
            listed = ok & (o_q >= 0)
            if listed.any():
                key, cnt = np.unique(o_q[listed] * len(stores) + s_code[listed], return_counts=True)
                kq, ks = key // len(stores), key % len(stores)
                order = np.lexsort((ks, -cnt, kq))
                kq, ks = kq[order], ks[order]
                firsts = np.r_[True, kq[1:] != kq[:-1]]
                cust_store[kq[firsts]] = ks[firsts]
            # ... unless the customers table names one
            c = tables.customers
            if c is not None and "store_id" in c.columns:
                cq = index_in(c["customer_id"], ids)
                cs = index_in(c["store_id"], stores)
                fix = (cq >= 0) & (cs >= 0)
                cust_store[cq[fix]] = cs[fix]
            use = (source == "") & (cust_store >= 0)
            hour = np.where(use, store_peak[np.maximum(cust_store, 0)], hour)
            source = np.where(use, "store", source)
    rest = source == ""
    hour = np.where(rest, population_peak, hour)
    source = np.where(rest, "population", source)
    return pd.DataFrame({"best_contact_hour": hour.astype(np.int64), "contact_hour_source": source.astype(str)})
