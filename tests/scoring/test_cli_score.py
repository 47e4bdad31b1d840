"""`repurchase score` as a user runs it: bundles or the MLflow registry, files and a SQLite table."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from repurchase.cli import main


def _count(db):
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT COUNT(*), COUNT(DISTINCT as_of || list || customer_id) FROM crm_customer_scores").fetchone()


def test_score_twice_into_sqlite_keeps_one_row_per_key(synthetic_dir, bundles_dir, score_as_of, tmp_path, capsys):
    db = tmp_path / "crm.db"
    args = ["score", str(synthetic_dir), "--as-of", score_as_of, "--out", str(tmp_path / "lists"),
            "--models", str(bundles_dir), "--db", f"sqlite:///{db}", "--set", "models.timing_horizons_days=[7]"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "need list:" in out and "recall list:" in out and "ROI" in out and "crm_customer_scores" in out
    assert (tmp_path / "lists" / "drift.csv").is_file() and "drift of the churn model" in out
    assert (tmp_path / "lists" / "report.html").is_file() and "report.html" in out
    first = _count(db)
    assert main(args) == 0
    assert _count(db) == first and first[0] == first[1]
    need = pd.read_csv(tmp_path / "lists" / "need_list.csv", encoding="utf-8-sig")
    recall = pd.read_csv(tmp_path / "lists" / "recall_list.csv", encoding="utf-8-sig")
    assert first[0] == len(need) + len(recall)


def test_score_from_the_mlflow_registry(synthetic_tables, synthetic_dir, score_config, score_as_of, tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    from repurchase.models.train import train

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    for task, horizon in (("next_purchase", 30), ("churn", 90)):
        assert train(synthetic_tables, task, horizon, score_config, models_dir=tmp_path / "models").promoted
    assert main(["score", str(synthetic_dir), "--as-of", score_as_of, "--out", str(tmp_path / "lists"),
                 "--set", "models.timing_horizons_days=[7]"]) == 0  # no 7-day champion: timing from the 30-day model
    need = pd.read_parquet(tmp_path / "lists" / "need_list.parquet")
    recall = pd.read_parquet(tmp_path / "lists" / "recall_list.parquet")
    assert (need["model_version"] == "repurchase-next-purchase v1").all()
    assert (recall["model_version"] == "repurchase-churn v1").all()


def test_score_refuses_a_feature_mismatch_with_exit_code_2(synthetic_dir, bundles_dir, score_as_of, tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    for f in synthetic_dir.iterdir():
        if f.name != "events.parquet":
            (data / f.name).symlink_to(f)
    code = main(["score", str(data), "--as-of", score_as_of, "--out", str(tmp_path / "lists"), "--models", str(bundles_dir)])
    assert code == 2
    err = capsys.readouterr().err
    assert "missing:" in err and "Retrain" in err and not (tmp_path / "lists").exists()
