"""Scoring at one as-of date: features through the training code path, the champion models,
and the two lists (need and recall) with every column the CRM imports."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from repurchase.config import Config
from repurchase.errors import DataError
from repurchase.features import build_features, feature_columns
from repurchase.models.lgbm import check_feature_names
from repurchase.schema import Tables
from repurchase.scoring.categories import due_categories
from repurchase.scoring.contact_time import best_contact_hour
from repurchase.scoring.explain import reasons
from repurchase.scoring.lists import (LIST_COLUMNS, assign_offers, bands, budget_cut, control_flags, exclusions,
                                      rank_order)
from repurchase.scoring.models import ScoringModel, ScoringModels
from repurchase.scoring.timing import expected_purchase_days
from repurchase.segments import code_to_str
from repurchase.spine import AsOf, as_of_timestamp, shift_days

log = logging.getLogger(__name__)

NEED_EXTRA = ["expected_purchase_date", "top_categories", "top_category_1", "top_category_2", "top_category_3",
              "offer_discount_pct", "offer_expiry_days", "contact_hour_source"]
RECALL_EXTRA = ["expected_spend", "value_at_risk", "uplift", "contact_cost", "offer_cost", "expected_gain",
                "offer_discount_pct", "offer_expiry_days", "contact_hour_source"]


@dataclass
class ScoreResult:
    """The two lists, the per-customer scores behind them and a summary."""

    as_of: pd.Timestamp
    need: pd.DataFrame
    recall: pd.DataFrame
    scores: pd.DataFrame
    summary: dict
    timings_s: dict = field(default_factory=dict)
    #: per model task: PSI of each feature and of the score against the training holdout
    drift: dict = field(default_factory=dict)


def _config_key(m: ScoringModel) -> str:
    """Models trained with the same pinned feature config share one feature build."""
    return json.dumps(m.manifest["features_config"], sort_keys=True)


def _predict(m: ScoringModel, feats: pd.DataFrame) -> np.ndarray:
    if m.rules:
        return m.model.predict_proba(feats)[:, 1]
    X = feats[feature_columns(feats)]
    try:
        check_feature_names(m.features, X, m.dtypes)
    except DataError as exc:
        raise DataError(f"{m.version} ({m.task}, {m.horizon_days} d): {exc} Retrain the model on this data, "
                        "or score data with the columns it was trained on.") from exc
    return m.model.predict_proba(X[m.features])[:, 1]


def _spend_in(tables: Tables, ids: pd.Series, as_of: pd.Timestamp, days: int) -> np.ndarray:
    """Paid spend of each customer in [T - days, T)."""
    o = tables.paid_orders_in(shift_days(as_of, -days), as_of, ["customer_id", "amount"])
    return o.groupby("customer_id")["amount"].sum().reindex(ids.to_numpy()).fillna(0.0).to_numpy(float)


def _frame(base: pd.DataFrame, rows: np.ndarray, list_name: str, score: np.ndarray, band: np.ndarray,
           control: np.ndarray, version: str) -> pd.DataFrame:
    b = base.iloc[rows].reset_index(drop=True)
    return pd.DataFrame({
        "customer_id": b["customer_id"], "as_of": b["as_of"], "list": list_name,
        "rank": np.arange(1, len(rows) + 1, dtype=np.int64), "score": np.round(score, 6),
        "band": band, "rfm_code": b["rfm_code"], "rfm_segment": b["rfm_segment"],
        "control_group": control, "model_version": version,
    })


def _method(sc, n_rows: int) -> str:
    if sc.reasons_method != "auto":
        return sc.reasons_method
    return "shap" if n_rows <= sc.shap_max_rows else "path"


def score(tables: Tables, as_of: AsOf, models: ScoringModels, config: Config, *, progress: bool = False) -> ScoreResult:
    """Score every customer with an order before ``as_of`` and build both lists.

    Parameters
    ----------
    tables : Tables
        Validated tables.
    as_of : date
        The as-of date T (local midnight); features use data strictly before it.
    models : ScoringModels
        From :func:`repurchase.scoring.load_models`.
    config : Config
        ``scoring`` holds the list rules; ``models`` the horizons.
    """
    T = as_of_timestamp(as_of, tables.timezone)
    sc = config.scoring
    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    # features once per distinct (pinned) feature config: usually one build serves every model
    built: dict[str, pd.DataFrame] = {}
    probs: dict[str, np.ndarray] = {}
    for m in models.all():
        key = _config_key(m)
        if key not in built:
            built[key] = build_features(tables, [T], config=m.feature_config, progress=progress)
        feats = built[key]
        first = next(iter(built.values()))
        if not feats["customer_id"].equals(first["customer_id"]):
            raise DataError("the models were trained with different spines (features.include_non_buyers); retrain them alike")
        probs[f"{m.task}_{m.horizon_days}"] = _predict(m, feats)
    timings["features_and_models"] = time.perf_counter() - t0
    if not built or len(first) == 0:
        raise DataError(f"no customer has a paid order before {T.date()}: nothing to score")

    need_feats, churn_feats = built[_config_key(models.need)], built[_config_key(models.churn)]
    ids = first["customer_id"].reset_index(drop=True)
    base = pd.DataFrame({
        "customer_id": ids, "as_of": T.date(),
        "rfm_code": code_to_str(first["rfm_code"].to_numpy()).to_numpy(),
        "rfm_segment": first["rfm_segment"].to_numpy(),
    })
    p_need = probs[f"next_purchase_{models.need.horizon_days}"]
    p_churn = probs[f"churn_{models.churn.horizon_days}"]
    excl = exclusions(tables, ids, T, sc.exclude_contacted_days)
    t0 = time.perf_counter()
    hours = best_contact_hour(tables, ids, T, sc.min_touches_for_hour)
    base = pd.concat([base, hours], axis=1)
    timings["contact_hours"] = time.perf_counter() - t0
    excluded = excl["do_not_contact"].to_numpy() | excl["recently_contacted"].to_numpy()

    # ---- the need list
    t0 = time.perf_counter()
    nc = sc.need
    due = need_feats["due_ratio"].to_numpy(float) if "due_ratio" in need_feats.columns else np.full(len(ids), np.nan)
    not_due = np.zeros(len(ids), bool) if nc.min_due_ratio is None else (np.nan_to_num(due, nan=np.inf) < nc.min_due_ratio)
    above = p_need >= nc.min_probability
    eligible = above & ~not_due & ~excluded
    order = rank_order(p_need, ids)
    order = order[eligible[order]]
    n_band = bands(p_need[order], nc.bands)
    n_ctrl = control_flags(n_band, sc.control_share, sc.control_seed)
    keep = budget_cut(np.ones(len(order)), n_ctrl, contacts=nc.max_rows) if nc.max_rows is not None else len(order)
    rows, n_band, n_ctrl = order[:keep], n_band[:keep], n_ctrl[:keep]
    need = _frame(base, rows, "need", p_need[rows], n_band, n_ctrl, models.need.version)
    offers = assign_offers("need", need["rfm_code"], need["rfm_segment"], n_band, sc.offers)
    X_need = need_feats[models.need.features]
    need["offer"] = offers["offer"]
    t1 = time.perf_counter()
    need["reasons"] = reasons(models.need.model, X_need.iloc[rows], method=_method(sc, len(rows))).to_numpy() if len(rows) else []
    timings["need_reasons"] = time.perf_counter() - t1
    need["best_contact_hour"] = base["best_contact_hour"].to_numpy()[rows]
    horizon_probs = {m.horizon_days: probs[f"next_purchase_{m.horizon_days}"][rows] for m in [*models.timing, models.need]}
    days = np.ceil(expected_purchase_days(horizon_probs)).astype(np.int64) if len(rows) else np.zeros(0, np.int64)
    need["expected_purchase_date"] = [shift_days(T, int(d)).date() for d in days]
    t1 = time.perf_counter()
    cats = due_categories(tables, need["customer_id"], T, p_need[rows], due_ratio=config.features.category_due_ratio,
                          k=nc.top_categories, horizon_days=models.need.horizon_days, method=nc.category_method)
    timings["need_categories"] = time.perf_counter() - t1
    for c in ["top_categories", "top_category_1", "top_category_2", "top_category_3"]:
        need[c] = cats[c].to_numpy() if c in cats.columns else None
    need["offer_discount_pct"] = offers["offer_discount_pct"].to_numpy()
    need["offer_expiry_days"] = offers["offer_expiry_days"].to_numpy()
    need["contact_hour_source"] = base["contact_hour_source"].to_numpy()[rows]
    need = need[LIST_COLUMNS + NEED_EXTRA]
    timings["need_list"] = time.perf_counter() - t0

    # ---- the recall list
    t0 = time.perf_counter()
    rc = sc.recall
    active_days = int(models.churn.manifest.get("active_days", config.models.active_days))
    recency = first["days_since_last_order"].to_numpy(float)
    active = recency < active_days
    period = rc.period_days or models.churn.horizon_days
    expected_spend = _spend_in(tables, ids, T, rc.value_window_days) * period / rc.value_window_days
    value_at_risk = p_churn * expected_spend
    r_eligible = active & (p_churn >= rc.min_churn_probability) & (expected_spend >= rc.min_value) & ~excluded
    uplift = np.full(len(ids), np.nan)
    if rc.ranking == "uplift":
        uplift = _uplift(config, churn_feats, p_churn)
    order = rank_order(value_at_risk if rc.ranking == "risk" else uplift * expected_spend, ids)
    order = order[r_eligible[order]]
    r_band = bands(p_churn[order], rc.bands)
    r_offers = assign_offers("recall", base["rfm_code"].iloc[order], base["rfm_segment"].iloc[order], r_band, sc.offers)
    aov = churn_feats["avg_order_value"].to_numpy(float)[order] if "avg_order_value" in churn_feats.columns else expected_spend[order]
    # the discount is paid only by customers who come back and use it on their next order
    offer_cost = rc.response_rate * r_offers["offer_discount_pct"].to_numpy() / 100 * np.nan_to_num(aov)
    cost = rc.contact_cost + offer_cost
    gain = rc.response_rate * value_at_risk[order] - cost
    no_gain = 0
    if rc.min_expected_gain is not None:
        ok = gain >= rc.min_expected_gain
        no_gain = int((~ok).sum())
        order, r_band, offer_cost, cost, gain = order[ok], r_band[ok], offer_cost[ok], cost[ok], gain[ok]
        r_offers = r_offers.loc[ok].reset_index(drop=True)
    r_ctrl = control_flags(r_band, sc.control_share, sc.control_seed + 1)
    keep = budget_cut(cost, r_ctrl, contacts=rc.budget_contacts, money=rc.budget_money)
    rows = order[:keep]
    recall = _frame(base, rows, "recall", p_churn[rows], r_band[:keep], r_ctrl[:keep], models.churn.version)
    recall["offer"] = r_offers["offer"].to_numpy()[:keep]
    recall["reasons"] = reasons(models.churn.model, churn_feats[models.churn.features].iloc[rows],
                                method=_method(sc, len(rows))).to_numpy() if len(rows) else []
    recall["best_contact_hour"] = base["best_contact_hour"].to_numpy()[rows]
    recall["expected_spend"] = np.round(expected_spend[rows], 2)
    recall["value_at_risk"] = np.round(value_at_risk[rows], 2)
    recall["uplift"] = np.round(uplift[rows], 4)
    recall["contact_cost"] = np.where(r_ctrl[:keep], 0.0, rc.contact_cost)
    recall["offer_cost"] = np.round(np.where(r_ctrl[:keep], 0.0, offer_cost[:keep]), 2)
    recall["expected_gain"] = np.round(gain[:keep], 2)
    recall["offer_discount_pct"] = r_offers["offer_discount_pct"].to_numpy()[:keep]
    recall["offer_expiry_days"] = r_offers["offer_expiry_days"].to_numpy()[:keep]
    recall["contact_hour_source"] = base["contact_hour_source"].to_numpy()[rows]
    recall = recall[LIST_COLUMNS + RECALL_EXTRA]
    timings["recall_list"] = time.perf_counter() - t0

    drift = _drift(models, need_feats, churn_feats, p_need, p_churn, active, sc)

    contacted = recall.loc[~recall["control_group"]]
    spend = float(contacted["contact_cost"].sum() + contacted["offer_cost"].sum())
    recovered = float((rc.response_rate * contacted["value_at_risk"]).sum())
    summary = {
        "as_of": str(T.date()),
        "customers_scored": int(len(ids)),
        "models": {m.task + f"_{m.horizon_days}d": m.version for m in models.all()},
        "fallback": {m.task: m.manifest["why"] for m in models.all() if m.rules},
        "need": {
            "rows": int(len(need)), "control": int(need["control_group"].sum()),
            "contacted": int((~need["control_group"]).sum()),
            "excluded": {"do_not_contact": int((above & excl["do_not_contact"].to_numpy()).sum()),
                         "recently_contacted": int((above & excl["recently_contacted"].to_numpy()).sum()),
                         "not_yet_due": int((above & not_due & ~excluded).sum()),
                         "below_min_probability": int((~above).sum())},
            "bands": need["band"].value_counts().to_dict(),
            "reasons_method": _method(sc, len(need)),
            "expected_buyers": round(float(need["score"].sum()), 1),
            "expected_buyers_contacted": round(float(need.loc[~need["control_group"], "score"].sum()), 1),
        },
        "recall": {
            "rows": int(len(recall)), "control": int(recall["control_group"].sum()), "contacted": int(len(contacted)),
            "excluded": {"do_not_contact": int((active & excl["do_not_contact"].to_numpy()).sum()),
                         "recently_contacted": int((active & excl["recently_contacted"].to_numpy()).sum()),
                         "not_active": int((~active).sum()),
                         "below_churn_threshold": int((active & ~excluded & (p_churn < rc.min_churn_probability)).sum()),
                         "below_value_floor": int((active & ~excluded & (p_churn >= rc.min_churn_probability)
                                                   & (expected_spend < rc.min_value)).sum()),
                         "expected_gain_too_low": no_gain,
                         "over_budget": int(len(order) - keep)},
            "bands": recall["band"].value_counts().to_dict(),
            "reasons_method": _method(sc, len(recall)),
            "value_at_risk": round(float(recall["value_at_risk"].sum()), 2),
            "expected_recovered_revenue": round(recovered, 2),
            "cost": round(spend, 2),
            "roi": round((recovered - spend) / spend, 3) if spend > 0 else None,
            "budget": {"contacts": rc.budget_contacts, "money": rc.budget_money},
        },
    }
    summary["drift"] = {task: _drift_summary(d, sc) for task, d in drift.items()}
    scores = base[["customer_id"]].assign(p_need=p_need, p_churn=p_churn, active=active)
    result = ScoreResult(T, need, recall, scores, summary, timings, drift)
    too_far = {t: s["max_psi"] for t, s in summary["drift"].items()
               if sc.drift_max_psi is not None and s["max_psi"] is not None and s["max_psi"] > sc.drift_max_psi}
    if too_far:
        raise DataError(f"drift above scoring.drift_max_psi = {sc.drift_max_psi}: "
                        + "; ".join(f"{t}: {summary['drift'][t]['worst']}" for t in too_far)
                        + ". The population no longer looks like the one the models were trained on; nothing was "
                          "exported. Retrain, or raise the threshold if the change is expected.")
    return result


def _uplift(config: Config, feats: pd.DataFrame, p_churn: np.ndarray) -> np.ndarray:
    """The two-model uplift of contacting each customer (bundle from `repurchase train-uplift`)."""
    from repurchase.errors import MissingModelError
    from repurchase.lift.uplift import BUNDLE
    from repurchase.models.bundle import MANIFEST_FILE, load_bundle

    path = config.models.dir / BUNDLE
    if not (path / MANIFEST_FILE).is_file():
        raise MissingModelError(f"scoring.recall.ranking is uplift but there is no uplift model at {path}: run "
                                "repurchase train-uplift DATA_DIR --lists LISTS_DIR after a campaign, or rank by risk")
    model, manifest = load_bundle(path)
    X = feats[feature_columns(feats)].assign(list_score=p_churn)
    check_feature_names(manifest["features"], X)
    return model.predict_uplift(X)


def _drift(models: ScoringModels, need_feats, churn_feats, p_need, p_churn, active, sc) -> dict[str, pd.DataFrame]:
    """PSI per feature and of the score against each model's training holdout."""
    from repurchase.models.drift import drift_table

    out = {}
    everyone = np.ones(len(p_need), dtype=bool)
    for m, feats, p, rows in ((models.need, need_feats, p_need, everyone),
                              (models.churn, churn_feats, p_churn, active)):  # churn was trained on active customers
        if m.rules or "reference" not in m.manifest:
            continue
        out[m.task] = drift_table(m.manifest["reference"], feats.loc[rows, m.features], p[rows])
    for task, d in out.items():
        high = d.loc[d["psi"] > sc.drift_warn_psi]
        if len(high):
            log.warning("%s: %d columns drifted (PSI > %s) since training: %s", task, len(high), sc.drift_warn_psi,
                        ", ".join(f"{c} {v:.2f}" for c, v in zip(high["column"][:5], high["psi"][:5])))
    return out


def _drift_summary(d: pd.DataFrame, sc) -> dict:
    if d.empty:
        return {"max_psi": None, "worst": None, "over_warn": []}
    top = d.iloc[0]
    return {"max_psi": float(top["psi"]), "worst": f"{top['column']} PSI {top['psi']:.3f}",
            "over_warn": d.loc[d["psi"] > sc.drift_warn_psi, "column"].tolist()}


__all__ = ["ScoreResult", "score"]
