"""Scoring in customer batches (``scoring.batch_rows``): the lists, scores and reasons are exactly
those of one batch, whatever the batch size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from repurchase.scoring import load_models, score
from repurchase.scoring.predict import batches


def _with(config, **scoring):
    return config.model_copy(update={"scoring": config.scoring.model_copy(update=scoring)})


@pytest.fixture(scope="module")
def models(bundles_dir, score_config):
    return load_models(bundles_dir, score_config)


def _same(a, b):
    for part in ("need", "recall", "scores"):
        pd.testing.assert_frame_equal(getattr(a, part), getattr(b, part), check_exact=True)
    assert a.summary == b.summary
    assert a.drift_reference == b.drift_reference


def test_batches_of_seven_rows_give_the_same_lists(tables, score_as_of, models, score_config, monkeypatch):
    import repurchase.scoring.category_model as category_model

    whole = score(tables, score_as_of, models, score_config)
    assert score_config.scoring.batch_rows >= len(whole.scores)  # the default: one batch here
    monkeypatch.setattr(category_model, "BATCH", 7)  # the category pairs in batches of 7 customers too
    small = score(tables, score_as_of, models, _with(score_config, batch_rows=7))
    assert len(whole.need) > 50 and len(whole.recall) > 50 and (whole.need["reasons"].str.len() > 0).all()
    _same(small, whole)


@pytest.mark.parametrize("method", ["shap", "path"])
def test_reasons_in_batches_are_the_reasons_of_one_batch(tables, score_as_of, models, method):
    from repurchase.features import build_features
    from repurchase.scoring.explain import reasons

    m = models.need
    X = build_features(tables, [score_as_of], config=m.feature_config)[m.features].iloc[:300]
    whole = reasons(m.model, X, method=method)
    assert (whole.str.len() > 0).mean() > 0.9
    pd.testing.assert_series_equal(reasons(m.model, X, method=method, batch_rows=7), whole, check_exact=True)


def test_rules_score_in_batches_too(tables, score_as_of, score_config, tmp_path):
    rules = load_models(tmp_path / "no_models", score_config)  # nothing trained: the RFM rules
    whole = score(tables, score_as_of, rules, score_config)
    _same(score(tables, score_as_of, rules, _with(score_config, batch_rows=7)), whole)


def test_batches_cover_every_row_once():
    assert batches(0, 7) == []
    assert batches(5, None) == [slice(0, 5)]
    parts = batches(20, 7)
    assert parts == [slice(0, 7), slice(7, 14), slice(14, 20)]
    assert np.array_equal(np.concatenate([np.arange(20)[p] for p in parts]), np.arange(20))
