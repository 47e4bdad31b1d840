"""repurchase: whom to message next, with what, and when.

The public API is listed in ``__all__``; everything else is internal.
"""

from repurchase.config import Config, load_config
from repurchase.data.importers import import_cdnow, import_dataset, import_online_retail_ii
from repurchase.data.io import load_tables, write_tables
from repurchase.synthetic import SyntheticSpec, generate, write_synthetic
from repurchase.errors import ConfigError, DataError, RepurchaseError
from repurchase.reports.repurchase import cohort_retention, metrics_report, repurchase_rates
from repurchase.schema import TABLES, Tables, validate_frame

__version__ = "0.1.0"

__all__ = [
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
