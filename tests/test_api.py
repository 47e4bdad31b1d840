"""The public Python API: one test per call, on the session's small synthetic shop."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import repurchase
from repurchase.data.io import load_tables

REPO = Path(__file__).resolve().parents[1]


def test_the_api_is_exported_and_documented():
    for name in ("load_data", "build_features", "RepurchaseClassifier", "retrain", "score", "Lists"):
        assert name in repurchase.__all__ and getattr(repurchase, name).__doc__, name
    # `import repurchase` stays light: the modelling stack loads on first use of the API
    code = "import sys, repurchase; print('sklearn' in sys.modules, 'lightgbm' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split() == ["False", "False"]
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        repurchase.nope  # noqa: B018


def test_load_data_validates_and_returns_the_tables(synthetic_dir, tmp_path):
    tables = repurchase.load_data(synthetic_dir)
    pd.testing.assert_frame_equal(tables.orders, load_tables(synthetic_dir)[0].orders)
    (tmp_path / "orders.csv").write_text("order_id,customer_id,order_ts,amount\n1,a,not a date,3\n", encoding="utf-8")
    with pytest.raises(repurchase.DataError, match="order_ts"):
        repurchase.load_data(tmp_path)


def test_build_features_takes_one_date_or_several(synthetic_tables, score_as_of):
    one = repurchase.build_features(synthetic_tables, score_as_of)
    earlier = (pd.Timestamp(score_as_of) - pd.Timedelta(days=60)).date().isoformat()
    two = repurchase.build_features(synthetic_tables, [score_as_of, earlier])
    assert one["as_of"].nunique() == 1 and two["as_of"].nunique() == 2
    pd.testing.assert_frame_equal(one, two[two["as_of"] == one["as_of"].iloc[0]].reset_index(drop=True))


def test_classifier_fit_predict_explain(synthetic_tables, score_as_of):
    end = pd.Timestamp(score_as_of) - pd.Timedelta(days=31)
    dates = [end - pd.DateOffset(months=k) for k in (3, 2, 1, 0)]
    frame = repurchase.build_features(synthetic_tables, dates)
    X = frame[repurchase.feature_columns(frame)]
    y = repurchase.next_purchase_labels(synthetic_tables, frame[["customer_id", "as_of"]], horizon_days=30)
    val = (frame["as_of"] == frame["as_of"].max()).to_numpy()
    model = repurchase.RepurchaseClassifier(n_estimators=200).fit(X[~val], y[~val], X[val], y[val])
    assert model is not None and model.best_iteration_ >= 1
    p = model.predict_proba(X[val])
    assert p.shape == (val.sum(), 2) and np.allclose(p.sum(axis=1), 1)
    why = model.explain(X[val])
    assert list(why.columns) == [*X.columns, "base"] and why.index.equals(X[val].index)
    margin = model.model_.predict(X[val], raw_score=True, num_iteration=model.best_iteration_)
    np.testing.assert_allclose(why.sum(axis=1), margin, atol=1e-6)  # additive: sums to the trees' margin
    with pytest.raises(repurchase.DataError, match="missing"):
        model.explain(X[val].drop(columns=[X.columns[0]]))


def test_score_returns_both_lists_as_written(synthetic_dir, bundles_dir, score_config, score_as_of, tmp_path):
    lists = repurchase.score(score_config, score_as_of, synthetic_dir, out_dir=tmp_path / "lists", models=bundles_dir,
                             echo=lambda line: None)
    assert len(lists.need) and len(lists.recall) and repr(lists).startswith("Lists(need=")
    pd.testing.assert_frame_equal(lists.need, pd.read_parquet(tmp_path / "lists" / "need_list.parquet"), check_dtype=False)
    assert lists.summary["as_of"] == score_as_of and Path(lists.files["summary"]).is_file()


def test_the_api_notebook_runs_retrain_and_score(tmp_path):
    """notebooks/api.ipynb: every cell of the README's Python API section, retrain and score included."""
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    nb = nbformat.read(REPO / "notebooks" / "api.ipynb", as_version=4)
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                     for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "promoted to champion" in text and "Lists(need=" in text and "early-stopped" in text
