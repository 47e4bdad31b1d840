"""How good the need list is, not only the score behind it: due categories and expected dates.

For one test date T and horizon H, among the customers who bought in [T, T + H):

- ``hit@k``: the share whose first ``k`` due categories (what the need list shows,
  :func:`repurchase.scoring.categories.due_categories`) include a category they bought in the
  window, against the customer's own ``k`` most frequent categories before T and the ``k`` most
  popular categories before T;
- the mean absolute error, in days, of the expected purchase day (what the need list shows,
  :func:`repurchase.scoring.timing.expected_purchase_days`) against the day of their first order
  in the window, compared with the window's midpoint and with "last order + median gap".

Everything before T comes from data strictly before T; the window is only read for the outcome.
"""

from __future__ import annotations

from functools import partial
from typing import Callable

import numpy as np
import pandas as pd

from repurchase._timeline import DAY_S, epoch_seconds
from repurchase.features.categories import paid_category_lines
from repurchase.schema import Tables
from repurchase.scoring.categories import due_categories
from repurchase.scoring.timing import expected_purchase_days
from repurchase.spine import shift_days

NEED_METRIC_COLUMNS = ["as_of", "metric", "method", "value", "n"]
#: above this many buyers at a test date, the need list is measured on a seeded sample of them
#: (``n`` says how many): at 1M customers every buyer's category state costs minutes per model
MAX_BUYERS = 50_000


def top_k_own(before: pd.DataFrame, ids: pd.Series, k: int) -> list[list[int]]:
    """Each customer's ``k`` most frequent categories (by orders; ties: the more recent first)."""
    per = before.drop_duplicates(["order", "cat"]).groupby(["customer_id", "cat"], sort=False)
    agg = per["ts"].agg(["size", "max"]).reset_index()
    agg = agg.sort_values(["customer_id", "size", "max", "cat"], ascending=[True, False, False, True], kind="stable")
    top = agg.groupby("customer_id", sort=False).head(k).groupby("customer_id", sort=False)["cat"].agg(list)
    return [top.get(c, []) for c in ids]


def top_k_popular(before: pd.DataFrame, k: int) -> list[int]:
    """The ``k`` categories bought in the most orders before T (ties by code)."""
    counts = before.drop_duplicates(["order", "cat"])["cat"].value_counts()
    counts = counts.rename_axis("cat").reset_index(name="n").sort_values(["n", "cat"], ascending=[False, True], kind="stable")
    return counts["cat"].head(k).tolist()


def _hits(predicted: list[list[int]], actual: list[set[int]]) -> np.ndarray:
    return np.array([bool(set(p) & a) for p, a in zip(predicted, actual)], dtype=float)


def need_list_metrics(tables: Tables, feats: pd.DataFrame, p_buy: np.ndarray, y: np.ndarray, as_of: pd.Timestamp,
                      horizon_days: int, *, due_ratio: float = 0.8, k: int = 3, category_method: str = "learned") -> pd.DataFrame:
    """``hit@k`` and expected-date MAE of the need list at one test date, with their baselines.

    Parameters
    ----------
    tables : the canonical tables.
    feats : the test rows' features (``customer_id``, ``days_since_last_order``,
        ``gap_median_last10_days``), one row per customer at ``as_of``.
    p_buy : P(buy in [T, T + H)) per row, from the model being evaluated.
    y : 1 where the customer bought in the window.
    as_of, horizon_days : T and H.
    due_ratio, k, category_method : as for the need list (``features.category_due_ratio``,
        ``scoring.need.top_categories``, ``scoring.need.category_method``).

    Returns
    -------
    DataFrame with :data:`NEED_METRIC_COLUMNS`: ``hit@k`` for ``need_list`` / ``own_top`` /
    ``popular`` and ``date_mae_days`` for ``need_list`` / ``midpoint`` / ``last_order_plus_median_gap``;
    over at most :data:`MAX_BUYERS` buyers (a seeded sample above it).
    """
    buyers = np.asarray(y, float) == 1
    if buyers.sum() > MAX_BUYERS:  # a seeded sample of the buyers: the metric's error is ~0.2% at this size
        keep = np.random.default_rng(0).choice(np.flatnonzero(buyers), MAX_BUYERS, replace=False)
        buyers = np.zeros(len(buyers), bool)
        buyers[keep] = True
    ids = feats["customer_id"].reset_index(drop=True)
    t = int(epoch_seconds(pd.Series([as_of]))[0])
    t_end = int(epoch_seconds(pd.Series([shift_days(as_of, horizon_days)]))[0])
    key = as_of.date().isoformat()
    rows = []

    # expected purchase day among buyers: the first paid order in the window
    paid = tables.paid_orders(["customer_id", "order_ts"])
    ts = epoch_seconds(paid["order_ts"])
    inw = (ts >= t) & (ts < t_end)
    first = pd.Series(ts[inw], index=paid["customer_id"].to_numpy()[inw]).groupby(level=0).min()
    b_ids = ids[buyers]
    actual_day = (first.reindex(b_ids.to_numpy()).to_numpy(float) - t) / DAY_S
    ok = np.isfinite(actual_day)
    pred = expected_purchase_days({horizon_days: np.asarray(p_buy, float)[buyers]}, conditional=True)
    since = feats["days_since_last_order"].to_numpy(float)[buyers]
    gap = feats["gap_median_last10_days"].to_numpy(float)[buyers] if "gap_median_last10_days" in feats else np.full(len(since), np.nan)
    mid = np.full(len(since), horizon_days / 2.0)
    rule = np.where(np.isfinite(gap), np.clip(gap - since, 0, horizon_days), mid)
    for method, guess in (("need_list", pred), ("midpoint", mid), ("last_order_plus_median_gap", rule)):
        rows.append({"as_of": key, "metric": "date_mae_days", "method": method,
                     "value": float(np.mean(np.abs(guess[ok] - actual_day[ok]))) if ok.any() else np.nan, "n": int(ok.sum())})

    got = paid_category_lines(tables)
    if got is not None:
        lines, names = got
        before = lines[lines["ts"] < t]
        window = lines[(lines["ts"] >= t) & (lines["ts"] < t_end)]
        bought = window.groupby("customer_id", sort=False)["cat"].agg(set)
        actual = [bought.get(c, set()) for c in b_ids]
        with_cat = np.array([len(a) > 0 for a in actual])
        due = due_categories(tables, b_ids, as_of, np.asarray(p_buy, float)[buyers], due_ratio=due_ratio, k=k,
                             horizon_days=horizon_days, method=category_method)
        code_of = {str(n): i for i, n in enumerate(names)}
        need_pred = [[code_of[c] for c in r if c is not None and c in code_of]
                     for r in due[[f"top_category_{i + 1}" for i in range(k)]].itertuples(index=False)]
        popular = top_k_popular(before, k)
        for method, predicted in (("need_list", need_pred), ("own_top", top_k_own(before, b_ids, k)),
                                  ("popular", [popular] * len(b_ids))):
            h = _hits(predicted, actual)[with_cat]
            rows.append({"as_of": key, "metric": f"hit@{k}", "method": method,
                         "value": float(h.mean()) if len(h) else np.nan, "n": int(with_cat.sum())})
    return pd.DataFrame(rows, columns=NEED_METRIC_COLUMNS)


def need_metrics_for(config) -> Callable[..., pd.DataFrame]:
    """:func:`need_list_metrics` with the need list's configured ranking, for
    :func:`repurchase.models.backtest.backtest` (which sits below scoring and takes it as an argument)."""
    return partial(need_list_metrics, k=config.scoring.need.top_categories,
                   category_method=config.scoring.need.category_method)
