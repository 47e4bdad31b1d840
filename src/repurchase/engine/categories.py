"""Categories as queries: how many categories a customer buys, how concentrated, and which of the
top categories are due by their cycle.

The rows are (paid order, category) pairs: a line's category is ``order_items.category``, else
its sku's in ``products``. Per customer and as-of key (:mod:`repurchase.engine._keys`) the pairs
give running counts, each top category's count and first and last purchase, and the number of
categories first bought; the spine takes its rows. A category's cycle is the customer's own
(first to last purchase over the purchases between), else the median ``products.cycle_days`` of
its skus, else the median own cycle of the spine rows of the same date: exact medians (:func:`~repurchase.engine._keys.median`).
Epoch seconds and counts stay integers until the divisions, which are the numpy path's
operations in the same order, so the values are identical to it.
"""

from __future__ import annotations

import ibis
import numpy as np

from repurchase.engine._keys import cumulative, entry_key, keyed_counts, left_join, median
from repurchase.engine._names import safe_name
from repurchase.engine._time import DAY_S
from repurchase.engine.session import Session
from repurchase.schema import Tables

#: the largest finite float64: ``abs(x) <= _MAX`` is "x is finite" on every engine
_MAX = float(np.finfo(np.float64).max)
_NULL = ibis.null("float64")


def category_source(tables: Tables) -> bool:
    """Whether the group exists: order lines, and a category on them or on their skus' products."""
    items, products = tables.order_items, tables.products
    if items is None:
        return False
    return "category" in items.columns or (products is not None and "category" in products.columns)


def _lines(s: Session) -> ibis.Table:
    """One row per (paid order, category): ``customer_id``, ``ts_s``, ``cat`` (computed once)."""
    it = s.table("order_items", ["order_id", "sku", "category"])
    p = s.table("products", ["sku", "category"])
    own = it.category if "category" in it.columns else None
    if p is not None and "category" in p.columns:
        # products has one row per sku (its key); min() only keeps a repeated sku from repeating lines
        p = p.filter(p.sku.notnull())
        p = p.group_by("sku").aggregate(_pcat=p.category.min())
        it = left_join(it, p, ["sku"])
        cat = it._pcat if own is None else ibis.coalesce(it.category, it._pcat)
    else:
        cat = own
    pairs = it.select("order_id", cat=cat)
    pairs = pairs.filter(pairs.cat.notnull(), pairs.order_id.notnull()).distinct()
    j = pairs.join(s.paid_orders(with_order_id=True), "order_id")
    return s.cache(j.select("customer_id", "ts_s", "cat"), shared="category_lines")


def top_categories(s: Session, top: int, before_s: int) -> list[str]:
    """The ``top`` categories with the most (order, category) purchases before epoch second
    ``before_s`` (ties by name)."""
    def build(_strs, ints):
        lines = _lines(s)
        lines = lines.filter(lines.ts_s < ints[0])
        return lines.group_by("cat").aggregate(n=lines.count()).order_by([ibis.desc("n"), "cat"]).limit(top)

    return [str(c) for c in s.run(("top_categories", top), build, ints=[int(before_s)]).column("cat").to_pylist()]


def category_columns(s: Session, cats: list[str], due_ratio: float) -> dict[str, np.ndarray]:
    """The categories group's columns (float64, spine order) for the top categories ``cats``, as
    the numpy path named and ordered them. In the query a category's column is named by its
    position (the names and the due ratio are values: they vary between runs)."""
    got = s.columns(("categories",), lambda strs, _ints: _columns(s, strs[1:], strs[0]), None,
                    strings=[repr(float(due_ratio)), *cats])
    out = {k: got[k] for k in ("categories_bought_count", "top_category_share", "categories_due_count",
                               "max_category_due_ratio")}
    for j, c in enumerate(cats):
        out[f"due_ratio_{safe_name(c)}"] = got[f"_due{j}"]
    return out


def _counts(s: Session, lines: ibis.Table, cats: list[str]) -> tuple[ibis.Table, ibis.Table]:
    """Running values per (customer, date): (order, category) purchases, categories first bought,
    and per top category j its purchases ``n{j}`` and last epoch second; and per customer each top
    category's first epoch second ``first{j}`` (the first before T whenever two are)."""
    n = s.n_dates
    # one pass over the lines: per (customer, category, entry key) the count, first and last
    a = lines.mutate(_k=entry_key(lines.ts_s, s))
    a = s.cache(a.group_by("customer_id", "cat", "_k").aggregate(_n=a.count(), _first=a.ts_s.min(), _last=a.ts_s.max()))
    entry = {"n_lines": lambda r: r._n.sum()}
    for j, c in enumerate(cats):
        entry[f"n{j}"] = lambda r, c=c: r._n.sum(where=r.cat == c)
        entry[f"last{j}"] = lambda r, c=c: r._last.max(where=r.cat == c)
    # each (customer, category)'s first purchase; the entry key is monotone in time
    firsts = a.group_by("customer_id", "cat").aggregate(_k=a._k.min(), ts_s=a._first.min())
    deltas = [keyed_counts(a, a._k, n, **entry), keyed_counts(firsts, firsts._k, n, n_cats=lambda r: r.count())]
    k = range(len(cats))
    running = cumulative(deltas, s.asof, sums=["n_lines", "n_cats", *(f"n{j}" for j in k)],
                         maxes=[f"last{j}" for j in k])
    first = firsts.group_by("customer_id").aggregate(
        _any=firsts.count(), **{f"first{j}": firsts.ts_s.max(where=firsts.cat == c) for j, c in enumerate(cats)})
    return running, first


def _catalogue(s: Session, cats: list[str]) -> ibis.Table | None:
    """One row: ``_cat{j}``, the median ``products.cycle_days`` of top category j's skus when
    finite (else null); None without cycles in the catalogue."""
    p = s.table("products", ["category", "cycle_days"])
    if p is None or not {"category", "cycle_days"} <= set(p.columns):
        return None
    m = median(p.filter(p.category.notnull()), ["category"], "cycle_days", duckdb=s.planned)
    cols = {}
    for j, c in enumerate(cats):
        v = m._med.max(where=m.category == c)
        cols[f"_cat{j}"] = ibis.ifelse(v.abs() <= _MAX, v, _NULL)
    return m.aggregate(**cols) if cats else None


def _columns(s: Session, cats: list[str], ratio: str) -> ibis.Table:
    """The spine (``_row``) with the categories columns."""
    k = len(cats)
    lines = _lines(s)
    running, first = _counts(s, lines, cats)
    x = left_join(left_join(s.spine, running), first, ["customer_id"])
    cols = {"_row": x._row, "as_of_key": x.as_of_key, "_total": x.n_lines.fill_null(0),
            "_distinct": x.n_cats.fill_null(0)}
    for j in range(k):
        nj = x[f"n{j}"].fill_null(0)
        last, first = s.wall(x[f"last{j}"]), s.wall(x[f"first{j}"])
        cols[f"_n{j}"] = nj
        cols[f"_since{j}"] = (x.t_wall - last) / DAY_S
        cols[f"_own{j}"] = ibis.ifelse(nj >= 2, (last - first) / DAY_S / (nj - 1), _NULL)
    f = s.cache(x.select(**cols))
    catalogue = _catalogue(s, cats)
    if catalogue is not None:
        f = f.cross_join(catalogue)
    # the population's typical own cycle at the same date, for the categories the catalogue lacks
    parts = []
    for j in range(k):
        part = f if catalogue is None else f.filter(f[f"_cat{j}"].isnull())
        parts.append(part.select("as_of_key", _j=ibis.literal(j, "int64"), _v=part[f"_own{j}"]))
    if parts:
        m = median(ibis.union(*parts, distinct=False), ["as_of_key", "_j"], "_v", duckdb=s.planned)
        pops = m.group_by("as_of_key").aggregate(**{f"_pop{j}": m._med.max(where=m._j == j) for j in range(k)})
        f = left_join(f, pops, ["as_of_key"])
    out, dues = {}, []
    for j in range(k):
        fallback = f[f"_pop{j}"] if catalogue is None else ibis.coalesce(f[f"_cat{j}"], f[f"_pop{j}"])
        cycle = ibis.coalesce(f[f"_own{j}"], fallback)
        due = ibis.ifelse((f[f"_n{j}"] > 0) & (cycle > 0), f[f"_since{j}"] / cycle, _NULL)
        dues.append(due)
        out[f"_due{j}"] = due
    top = ibis.greatest(*(f[f"_n{j}"] for j in range(k))) if k > 1 else (f._n0 if k else ibis.literal(0, "int64"))
    threshold = ibis.literal(ratio).cast("float64")
    due_count = sum((ibis.ifelse(d.fill_null(0.0) >= threshold, 1.0, 0.0) for d in dues), ibis.literal(0.0))
    return f.select(
        "_row",
        categories_bought_count=f._distinct.cast("float64"),
        top_category_share=ibis.ifelse(f._total > 0, top / f._total, _NULL),
        categories_due_count=due_count,
        max_category_due_ratio=(ibis.greatest(*dues) if k > 1 else dues[0]) if k else _NULL,
        **out,
    )
