"""``scoring``: the need list, the recall list and the offers they carry."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from repurchase.config._base import _Strict

Band = Literal["high", "medium", "low"]


class BandThresholds(_Strict):
    """A score at or above ``high`` is high, at or above ``medium`` medium, else low."""

    high: float = Field(0.5, ge=0, le=1)
    medium: float = Field(0.2, ge=0, le=1)


class OfferTier(_Strict):
    """One offer; a list row takes the first tier matching its list, RFM segment and band."""

    name: str
    #: coupon depth in percent of the order (0 = a reminder without a discount)
    discount_pct: float = Field(0.0, ge=0, le=100)
    #: days the coupon is valid (the clock that makes customers act now)
    expiry_days: int = Field(7, ge=0)
    lists: list[Literal["need", "recall"]] = Field(default_factory=lambda: ["need", "recall"])
    #: RFM codes (e.g. "001") or segment labels; None matches any
    segments: list[str] | None = None
    bands: list[Band] | None = None


def _default_offers() -> list[OfferTier]:
    # the stepped 50% / 40% / 30% discounts of domain.md: deepest where most value is at risk
    return [
        OfferTier(name="recall_50pct_7d", discount_pct=50, expiry_days=7, lists=["recall"], bands=["high"]),
        OfferTier(name="recall_40pct_7d", discount_pct=40, expiry_days=7, lists=["recall"], bands=["medium"]),
        OfferTier(name="recall_30pct_7d", discount_pct=30, expiry_days=7, lists=["recall"]),
        OfferTier(name="need_reminder", discount_pct=0, expiry_days=0, lists=["need"], bands=["high"]),
        OfferTier(name="need_10pct_7d", discount_pct=10, expiry_days=7, lists=["need"]),
    ]


class NeedListConfig(_Strict):
    """The need list: who will buy again soon."""

    #: customers below this purchase probability are not listed
    min_probability: float = Field(0.05, ge=0, le=1)
    #: a customer whose due ratio (days since last order / typical gap) is below this has just
    #: bought and is not pushed (the presale lesson); None disables the rule
    min_due_ratio: float | None = Field(0.5, ge=0)
    #: at most this many rows (None: everyone above min_probability)
    max_rows: int | None = Field(None, ge=1)
    bands: BandThresholds = BandThresholds(high=0.5, medium=0.2)
    #: categories per row in top_categories
    top_categories: int = Field(3, ge=1, le=10)
    #: how categories are ranked: "learned" (P(category | a purchase) fitted at each scoring date on
    #: the buyers of the horizon before it) or "rules" (a bought category only once it is due)
    category_method: Literal["learned", "rules"] = "learned"


class RecallListConfig(_Strict):
    """The recall list: valuable customers slipping away, ranked by value at risk, cut at a budget."""

    min_churn_probability: float = Field(0.5, ge=0, le=1)
    #: expected spend over the next period must be at least this (the value floor)
    min_value: float = Field(0.0, ge=0)
    #: expected spend over the next period = spend in this many days before T, scaled to the period
    value_window_days: int = Field(365, ge=1)
    #: the "next period" of the expected spend (default: the churn horizon)
    period_days: int | None = Field(None, ge=1)
    #: the budget as a number of contacts ...
    budget_contacts: int | None = Field(1000, ge=0)
    #: ... and/or as money: contact cost plus the offer's expected cost per contacted customer
    budget_money: float | None = Field(None, ge=0)
    contact_cost: float = Field(1.0, ge=0)
    #: expected share of contacted at-risk customers who come back (for expected gain and ROI)
    response_rate: float = Field(0.2, ge=0, le=1)
    #: rank by risk (value at risk) or by uplift (expected incremental value = the two-model uplift
    #: learned from past campaigns x expected spend; needs `repurchase train-uplift` first)
    ranking: Literal["risk", "uplift"] = "risk"
    #: leave out customers whose expected gain (recovered revenue - contact and offer cost) is
    #: below this; None keeps everyone above the thresholds
    min_expected_gain: float | None = 0.0
    bands: BandThresholds = BandThresholds(high=0.8, medium=0.65)


class ScoringConfig(_Strict):
    """Scoring and the two lists."""

    need: NeedListConfig = NeedListConfig()
    recall: RecallListConfig = RecallListConfig()
    offers: list[OfferTier] = Field(default_factory=_default_offers)
    #: where scoring takes the champions from: the MLflow registry or the bundles in ``models.dir``
    models: Literal["mlflow", "bundles"] = "mlflow"
    #: without a champion (none trained, or the data gate refused training), score with transparent
    #: RFM rules, labelled rfm-rules-v1 in every row; false: stop with an error instead
    fallback_to_rules: bool = True
    #: share of each list held out as a control group (not to be contacted), stratified by band
    control_share: float = Field(0.1, ge=0, lt=1)
    control_seed: int = 20261122
    #: customers contacted within this many days before T (from ``contacts``) are excluded
    exclude_contacted_days: int = Field(7, ge=0)
    #: a customer needs this many orders and events with a time of day before their own best
    #: contact hour is used; else the store's peak, else the population's
    min_touches_for_hour: int = Field(3, ge=1)
    #: drift: warn when a feature's or the score's population stability index against the model's
    #: training holdout exceeds this ...
    drift_warn_psi: float = Field(0.25, ge=0)
    #: ... and refuse to export above this (None: never refuse)
    drift_max_psi: float | None = Field(None, ge=0)
    #: per-row contributions behind ``reasons``: shap (LightGBM's exact TreeSHAP, ~1 ms per row at
    #: 500 trees on this 2-core machine), path (root-to-leaf credit, ~100x faster, additive, but
    #: it over-credits early splits), or auto: shap for lists up to ``shap_max_rows`` rows, else path
    reasons_method: Literal["auto", "shap", "path"] = "auto"
    shap_max_rows: int = Field(100_000, ge=0)
    #: customers per batch when predicting, explaining and ranking categories: the per-row
    #: intermediates (model inputs, contributions, category pairs) exist for one batch at a time;
    #: the lists do not depend on it
    batch_rows: int = Field(200_000, ge=1)
    #: refuse an as-of date more than this many days after the data's last order (a wrong date or
    #: a stale export would give lists of long-gone behaviour); None: never refuse
    max_days_after_data: int | None = Field(60, ge=0)
