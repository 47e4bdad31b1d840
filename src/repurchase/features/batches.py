"""Features for many as-of dates in batches of whole dates.

A training spine of 12 monthly dates over 1M customers has 11M rows; built in one go, the engine
holds every date's intermediates at once (rhythm's grids, the per-date windows) and the whole
float32 matrix (3.3 GiB) is in memory before it is written. :func:`feature_batches` builds the
spine once, fixes the data-driven columns (top categories, event types) at the latest date as a
single run would, and yields one frame per batch of dates whose rows fit ``batch_rows``: the
frames, concatenated, are the one-run frame, row for row.
"""

from __future__ import annotations

from typing import Iterator, Sequence

import pandas as pd

from repurchase.config import FeatureConfig
from repurchase.engine import connect
from repurchase.engine.spine import query_spine
from repurchase.engine.tables import QueryTables
from repurchase.schema import Tables
from repurchase.spine import AsOf, as_of_dates, build_spine

__all__ = ["date_batches", "feature_batches"]


def date_batches(rows_per_date: Sequence[int], batch_rows: int | None) -> list[slice]:
    """Consecutive runs of dates whose rows sum to at most ``batch_rows`` (a date with more rows
    than that is a batch by itself); one batch of every date when ``batch_rows`` is None.

    Examples
    --------
    >>> date_batches([3, 3, 3, 5, 1], 6)
    [slice(0, 2, None), slice(2, 3, None), slice(3, 5, None)]
    """
    n = len(rows_per_date)
    if batch_rows is None or n == 0:
        return [slice(0, n)]
    out, start, rows = [], 0, 0
    for i, r in enumerate(rows_per_date):
        if i > start and rows + r > batch_rows:
            out.append(slice(start, i))
            start, rows = i, 0
        rows += r
    out.append(slice(start, n))
    return out


def feature_batches(tables: Tables | QueryTables, as_of: Sequence[AsOf], *, config: FeatureConfig | None = None,
                    batch_rows: int | None = None, engine: dict | None = None,
                    progress: bool = False) -> Iterator[pd.DataFrame]:
    """:func:`repurchase.features.build_features` over ``as_of``, one frame per batch of dates.

    Parameters
    ----------
    tables : Tables or QueryTables
    as_of : sequence of dates
    config : FeatureConfig, optional
        Pinned once at the latest date (:func:`repurchase.features.pin_feature_config`), so every
        batch has the same columns.
    batch_rows : int, optional
        Spine rows per batch (whole dates; None: one batch).
    engine : dict, optional
        Arguments of :func:`repurchase.engine.connect`.

    Yields
    ------
    DataFrame
        The rows of consecutive dates, in spine order.
    """
    from repurchase.features import build_features, pin_feature_config

    dates = as_of_dates(as_of, tables.timezone)
    config = config or FeatureConfig()
    if isinstance(tables, QueryTables):
        spine = query_spine(connect(**(engine or {})).con, tables, dates, include_non_buyers=config.include_non_buyers)
    else:
        spine = build_spine(tables, dates, include_non_buyers=config.include_non_buyers)
    # rows of one date are consecutive, dates ascending (the spine's order)
    counts = spine.groupby("as_of", sort=True).size()
    batches = date_batches(counts.to_list(), batch_rows)
    if len(batches) > 1:
        config = pin_feature_config(tables, dates[-1], config)
    ends = counts.cumsum().to_list()
    for b in batches:
        lo = 0 if b.start == 0 else ends[b.start - 1]
        yield build_features(tables, spine=spine.iloc[lo:ends[b.stop - 1]].reset_index(drop=True), config=config,
                             progress=progress, engine=engine)
