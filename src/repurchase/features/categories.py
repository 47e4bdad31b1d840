"""Categories (needs ``order_items`` with a category, or ``products`` mapping sku -> category):
how many categories a customer buys, how concentrated, and which are due by their cycle.

The feature columns are queries (:mod:`repurchase.engine.categories`); the line and catalogue
helpers here serve the scoring layer (need list, category model), which reads windows of lines
by date rather than one as-of context.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from repurchase._arrow import dictionary_codes, index_in
from repurchase._timeline import epoch_seconds
from repurchase.engine.categories import category_columns, category_source, top_categories as engine_top_categories
from repurchase.features._context import FeatureContext

__all__ = ["categories", "category_codes", "category_cycles", "category_source", "paid_category_lines",
           "top_categories"]


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
    return engine_top_categories(ctx.session, ctx.config.top_categories, ctx.t_max)


def categories(ctx: FeatureContext) -> dict[str, np.ndarray]:
    if not category_source(ctx.tables):
        return {}
    return category_columns(ctx.session, top_categories(ctx), ctx.config.category_due_ratio)
