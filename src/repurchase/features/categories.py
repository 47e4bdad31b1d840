"""Categories (needs ``order_items`` with a category, or ``products`` mapping sku -> category):
how many categories a customer buys, how concentrated, and which are due by their cycle."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pandas as pd

from repurchase._arrow import index_in
from repurchase.features._context import FeatureContext
from repurchase.features._timeline import DAY_S, Timeline, epoch_seconds
from repurchase.features.catalog import safe_name


@dataclass
class CategoryColumn:
    """One top category, per spine row: purchases before T, days since the last, cycle, due ratio."""

    category: str
    count: np.ndarray
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
            paid = ctx.tables.paid_orders(["order_id", "customer_id", "order_ts"])
            idx = index_in(items["order_id"], paid["order_id"])
            ok = (idx >= 0) & cat.notna().to_numpy()
            cat_codes, cat_names = pd.factorize(cat[ok], sort=True)
            # one row per (order, category), deduplicated on an integer key
            pair = idx[ok].astype(np.int64) * max(len(cat_names), 1) + cat_codes
            keep = ~pd.Series(pair).duplicated().to_numpy()
            rows = idx[ok][keep]
            result = pd.DataFrame({
                "category": pd.Categorical.from_codes(cat_codes[keep], categories=cat_names),
                "code": ctx.index.codes(paid["customer_id"].iloc[rows]),
                "ts": epoch_seconds(paid["order_ts"].iloc[rows]),
            })
    ctx._cache[key] = result
    return result


def category_cycles(ctx: FeatureContext) -> dict[str, float]:
    """Catalogue cycle per category: the median ``products.cycle_days`` of its skus."""
    p = ctx.tables.products
    if p is None or "cycle_days" not in p.columns or "category" not in p.columns:
        return {}
    return p.dropna(subset=["cycle_days", "category"]).groupby("category")["cycle_days"].median().to_dict()


def top_categories(ctx: FeatureContext) -> list[str]:
    """``features.categories`` when pinned, else the most frequent before the latest as-of date."""
    if ctx.config.categories is not None:
        return list(ctx.config.categories)
    lines = category_lines(ctx)
    counts = lines.loc[lines["ts"] < ctx.t_max, "category"].value_counts()
    counts = counts[counts > 0]
    return sorted(map(str, counts.index), key=lambda c: (-counts[c], c))[: ctx.config.top_categories]


def category_columns(ctx: FeatureContext) -> Iterator[CategoryColumn]:
    """Each top category's state per spine row, one category at a time (memory stays O(rows))."""
    lines = category_lines(ctx)
    cats = top_categories(ctx)
    k = max(len(cats), 1)
    cat_idx = pd.Index(cats, dtype=object).get_indexer(lines["category"].astype(object)) if cats else np.full(len(lines), -1)
    top = cat_idx >= 0
    tl = Timeline.build(lines["code"].to_numpy()[top] * k + cat_idx[top], lines["ts"].to_numpy()[top], ctx.index.n_codes * k)
    catalogue = category_cycles(ctx)
    for j, c in enumerate(cats):
        q = ctx.q_codes * k + j
        pos, start = tl.pos(q, ctx.q_t), tl.start(q)
        has = pos > start
        n = (pos - start).astype(np.float64)
        last = tl.gather(tl.ts, pos - 1, has)
        since = (ctx.q_t - last) / DAY_S
        with np.errstate(invalid="ignore", divide="ignore"):
            own = np.where(n >= 2, (last - tl.gather(tl.ts, start, has)) / DAY_S / (n - 1), np.nan)
        fallback = np.full(ctx.n, catalogue.get(c, np.nan))
        if not np.isfinite(catalogue.get(c, np.nan)):
            for t in np.unique(ctx.q_t):  # the population's typical own cycle at the same T
                rows = ctx.q_t == t
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    fallback[rows] = np.nanmedian(own[rows])
        cycle = np.where(np.isfinite(own), own, fallback)
        with np.errstate(invalid="ignore", divide="ignore"):
            due = np.where(cycle > 0, since / cycle, np.nan)
        yield CategoryColumn(c, n, since, cycle, due)


def categories(ctx: FeatureContext) -> dict[str, np.ndarray]:
    lines = category_lines(ctx)
    if lines is None:
        return {}
    # distinct categories before T: count each (customer, category)'s first purchase
    first = lines.sort_values("ts", kind="stable").drop_duplicates(["code", "category"])
    tl_first = Timeline.build(first["code"].to_numpy(), first["ts"].to_numpy(), ctx.index.n_codes)
    tl_all = Timeline.build(lines["code"].to_numpy(), lines["ts"].to_numpy(), ctx.index.n_codes)
    distinct = tl_first.pos(ctx.q_codes, ctx.q_t) - tl_first.start(ctx.q_codes)
    total = tl_all.pos(ctx.q_codes, ctx.q_t) - tl_all.start(ctx.q_codes)
    top = np.zeros(ctx.n)
    due_count = np.zeros(ctx.n)
    max_due = np.full(ctx.n, np.nan)
    out: dict[str, np.ndarray] = {}
    for col in category_columns(ctx):
        bought_due = np.where(col.count > 0, col.due_ratio, np.nan)
        top = np.maximum(top, col.count)
        due_count += np.nan_to_num(bought_due) >= ctx.config.category_due_ratio
        max_due = np.fmax(max_due, bought_due)
        out[f"due_ratio_{safe_name(col.category)}"] = ctx.col(bought_due)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, top / total, np.nan)
    ctx._cache.pop(("category_lines",), None)  # 1 row per (order, category): large, done with
    return {
        "categories_bought_count": distinct.astype(np.float64),
        "top_category_share": share,
        "categories_due_count": due_count,
        "max_category_due_ratio": max_due,
        **out,
    }
