"""Reasons: the top drivers of one customer's score, from LightGBM's per-row contributions,
written for a person ("no order for 74 days, usual gap 21 days")."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

from repurchase.features.catalog import lookup

if TYPE_CHECKING:
    from repurchase.config import ScoringConfig

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


#: feature -> (text with {x}, {n} = the value rounded with separators, {pct} = 100 x value %;
#: text when the value is missing)
_TEMPLATES = {
    "due_ratio": ("{x:.1f}x their usual gap since the last order", None),
    "days_since_last_engagement": ("no engagement for {n} days", "never engaged in the community"),
    "days_since_first_order": ("customer for {n} days", None),
    "orders_count": ("{n} orders in all", None),
    "spend_total": ("spent {n} in all", None),
    "avg_order_value": ("average order {n}", None),
    "max_order_value": ("largest order {n}", None),
    "checkin_rate_30d": ("checked in on {pct} of group days in 30 days", "no check-ins"),
    "coupons_open": ("{n} unused coupons", None),
    "days_to_coupon_expiry": ("a coupon expires in {n} days", "no open coupon"),
    "discount_order_share": ("{pct} of orders used a discount", None),
    # the btyd group in words: the customer's rhythm, never the internal model's name
    "bgnbd_expected_purchases_90d": ("about {x:.1f} purchases expected in 90 days at their rhythm", None),
    "btyd_repeat_days": ("bought on {n} more days after the first", None),
    "btyd_recency_days": ("{n} days between their first and last purchase", None),
    "btyd_age_days": ("first bought {n} days ago", None),
}

_WINDOW = re.compile(r"^(?P<base>.+)_(?P<w>\d+)d$")


def _text(X: pd.DataFrame, name: str) -> list[str]:
    v = X[name].to_numpy(float)
    m = _WINDOW.match(name)
    if name == "days_since_last_order":
        return _recency(X, name)
    if name in ("orders_trend_90d", "engagement_trend_30d"):
        what, days = ("orders", 90) if name.startswith("orders") else ("engagement", 30)
        return [f"{what} {_change(x)} in {days} days" if np.isfinite(x) else f"no {what} trend" for x in v]
    if name.startswith("due_ratio_"):
        cat = name[len("due_ratio_"):]
        return [f"{cat} due ({x:.1f}x its cycle)" if np.isfinite(x) else f"never bought {cat}" for x in v]
    if name in _TEMPLATES:
        text, missing = _TEMPLATES[name]
        return [text.format(x=x, n=_n(x), pct=f"{100 * x:.0f}%") if np.isfinite(x) else (missing or f"{name}: none")
                for x in v]
    if name.startswith("bgnbd_p_buy_") and m is not None:  # words, not the internal model's probability
        w = m.group("w")
        return [f"by their buying rhythm, likely to buy within {w} days" if x >= 0.5
                else f"by their buying rhythm, unlikely to buy within {w} days" for x in np.nan_to_num(v)]
    if name == "bgnbd_p_alive":
        return ["still buying at their usual rhythm" if x >= 0.5 else "has gone quiet for their usual rhythm"
                for x in np.nan_to_num(v)]
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
    if m is not None:  # a catalog pattern's window, e.g. "{w} days", filled from the column's name
        meaning = meaning.replace("{w}", m.group("w"))
    return [f"{meaning}: {x:.3g}" if np.isfinite(x) else f"{meaning}: none" for x in v]


def path_matrix(model):
    """Per-leaf path contributions of every tree: a sparse (leaves x features) matrix, the leaf
    offset of each tree, and the sum of the root values (the margin of an empty path).

    Walking from the root to a leaf, each split moves the node value (LightGBM's
    ``internal_value``) to the child's; the move is credited to the split's feature. A row's
    contributions are the sums over the leaves it lands in, and add up exactly to its raw margin.
    """
    import scipy.sparse as sp

    n_trees = model.best_iteration_
    dump = model.model_.booster_.dump_model(num_iteration=n_trees)
    n_features = len(dump["feature_names"])
    rows, cols, vals, offsets = [], [], [], []
    base, off = 0.0, 0
    for tree in dump["tree_info"][:n_trees]:
        root = tree["tree_structure"]
        offsets.append(off)
        if "leaf_index" in root:
            base += root["leaf_value"]
            off += tree["num_leaves"]
            continue
        base += root["internal_value"]
        stack = [(root, {})]
        while stack:
            node, path = stack.pop()
            for side in ("left_child", "right_child"):
                child = node[side]
                leaf = "leaf_index" in child
                step = dict(path)
                f = node["split_feature"]
                step[f] = step.get(f, 0.0) + (child["leaf_value"] if leaf else child["internal_value"]) - node["internal_value"]
                if leaf:
                    rows += [off + child["leaf_index"]] * len(step)
                    cols += list(step)
                    vals += list(step.values())
                else:
                    stack.append((child, step))
        off += tree["num_leaves"]
    return sp.csr_matrix((vals, (rows, cols)), shape=(off, n_features)), np.asarray(offsets, dtype=np.int64), base


def contributions(model, X: pd.DataFrame, method: str = "shap", paths=None) -> np.ndarray:
    """Per-row, per-feature contributions to the raw margin: ``shap`` (LightGBM's TreeSHAP,
    ``pred_contrib``; exact Shapley values, about 1 ms per row for 500 trees) or ``path`` (the
    root-to-leaf path credit of :func:`path_matrix`; ~100x faster, also additive, but it
    over-credits features split near the root). ``paths``: :func:`path_matrix` of the model, when
    the caller already has it (it walks every tree)."""
    if hasattr(model, "contributions"):  # the transparent rules explain themselves
        return model.contributions(X)
    booster = model.model_.booster_
    if method == "shap":
        return booster.predict(X, pred_contrib=True, num_iteration=model.best_iteration_)[:, :-1]
    if method != "path":
        raise ValueError(f"unknown contribution method {method!r} (shap or path)")
    import scipy.sparse as sp

    P, offsets, _ = paths if paths is not None else path_matrix(model)
    leaves = booster.predict(X, pred_leaf=True, num_iteration=model.best_iteration_).astype(np.int64)
    n, t = leaves.shape
    onehot = sp.csr_matrix((np.ones(n * t), (leaves + offsets[None, :]).ravel(), np.arange(0, n * t + 1, t)),
                           shape=(n, P.shape[0]))
    return (onehot @ P).toarray()


def top_contributions(model, X: pd.DataFrame, k: int = 3, chunk: int = 100_000, method: str = "shap") -> np.ndarray:
    """Indices of the ``k`` features that push each row's score up the most (-1 where fewer than
    ``k`` push it up), from LightGBM per-row contributions (see :func:`contributions`)."""
    out = np.full((len(X), k), -1, dtype=np.int64)
    # the tree walk for path credit is done once, not per chunk
    paths = path_matrix(model) if method == "path" and not hasattr(model, "contributions") else None
    for start in range(0, len(X), chunk):
        part = X.iloc[start:start + chunk]
        contrib = contributions(model, part, method, paths)
        order = np.argsort(-contrib, axis=1, kind="stable")[:, :k]
        positive = np.take_along_axis(contrib, order, axis=1) > 0
        out[start:start + len(part), :order.shape[1]] = np.where(positive, order, -1)
    return out


def reasons(model, X: pd.DataFrame, k: int = 3, sep: str = "; ", method: str = "shap") -> pd.Series:
    """The top ``k`` drivers of each row's score written for a person, joined by ``sep``.

    Only features that push the score up are named (for the churn model: toward churn); the text
    shows the customer's own value, formatted per feature (see :func:`_text`).
    """
    top = top_contributions(model, X, k, method=method)
    names = list(X.columns)
    parts = np.full(top.shape, "", dtype=object)
    for j in np.unique(top[top >= 0]):
        rows, slots = np.nonzero(top == j)
        parts[rows, slots] = _text(X.iloc[rows], names[j])
    joined = [sep.join(p for p in row if p) for row in parts]
    return pd.Series(joined, index=X.index, name="reasons")


def reasons_method(scoring_config: "ScoringConfig", n_rows: int) -> str:
    """The contributions behind a list's reasons: ``scoring.reasons_method``, where "auto" means
    exact SHAP up to ``scoring.shap_max_rows`` rows and the faster path attribution above."""
    if scoring_config.reasons_method != "auto":
        return scoring_config.reasons_method
    return "shap" if n_rows <= scoring_config.shap_max_rows else "path"
