"""Timing: around which day a customer is expected to buy."""

from __future__ import annotations

from typing import Mapping

import numpy as np

#: probabilities are kept below one so that the cumulative hazard stays finite
_P_MAX = 1 - 1e-9


def expected_purchase_days(probs: Mapping[int, np.ndarray], threshold: float = 0.5, *,
                           conditional: bool = True) -> np.ndarray:
    """Days after T at which the purchase curve reaches ``threshold``.

    ``probs`` maps horizons in days to P(a purchase in [T, T + h)) per customer. The curve starts
    at 0 at day 0 and is made non-decreasing across horizons (separately trained models can
    cross); between horizons the purchase hazard is constant (the cumulative hazard
    ``-log(1 - P)`` is interpolated linearly), so one horizon alone already gives a curve that
    rises fastest for the likeliest buyers.

    ``conditional=True`` (the need list's date) answers "if they buy within the longest horizon,
    around when": the day the curve reaches ``threshold`` of its value at the longest horizon, the
    conditional median for 0.5. ``conditional=False`` is the day P(purchase) itself reaches
    ``threshold``, the longest horizon when it never does.

    Examples
    --------
    >>> expected_purchase_days({30: np.array([0.5, 0.9])}).round(2).tolist()
    [12.45, 7.79]
    >>> expected_purchase_days({30: np.array([0.5, 0.9])}, conditional=False).round(2).tolist()
    [30.0, 9.03]
    """
    if not probs:
        raise ValueError("no horizons")
    horizons = sorted(probs)
    curve = np.maximum.accumulate(np.column_stack([np.clip(np.asarray(probs[h], float), 0, _P_MAX) for h in horizons]), axis=1)
    days = np.concatenate([[0.0], np.asarray(horizons, float)])
    hazard = -np.log1p(-np.column_stack([np.zeros(len(curve)), curve]))
    target = threshold * curve[:, -1] if conditional else np.full(len(curve), float(threshold))
    target_hazard = -np.log1p(-np.clip(target, 0, _P_MAX))
    out = np.full(len(curve), days[-1])
    done = (curve[:, -1] <= 0) if conditional else np.zeros(len(curve), bool)
    for j in range(1, len(days)):
        hit = ~done & (hazard[:, j] >= target_hazard)
        lo, hi = hazard[hit, j - 1], hazard[hit, j]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(hi > lo, (target_hazard[hit] - lo) / (hi - lo), 1.0)
        out[hit] = days[j - 1] + np.clip(frac, 0, 1) * (days[j] - days[j - 1])
        done |= hit
    return out
