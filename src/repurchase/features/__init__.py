"""Point-in-time features on a customer x as-of spine.

:func:`build_features` is the one code path for training (many as-of dates) and scoring (one):
every feature of a customer at T uses data strictly before T only. Groups appear only when their
source tables are present, so orders-only data works.
"""

from __future__ import annotations

import logging
import time
from typing import Sequence

import numpy as np
import pandas as pd

from repurchase._arrow import release_memory
from repurchase.config import FeatureConfig
from repurchase.engine import Session, connect
from repurchase.engine.spine import query_spine
from repurchase.engine.tables import QueryTables
from repurchase.features._context import FeatureContext
from repurchase._timeline import epoch_seconds
from repurchase.features.catalog import CATALOG, GROUPS, catalog_frame, lookup, markdown
from repurchase.features.btyd import btyd
from repurchase.features.categories import categories
from repurchase.features.engagement import engagement
from repurchase.features.offers import offers
from repurchase.features.rfm import rfm
from repurchase.features.rhythm import rhythm
from repurchase.schema import Tables, validate_frame
from repurchase.segments import code_to_str, segment_labels
from repurchase.spine import AsOf, build_spine

log = logging.getLogger(__name__)

KEYS = ["customer_id", "as_of"]
RHYTHM_INPUTS = ("days_since_last_order", "orders_90d")
#: non-numeric descriptive columns added next to the features
LABEL_COLUMNS = ["rfm_segment"]
#: the columns the feature groups read, per table: ``load_tables(keep=FEATURE_INPUTS)`` holds no other
FEATURE_INPUTS = {
    "orders": ("order_id", "customer_id", "order_ts", "amount", "status", "discount_amount", "coupon_id"),
    "order_items": ("order_id", "sku", "category"),
    "products": ("sku", "category", "cycle_days"),
    "events": ("customer_id", "event_ts", "event_type", "expires_ts"),
    "customers": ("customer_id", "registered_ts", "joined_group_ts"),
}

__all__ = ["CATALOG", "FEATURE_INPUTS", "GROUPS", "KEYS", "build_features", "catalog_frame", "feature_columns", "lookup", "markdown",
           "pin_feature_config"]


def pin_feature_config(tables: Tables | QueryTables, as_of: AsOf, config: FeatureConfig | None = None) -> FeatureConfig:
    """``config`` with the data-driven choices fixed as they are at ``as_of``.

    The categories and event types that get their own columns are ranked on data strictly before
    the latest as-of date of a run. A model trained at T stores the pinned config so that scoring
    at a later date builds exactly the same columns.
    """
    from repurchase.features.categories import category_source, top_categories
    from repurchase.features.engagement import counted_types
    from repurchase.spine import as_of_timestamp

    config = config or FeatureConfig()
    t = epoch_seconds(pd.Series([as_of_timestamp(as_of, tables.timezone)]))
    ctx = FeatureContext(tables, t, config)
    ctx.session = Session(connect(), tables, pd.Series([], dtype="str"), np.zeros(0, dtype=np.int64), [])
    update = {}
    if "categories" in config.groups and config.categories is None and category_source(tables):
        update["categories"] = top_categories(ctx)
    if "engagement" in config.groups and config.event_types is None and tables.events is not None:
        update["event_types"] = counted_types(ctx)
    return config.model_copy(update=update)


def feature_columns(frame: pd.DataFrame) -> list[str]:
    """The model inputs of a feature frame: everything but the keys and descriptive labels."""
    return [c for c in frame.columns if c not in KEYS and c not in LABEL_COLUMNS]


def build_features(
    tables: Tables | QueryTables,
    as_of: Sequence[AsOf] | None = None,
    *,
    spine: pd.DataFrame | None = None,
    config: FeatureConfig | None = None,
    progress: bool = False,
    engine: dict | None = None,
) -> pd.DataFrame:
    """Features for every (customer_id, as_of) of the spine.

    Parameters
    ----------
    tables : Tables or QueryTables
        Validated tables (see :func:`repurchase.load_tables`), or tables left in their Parquet
        files (:func:`repurchase.data.query_load.load_query_tables`; DuckDB only), which the
        engine reads itself: the same features, without the tables in memory.
    as_of : sequence of dates, optional
        As-of dates; the spine is built with :func:`repurchase.spine.build_spine` (as a query
        for tables in files).
    spine : DataFrame, optional
        An explicit spine (``customer_id``, ``as_of``) instead of ``as_of``.
    config : FeatureConfig, optional
    progress : bool
        Show a progress bar over feature groups.
    engine : dict, optional
        Arguments of :func:`repurchase.engine.connect` (backend, threads, memory limit); DuckDB
        in-process by default.

    Returns
    -------
    DataFrame
        ``customer_id``, ``as_of``, the features (``config.dtype``) and ``rfm_segment``; one row
        per spine row, in spine order. The input tables are not modified.
    """
    config = config or FeatureConfig()
    con = connect(**(engine or {}))
    if spine is None:
        if as_of is None:
            raise ValueError("give as_of dates or a spine")
        if isinstance(tables, QueryTables):
            spine = query_spine(con.con, tables, as_of, include_non_buyers=config.include_non_buyers)
        else:
            spine = build_spine(tables, as_of, include_non_buyers=config.include_non_buyers)
    validate_frame(spine, "spine", required=KEYS, dtypes=False)
    q_t = epoch_seconds(spine["as_of"])
    ctx = FeatureContext(tables, q_t, config)
    ctx.session = Session(con, tables, spine["customer_id"], q_t,
                          sorted({*config.windows_days, *config.engagement_windows_days}))

    from tqdm.auto import tqdm

    dtype = np.dtype(config.dtype)
    produced = rfm(ctx)
    code = produced.pop("rfm_code")
    base = {k: produced[k] for k in RHYTHM_INPUTS if k in produced}  # rhythm reads these at full precision
    builders = {"rhythm": lambda c: rhythm(c, base), "categories": categories, "offers": offers,
                "engagement": engagement, "btyd": btyd}
    # cast each group as it comes: at 10M spine rows a float64 copy of every feature is ~6 GiB
    cols: dict[str, np.ndarray] = {k: v.astype(dtype) for k, v in produced.items()}
    del produced
    t0 = time.perf_counter()
    for name in tqdm([g for g in GROUPS if g in config.groups and g != "rfm"], desc="features",
                     unit="group", disable=not progress, leave=False):
        cols.update({k: np.asarray(v, dtype=dtype) for k, v in builders[name](ctx).items()})
        release_memory()
    del base
    log.info("built %d features for %d spine rows in %.1fs", len(cols), ctx.n, time.perf_counter() - t0)

    frame = pd.DataFrame(cols, copy=False)
    del cols
    code_str = code_to_str(code)
    frame.insert(0, "rfm_code", code.astype(dtype))
    frame.insert(0, "as_of", spine["as_of"].reset_index(drop=True))
    frame.insert(0, "customer_id", spine["customer_id"].reset_index(drop=True))
    frame["rfm_segment"] = segment_labels(code_str, config.segment_labels).to_numpy()
    unknown = [c for c in feature_columns(frame) if lookup(c) is None]
    if unknown:  # a feature without a catalog entry is a bug, not a user error
        raise AssertionError(f"features missing from the catalog: {unknown}")
    return frame
