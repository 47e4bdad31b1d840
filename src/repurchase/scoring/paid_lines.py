"""Paid orders and their categorised lines as integer codes, encoded once per scoring run.

The need list reads the same lines at several as-of dates (T, then the category model's training
windows before it). Looking 18M order lines' ``order_id`` up among 12M paid orders, encoding 12M
customer ids and sorting the orders by customer and time are done here once; each as-of date then
only filters and remaps integer arrays (:meth:`PaidLines.before`, :meth:`PaidLines.sequence`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from repurchase._arrow import index_in, to_arrow
from repurchase._timeline import epoch_seconds, wall_seconds
from repurchase.features.categories import category_codes
from repurchase.schema import Tables


@dataclass
class Lines:
    """Paid order lines strictly before T, one per (order, top category), sorted by order."""

    order: np.ndarray  # row of the paid-orders frame
    cat: np.ndarray  # index into cats
    product: np.ndarray  # row of tables.products (-1: not in the catalogue)
    cats: list[str]


@dataclass
class PaidLines:
    """Every paid order (``cust``, ``ts``, ``wall``: customer code, epoch and wall-clock second)
    and its categorised lines, one per (order, category) sorted by order (``order``, ``cat`` a
    code of ``names``, ``product`` of the order's first line with it, ``mult`` its line count)."""

    cust: np.ndarray
    ts: np.ndarray
    wall: np.ndarray
    customers: pa.Array  # the customer codes' ids
    seq: np.ndarray  # paid rows in (customer code, time, row) order
    order: np.ndarray
    cat: np.ndarray
    product: np.ndarray
    mult: np.ndarray
    names: np.ndarray

    @classmethod
    def of(cls, tables: Tables) -> PaidLines | None:
        """The encoded lines of ``tables``; None without order lines or a category source."""
        items = tables.order_items
        if items is None:
            return None
        p = tables.products
        cat_code, names = category_codes(items, p)  # the line's own category, else its sku's
        if cat_code is None:
            return None
        paid = tables.paid_orders(["order_id", "customer_id", "order_ts"]).reset_index(drop=True)
        with ThreadPoolExecutor(1) as pool:
            # the order_id lookup (hashing millions of ids, in C++ without the GIL) beside the rest
            looked_up = pool.submit(index_in, items["order_id"], paid["order_id"])
            ts = epoch_seconds(paid["order_ts"])
            enc = pc.dictionary_encode(to_arrow(paid["customer_id"]))
            cust = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
            seq = np.lexsort((ts, cust)).astype(np.int32)
            wall = wall_seconds(ts, tables.timezone)
            product = index_in(items["sku"], p["sku"]) if p is not None and len(p) else None
            order = looked_up.result()
        ok = (order >= 0) & (cat_code >= 0)
        product = product[ok] if product is not None else np.full(int(ok.sum()), -1)
        G = max(len(names), 1)
        # one line per (order, category): which one of an order's lines is kept is the first, as
        # the per-date selection kept it
        key, first, mult = np.unique(order[ok] * G + cat_code[ok], return_index=True, return_counts=True)
        i32 = np.int32  # 32-bit rows and codes: the arrays are held for the whole need list
        return cls(cust.astype(i32), ts, wall, enc.dictionary, seq, (key // G).astype(i32), (key % G).astype(i32),
                   product[first].astype(i32), mult.astype(i32), np.asarray(names, dtype=object))

    def codes(self, customer_ids) -> np.ndarray:
        """The customer code of each id (-1: no paid order)."""
        if not len(customer_ids):
            return np.zeros(0, np.int64)
        pos = pc.index_in(to_arrow(customer_ids), value_set=self.customers)
        return pos.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)

    def positions(self, codes: np.ndarray) -> np.ndarray:
        """Per customer code, its first position in ``codes`` (-1: not there)."""
        out = np.full(len(self.customers), -1, np.int64)
        ok = np.flatnonzero(codes >= 0)
        uniq, first = np.unique(codes[ok], return_index=True)
        out[uniq] = ok[first]
        return out

    def before(self, t: int, max_categories: int) -> Lines | None:
        """The lines of orders strictly before epoch second ``t`` over their (at most
        ``max_categories``) most bought categories, by line count (ties: by name)."""
        sel = self.ts[self.order] < t
        if not sel.any():
            return None
        cat = self.cat[sel]
        counts = np.bincount(cat, weights=self.mult[sel], minlength=len(self.names))
        ranked = sorted((i for i in range(len(self.names)) if counts[i] > 0),
                        key=lambda i: (-counts[i], str(self.names[i])))[:max_categories]
        remap = np.full(len(self.names), -1)
        remap[ranked] = np.arange(len(ranked))
        c = remap[cat]
        keep = c >= 0
        return Lines(self.order[sel][keep], c[keep], self.product[sel][keep], [str(self.names[i]) for i in ranked])

    def sequence(self, lines: Lines, KT: int):
        """The orders behind ``lines`` in (customer, time) order: (their paid-order rows, the bits
        of their categories among the first ``KT``, each line's order counted from its customer's
        last (0: the last order), the number of orders)."""
        starts = np.flatnonzero(np.r_[True, lines.order[1:] != lines.order[:-1]])
        one = np.where(lines.cat < KT, np.left_shift(np.uint64(1), np.minimum(lines.cat, KT - 1).astype(np.uint64)),
                       np.uint64(0))
        rows = lines.order[starts]
        bits_of = np.zeros(len(self.ts), np.uint64)
        bits_of[rows] = np.bitwise_or.reduceat(one, starts) if len(starts) else np.zeros(0, np.uint64)
        present = np.zeros(len(self.ts), bool)
        present[rows] = True
        o_row = self.seq[present[self.seq]]  # the global (customer, time) order, filtered: no sort per date
        o_cust = self.cust[o_row]
        same = o_cust[1:] == o_cust[:-1]
        from_end = np.zeros(len(o_row), np.int64)
        if len(o_row):
            grp = np.flatnonzero(np.r_[True, ~same])
            size = np.diff(np.r_[grp, len(o_row)])
            from_end = np.repeat(grp + size, size) - np.arange(len(o_row)) - 1
        end_of = np.zeros(len(self.ts), np.int64)
        end_of[o_row] = from_end
        return o_row, bits_of[o_row], same, end_of[lines.order], len(starts)


def customer_order(ids: pd.Series | pa.Array) -> np.ndarray:
    """Positions that sort string ids as ``Series.sort_values`` does (code point order)."""
    return pc.sort_indices(to_arrow(ids)).to_numpy().astype(np.int64)
