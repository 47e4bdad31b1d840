"""Which categories a customer is due for next, each with its probability.

Candidates come from four sources: the same category again once its cycle has run (the customer's
own cycle, else ``products.cycle_days``, else the population's typical cycle), an upgrade
(``products.upgrade_sku`` of a sku they bought and have not upgraded to yet), a related category
(``products.related_categories``) and transitions learned from consecutive orders in the data. A
bought category that is not yet due is never proposed: the customer has not used it up (the
presale lesson of domain.md).

P(category c within the horizon) = P(purchase within the horizon) x P(c in the next order), where
P(c in the next order) mixes the customer's own category shares with the learned transitions from
their last order's categories, weighted by how many orders the customer has.

Everything runs on integer codes (Arrow dictionary encoding): at 1M customers and 18M order lines
Python strings would cost gigabytes.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from repurchase._arrow import dictionary_codes, index_in
from repurchase._timeline import DAY_S, epoch_seconds, wall_seconds
from repurchase.features.categories import category_codes, category_cycles
from repurchase.schema import Tables

#: categories are tracked as bits of one integer per order
MAX_CATEGORIES = 62
#: pseudo-orders given to the population's transitions when mixing with a customer's own shares
PRIOR_ORDERS = 3.0
KINDS = np.array(["due", "upgrade", "related", "next"], dtype=object)
#: probabilities below this are not shown
MIN_SHOWN = 0.005


@dataclass
class _Lines:
    """Paid order lines strictly before T, one per (order, top category), sorted by order."""

    order: np.ndarray  # row of the paid-orders frame
    cat: np.ndarray  # index into cats
    product: np.ndarray  # row of tables.products (-1: not in the catalogue)
    cats: list[str]


def _lines(tables: Tables, paid: pd.DataFrame, ts: np.ndarray, t: int) -> _Lines | None:
    items = tables.order_items
    if items is None:
        return None
    p = tables.products
    cat_code, names = category_codes(items, p)  # the line's own category, else its sku's
    if cat_code is None:
        return None
    product = index_in(items["sku"], p["sku"]) if p is not None and len(p) else np.full(len(items), -1)
    order = index_in(items["order_id"], paid["order_id"])
    ok = (order >= 0) & (cat_code >= 0)
    ok[ok] = ts[order[ok]] < t
    if not ok.any():
        return None
    counts = np.bincount(cat_code[ok], minlength=len(names))
    ranked = sorted((i for i in range(len(names)) if counts[i] > 0), key=lambda i: (-counts[i], str(names[i])))[:MAX_CATEGORIES]
    remap = np.full(len(names), -1)
    remap[ranked] = np.arange(len(ranked))
    c = remap[cat_code[ok]]
    keep = c >= 0
    o, c, prod = order[ok][keep], c[keep], product[ok][keep]
    # one line per (order, category), sorted by order
    K = len(ranked)
    key, first = np.unique(o * K + c, return_index=True)
    return _Lines(key // K, key % K, prod[first], [str(names[i]) for i in ranked])


def due_categories(tables: Tables, customer_ids: pd.Series, as_of: pd.Timestamp, p_buy: np.ndarray,
                   *, due_ratio: float = 0.8, k: int = 3) -> pd.DataFrame:
    """Up to ``k`` categories per customer with P(buying it within the horizon).

    Returns a frame aligned with ``customer_ids``: ``top_categories`` ("rice 0.41 (due) | course
    0.12 (upgrade)", empty when none), ``top_category_1`` .. ``top_category_k`` (names or None).
    """
    n = len(customer_ids)
    ids = customer_ids.reset_index(drop=True)
    out = pd.DataFrame({"top_categories": [""] * n, **{f"top_category_{i + 1}": [None] * n for i in range(k)}})
    t = int(epoch_seconds(pd.Series([as_of]))[0])
    paid = tables.paid_orders(["order_id", "customer_id", "order_ts"]).reset_index(drop=True)
    ts_paid = epoch_seconds(paid["order_ts"])
    lines = _lines(tables, paid, ts_paid, t)
    if lines is None:
        return out
    K, cats = len(lines.cats), lines.cats
    cust_paid, _ = dictionary_codes(paid["customer_id"])
    q_paid = index_in(paid["customer_id"], ids)  # position among the listed customers, -1 if not listed

    # one row per order: customer, time, category bits; sorted by (customer, time)
    starts = np.flatnonzero(np.r_[True, lines.order[1:] != lines.order[:-1]])
    bits = np.bitwise_or.reduceat(np.left_shift(np.uint64(1), lines.cat.astype(np.uint64)), starts)
    o_row = lines.order[starts]
    o_cust, o_ts = cust_paid[o_row], ts_paid[o_row]
    by = np.lexsort((o_ts, o_cust))
    o_row, o_cust, bits = o_row[by], o_cust[by], bits[by]
    same = o_cust[1:] == o_cust[:-1]
    trans = _transitions(bits[:-1][same], bits[1:][same], K)

    # per listed customer and category: orders, first and last time
    q_line = q_paid[lines.order]
    sel = q_line >= 0
    key = q_line[sel] * K + lines.cat[sel]
    # cycles and "days since" on the local wall clock, as the features measure them (whole days
    # across a daylight saving change)
    ts_line = wall_seconds(ts_paid, tables.timezone)[lines.order[sel]]
    t_wall = int(wall_seconds(np.array([t]), tables.timezone)[0])
    cnt = np.bincount(key, minlength=n * K).reshape(n, K).astype(float)
    srt = np.argsort(key, kind="stable")
    key_s, ts_s = key[srt], ts_line[srt]
    st = np.flatnonzero(np.r_[True, key_s[1:] != key_s[:-1]]) if len(key_s) else np.zeros(0, np.int64)
    last = np.full(n * K, np.nan)
    first = np.full(n * K, np.nan)
    if len(st):
        last[key_s[st]] = np.maximum.reduceat(ts_s, st)
        first[key_s[st]] = np.minimum.reduceat(ts_s, st)
    last, first = last.reshape(n, K), first.reshape(n, K)
    with np.errstate(invalid="ignore", divide="ignore"):
        own_cycle = np.where(cnt >= 2, (last - first) / DAY_S / (cnt - 1), np.nan)
        since = np.where(cnt > 0, (t_wall - last) / DAY_S, np.nan)
        due = np.where(cnt > 0, since / _fill_cycles(own_cycle, cats, tables), np.inf)
    due = np.where(np.isnan(due), np.inf, due)

    # the next order's categories: own shares mixed with transitions from the last order
    q_order = q_paid[o_row]
    n_orders = np.bincount(q_order[q_order >= 0], minlength=n).astype(float)
    is_last = np.r_[~same, True]
    lq = q_order[is_last]
    last_bits = np.zeros(n, dtype=np.uint64)
    last_bits[lq[lq >= 0]] = bits[is_last][lq >= 0]
    last_set = ((last_bits[:, None] >> np.arange(K, dtype=np.uint64)) & np.uint64(1)).astype(float)
    n_last = last_set.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        from_last = np.where(n_last > 0, (last_set @ trans) / n_last, 0.0)
        own = np.where(n_orders[:, None] > 0, cnt / n_orders[:, None], 0.0)
    w = n_orders / (n_orders + PRIOR_ORDERS)
    p_next = np.clip(w[:, None] * own + (1 - w[:, None]) * from_last, 0, 1)

    upgrade, related = _catalogue_links(tables, lines, q_line, n, cats, cnt > 0)
    kind = np.where(cnt > 0, 0, 3)
    kind = np.where(related & (cnt == 0), 2, kind)
    kind = np.where(upgrade, 1, kind)
    allowed = ~((cnt > 0) & ~upgrade & (due < due_ratio))  # bought before: must be due, unless an upgrade
    p_cat = np.where(allowed, np.asarray(p_buy, float)[:, None] * p_next, 0.0)

    top = np.argsort(-p_cat, axis=1, kind="stable")[:, :k]
    top_p = np.take_along_axis(p_cat, top, axis=1)
    top_kind = np.take_along_axis(kind, top, axis=1)
    names = np.array(cats, dtype=object)
    text = np.full(n, "", dtype=object)
    for i in range(top.shape[1]):
        has = top_p[:, i] >= MIN_SHOWN
        out[f"top_category_{i + 1}"] = np.where(has, names[top[:, i]], None)
        part = np.full(n, "", dtype=object)
        # one string per (category, kind, rounded probability) rather than per row
        labels = pd.DataFrame({"c": top[:, i], "k": top_kind[:, i], "p": np.round(top_p[:, i], 2)})[has]
        if len(labels):
            uniq, inv = np.unique(labels.to_numpy(float), axis=0, return_inverse=True)
            strings = np.array([f"{names[int(c)]} {p:.2f} ({KINDS[int(kd)]})" for c, kd, p in uniq], dtype=object)
            part[has] = strings[inv.ravel()]
        sep = np.where((text != "") & (part != ""), " | ", "")
        text = text + sep + part
    out["top_categories"] = text
    return out


def _transitions(prev: np.ndarray, nxt: np.ndarray, K: int) -> np.ndarray:
    """P(category b in the next order | category a in this one), from consecutive order pairs."""
    if len(prev) == 0:
        return np.zeros((K, K))
    if K <= 31:  # both bit sets fit one 62-bit key
        keys, w = np.unique((prev << np.uint64(31)) | nxt, return_counts=True)
        p_bits, n_bits = keys >> np.uint64(31), keys & np.uint64((1 << 31) - 1)
    else:
        combos = pd.DataFrame({"p": prev, "n": nxt}).value_counts().reset_index(name="w")
        p_bits, n_bits, w = combos["p"].to_numpy(np.uint64), combos["n"].to_numpy(np.uint64), combos["w"].to_numpy()
    shifts = np.arange(K, dtype=np.uint64)
    P = ((p_bits[:, None] >> shifts) & np.uint64(1)).astype(float)
    N = ((n_bits[:, None] >> shifts) & np.uint64(1)).astype(float)
    w = np.asarray(w, float)
    joint = (P * w[:, None]).T @ N
    base = P.T @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(base[:, None] > 0, joint / base[:, None], 0.0)


def _fill_cycles(own: np.ndarray, cats: list[str], tables: Tables) -> np.ndarray:
    """Own cycle, else the catalogue's (median ``cycle_days`` of the category), else the population's."""
    cycles = category_cycles(tables.products)
    catalogue = np.array([cycles.get(c, np.nan) for c in cats], dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a category nobody bought twice: all-NaN column
        population = np.nanmedian(own, axis=0) if len(own) else np.full(len(cats), np.nan)
    fallback = np.where(np.isfinite(catalogue), catalogue, population)
    return np.where(np.isfinite(own), own, fallback[None, :])


def _catalogue_links(tables: Tables, lines: _Lines, q_line: np.ndarray, n: int, cats: list[str], bought: np.ndarray):
    """Per (customer, category): an upgrade sku not bought yet / a category related to one bought."""
    K = len(cats)
    upgrade = np.zeros((n, K), bool)
    related = np.zeros((n, K), bool)
    p = tables.products
    if p is None or "category" not in p.columns or not len(p):
        return upgrade, related
    cat_of_product = pd.Index(cats).get_indexer(p["category"].astype(object))
    if "upgrade_sku" in p.columns:
        up = index_in(p["upgrade_sku"], p["sku"])  # product row of each product's upgrade
        sel = (q_line >= 0) & (lines.product >= 0)
        q, prod = q_line[sel], lines.product[sel]
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
        link = np.zeros((K, K), bool)
        for a, rel in zip(p["category"], p["related_categories"]):
            if pd.isna(a) or pd.isna(rel) or a not in cats:
                continue
            for b in str(rel).split("|"):
                b = b.strip()
                if b in cats and b != a:
                    link[cats.index(a), cats.index(b)] = True
        if link.any():
            related = (bought.astype(np.int64) @ link.astype(np.int64)) > 0
    return upgrade, related
