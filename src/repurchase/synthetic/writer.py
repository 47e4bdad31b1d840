"""Simulate the synthetic retailer step by step and write its tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from repurchase.data.io import write_tables
from repurchase.synthetic.catalog import products_table
from repurchase.synthetic.columns import customer_id_array, id_array
from repurchase.synthetic.customers import (Retailer, assign_referrals, customers_table, ground_truth_table, group_ids,
                                            register_at_first_order)
from repurchase.synthetic.events import (events_table, membership_events, redemption_events, referral_events,
                                         simulate_engagement)
from repurchase.synthetic.order_tables import order_tables
from repurchase.synthetic.orders import simulate_orders
from repurchase.synthetic.spec import SyntheticSpec, month_logit


def generate(spec: SyntheticSpec = SyntheticSpec()) -> dict[str, pd.DataFrame]:
    """Simulate the retailer and return its canonical tables plus ``ground_truth``.

    Returns
    -------
    dict of DataFrame
        ``orders``, ``order_items``, ``customers``, ``events``, ``products``, ``ground_truth``.
    """
    return dict(iter_tables(spec))


def iter_tables(spec: SyntheticSpec = SyntheticSpec()) -> Iterator[tuple[str, pd.DataFrame]]:
    """Like :func:`generate`, one ``(name, frame)`` at a time, so a writer can free each table
    before the next is built (the peak memory of 1M customers roughly halves).

    The steps draw from one generator seeded with ``spec.seed``, always in this order.
    """
    r = Retailer(spec, np.random.default_rng(spec.seed))
    season = month_logit(spec)
    assign_referrals(r)
    engagement, flash = simulate_engagement(r, spec)
    orders = simulate_orders(r, season, engagement, flash)
    event_parts = [engagement, redemption_events(orders, engagement), referral_events(r)]
    register_at_first_order(r, orders)  # after the referrals: they precede the friend's own registration
    event_parts.append(membership_events(r))

    customer_ids = customer_id_array(r.n)
    store_ids = id_array("S", np.arange(1, r.n_stores + 1), 3)
    yield from order_tables(spec, r, orders, customer_ids, store_ids)
    groups = group_ids(r, store_ids)
    yield "customers", customers_table(spec, r, customer_ids, store_ids, groups)
    yield "events", events_table(spec, r, customer_ids, groups, event_parts)
    yield "products", products_table()
    yield "ground_truth", ground_truth_table(spec, r)


def write_synthetic(out: str | Path, spec: SyntheticSpec = SyntheticSpec()) -> dict[str, Path]:
    """Generate and write the synthetic retailer to ``out`` (atomically), with ``dataset.yaml``.

    Returns
    -------
    dict of Path
        The written file of each table, by name.
    """
    meta = {"name": "synthetic private-domain retailer", "timezone": spec.timezone,
            "generator": {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in asdict(spec).items()},
            "ground_truth": "ground_truth.parquet (latent traits; not a canonical table)"}
    return write_tables(iter_tables(spec), out, meta=meta)
