"""``metrics``: the repurchase-rate report."""

from __future__ import annotations

from typing import Literal

from repurchase.config._base import _Strict


class MetricsConfig(_Strict):
    """The repurchase-rate report."""

    period: Literal["month", "quarter", "year"] = "month"
    by: str | None = None
