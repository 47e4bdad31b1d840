"""One registry per shop: two shops' models in one real MLflow store (SQLite) never mix.

Shop A is the synthetic retailer (with engagement events), shop B the same orders without the
events table, so the two feature sets differ, as the synthetic demo and Online Retail II do.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from repurchase.cli import main
from repurchase.config import load_config
from repurchase.data.io import load_tables
from repurchase.errors import RepurchaseError
from repurchase.models.train import train
from repurchase.scoring import load_models

mlflow = pytest.importorskip("mlflow")

SMALL = {"models": {"train_dates": 2, "timing_horizons_days": [], "min_auc_gain_vs_baselines": -1.0}, "scoring": {"recall": {"budget_contacts": 150}}}


@pytest.fixture(scope="module")
def shop_b_dir(synthetic_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("shop_b") / "data"
    out.mkdir()
    for f in synthetic_dir.iterdir():
        if f.name not in ("events.parquet", "ground_truth.parquet"):
            (out / f.name).symlink_to(f)
    return out


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    return tmp_path


def _profile(directory: Path, name: str, data_dir: Path) -> Path:
    """A shop's profile file; it sets no registry names: they come from the profile's name."""
    (directory / "profiles").mkdir(exist_ok=True)
    path = directory / "profiles" / f"{name}.yaml"
    path.write_text(f"data:\n  dir: {data_dir}\n", encoding="utf-8")
    return path


def _train_shop(data_dir: Path, cfg) -> list:
    tables = load_tables(data_dir)[0]
    return [train(tables, task, h, cfg, models_dir=cfg.models.dir) for task, h in (("next_purchase", 30), ("churn", 90))]


def test_names_experiment_and_bundles_come_from_the_profile(tmp_path):
    prof = _profile(tmp_path, "shop_a", tmp_path / "a")
    cfg = load_config(profile=str(prof))
    assert (cfg.models.name_prefix, cfg.models.experiment, cfg.models.dir) == ("shop_a", "shop_a", Path("models/shop_a"))
    # explicit keys win over the profile's name; no profile: the historical names
    cfg = load_config(profile=str(prof), overrides=["models.name_prefix=orii"])
    assert (cfg.models.name_prefix, cfg.models.experiment, cfg.models.dir) == ("orii", "orii", Path("models/orii"))
    cfg = load_config(profile=str(prof), overrides=["models.experiment=team", "models.dir=/srv/m"])
    assert (cfg.models.name_prefix, cfg.models.experiment, cfg.models.dir) == ("shop_a", "team", Path("/srv/m"))
    cfg = load_config()
    assert (cfg.models.name_prefix, cfg.models.experiment, cfg.models.dir) == ("repurchase", "repurchase", Path("models/repurchase"))


def test_two_shops_in_one_store_score_without_mixing(synthetic_dir, shop_b_dir, score_as_of, store, capsys):
    profiles = {"shop_a": _profile(store, "shop_a", synthetic_dir), "shop_b": _profile(store, "shop_b", shop_b_dir)}
    for shop, prof in profiles.items():
        cfg = load_config(profile=str(prof), overrides=[SMALL])
        results = _train_shop(cfg.data.dir, cfg)
        assert [r.registered_name for r in results] == [f"{shop}-next-purchase", f"{shop}-churn"]
        assert all(r.promoted and r.version == "1" and r.champion_auc is None for r in results), [r.reason for r in results]
        assert all(Path(r.bundle).parent == Path("models") / shop for r in results)
    client = mlflow.MlflowClient()
    for shop in profiles:
        runs = mlflow.search_runs(experiment_names=[shop])
        assert len(runs) == 2 and set(runs["tags.task"]) == {"next_purchase", "churn"}
        assert client.get_model_version_by_alias(f"{shop}-churn", "champion").version == 1

    for shop, prof in profiles.items():
        capsys.readouterr()
        assert main(["score", "--profile", str(prof), "--as-of", score_as_of, "--out", str(store / "lists" / shop),
                     "--set", "models.timing_horizons_days=[]"]) == 0, capsys.readouterr().err
        need = pd.read_parquet(store / "lists" / shop / "need_list.parquet")
        recall = pd.read_parquet(store / "lists" / shop / "recall_list.parquet")
        assert len(need) > 0 and (need["model_version"] == f"{shop}-next-purchase v1").all()
        assert len(recall) > 0 and (recall["model_version"] == f"{shop}-churn v1").all()


    # the old global names: shop B's data trained under shop A's names. Shop A's champion cannot
    # score shop B's feature set, so it is no yardstick: judged against the baselines only, never blocked
    cfg = load_config(profile=str(profiles["shop_b"]), overrides=[SMALL, {"models": {"name_prefix": "shop_a"}}])
    second = train(load_tables(shop_b_dir)[0], "next_purchase", 30, cfg, models_dir=store / "mixed")
    assert second.promoted and second.champion_auc is None, second.reason
    assert "shop_a-next-purchase v1 was trained on a different feature set" in second.reason
    assert "against the baselines only" in second.reason
    # need from shop B (v2), churn still from shop A (v1): not one consistent set, named
    with pytest.raises(RepurchaseError) as err:
        load_models("mlflow", cfg)
    msg = str(err.value)
    assert "shop_a-next-purchase v2" in msg and "shop_a-churn v1" in msg and "different feature set" in msg
    assert re.search(r"\d+ only in shop_a-churn v1 \(coupon_redeem_rate, ", msg)  # names columns only one has
