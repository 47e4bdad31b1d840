"""Reasons: the top drivers of one customer's score, from LightGBM's per-row contributions,
written for a person ("no order for 74 days, usual gap 21 days")."""

from __future__ import annotations

import re
from typing import Callable

import numpy as np
import pandas as pd

from repurchase.features.catalog import lookup

Formatter = Callable[[pd.DataFrame, str], list[str]]


def _n(v: float) -> str:
    return f"{v:,.0f}"


def _change(trend: float) -> str:
    """(a - b) / (a + b) as a percent change from b to a."""
    if trend >= 1:
        return "new"
    pct = 200 * trend / (1 - trend)
    return f"{'up' if pct >= 0 else 'down'} {abs(pct):.0f}%"


def _gap(X: pd.DataFrame) -> pd.Series:
    for col in ("gap_median_last10_days", "gap_mean_days"):
        if col in X.columns:
            return X[col]
    return pd.Series(np.nan, index=X.index)


def _recency(X: pd.DataFrame, name: str) -> list[str]:
    gap = _gap(X)
    return [f"no order for {_n(v)} days" + (f", usual gap {_n(g)} days" if np.isfinite(g) else "")
            for v, g in zip(X[name], gap)]


_WINDOW = re.compile(r"^(?P<base>.+)_(?P<w>\d+)d$")


def _text(X: pd.DataFrame, name: str) -> list[str]:
    v = X[name].to_numpy(float)
    m = _WINDOW.match(name)
    if name == "days_since_last_order":
        return _recency(X, name)
    if name == "due_ratio":
        return [f"{x:.1f}x their usual gap since the last order" for x in v]
    if name in ("orders_trend_90d", "engagement_trend_30d"):
        what, days = ("orders", 90) if name.startswith("orders") else ("engagement", 30)
        return [f"{what} {_change(x)} in {days} days" if np.isfinite(x) else f"no {what} trend" for x in v]
    if name == "days_since_last_engagement":
        return [f"no engagement for {_n(x)} days" if np.isfinite(x) else "never engaged in the community" for x in v]
    if name == "days_since_first_order":
        return [f"customer for {_n(x)} days" for x in v]
    if name == "orders_count":
        return [f"{_n(x)} orders in all" for x in v]
    if name == "spend_total":
        return [f"spent {_n(x)} in all" for x in v]
    if name in ("avg_order_value", "max_order_value"):
        label = "average order" if name.startswith("avg") else "largest order"
        return [f"{label} {_n(x)}" for x in v]
    if name.startswith("due_ratio_"):
        cat = name[len("due_ratio_"):]
        return [f"{cat} due ({x:.1f}x its cycle)" if np.isfinite(x) else f"never bought {cat}" for x in v]
    if name == "checkin_rate_30d":
        return [f"checked in on {100 * x:.0f}% of group days in 30 days" if np.isfinite(x) else "no check-ins" for x in v]
    if name == "coupons_open":
        return [f"{_n(x)} unused coupon{'s' if x != 1 else ''}" for x in v]
    if name == "days_to_coupon_expiry":
        return [f"a coupon expires in {_n(x)} days" if np.isfinite(x) else "no open coupon" for x in v]
    if name == "discount_order_share":
        return [f"{100 * x:.0f}% of orders used a discount" for x in v]
    if name == "in_group":
        return ["in a community group" if x >= 1 else "not in a community group" for x in v]
    if m is not None:
        base, w = m.group("base"), m.group("w")
        if base == "orders":
            return [f"{_n(x)} orders in the last {w} days" for x in v]
        if base == "spend":
            return [f"spent {_n(x)} in the last {w} days" for x in v]
        if base == "events":
            return [f"{_n(x)} community events in the last {w} days" for x in v]
        if lookup(name) is not None and lookup(name).group == "engagement":
            return [f"{_n(x)} {base.replace('_', ' ')} in the last {w} days" for x in v]
    entry = lookup(name)
    meaning = entry.meaning.split(",")[0].split("(")[0].strip() if entry is not None else name
    return [f"{meaning}: {x:.3g}" if np.isfinite(x) else f"{meaning}: none" for x in v]


def top_contributions(model, X: pd.DataFrame, k: int = 3, chunk: int = 200_000) -> np.ndarray:
    """Indices of the ``k`` features that push each row's score up the most (-1 where fewer than
    ``k`` push it up), from LightGBM's SHAP-style per-row contributions."""
    booster = model.model_.booster_
    out = np.full((len(X), k), -1, dtype=np.int64)
    for start in range(0, len(X), chunk):
        part = X.iloc[start:start + chunk]
        contrib = booster.predict(part, pred_contrib=True, num_iteration=model.best_iteration_)[:, :-1]
        order = np.argsort(-contrib, axis=1, kind="stable")[:, :k]
        positive = np.take_along_axis(contrib, order, axis=1) > 0
        out[start:start + len(part)] = np.where(positive, order, -1)
    return out


def reasons(model, X: pd.DataFrame, k: int = 3, sep: str = "; ") -> pd.Series:
    """The top ``k`` drivers of each row's score written for a person, joined by ``sep``.

    Only features that push the score up are named (for the churn model: toward churn); the text
    shows the customer's own value, formatted per feature (see :func:`_text`).
    """
    top = top_contributions(model, X, k)
    names = list(X.columns)
    parts = np.full(top.shape, "", dtype=object)
    for j in np.unique(top[top >= 0]):
        rows, slots = np.nonzero(top == j)
        parts[rows, slots] = _text(X.iloc[rows], names[j])
    joined = [sep.join(p for p in row if p) for row in parts]
    return pd.Series(joined, index=X.index, name="reasons")
