"""Small random draws shared by the simulation steps (times of day, a customer's staple).

Every function draws from the one generator it is given; the order of the calls is the order
of the random stream, so callers keep it fixed (same seed, same bytes).
"""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function: log-odds -> probability."""
    return 1.0 / (1.0 + np.exp(-x))


def hours(rng: np.random.Generator, pref: np.ndarray, p_pref: float) -> np.ndarray:
    """Hour of day: the customer's preferred hour with probability ``p_pref``, else 8-22."""
    return np.where(rng.random(len(pref)) < p_pref, pref, rng.integers(8, 23, len(pref)))


def at_hour(rng: np.random.Generator, day: np.ndarray, hour: np.ndarray) -> np.ndarray:
    """The day of ``day`` at ``hour``, a random minute and second (days since the start)."""
    return np.floor(day) + (hour + rng.integers(0, 60, len(day)) / 60.0 + rng.integers(0, 60, len(day)) / 3600.0) / 24.0


def random_staple(rng: np.random.Generator, staples: np.ndarray, who: np.ndarray) -> np.ndarray:
    """One of each customer's staple categories, uniformly."""
    s = staples[who].astype(float)
    s /= s.sum(axis=1, keepdims=True)
    u = rng.random(len(who))[:, None]
    return (u > np.cumsum(s, axis=1)).sum(axis=1).astype(np.int64)
