"""The size and seed of a synthetic retailer, and its seasonal calendar."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SyntheticSpec:
    """Size and seed of a synthetic retailer.

    Parameters
    ----------
    customers : int
        Number of customers (referral-acquired ones included).
    days : int
        Length of the simulated history in days, starting at ``start``.
    seed : int
        Seed of the one random generator; same spec, same bytes.
    start : date
        First day of the history (local business time).
    timezone : str
        Business timezone of every timestamp.
    block_customers : int
        Customers simulated at a time (see :func:`~repurchase.synthetic.iter_tables`): memory
        follows the block, not ``customers``. A retailer of at most one block is the same data
        whatever this is; a larger one depends on it.
    """

    customers: int = 5000
    days: int = 730
    seed: int = 42
    start: dt.date = dt.date(2024, 1, 1)
    timezone: str = "Asia/Shanghai"
    block_customers: int = 1_000_000

    def __post_init__(self):
        if self.customers < 1 or self.block_customers < 1:
            raise ValueError(f"customers ({self.customers}) and block_customers ({self.block_customers}) must be >= 1")

    @property
    def n_blocks(self) -> int:
        """Number of customer blocks."""
        return -(-self.customers // self.block_customers)

    @property
    def n_stores(self) -> int:
        """Number of stores: one per 3,500 customers, at least 3."""
        return max(3, self.customers // 3500)


def month_logit(spec: SyntheticSpec) -> np.ndarray:
    """Seasonal shift of purchase odds per day: Double 11 and the Spring Festival months.

    Parameters
    ----------
    spec : SyntheticSpec
        The retailer; one value per day ``0 .. spec.days`` (inclusive).

    Returns
    -------
    ndarray of float
        Logit added to the purchase odds on each day since ``spec.start``.
    """
    dates = pd.date_range(spec.start, periods=spec.days + 1, freq="D")
    lift = {11: 0.5, 1: 0.25, 2: 0.25}
    return np.array([lift.get(m, 0.0) for m in dates.month])
