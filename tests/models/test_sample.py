"""The training row budget: whole customers sampled before features, deterministically, the
holdout kept whole, and nothing changed when the spine fits the budget."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from repurchase.data.io import load_tables
from repurchase.models.backtest import backtest
from repurchase.models.lgbm import RepurchaseClassifier
from repurchase.models.sample import sample_training_spine
from repurchase.spine import build_spine
from tests.conftest import write_csv

#: first paid orders: a and f before every date, b from 03-01, c from 04-01, d only at the
#: validation date 05-01, e only at the holdout 06-01
FIRST = {"a": "2024-01-05", "b": "2024-02-15", "c": "2024-03-15", "d": "2024-04-15", "e": "2024-05-15", "f": "2024-01-20"}
TRAIN, VAL, HOLD = ["2024-02-01", "2024-03-01", "2024-04-01"], "2024-05-01", "2024-06-01"


@pytest.fixture(scope="module")
def spine(tmp_path_factory):
    d = tmp_path_factory.mktemp("budget")
    write_csv(d, "orders", pd.DataFrame({"order_id": [f"o{c}" for c in FIRST], "customer_id": list(FIRST),
                                         "order_ts": [f"{t} 10:00:00" for t in FIRST.values()], "amount": 10.0}))
    tables, _ = load_tables(d)
    return build_spine(tables, [*TRAIN, VAL, HOLD]), tables.timezone


def _dates(frame: pd.DataFrame) -> dict[str, set]:
    return frame.groupby("customer_id")["as_of"].apply(set).to_dict()


def test_a_tiny_budget_samples_whole_customers_and_keeps_the_holdout(spine):
    full, tz = spine
    hold = pd.Timestamp(HOLD, tz=tz)
    assert len(full.loc[full["as_of"] != hold]) == 14  # a 4, f 4, b 3, c 2, d 1
    kept, s = sample_training_spine(full, hold, budget=6, seed=42)
    train = kept.loc[kept["as_of"] != hold]
    assert s.sampled and s.spine_rows == 14 and s.customers == 5 and s.rows == len(train) <= 6
    assert 0 < s.sampled_customers == train["customer_id"].nunique() < 5
    whole = _dates(full.loc[full["as_of"] != hold])
    for customer, dates in _dates(train).items():  # every sampled customer keeps every date
        assert dates == whole[customer]
    pd.testing.assert_frame_equal(kept.loc[kept["as_of"] == hold].reset_index(drop=True),
                                  full.loc[full["as_of"] == hold].reset_index(drop=True))
    assert kept.equals(kept.sort_values(["as_of"], kind="stable"))  # spine order kept
    assert re.fullmatch(r"training spine 14 rows > budget 6: sampled \d of 5 customers \(\d rows, seed 42\)", s.describe())
    assert s.as_dict() == {"spine_rows": 14, "customers": 5, "budget": 6, "rows": s.rows,
                           "sampled_customers": s.sampled_customers, "seed": 42, "sampled": True}


def test_the_sample_is_deterministic_and_follows_the_seed(spine):
    full, tz = spine
    hold = pd.Timestamp(HOLD, tz=tz)
    first, _ = sample_training_spine(full, hold, 6, seed=42)
    again, _ = sample_training_spine(full.copy(), hold, 6, seed=42)
    pd.testing.assert_frame_equal(first, again)
    def customers(seed):
        kept = sample_training_spine(full, hold, 6, seed=seed)[0]
        return tuple(sorted(set(kept.loc[kept["as_of"] != hold, "customer_id"])))

    assert len({customers(s) for s in range(20)}) > 1


@pytest.mark.parametrize("budget", [None, 14, 10**9])
def test_a_budget_the_spine_fits_changes_nothing(spine, budget):
    full, tz = spine
    kept, s = sample_training_spine(full, pd.Timestamp(HOLD, tz=tz), budget, seed=42)
    assert kept is full and not s.sampled and s.describe() == "" and s.rows == s.spine_rows == 14


def _run(tables, budget, seed=42):
    return backtest(tables, "next_purchase", 30, ["2025-01-01"], n_train=3, n_boot=20, bgnbd=False,
                    keep_holdout=True, max_training_rows=budget, sample_seed=seed,
                    model=RepurchaseClassifier(n_estimators=200, early_stopping_rounds=20))


@pytest.fixture(scope="module")
def unbudgeted(synthetic_tables):
    return _run(synthetic_tables, None)


def test_backtest_without_or_within_the_budget_is_unchanged(synthetic_tables, unbudgeted):
    within = _run(synthetic_tables, 10**9)
    key = "2025-01-01"
    assert not within.samples[key].sampled and key not in unbudgeted.samples
    pd.testing.assert_frame_equal(within.scores[key], unbudgeted.scores[key])  # labels and every model's p
    pd.testing.assert_frame_equal(within.holdout[key], unbudgeted.holdout[key])
    pd.testing.assert_frame_equal(within.metrics, unbudgeted.metrics)


def test_backtest_over_the_budget_learns_from_fewer_customers_scored_on_the_same_holdout(synthetic_tables, unbudgeted):
    key = "2025-01-01"
    full_rows = _run(synthetic_tables, 10**9).samples[key].spine_rows
    small = _run(synthetic_tables, full_rows // 2)
    s = small.samples[key]
    assert s.sampled and s.rows <= full_rows // 2 and s.sampled_customers < s.customers
    # the holdout is never sampled: same rows, labels and features as without a budget, so the
    # model is compared with the baselines (and with the unbudgeted model) on the same rows
    pd.testing.assert_frame_equal(small.holdout[key], unbudgeted.holdout[key])
    assert np.array_equal(small.scores[key]["y"], unbudgeted.scores[key]["y"])
    assert small.metrics.set_index("model").loc["lightgbm", "auc"] > 0.75
    again = _run(synthetic_tables, full_rows // 2)
    pd.testing.assert_frame_equal(again.scores[key], small.scores[key])  # same inputs, same sample, same model


def test_training_says_it_and_records_the_sample_in_the_run_and_the_manifest(synthetic_tables, tmp_path, monkeypatch):
    """The retrain path (:func:`repurchase.models.train.train`) reads ``models.max_training_rows``;
    MLflow is stood in for by a recorder (tracking.py is the only module that talks to it)."""
    import json
    from types import SimpleNamespace

    from repurchase import tracking
    from repurchase.config import load_config
    from repurchase.models.train import describe, train

    logged = []
    monkeypatch.setattr(tracking, "champion_version", lambda name: None)
    monkeypatch.setattr(tracking, "log_training", lambda **kw: logged.append(kw) or SimpleNamespace(version="1", run_id="r1"))
    monkeypatch.setattr(tracking, "set_champion", lambda *a: None)
    monkeypatch.setattr(tracking, "note_challenger", lambda *a: None)
    cfg = load_config(overrides=[{"models": {"train_dates": 3, "max_training_rows": 2000, "training_sample_seed": 7,
                                             "blend": False}}])
    r = train(synthetic_tables, "next_purchase", 30, cfg, holdout="2025-01-01", models_dir=tmp_path)
    assert r.sample.sampled and r.sample.seed == 7 and r.sample.rows <= 2000
    line = r.sample.describe()
    assert re.fullmatch(r"training spine [\d,]+ rows > budget 2,000: sampled [\d,]+ of [\d,]+ customers "
                        r"\([\d,]+ rows, seed 7\)", line)
    assert line in describe(r)  # what `repurchase train` and `repurchase retrain` print per model
    params, tags = logged[0]["params"], logged[0]["tags"]
    assert params["training_budget"] == 2000 and params["training_seed"] == 7
    assert params["training_sampled_customers"] == r.sample.sampled_customers and tags["training_sampled"] == "true"
    manifest = json.loads((r.bundle / "manifest.json").read_text())
    assert manifest["training_sample"] == r.sample.as_dict() == logged[0]["manifest"]["training_sample"]
