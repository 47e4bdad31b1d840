"""Timing: the date by which a customer's purchase probability passes one half."""

from __future__ import annotations

from typing import Mapping

import numpy as np


def expected_purchase_days(probs: Mapping[int, np.ndarray], threshold: float = 0.5) -> np.ndarray:
    """Days after T at which the cumulative purchase probability reaches ``threshold``.

    ``probs`` maps horizons in days to P(a purchase in [T, T + h)) per customer. The curve starts
    at 0 at day 0, is made non-decreasing across horizons (separately trained models can cross)
    and is interpolated linearly in between; a customer whose probability never reaches the
    threshold gets the longest horizon.

    Examples
    --------
    >>> expected_purchase_days({7: np.array([0.2, 0.6]), 30: np.array([0.8, 0.9])}).round(2).tolist()
    [18.5, 5.83]
    """
    if not probs:
        raise ValueError("no horizons")
    horizons = sorted(probs)
    curve = np.maximum.accumulate(np.column_stack([np.asarray(probs[h], float) for h in horizons]), axis=1)
    days = np.concatenate([[0.0], np.asarray(horizons, float)])
    curve = np.column_stack([np.zeros(len(curve)), curve])
    out = np.full(len(curve), days[-1])
    done = np.zeros(len(curve), bool)
    for j in range(1, len(days)):
        hit = ~done & (curve[:, j] >= threshold)
        lo, hi = curve[hit, j - 1], curve[hit, j]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(hi > lo, (threshold - lo) / (hi - lo), 1.0)
        out[hit] = days[j - 1] + np.clip(frac, 0, 1) * (days[j] - days[j - 1])
        done |= hit
    return out
