"""Community engagement: event counts per type and window, recency, check-in rate, trend,
referrals, group membership and the most active hour (queries: :mod:`repurchase.engine.engagement`)."""

from __future__ import annotations

import numpy as np

from repurchase.engine.engagement import MEMBERSHIP, counted_types as engine_counted_types, engagement_columns
from repurchase.features._context import FeatureContext

__all__ = ["MEMBERSHIP", "counted_types", "engagement"]


def counted_types(ctx: FeatureContext) -> list[str]:
    """The engagement event types counted: ``features.event_types`` when pinned, else the most
    frequent before the latest as-of date (ties by name), at most ``features.top_event_types``."""
    if ctx.config.event_types is not None:
        return list(ctx.config.event_types)
    return engine_counted_types(ctx.session, ctx.config.top_event_types, ctx.t_max)


def engagement(ctx: FeatureContext) -> dict[str, np.ndarray]:
    types = counted_types(ctx) if ctx.tables.events is not None else []
    return engagement_columns(ctx.session, types, ctx.config.engagement_windows_days)
