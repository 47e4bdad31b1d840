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
    """

    customers: int = 5000
    days: int = 730
    seed: int = 42
    start: dt.date = dt.date(2024, 1, 1)
    timezone: str = "Asia/Shanghai"


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
