"""Out-of-time backtests: train on history before each test date, score the model and every
baseline on the same test rows.

Dates for a test date D and horizon H: validation at V = D - H (its label window closes at D) and
training at the latest monthly dates T with T + H <= V, so no training label looks past the
validation date and no validation label past the test date (the early-stopping leak of
shared/evaluation-notes.md).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable, Literal, Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from repurchase.config import FeatureConfig
from repurchase.errors import DataError
from repurchase.features import build_features, feature_columns
from repurchase.labels import churn_labels, data_end, next_purchase_labels
from repurchase.models.baselines import RecencyBaseline, RFMLogistic
from repurchase.features.bgnbd import BGNBDBaseline, btyd_summary, lifetimes_available
from repurchase.models.evaluate import metrics, paired_bootstrap_auc, precision_recall_at_k
from repurchase.models.lgbm import RepurchaseClassifier
from repurchase.models.sample import TrainingSample, sample_training_spine
from repurchase.schema import Tables
from repurchase.spine import AsOf, as_of_dates, build_spine, shift_days

log = logging.getLogger(__name__)

Task = Literal["next_purchase", "churn"]
METRIC_COLUMNS = ["task", "model", "as_of", "horizon_days", "n", "positive_rate", "auc", "pr_auc", "brier", "ece", "lift_top_decile"]


def training_dates(test: pd.Timestamp, horizon_days: int, n_train: int = 12,
                   freq: Literal["monthly", "weekly"] = "monthly") -> tuple[list[pd.Timestamp], pd.Timestamp]:
    """(training dates, validation date) for one test date: see the module docstring. Training
    dates are the 1st of each month, or each Monday with ``freq="weekly"``."""
    val = shift_days(test, -horizon_days)
    last_ok = shift_days(val, -horizon_days)
    rule = {"monthly": "MS", "weekly": "W-MON"}[freq]
    months = pd.date_range(end=last_ok.tz_localize(None), periods=n_train + 1, freq=rule)
    train = [m.tz_localize(test.tz) for m in months]
    train = [t for t in train if shift_days(t, horizon_days) <= val]
    return train[-n_train:], val


def labels_for(task: Task, tables: Tables, spine: pd.DataFrame, horizon_days: int, active_days: int = 180) -> pd.Series:
    if task == "next_purchase":
        return next_purchase_labels(tables, spine, horizon_days)
    if task == "churn":
        return churn_labels(tables, spine, active_days, horizon_days)
    raise DataError(f"unknown task '{task}' (next_purchase or churn)")


@dataclass
class BacktestResult:
    metrics: pd.DataFrame
    comparisons: pd.DataFrame
    scores: dict[str, pd.DataFrame] = field(default_factory=dict)  # as_of -> y and each model's p
    importance: dict[str, pd.Series] = field(default_factory=dict)
    models: dict[str, RepurchaseClassifier] = field(default_factory=dict)  # as_of -> fitted model
    holdout: dict[str, pd.DataFrame] = field(default_factory=dict)  # as_of -> test features (with keys)
    dates: dict[str, dict] = field(default_factory=dict)  # as_of -> training and validation dates
    segments: pd.DataFrame = field(default_factory=pd.DataFrame)  # AUC per model, date, RFM segment
    need: pd.DataFrame = field(default_factory=pd.DataFrame)  # need-list hit@k and date MAE (next purchase)
    baselines: dict[str, dict] = field(default_factory=dict)  # as_of -> fitted feature-based baselines by name
    samples: dict[str, TrainingSample] = field(default_factory=dict)  # as_of -> what the row budget did


def _gate_classes(task: str, horizon_days: int, Y: dict, min_pos: int, min_neg: int) -> None:
    """The data gate: refuse to fit when a part of the rows cannot support a model."""
    what = "churners" if task == "churn" else "buyers"
    short = [f"{k} rows have {int(y.sum()):,} {what} and {int(len(y) - y.sum()):,} others" for k, y in Y.items()
             if y.sum() < min_pos or len(y) - y.sum() < min_neg]
    if short:
        raise DataError(f"the data cannot support a {task} model at {horizon_days} days: " + "; ".join(short)
                        + f" (the gate needs at least {min_pos} {what} and {min_neg} others in each; "
                        "models.min_positives / models.min_negatives). Use more customers or history.")


def backtest(
    tables: Tables,
    task: Task,
    horizon_days: int,
    test_dates: Sequence[AsOf],
    *,
    n_train: int = 12,
    active_days: int = 180,
    feature_config: FeatureConfig | None = None,
    model: RepurchaseClassifier | None = None,
    n_boot: int = 500,
    bgnbd: bool = True,
    keep_holdout: bool = False,
    budget_share: float = 0.1,
    train_freq: Literal["monthly", "weekly"] = "monthly",
    min_positives: int = 1,
    min_negatives: int = 1,
    need_metrics: Callable[..., pd.DataFrame] | None = None,
    max_training_rows: int | None = None,
    sample_seed: int = 42,
    engine: dict | None = None,
) -> BacktestResult:
    """Train and evaluate at each test date; see :data:`METRIC_COLUMNS` for the metrics rows.

    ``budget_share`` sets the contact budget K (a share of the test rows) for precision and
    recall at K. ``min_positives`` / ``min_negatives``: the data gate; training, validation and
    test rows must each hold at least this many of each class, else :class:`DataError`.
    ``need_metrics``: for next purchase, also measure the need list with this function (due-category
    hit@3 and the expected-date error among buyers: the scoring floor's
    :func:`repurchase.scoring.need_metrics.need_list_metrics`, passed in by the pipelines and the
    CLI, since models sit below scoring).
    ``max_training_rows``: the training row budget; above it whole customers of the training and
    validation dates are sampled (seeded by ``sample_seed``) before features are built, the test
    date is kept whole (:mod:`repurchase.models.sample`). None: every row, as before.
    ``engine``: where the features run (``config.engine``; None: DuckDB in-process).
    """
    end = data_end(tables)
    rows, comps, scores, importance, fitted_models, holdout, dates, segments, need = [], [], {}, {}, {}, {}, {}, [], []
    fitted_baselines: dict[str, dict] = {}
    samples: dict[str, TrainingSample] = {}
    for test in as_of_dates(test_dates, tables.timezone):
        if shift_days(test, horizon_days) > end:
            raise DataError(f"test date {test.date()} + {horizon_days} days is after the end of the data ({end.date()}).")
        train, val = training_dates(test, horizon_days, n_train, train_freq)
        if len(train) < 2:
            raise DataError(f"test date {test.date()}: fewer than 2 training dates fit before {val.date()} "
                            f"with a {horizon_days}-day horizon; more history is needed.")
        t0 = time.perf_counter()
        if max_training_rows is None:
            feats = build_features(tables, train + [val, test], config=feature_config, engine=engine)
            sample = None
        else:
            spine = build_spine(tables, train + [val, test],
                                include_non_buyers=(feature_config or FeatureConfig()).include_non_buyers)
            spine, sample = sample_training_spine(spine, test, max_training_rows, sample_seed)
            if sample.sampled:
                log.info("%s %d d at %s: %s", task, horizon_days, test.date(), sample.describe())
            feats = build_features(tables, spine=spine, config=feature_config, engine=engine)
            del spine
        y = labels_for(task, tables, feats[["customer_id", "as_of"]], horizon_days, active_days)
        keep = y.notna().to_numpy()
        feats, y = feats.loc[keep].reset_index(drop=True), y[keep].reset_index(drop=True)
        cols = feature_columns(feats)
        part = {"train": feats["as_of"] < val, "val": feats["as_of"] == val, "test": feats["as_of"] == test}
        X = {k: feats.loc[m, cols] for k, m in part.items()}
        Y = {k: y[m].to_numpy() for k, m in part.items()}
        _gate_classes(task, horizon_days, Y, min_positives, min_negatives)
        clf = clone(model) if model is not None else RepurchaseClassifier()
        clf.fit(X["train"], Y["train"], X["val"], Y["val"])
        # baselines see the same history the model saw: training and validation rows
        hist_X, hist_y = pd.concat([X["train"], X["val"]]), np.concatenate([Y["train"], Y["val"]])
        fitted = {"lightgbm": clf, "recency": RecencyBaseline().fit(hist_X, hist_y),
                  "rfm_logistic": RFMLogistic().fit(hist_X, hist_y)}
        p = {name: m.predict_proba(X["test"])[:, 1] for name, m in fitted.items()}
        if bgnbd and lifetimes_available():
            # fitted on every customer's history before the test date: unsupervised, no labels
            test_spine = feats.loc[part["test"], ["customer_id", "as_of"]]
            summary = btyd_summary(tables, test_spine)
            bg = BGNBDBaseline(horizon_days=horizon_days, churn=task == "churn").fit(summary)
            p["bgnbd"] = bg.predict_proba(summary)[:, 1]
            log.info("BG/NBD at %s: %s", test.date(), {k: round(v, 4) for k, v in bg.params_.items()})
        elif bgnbd:
            log.warning("lifetimes is not installed: the BG/NBD baseline is skipped (pip install 'repurchase[btyd]')")
        budget = max(1, int(round(budget_share * len(Y["test"]))))
        seg = feats.loc[part["test"], "rfm_segment"].to_numpy()
        for name, probs in p.items():
            prec, rec = precision_recall_at_k(Y["test"], probs, budget)
            rows.append({"task": task, "model": name, "as_of": test.date().isoformat(), "horizon_days": horizon_days,
                         **metrics(Y["test"], probs), "budget": budget, "precision_at_budget": prec,
                         "recall_at_budget": rec})
            for label in sorted(set(seg)):  # the model within each RFM segment
                m = seg == label
                if m.sum() >= 20 and 0 < Y["test"][m].sum() < m.sum():
                    segments.append({"task": task, "model": name, "as_of": test.date().isoformat(), "rfm_segment": label,
                                     "n": int(m.sum()), "positive_rate": float(Y["test"][m].mean()),
                                     "auc": float(roc_auc_score(Y["test"][m], probs[m]))})
        for base in [b for b in ("recency", "rfm_logistic", "bgnbd") if b in p]:
            diff, lo, hi = paired_bootstrap_auc(Y["test"], p["lightgbm"], p[base], n_boot=n_boot)
            comps.append({"task": task, "as_of": test.date().isoformat(), "model": "lightgbm", "baseline": base,
                          "auc_diff": diff, "ci_low": lo, "ci_high": hi})
        key = test.date().isoformat()
        if need_metrics is not None and task == "next_purchase":
            cfg = feature_config or FeatureConfig()
            need.append(need_metrics(tables, feats.loc[part["test"]], p["lightgbm"], Y["test"], test, horizon_days,
                                     due_ratio=cfg.category_due_ratio))
        scores[key] = pd.DataFrame({"y": Y["test"], **p})
        importance[key] = clf.feature_importance()
        fitted_models[key] = clf
        fitted_baselines[key] = {k: v for k, v in fitted.items() if k != "lightgbm"}
        if sample is not None:
            samples[key] = sample
        if keep_holdout:
            holdout[key] = feats.loc[part["test"]].reset_index(drop=True)
        dates[key] = {"train": [d.date().isoformat() for d in train], "validation": val.date().isoformat()}
        log.info("backtest %s %s: %d train / %d val / %d test rows, %d trees, calibration %s (%.1fs)", task, test.date(),
                 len(Y["train"]), len(Y["val"]), len(Y["test"]), clf.best_iteration_, clf.calibration_, time.perf_counter() - t0)
    frame = pd.DataFrame(rows)
    return BacktestResult(frame[METRIC_COLUMNS + ["log_loss", "budget", "precision_at_budget", "recall_at_budget"]],
                          pd.DataFrame(comps), scores, importance, fitted_models, holdout, dates, pd.DataFrame(segments),
                          pd.concat(need, ignore_index=True) if need else pd.DataFrame(), fitted_baselines, samples)
