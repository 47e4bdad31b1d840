"""Scoring on Spark: a fitted model applied to a Spark feature frame with ``mapInPandas``, and a
list ranked and cut at a contact budget in Spark.

The model is whatever the pandas path scores with (:func:`repurchase.scoring.predict._predict`):
an object with ``predict_proba(X)`` over the training columns in the training order, such as a
LightGBM ``LGBMClassifier`` or the package's ``RepurchaseClassifier`` (its bundles and MLflow
champions). It is pickled once on the driver and broadcast; each executor unpickles it once per
partition, so the executors' Python needs the same packages (LightGBM, scikit-learn and, for the
package's wrappers, ``repurchase`` itself) at the same versions.
"""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from repurchase.errors import DataError

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame


def _batch_scorer(blob, columns: list[str], dtypes: dict[str, str], keep: list[str], score_col: str):
    """The function ``mapInPandas`` runs on each partition: unpickle once, score every batch."""

    def score(batches):
        model = pickle.loads(blob.value)
        for batch in batches:
            # Arrow hands doubles over as float64; the model gets the dtypes it was trained on
            X = batch[columns].astype({c: dtypes[c] for c in columns if c in dtypes})
            out = batch[keep].copy() if keep else pd.DataFrame(index=batch.index)
            out[score_col] = np.asarray(model.predict_proba(X), dtype=np.float64)[:, 1] if len(X) else np.zeros(0)
            yield out

    return score


def score_in_spark(features_sdf: "DataFrame", model, feature_columns: list[str], *, score_col: str = "score",
                   keep: list[str] | None = None, dtypes: dict[str, str] | None = None) -> "DataFrame":
    """Each row's probability of the positive class, computed in Spark.

    Parameters
    ----------
    features_sdf : pyspark.sql.DataFrame
        One row per customer (and as-of date) with every column in ``feature_columns``.
    model : object
        Fitted, with ``predict_proba``; picklable.
    feature_columns : list of str
        The columns the model was trained on, in the training order (a scoring model's
        ``features``, a ``RepurchaseClassifier``'s ``feature_names_in_``).
    score_col : str
        Name of the output probability column.
    keep : list of str, optional
        Columns carried into the output; default: every column that is not a feature (the keys).
    dtypes : dict, optional
        Column -> the dtype the model was trained with (a scoring model's ``dtypes``); default the
        model's ``feature_dtypes_`` when it has them. Each batch is cast to these first, as the
        pandas path's frames are (features are float32 by default, Spark's are doubles).

    Returns
    -------
    pyspark.sql.DataFrame
        ``keep`` columns and ``score_col`` (double). Lazy: nothing runs until an action.

    Raises
    ------
    DataError
        A feature column is missing from ``features_sdf``.
    """
    from pyspark.sql.types import DoubleType, StructField, StructType

    columns = list(feature_columns)
    missing = [c for c in columns if c not in features_sdf.columns]
    if missing:
        raise DataError(f"the Spark feature frame lacks {len(missing)} model feature(s): {', '.join(missing[:10])}")
    if score_col in features_sdf.columns:
        raise DataError(f"the Spark feature frame already has a column named {score_col}")
    keep = [c for c in features_sdf.columns if c not in set(columns)] if keep is None else list(keep)
    dtypes = dict(dtypes if dtypes is not None else getattr(model, "feature_dtypes_", None) or {})
    by_name = {f.name: f for f in features_sdf.schema.fields}
    schema = StructType([by_name[c] for c in keep] + [StructField(score_col, DoubleType(), True)])
    blob = features_sdf.sparkSession.sparkContext.broadcast(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    # only the columns needed travel to Python: features in the training order, then the kept keys
    needed = list(dict.fromkeys(columns + keep))
    return features_sdf.select(*needed).mapInPandas(_batch_scorer(blob, columns, dtypes, keep, score_col), schema)


def rank_and_cut(sdf: "DataFrame", score_col: str, budget: int | None, *, by_desc: bool = True,
                 id_col: str = "customer_id", rank_col: str = "rank") -> "DataFrame":
    """Rank rows by score and keep the first ``budget``, as the lists do in pandas.

    The order is :func:`repurchase.scoring.lists.rank_order`'s: score (highest first with
    ``by_desc``), ties by ``id_col`` ascending, so reruns give the same list; a NaN or null score
    ranks last (Spark alone would put NaN first in a descending sort).

    Parameters
    ----------
    sdf : pyspark.sql.DataFrame
        Scored rows, one per ``id_col``.
    score_col : str
        The column ranked on.
    budget : int or None
        Rows to keep (contacts); None keeps every row.
    by_desc : bool
        Highest score first (default) or lowest first.
    id_col : str
        The tie-breaking key.
    rank_col : str
        Name of the 1-based rank column added.

    Returns
    -------
    pyspark.sql.DataFrame
        At most ``budget`` rows with ``rank_col`` 1, 2, ..., ordered by it.

    Notes
    -----
    With a budget, Spark takes the top rows per partition and merges them (no full sort), and only
    those ``budget`` rows are numbered, in one partition. Without one, the numbering window moves
    every row into a single partition: fine for a list, not for billions of rows. The control
    group and the money budget (:func:`repurchase.scoring.lists.budget_cut`) are not applied here.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if budget is not None and budget < 0:
        raise DataError(f"budget must be 0 or more, got {budget}")
    key = "__rank_key"
    s = F.col(score_col)
    ranked = sdf.withColumn(key, F.when(F.isnan(s), F.lit(None)).otherwise(s).cast("double"))
    order = [F.col(key).desc_nulls_last() if by_desc else F.col(key).asc_nulls_last(), F.col(id_col).asc()]
    if budget is not None:
        ranked = ranked.orderBy(*order).limit(int(budget))
    ranked = ranked.withColumn(rank_col, F.row_number().over(Window.orderBy(*order)))
    return ranked.orderBy(rank_col).drop(key)


def checkpoint(con, expr):
    """``expr`` computed once on Spark and registered as a temporary view: a local checkpoint
    cuts the lineage, so later stages do not re-plan (and re-run) everything before it."""
    import uuid

    con._run_pre_execute_hooks(expr)  # Ibis registers the memtables it reads only when it executes
    df = con._session.sql(con.compile(expr)).localCheckpoint()
    name = f"_rp_ckpt_{uuid.uuid4().hex[:12]}"
    df.createOrReplaceTempView(name)
    return con.table(name)
