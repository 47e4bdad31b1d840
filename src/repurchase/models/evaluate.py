"""Evaluation: the metrics every model and baseline is judged by, on the same rows."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

METRICS = ("n", "positive_rate", "auc", "pr_auc", "brier", "log_loss", "ece", "lift_top_decile")


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Weighted mean |observed rate - mean prediction| over equal-width probability bins."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.sum() * abs(y[m].mean() - p[m].mean())
    return float(total / len(y))


def lift_at(y: np.ndarray, p: np.ndarray, share: float = 0.1) -> float:
    """Positive rate among the top ``share`` by score over the overall positive rate."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    k = max(1, int(round(share * len(y))))
    top = np.argsort(-p, kind="stable")[:k]
    base = y.mean()
    return float(y[top].mean() / base) if base > 0 else float("nan")


def decile_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict]:
    """The holdout by score decile, highest first: ``rows``, ``buyers`` (positives), ``mean_p``
    (mean prediction) and ``observed`` (positive rate). Gains and calibration are read from it."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    order = np.argsort(-p, kind="stable")
    out = []
    for i, part in enumerate(np.array_split(order, bins)):
        if len(part):
            out.append({"decile": i + 1, "rows": int(len(part)), "positives": int(y[part].sum()),
                        "mean_p": round(float(p[part].mean()), 6), "observed": round(float(y[part].mean()), 6)})
    return out


def precision_recall_at_k(y: np.ndarray, p: np.ndarray, k: int) -> tuple[float, float]:
    """Precision and recall when contacting the ``k`` highest scores (a contact budget)."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    k = int(min(max(k, 1), len(y)))
    top = np.argsort(-p, kind="stable")[:k]
    hits = y[top].sum()
    return float(hits / k), float(hits / y.sum()) if y.sum() > 0 else float("nan")


def metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """All metrics of :data:`METRICS` for labels ``y`` and probabilities ``p``."""
    y, p = np.asarray(y, float), np.clip(np.asarray(p, float), 1e-6, 1 - 1e-6)
    two = len(np.unique(y)) == 2
    return {
        "n": int(len(y)),
        "positive_rate": float(y.mean()),
        "auc": float(roc_auc_score(y, p)) if two else float("nan"),
        "pr_auc": float(average_precision_score(y, p)) if two else float("nan"),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "ece": expected_calibration_error(y, p),
        "lift_top_decile": lift_at(y, p, 0.1),
    }


def fast_auc(y: np.ndarray, p: np.ndarray) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) formula, ties counted half: the same number as
    ``sklearn.metrics.roc_auc_score`` without its input checks, which dominate a bootstrap."""
    from scipy.stats import rankdata

    y = np.asarray(y, bool)
    n1 = int(y.sum())
    n0 = len(y) - n1
    ranks = rankdata(p)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def paired_bootstrap_auc(y: np.ndarray, p_model: np.ndarray, p_base: np.ndarray, n_boot: int = 500, seed: int = 0) -> tuple[float, float, float]:
    """AUC(model) - AUC(baseline) on the same rows, with a 95% paired-bootstrap interval.

    A resample is its rows' multiplicities: each AUC is a weighted rank sum over the scores'
    tie groups, ranked once (:func:`_weighted_auc`), not a sort per resample. The numerator is a
    sum of whole and half counts, exact in float64, so every AUC equals :func:`fast_auc` on the
    resampled rows (tested): the same interval, minutes faster on a 1M-row holdout.
    """
    y = np.asarray(y, float)
    p_model, p_base = np.asarray(p_model, float), np.asarray(p_base, float)
    rng = np.random.default_rng(seed)
    diff = roc_auc_score(y, p_model) - roc_auc_score(y, p_base)
    out = []
    n = len(y)
    pos = y > 0
    groups = [np.unique(p, return_inverse=True)[1] for p in (p_model, p_base)]
    for _ in range(n_boot):
        w = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
        w1 = np.where(pos, w, 0.0)
        n1 = w1.sum()
        if n1 == 0 or n1 == n:
            continue
        a, b = (_weighted_auc(g, w, w1, n1, n - n1) for g in groups)
        out.append(a - b)
    lo, hi = np.percentile(out, [2.5, 97.5]) if out else (np.nan, np.nan)
    return float(diff), float(lo), float(hi)


def _weighted_auc(group: np.ndarray, w: np.ndarray, w1: np.ndarray, n1: float, n0: float) -> float:
    """AUC of rows repeated ``w`` times (``w1``: the positives' weights), scores given as tie
    groups ``group`` (dense ranks): each positive beats the negatives of lower groups and ties
    half of its own."""
    size = int(group.max()) + 1 if len(group) else 0
    pos = np.bincount(group, weights=w1, minlength=size)
    neg = np.bincount(group, weights=w - w1, minlength=size)
    below = np.cumsum(neg) - neg
    return float((pos * (below + 0.5 * neg)).sum() / (n1 * n0))
