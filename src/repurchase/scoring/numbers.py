"""Numbers written for people, in English and Chinese: whole money, one-decimal ratios, whole
percents, days with their plural, spans in days / months / years, "42 days ago" / " 42 天前"."""

from __future__ import annotations

import math


def whole(v: float) -> str:
    """12,345 (rounded, thousands separated)."""
    return f"{v:,.0f}"


def ratio(v: float) -> str:
    """2.1 (one decimal)."""
    return f"{v:.1f}"


def pct(share: float) -> str:
    """42% from 0.42."""
    return f"{100 * share:.0f}%"


def days(lang: str, v: float) -> str:
    """'1 day' / '42 days' / '42 天'."""
    n = int(round(v))
    if lang == "zh":
        return f"{n:,} 天"
    return f"{n:,} day" if n == 1 else f"{n:,} days"


def count(lang: str, v: float, one: str, many: str, zh_unit: str) -> str:
    """'1 order' / '3 orders' / '3 次'."""
    n = int(round(v))
    if lang == "zh":
        return f"{n:,} {zh_unit}"
    return f"{n:,} {one if n == 1 else many}"


def duration(lang: str, v: float) -> str:
    """A span in the unit people use: days under two months, then months, then years."""
    if v < 60:
        return days(lang, v)
    if v < 730:
        m = int(round(v / 30.44))
        return f"{m} 个月" if lang == "zh" else f"{m} months"
    y = v / 365.25
    return f"{y:.1f} 年" if lang == "zh" else f"{y:.1f} years"


def _finite(v) -> bool:
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


def ago(lang: str, v: float) -> str:
    """'today' / '1 day ago' / '42 days ago' (zh: 今天 / 42 天前, with the space before a number)."""
    if int(round(v)) == 0:
        return "今天" if lang == "zh" else "today"
    return f" {days(lang, v)}前" if lang == "zh" else f"{days(lang, v)} ago"
