"""The need list: customers likely to buy within the horizon, with when and what they will buy.

Eligible: P(purchase) at or above ``scoring.need.min_probability``, due (``due_ratio`` at or above
``scoring.need.min_due_ratio`` when set) and not excluded; ranked by P(purchase), cut at
``scoring.need.max_rows`` contacted rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from repurchase.config import Config, ScoringConfig
from repurchase.schema import Tables
from repurchase.scoring.categories import due_categories
from repurchase.scoring.explain import reasons, reasons_method
from repurchase.scoring.label_words import LABEL_COLUMNS, kinds_in, list_labels
from repurchase.scoring.lists import (LIST_COLUMNS, Audience, assign_offers, bands, budget_cut, control_flags,
                                      list_frame, rank_order)
from repurchase.scoring.models import ScoringModels
from repurchase.scoring.predict import Predictions, rows_of
from repurchase.scoring.timing import expected_purchase_days

NEED_EXTRA = ["expected_purchase_date", "top_categories", "top_category_1", "top_category_2", "top_category_3",
              "offer_discount_pct", "offer_expiry_days", "contact_hour_source", *LABEL_COLUMNS]


@dataclass(frozen=True)
class NeedList:
    frame: pd.DataFrame  # LIST_COLUMNS + NEED_EXTRA, in rank order
    summary: dict


@dataclass(frozen=True)
class _Gate:
    """Per customer: P(purchase) at or above the floor, not yet due, and both lists' exclusions."""

    above: np.ndarray
    not_due: np.ndarray
    excluded: np.ndarray

    @property
    def eligible(self) -> np.ndarray:
        return self.above & ~self.not_due & ~self.excluded


def need_list(tables: Tables, aud: Audience, preds: Predictions, models: ScoringModels, config: Config,
              timings: dict[str, float]) -> NeedList:
    """The need list at ``aud.ctx``, its summary, and its timings (added to ``timings``)."""
    t0 = time.perf_counter()
    sc, nc, m = config.scoring, config.scoring.need, models.need
    feats, p_need = preds.features_of(m), preds.p(m)
    gate = _gate(feats, p_need, aud.excluded, sc)
    rows, band, ctrl = _ranked(p_need, aud.ids, gate.eligible, sc)
    need = list_frame(aud.base, rows, "need", p_need[rows], band, ctrl, m.version)
    offers = assign_offers("need", need["rfm_code"], need["rfm_segment"], band, sc.offers)
    need["offer"] = offers["offer"]
    t1 = time.perf_counter()
    lang = config.export.language
    need["reasons"] = reasons(m.model, rows_of(feats, rows, m.features), method=reasons_method(sc, len(rows)),
                              language=lang, batch_rows=sc.batch_rows).to_numpy() if len(rows) else []
    timings["need_reasons"] = time.perf_counter() - t1
    need["best_contact_hour"] = aud.base["best_contact_hour"].to_numpy()[rows]
    need["expected_purchase_date"] = _expected_dates(aud, preds, models, rows)
    t1 = time.perf_counter()
    cats = due_categories(tables, need["customer_id"], aud.ctx, p_need[rows], due_ratio=config.features.category_due_ratio,
                          k=nc.top_categories, horizon_days=m.horizon_days, method=nc.category_method)
    timings["need_categories"] = time.perf_counter() - t1
    for c in ["top_categories", "top_category_1", "top_category_2", "top_category_3"]:
        need[c] = cats[c].to_numpy() if c in cats.columns else None
    need["top_categories"] = [kinds_in(lang, t) for t in need["top_categories"]]
    need["offer_discount_pct"] = offers["offer_discount_pct"].to_numpy()
    need["offer_expiry_days"] = offers["offer_expiry_days"].to_numpy()
    need["contact_hour_source"] = aud.base["contact_hour_source"].to_numpy()[rows]
    need = need.assign(**list_labels(need, config))[LIST_COLUMNS + NEED_EXTRA]
    timings["need_list"] = time.perf_counter() - t0
    return NeedList(need, _summary(need, gate, aud, sc))


def _gate(feats: pd.DataFrame, p_need: np.ndarray, excluded: np.ndarray, sc: ScoringConfig) -> _Gate:
    nc = sc.need
    n = len(p_need)
    due = feats["due_ratio"].to_numpy(float) if "due_ratio" in feats.columns else np.full(n, np.nan)
    not_due = np.zeros(n, bool) if nc.min_due_ratio is None else (np.nan_to_num(due, nan=np.inf) < nc.min_due_ratio)
    return _Gate(p_need >= nc.min_probability, not_due, excluded)


def _ranked(p_need: np.ndarray, ids: pd.Series, eligible: np.ndarray,
            sc: ScoringConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows in rank order, band, control flag) of the eligible customers, within the row budget."""
    nc = sc.need
    order = rank_order(p_need, ids)
    order = order[eligible[order]]
    band = bands(p_need[order], nc.bands)
    ctrl = control_flags(band, sc.control_share, sc.control_seed)
    keep = budget_cut(np.ones(len(order)), ctrl, contacts=nc.max_rows) if nc.max_rows is not None else len(order)
    return order[:keep], band[:keep], ctrl[:keep]


def _expected_dates(aud: Audience, preds: Predictions, models: ScoringModels, rows: np.ndarray) -> list:
    """The day each listed customer is expected to buy, from the purchase curve over every
    next-purchase horizon (the timing models and the need model)."""
    horizon_probs = {m.horizon_days: preds.p(m)[rows] for m in [*models.timing, models.need]}
    days = np.ceil(expected_purchase_days(horizon_probs)).astype(np.int64) if len(rows) else np.zeros(0, np.int64)
    # one calendar shift per distinct day (a few dozen), not one Timestamp per listed customer
    uniq, inv = np.unique(days, return_inverse=True)
    dates = np.array([aud.ctx.shifted(int(d)).date() for d in uniq], dtype=object)
    return dates[inv.reshape(-1)].tolist()


def _summary(need: pd.DataFrame, gate: _Gate, aud: Audience, sc: ScoringConfig) -> dict:
    excl, above = aud.excl, gate.above
    return {
        "rows": int(len(need)), "control": int(need["control_group"].sum()),
        "contacted": int((~need["control_group"]).sum()),
        "excluded": {"do_not_contact": int((above & excl["do_not_contact"].to_numpy()).sum()),
                     "recently_contacted": int((above & excl["recently_contacted"].to_numpy()).sum()),
                     "not_yet_due": int((above & gate.not_due & ~gate.excluded).sum()),
                     "below_min_probability": int((~above).sum())},
        "bands": need["band"].value_counts().to_dict(),
        "reasons_method": reasons_method(sc, len(need)),
        "expected_buyers": round(float(need["score"].sum()), 1),
        "expected_buyers_contacted": round(float(need.loc[~need["control_group"], "score"].sum()), 1),
    }
