"""Typed, strict configuration: base < profile < command-line override.

Every section is a pydantic model with ``extra="forbid"``; unknown keys are refused with a message
that names the key and the file it came from. The model defaults *are* the base config;
``configs/base.yaml`` spells them out and a test keeps the two equal. Secrets never live here: they
are read from the environment where they are used.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from repurchase.errors import ConfigError
from repurchase.schema import TABLES


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Strict):
    """Where the data is and how to read a user's export."""

    dir: Path | None = None
    #: business timezone; None takes the data directory's ``dataset.yaml``, else UTC.
    timezone: str | None = None
    #: text encoding of CSV files (a BOM is always accepted); Chinese exports are often ``gbk``.
    encoding: str = "utf-8"
    #: move row-level problems to ``rejects/`` instead of stopping.
    tolerant: bool = False
    #: per table, canonical column name -> the header in the user's export.
    columns: dict[str, dict[str, str]] = Field(default_factory=dict)
    #: the user's status words -> paid / cancelled / refunded (e.g. 已支付: paid).
    status_values: dict[str, Literal["paid", "cancelled", "refunded"]] = Field(default_factory=dict)
    #: decimal separator of numbers in CSV files; the other one may only group thousands
    #: ("." reads 1,299.00 as 1299; "," reads 1.299,00 as 1299 and 12,5 as 12.5).
    decimal: Literal[".", ","] = "."
    #: strftime format of text timestamps that are not ISO 8601, e.g. "%d/%m/%Y %H:%M"; None infers
    #: the day/month order from each whole column and refuses a column that does not decide it.
    date_format: str | None = None

    @field_validator("date_format")
    @classmethod
    def _a_strftime_format(cls, value: str | None) -> str | None:
        if value is not None and "%" not in value:
            raise ValueError(f"'{value}' is not a strftime format; e.g. '%d/%m/%Y %H:%M'")
        return value

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for table, mapping in value.items():
            if table not in TABLES:
                raise ValueError(f"unknown table '{table}' (known: {', '.join(TABLES)})")
            known = TABLES[table].kinds
            for canonical in mapping:
                if canonical not in known:
                    raise ValueError(
                        f"data.columns.{table}: '{canonical}' is not a canonical column of "
                        f"{table} (known: {', '.join(known)})"
                    )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value is not None:
            check_timezone(value)
        return value


class GenerateConfig(_Strict):
    """The synthetic retailer used by the demo and the tests."""

    customers: int = Field(5000, ge=1)
    days: int = Field(730, ge=30)
    seed: int = 42
    start: dt.date = dt.date(2024, 1, 1)
    timezone: str = "Asia/Shanghai"


class MetricsConfig(_Strict):
    """The repurchase-rate report."""

    period: Literal["month", "quarter", "year"] = "month"
    by: str | None = None


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


#: the registry prefix without a profile (and the experiment): the historical global names
DEFAULT_NAME_PREFIX = "repurchase"


class ModelConfig(_Strict):
    """Training and the promotion gate."""

    #: monthly training as-of dates before the validation date
    train_dates: int = Field(12, ge=2)
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
    #: refuse an as-of date more than this many days after the data's last order (a wrong date or
    #: a stale export would give lists of long-gone behaviour); None: never refuse
    max_days_after_data: int | None = Field(60, ge=0)


class ExportConfig(_Strict):
    """Where the lists go."""

    #: directory for the list files (replaced whole on every scoring run)
    out_dir: Path = Path("lists")
    #: SQLAlchemy URL of the CRM database (e.g. sqlite:///crm.db); None: files only. Never put a
    #: password here: give the user in the URL and the password in $REPURCHASE_DB_PASSWORD
    db_url: str | None = None
    #: another run writing the same output directory (or the same date of the CRM table): wait this
    #: many seconds for it, then stop saying who holds it
    lock_wait_seconds: float = Field(60.0, ge=0)

    @field_validator("db_url")
    @classmethod
    def _no_password(cls, value: str | None) -> str | None:
        if value:
            from sqlalchemy.engine import make_url

            try:
                url = make_url(value)
            except Exception as exc:  # noqa: BLE001 - sqlalchemy.exc.ArgumentError
                raise ValueError(f"not a database URL ({type(exc).__name__})") from None
            if url.password:
                raise ValueError("a password does not belong in a config file: remove it from export.db_url "
                                 "and set REPURCHASE_DB_PASSWORD in the environment")
        return value


class Config(_Strict):
    data: DataConfig = DataConfig()
    generate: GenerateConfig = GenerateConfig()
    metrics: MetricsConfig = MetricsConfig()
    features: FeatureConfig = FeatureConfig()
    models: ModelConfig = ModelConfig()
    scoring: ScoringConfig = ScoringConfig()
    export: ExportConfig = ExportConfig()


def check_timezone(name: str) -> str:
    """Return ``name`` if it is an IANA timezone, else raise :class:`ConfigError`."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown timezone '{name}' (use an IANA name such as Asia/Shanghai)") from exc
    return name


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping at the top, not {type(data).__name__}")
    return data


def _check_keys(model: type[BaseModel], data: Mapping[str, Any], source: str, prefix: str = "") -> None:
    """Refuse unknown keys, naming the dotted key and where it came from."""
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        field = model.model_fields.get(key)
        if field is None:
            known = ", ".join(model.model_fields)
            raise ConfigError(f"unknown config key '{dotted}' in {source} (known here: {known})")
        sub = field.annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            if not isinstance(value, Mapping):
                raise ConfigError(f"config key '{dotted}' in {source} must be a mapping")
            _check_keys(sub, value, source, dotted + ".")


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def parse_override(text: str) -> dict[str, Any]:
    """Turn ``a.b.c=value`` into ``{"a": {"b": {"c": value}}}``; the value is parsed as YAML."""
    if "=" not in text:
        raise ConfigError(f"override '{text}' must look like section.key=value")
    key, raw = text.split("=", 1)
    parts = [p for p in key.strip().split(".") if p]
    if not parts:
        raise ConfigError(f"override '{text}' has no key")
    try:
        value: Any = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as exc:
        raise ConfigError(f"override '{text}': value is not valid YAML: {exc}") from exc
    for part in reversed(parts):
        value = {part: value}
    return value


def default_config_dir() -> Path:
    """``./configs`` when it exists, else the repository's ``configs`` next to the sources."""
    here = Path.cwd() / "configs"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "configs"


def load_config(
    path: str | Path | None = None,
    profile: str | None = None,
    overrides: Sequence[str | Mapping[str, Any]] = (),
) -> Config:
    """Load the layered config.

    Parameters
    ----------
    path : path, optional
        A base YAML file; by default the built-in defaults (equal to ``configs/base.yaml``).
    profile : str, optional
        Name of ``profiles/<profile>.yaml`` beside the base file (or in ``configs/``), or a path.
    overrides : sequence
        ``section.key=value`` strings or mappings, applied last, in order.
    """
    layers: list[tuple[str, Mapping[str, Any]]] = []
    config_dir = default_config_dir()
    if path is not None:
        path = Path(path)
        layers.append((str(path), _read_yaml(path)))
        config_dir = path.parent
    if profile:
        candidate = Path(profile)
        if candidate.suffix not in (".yaml", ".yml"):
            candidate = config_dir / "profiles" / f"{profile}.yaml"
        if not candidate.is_file():
            available = sorted(p.stem for p in (config_dir / "profiles").glob("*.yaml"))
            raise ConfigError(
                f"profile '{profile}' not found at {candidate} "
                f"(available: {', '.join(available) or 'none'})"
            )
        layers.append((str(candidate), _read_yaml(candidate)))
    for item in overrides:
        layer = parse_override(item) if isinstance(item, str) else dict(item)
        layers.append((f"command-line override {item!r}", layer))

    merged: dict[str, Any] = {}
    for source, layer in layers:
        _check_keys(Config, layer, source)
        merged = _merge(merged, layer)
    if profile and not (merged.get("models") or {}).get("name_prefix"):
        # one registry per shop: a profile's models are named after it unless it names them
        merged = _merge(merged, {"models": {"name_prefix": candidate.stem}})
    try:
        return Config.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        sources = ", ".join(s for s, _ in layers) or "defaults"
        raise ConfigError(f"invalid config ({sources}): {problems}") from exc
