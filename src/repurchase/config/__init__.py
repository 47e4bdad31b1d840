"""Typed, strict configuration: base < profile < command-line override.

Every section is a pydantic model with ``extra="forbid"``; unknown keys are refused with a message
that names the key and the file it came from. The model defaults *are* the base config;
``configs/base.yaml`` spells them out and a test keeps the two equal. Secrets never live here: they
are read from the environment where they are used.

One module per section (``data``, ``generate``, ``metrics``, ``features``, ``models``,
``scoring``, ``export``, ``engine``); ``load`` holds the root :class:`Config` and the layering. Import from
``repurchase.config``: the modules are an implementation detail.
"""

from repurchase.config._base import check_timezone
from repurchase.config.data import DataConfig
from repurchase.config.engine import EngineConfig, SparkConfig
from repurchase.config.export import ExportConfig
from repurchase.config.features import DEFAULT_SEGMENT_LABELS, FeatureConfig, RFMThresholds
from repurchase.config.generate import GenerateConfig
from repurchase.config.load import Config, default_config_dir, load_config, parse_override
from repurchase.config.metrics import MetricsConfig
from repurchase.config.models import DEFAULT_NAME_PREFIX, ModelConfig
from repurchase.config.scoring import (
    Band,
    BandThresholds,
    NeedListConfig,
    OfferTier,
    RecallListConfig,
    ScoringConfig,
)

__all__ = [
    "DEFAULT_NAME_PREFIX",
    "DEFAULT_SEGMENT_LABELS",
    "Band",
    "BandThresholds",
    "Config",
    "DataConfig",
    "EngineConfig",
    "ExportConfig",
    "FeatureConfig",
    "GenerateConfig",
    "MetricsConfig",
    "ModelConfig",
    "NeedListConfig",
    "OfferTier",
    "RFMThresholds",
    "RecallListConfig",
    "ScoringConfig",
    "SparkConfig",
    "check_timezone",
    "default_config_dir",
    "load_config",
    "parse_override",
]
