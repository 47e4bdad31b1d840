"""``models``: training, the promotion gate and the per-shop registry names."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from pydantic import Field, field_validator, model_validator

from repurchase.config._base import _Strict

#: the registry prefix without a profile (and the experiment): the historical global names
DEFAULT_NAME_PREFIX = "repurchase"


class ModelConfig(_Strict):
    """Training and the promotion gate."""

    #: monthly training as-of dates before the validation date
    train_dates: int = Field(12, ge=2)
    #: the training row budget: when the training spine (customer x as-of rows over the training
    #: and validation dates) has more rows, whole customers are sampled (all their dates kept)
    #: before features are built; the holdout date is never sampled. None: no limit
    max_training_rows: int | None = Field(2_000_000, ge=1)
    #: the seed of that customer sample (same data and seed, same sample)
    training_sample_seed: int = Field(42, ge=0)
    #: churn: a customer is active at T with a paid order in this many days before T
    active_days: int = Field(180, ge=1)
    #: a new model becomes champion only when its holdout AUC beats every baseline by more than this
    min_auc_gain_vs_baselines: float = 0.0
    #: ... and the current champion, scored on the same holdout rows, by more than this
    min_auc_gain_vs_champion: float = 0.0
    #: the data gate: training, validation and holdout rows each need this many positives and
    #: negatives, else training refuses (and scoring falls back to RFM rules)
    min_positives: int = Field(20, ge=1)
    min_negatives: int = Field(20, ge=1)
    #: boost LightGBM from this probability feature's logit, e.g. bgnbd_p_buy_30d (needs the
    #: btyd feature group; "1-bgnbd_p_buy_90d" takes the complement, for churn); None starts from
    #: the base rate
    init_from: str | None = None
    #: the churn model's starting score when it differs, e.g. 1-bgnbd_p_buy_90d (measured: +0.007 to
    #: +0.010 AUC on both real datasets, bench/RESULTS.md); None: ``init_from``
    init_from_churn: str | None = None
    #: stack the trees with the RFM logistic and BG/NBD on the validation date (the shipped model;
    #: beats both baselines on the real datasets where the trees alone only tie them)
    blend: bool = True
    #: probability features stacked with the trees; None: BG/NBD's P(buy) at the horizon nearest
    #: the model's (bgnbd_p_buy_{h}d; its complement for churn)
    blend_with: list[str] | None = None
    #: one registry per shop: registered models are ``<name_prefix>-next-purchase``,
    #: ``<name_prefix>-churn``, ...; None: the profile's name (``--profile my_shop``: my_shop),
    #: else ``repurchase``. Two shops in one MLflow store never compare or mix their champions.
    name_prefix: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    #: MLflow experiment name; None: the name prefix
    experiment: str | None = None
    #: local model bundles (written by training, read by scoring with ``scoring.models: bundles``);
    #: None: ``models/<name_prefix>``
    dir: Path | None = None
    #: the need model's horizon H: a purchase in [T, T + H)
    next_purchase_horizon_days: int = Field(30, ge=1)
    #: churn: no purchase in [T, T + C)
    churn_horizon_days: int = Field(90, ge=1)
    #: extra next-purchase horizons trained for timing (expected purchase date); each is its own
    #: registered model, e.g. repurchase-next-purchase-7d
    timing_horizons_days: list[int] = Field(default_factory=lambda: [7, 14])

    @model_validator(mode="before")
    @classmethod
    def _per_shop_defaults(cls, data: Any) -> Any:
        # resolved here, so every reader (training, scoring, lift) sees the same concrete names
        if isinstance(data, Mapping):
            data = dict(data)
            prefix = data.get("name_prefix") or DEFAULT_NAME_PREFIX
            data["name_prefix"] = prefix
            if data.get("experiment") is None:
                data["experiment"] = prefix
            if data.get("dir") is None:
                data["dir"] = Path("models") / prefix
        return data

    @field_validator("timing_horizons_days")
    @classmethod
    def _timing_sorted(cls, value: list[int]) -> list[int]:
        if any(v <= 0 for v in value):
            raise ValueError("timing horizons must be positive numbers of days")
        return sorted(set(value))
