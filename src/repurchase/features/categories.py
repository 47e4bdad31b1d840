"""Categories (needs ``order_items`` with a category, or ``products`` mapping sku -> category):
how many categories a customer buys, how concentrated, and which are due by their cycle."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from repurchase.features._context import FeatureContext
from repurchase.features._timeline import DAY_S, Timeline, epoch_seconds
from repurchase.features.catalog import safe_name


@dataclass
class CategoryState:
    """Per spine row and top category: purchases before T, days since the last, cycle, due ratio."""

    categories: list[str]
    count: np.ndarray  # (n, K)
    days_since: np.ndarray
    cycle_days: np.ndarray
    due_ratio: np.ndarray


def category_lines(ctx: FeatureContext) -> pd.DataFrame | None:
    """One row per (paid order, category): customer code, epoch second, category."""
    key = ("category_lines",)
    if key in ctx._cache:
        return ctx._cache[key]
    items = ctx.tables.order_items
    result = None
    if items is not None:
        # The group exists whenever the schema has a category source, whatever the rows hold.
        cat = items["category"] if "category" in items.columns else None
        products = ctx.tables.products
        if products is not None and "category" in products.columns:
            mapped = items["sku"].map(products.drop_duplicates("sku").set_index("sku")["category"])
            cat = mapped if cat is None else cat.fillna(mapped)
        if cat is not None:
            paid = ctx.tables.paid_orders()
            idx = pd.Index(paid["order_id"]).get_indexer(items["order_id"])
            ok = (idx >= 0) & cat.notna().to_numpy()
            lines = pd.DataFrame({
                "order": idx[ok],
                "category": cat[ok].to_numpy(),
            }).drop_duplicates()
            rows = lines["order"].to_numpy()
            lines["code"] = ctx.index.codes(paid["customer_id"].iloc[rows].reset_index(drop=True)).astype(np.int64)
            lines["ts"] = epoch_seconds(paid["order_ts"].iloc[rows].reset_index(drop=True))
            result = lines
    ctx._cache[key] = result
    return result


def category_cycles(ctx: FeatureContext) -> dict[str, float]:
    """Catalogue cycle per category: the median ``products.cycle_days`` of its skus."""
    p = ctx.tables.products
    if p is None or "cycle_days" not in p.columns or "category" not in p.columns:
        return {}
    return p.dropna(subset=["cycle_days", "category"]).groupby("category")["cycle_days"].median().to_dict()


def category_state(ctx: FeatureContext) -> CategoryState | None:
    lines = category_lines(ctx)
    if lines is None:
        return None
    if ctx.config.categories is not None:
        cats = list(ctx.config.categories)
    else:  # rank on what was known before the latest as-of date, never on later data
        counts = lines.loc[lines["ts"] < ctx.t_max, "category"].value_counts()
        cats = sorted(counts.index, key=lambda c: (-counts[c], str(c)))[: ctx.config.top_categories]
    k = max(len(cats), 1)
    cat_idx = pd.Index(cats, dtype=object).get_indexer(lines["category"]) if cats else np.full(len(lines), -1)
    top = cat_idx >= 0
    cc = lines["code"].to_numpy()[top] * k + cat_idx[top]
    tl = Timeline.build(cc, lines["ts"].to_numpy()[top], len(ctx.index) * k)
    catalogue = category_cycles(ctx)
    shape = (ctx.n, k)
    count, since, own = np.zeros(shape), np.full(shape, np.nan), np.full(shape, np.nan)
    for j in range(len(cats)):
        q = ctx.q_codes * k + j
        pos, start = tl.pos(q, ctx.q_t), tl.start(q)
        has = pos > start
        n = pos - start
        count[:, j] = n
        last = tl.gather(tl.ts, pos - 1, has)
        first = tl.gather(tl.ts, start, has)
        since[:, j] = (ctx.q_t - last) / DAY_S
        with np.errstate(invalid="ignore", divide="ignore"):
            own[:, j] = np.where(n >= 2, (last - first) / DAY_S / (n - 1), np.nan)
    cycle = own.copy()
    for j, c in enumerate(cats):
        fallback = catalogue.get(c, np.nan)
        if not np.isfinite(fallback):
            fallback_rows = np.full(ctx.n, np.nan)
            for t in np.unique(ctx.q_t):  # the population's typical own cycle at the same T
                rows = ctx.q_t == t
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    fallback_rows[rows] = np.nanmedian(own[rows, j])
            cycle[:, j] = np.where(np.isfinite(own[:, j]), own[:, j], fallback_rows)
        else:
            cycle[:, j] = np.where(np.isfinite(own[:, j]), own[:, j], fallback)
    with np.errstate(invalid="ignore", divide="ignore"):
        due = np.where(cycle > 0, since / cycle, np.nan)
    n = len(cats)
    return CategoryState(list(map(str, cats)), count[:, :n], since[:, :n], cycle[:, :n], due[:, :n])


def categories(ctx: FeatureContext) -> dict[str, np.ndarray]:
    state = category_state(ctx)
    if state is None:
        return {}
    lines = category_lines(ctx)
    # distinct categories before T: count each (customer, category)'s first purchase
    first = lines.sort_values("ts", kind="stable").drop_duplicates(["code", "category"])
    tl_first = Timeline.build(first["code"].to_numpy(), first["ts"].to_numpy(), len(ctx.index))
    tl_all = Timeline.build(lines["code"].to_numpy(), lines["ts"].to_numpy(), len(ctx.index))
    distinct = tl_first.pos(ctx.q_codes, ctx.q_t) - tl_first.start(ctx.q_codes)
    total = tl_all.pos(ctx.q_codes, ctx.q_t) - tl_all.start(ctx.q_codes)
    top = state.count.max(axis=1) if state.categories else np.zeros(ctx.n)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, top / total, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            bought = np.where(state.count > 0, state.due_ratio, np.nan)
            max_due = np.nanmax(bought, axis=1) if state.categories else np.full(ctx.n, np.nan)
    due = (state.count > 0) & (state.due_ratio >= ctx.config.category_due_ratio)
    out = {
        "categories_bought_count": distinct.astype(np.float64),
        "top_category_share": share,
        "categories_due_count": due.sum(axis=1).astype(np.float64),
        "max_category_due_ratio": max_due,
    }
    for j, c in enumerate(state.categories):
        out[f"due_ratio_{safe_name(c)}"] = np.where(state.count[:, j] > 0, state.due_ratio[:, j], np.nan)
    return out
