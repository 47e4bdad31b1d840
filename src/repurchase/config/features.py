"""``features``: point-in-time features, and the RFM segments they mark."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from repurchase.config._base import _Strict

#: The 8 RFM segments of domain.md over the fixed code R F M (1 = high; R high = recent).
DEFAULT_SEGMENT_LABELS = {
    "111": "important value",
    "011": "important keep-in-touch",
    "101": "important development",
    "001": "important win-back",
    "110": "general value",
    "010": "general keep-in-touch",
    "100": "general development",
    "000": "general win-back",
}


class RFMThresholds(_Strict):
    """Fixed thresholds, used when ``features.rfm_threshold`` is ``fixed``."""

    recency_days: float = Field(90.0, gt=0)
    frequency_orders: float = Field(2.0, ge=0)
    monetary: float = Field(500.0, ge=0)


class FeatureConfig(_Strict):
    """Point-in-time features (all computed from data strictly before the as-of date)."""

    #: feature groups to build (each also needs its source tables)
    groups: list[Literal["rfm", "rhythm", "categories", "offers", "engagement", "btyd"]] = Field(
        default_factory=lambda: ["rfm", "rhythm", "categories", "offers", "engagement", "btyd"])
    #: windows, in days, for order counts and spend
    windows_days: list[int] = Field(default_factory=lambda: [30, 90, 180, 365])
    #: horizons, in days, of the BG/NBD purchase probabilities (btyd group: bgnbd_p_buy_{h}d)
    btyd_horizons_days: list[int] = Field(default_factory=lambda: [7, 14, 30, 90])
    #: windows, in days, for engagement event counts
    engagement_windows_days: list[int] = Field(default_factory=lambda: [7, 30, 90])
    #: how R, F and M are marked high: against the population mean, median, or fixed values
    rfm_threshold: Literal["mean", "median", "fixed"] = "mean"
    rfm_fixed: RFMThresholds = RFMThresholds()
    #: labels over the fixed 3-bit RFM code; vendors name the segments differently
    segment_labels: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_SEGMENT_LABELS))
    #: pseudo-gaps of the population's typical gap added to a customer's own when judging
    #: how "due" they are (shrinks customers with few orders toward the population)
    due_shrinkage_gaps: float = Field(2.0, ge=0)
    #: categories considered for per-category features (most frequent first)
    top_categories: int = Field(10, ge=1, le=50)
    #: a category is due when days since its last purchase >= this share of its cycle
    category_due_ratio: float = Field(0.8, gt=0)
    #: engagement event types counted (most frequent first, at most this many)
    top_event_types: int = Field(10, ge=1, le=30)
    #: pin the categories and event types with their own columns (scoring passes the trained
    #: model's); None ranks them on the data strictly before the latest as-of date
    categories: list[str] | None = None
    event_types: list[str] | None = None
    #: also put community members who never bought on the spine
    include_non_buyers: bool = False
    #: dtype of the feature columns (float32 halves memory; LightGBM uses float32 anyway)
    dtype: Literal["float32", "float64"] = "float32"

    @field_validator("segment_labels")
    @classmethod
    def _all_codes(cls, value: dict[str, str]) -> dict[str, str]:
        if set(value) != set(DEFAULT_SEGMENT_LABELS):
            missing = sorted(set(DEFAULT_SEGMENT_LABELS) - set(value))
            extra = sorted(set(value) - set(DEFAULT_SEGMENT_LABELS))
            raise ValueError(f"segment_labels needs exactly the 8 codes 000..111 (missing {missing}, unknown {extra})")
        return value

    @field_validator("windows_days", "engagement_windows_days")
    @classmethod
    def _positive_sorted(cls, value: list[int]) -> list[int]:
        if not value or any(v <= 0 for v in value):
            raise ValueError("windows must be positive numbers of days")
        return sorted(set(value))
