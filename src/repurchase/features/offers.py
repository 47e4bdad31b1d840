"""Offers: how much a customer buys on discount, and the coupons they hold at the as-of date
(queries: :mod:`repurchase.engine.offers`)."""

from __future__ import annotations

import numpy as np

from repurchase.engine.offers import offer_columns
from repurchase.features._context import FeatureContext

__all__ = ["offers"]


def offers(ctx: FeatureContext) -> dict[str, np.ndarray]:
    """discount_order_share and avg_discount_depth (orders with ``discount_amount`` or
    ``coupon_id``); coupon_redeem_rate, coupons_open and days_to_coupon_expiry (with events).
    Which columns exist depends on the tables present, never on their rows (no leak, and a
    stable feature set between training and scoring)."""
    return offer_columns(ctx.session)
