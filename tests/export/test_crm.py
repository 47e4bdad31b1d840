"""CRM export: files (BOM, atomic replacement) and the SQL table (one row per key after reruns, a
failed load leaves the previous rows), on SQLite and on a real PostgreSQL started on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

from repurchase.errors import RepurchaseError
from repurchase.export.crm import SCHEMA_VERSION, mask, resolve_url, write_crm_table, write_list_files
from tests.conftest import REPO

sqlalchemy = pytest.importorskip("sqlalchemy")


def _rows(url: str) -> pd.DataFrame:
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            return pd.read_sql("SELECT * FROM crm_customer_scores", conn)
    finally:
        engine.dispose()


def _check_upsert(url: str, result) -> None:
    frames = [result.need, result.recall]
    write_crm_table(frames, url)
    first = _rows(url)
    write_crm_table(frames, url)  # a rerun replaces, never duplicates
    rows = _rows(url)
    assert len(rows) == len(result.need) + len(result.recall) == len(first)
    assert not rows.duplicated(["as_of", "list", "customer_id"]).any()
    assert (rows["schema_version"] == SCHEMA_VERSION).all()
    got = rows.set_index(["list", "customer_id"]).sort_index()
    want = pd.concat(frames).set_index(["list", "customer_id"]).sort_index()
    assert (got["rank"] == want["rank"]).all() and (got["control_group"].astype(bool) == want["control_group"]).all()

    # a failing load (a row without customer_id) is rolled back whole: the previous rows stay
    broken = result.need.copy()
    broken["rank"] = broken["rank"] + 1000
    broken.loc[broken.index[-1], "customer_id"] = None
    with pytest.raises(RepurchaseError, match="rolled back"):
        write_crm_table([broken], url)
    after = _rows(url)
    assert len(after) == len(rows)
    assert after.loc[after["list"] == "need", "rank"].max() == len(result.need)

    # the tags view maps rows onto WeCom-style tags: segment, band, due categories
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        tags = pd.read_sql("SELECT tag_group, COUNT(*) AS n FROM crm_customer_tags GROUP BY tag_group", conn)
    engine.dispose()
    n = dict(zip(tags["tag_group"], tags["n"]))
    assert n["rfm_segment"] == n["band"] == len(rows)
    assert n["due_category"] == result.need[["top_category_1", "top_category_2", "top_category_3"]].notna().sum().sum()

    # another as-of date adds rows beside the first
    later = result.need.assign(as_of=result.need["as_of"] + pd.Timedelta(days=1))
    write_crm_table([later], url)
    assert len(_rows(url)) == len(rows) + len(later)


def test_sqlite_upsert_is_idempotent_and_atomic(tmp_path, result):
    _check_upsert(f"sqlite:///{tmp_path / 'crm.db'}", result)


def test_postgresql_upsert_is_idempotent_and_atomic(postgres_url, result):
    _check_upsert(postgres_url, result)


def test_files_have_a_bom_and_replace_the_previous_output_whole(tmp_path, result):
    out = tmp_path / "lists"
    paths = write_list_files(result.need, result.recall, result.summary, out)
    raw = (out / "need_list.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(out / "need_list.csv", encoding="utf-8-sig", dtype={"rfm_code": str, "customer_id": str})
    assert back["customer_id"].tolist() == result.need["customer_id"].tolist()
    pd.testing.assert_frame_equal(pd.read_parquet(out / "recall_list.parquet"), result.recall, check_dtype=False)
    assert (out / "score_distribution.png").stat().st_size > 10_000 and paths["summary"].is_file()
    # a second run with fewer rows leaves no trace of the first
    write_list_files(result.need.head(5), result.recall.head(0), result.summary, out, plot=False)
    assert len(pd.read_parquet(out / "need_list.parquet")) == 5 and not (out / "score_distribution.png").exists()


def test_an_unrelated_directory_is_not_replaced(tmp_path, result):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(RepurchaseError, match="not a previous scoring output"):
        write_list_files(result.need, result.recall, result.summary, tmp_path)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_database_password_only_from_the_environment_and_masked(monkeypatch):
    monkeypatch.setenv("REPURCHASE_DB_PASSWORD", "s3cret")
    url = resolve_url("postgresql+psycopg://crm@db.example:5432/crm")
    assert "s3cret" in url and "s3cret" not in mask(url) and "***" in mask(url)
    monkeypatch.setenv("REPURCHASE_DB_URL", "sqlite:///x.db")
    assert resolve_url(None) == "sqlite:///x.db"
    monkeypatch.delenv("REPURCHASE_DB_URL")
    assert resolve_url(None) is None


def test_the_database_password_never_reaches_output_or_mlflow(postgres_url, synthetic_dir, bundles_dir, score_as_of,
                                                              tmp_path, monkeypatch):
    """The password comes from the environment only, is masked in every printed line and log line,
    and never reaches the MLflow run of a pipeline."""
    secret = "s3cret-pw-7731"
    monkeypatch.setenv("REPURCHASE_DB_PASSWORD", secret)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.chdir(tmp_path)
    env = {**os.environ}
    proc = subprocess.run([sys.executable, "-m", "repurchase", "-v", "score", str(synthetic_dir), "--as-of", score_as_of,
                           "--out", str(tmp_path / "lists"), "--models", str(bundles_dir), "--db", postgres_url,
                           "--set", "models.timing_horizons_days=[7]"], capture_output=True, text=True, env=env, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert secret not in proc.stdout + proc.stderr and "crm_customer_scores" in proc.stdout
    assert "postgres:***@" in proc.stdout  # the URL is shown, masked
    proc = subprocess.run([sys.executable, "-m", "repurchase", "-v", "retrain", str(synthetic_dir), "--set",
                           "models.train_dates=4", "--set", "models.timing_horizons_days=[]", "--models-dir",
                           str(tmp_path / "m"), "--set", f"export.db_url={postgres_url}"],
                          capture_output=True, text=True, env=env, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert secret not in proc.stdout + proc.stderr
    stored = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and "lists" not in p.parts)
    assert secret.encode() not in stored  # not in mlflow.db, the artifacts or the bundles
