"""Simulate the synthetic retailer block of customers by block, and write its tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from pathlib import Path
from typing import Iterator, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
from tqdm.auto import tqdm

from repurchase._arrow import release_memory
from repurchase.data.io import write_tables
from repurchase.synthetic.catalog import products_table
from repurchase.synthetic.columns import BlockIds, customer_id_array, store_id_array
from repurchase.synthetic.customers import (Retailer, assign_referrals, customers_table, ground_truth_table, group_ids,
                                            members_per_store, register_at_first_order)
from repurchase.synthetic.events import (events_table, membership_events, redemption_events, referral_events,
                                         simulate_engagement)
from repurchase.synthetic.order_tables import order_tables
from repurchase.synthetic.orders import simulate_orders
from repurchase.synthetic.spec import SyntheticSpec, month_logit


class Block(NamedTuple):
    """Customers ``start .. start + n - 1`` of the retailer, the ``index``-th block."""

    index: int
    start: int
    n: int


def blocks(spec: SyntheticSpec) -> list[Block]:
    """The retailer's customer blocks of ``spec.block_customers`` (the last one may be smaller)."""
    size = spec.block_customers
    return [Block(i, s, min(size, spec.customers - s)) for i, s in enumerate(range(0, spec.customers, size))]


def block_rng(spec: SyntheticSpec, block: Block) -> np.random.Generator:
    """The random generator of one block, from ``spec.seed`` and the block's index alone.

    Block 0 draws the root stream of ``spec.seed`` (as ``default_rng(seed)``), so a retailer of
    one block is the data of the one-generator simulator; block ``b > 0`` draws the ``b``-th
    child of that seed (``SeedSequence(seed).spawn``), independent of every other block.
    """
    key = () if block.index == 0 else (block.index,)
    return np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=key))


def generate(spec: SyntheticSpec = SyntheticSpec()) -> dict[str, pd.DataFrame]:
    """Simulate the retailer and return its canonical tables plus ``ground_truth``, in memory.

    Returns
    -------
    dict of DataFrame
        ``orders``, ``order_items``, ``customers``, ``events``, ``products``, ``ground_truth``
        (the blocks of each table one after the other).
    """
    parts: dict[str, list[pd.DataFrame]] = {}
    for name, frame in iter_tables(spec):
        parts.setdefault(name, []).append(frame)
    return {name: f[0] if len(f) == 1 else pd.concat(f, ignore_index=True) for name, f in parts.items()}


def iter_tables(spec: SyntheticSpec = SyntheticSpec(), progress: bool = False) -> Iterator[tuple[str, pd.DataFrame]]:
    """Like :func:`generate`, one ``(name, frame)`` at a time, block by block: memory follows
    ``spec.block_customers``, not ``spec.customers``.

    Each block simulates its own customers from its own generator (:func:`block_rng`); within a
    block the steps draw in a fixed order. A retailer of at most one block is the same rows,
    whatever the block size. The blocks share the stores and their groups (a store's group count
    is from its members in every block); customer, order and coupon numbers run on across blocks.

    What links customers stays inside a block: a referred friend's referrer is a customer of the
    same block. Rows are in time order within a block (``orders``, ``events``), and the blocks
    follow one another in customer order, so a table of several blocks is not sorted by time.

    Parameters
    ----------
    spec : SyntheticSpec
        The retailer.
    progress : bool
        Show a progress bar over the blocks on stderr (only when there are several).

    Yields
    ------
    (str, DataFrame)
        Per block: ``orders``, ``order_items``, ``customers``, ``events``, ``products`` (first
        block only), ``ground_truth``.
    """
    parts = blocks(spec)
    members = None
    if len(parts) > 1:  # a first pass over the traits: every block's group members, per store
        members = sum(members_per_store(Retailer(spec, block_rng(spec, b), b.n)) for b in parts)
    store_ids = store_id_array(spec.n_stores)
    # one width for every block: an order every 10 days per customer is ~6x the simulated rate
    width = None if len(parts) == 1 else max(9, len(str(spec.customers * spec.days // 10)))
    seen = [0, 0]  # orders and engagement events of the blocks before
    bar = tqdm(parts, desc="customer blocks", unit="block", disable=not progress or len(parts) == 1, leave=False)
    for b in bar:
        yield from _block_tables(spec, b, members, store_ids, width, seen)
        release_memory()  # Arrow's pool would keep the block's buffers for the next one


def _block_tables(spec: SyntheticSpec, block: Block, members: np.ndarray | None, store_ids: pa.Array, width: int | None,
                  seen: list[int]) -> Iterator[tuple[str, pd.DataFrame]]:
    """The tables of one block; ``seen`` (orders, events so far) is advanced past it."""
    r = Retailer(spec, block_rng(spec, block), block.n)
    season = month_logit(spec)
    assign_referrals(r)
    engagement, flash = simulate_engagement(r, spec)
    orders = simulate_orders(r, season, engagement, flash)
    event_parts = [engagement, redemption_events(orders, engagement), referral_events(r)]
    register_at_first_order(r, orders)  # after the referrals: they precede the friend's own registration
    event_parts.append(membership_events(r))

    customer_ids = customer_id_array(spec.customers, block.start, block.start + block.n)
    ids = BlockIds(customer_ids, store_ids, first_order=seen[0], order_width=width, first_coupon=seen[1])
    seen[0] += len(orders)
    seen[1] += len(engagement)
    yield from order_tables(spec, r, orders, ids)
    del orders
    groups = group_ids(r, store_ids, members)
    yield "customers", customers_table(spec, r, customer_ids, store_ids, groups)
    yield "events", events_table(spec, r, customer_ids, groups, event_parts)
    del event_parts, engagement
    if block.index == 0:
        yield "products", products_table()
    yield "ground_truth", ground_truth_table(spec, r, customer_ids)


def write_synthetic(out: str | Path, spec: SyntheticSpec = SyntheticSpec(), progress: bool = False) -> dict[str, Path]:
    """Generate and write the synthetic retailer to ``out`` (atomically), with ``dataset.yaml``.

    Each block is appended to every table as Parquet row groups, so memory stays that of one
    block (see :func:`iter_tables`); a failed run leaves ``out`` as it was.

    Parameters
    ----------
    out : path
        The data directory to write (replaced whole).
    spec : SyntheticSpec
        The retailer.
    progress : bool
        Show a progress bar over the blocks on stderr (only when there are several).

    Returns
    -------
    dict of Path
        The written file of each table, by name.
    """
    generator = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in asdict(spec).items()}
    if spec.n_blocks == 1:
        del generator["block_customers"]  # it changes nothing at one block: dataset.yaml as before
    meta = {"name": "synthetic private-domain retailer", "timezone": spec.timezone, "generator": generator,
            "ground_truth": "ground_truth.parquet (latent traits; not a canonical table)"}
    return write_tables(iter_tables(spec, progress), out, meta=meta)
