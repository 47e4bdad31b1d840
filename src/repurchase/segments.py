"""The 8 RFM segments: rules over a fixed 3-bit code R F M (1 = high), configurable labels.

"R high" means a *recent* last purchase. Thresholds are computed on the population at each as-of
date (mean by default; median or fixed values by config).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from repurchase.config import DEFAULT_SEGMENT_LABELS, RFMThresholds


def thresholds(recency_days: np.ndarray, orders: np.ndarray, spend: np.ndarray, how: str,
               fixed: RFMThresholds | None = None) -> tuple[float, float, float]:
    """(recency, frequency, monetary) thresholds for one population."""
    if how == "fixed":
        f = fixed or RFMThresholds()
        return f.recency_days, f.frequency_orders, f.monetary
    agg = np.nanmean if how == "mean" else np.nanmedian
    with np.errstate(all="ignore"):
        return tuple(float(agg(a)) if np.isfinite(a).any() else np.nan for a in (recency_days, orders, spend))


def rfm_code(recency_days: np.ndarray, orders: np.ndarray, spend: np.ndarray, thr: tuple[float, float, float]) -> np.ndarray:
    """'RFM' strings, e.g. '101' = recent, infrequent, big spender. Unknown recency is not recent."""
    r = np.where(np.isfinite(recency_days) & (recency_days < thr[0]), 1, 0)
    f = np.where(orders > thr[1], 1, 0)
    m = np.where(spend > thr[2], 1, 0)
    return (r * 100 + f * 10 + m).astype(np.int64)


def code_to_str(code: np.ndarray) -> pd.Series:
    names = np.array([f"{c:03d}" for c in range(112)], dtype=object)
    return pd.Series(names[np.asarray(code, dtype=np.int64)], dtype="str")


def segment_labels(codes: pd.Series, labels: Mapping[str, str] = DEFAULT_SEGMENT_LABELS) -> pd.Series:
    """The configured label of each 3-bit code."""
    return codes.map(dict(labels)).astype("str")
