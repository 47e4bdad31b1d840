"""Named records of the simulation: equal-length arrays, one entry per order or per event.

Times are in days since ``SyntheticSpec.start`` (fractional: the time of day is the fraction), and
customers are row indices ``0 .. customers - 1`` until the tables give them their ids.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Iterable, TypeVar

import numpy as np

R = TypeVar("R", bound="Records")


@dataclass(frozen=True, eq=False)  # arrays: no element-wise ==
class Records:
    """Equal-length arrays by name; subclasses name the columns."""

    def __len__(self) -> int:
        return len(getattr(self, dataclasses.fields(self)[0].name))

    def take(self: R, idx: np.ndarray) -> R:
        """The records at ``idx`` (a boolean mask or positions), every column alike."""
        return type(self)(**{f.name: getattr(self, f.name)[idx] for f in dataclasses.fields(self)})

    @classmethod
    def concat(cls: type[R], parts: Iterable[R]) -> R:
        """The records of ``parts`` one after the other."""
        parts = list(parts)
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in dataclasses.fields(cls)})


@dataclass(frozen=True, eq=False)  # arrays: no element-wise ==
class OrderRecords(Records):
    """One entry per order.

    Attributes
    ----------
    customer : ndarray of int64
        Customer index.
    day : ndarray of float
        When, in days since the start.
    kind : ndarray of int8
        Why the customer bought: ``catalog.STAPLE``, ``FLASH``, ``COUPON``, ``COURSE_BEGINNER``,
        ``COURSE_ADVANCED``.
    category : ndarray of int64
        Main category: index into ``catalog.STAPLES``, or ``catalog.COURSE``.
    coupon : ndarray of int64
        The coupon redeemed (the index of its claim event), or -1.
    coupon_value : ndarray of float
        Face value of that coupon in yuan, 0.0 without one.
    """

    customer: np.ndarray
    day: np.ndarray
    kind: np.ndarray
    category: np.ndarray
    coupon: np.ndarray
    coupon_value: np.ndarray


@dataclass(frozen=True, eq=False)  # arrays: no element-wise ==
class EventRecords(Records):
    """One entry per engagement event.

    Attributes
    ----------
    customer : ndarray of int64
        Customer index.
    day : ndarray of float
        When, in days since the start.
    kind : ndarray of int8
        Index into ``catalog.EVENT_TYPES``.
    value : ndarray of float
        Coupon face value in yuan for coupon events, else 1.0.
    expires_day : ndarray of float
        A coupon's expiry in days since the start; NaN for other events.
    """

    customer: np.ndarray
    day: np.ndarray
    kind: np.ndarray
    value: np.ndarray
    expires_day: np.ndarray


@dataclass(frozen=True, eq=False)  # arrays: no element-wise ==
class FlashSaleVisits(Records):
    """Purchases at flash sales, before they get a category: customer index and day."""

    customer: np.ndarray
    day: np.ndarray


@dataclass(frozen=True, eq=False)  # arrays: no element-wise ==
class OrderLines(Records):
    """One entry per order line.

    Attributes
    ----------
    order : ndarray of int64
        Position of the line's order in its :class:`OrderRecords`.
    sku : ndarray of int64
        Index into ``catalog.CATALOG``.
    quantity : ndarray of int64
        Units bought.
    unit_price : ndarray of float
        List price in yuan per unit.
    """

    order: np.ndarray
    sku: np.ndarray
    quantity: np.ndarray
    unit_price: np.ndarray
