"""The ``orders`` and ``order_items`` tables of the synthetic retailer: lines, discounts, status
and channel of each simulated order."""

from __future__ import annotations

from typing import Iterator, NamedTuple

import numpy as np
import pandas as pd

from repurchase.synthetic.catalog import CATALOG, COUPON, COURSE_ADVANCED, COURSE_BEGINNER, FLASH, RELATED, STAPLE, STAPLES
from repurchase.synthetic.columns import BlockIds, id_array, take, text, timestamps
from repurchase.synthetic.columns import ids as id_text  # ``ids`` is the argument
from repurchase.synthetic.customers import Retailer
from repurchase.synthetic.draws import random_staple
from repurchase.synthetic.records import OrderLines, OrderRecords
from repurchase.synthetic.spec import SyntheticSpec

SKUS = np.array([row[0] for row in CATALOG])
PRICES = np.array([row[2] for row in CATALOG])
SKU_CATEGORY = np.array([row[1] for row in CATALOG])


def order_lines(r: Retailer, orders: OrderRecords) -> OrderLines:
    """Lines: the order's main category, plus extras from a related staple or the customer's others."""
    rng = r.rng
    n_orders = len(orders)
    sku_of_cat = [np.flatnonzero(SKU_CATEGORY == c) for c in list(STAPLES) + ["course"]]
    is_course = orders.kind >= COURSE_BEGINNER
    extra = np.where(is_course, 0, rng.poisson(0.3 + 0.4 * (1 - r.price_sens[orders.customer])))
    n_lines = 1 + extra
    line_order = np.repeat(np.arange(n_orders), n_lines)
    first_line = np.r_[0, np.cumsum(n_lines)[:-1]]
    is_main = np.zeros(len(line_order), bool)
    is_main[first_line] = True
    main_cat = np.repeat(orders.category, n_lines)
    related = np.array([RELATED[i] for i in range(4)] + [4])[main_cat]
    other = random_staple(rng, r.staples, orders.customer[line_order])
    line_cat = np.where(is_main, main_cat, np.where(rng.random(len(line_order)) < 0.5, related, other))
    sku_idx = np.empty(len(line_order), np.int64)
    for ci, members in enumerate(sku_of_cat):
        m = line_cat == ci
        sku_idx[m] = members[rng.integers(0, len(members), int(m.sum()))]
    line_kind = np.repeat(orders.kind, n_lines)
    sku_idx[is_main & (line_kind == COURSE_BEGINNER)] = np.flatnonzero(SKUS == "CRS-BEGINNER")[0]
    sku_idx[is_main & (line_kind == COURSE_ADVANCED)] = np.flatnonzero(SKUS == "CRS-ADVANCED")[0]
    course_skus = np.flatnonzero(SKU_CATEGORY == "course")
    qty = 1 + np.where(np.isin(sku_idx, course_skus), 0, rng.poisson(0.25, len(line_order)))
    return OrderLines(order=line_order, sku=sku_idx, quantity=qty, unit_price=PRICES[sku_idx])


class _OrderValues(NamedTuple):
    """Per order: ``discount`` and ``amount`` in yuan, ``status`` and ``channel`` codes."""

    discount: np.ndarray
    amount: np.ndarray
    status: np.ndarray  # 0 paid, 1 cancelled, 2 refunded
    channel: np.ndarray  # 0 store, 1 mini_program, 2 ecommerce


def _order_values(r: Retailer, orders: OrderRecords, lines: OrderLines) -> _OrderValues:
    """Discount, amount, status and channel of each order."""
    rng = r.rng
    n_orders, kind = len(orders), orders.kind
    gross = np.bincount(lines.order, weights=lines.quantity * lines.unit_price, minlength=n_orders)
    member_price = rng.random(n_orders) < 0.3
    discount = np.select(
        [kind == FLASH, kind == COUPON, member_price & (kind == STAPLE)],
        [gross * rng.uniform(0.3, 0.5, n_orders), np.minimum(orders.coupon_value, 0.5 * gross), 0.05 * gross],
        0.0,
    ).round(2)
    amount = (gross - discount).round(2)
    u = rng.random(n_orders)
    status = np.where(u < 0.02, 1, np.where(u < 0.035, 2, 0))
    src = r.source[orders.customer]
    channel = np.where(kind >= FLASH, 1,  # flash sales, coupons and courses: the mini-program
                       np.where(src == 0, np.where(rng.random(n_orders) < 0.7, 0, 1), np.where(src == 2, 2, 1)))
    return _OrderValues(discount=discount, amount=amount, status=status, channel=channel)


def order_tables(spec: SyntheticSpec, r: Retailer, orders: OrderRecords,
                 ids: BlockIds) -> Iterator[tuple[str, pd.DataFrame]]:
    """``("orders", frame)`` then ``("order_items", frame)``; the lines are freed after both.

    Order and coupon numbers follow on from the blocks before (``ids``), so they are unique over
    the retailer.
    """
    n_orders = len(orders)
    lines = order_lines(r, orders)
    v = _order_values(r, orders, lines)
    width = max(9, len(str(n_orders))) if ids.order_width is None else ids.order_width
    order_ids = id_array("O", np.arange(ids.first_order + 1, ids.first_order + n_orders + 1), width)
    yield "orders", pd.DataFrame({
        "order_id": text(order_ids),
        "customer_id": take(ids.customer, orders.customer),
        "order_ts": timestamps(spec, orders.day),
        "amount": v.amount,
        "status": take(["paid", "cancelled", "refunded"], v.status),
        "channel": take(["store", "mini_program", "ecommerce"], v.channel),
        "store_id": take(ids.store, r.store[orders.customer]),
        "discount_amount": v.discount,
        "coupon_id": id_text("CP", ids.first_coupon + np.maximum(orders.coupon, 0), 1, valid=orders.coupon >= 0),
    })
    yield "order_items", pd.DataFrame({
        "order_id": take(order_ids, lines.order),
        "sku": take(SKUS, lines.sku),
        "quantity": lines.quantity.astype(float),
        "category": take(SKU_CATEGORY, lines.sku),
        "unit_price": lines.unit_price,
    })
