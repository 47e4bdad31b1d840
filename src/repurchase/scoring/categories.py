"""Which categories a customer is due for next, each with its probability.

Candidates come from four sources: the same category again once its cycle has run (the customer's
own cycle, else ``products.cycle_days``, else the population's typical cycle), an upgrade
(``products.upgrade_sku`` of a sku they bought), a related category (``products.related_categories``)
and transitions learned from consecutive orders in the data. A bought category that is not yet due
is never proposed: the customer has not used it up (the presale lesson of domain.md).

P(category c within the horizon) = P(purchase within the horizon) x P(c in the next order), where
P(c in the next order) mixes the customer's own category shares with the learned transitions from
their last order's categories, weighted by how many orders the customer has.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from repurchase._arrow import index_in
from repurchase.features._timeline import DAY_S, epoch_seconds
from repurchase.schema import Tables

#: categories are tracked as bits of one integer per order
MAX_CATEGORIES = 62
#: pseudo-orders given to the population's transitions when mixing with a customer's own shares
PRIOR_ORDERS = 3.0
KINDS = np.array(["due", "upgrade", "related", "next"], dtype=object)


def _lines(tables: Tables, t: int) -> pd.DataFrame | None:
    """(customer_id, order position, ts, sku, category) for paid order lines strictly before ``t``."""
    items = tables.order_items
    if items is None:
        return None
    cat = items["category"] if "category" in items.columns else None
    p = tables.products
    if p is not None and "category" in p.columns:
        mapped = items["sku"].map(p.drop_duplicates("sku").set_index("sku")["category"])
        cat = mapped if cat is None else cat.fillna(mapped)
    if cat is None:
        return None
    paid = tables.paid_orders(["order_id", "customer_id", "order_ts"]).reset_index(drop=True)
    ts = epoch_seconds(paid["order_ts"])
    idx = index_in(items["order_id"], paid["order_id"])
    ok = (idx >= 0) & cat.notna().to_numpy()
    ok[ok] = ts[idx[ok]] < t
    rows = idx[ok]
    return pd.DataFrame({"customer_id": paid["customer_id"].to_numpy()[rows], "order": rows, "ts": ts[rows],
                         "sku": items["sku"].to_numpy()[ok], "category": cat.to_numpy()[ok]})


def due_categories(tables: Tables, customer_ids: pd.Series, as_of: pd.Timestamp, p_buy: np.ndarray,
                   *, due_ratio: float = 0.8, k: int = 3) -> pd.DataFrame:
    """Up to ``k`` categories per customer with P(buying it within the horizon).

    Returns a frame aligned with ``customer_ids``: ``top_categories`` ("rice 0.41 (due) | course
    0.12 (upgrade)", empty when none), ``top_category_1`` .. ``top_category_k`` (names or None).
    """
    n = len(customer_ids)
    out = pd.DataFrame({"top_categories": [""] * n, **{f"top_category_{i + 1}": [None] * n for i in range(k)}})
    t = int(epoch_seconds(pd.Series([as_of]))[0])
    lines = _lines(tables, t)
    if lines is None or lines.empty:
        return out
    counts = lines["category"].value_counts()
    cats = sorted(counts.index[:MAX_CATEGORIES].map(str), key=lambda c: (-counts[c], c))
    K = len(cats)
    lines = lines.assign(cat=pd.Index(cats).get_indexer(lines["category"].astype(str)))
    lines = lines.loc[lines["cat"] >= 0].drop_duplicates(["order", "cat"])

    # one row per order: its customer, time and category bits
    lines = lines.sort_values("order", kind="stable")
    cust = pd.factorize(lines["customer_id"])[0]
    o = lines["order"].to_numpy()
    starts = np.flatnonzero(np.r_[True, o[1:] != o[:-1]])
    bit = np.left_shift(np.uint64(1), lines["cat"].to_numpy().astype(np.uint64))
    orders = pd.DataFrame({"cust": cust[starts], "customer_id": lines["customer_id"].to_numpy()[starts],
                           "ts": lines["ts"].to_numpy()[starts], "bits": np.bitwise_or.reduceat(bit, starts)})
    orders = orders.sort_values(["cust", "ts"], kind="stable")
    same = orders["cust"].to_numpy()[1:] == orders["cust"].to_numpy()[:-1]
    bits = orders["bits"].to_numpy(np.uint64)
    trans = _transitions(bits[:-1][same], bits[1:][same], K)

    # per listed customer: orders with each category, first and last time
    pos = index_in(lines["customer_id"], customer_ids.reset_index(drop=True))
    keep = pos >= 0
    q, c, ts = pos[keep], lines["cat"].to_numpy()[keep], lines["ts"].to_numpy()[keep]
    cnt = np.zeros((n, K))
    np.add.at(cnt, (q, c), 1)
    last = np.full((n, K), -np.inf)
    np.maximum.at(last, (q, c), ts)
    first = np.full((n, K), np.inf)
    np.minimum.at(first, (q, c), ts)
    with np.errstate(invalid="ignore", divide="ignore"):
        own_cycle = np.where(cnt >= 2, (last - first) / DAY_S / (cnt - 1), np.nan)
        since = np.where(cnt > 0, (t - last) / DAY_S, np.nan)
    cycle = _fill_cycles(own_cycle, cats, tables)
    with np.errstate(invalid="ignore", divide="ignore"):
        due = np.where(cycle > 0, since / cycle, np.inf)

    last_orders = orders.drop_duplicates("customer_id", keep="last")
    n_orders = orders.groupby("customer_id").size()  # orders with a known category
    lo_pos = index_in(last_orders["customer_id"], customer_ids.reset_index(drop=True))
    last_bits = np.zeros(n, dtype=np.uint64)
    last_bits[lo_pos[lo_pos >= 0]] = last_orders["bits"].to_numpy(np.uint64)[lo_pos >= 0]
    norders = n_orders.reindex(customer_ids.to_numpy()).fillna(0).to_numpy()
    last_set = ((last_bits[:, None] >> np.arange(K, dtype=np.uint64)) & np.uint64(1)).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        from_last = np.where(last_set.sum(1, keepdims=True) > 0, last_set @ trans / last_set.sum(1, keepdims=True), 0)
        own = np.where(norders[:, None] > 0, cnt / norders[:, None], 0)
    w = norders / (norders + PRIOR_ORDERS)
    p_next = np.clip(w[:, None] * own + (1 - w[:, None]) * from_last, 0, 1)

    upgrade, related = _catalogue_links(tables, lines, customer_ids, cats)
    kind = np.where(cnt > 0, 0, 3)
    kind = np.where(related, 2, kind)
    kind = np.where(upgrade, 1, kind)
    allowed = ~((cnt > 0) & ~upgrade & (due < due_ratio))  # bought before: must be due, unless an upgrade
    p_cat = np.where(allowed, np.asarray(p_buy, float)[:, None] * p_next, 0.0)

    order = np.argsort(-p_cat, axis=1, kind="stable")[:, :k]
    top_p = np.take_along_axis(p_cat, order, axis=1)
    top_kind = np.take_along_axis(kind, order, axis=1)
    names = np.array(cats, dtype=object)
    text = [""] * n
    for i in range(min(k, K)):
        has = top_p[:, i] >= 0.005
        col = np.where(has, names[order[:, i]], None)
        out[f"top_category_{i + 1}"] = col
        part = np.where(has, [f"{nm} {p:.2f} ({KINDS[kd]})" for nm, p, kd in zip(names[order[:, i]], top_p[:, i], top_kind[:, i])], "")
        text = [a + (" | " if a and b else "") + b for a, b in zip(text, part)]
    out["top_categories"] = text
    return out


def _transitions(prev: np.ndarray, nxt: np.ndarray, K: int) -> np.ndarray:
    """P(category b in the next order | category a in this one), from consecutive order pairs."""
    if len(prev) == 0:
        return np.zeros((K, K))
    combos = pd.DataFrame({"p": prev, "n": nxt}).value_counts().reset_index(name="w")
    shifts = np.arange(K, dtype=np.uint64)
    P = ((combos["p"].to_numpy(np.uint64)[:, None] >> shifts) & np.uint64(1)).astype(float)
    N = ((combos["n"].to_numpy(np.uint64)[:, None] >> shifts) & np.uint64(1)).astype(float)
    w = combos["w"].to_numpy(float)
    joint = (P * w[:, None]).T @ N
    base = P.T @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(base[:, None] > 0, joint / base[:, None], 0.0)


def _fill_cycles(own: np.ndarray, cats: list[str], tables: Tables) -> np.ndarray:
    """Own cycle, else the catalogue's (median ``cycle_days`` of the category), else the population's."""
    catalogue = np.full(len(cats), np.nan)
    p = tables.products
    if p is not None and {"cycle_days", "category"} <= set(p.columns):
        med = p.dropna(subset=["cycle_days", "category"]).groupby("category")["cycle_days"].median()
        catalogue = med.reindex(cats).to_numpy(float)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            population = np.nanmedian(own, axis=0) if len(own) else np.full(len(cats), np.nan)
    fallback = np.where(np.isfinite(catalogue), catalogue, population)
    return np.where(np.isfinite(own), own, fallback[None, :])


def _catalogue_links(tables: Tables, lines: pd.DataFrame, customer_ids: pd.Series, cats: list[str]):
    """Per (customer, category): an upgrade the customer has not bought yet / a related category."""
    n, K = len(customer_ids), len(cats)
    upgrade = np.zeros((n, K), bool)
    related = np.zeros((n, K), bool)
    p = tables.products
    if p is None or "category" not in p.columns:
        return upgrade, related
    p = p.drop_duplicates("sku").set_index("sku")
    cat_of = p["category"]
    ids = customer_ids.reset_index(drop=True)
    pos = index_in(lines["customer_id"], ids)
    bought = pd.DataFrame({"q": pos, "sku": lines["sku"].to_numpy(), "cat": lines["cat"].to_numpy()}).loc[pos >= 0]
    if "upgrade_sku" in p.columns:
        up = bought["sku"].map(p["upgrade_sku"])
        has = up.notna().to_numpy()
        cand = pd.DataFrame({"q": bought["q"].to_numpy()[has], "sku": up.to_numpy()[has]}).drop_duplicates()
        owned = set(zip(bought["q"], bought["sku"]))
        cand = cand.loc[[(a, b) not in owned for a, b in zip(cand["q"], cand["sku"])]]
        c = pd.Index(cats).get_indexer(cand["sku"].map(cat_of).astype(str))
        upgrade[cand["q"].to_numpy()[c >= 0], c[c >= 0]] = True
    if "related_categories" in p.columns:
        rel = p.dropna(subset=["related_categories"]).groupby("category")["related_categories"] \
            .agg(lambda s: sorted({x.strip() for v in s for x in str(v).split("|") if x.strip()}))
        pairs = [(cats.index(a), cats.index(b)) for a, bs in rel.items() if a in cats for b in bs if b in cats and b != a]
        if pairs:
            link = np.zeros((K, K), bool)
            for a, b in pairs:
                link[a, b] = True
            has_cat = np.zeros((n, K), bool)
            has_cat[bought["q"].to_numpy(), bought["cat"].to_numpy()] = True
            related = (has_cat.astype(np.int64) @ link.astype(np.int64)) > 0
    return upgrade, related
