"""Uplift ranking for the recall list: learn who responds from past campaigns (contacted vs
control), and compare that ranking with ranking by churn risk on the Qini curve."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from repurchase.config import FeatureConfig
from repurchase.errors import DataError
from repurchase.features import build_features, feature_columns
from repurchase.labels import data_end, next_purchase_labels
from repurchase.models.bundle import save_bundle
from repurchase.models.uplift import BUNDLE, TwoModelUplift, qini_coefficient
from repurchase.schema import Tables
from repurchase.spine import as_of_timestamp, shift_days



def campaign_rows(tables: Tables, lists: pd.DataFrame, window_days: int, feature_config: FeatureConfig,
                  list_name: str = "recall") -> tuple[pd.DataFrame, np.ndarray, np.ndarray, pd.DataFrame]:
    """Features at each as-of date (data strictly before it), treated flag (contacted, not control)
    and outcome (a paid order in [T, T + window)) for every list row whose window has closed."""
    rows = lists.loc[lists["list"] == list_name].copy()
    rows["ts"] = [as_of_timestamp(str(d), tables.timezone) for d in rows["as_of"]]
    end = data_end(tables)
    rows = rows.loc[[shift_days(t, window_days) <= end for t in rows["ts"]]].reset_index(drop=True)
    if rows.empty:
        raise DataError(f"no {list_name} list rows with a closed {window_days}-day window: run a campaign first")
    spine = pd.DataFrame({"customer_id": rows["customer_id"].astype("str"), "as_of": pd.DatetimeIndex(rows["ts"])})
    feats = build_features(tables, spine=spine, config=feature_config)
    y = next_purchase_labels(tables, spine, window_days).to_numpy()
    treated = ~rows["control_group"].astype(bool).to_numpy()
    # the list's own score (churn risk) is known at T and shapes who responds: a feature too
    X = feats[feature_columns(feats)].assign(list_score=rows["score"].to_numpy(float))
    return X, treated, y, rows


def train_uplift(tables: Tables, lists: pd.DataFrame, window_days: int, feature_config: FeatureConfig,
                 models_dir: str | Path, *, holdout_as_of: str | None = None) -> dict:
    """Fit the two-model uplift estimator on past recall campaigns; with ``holdout_as_of``, the
    campaign of that date is held out and both rankings are compared on it (Qini)."""
    X, treated, y, rows = campaign_rows(tables, lists, window_days, feature_config)
    test = (rows["as_of"].astype(str) == str(holdout_as_of)).to_numpy() if holdout_as_of else np.zeros(len(rows), bool)
    model = TwoModelUplift().fit(X[~test], treated[~test], y[~test])
    report = {"train_rows": int((~test).sum()), "window_days": window_days}
    if test.any():
        u = model.predict_uplift(X[test])
        risk = rows.loc[test, "score"].to_numpy(float)
        report.update({"holdout_as_of": str(holdout_as_of), "holdout_rows": int(test.sum()),
                       "qini_uplift": qini_coefficient(u, treated[test], y[test]),
                       "qini_risk": qini_coefficient(risk, treated[test], y[test])})
        report["winner"] = "uplift" if report["qini_uplift"] > report["qini_risk"] else "risk"
    manifest = {"task": "uplift_recall", "features": list(X.columns), "window_days": window_days,
                "features_config": feature_config.model_dump(mode="json"), "report": report}
    save_bundle(model, manifest, Path(models_dir) / BUNDLE)
    return report
