"""What the catalogue (``products``) says about a customer's categories: each category's cycle,
the upgrade of a sku they own, and the categories related to one they bought."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from repurchase._arrow import index_in
from repurchase.features.categories import category_cycles
from repurchase.schema import Tables


def fill_cycles(own: np.ndarray, cats: list[str], tables: Tables) -> np.ndarray:
    """Own cycle, else the catalogue's (median ``cycle_days`` of the category), else the population's."""
    cycles = category_cycles(tables.products)
    catalogue = np.array([cycles.get(c, np.nan) for c in cats], dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a category nobody bought twice: all-NaN column
        population = np.nanmedian(own, axis=0) if len(own) else np.full(len(cats), np.nan)
    fallback = np.where(np.isfinite(catalogue), catalogue, population)
    return np.where(np.isfinite(own), own, fallback[None, :])


def catalogue_links(tables: Tables, line_product: np.ndarray, q_line: np.ndarray, n: int, cats: list[str],
                    bought: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per (customer, category), two ``(n, K)`` bool arrays: an upgrade sku not bought yet, and a
    category related to one bought.

    ``line_product`` is the product row of each order line (-1: not in the catalogue), ``q_line``
    the position of its customer among the ``n`` listed ones (-1: not listed), ``bought`` the
    ``(n, K)`` categories each listed customer bought.
    """
    K = len(cats)
    upgrade = np.zeros((n, K), bool)
    related = np.zeros((n, K), bool)
    p = tables.products
    if p is None or "category" not in p.columns or not len(p):
        return upgrade, related
    cat_of_product = pd.Index(cats).get_indexer(p["category"].astype(object))
    if "upgrade_sku" in p.columns:
        up = index_in(p["upgrade_sku"], p["sku"])  # product row of each product's upgrade
        sel = (q_line >= 0) & (line_product >= 0)
        q, prod = q_line[sel], line_product[sel]
        n_p = len(p)
        owned = np.unique(q * n_p + prod)
        cand_up = up[prod]
        has = cand_up >= 0
        cand = np.unique(q[has] * n_p + cand_up[has])
        cand = cand[~np.isin(cand, owned)]
        cq, cprod = cand // n_p, cand % n_p
        c = cat_of_product[cprod]
        upgrade[cq[c >= 0], c[c >= 0]] = True
    if "related_categories" in p.columns:
        related = _related(p, cats, bought)
    return upgrade, related


def _related(p: pd.DataFrame, cats: list[str], bought: np.ndarray) -> np.ndarray:
    """Categories linked by ``products.related_categories`` ("a|b") to one the customer bought."""
    K = len(cats)
    link = np.zeros((K, K), bool)
    for a, rel in zip(p["category"], p["related_categories"]):
        if pd.isna(a) or pd.isna(rel) or a not in cats:
            continue
        for b in str(rel).split("|"):
            b = b.strip()
            if b in cats and b != a:
                link[cats.index(a), cats.index(b)] = True
    if link.any():
        return (bought.astype(np.int64) @ link.astype(np.int64)) > 0
    return np.zeros(bought.shape, bool)
