"""Scoring end to end on the synthetic retailer: list invariants, exclusions, determinism,
feature-mismatch refusal."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from repurchase.config import load_config
from repurchase.errors import DataError, RepurchaseError
from repurchase.scoring import load_models, score
from repurchase.scoring.lists import LIST_COLUMNS
from repurchase.scoring.need import NEED_EXTRA
from repurchase.scoring.score import BOTH_SCORES
from repurchase.scoring.recall import RECALL_EXTRA

TYPES = {"customer_id": "string", "list": "string", "rank": "integer", "score": "floating", "band": "string",
         "rfm_code": "string", "rfm_segment": "string", "offer": "string", "reasons": "string",
         "best_contact_hour": "integer", "control_group": "boolean", "model_version": "string", "as_of": "date"}


@pytest.fixture(scope="module")
def models(bundles_dir, score_config):
    return load_models(bundles_dir, score_config)


@pytest.fixture(scope="module")
def result(tables, score_as_of, models, score_config):
    return score(tables, score_as_of, models, score_config)


def test_every_column_with_its_type(result):
    for frame, extra in ((result.need, NEED_EXTRA), (result.recall, RECALL_EXTRA)):
        assert list(frame.columns) == LIST_COLUMNS + extra + BOTH_SCORES
        assert len(frame) > 50
        for col, kind in TYPES.items():
            assert pd.api.types.infer_dtype(frame[col], skipna=False) == kind, col
        assert frame["band"].isin(["high", "medium", "low"]).all()
        assert frame["best_contact_hour"].between(0, 23).all()
        assert frame["rfm_code"].str.fullmatch("[01]{3}").all()
        assert (frame["reasons"].str.len() > 0).mean() > 0.95
    assert result.need["expected_purchase_date"].map(type).eq(type(result.need["as_of"].iloc[0])).all()
    assert (result.need["expected_purchase_date"] > result.need["as_of"]).all()
    assert result.need["top_category_1"].notna().mean() > 0.9  # the synthetic shop has categories
    assert result.need["top_categories"].str.contains(r"\((?:due|upgrade|related|next)\)").mean() > 0.9


def test_lists_are_ranked(result):
    need, recall = result.need, result.recall
    for frame in (need, recall):
        assert frame["rank"].tolist() == list(range(1, len(frame) + 1))
        assert frame["customer_id"].is_unique
    assert need["score"].is_monotonic_decreasing
    assert recall["value_at_risk"].is_monotonic_decreasing
    assert np.allclose(recall["value_at_risk"], recall["score"] * recall["expected_spend"], atol=0.02)


def test_recall_rules_threshold_budget_and_gain(result, score_config):
    rc = score_config.scoring.recall
    recall = result.recall
    assert (recall["score"] >= rc.min_churn_probability).all()
    contacted = recall.loc[~recall["control_group"]]
    assert len(contacted) == rc.budget_contacts  # enough candidates: the budget is used, never exceeded
    assert result.summary["recall"]["excluded"]["over_budget"] > 0
    gain = rc.response_rate * recall["value_at_risk"] - rc.contact_cost - recall["offer_cost"]
    assert np.allclose(recall.loc[~recall["control_group"], "expected_gain"], gain[~recall["control_group"]], atol=0.02)
    s = result.summary["recall"]
    assert s["cost"] == pytest.approx(contacted["contact_cost"].sum() + contacted["offer_cost"].sum(), abs=0.05)


def test_money_budget_is_never_exceeded(tables, score_as_of, models, score_config):
    cfg = load_config(overrides=[score_config.model_dump(mode="json"),
                                 {"scoring": {"recall": {"budget_contacts": None, "budget_money": 500.0}}}])
    r = score(tables, score_as_of, models, cfg).recall
    contacted = r.loc[~r["control_group"]]
    assert 0 < contacted["contact_cost"].sum() + contacted["offer_cost"].sum() <= 500.0


def test_control_share_within_tolerance_per_band_and_stable(result, tables, score_as_of, models, score_config):
    for frame in (result.need, result.recall):
        share = frame["control_group"].mean()
        assert abs(share - 0.1) < 0.03
        for _, g in frame.groupby("band"):
            assert g["control_group"].sum() == pytest.approx(0.1 * len(g), abs=1)
    again = score(tables, score_as_of, models, score_config)
    pd.testing.assert_frame_equal(again.need, result.need)
    pd.testing.assert_frame_equal(again.recall, result.recall)


def test_just_bought_customers_are_not_pushed(result, tables, score_as_of, models, score_config):
    from repurchase.features import build_features

    feats = build_features(tables, [score_as_of], config=models.need.feature_config)
    not_due = set(feats.loc[feats["due_ratio"] < score_config.scoring.need.min_due_ratio, "customer_id"])
    assert not_due and not (not_due & set(result.need["customer_id"]))
    assert result.summary["need"]["excluded"]["not_yet_due"] > 0


def test_excluded_customers_are_absent_and_counted(tables, score_as_of, models, score_config, result):
    listed = list(result.need["customer_id"][:20]) + list(result.recall["customer_id"][:20])
    customers = tables.customers.assign(do_not_contact=tables.customers["customer_id"].isin(listed))
    contacts = pd.DataFrame({"customer_id": list(result.recall["customer_id"][20:30]),
                             "contacted_ts": pd.Timestamp(score_as_of, tz=tables.timezone) - pd.Timedelta(days=2),
                             "control_group": False})
    t2 = dataclasses.replace(tables, customers=customers, contacts=contacts)
    r = score(t2, score_as_of, models, score_config)
    banned = set(listed) | set(contacts["customer_id"])
    assert not banned & set(r.need["customer_id"]) and not banned & set(r.recall["customer_id"])
    assert r.summary["recall"]["excluded"]["recently_contacted"] == 10
    assert r.summary["need"]["excluded"]["do_not_contact"] >= 20


def test_a_feature_set_that_differs_from_training_is_refused(tables, score_as_of, models, score_config):
    without_events = dataclasses.replace(tables, events=None)
    with pytest.raises(DataError) as err:
        score(without_events, score_as_of, models, score_config)
    msg = str(err.value)
    assert "differs from the one the model was trained on" in msg and "missing: " in msg
    assert "days_since_last_engagement" in msg


def test_missing_models_say_what_to_run(tmp_path, score_config):
    with pytest.raises(RepurchaseError, match="repurchase train DATA_DIR --task next_purchase --horizon 30"):
        load_models(tmp_path, score_config, fallback=False)


def test_without_champions_transparent_rfm_rules_score_and_say_so(tables, score_as_of, score_config, tmp_path):
    models = load_models(tmp_path, score_config)  # an empty bundle directory: nothing trained yet
    assert models.need.rules and models.churn.rules and not models.timing
    r = score(tables, score_as_of, models, score_config)
    for frame in (r.need, r.recall):
        assert len(frame) > 20 and (frame["model_version"] == "rfm-rules-v1").all()
        assert (frame["reasons"].str.len() > 0).mean() > 0.9
    assert set(r.summary["fallback"]) == {"next_purchase", "churn"}
    # the rules rank frequent customers whose usual gap has just run out first
    assert r.need["score"].is_monotonic_decreasing and r.need["score"].iloc[0] > 0.8


def test_a_tampered_bundle_is_refused_not_replaced_by_rules(bundles_dir, score_config, tmp_path):
    import shutil

    copy = tmp_path / "bundles"
    shutil.copytree(bundles_dir, copy)
    with open(copy / "churn_90d" / "model.joblib", "ab") as f:
        f.write(b"\0")
    with pytest.raises(RepurchaseError, match="does not match its manifest"):
        load_models(copy, score_config)


def test_reasons_name_the_customers_own_numbers(result):
    rows = result.recall.head(50)
    text = " ".join(rows["reasons"])
    assert any(w in text for w in ("last bought", "usual", "last active in the community"))
    # reasons are about this customer: at most a few rows share exactly the same text
    assert rows["reasons"].nunique() > 40


def test_every_row_carries_both_probabilities_whatever_its_score_means(result):
    assert (result.need["p_purchase"] == result.need["score"]).all()
    assert (result.recall["p_churn"] == result.recall["score"]).all()
    assert result.recall["p_purchase"].between(0, 1).all()
    scores = result.scores.set_index("customer_id")
    inactive = ~scores.loc[result.need["customer_id"], "active"].to_numpy()
    assert result.need["p_churn"].isna().to_numpy()[inactive].all()  # the churn model scores active customers
    assert result.need["p_churn"].notna().to_numpy()[~inactive].all()


def test_no_reason_reads_against_its_list(result):
    """A churn reason never reads as a sign of buying, nor a need reason as one of lapsing."""
    need, recall = " | ".join(result.need["reasons"]), " | ".join(result.recall["reasons"])
    assert "unlikely to buy" not in need and "has gone quiet" not in need
    assert "still buying at their usual rhythm" not in recall
    assert not any(p.startswith("by their buying rhythm, likely") for t in result.recall["reasons"] for p in t.split("; "))


def test_a_row_says_each_fact_once(result):
    """Windows of one feature ("likely to buy within 30 days; ... within 90 days") are one reason."""
    for frame in (result.need, result.recall):
        for text in frame["reasons"]:
            parts = text.split("; ")
            assert len(parts) == len(set(parts))
            rhythm = ("buying rhythm", "usual rhythm", "at their rhythm")  # the BG/NBD family
            assert sum(any(r in p for r in rhythm) for p in parts) <= 1, text


def test_recall_rows_are_expected_to_pay_for_themselves(result, tables, score_as_of, models, score_config):
    assert (result.recall["expected_gain"] >= 0).all()
    cfg = load_config(overrides=[score_config.model_dump(mode="json"),
                                 {"scoring": {"recall": {"contact_cost": 200.0}}}])
    r = score(tables, score_as_of, models, cfg)
    assert (r.recall["expected_gain"] >= 0).all() and len(r.recall) < len(result.recall)
    assert r.summary["recall"]["excluded"]["expected_gain_too_low"] > 0


def test_drift_is_measured_against_each_models_training_holdout(result):
    for task in ("next_purchase", "churn"):
        d = result.drift[task]
        assert {"score", "days_since_last_order"} <= set(d["column"])
        assert d["judged_psi"].dropna().is_monotonic_decreasing and (d["psi"] >= 0).all()
        assert result.summary["drift"][task]["max_psi"] == d["judged_psi"].max()
        # no previous run: what grows with time is not judged against training at all
        assert d.loc[d["grows_with_time"], "judged_psi"].isna().all()
        assert set(result.summary["drift"][task]["judged_on_previous_run_only"]) == set(d.loc[d["grows_with_time"], "column"])


def test_drift_above_the_limit_refuses_the_export(synthetic_dir, bundles_dir, score_as_of, tmp_path, capsys):
    from repurchase.cli import main

    code = main(["score", str(synthetic_dir), "--as-of", score_as_of, "--out", str(tmp_path / "lists"),
                 "--models", str(bundles_dir), "--set", "models.timing_horizons_days=[7]",
                 "--set", "scoring.drift_max_psi=0.0"])
    assert code == 2 and "drift above scoring.drift_max_psi" in capsys.readouterr().err
    assert not (tmp_path / "lists").exists()
