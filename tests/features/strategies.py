"""Hypothesis strategies: small random retailers as validated Tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from repurchase.schema import Tables

EPOCH = pd.Timestamp("2024-01-01")
SPAN_S = 400 * 86_400
TZS = ["Asia/Shanghai", "Europe/London", "UTC", "America/New_York"]
EVENT_TYPES = ["message", "checkin", "share", "coupon_claim", "coupon_redeem", "referral"]
CATEGORIES = ["oil", "rice", "snacks"]


@st.composite
def retailers(draw, max_customers: int = 5, max_orders: int = 12, with_events: bool = True, with_items: bool = True):
    tz = draw(st.sampled_from(TZS))
    n_cust = draw(st.integers(1, max_customers))
    orders, items, events = [], [], []
    oid = 0
    for c in range(n_cust):
        for _ in range(draw(st.integers(0, max_orders))):
            oid += 1
            secs = draw(st.integers(0, SPAN_S))
            cents = draw(st.integers(0, 50_000))
            orders.append({
                "order_id": f"o{oid}", "customer_id": f"c{c}",
                "order_ts": EPOCH + pd.Timedelta(seconds=secs),
                "amount": cents / 100,
                "status": draw(st.sampled_from(["paid", "paid", "paid", "cancelled", "refunded", None])),
                "discount_amount": draw(st.sampled_from([0.0, 0.0, 5.0, 12.5])),
                "coupon_id": draw(st.sampled_from([None, None, "cp1"])),
            })
            if with_items:
                for cat in draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=2)):
                    items.append({"order_id": f"o{oid}", "sku": f"{cat}-1", "quantity": 1.0, "category": cat, "unit_price": 1.0})
        if with_events:
            for _ in range(draw(st.integers(0, 8))):
                secs = draw(st.integers(0, SPAN_S))
                events.append({"customer_id": f"c{c}", "event_ts": EPOCH + pd.Timedelta(seconds=secs),
                               "event_type": draw(st.sampled_from(EVENT_TYPES))})
    if not orders:
        orders.append({"order_id": "o0", "customer_id": "c0", "order_ts": EPOCH, "amount": 1.0, "status": "paid",
                       "discount_amount": 0.0, "coupon_id": None})
    return make_tables(tz, orders, items if with_items else None, events if with_events else None)


def make_tables(tz, orders, items=None, events=None) -> Tables:
    o = pd.DataFrame(orders)
    o["order_ts"] = _local(o["order_ts"], tz)
    o = o.astype({"order_id": "str", "customer_id": "str", "status": "str", "coupon_id": "str"})
    o["amount"] = o["amount"].astype("float64")
    o["discount_amount"] = o["discount_amount"].astype("float64")
    i = None
    if items is not None:  # an empty list is a present, empty table
        i = pd.DataFrame(items, columns=["order_id", "sku", "quantity", "category", "unit_price"])
        i = i.astype({"order_id": "str", "sku": "str", "category": "str", "quantity": "float64", "unit_price": "float64"})
    e = None
    if events is not None:
        e = pd.DataFrame(events, columns=["customer_id", "event_ts", "event_type"])
        e["event_ts"] = _local(e["event_ts"], tz)
        e = e.astype({"customer_id": "str", "event_type": "str"})
    return Tables(orders=o, order_items=i, events=e, timezone=tz)


def _local(naive: pd.Series, tz: str) -> pd.Series:
    return pd.to_datetime(naive).dt.tz_localize(tz, ambiguous=np.zeros(len(naive), dtype=bool), nonexistent="shift_forward").astype(f"datetime64[ns, {tz}]")


as_of_days = st.lists(st.integers(1, 420), min_size=1, max_size=3, unique=True)


def as_of_list(days: list[int]) -> list[str]:
    return [(EPOCH + pd.Timedelta(days=d)).date().isoformat() for d in sorted(days)]
