"""Drift: the population stability index (PSI) of each feature and of the score between the rows a
model was evaluated on at training (its holdout date) and the rows it scores today.

PSI = sum over bins of (share now - share then) x ln(share now / share then), on the reference's
decile bins with missing values as a bin of their own. Rule of thumb: < 0.1 stable, 0.1-0.25 a
shift worth a look, > 0.25 a different population.

Features that grow with time by definition (tenure, cumulative counts) drift against any earlier
date without anything having changed: they are judged only against the previous scoring run
(days or weeks earlier), never against the training holdout, and :data:`GROWS_WITH_TIME` names them.
The ages among them (:data:`AGES`) are re-based first: today's value minus the days since the
reference, so the same customers compare equal and only a changed cohort mix shows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: tenure and all-time totals: larger at every later date for the same customers
GROWS_WITH_TIME = frozenset({
    "days_since_first_order", "days_since_registered", "days_since_joined_group", "btyd_age_days",
    "btyd_recency_days", "btyd_repeat_days", "orders_count", "spend_total", "referrals_made",
    "categories_bought_count"})

#: ages in days: a customer's value grows by exactly the days elapsed
AGES = frozenset({"days_since_first_order", "days_since_registered", "days_since_joined_group", "btyd_age_days"})

N_BINS = 10
EPS = 1e-4


def _edges(x: np.ndarray) -> np.ndarray:
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return np.array([])
    return np.unique(np.quantile(x, np.linspace(0, 1, N_BINS + 1)[1:-1]))


def _shares(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Shares per bin: (-inf, e1), [e1, e2), ..., [ek, inf), then missing."""
    x = np.asarray(x, float)
    finite = np.isfinite(x)
    counts = np.bincount(np.searchsorted(edges, x[finite], side="right"), minlength=len(edges) + 1)
    counts = np.append(counts, (~finite).sum())
    return counts / max(len(x), 1)


def reference(X: pd.DataFrame, score: np.ndarray, as_of: str | None = None) -> dict:
    """What the distributions were at ``as_of`` (the training holdout, or a scoring run): bin edges
    and shares per feature and the score; ``as_of`` is kept under ``"_as_of"`` for re-basing ages."""
    out: dict = {"_as_of": as_of} if as_of is not None else {}
    for name, values in [*X.items(), ("score", pd.Series(score))]:
        v = values.to_numpy(float)
        e = _edges(v)
        out[name] = {"edges": e.tolist(), "shares": _shares(v, e).round(6).tolist()}
    return out


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    e, a = np.clip(np.asarray(expected, float), EPS, None), np.clip(np.asarray(actual, float), EPS, None)
    return float(np.sum((a - e) * np.log(a / e)))


DRIFT_COLUMNS = ["column", "psi", "psi_previous", "grows_with_time", "judged_psi", "missing_then", "missing_now"]


def _days_since(ref: dict | None, as_of: str | None) -> float:
    """Days from a reference's date to ``as_of`` (0 when either is unknown: no re-basing)."""
    then = (ref or {}).get("_as_of")
    return float((pd.Timestamp(as_of) - pd.Timestamp(then)).days) if then and as_of else 0.0


def _psi_against(r: dict, v: np.ndarray, name: str, days: float) -> tuple[float, np.ndarray]:
    v = v - days if name in AGES else v
    now = _shares(v, np.asarray(r["edges"], float))
    return round(psi(r["shares"], now), 4), now


def drift_table(ref: dict, X: pd.DataFrame, score: np.ndarray, previous: dict | None = None,
                as_of: str | None = None) -> pd.DataFrame:
    """PSI per column against ``ref`` (the training holdout, from :func:`reference`) and, when
    given, against ``previous`` (the previous scoring run's :func:`reference`), for rows scored
    at ``as_of`` (ages are re-based by the days since each reference's date).

    ``judged_psi`` is what an alarm looks at: the PSI against training, except for a feature that
    grows with time (:data:`GROWS_WITH_TIME`), judged against the previous run only (NaN without
    one). Sorted by ``judged_psi``, largest first.
    """
    rows = []
    days_ref, days_prev = _days_since(ref, as_of), _days_since(previous, as_of)
    for name, r in ref.items():
        if name.startswith("_"):
            continue
        if name == "score":
            v = np.asarray(score, float)
        elif name in X.columns:
            v = X[name].to_numpy(float)
        else:
            continue
        p_ref, now = _psi_against(r, v, name, days_ref)
        prev = (previous or {}).get(name)
        p_prev = _psi_against(prev, v, name, days_prev)[0] if prev else np.nan
        grows = name in GROWS_WITH_TIME
        rows.append({"column": name, "psi": p_ref, "psi_previous": p_prev, "grows_with_time": grows,
                     "judged_psi": p_prev if grows else p_ref,
                     "missing_then": r["shares"][-1], "missing_now": round(float(now[-1]), 6)})
    table = pd.DataFrame(rows, columns=DRIFT_COLUMNS)
    return table.sort_values(["judged_psi", "psi", "column"], ascending=[False, False, True],
                             na_position="last").reset_index(drop=True)
