"""Categories (needs ``order_items`` with a category, or ``products`` mapping sku -> category):
how many categories a customer buys, how concentrated, and which are due by their cycle."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pandas as pd

from repurchase._arrow import dictionary_codes, index_in
from repurchase.schema import paid_mask
from repurchase.features._context import FeatureContext
from repurchase._timeline import DAY_S, Timeline, epoch_seconds
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
        code, names = category_codes(items, ctx.tables.products)
        if code is not None:
            mask = paid_mask(ctx.tables.orders)
            paid = ctx.tables.orders.loc[mask, ["order_id", "order_ts"]]
            paid_codes = ctx.index.order_codes[mask]  # customer codes without touching the id strings
            idx = index_in(items["order_id"], paid["order_id"])
            ok = (idx >= 0) & (code >= 0)
            # sorted category names, as pd.factorize(sort=True) gave them
            order = np.argsort(names, kind="stable")
            rank = np.empty(len(names), dtype=np.int64)
            rank[order] = np.arange(len(names))
            cat_codes = rank[code[ok]]
            n_cat = max(len(names), 1)
            # one row per (order, category), deduplicated on an integer key
            pair = idx[ok].astype(np.int64) * n_cat + cat_codes
            keep = ~pd.Series(pair).duplicated().to_numpy()
            rows = idx[ok][keep]
            result = pd.DataFrame({
                "category": pd.Categorical.from_codes(cat_codes[keep], categories=names[order]),
                "code": np.where(paid_codes[rows] < 0, len(ctx.index), paid_codes[rows]),
                "ts": epoch_seconds(paid["order_ts"])[rows],
            })
    ctx._cache[key] = result
    return result


def paid_category_lines(tables) -> tuple[pd.DataFrame, np.ndarray] | None:
    """One row per paid order line with a category (``customer_id``, epoch second ``ts``, row
    ``order`` of the paid orders, category code ``cat``) and the category names; None without a
    category source. For the need list's measures and its category model, which read windows of
    lines by date rather than one as-of context."""
    items = tables.order_items
    if items is None:
        return None
    code, names = category_codes(items, tables.products)
    if code is None:
        return None
    paid = tables.paid_orders(["order_id", "customer_id", "order_ts"]).reset_index(drop=True)
    pos = index_in(items["order_id"], paid["order_id"])
    ok = (pos >= 0) & (code >= 0)
    lines = pd.DataFrame({"customer_id": paid["customer_id"].to_numpy()[pos[ok]],
                          "ts": epoch_seconds(paid["order_ts"])[pos[ok]],
                          "order": pos[ok], "cat": code[ok]})
    return lines, names


def category_codes(items: pd.DataFrame, products: pd.DataFrame | None) -> tuple[np.ndarray | None, np.ndarray]:
    """Per order line, the code of its category (``order_items.category``, else the category of
    its sku in ``products``; -1 when neither) and the category names; (None, []) without a source.
    Arrow dictionary codes throughout: 18M lines as Python strings would cost gigabytes."""
    has_items = "category" in items.columns
    has_products = products is not None and "category" in products.columns
    if not has_items and not has_products:
        return None, np.array([], dtype=object)
    names: list = []
    code = np.full(len(items), -1, dtype=np.int64)
    if has_items:
        code, names = dictionary_codes(items["category"])
    if has_products:
        p = products.drop_duplicates("sku")
        p_code, p_names = dictionary_codes(p["category"])
        # the catalogue's names in the same code space as the lines' own
        seen = set(names)
        extra = [n for n in p_names if n not in seen]
        names = list(names) + extra
        unified = pd.Index(names, dtype=object)
        p_in_unified = unified.get_indexer(pd.Index(p_names, dtype=object)) if p_names else np.zeros(0, np.int64)
        pos = index_in(items["sku"], p["sku"])
        fill = (code < 0) & (pos >= 0)
        from_p = p_code[pos[fill]]
        code[fill] = np.where(from_p >= 0, p_in_unified[np.maximum(from_p, 0)], -1)
    return code, np.asarray(names, dtype=object)


def category_cycles(products: pd.DataFrame | None) -> dict[str, float]:
    """Catalogue cycle per category: the median ``products.cycle_days`` of its skus."""
    if products is None or "cycle_days" not in products.columns or "category" not in products.columns:
        return {}
    return products.dropna(subset=["cycle_days", "category"]).groupby("category")["cycle_days"].median().to_dict()


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
    catalogue = category_cycles(ctx.tables.products)
    wall = ctx.wall(tl.ts)  # days since and cycles in local calendar days (daylight saving)
    for j, c in enumerate(cats):
        q = ctx.q_codes * k + j
        pos, start = tl.pos(q, ctx.q_t), tl.start(q)
        has = pos > start
        n = (pos - start).astype(np.float64)
        last = tl.gather(wall, pos - 1, has)
        since = ctx.days_to_t(last, wall=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            own = np.where(n >= 2, (last - tl.gather(wall, start, has)) / DAY_S / (n - 1), np.nan)
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
    # each (customer, category)'s first purchase, on integer keys (18M lines at 1M customers)
    code, ts = lines["code"].to_numpy(), lines["ts"].to_numpy()
    key = code * max(len(lines["category"].cat.categories), 1) + lines["category"].cat.codes.to_numpy()
    order = np.lexsort((ts, key))
    firsts = order[np.r_[True, key[order][1:] != key[order][:-1]]] if len(order) else order
    tl_first = Timeline.build(code[firsts], ts[firsts], ctx.index.n_codes)
    del order, key
    tl_all = Timeline.build(code, ts, ctx.index.n_codes)
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
