"""Which categories a customer is due for next, each with its probability.

Candidates come from four sources: the same category again once its cycle has run (the customer's
own cycle, else ``products.cycle_days``, else the population's typical cycle), an upgrade
(``products.upgrade_sku`` of a sku they bought and have not upgraded to yet), a related category
(``products.related_categories``; both read in :mod:`repurchase.scoring.catalogue`) and transitions
learned from consecutive orders in the data.

P(category c within the horizon) = P(purchase within the horizon) x P(c | a purchase). By default
the second factor is learned per shop at every scoring date
(:mod:`repurchase.scoring.category_model`), so a category bought before but not yet due is shown
(``regular``) only where customers like this one do re-buy it that soon. With the rules (too few
buyers to learn from, or ``scoring.need.category_method: rules``) a bought category that is not yet
due is never proposed, the customer has not used it up (the presale lesson of domain.md), and
P(c | a purchase) is P(c in the next order): the customer's own category shares mixed with the
learned transitions from their last order's categories, weighted by how many orders they have.

Everything runs on integer codes (Arrow dictionary encoding, :mod:`repurchase.scoring.paid_lines`,
once per run): at 1M customers and 18M order lines Python strings would cost gigabytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from repurchase._timeline import DAY_S
from repurchase.schema import Tables
from repurchase.scoring.catalogue import catalogue_links, fill_cycles
from repurchase.scoring.paid_lines import PaidLines
from repurchase.spine import AsOf, AsOfContext

#: transitions between orders are tracked over this many categories (bits of one integer per order)
TRANSITION_CATEGORIES = 62
#: categories tracked per customer: at most this many, fewer for many customers (at most
#: MATRIX_CELLS customers x categories per array), never fewer than TRANSITION_CATEGORIES
MAX_CATEGORIES = 300
MATRIX_CELLS = 4_000_000
#: pseudo-orders given to the population's transitions when mixing with a customer's own shares
PRIOR_ORDERS = 3.0
#: "recent share": of the customer's last this many orders
RECENT_ORDERS = 5
KINDS = np.array(["due", "upgrade", "related", "next", "regular"], dtype=object)
#: probabilities below this are not shown
MIN_SHOWN = 0.005


@dataclass
class Pairs:
    """Per (listed customer, category) state as of T, each an ``(n, K)`` array (categories: the
    most bought before T, up to :data:`MAX_CATEGORIES`)."""

    cats: list[str]
    cnt: np.ndarray  # orders with the category
    since: np.ndarray  # wall-clock days since its last purchase (NaN: never bought)
    cycle: np.ndarray  # its cycle: own, else the catalogue's, else the population's (days)
    due: np.ndarray  # since / cycle (inf: never bought)
    own: np.ndarray  # share of the customer's orders with it
    from_last: np.ndarray  # P(it in the next order | the last order's categories), learned transitions
    in_last: np.ndarray  # in the customer's last order
    p_next: np.ndarray  # own shares mixed with the transitions
    upgrade: np.ndarray
    related: np.ndarray
    kind: np.ndarray  # index into KINDS
    recent: np.ndarray  # share of the customer's last RECENT_ORDERS orders with it
    n_orders: np.ndarray  # (n,) orders with a category
    popularity: np.ndarray  # (K,) share of all orders before T with the category


def pair_state(tables: Tables, customer_ids: pd.Series, as_of: AsOf | AsOfContext,
               paid: PaidLines | None = None) -> Pairs | None:
    """:class:`Pairs` for ``customer_ids`` from paid order lines strictly before ``as_of``; None
    when no line has a category. ``paid``: the tables' :class:`PaidLines`, when the caller has it
    (it is the expensive part, and the same at every date)."""
    paid = PaidLines.of(tables) if paid is None else paid
    if paid is None:
        return None
    return codes_state(tables, paid, paid.codes(customer_ids.reset_index(drop=True)), AsOfContext.of(as_of, tables.timezone))


def codes_state(tables: Tables, paid: PaidLines, codes: np.ndarray, ctx: AsOfContext) -> Pairs | None:
    """:func:`pair_state` of the customers with the customer ``codes`` of ``paid``."""
    n = len(codes)
    lines = paid.before(ctx.seconds, max(TRANSITION_CATEGORIES, min(MAX_CATEGORIES, MATRIX_CELLS // max(n, 1))))
    if lines is None:
        return None
    K, cats = len(lines.cats), lines.cats
    KT = min(K, TRANSITION_CATEGORIES)
    pos = paid.positions(codes)
    q_paid = np.where(paid.cust >= 0, pos[np.maximum(paid.cust, 0)], -1)  # position among the listed customers, -1 if not listed
    o_row, bits, same, line_from_end, n_orders_all = paid.sequence(lines, KT)
    trans = _transitions(bits[:-1][same], bits[1:][same], KT)
    popularity = np.bincount(lines.cat, minlength=K) / max(n_orders_all, 1)

    # per listed customer and category
    q_line = q_paid[lines.order]
    sel = q_line >= 0
    key = q_line[sel] * K + lines.cat[sel]
    # cycles and "days since" on the local wall clock, as the features measure them (whole days
    # across a daylight saving change)
    ts_line = paid.wall[lines.order[sel]]
    cnt, since, cycle, due = _recency(key, ts_line, ctx.wall_seconds, n, cats, tables)
    q_order = q_paid[o_row]
    n_orders = np.bincount(q_order[q_order >= 0], minlength=n).astype(float)
    last_set, from_last, own, recent, p_next = _next_shares(key, line_from_end[sel], n_orders, cnt, trans)

    upgrade, related = catalogue_links(tables, lines.product, q_line, n, cats, cnt > 0)
    kind = np.where(cnt > 0, 0, 3)
    kind = np.where(related & (cnt == 0), 2, kind)
    kind = np.where(upgrade, 1, kind)
    return Pairs(cats, cnt, since, cycle, due, own, from_last, last_set, p_next, upgrade, related, kind, recent,
                 n_orders, popularity)


def _recency(key: np.ndarray, ts_line: np.ndarray, t_wall: int, n: int, cats: list[str], tables: Tables):
    """Per (customer, category) ``key`` (customer x K + category) of each line with its wall-clock
    second: (orders with it, days since the last, cycle, due ratio), each ``(n, K)``."""
    K = len(cats)
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
        cycle = fill_cycles(own_cycle, cats, tables)
        due = np.where(cnt > 0, since / cycle, np.inf)
    due = np.where(np.isnan(due), np.inf, due)
    return cnt, since, cycle, due


def _next_shares(key: np.ndarray, line_from_end: np.ndarray, n_orders: np.ndarray, cnt: np.ndarray,
                 trans: np.ndarray):
    """The next order's categories: own shares mixed with the transitions from the last order.
    Returns (in the last order, from the last, own share, recent share, P(in the next order))."""
    n, K = cnt.shape
    KT = trans.shape[0]
    last_set = np.bincount(key[line_from_end == 0], minlength=n * K).reshape(n, K).astype(float)
    n_last = last_set[:, :KT].sum(axis=1, keepdims=True)
    from_last = np.zeros((n, K))
    with np.errstate(invalid="ignore", divide="ignore"):
        from_last[:, :KT] = np.where(n_last > 0, (last_set[:, :KT] @ trans) / n_last, 0.0)
        own = np.where(n_orders[:, None] > 0, cnt / n_orders[:, None], 0.0)
        # share of the last few orders: habits change, and a whole-history share is slow to see it
        recent = np.bincount(key[line_from_end < RECENT_ORDERS], minlength=n * K).reshape(n, K) / np.minimum(n_orders, RECENT_ORDERS)[:, None]
    recent = np.nan_to_num(recent)
    w = n_orders / (n_orders + PRIOR_ORDERS)
    p_next = np.clip(w[:, None] * own + (1 - w[:, None]) * from_last, 0, 1)
    return last_set, from_last, own, recent, p_next


def due_categories(tables: Tables, customer_ids: pd.Series, as_of: AsOf | AsOfContext, p_buy: np.ndarray,
                   *, due_ratio: float = 0.8, k: int = 3, horizon_days: int | None = None,
                   method: str = "learned") -> pd.DataFrame:
    """Up to ``k`` categories per customer with P(buying it within the horizon).

    ``method="learned"`` (with ``horizon_days``) ranks by P(category in the window | a purchase),
    learned from the customers who bought in the horizon before T
    (:func:`repurchase.scoring.category_model.fit_category_model`); when that cannot be learned, or
    with ``method="rules"``, a bought category must be due (days since >= ``due_ratio`` x cycle) or
    an upgrade, and the rest rank by P(in the next order).

    Returns a frame aligned with ``customer_ids``: ``top_categories`` ("rice 0.41 (due) | course
    0.12 (upgrade)", empty when none), ``top_category_1`` .. ``top_category_k`` (names or None).
    """
    ctx = AsOfContext.of(as_of, tables.timezone)
    n = len(customer_ids)
    out = pd.DataFrame({"top_categories": [""] * n, **{f"top_category_{i + 1}": [None] * n for i in range(k)}})
    paid = PaidLines.of(tables)  # once for T and every training window
    pairs = pair_state(tables, customer_ids, ctx, paid)
    if pairs is None:
        return out
    cond = None
    if method == "learned" and horizon_days:
        from repurchase.scoring.category_model import fit_category_model

        model = fit_category_model(tables, ctx, horizon_days, paid=paid)
        if model is not None:
            cond = model.predict_proba(pairs)
    kind = pairs.kind
    if cond is None:
        allowed = ~((pairs.cnt > 0) & ~pairs.upgrade & (pairs.due < due_ratio))  # bought: must be due, or an upgrade
        cond = np.where(allowed, pairs.p_next, 0.0)
    else:  # a bought category that is not due yet but likely again: "regular"
        kind = np.where((kind == 0) & (pairs.due < due_ratio), 4, kind)
    _write_top(out, np.asarray(p_buy, float)[:, None] * cond, kind, np.array(pairs.cats, dtype=object), k)
    return out


def _write_top(out: pd.DataFrame, p_cat: np.ndarray, kind: np.ndarray, names: np.ndarray, k: int) -> None:
    """Fill ``out``'s ``top_category_i`` and ``top_categories`` from the ``(n, K)`` P(category)."""
    n = len(out)
    top = np.argsort(-p_cat, axis=1, kind="stable")[:, :k]
    top_p = np.take_along_axis(p_cat, top, axis=1)
    top_kind = np.take_along_axis(kind, top, axis=1)
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
