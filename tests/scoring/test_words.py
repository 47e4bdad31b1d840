"""Reasons and labels in words a CRM agent would say, in English and Chinese."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from repurchase.features.catalog import CATALOG
from repurchase.scoring.explain import _text
from repurchase.scoring.label_words import kinds_in, offer_label, segment_label
from repurchase.scoring.words import LANGUAGES

#: what must never reach a list: an internal model's name, a raw probability's jargon, a placeholder
MODEL_WORDS = re.compile(r"lightgbm|bg/?nbd|btyd|logistic|pareto|shap|probability|\{|\}|nan\b|inf\b", re.I)
LONG_DECIMAL = re.compile(r"\d\.\d{3,}")
BAD_PLURAL = re.compile(r"\b1 (days|orders|coupons|friends|categories|months|more days)\b")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _names() -> list[str]:
    """Every feature of the catalog as a concrete column (windows, a category, an event type)."""
    return [s.name.replace("{w}", "30").replace("{category}", "rice").replace("{event_type}", "checkin")
            for s in CATALOG]


def check_sentence(text: str, lang: str) -> None:
    assert not MODEL_WORDS.search(text), text
    assert not LONG_DECIMAL.search(text), text
    assert not BAD_PLURAL.search(text), text
    if text and lang == "zh":
        assert CJK.search(text), text
    if lang == "en":
        assert not CJK.search(text.replace("rice", "")), text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_template_renders_for_a_literal_row(lang):
    values = [0.0, 1.0, 1.0004, 2.5, 0.12345, 40.0, 400.0, 1234.5678, np.nan]
    names = _names()
    X = pd.DataFrame({n: values for n in names})
    X["gap_median_last10_days"] = [18.0] * len(values)
    said = 0
    for name in names:
        texts = _text(X, name, lang)
        assert len(texts) == len(values)
        for t in texts:
            check_sentence(t, lang)
        said += any(texts)
    assert said >= len(names) - 3  # only the internal codes (rfm_code, ...) have nothing to say


def test_literal_sentences_in_both_languages():
    X = pd.DataFrame({"days_since_last_order": [42.0, 1.0, 20.0, 9.0], "gap_median_last10_days": [18.0, 18.0, 18.0, np.nan],
                      "coupons_open": [1.0, 2.0, 0.0, 3.0], "days_since_first_order": [30.0, 400.0, 1000.0, 1.0]})
    assert _text(X, "days_since_last_order") == ["last bought 42 days ago, more than twice the usual 18-day gap",
                                                 "bought only 1 day ago (usually every 18 days)",
                                                 "last bought 20 days ago, about the usual 18-day gap",
                                                 "last bought 9 days ago"]
    assert _text(X, "days_since_last_order", "zh") == ["上次购买是 42 天前，比平时 18 天的间隔长了一倍多",
                                                       "1 天前刚买过（平时每 18 天买一次）",
                                                       "上次购买是 20 天前，接近平时 18 天的间隔",
                                                       "上次购买是 9 天前"]
    assert _text(X, "coupons_open") == ["1 unused coupon", "2 unused coupons", "0 unused coupons", "3 unused coupons"]
    assert _text(X, "days_since_first_order") == ["a customer for 30 days", "a customer for 13 months",
                                                  "a customer for 2.7 years", "a customer for 1 day"]
    assert _text(X, "days_since_first_order", "zh")[1] == "已是 13 个月的老顾客"
    # a zero says what did not happen, never "spent 0" or "0 days between their first and last purchase"
    Z = pd.DataFrame({"spend_90d": [0.0, 1234.4], "orders_30d": [0.0, 1.0], "btyd_recency_days": [0.0, 45.0],
                      "top_category_share": [0.0, 0.5]})
    assert _text(Z, "spend_90d") == ["nothing spent in the last 90 days", "spent 1,234 in the last 90 days"]
    assert _text(Z, "spend_90d", "zh") == ["近 90 天没有消费", "近 90 天消费 1,234"]
    assert _text(Z, "orders_30d") == ["no orders in the last 30 days", "1 order in the last 30 days"]
    assert _text(Z, "btyd_recency_days") == ["bought on one day only", "45 days between their first and last purchase"]
    assert _text(Z, "btyd_recency_days", "zh")[0] == "只在一天买过"
    assert _text(Z, "top_category_share") == ["", "50% of purchases in their favourite category"]
    # invoices split on one day are not "every 0 days"; a shop's category name stands apart in Chinese
    G = pd.DataFrame({"gap_mean_days": [0.2, 12.0], "due_ratio_holder": [4.6, np.nan]})
    assert _text(G, "gap_mean_days") == ["usually orders again the same day", "usually buys every 12 days"]
    assert _text(G, "due_ratio_holder", "zh") == ["「holder」距上次购买已是平时周期的 4.6 倍", "从未买过「holder」"]


def test_sentences_said_once_per_value_equal_row_by_row():
    """A sentence is said once per distinct value, and per (value, context) where it reads the
    usual gap: the same text as saying every row with its own context."""
    from repurchase.features.catalog import lookup
    from repurchase.scoring.words import say

    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame({"days_since_last_order": rng.choice([5.0, 20.0, 42.0, np.nan], n),
                      "gap_median_last10_days": rng.choice([9.0, 18.0, 40.0, np.nan], n),
                      "gap_mean_days": rng.choice([0.2, 12.0, np.nan], n),
                      "spend_90d": rng.choice([-0.0, 0.0, 12.5, 1234.4], n),
                      "gap_std_days": rng.choice([1.0, 30.0, np.nan], n)})
    for name in X.columns:
        ctx = [c for c in ("gap_median_last10_days", "gap_mean_days") if c != name]
        group = lookup(name).group if lookup(name) is not None else None
        want = [say(name, group, "en", v, {c: X[c].iloc[i] for c in ctx}) for i, v in enumerate(X[name].round(2))]
        assert _text(X, name) == want, name


def test_which_way_a_sentence_leans():
    from repurchase.scoring.words import leaning

    assert leaning("bgnbd_p_alive", np.array([0.9, 0.2, np.nan])).tolist() == [1, -1, 0]
    assert leaning("bgnbd_p_buy_30d", np.array([0.5, 0.49])).tolist() == [1, -1]
    assert leaning("f_score", np.array([5, 3, 1])).tolist() == [1, 0, -1]
    assert leaning("days_since_last_order", np.array([400.0])).tolist() == [0]


def test_labels_in_both_languages():
    assert offer_label("en", 50, 7) == "50% off, valid 7 days"
    assert offer_label("zh", 50, 7) == "5折券，7天有效"
    assert offer_label("en", 15, 1) == "15% off, valid 1 day"
    assert offer_label("zh", 15, 1) == "8.5折券，1天有效"
    assert offer_label("en", 0, 0) == "reminder, no discount" and offer_label("zh", 0, 0) == "提醒（无优惠）"
    assert segment_label("zh", "001", "important win-back", "important win-back") == "重要挽留客户"
    # a shop's own name for the segment is kept, in every language
    assert segment_label("zh", "001", "沉睡大客户", "important win-back") == "沉睡大客户"
    assert kinds_in("zh", "rice 0.41 (due) | oil 0.12 (regular)") == "rice 0.41 (到期) | oil 0.12 (常买)"
    assert kinds_in("en", "rice 0.41 (due)") == "rice 0.41 (due)"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_reason_and_label_of_a_scored_list_is_in_words(lang, synthetic_tables, score_as_of, bundles_dir,
                                                             score_config):
    from repurchase.scoring import load_models, score

    config = score_config.model_copy(update={"export": score_config.export.model_copy(update={"language": lang})})
    result = score(synthetic_tables, score_as_of, load_models(bundles_dir, config), config)
    for frame in (result.need, result.recall):
        assert len(frame) > 0
        for text in frame["reasons"]:
            assert text, "every listed customer gets at least one reason"
            for part in re.split("; |；", text):
                check_sentence(part, lang)
        for col in ("segment_label", "band_label", "offer_label"):
            for text in frame[col].unique():
                check_sentence(text, lang)
                assert text
    if lang == "zh":
        assert set(result.need["band_label"]) <= {"高", "中", "低"}
        assert result.need["reasons"].str.contains("；").any()
        assert not result.need["top_categories"].str.contains(r"\((?:due|regular|upgrade|related|next)\)").any()
    else:
        assert (result.need["band_label"] == result.need["band"]).all()
