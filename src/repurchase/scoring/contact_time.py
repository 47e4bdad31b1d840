"""The best hour to contact each customer: learned from when they engage and buy, falling back
to their store's peak hour, then the population's."""

from __future__ import annotations

import numpy as np
import pandas as pd

from repurchase.features._timeline import epoch_seconds
from repurchase.schema import Tables
from repurchase.spine import CustomerIndex


def _touches(tables: Tables, t: int) -> tuple[pd.Series, np.ndarray, pd.Series | None]:
    """Customer ids, local hours and store ids of paid orders and events strictly before ``t``."""
    o = tables.paid_orders(["customer_id", "order_ts", "store_id"])
    o = o.loc[epoch_seconds(o["order_ts"]) < t]
    ids, hours = [o["customer_id"]], [o["order_ts"].dt.hour.to_numpy()]
    stores = o["store_id"] if "store_id" in o.columns else None
    if tables.events is not None:
        e = tables.events
        e = e.loc[epoch_seconds(e["event_ts"]) < t]
        ids.append(e["customer_id"])
        hours.append(e["event_ts"].dt.hour.to_numpy())
    return pd.concat(ids, ignore_index=True), np.concatenate(hours).astype(np.int64), stores


def best_contact_hour(tables: Tables, customer_ids: pd.Series, as_of: pd.Timestamp,
                      min_touches: int = 3) -> pd.DataFrame:
    """Per customer: ``best_contact_hour`` (0-23, local) and ``contact_hour_source``.

    ``own``: the most frequent hour of the customer's orders and engagement events before T (ties
    go to the earlier hour), when they have at least ``min_touches``; ``store``: the peak hour of
    orders at the customer's store (``customers.store_id``, else their most frequent order store);
    ``population``: the peak hour of all orders and events before T.
    """
    t = int(epoch_seconds(pd.Series([as_of]))[0])
    index = CustomerIndex.from_tables(tables, include_events=True)
    ids, hours, order_stores = _touches(tables, t)
    codes = index.codes(ids)
    n = index.n_codes
    counts = np.bincount(codes * 24 + hours, minlength=n * 24).reshape(n, 24)
    q = index.codes(customer_ids.reset_index(drop=True))
    mine = counts[q]
    hour = mine.argmax(axis=1)
    source = np.where(mine.sum(axis=1) >= min_touches, "own", "")
    population_peak = int(np.bincount(hours, minlength=24).argmax()) if len(hours) else 12

    store = _customer_store(tables, order_stores, t)
    if store is not None:
        o = tables.paid_orders(["order_ts", "store_id"])
        o = o.loc[(epoch_seconds(o["order_ts"]) < t) & o["store_id"].notna()]
        peaks = o.assign(hour=o["order_ts"].dt.hour).groupby(["store_id", "hour"]).size()
        peak = peaks.reset_index(name="n").sort_values(["store_id", "n", "hour"], ascending=[True, False, True]) \
            .drop_duplicates("store_id").set_index("store_id")["hour"]
        s_hour = store.reindex(customer_ids.to_numpy()).map(peak).to_numpy()
        use = (source == "") & pd.notna(s_hour)
        hour = np.where(use, s_hour, hour)
        source = np.where(use, "store", source)
    rest = source == ""
    hour = np.where(rest, population_peak, hour)
    source = np.where(rest, "population", source)
    return pd.DataFrame({"best_contact_hour": hour.astype(np.int64), "contact_hour_source": source})


def _customer_store(tables: Tables, order_stores: pd.Series | None, t: int) -> pd.Series | None:
    """customer_id -> store: the customers table's store, else the store of most orders before T."""
    parts = []
    c = tables.customers
    if c is not None and "store_id" in c.columns:
        parts.append(c.dropna(subset=["store_id"]).drop_duplicates("customer_id").set_index("customer_id")["store_id"])
    if order_stores is not None:
        o = tables.paid_orders(["customer_id", "order_ts", "store_id"])
        o = o.loc[(epoch_seconds(o["order_ts"]) < t) & o["store_id"].notna()]
        top = o.groupby(["customer_id", "store_id"]).size().reset_index(name="n") \
            .sort_values(["customer_id", "n", "store_id"], ascending=[True, False, True]).drop_duplicates("customer_id")
        parts.append(top.set_index("customer_id")["store_id"])
    if not parts:
        return None
    out = parts[0]
    for p in parts[1:]:
        out = out.combine_first(p)
    return out
