"""What every feature group shares for one run: the spine as arrays and lazily built timelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from repurchase.config import FeatureConfig
from repurchase.engine import Session
from repurchase._timeline import DAY_S, Timeline, epoch_seconds, wall_seconds
from repurchase.schema import Tables
from repurchase.spine import CustomerIndex, paid_order_timeline, shifted_seconds


@dataclass
class Orders:
    """Paid orders on a timeline, with value columns in timeline order."""

    tl: Timeline
    amount_cents: np.ndarray
    discount_cents: np.ndarray | None
    has_offer: np.ndarray | None
    local: pd.Series  # order_ts in business time, source order

    @cached_property
    def hour(self) -> np.ndarray:
        return self.tl.sort(self.local.dt.hour.to_numpy(dtype=np.int64))

    @cached_property
    def weekday(self) -> np.ndarray:
        return self.tl.sort(self.local.dt.day_of_week.to_numpy(dtype=np.int64))


@dataclass
class FeatureContext:
    """The spine of one feature run (``q_codes``, ``q_t`` per spine row) and the tables."""

    tables: Tables
    index: CustomerIndex
    q_codes: np.ndarray
    q_t: np.ndarray
    config: FeatureConfig
    _cache: dict = field(default_factory=dict, repr=False)
    #: the query engine's side of this run (set by build_features)
    session: "Session | None" = None

    @property
    def n(self) -> int:
        return len(self.q_codes)

    @property
    def t_max(self) -> int:
        """The latest as-of date (epoch seconds): data-driven choices look only before it."""
        return int(self.q_t.max()) if len(self.q_t) else 0

    def wall(self, seconds: np.ndarray) -> np.ndarray:
        """Epoch seconds on the business timezone's wall clock (see :func:`wall_seconds`)."""
        return wall_seconds(seconds, self.tables.timezone)

    @cached_property
    def q_wall(self) -> np.ndarray:
        """Each spine row's T on the wall clock (float), computed once per distinct date."""
        if not len(self.q_t):
            return np.zeros(0)
        uniq, inv = np.unique(self.q_t, return_inverse=True)
        return self.wall(uniq.astype(np.float64))[inv]

    def days_to_t(self, seconds: np.ndarray, *, wall: bool = False) -> np.ndarray:
        """Days from each row's instant (epoch seconds, NaN for none; already on the wall clock
        with ``wall``) to its T, in local calendar days and hours: a daylight saving change in
        between does not add or lose an hour."""
        w = np.asarray(seconds, dtype=np.float64) if wall else self.wall(np.asarray(seconds, dtype=np.float64))
        return (self.q_wall - w) / DAY_S

    @cached_property
    def orders_wall(self) -> np.ndarray:
        """The orders timeline's times (sorted, int64) on the wall clock: for gaps and recency."""
        return self.wall(self.orders.tl.ts)

    @cached_property
    def orders(self) -> Orders:
        o = self.tables.paid_orders(["order_ts", "amount", "discount_amount", "coupon_id"])
        local = o["order_ts"]
        tl = paid_order_timeline(self.tables, self.index)
        amount = np.round(o["amount"].to_numpy(dtype=np.float64) * 100).astype(np.int64)
        discount = has_offer = None
        if "discount_amount" in o.columns or "coupon_id" in o.columns:
            d = o["discount_amount"].fillna(0.0).to_numpy(dtype=np.float64) if "discount_amount" in o.columns else np.zeros(len(o))
            discount = tl.sort(np.round(d * 100).astype(np.int64))
            offer = d > 0
            if "coupon_id" in o.columns:
                offer |= o["coupon_id"].notna().to_numpy()
            has_offer = tl.sort(offer.astype(np.int64))
        return Orders(
            tl=tl,
            amount_cents=tl.sort(amount),
            discount_cents=discount,
            has_offer=has_offer,
            local=local,
        )

    @cached_property
    def orders_pos(self) -> tuple[np.ndarray, np.ndarray]:
        """(start, pos) of each spine row in the orders timeline: its orders before T."""
        tl = self.orders.tl
        return tl.start(self.q_codes), tl.pos(self.q_codes, self.q_t)

    def t_minus(self, days: int) -> np.ndarray:
        """Per spine row, the epoch second of local midnight ``days`` calendar days before T."""
        key = ("t_minus", days)
        if key not in self._cache:
            self._cache[key] = shifted_seconds(self.q_t, self.tables.timezone, -days)
        return self._cache[key]

    def orders_in(self, days: int) -> np.ndarray:
        """Index of each spine row's first order in [T - days, T) (cached: several groups ask)."""
        key = ("orders_in", days)
        if key not in self._cache:
            self._cache[key] = self.orders.tl.pos(self.q_codes, self.t_minus(days))
        return self._cache[key]

    def col(self, values: np.ndarray) -> np.ndarray:
        """A finished feature column in the configured dtype (cast as soon as it is made: at 10M
        spine rows every float64 column held until the end costs 80 MB)."""
        return np.asarray(values, dtype=self.config.dtype)

    @cached_property
    def event_arrays(self) -> dict | None:
        """The events table encoded once and sorted by (customer, time): customer code, epoch
        second, type code, local hour and local day number, ``row`` (the source row of each),
        and ``by_type``/``type_start`` (positions grouped by type, each group still sorted)."""
        e = self.tables.events
        if e is None:
            return None
        types = pd.Index(pd.unique(e["event_type"].dropna()))
        tl = Timeline.build(self.index.codes(e["customer_id"]), epoch_seconds(e["event_ts"]), self.index.n_codes)
        local = e["event_ts"].dt.tz_localize(None)
        type_code = tl.sort(types.get_indexer(e["event_type"]).astype(np.int16))
        # a stable sort on a 16-bit key is a radix sort: O(n), and each type's rows stay sorted
        by_type = np.argsort(type_code, kind="stable")
        type_start = np.searchsorted(type_code[by_type], np.arange(len(types) + 1))
        return {
            "code": tl.codes,
            "ts": tl.ts,
            "type": type_code,
            "hour": tl.sort(local.dt.hour.to_numpy(dtype=np.int8)),
            "day": tl.sort(local.to_numpy(dtype="datetime64[D]").astype(np.int64)),
            "row": tl.order,
            "types": types,
            "by_type": by_type,
            "type_start": type_start,
        }

    def events_of(self, types: list[str], *, cache: bool = True) -> tuple[Timeline, np.ndarray] | None:
        """Timeline of events whose type is in ``types``, and the positions of its rows in
        :attr:`event_arrays` (cached per set of types unless ``cache`` is false). No sort: a
        subset stays sorted."""
        key = ("events", tuple(sorted(types)))
        if key in self._cache:
            return self._cache[key]
        arr = self.event_arrays
        if arr is None:
            return None
        wanted = np.flatnonzero(arr["types"].isin(list(types)))
        if len(wanted) == 1:
            k = wanted[0]
            rows = arr["by_type"][arr["type_start"][k]:arr["type_start"][k + 1]]
        else:
            rows = np.flatnonzero(np.isin(arr["type"], wanted))
        tl = Timeline.build(arr["code"][rows], arr["ts"][rows], self.index.n_codes, presorted=True)
        if cache:
            self._cache[key] = (tl, rows)
        return tl, rows
