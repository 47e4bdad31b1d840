"""The Python API for a notebook: load a shop's data, build features as of a date, fit and explain
a model, retrain and score the way the scheduled jobs do.

Every function takes the same layered config as the command line: a :class:`~repurchase.Config`,
a profile name (``"online_retail_ii"``, i.e. ``configs/profiles/online_retail_ii.yaml`` over the
base), or None for the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from repurchase.config import Config, load_config
from repurchase.data.io import load_tables
from repurchase.features import build_features as _build_features
from repurchase.pipelines import retrain as _retrain
from repurchase.pipelines import score_lists
from repurchase.pipelines.retrain import RetrainResult
from repurchase.schema import Tables
from repurchase.spine import AsOf


def _config(config: Config | str | None) -> Config:
    if isinstance(config, Config):
        return config
    return load_config(profile=config)


def load_data(data_dir: str | Path, config: Config | str | None = None) -> Tables:
    """Read and validate a data directory (CSV or Parquet exports) into :class:`~repurchase.Tables`.

    Parameters
    ----------
    data_dir : path
        A directory with ``orders`` and the optional tables (docs/data_contract.md).
    config : Config, profile name or None
        Its ``data`` section maps the shop's column names, status words, encoding and timezone.

    Returns
    -------
    Tables
        Validated frames; bad input raises :class:`~repurchase.DataError` naming the table, the
        column, how many rows and a few examples.
    """
    tables, _ = load_tables(data_dir, _config(config).data)
    return tables


def build_features(tables: Tables, as_of: AsOf | Sequence[AsOf], config: Config | str | None = None) -> pd.DataFrame:
    """Point-in-time features, one row per (customer, as-of date), from data strictly before each date.

    Parameters
    ----------
    tables : Tables
        From :func:`load_data`.
    as_of : date or sequence of dates
        "2011-06-01", a ``Timestamp``, or several; read in the data's business timezone.
    config : Config, profile name or None
        Its ``features`` section (windows, groups).

    Returns
    -------
    DataFrame
        ``customer_id``, ``as_of``, the feature columns (``repurchase features --list``) and
        ``rfm_segment``. Labels for the same rows: :func:`repurchase.next_purchase_labels` /
        :func:`repurchase.churn_labels` on ``frame[["customer_id", "as_of"]]``.
    """
    many = isinstance(as_of, (list, tuple, pd.Index, pd.Series, np.ndarray))
    dates = list(as_of) if many else [as_of]
    return _build_features(tables, dates, config=_config(config).features)


def retrain(config: Config | str | None = None, data_dir: str | Path | None = None, *, track: bool = True,
            echo: Callable[[str], None] = print) -> RetrainResult:
    """Retrain every model (need 30 d, timing 7 / 14 d, churn 90 d) as ``repurchase retrain`` does:
    dates from the data, fit, compare with the baselines and the champion on the same holdout,
    register in MLflow (``track``) and promote by the gate.

    Parameters
    ----------
    config : Config, profile name or None
    data_dir : path, optional
        Default: the config's ``data.dir``.
    track : bool
        Log to MLflow (``MLFLOW_TRACKING_URI``, else ``./mlflow.db``); False writes bundles only.
    echo : callable
        Where the step lines go.

    Returns
    -------
    RetrainResult
        ``results`` (one :class:`~repurchase.models.train.TrainResult` per model: metrics,
        promoted, reason, version) and ``timings``.
    """
    return _retrain(_config(config), data_dir, track=track, echo=echo)


@dataclass(frozen=True)
class Lists:
    """The two lists of one scoring run, as written for the CRM."""

    #: who buys again soon: expected date, categories, offer, reasons, contact hour, control flag
    need: pd.DataFrame
    #: valuable customers slipping away, ranked by value at risk and cut at the budget
    recall: pd.DataFrame
    #: counts, exclusions and why, expected revenue, drift (``summary.json``)
    summary: dict = field(repr=False)
    #: what was written where
    files: dict = field(repr=False)

    def __repr__(self) -> str:
        return f"Lists(need={len(self.need):,} rows, recall={len(self.recall):,} rows, files={len(self.files)})"


def score(config: Config | str | None = None, as_of: AsOf | None = None, data_dir: str | Path | None = None, *,
          out_dir: str | Path | None = None, models: str | Path | None = None,
          echo: Callable[[str], None] = print) -> Lists:
    """Score at ``as_of`` with the champions and write both lists, as ``repurchase score`` does.

    Parameters
    ----------
    config : Config, profile name or None
    as_of : date, optional
        Default: today in the data's business timezone.
    data_dir, out_dir : path, optional
        Default: ``data.dir`` and ``export.out_dir``.
    models : "mlflow" or a bundle directory, optional
        Default: ``scoring.models``.
    echo : callable
        Where the step lines go.

    Returns
    -------
    Lists
        ``need`` and ``recall`` DataFrames, the ``summary`` and the ``files`` written. No database
        is written from here (``export.db_url`` is for the scheduled job).
    """
    run = score_lists(_config(config), None if as_of is None else str(pd.Timestamp(as_of).date()), data_dir,
                      out_dir=out_dir, models=models, db="", echo=echo)
    return Lists(run.result.need, run.result.recall, run.result.summary, run.files)


__all__ = ["Lists", "build_features", "load_data", "retrain", "score"]
