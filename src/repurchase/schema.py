"""The data contract: canonical tables, their columns and types, and the one boundary check.

Every table that enters the package passes :func:`validate_frame` once, at the boundary
(``data.io``); code behind the boundary can trust names and dtypes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Literal, Mapping

import numpy as np
import pandas as pd

from repurchase.errors import DataError

Kind = Literal["id", "str", "float", "int", "ts", "bool"]

#: statuses an order may carry; only ``paid`` (or missing) counts as a purchase.
ORDER_STATUSES = ("paid", "cancelled", "refunded")
VALID_ORDER_STATUS = "paid"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False
    doc: str = ""


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    doc: str = ""

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def kinds(self) -> dict[str, Kind]:
        return {c.name: c.kind for c in self.columns}


def _c(name: str, kind: Kind, required: bool = False, doc: str = "") -> Column:
    return Column(name, kind, required, doc)


TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec(
            "orders",
            (
                _c("order_id", "id", True, "unique order identifier"),
                _c("customer_id", "id", True, "who placed the order"),
                _c("order_ts", "ts", True, "when the order was placed"),
                _c("amount", "float", True, "amount paid, >= 0 (refunds are marked by status)"),
                _c("status", "str", False, "paid / cancelled / refunded; missing means paid"),
                _c("channel", "str", False, "sales channel, e.g. mini_program, store"),
                _c("store_id", "id", False, "store that took the order"),
                _c("discount_amount", "float", False, "discount given on the order, >= 0"),
                _c("coupon_id", "id", False, "coupon redeemed on the order"),
            ),
            key=("order_id",),
            doc="one row per order; the only required table",
        ),
        TableSpec(
            "order_items",
            (
                _c("order_id", "id", True),
                _c("sku", "id", True),
                _c("quantity", "float", True),
                _c("category", "str"),
                _c("unit_price", "float"),
            ),
            doc="order lines",
        ),
        TableSpec(
            "customers",
            (
                _c("customer_id", "id", True),
                _c("registered_ts", "ts"),
                _c("source_channel", "str"),
                _c("store_id", "id"),
                _c("group_id", "id"),
                _c("joined_group_ts", "ts"),
                _c("do_not_contact", "bool"),
            ),
            key=("customer_id",),
            doc="one row per customer, including community members who never bought",
        ),
        TableSpec(
            "events",
            (
                _c("customer_id", "id", True),
                _c("event_ts", "ts", True),
                _c("event_type", "str", True),
                _c("group_id", "id"),
                _c("value", "float"),
                _c("expires_ts", "ts"),
            ),
            doc="community engagement: message, checkin, coupon_claim, coupon_redeem, share, ...",
        ),
        TableSpec(
            "products",
            (
                _c("sku", "id", True),
                _c("category", "str"),
                _c("cycle_days", "float"),
                _c("upgrade_sku", "id"),
                _c("related_categories", "str", doc="'|'-separated category names"),
            ),
            key=("sku",),
            doc="catalogue with consumption cycles and upgrade paths",
        ),
        TableSpec(
            "contacts",
            (
                _c("customer_id", "id", True),
                _c("contacted_ts", "ts", True),
                _c("list", "str"),
                _c("offer", "str"),
                _c("channel", "str"),
                _c("control_group", "bool"),
            ),
            doc="who the CRM contacted (or held out as control), when and with what",
        ),
    )
}

REQUIRED_TABLES = ("orders",)

#: pandas dtype each kind has once loaded; timestamps are tz-aware in the business timezone.
_DTYPE_CHECK = {
    "id": pd.api.types.is_string_dtype,
    "str": pd.api.types.is_string_dtype,
    "float": pd.api.types.is_float_dtype,
    "int": pd.api.types.is_integer_dtype,
    "bool": lambda s: pd.api.types.is_bool_dtype(s) or str(s) == "boolean",
    "ts": lambda s: isinstance(s, pd.DatetimeTZDtype),
}


KIND_DOC = {"id": "text id", "str": "text", "float": "number", "int": "integer", "bool": "true / false",
            "ts": "timestamp"}


def contract_markdown() -> str:
    """The data contract as Markdown (``docs/data_contract.md`` is generated from this)."""
    lines = ["# The data contract", "",
             "Generated from `repurchase.schema.TABLES` by `repurchase schema --markdown`; do not edit by hand.", "",
             "A data directory holds one file per table: `<table>.parquet`, `<table>.csv` or `<table>.csv.gz`, and "
             "optionally `dataset.yaml` (`timezone: Asia/Shanghai`). Only `orders` is required; every other table "
             "adds features when present. Required columns are in bold. Timestamps without an offset are local "
             "business time; ids are text.", "",
             "How values are read: ids are trimmed text in every table (an integer Parquet id `749` is `'749'`); "
             "a table whose ids mostly match none of the table it refers to, or match only once leading zeros "
             "are dropped, is refused. Numbers use `data.decimal` (`\".\"`: `1,299.00`; `\",\"`: `1.299,00`), "
             "the other separator only between groups of three digits. Each timestamp column has one day/month "
             "order: `data.date_format`, or the order some value proves (`13/01/2024`); an ambiguous or mixed "
             "column is refused. A repeated header is refused. Parquet decimals, dates and timestamps of any "
             "unit are read.", ""]
    for t in TABLES.values():
        key = f" Key: `{', '.join(t.key)}` (unique)." if t.key else ""
        lines += [f"## `{t.name}`", "", f"{t.doc[:1].upper() + t.doc[1:]}.{key}", "", "| column | type | meaning |",
                  "| --- | --- | --- |"]
        for c in t.columns:
            name = f"**{c.name}**" if c.required else c.name
            lines.append(f"| {name} | {KIND_DOC[c.kind]} | {c.doc} |")
        lines.append("")
    return "\n".join(lines)


def validate_frame(
    frame: pd.DataFrame,
    table: str,
    *,
    required: Iterable[str] | None = None,
    dtypes: bool = True,
    non_empty: bool = False,
) -> pd.DataFrame:
    """Check a frame against the contract of ``table`` and raise one clear :class:`DataError`.

    Parameters
    ----------
    frame : DataFrame
        The table as loaded.
    table : str
        Canonical table name (a key of :data:`TABLES`) or any name for ad-hoc frames when
        ``required`` is given.
    required : iterable of str, optional
        Columns that must be present; defaults to the table's required columns.
    dtypes : bool
        Also check that present canonical columns have their canonical dtypes.
    non_empty : bool
        Refuse a frame with no rows.

    Returns
    -------
    DataFrame
        ``frame`` itself, unchanged, so the call can be chained.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"table '{table}': expected a pandas DataFrame, got {type(frame).__name__}")
    spec = TABLES.get(table)
    need = list(required) if required is not None else (spec.required if spec else [])
    missing = [c for c in need if c not in frame.columns]
    if missing:
        have = ", ".join(map(str, frame.columns[:20])) or "(none)"
        raise DataError(
            f"table '{table}' is missing required column(s) {', '.join(missing)} "
            f"({len(frame):,} rows; columns present: {have}). "
            "Map your export's headers onto canonical names with data.columns in the config."
        )
    if non_empty and frame.empty:
        raise DataError(f"table '{table}' has no rows; at least one is needed.")
    if dtypes and spec is not None:
        wrong = [
            f"{c.name} ({frame[c.name].dtype}, expected {c.kind})"
            for c in spec.columns
            if c.name in frame.columns and not _DTYPE_CHECK[c.kind](frame[c.name].dtype)
        ]
        if wrong:
            raise DataError(f"table '{table}' has columns of the wrong type: {'; '.join(wrong)}.")
    return frame


def paid_mask(orders: pd.DataFrame) -> np.ndarray:
    """Rows of ``orders`` that count as purchases: status ``paid`` or missing."""
    if "status" not in orders.columns:
        return np.ones(len(orders), dtype=bool)
    status = orders["status"]
    return (status.isna() | (status == VALID_ORDER_STATUS)).to_numpy()


@dataclass
class Tables:
    """The canonical tables of one data directory; absent optional tables are ``None``."""

    orders: pd.DataFrame
    order_items: pd.DataFrame | None = None
    customers: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    products: pd.DataFrame | None = None
    contacts: pd.DataFrame | None = None
    timezone: str = "UTC"
    rejects: dict[str, pd.DataFrame] = field(default_factory=dict)

    def present(self) -> list[str]:
        return [name for name in TABLES if getattr(self, name) is not None]

    def as_dict(self) -> Mapping[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in self.present()}

    def paid_orders(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Orders that count as purchases: status ``paid`` or missing (optionally only some of
        their columns, which is much cheaper on large tables)."""
        o = self.orders
        if columns is not None:
            o = o[[c for c in columns if c in o.columns]]
        if "status" not in self.orders.columns:
            return o
        return o.loc[paid_mask(self.orders)]

    def paid_orders_in(self, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None,
                       columns: list[str] | None = None) -> pd.DataFrame:
        """Paid orders placed in [start, end) (a missing bound is open), with ``order_ts``."""
        o = self.paid_orders(None if columns is None else list(dict.fromkeys([*columns, "order_ts"])))
        keep = np.ones(len(o), dtype=bool)
        if start is not None:
            keep &= (o["order_ts"] >= start).to_numpy()
        if end is not None:
            keep &= (o["order_ts"] < end).to_numpy()
        return o.loc[keep]
