"""repurchase: whom to message next, with what, and when.

The public API is listed in ``__all__``; everything else is internal.
"""

import importlib

from repurchase.config import Config, load_config
from repurchase.data.importers import import_cdnow, import_dataset, import_online_retail_ii
from repurchase.data.io import load_tables, write_tables
from repurchase.synthetic import SyntheticSpec, generate, write_synthetic
from repurchase.errors import ConfigError, DataError, RepurchaseError
from repurchase.reports.repurchase import cohort_retention, metrics_report, repurchase_rates
from repurchase.schema import TABLES, Tables, validate_frame

__version__ = "0.1.0"

#: the notebook API, imported on first use: ``import repurchase`` (and so every command's start)
#: does not pay for scikit-learn, LightGBM and the BTYD stack until they are needed
_LAZY = {
    "Lists": "repurchase.api", "build_features": "repurchase.api", "load_data": "repurchase.api",
    "retrain": "repurchase.api", "score": "repurchase.api",
    "feature_columns": "repurchase.features",
    "churn_labels": "repurchase.labels", "next_purchase_labels": "repurchase.labels",
    "RepurchaseClassifier": "repurchase.models.lgbm",
}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # once
        return value
    raise AttributeError(f"module 'repurchase' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

__all__ = [
    # the notebook API: data -> features -> a model, and the two scheduled jobs
    "load_data",
    "build_features",
    "next_purchase_labels",
    "churn_labels",
    "feature_columns",
    "RepurchaseClassifier",
    "retrain",
    "score",
    "Lists",
    # the rest
    "Config",
    "ConfigError",
    "DataError",
    "RepurchaseError",
    "SyntheticSpec",
    "TABLES",
    "Tables",
    "cohort_retention",
    "generate",
    "import_cdnow",
    "import_dataset",
    "import_online_retail_ii",
    "load_config",
    "load_tables",
    "metrics_report",
    "repurchase_rates",
    "validate_frame",
    "write_synthetic",
    "write_tables",
]
