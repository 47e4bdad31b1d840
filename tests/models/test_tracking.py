"""Training runs in a real MLflow store (SQLite, and a real `mlflow server` on 127.0.0.1),
the champion alias follows the promotion rule, and bundles are integrity-checked."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from repurchase.config import load_config
from repurchase.data.io import load_tables
from repurchase.errors import RepurchaseError
from repurchase.models.bundle import load_bundle
from repurchase.models.train import train

mlflow = pytest.importorskip("mlflow")


@pytest.fixture(scope="module")
def tables(synthetic_dir):
    return load_tables(synthetic_dir)[0]


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


def _cfg(**models):
    return load_config(overrides=[{"models": {"train_dates": 4, **models}}])


def _alias(name: str) -> str:
    return str(mlflow.MlflowClient().get_model_version_by_alias(name, "champion").version)


def test_champion_follows_the_promotion_rule(tables, store, tmp_path):
    first = train(tables, "next_purchase", 30, _cfg(), models_dir=tmp_path / "models")
    assert first.promoted and first.version == "1" and _alias(first.registered_name) == "1"
    assert "beats every baseline" in first.reason and "no champion yet" in first.reason

    # same data, same config: the new model ties the champion on the same holdout; a tie does not beat it
    second = train(tables, "next_purchase", 30, _cfg(), models_dir=tmp_path / "models")
    assert not second.promoted and second.version == "2"
    assert second.champion_auc == pytest.approx(first.metrics.set_index("model").loc["lightgbm", "auc"])
    assert _alias(first.registered_name) == "1"
    assert "champion" in second.reason and second.bundle.name.endswith(".challenger")

    third = train(tables, "next_purchase", 30, _cfg(min_auc_gain_vs_baselines=1.0), models_dir=tmp_path / "models")
    assert not third.promoted and "does not beat recency" in third.reason and _alias(first.registered_name) == "1"

    version = mlflow.MlflowClient().get_model_version(first.registered_name, "3")
    assert version.tags["promotion"].startswith("challenger:")
    run = mlflow.get_run(first.run_id)
    assert run.data.metrics["holdout_auc"] > run.data.metrics["baseline_recency_auc"]
    assert run.data.params["task"] == "next_purchase"
    loaded = mlflow.sklearn.load_model(f"models:/{first.registered_name}@champion")
    assert hasattr(loaded, "predict_proba")


def test_bundle_is_checked_before_loading(tables, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = train(tables, "churn", 60, _cfg(), models_dir=tmp_path / "models", track=False)
    model, manifest = load_bundle(r.bundle)
    assert manifest["task"] == "churn" and manifest["features"] == model.feature_names_in_
    assert json.loads((r.bundle / "manifest.json").read_text())["sha256"] == manifest["sha256"]
    data = (r.bundle / "model.joblib").read_bytes()
    (r.bundle / "model.joblib").write_bytes(data[:-10] + b"0123456789")
    with pytest.raises(RepurchaseError, match="does not match its manifest"):
        load_bundle(r.bundle)
    (r.bundle / "model.joblib").write_bytes(data[: len(data) // 2])
    with pytest.raises(RepurchaseError, match="does not match its manifest"):
        load_bundle(r.bundle)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mlflow_server(tmp_path, monkeypatch):
    """A real `mlflow server` on 127.0.0.1, stopped afterwards."""
    port = _free_port()
    exe = Path(sys.executable).with_name("mlflow")
    proc = subprocess.Popen(
        [str(exe), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}", "--artifacts-destination", str(tmp_path / "artifacts")],
        stdout=subprocess.DEVNULL, stderr=open(tmp_path / "server.log", "wb"), cwd=tmp_path,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
        if proc.poll() is not None:
            pytest.fail("mlflow server exited: " + (tmp_path / "server.log").read_text()[-2000:])
    else:
        proc.kill()
        pytest.fail("mlflow server did not start in 90 s")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    monkeypatch.chdir(tmp_path)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_training_against_a_real_mlflow_server(tables, mlflow_server, tmp_path):
    r = train(tables, "next_purchase", 30, _cfg(), models_dir=tmp_path / "models")
    assert r.promoted and r.version == "1"
    client = mlflow.MlflowClient(tracking_uri=mlflow_server)
    assert str(client.get_model_version_by_alias("repurchase-next-purchase", "champion").version) == "1"
    assert client.get_run(r.run_id).data.metrics["holdout_auc"] > 0.5
    assert os.environ["MLFLOW_TRACKING_URI"] == mlflow_server


def test_an_unreachable_tracking_server_fails_fast_naming_the_uri(synthetic_dir, score_as_of, tmp_path):
    """MLflow's own defaults retry for minutes per request (and a broad except once turned the
    failure into "no champion", i.e. silent RFM rules): bounded retries, then exit 2 with the URI."""
    uri = "http://127.0.0.1:1"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")} | {"MLFLOW_TRACKING_URI": uri}
    exe = Path(sys.executable).with_name("repurchase")
    # the timeout guards the test run; it is not a timing assertion
    proc = subprocess.run([str(exe), "score", str(synthetic_dir), "--as-of", score_as_of, "--out", str(tmp_path / "lists")],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=90)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert f"MLflow tracking server at {uri}" in proc.stderr and "unreachable" in proc.stderr
    assert "--models" in proc.stderr  # says how to score without the server
    assert not (tmp_path / "lists").exists()
