"""What the synthetic retailer sells and when its customers act: the fixed catalogue, the staple
cycles, flash-sale hours, event types and coupon terms, and the ``products`` table built from them."""

from __future__ import annotations

import numpy as np
import pandas as pd

# sku, category, list price (yuan), cycle days (None: one-off), upgrade sku, related categories
CATALOG: tuple[tuple[str, str, float, float | None, str | None, str | None], ...] = (
    ("OIL-OLIVE-500", "cooking_oil", 128.0, 40.0, "OIL-OLIVE-1L", "rice"),
    ("OIL-OLIVE-1L", "cooking_oil", 198.0, 40.0, None, "rice"),
    ("OIL-PEANUT-5L", "cooking_oil", 139.0, 40.0, None, "rice"),
    ("RICE-5KG", "rice", 69.0, 30.0, "RICE-10KG", "cooking_oil"),
    ("RICE-10KG", "rice", 125.0, 30.0, None, "cooking_oil"),
    ("SNK-NUTS", "snacks", 39.0, 14.0, None, "snacks"),
    ("SNK-DRIED-FRUIT", "snacks", 29.0, 14.0, None, None),
    ("SNK-GIFT-BOX", "snacks", 88.0, 14.0, None, None),
    ("SKN-CREAM", "skincare", 239.0, 60.0, None, None),
    ("SKN-SERUM", "skincare", 329.0, 60.0, None, None),
    ("SKN-MASK", "skincare", 99.0, 60.0, None, "skincare"),
    ("CRS-BEGINNER", "course", 299.0, None, "CRS-ADVANCED", "course"),
    ("CRS-ADVANCED", "course", 699.0, None, None, None),
)
STAPLES = ("cooking_oil", "rice", "snacks", "skincare")
STAPLE_CYCLE_DAYS = np.array([40.0, 30.0, 14.0, 60.0])
STAPLE_SHARE = np.array([0.45, 0.40, 0.50, 0.30])  # chance a customer has each staple
RELATED = {0: 1, 1: 0, 2: 2, 3: 3}  # staple index -> a related staple for basket extras
COURSE = 4  # category index of the course, after the staples
FLASH_HOURS = np.array([10, 12, 15, 18])
FLASH_WEEKDAYS = (1, 4)  # Tuesday, Friday
SOURCES = np.array(["store", "mini_program", "ecommerce", "referral"])
EVENT_TYPES = ("message", "checkin", "share", "coupon_claim", "coupon_redeem", "referral",
               "group_join", "group_leave")
EVENT_CODE = {name: i for i, name in enumerate(EVENT_TYPES)}
COUPON_VALUES = np.array([10.0, 20.0, 30.0])
COUPON_DAYS = 7.0
GROUP_SIZE = 500

# Order kinds: what made the customer buy (decides lines, discount and channel).
STAPLE, FLASH, COUPON, COURSE_BEGINNER, COURSE_ADVANCED = range(5)


def products_table() -> pd.DataFrame:
    """The ``products`` table: one row per catalogue sku."""
    return pd.DataFrame(
        [{"sku": s, "category": c, "cycle_days": cyc if cyc is not None else np.nan,
          "upgrade_sku": up, "related_categories": rel} for s, c, _, cyc, up, rel in CATALOG]
    ).astype({"sku": "str", "category": "str", "upgrade_sku": "str", "related_categories": "str",
              "cycle_days": "float64"})
