"""Reasons: the top drivers of one customer's score, from LightGBM's per-row contributions,
written for a person ("last bought 42 days ago, more than twice the usual 18-day gap" /
"上次购买是 42 天前，比平时 18 天的间隔长了一倍多")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from repurchase.features.catalog import lookup
from repurchase.scoring.words import leaning, say

if TYPE_CHECKING:
    from repurchase.config import ScoringConfig



#: feature -> the feature whose sentence already says it (recency against the usual gap is the due ratio)
REDUNDANT = {"due_ratio": "days_since_last_order"}

#: "orders_30d" and "orders_90d" are one family, and so is everything said from the buying rhythm
#: ("likely to buy within 30 days", "... 90 days", "has gone quiet"), and every usual gap (recent
#: median, mean, spread): a row names a family once
_WINDOWED = re.compile(r"_\d+d$")


def _family(name: str) -> str:
    if name.startswith(("bgnbd_", "gap_")):  # the buying rhythm; the usual gap, recent or all-time
        return name.split("_")[0]
    return _WINDOWED.sub("", name)

#: contributions are computed for at most this many (row x tree) cells at a time with ``path``
#: (its leaf matrix and one-hot take ~40 bytes a cell: 10,000 rows of a 500-tree model, 0.2 GB),
#: and (row x feature) cells with ``shap``
CONTRIBUTION_CELLS = 5_000_000

#: the row context a sentence may compare with (recency against the usual gap)
_CONTEXT = ("gap_median_last10_days", "gap_mean_days")


class _Reads(Mapping):
    """A row's context that notes whether the sentence read it."""

    def __init__(self, row: dict):
        self.row, self.read = row, False

    def __getitem__(self, key):
        self.read = True
        return self.row[key]

    def __iter__(self):
        self.read = True
        return iter(self.row)

    def __len__(self):
        self.read = True
        return len(self.row)


def _text(X: pd.DataFrame, name: str, language: str = "en") -> list[str]:
    """The sentence of feature ``name`` for each row of ``X`` in ``language`` ("" when the feature
    has nothing worth saying, see :mod:`repurchase.scoring.words`)."""
    entry = lookup(name)
    group = entry.group if entry is not None else None
    ctx_cols = [c for c in _CONTEXT if c in X.columns and c != name]
    values = X[name].to_numpy(float).round(2)
    context = [X[c].to_numpy(float).round(2) for c in ctx_cols]
    # one sentence per distinct value (lists have millions of rows); a sentence that reads the row's
    # context (recency against the usual gap) is said per distinct (value, context)
    classes, _ = pd.factorize(values + 0.0, use_na_sentinel=False)  # as == compares: -0.0 is 0.0
    _, first = np.unique(classes, return_index=True)
    texts = np.empty(len(first), dtype=object)
    per_row = np.zeros(len(first), bool)
    for c, r in enumerate(first):
        row = _Reads({col: ctx[r] for col, ctx in zip(ctx_cols, context)})
        texts[c] = say(name, group, language, values[r], row)
        if values[r] == 0:  # -0.0 and 0.0 share the class: both must say the same without the context
            texts_differ = say(name, group, language, -values[r], row) != texts[c]
            per_row[c] = row.read or texts_differ
        else:
            per_row[c] = row.read
    out = texts[classes]
    rows = np.flatnonzero(per_row[classes])
    memo: dict[tuple, str] = {}
    for i in rows:
        key = (values[i], *(c[i] for c in context))
        if key not in memo:
            memo[key] = say(name, group, language, values[i], dict(zip(ctx_cols, key[1:])))
        out[i] = memo[key]
    return out.tolist()


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


def _paths_of(model, method: str):
    """:func:`path_matrix` when ``method`` needs it (the tree walk is done once, not per chunk)."""
    return path_matrix(model) if method == "path" and not hasattr(model, "contributions") else None


def top_contributions(model, X: pd.DataFrame, k: int = 3, chunk: int = 100_000, method: str = "shap",
                      paths=None) -> np.ndarray:
    """Indices of the ``k`` features that push each row's score up the most (-1 where fewer than
    ``k`` push it up), from LightGBM per-row contributions (see :func:`contributions`), computed
    ``chunk`` rows at a time. ``paths``: :func:`path_matrix` of the model, when the caller has it."""
    out = np.full((len(X), k), -1, dtype=np.int64)
    paths = paths if paths is not None else _paths_of(model, method)
    width = len(paths[1]) if paths is not None else X.shape[1] + 1  # trees (path) or features (shap)
    chunk = max(1, min(chunk, CONTRIBUTION_CELLS // max(width, 1)))
    for start in range(0, len(X), chunk):
        part = X.iloc[start:start + chunk]
        contrib = contributions(model, part, method, paths)
        order = np.argsort(-contrib, axis=1, kind="stable")[:, :k]
        positive = np.take_along_axis(contrib, order, axis=1) > 0
        out[start:start + len(part), :order.shape[1]] = np.where(positive, order, -1)
    return out


def _once_per_family(parts: np.ndarray, families: np.ndarray, keep: np.ndarray) -> list[str]:
    seen: set[str] = set()
    out = []
    for p, f, ok in zip(parts, families, keep):
        if p and ok and f not in seen:
            seen.add(f)
            out.append(p)
    return out


def reasons(model, X: pd.DataFrame, k: int = 3, sep: str | None = None, method: str = "shap",
            language: str = "en", toward: int = 1, batch_rows: int = 100_000) -> pd.Series:
    """The top ``k`` drivers of each row's score written for a person in ``language``, joined by
    ``sep`` (default "; ", in Chinese "；").

    Only features that push the score up are named, and only those with something to say to a
    customer-facing agent; the text shows the customer's own value in words (see
    :mod:`repurchase.scoring.words`). ``toward``: +1 when the score means buying (the need list),
    -1 when it means lapsing (churn): a sentence that reads the other way is left out.
    ``batch_rows`` rows are explained at a time (``scoring.batch_rows``): their contributions and
    sentence arrays are the only per-row intermediates held; each row's reasons are its own.
    """
    sep = sep if sep is not None else ("；" if language == "zh" else "; ")
    paths = _paths_of(model, method)
    step = max(1, batch_rows)
    joined: list[str] = []
    for start in range(0, len(X), step):
        joined += _reasons(model, X.iloc[start:start + step], k, sep, method, language, toward, paths, step)
    return pd.Series(joined, index=X.index, name="reasons")


def _reasons(model, X: pd.DataFrame, k: int, sep: str, method: str, language: str, toward: int, paths,
             chunk: int) -> list[str]:
    """:func:`reasons` of one batch, as a list."""
    # the top k among the features that can be said: an internal score without words (the RFM
    # code, a quintile in the middle) must not take a reason's place
    top = top_contributions(model, X, k + 6, chunk=chunk, method=method, paths=paths)
    names = list(X.columns)
    parts = np.full(top.shape, "", dtype=object)
    against = np.zeros(top.shape, dtype=bool)
    for j in np.unique(top[top >= 0]):
        rows, slots = np.nonzero(top == j)
        parts[rows, slots] = _text(X.iloc[rows], names[j], language)
        against[rows, slots] = leaning(names[j], X[names[j]].to_numpy(float)[rows]) == -toward
    for dup, kept in REDUNDANT.items():  # the same fact twice in one row is said once
        if dup in names and kept in names:
            both = ((top == names.index(kept)).any(axis=1, keepdims=True)) & (top == names.index(dup))
            parts[both] = ""
    family = np.array([_family(n) for n in names] + [""], dtype=object)[top]
    joined = []
    for row, fam, back in zip(parts, family, against):
        # a sentence that reads against the list is said only when nothing else can be; then one
        # sentence per family, in contribution order
        fit = _once_per_family(row, fam, ~back) or _once_per_family(row, fam, np.ones_like(back))
        joined.append(sep.join(fit[:k]))
    return joined


def reasons_method(scoring_config: "ScoringConfig", n_rows: int) -> str:
    """The contributions behind a list's reasons: ``scoring.reasons_method``, where "auto" means
    exact SHAP up to ``scoring.shap_max_rows`` rows and the faster path attribution above."""
    if scoring_config.reasons_method != "auto":
        return scoring_config.reasons_method
    return "shap" if n_rows <= scoring_config.shap_max_rows else "path"
