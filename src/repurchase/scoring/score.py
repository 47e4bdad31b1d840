"""Scoring at one as-of date: features through the training code path, the champion models,
and the two lists (need and recall) with every column the CRM imports.

The steps: :func:`repurchase.scoring.predict.predict` (features and probabilities), the audience
(exclusions and contact hours, shared by both lists), :func:`repurchase.scoring.need.need_list`,
:func:`repurchase.scoring.recall.recall_list`, then the drift check.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pandas as pd

from repurchase.config import Config, ScoringConfig
from repurchase.schema import Tables
from repurchase.scoring.contact_time import best_contact_hour
from repurchase.scoring.lists import Audience, exclusions
from repurchase.scoring.models import ScoringModels
from repurchase.scoring.need import NeedList, need_list
from repurchase.scoring.insights import model_insights
from repurchase.scoring.predict import Predictions, drift, drift_references, drift_summary, predict, refuse_drift
from repurchase.scoring.recall import RecallList, recall_list
from repurchase.segments import code_to_str
from repurchase.spine import AsOf, AsOfContext


#: on both lists, so every row carries both facts whatever its list's ``score`` means: P(purchase
#: within the need horizon) and P(churn within the churn horizon; empty for a customer who is not
#: active, whom the churn model does not score)
BOTH_SCORES = ["p_purchase", "p_churn"]


def _with_both_scores(frame: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    s = scores.set_index("customer_id")
    ids = frame["customer_id"]
    return frame.assign(p_purchase=s["p_need"].reindex(ids).to_numpy(float).round(6),
                        p_churn=s["p_churn"].where(s["active"]).reindex(ids).to_numpy(float).round(6))


@dataclass
class ScoreResult:
    """The two lists, the per-customer scores behind them and a summary."""

    as_of: pd.Timestamp
    need: pd.DataFrame
    recall: pd.DataFrame
    scores: pd.DataFrame
    summary: dict
    timings_s: dict = field(default_factory=dict)
    #: per model task: PSI of each feature and of the score against the training holdout (and the
    #: previous run)
    drift: dict = field(default_factory=dict)
    #: per model task: today's distributions, for the next run's drift check
    drift_reference: dict = field(default_factory=dict)
    #: per model task: feature importance and top reasons on a sample (the run report)
    insights: dict = field(default_factory=dict)


def score(tables: Tables, as_of: AsOf | AsOfContext, models: ScoringModels, config: Config, *,
          progress: bool = False, previous: dict | None = None) -> ScoreResult:
    """Score every customer with an order before ``as_of`` and build both lists.

    Parameters
    ----------
    tables : Tables
        Validated tables.
    as_of : date or AsOfContext
        The as-of date T (local midnight); features use data strictly before it. The scoring
        pipeline passes the context it built; a date is converted here, once.
    models : ScoringModels
        From :func:`repurchase.scoring.load_models`.
    config : Config
        ``scoring`` holds the list rules; ``models`` the horizons.
    previous : dict, optional
        The previous run's :attr:`ScoreResult.drift_reference`: drift is also measured against it.

    Raises
    ------
    DataError
        Nobody to score, models trained on different spines, or drift above
        ``scoring.drift_max_psi``.
    """
    ctx = AsOfContext.of(as_of, tables.timezone)
    sc = config.scoring
    timings: dict[str, float] = {}
    preds = predict(tables, ctx, models, timings, progress=progress, batch_rows=sc.batch_rows,
                    engine=config.engine.connect_args())
    aud = _audience(tables, ctx, preds, sc, timings)
    need = need_list(tables, aud, preds, models, config, timings)
    recall = recall_list(tables, aud, preds, models.churn, config, timings)
    drifts = drift(models, preds, recall.active, sc, previous, str(ctx.date))
    summary = _summary(ctx, models, aud, need, recall)
    summary["drift"] = {task: drift_summary(d, sc) for task, d in drifts.items()}
    scores = aud.base[["customer_id"]].assign(p_need=preds.p(models.need), p_churn=preds.p(models.churn),
                                              active=recall.active)
    t0 = time.perf_counter()
    insights = model_insights(models, preds, recall.active)
    timings["insights"] = time.perf_counter() - t0
    result = ScoreResult(ctx.ts, _with_both_scores(need.frame, scores), _with_both_scores(recall.frame, scores),
                         scores, summary, timings, drifts,
                         drift_references(models, preds, recall.active, str(ctx.date)), insights)
    refuse_drift(summary, sc)
    return result


def _audience(tables: Tables, ctx: AsOfContext, preds: Predictions, sc: ScoringConfig,
              timings: dict[str, float]) -> Audience:
    """Everyone scored, with their RFM segment, exclusions and best contact hour."""
    spine = preds.spine
    ids = spine["customer_id"].reset_index(drop=True)
    base = pd.DataFrame({
        "customer_id": ids, "as_of": ctx.date,
        "rfm_code": code_to_str(spine["rfm_code"].to_numpy()).to_numpy(),
        "rfm_segment": spine["rfm_segment"].to_numpy(),
    })
    excl = exclusions(tables, ids, ctx, sc.exclude_contacted_days)
    t0 = time.perf_counter()
    hours = best_contact_hour(tables, ids, ctx, sc.min_touches_for_hour)
    base = pd.concat([base, hours], axis=1)
    timings["contact_hours"] = time.perf_counter() - t0
    return Audience(ctx, ids, base, excl)


def _summary(ctx: AsOfContext, models: ScoringModels, aud: Audience, need: NeedList, recall: RecallList) -> dict:
    return {
        "as_of": str(ctx.date),
        "customers_scored": int(len(aud.ids)),
        "models": {m.task + f"_{m.horizon_days}d": m.version for m in models.all()},
        "fallback": {m.task: m.manifest["why"] for m in models.all() if m.rules},
        "need": need.summary,
        "recall": recall.summary,
    }


__all__ = ["BOTH_SCORES", "ScoreResult", "score"]
