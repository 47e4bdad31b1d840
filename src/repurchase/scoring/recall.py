"""The recall list: active customers likely to lapse, ranked by the value at risk (or by the
uplift of contacting them), with each contact's cost and expected gain, cut at the budget.

Eligible: active (an order within the churn model's ``active_days``), P(churn) at or above
``scoring.recall.min_churn_probability``, expected spend at or above ``scoring.recall.min_value``,
not excluded, and (when ``scoring.recall.min_expected_gain`` is set) worth the contact.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from repurchase.config import Config, ScoringConfig
from repurchase.features import feature_columns
from repurchase.models.lgbm import check_feature_names
from repurchase.schema import Tables
from repurchase.scoring.explain import reasons, reasons_method
from repurchase.scoring.label_words import LABEL_COLUMNS, list_labels
from repurchase.scoring.lists import (LIST_COLUMNS, Audience, assign_offers, bands, budget_cut, control_flags,
                                      list_frame, rank_order)
from repurchase.scoring.models import ScoringModel
from repurchase.scoring.predict import Predictions, rows_of
from repurchase.spine import AsOfContext

RECALL_EXTRA = ["expected_spend", "value_at_risk", "uplift", "contact_cost", "offer_cost", "expected_gain",
                "offer_discount_pct", "offer_expiry_days", "contact_hour_source", *LABEL_COLUMNS]


@dataclass(frozen=True)
class RecallList:
    frame: pd.DataFrame  # LIST_COLUMNS + RECALL_EXTRA, in rank order
    summary: dict
    active: np.ndarray  # per customer: the churn model's population (scored and drift-checked on it)


@dataclass(frozen=True)
class _Value:
    """Per customer: active, P(churn), expected spend over the period, value at risk, uplift, eligible."""

    active: np.ndarray
    p_churn: np.ndarray
    expected_spend: np.ndarray
    value_at_risk: np.ndarray
    uplift: np.ndarray
    eligible: np.ndarray


@dataclass(frozen=True)
class _Ranked:
    """The eligible customers in rank order that are worth the contact, with their costs."""

    order: np.ndarray  # positions among every customer
    band: np.ndarray
    offers: pd.DataFrame
    offer_cost: np.ndarray
    cost: np.ndarray
    gain: np.ndarray
    control: np.ndarray
    keep: int  # the first ``keep`` fit the budget
    no_gain: int  # eligible but below the expected-gain floor


def recall_list(tables: Tables, aud: Audience, preds: Predictions, churn: ScoringModel, config: Config,
                timings: dict[str, float]) -> RecallList:
    """The recall list at ``aud.ctx`` and its summary; its time goes to ``timings``."""
    t0 = time.perf_counter()
    feats = preds.features_of(churn)
    value = _value(tables, aud, preds, churn, config)
    ranked = _ranked(aud, feats, value, config.scoring)
    recall = _frame(aud, feats, value, ranked, churn, config)
    timings["recall_list"] = time.perf_counter() - t0
    return RecallList(recall, _summary(recall, aud, value, ranked, config.scoring), value.active)


def _spend_in(tables: Tables, ids: pd.Series, ctx: AsOfContext, days: int) -> np.ndarray:
    """Paid spend of each customer in [T - days, T)."""
    o = tables.paid_orders_in(ctx.window_start(days), ctx.ts, ["customer_id", "amount"])
    return o.groupby("customer_id")["amount"].sum().reindex(ids.to_numpy()).fillna(0.0).to_numpy(float)


def _value(tables: Tables, aud: Audience, preds: Predictions, churn: ScoringModel, config: Config) -> _Value:
    rc = config.scoring.recall
    p_churn = preds.p(churn)
    active_days = int(churn.manifest.get("active_days", config.models.active_days))
    active = preds.spine["days_since_last_order"].to_numpy(float) < active_days
    period = rc.period_days or churn.horizon_days
    expected_spend = _spend_in(tables, aud.ids, aud.ctx, rc.value_window_days) * period / rc.value_window_days
    eligible = active & (p_churn >= rc.min_churn_probability) & (expected_spend >= rc.min_value) & ~aud.excluded
    uplift = np.full(len(aud.ids), np.nan)
    if rc.ranking == "uplift":
        uplift = _uplift(config, preds.features_of(churn), p_churn)
    return _Value(active, p_churn, expected_spend, p_churn * expected_spend, uplift, eligible)


def _ranked(aud: Audience, feats: pd.DataFrame, v: _Value, sc: ScoringConfig) -> _Ranked:
    rc = sc.recall
    order = rank_order(v.value_at_risk if rc.ranking == "risk" else v.uplift * v.expected_spend, aud.ids)
    order = order[v.eligible[order]]
    band = bands(v.p_churn[order], rc.bands)
    offers = assign_offers("recall", aud.base["rfm_code"].iloc[order], aud.base["rfm_segment"].iloc[order], band, sc.offers)
    aov = feats["avg_order_value"].to_numpy(float)[order] if "avg_order_value" in feats.columns else v.expected_spend[order]
    # the discount is paid only by customers who come back and use it on their next order
    offer_cost = rc.response_rate * offers["offer_discount_pct"].to_numpy() / 100 * np.nan_to_num(aov)
    cost = rc.contact_cost + offer_cost
    gain = rc.response_rate * v.value_at_risk[order] - cost
    no_gain = 0
    if rc.min_expected_gain is not None:
        ok = gain >= rc.min_expected_gain
        no_gain = int((~ok).sum())
        order, band, offer_cost, cost, gain = order[ok], band[ok], offer_cost[ok], cost[ok], gain[ok]
        offers = offers.loc[ok].reset_index(drop=True)
    control = control_flags(band, sc.control_share, sc.control_seed + 1)
    keep = budget_cut(cost, control, contacts=rc.budget_contacts, money=rc.budget_money)
    return _Ranked(order, band, offers, offer_cost, cost, gain, control, keep, no_gain)


def _frame(aud: Audience, feats: pd.DataFrame, v: _Value, r: _Ranked, churn: ScoringModel,
           config: Config) -> pd.DataFrame:
    sc, language = config.scoring, config.export.language
    rc, keep = sc.recall, r.keep
    rows, ctrl = r.order[:keep], r.control[:keep]
    recall = list_frame(aud.base, rows, "recall", v.p_churn[rows], r.band[:keep], ctrl, churn.version)
    recall["offer"] = r.offers["offer"].to_numpy()[:keep]
    recall["reasons"] = reasons(churn.model, rows_of(feats, rows, churn.features), method=reasons_method(sc, len(rows)),
                                language=language, toward=-1, batch_rows=sc.batch_rows).to_numpy() if len(rows) else []
    recall["best_contact_hour"] = aud.base["best_contact_hour"].to_numpy()[rows]
    recall["expected_spend"] = np.round(v.expected_spend[rows], 2)
    recall["value_at_risk"] = np.round(v.value_at_risk[rows], 2)
    recall["uplift"] = np.round(v.uplift[rows], 4)
    recall["contact_cost"] = np.where(ctrl, 0.0, rc.contact_cost)
    recall["offer_cost"] = np.round(np.where(ctrl, 0.0, r.offer_cost[:keep]), 2)
    recall["expected_gain"] = np.round(r.gain[:keep], 2)
    recall["offer_discount_pct"] = r.offers["offer_discount_pct"].to_numpy()[:keep]
    recall["offer_expiry_days"] = r.offers["offer_expiry_days"].to_numpy()[:keep]
    recall["contact_hour_source"] = aud.base["contact_hour_source"].to_numpy()[rows]
    return recall.assign(**list_labels(recall, config))[LIST_COLUMNS + RECALL_EXTRA]


def _summary(recall: pd.DataFrame, aud: Audience, v: _Value, r: _Ranked, sc: ScoringConfig) -> dict:
    rc, excl, active, excluded = sc.recall, aud.excl, v.active, aud.excluded
    contacted = recall.loc[~recall["control_group"]]
    spend = float(contacted["contact_cost"].sum() + contacted["offer_cost"].sum())
    recovered = float((rc.response_rate * contacted["value_at_risk"]).sum())
    return {
        "rows": int(len(recall)), "control": int(recall["control_group"].sum()), "contacted": int(len(contacted)),
        "excluded": {"do_not_contact": int((active & excl["do_not_contact"].to_numpy()).sum()),
                     "recently_contacted": int((active & excl["recently_contacted"].to_numpy()).sum()),
                     "not_active": int((~active).sum()),
                     "below_churn_threshold": int((active & ~excluded & (v.p_churn < rc.min_churn_probability)).sum()),
                     "below_value_floor": int((active & ~excluded & (v.p_churn >= rc.min_churn_probability)
                                               & (v.expected_spend < rc.min_value)).sum()),
                     "expected_gain_too_low": r.no_gain,
                     "over_budget": int(len(r.order) - r.keep)},
        "bands": recall["band"].value_counts().to_dict(),
        "reasons_method": reasons_method(sc, len(recall)),
        "value_at_risk": round(float(recall["value_at_risk"].sum()), 2),
        "expected_recovered_revenue": round(recovered, 2),
        "cost": round(spend, 2),
        "roi": round((recovered - spend) / spend, 3) if spend > 0 else None,
        "budget": {"contacts": rc.budget_contacts, "money": rc.budget_money},
    }


def _uplift(config: Config, feats: pd.DataFrame, p_churn: np.ndarray) -> np.ndarray:
    """The two-model uplift of contacting each customer (bundle from `repurchase train-uplift`)."""
    from repurchase.errors import MissingModelError
    from repurchase.models.uplift import BUNDLE
    from repurchase.models.bundle import MANIFEST_FILE, load_bundle

    path = config.models.dir / BUNDLE
    if not (path / MANIFEST_FILE).is_file():
        raise MissingModelError(f"scoring.recall.ranking is uplift but there is no uplift model at {path}: run "
                                "repurchase train-uplift DATA_DIR --lists LISTS_DIR after a campaign, or rank by risk")
    model, manifest = load_bundle(path)
    X = feats[feature_columns(feats)].assign(list_score=p_churn)
    check_feature_names(manifest["features"], X)
    return model.predict_uplift(X)
