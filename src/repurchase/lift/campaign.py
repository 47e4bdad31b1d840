"""The synthetic retailer learns campaigns: contact an exported list (honouring its control flag)
with a known, heterogeneous true effect, so that lift measurement and uplift ranking can be
checked against the truth."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from repurchase.schema import Tables
from repurchase.spine import as_of_timestamp, shift_days

#: the true effect: P(an extra purchase because of the contact) = base x band x segment x offer
BASE_EFFECT = {"need": 0.10, "recall": 0.15}
BAND_EFFECT = {"high": 0.4, "medium": 1.6, "low": 1.0}  # sure things and lost causes move least
SEGMENT_EFFECT = {"important": 1.5, "general": 0.6}


def true_effect(rows: pd.DataFrame) -> np.ndarray:
    """The simulated effect of contacting each list row (0..1)."""
    base = rows["list"].map(BASE_EFFECT).fillna(0.1).to_numpy(float)
    band = rows["band"].map(BAND_EFFECT).fillna(1.0).to_numpy(float)
    seg = np.where(rows["rfm_segment"].astype(str).str.startswith("important"), SEGMENT_EFFECT["important"],
                   SEGMENT_EFFECT["general"])
    pct = rows["offer_discount_pct"].to_numpy(float) if "offer_discount_pct" in rows.columns else np.zeros(len(rows))
    offer = 1 + pct / 50  # a 50% coupon doubles the effect of a bare reminder
    return np.clip(base * band * seg * offer, 0, 0.95)


def simulate_campaign(tables: Tables, lists: pd.DataFrame, *, window_days: int = 30, seed: int = 0,
                      contact_hour: int = 10) -> tuple[Tables, pd.DataFrame]:
    """Contact every non-control row of ``lists`` at its as-of date and add the orders it causes.

    Returns the new tables (orders with the campaign's orders appended, ``contacts`` with every
    list row: contacted, or held out as control) and the truth per list row: ``effect``,
    ``converted`` (bought because of the contact), ``natural`` (bought in the window anyway),
    ``extra_revenue``.
    """
    rng = np.random.default_rng(seed)
    rows = lists.reset_index(drop=True).copy()
    treated = ~rows["control_group"].astype(bool).to_numpy()
    effect = np.where(treated, true_effect(rows), 0.0)
    converted = rng.random(len(rows)) < effect
    o = tables.paid_orders(["customer_id", "amount"])
    new_orders, contacts, natural, extra = [], [], np.zeros(len(rows), bool), np.zeros(len(rows))
    for (name, as_of), idx in rows.groupby(["list", "as_of"]).groups.items():
        T = as_of_timestamp(str(as_of), tables.timezone)
        ids = rows.loc[idx, "customer_id"]
        in_window = tables.paid_orders_in(T, shift_days(T, window_days), ["customer_id"])["customer_id"]
        natural[idx] = ids.isin(in_window).to_numpy()
        past = tables.paid_orders_in(None, T, ["customer_id", "amount"]).groupby("customer_id")["amount"].median()
        amount = ids.map(past).fillna(float(o["amount"].median())).to_numpy(float)
        sel = np.asarray(idx)[converted[idx]]
        when = T + pd.to_timedelta(rng.uniform(0.05, window_days - 0.05, len(sel)), unit="D")
        pct = rows.loc[sel, "offer_discount_pct"].to_numpy(float) if "offer_discount_pct" in rows.columns else 0.0
        price = amount[converted[idx]]
        extra[sel] = price * (1 - pct / 100)
        new_orders.append(pd.DataFrame({
            "order_id": [f"CAMPAIGN-{name}-{str(as_of)}-{i}" for i in sel], "customer_id": rows.loc[sel, "customer_id"].to_numpy(),
            "order_ts": when.round("s"), "amount": np.round(price * (1 - pct / 100), 2), "status": "paid",
            "discount_amount": np.round(price * pct / 100, 2)}))
        contacts.append(pd.DataFrame({
            "customer_id": ids.to_numpy(), "contacted_ts": T + pd.Timedelta(hours=contact_hour), "list": name,
            "offer": rows.loc[idx, "offer"].to_numpy(), "channel": "wecom", "control_group": ~treated[idx]}))
    add = pd.concat(new_orders, ignore_index=True)
    orders = pd.concat([tables.orders, add.reindex(columns=tables.orders.columns)], ignore_index=True)
    for col in ("order_id", "customer_id", "status"):
        if col in orders.columns:
            orders[col] = orders[col].astype("str")
    orders["order_ts"] = orders["order_ts"].dt.tz_convert(tables.timezone)
    contact = pd.concat(contacts, ignore_index=True)
    if tables.contacts is not None:
        contact = pd.concat([tables.contacts, contact], ignore_index=True)
    truth = rows[["customer_id", "as_of", "list", "band", "rfm_segment", "offer", "control_group"]].assign(
        effect=effect, converted=converted, natural=natural, extra_revenue=extra)
    return dataclasses.replace(tables, orders=orders, contacts=contact), truth
