"""``generate``: the synthetic retailer used by the demo and the tests."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from repurchase.config._base import _Strict


class GenerateConfig(_Strict):
    """The synthetic retailer used by the demo and the tests."""

    customers: int = Field(5000, ge=1)
    days: int = Field(730, ge=30)
    seed: int = 42
    start: dt.date = dt.date(2024, 1, 1)
    timezone: str = "Asia/Shanghai"
