"""The feature catalog: name, group, window, source table and meaning of every feature.

Names with ``{...}`` are patterns: ``{w}`` a window in days from the config, ``{event_type}`` an
engagement event type present in the data, ``{category}`` one of the top categories.
``repurchase features --list`` prints this catalog and ``docs/features.md`` is generated from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from repurchase.engine._names import safe_name  # noqa: F401  (re-exported: feature names)


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    group: str
    window: str
    source: str
    meaning: str


_F = FeatureSpec
CATALOG: tuple[FeatureSpec, ...] = (
    # rfm
    _F("days_since_last_order", "rfm", "all before T", "orders", "days from the last paid order to T (recency)"),
    _F("days_since_first_order", "rfm", "all before T", "orders", "days from the first paid order to T (tenure)"),
    _F("orders_count", "rfm", "all before T", "orders", "paid orders (frequency)"),
    _F("orders_{w}d", "rfm", "[T-w, T)", "orders", "paid orders in the last w days"),
    _F("spend_total", "rfm", "all before T", "orders", "amount paid over all paid orders (monetary)"),
    _F("spend_{w}d", "rfm", "[T-w, T)", "orders", "amount paid in the last w days"),
    _F("avg_order_value", "rfm", "all before T", "orders", "spend_total / orders_count"),
    _F("max_order_value", "rfm", "all before T", "orders", "largest paid order"),
    _F("r_score", "rfm", "population at T", "orders", "recency quintile 1..5 among customers on the spine at T (5 = most recent)"),
    _F("f_score", "rfm", "population at T", "orders", "frequency quintile 1..5 at T (5 = most orders)"),
    _F("m_score", "rfm", "population at T", "orders", "monetary quintile 1..5 at T (5 = most spend)"),
    _F("rfm_code", "rfm", "population at T", "orders", "3-bit code R F M as a number (e.g. 101), 1 = high against the population threshold at T; R high = recent"),
    # rhythm
    _F("gap_mean_days", "rhythm", "all before T", "orders", "mean days between consecutive orders (2+ orders)"),
    _F("gap_std_days", "rhythm", "all before T", "orders", "standard deviation of the gaps (3+ orders)"),
    _F("gap_median_last10_days", "rhythm", "last 10 gaps before T", "orders", "median of the customer's last (up to) 10 gaps"),
    _F("due_ratio", "rhythm", "all before T", "orders", "days_since_last_order / typical gap, the gap shrunk toward the population's median at T (>1: overdue)"),
    _F("orders_trend_90d", "rhythm", "[T-180, T)", "orders", "(orders last 90 d - previous 90 d) / their sum; 0 when both are 0"),
    _F("preferred_weekday", "rhythm", "all before T", "orders", "most frequent order weekday (0 = Monday), local time"),
    _F("preferred_hour", "rhythm", "all before T", "orders", "most frequent order hour of day, local time"),
    # categories
    _F("categories_bought_count", "categories", "all before T", "order_items, products", "distinct categories bought"),
    _F("top_category_share", "categories", "all before T", "order_items, products", "share of (order, category) purchases in the customer's top category"),
    _F("categories_due_count", "categories", "all before T", "order_items, products", "top categories whose days since last purchase >= category_due_ratio x cycle (own cycle, else products.cycle_days, else the population's)"),
    _F("max_category_due_ratio", "categories", "all before T", "order_items, products", "largest due ratio over the categories the customer bought"),
    _F("due_ratio_{category}", "categories", "all before T", "order_items, products", "days since the last purchase of this category / its cycle"),
    # offers
    _F("discount_order_share", "offers", "all before T", "orders", "share of paid orders with a discount or a coupon"),
    _F("avg_discount_depth", "offers", "all before T", "orders", "total discount / (total paid + total discount)"),
    _F("coupon_redeem_rate", "offers", "all before T", "events", "coupons redeemed / coupons claimed (capped at 1)"),
    _F("coupons_open", "offers", "at T", "events", "coupons claimed before T, expiring after T, not redeemed before T"),
    _F("days_to_coupon_expiry", "offers", "at T", "events", "days from T until the nearest open coupon expires"),
    # engagement
    _F("{event_type}_{w}d", "engagement", "[T-w, T)", "events", "events of this type in the last w days"),
    _F("events_30d", "engagement", "[T-30, T)", "events", "engagement events (all counted types) in the last 30 days"),
    _F("engagement_trend_30d", "engagement", "[T-60, T)", "events", "(events last 30 d - previous 30 d) / their sum; 0 when both are 0"),
    _F("days_since_last_engagement", "engagement", "all before T", "events", "days from the last engagement event to T"),
    _F("most_active_hour_90d", "engagement", "[T-90, T)", "events", "most frequent hour of engagement events, local time"),
    _F("referrals_made", "engagement", "all before T", "events", "referral events by the customer"),
    _F("in_group", "engagement", "at T", "customers, events", "1 if in a community group at T (joined before T and not left since)"),
    _F("days_since_joined_group", "engagement", "at T", "customers, events", "days since the customer's latest group join"),
    _F("checkin_rate_30d", "engagement", "[T-30, T)", "events, customers", "distinct check-in days in the last 30 d / days in the group within them"),
    _F("days_since_registered", "engagement", "at T", "customers", "days since registration"),
    # btyd: BG/NBD fitted at each as-of date on the histories before it
    _F("btyd_repeat_days", "btyd", "all before T", "orders", "repeat purchase days (distinct purchase days - 1), the BTYD frequency"),
    _F("btyd_recency_days", "btyd", "all before T", "orders", "days from the first to the last purchase day (BTYD recency)"),
    _F("btyd_age_days", "btyd", "all before T", "orders", "days from the first purchase day to T (BTYD T)"),
    _F("bgnbd_p_alive", "btyd", "all before T", "orders", "BG/NBD probability that the customer is still active at T"),
    _F("bgnbd_p_buy_{w}d", "btyd", "all before T", "orders", "BG/NBD probability of at least one purchase in the {w} days after T (features.btyd_horizons_days)"),
    _F("bgnbd_expected_purchases_90d", "btyd", "all before T", "orders", "BG/NBD expected purchases in the 90 days after T"),
)

GROUPS = ("rfm", "rhythm", "categories", "offers", "engagement", "btyd")


def catalog_frame() -> pd.DataFrame:
    return pd.DataFrame([s.__dict__ for s in CATALOG])


def _pattern(name: str) -> re.Pattern:
    regex = re.escape(name).replace(r"\{w\}", r"\d+").replace(r"\{event_type\}", r"[0-9a-z_]+").replace(r"\{category\}", r"[0-9a-z_]+")
    return re.compile(f"^{regex}$")


_COMPILED = [(spec, _pattern(spec.name)) for spec in CATALOG]


def lookup(column: str) -> FeatureSpec | None:
    """The catalog entry describing a feature column (exact names win over patterns)."""
    for spec, pattern in _COMPILED:
        if spec.name == column:
            return spec
    # the most specific pattern wins: bgnbd_p_buy_{w}d before {event_type}_{w}d
    matches = [spec for spec, pattern in _COMPILED if "{" in spec.name and pattern.match(column)]
    return max(matches, key=lambda spec: len(re.sub(r"\{[^}]*\}", "", spec.name)), default=None)


def markdown() -> str:
    """The catalog as a Markdown document (``docs/features.md``)."""
    lines = [
        "# Feature catalog",
        "",
        "Generated from `src/repurchase/features/catalog.py` by `repurchase features --list --markdown`;",
        "do not edit by hand. Every feature of a customer at as-of date T uses only data strictly",
        "before T. `{w}` is a window in days (`features.windows_days`, `features.engagement_windows_days`),",
        "`{event_type}` an engagement event type in the data, `{category}` a top category.",
        "",
    ]
    for group in GROUPS:
        lines += [f"## {group}", "", "| feature | window | source | meaning |", "| --- | --- | --- | --- |"]
        lines += [f"| `{s.name}` | {s.window} | {s.source} | {s.meaning} |" for s in CATALOG if s.group == group]
        lines.append("")
    return "\n".join(lines)
