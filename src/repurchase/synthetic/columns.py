"""Columns of the synthetic tables: ids, text taken from small dictionaries, local timestamps.

String columns are built in Arrow (take from a small dictionary) rather than as numpy unicode
arrays: at 1M customers that is the difference between ~15 GiB and a few GiB of peak memory.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from repurchase.synthetic.spec import SyntheticSpec


def id_array(prefix: str, numbers: np.ndarray, width: int, valid: np.ndarray | None = None) -> pa.Array:
    """``prefix`` + each number zero-padded to ``width`` digits (null where not ``valid``)."""
    nums = pa.array(numbers, mask=None if valid is None else ~valid)
    arr = pc.utf8_lpad(pc.cast(nums, pa.string()), width, "0")
    return pc.binary_join_element_wise(pa.scalar(prefix), arr, "")


def customer_id_array(n_customers: int, start: int = 0, stop: int | None = None) -> pa.Array:
    """The customer ids ``C01 ..`` of customers ``start .. stop - 1`` (all by default) of a
    retailer of ``n_customers``: one digit wider than the count needs, so every block of a
    retailer has the same width."""
    stop = n_customers if stop is None else stop
    return id_array("C", np.arange(start + 1, stop + 1), len(str(n_customers)) + 1)


def store_id_array(n_stores: int) -> pa.Array:
    """The store ids ``S001 ..``, three digits or as many as the count needs."""
    return id_array("S", np.arange(1, n_stores + 1), max(3, len(str(n_stores))))


class BlockIds(NamedTuple):
    """The ids the tables of one customer block use.

    Attributes
    ----------
    customer : pa.Array
        Id of each customer of the block, by block index.
    store : pa.Array
        Id of each store, by store index (the same in every block).
    first_order : int
        Orders of the blocks before: the block's order numbers follow on.
    order_width : int or None
        Digits of an order number; ``None``: as many as this block's orders need (at least 9).
    first_coupon : int
        Engagement events of the blocks before: a coupon's number is its claim's event index.
    """

    customer: pa.Array
    store: pa.Array
    first_order: int = 0
    order_width: int | None = None
    first_coupon: int = 0


def ids(prefix: str, numbers: np.ndarray, width: int, valid: np.ndarray | None = None) -> pd.Series:
    """Like :func:`id_array`, as a text column."""
    return text(id_array(prefix, numbers, width, valid))


def take(dictionary, idx: np.ndarray, valid: np.ndarray | None = None) -> pd.Series:
    """``dictionary[idx]`` as a text column (missing where not ``valid``)."""
    dictionary = dictionary if isinstance(dictionary, pa.Array) else pa.array(list(dictionary), pa.string())
    codes = pa.array(np.asarray(idx, dtype=np.int64), mask=None if valid is None else ~np.asarray(valid))
    return text(dictionary.take(codes))


def text(arr: pa.Array) -> pd.Series:
    """An Arrow string array as a pandas ``str`` column."""
    return pd.Series(arr.to_pandas()).astype("str")


def timestamps(spec: SyntheticSpec, days: np.ndarray) -> pd.Series:
    """Days since the start -> tz-aware local timestamps to the second."""
    start_ns = pd.Timestamp(spec.start).value
    secs = np.floor(days * 86_400.0 + 1e-6).astype(np.int64)  # epsilon: t + 7 days stays t + 7 days
    naive = pd.Series(pd.to_datetime(start_ns + secs * 10**9, unit="ns")).astype("datetime64[s]")
    return naive.dt.tz_localize(spec.timezone, ambiguous=np.zeros(len(naive), dtype=bool), nonexistent="shift_forward")
