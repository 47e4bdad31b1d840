"""Importers: real public transaction datasets -> canonical tables.

Each importer returns the tables and an :class:`ImportSummary` that counts every row it read and
every row it set aside, by reason, so nothing disappears silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from repurchase.data.io import write_tables
from repurchase.errors import DataError

#: Online Retail II stock codes that are not products (postage, fees, manual entries, ...).
_NON_PRODUCT_EXACT = {
    "POST", "DOT", "M", "m", "C2", "D", "S", "ADJUST", "ADJUST2", "BANK CHARGES", "AMAZONFEE",
    "CRUK", "PADS", "B", "TEST001", "TEST002",
}
_NON_PRODUCT_PREFIX = ("gift_0001_", "TEST", "ADJUST")
ORII_SHEET1_ROWS = 525_461
ORII_OVERLAP_START = pd.Timestamp("2010-12-01")


@dataclass
class ImportSummary:
    """Counts of what an importer read, kept and set aside."""

    dataset: str
    rows_read: int = 0
    set_aside: dict[str, int] = field(default_factory=dict)  # rows or invoices left out, by reason
    facts: dict[str, int] = field(default_factory=dict)  # figures of the source, for checking
    tables: dict[str, int] = field(default_factory=dict)
    date_range: tuple[str, str] = ("", "")
    customers: int = 0

    def lines(self) -> list[str]:
        out = [f"{self.dataset}: read {self.rows_read:,} rows"]
        out += [f"  {reason}: {n:,}" for reason, n in self.facts.items()]
        out += [f"  set aside: {n:,} {reason}" for reason, n in self.set_aside.items()]
        out += [f"  wrote {name}: {n:,} rows" for name, n in self.tables.items()]
        out.append(f"  customers: {self.customers:,}; order dates {self.date_range[0]} .. {self.date_range[1]}")
        return out


def _read_csv(src: Path, columns: list[str]) -> pd.DataFrame:
    if not Path(src).is_file():
        raise DataError(f"source file {src} not found.")
    try:
        frame = pd.read_csv(src, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read {src}: {exc}") from exc
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{src} is missing column(s) {', '.join(missing)} (has: {', '.join(frame.columns)}).")
    return frame


def is_non_product(stock_code: pd.Series) -> pd.Series:
    """Online Retail II stock codes for postage, fees, samples, vouchers, tests and adjustments."""
    code = stock_code.fillna("").str.strip()
    mask = code.isin(_NON_PRODUCT_EXACT)
    for prefix in _NON_PRODUCT_PREFIX:
        mask |= code.str.startswith(prefix)
    return mask


def import_online_retail_ii(src: str | Path, *, sheet1_rows: int = ORII_SHEET1_ROWS) -> tuple[dict[str, pd.DataFrame], ImportSummary]:
    """Online Retail II (UCI 502), both sheets stacked, as canonical tables.

    Rules (each counted in the summary):

    * the sheet overlap: sheet-1 rows dated on or after 2010-12-01 repeat sheet 2's first days
      and are dropped;
    * further exact duplicate lines are dropped;
    * lines without a Customer ID cannot be tied to a customer and are set aside;
    * non-product stock codes (postage, fees, manual, samples, vouchers, tests) and zero-price
      lines are kept out of items and spend;
    * an invoice starting with ``C`` becomes an order with status ``refunded`` and its positive
      value; ``A`` (bad-debt adjustment) invoices are set aside;
    * an invoice left with no product lines is set aside.
    Times are UK local time (``Europe/London``). ``sheet1_rows`` is the number of data rows of
    the first sheet in ``src`` (525,461 in the published file).
    """
    src = Path(src)
    raw = _read_csv(src, ["Invoice", "StockCode", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"])
    s = ImportSummary("online_retail_ii", rows_read=len(raw))
    s.facts["distinct invoices"] = int(raw["Invoice"].nunique())
    s.facts["distinct customers"] = int(raw["Customer ID"].nunique())
    s.facts["rows without Customer ID"] = int(raw["Customer ID"].isna().sum())
    s.facts["exact duplicate rows"] = int(raw.duplicated().sum())
    not_cancelled = ~raw["Invoice"].str.startswith("C")
    s.facts["customers with a non-cancelled invoice"] = int(raw.loc[not_cancelled, "Customer ID"].nunique())
    ts = pd.to_datetime(raw["InvoiceDate"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    if ts.isna().any():
        raise DataError(f"{src}: {int(ts.isna().sum())} InvoiceDate values are not YYYY-MM-DD HH:MM:SS.")
    overlap = (np.arange(len(raw)) < sheet1_rows) & (ts >= ORII_OVERLAP_START).to_numpy()
    s.set_aside["sheet-overlap rows (sheet 1 dated >= 2010-12-01)"] = int(overlap.sum())
    raw, ts = raw.loc[~overlap], ts.loc[~overlap]
    s.facts["rows after the sheet overlap is removed"] = len(raw)
    dup = raw.duplicated(keep="first")
    s.set_aside["further exact duplicate lines"] = int(dup.sum())
    raw, ts = raw.loc[~dup], ts.loc[~dup]
    no_cust = raw["Customer ID"].isna()
    s.set_aside["lines without Customer ID"] = int(no_cust.sum())
    raw, ts = raw.loc[~no_cust], ts.loc[~no_cust]
    adjust = raw["Invoice"].str.startswith("A")
    s.set_aside["bad-debt adjustment lines (invoice A...)"] = int(adjust.sum())
    raw, ts = raw.loc[~adjust], ts.loc[~adjust]

    qty = pd.to_numeric(raw["Quantity"], errors="coerce")
    price = pd.to_numeric(raw["Price"], errors="coerce")
    non_product = is_non_product(raw["StockCode"])
    zero = (price == 0) | (qty == 0)
    s.set_aside["non-product lines (postage, fees, manual, vouchers, ...)"] = int(non_product.sum())
    s.set_aside["zero-price or zero-quantity product lines"] = int((zero & ~non_product).sum())
    keep = ~non_product & ~zero
    lines = raw.loc[keep].assign(order_ts=ts[keep], quantity=qty[keep].abs(), unit_price=price[keep])
    lines = lines.assign(line_value=lines["quantity"] * lines["unit_price"])

    g = lines.groupby("Invoice", sort=False)
    orders = pd.DataFrame({
        "order_id": g["Invoice"].first(),
        "customer_id": g["Customer ID"].first(),
        "order_ts": g["order_ts"].min(),
        "amount": g["line_value"].sum().round(2),
        "status": np.where(g["Invoice"].first().str.startswith("C"), "refunded", "paid"),
        "country": g["Country"].first(),
    }).reset_index(drop=True)
    invoices_in = raw["Invoice"].nunique()
    s.set_aside["invoices with no product line left"] = int(invoices_in - len(orders))
    orders = orders.sort_values(["order_ts", "order_id"], kind="stable").reset_index(drop=True)
    orders["order_ts"] = orders["order_ts"].dt.tz_localize("Europe/London", ambiguous="NaT", nonexistent="shift_forward")
    orders = orders.astype({"order_id": "str", "customer_id": "str", "status": "str", "country": "str"})
    items = lines.rename(columns={"Invoice": "order_id", "StockCode": "sku"})[
        ["order_id", "sku", "quantity", "unit_price"]
    ].astype({"order_id": "str", "sku": "str", "quantity": "float64", "unit_price": "float64"}).reset_index(drop=True)
    customers = (
        raw.groupby("Customer ID", sort=True)["Country"].agg(lambda c: c.mode().iloc[0])
        .rename_axis("customer_id").reset_index().rename(columns={"Country": "country"})
        .astype({"customer_id": "str", "country": "str"})
    )
    customers = customers.loc[customers["customer_id"].isin(orders["customer_id"])].reset_index(drop=True)
    s.facts["cancellation invoices kept as refunded orders"] = int(orders["status"].eq("refunded").sum())
    return _finish(s, {"orders": orders, "order_items": items, "customers": customers})


def import_cdnow(src: str | Path) -> tuple[dict[str, pd.DataFrame], ImportSummary]:
    """CDNOW master (Fader & Hardie) as canonical tables.

    Records of one customer on one day are summed into one order (the BTYD convention: repeat
    purchases are distinct days); the number of records merged is counted. Zero-value records are
    kept (amount 0 is valid).
    """
    src = Path(src)
    raw = _read_csv(src, ["customer_id", "date", "number_of_cds", "dollar_value"])
    s = ImportSummary("cdnow", rows_read=len(raw))
    date = pd.to_datetime(raw["date"], format="%Y-%m-%d", errors="coerce")
    cds = pd.to_numeric(raw["number_of_cds"], errors="coerce")
    value = pd.to_numeric(raw["dollar_value"], errors="coerce")
    bad = date.isna() | cds.isna() | value.isna() | raw["customer_id"].isna()
    if bad.any():
        raise DataError(f"{src}: {int(bad.sum())} rows with unparseable values.")
    frame = pd.DataFrame({"customer_id": raw["customer_id"].str.strip(), "date": date, "cds": cds, "value": value})
    s.facts["zero-value records (kept)"] = int((value == 0).sum())
    g = frame.groupby(["customer_id", "date"], sort=False)
    daily = g.agg(cds=("cds", "sum"), amount=("value", "sum")).reset_index()
    s.set_aside["records merged into an earlier record of the same customer-day"] = len(frame) - len(daily)
    daily["cid_num"] = daily["customer_id"].astype(int)
    daily = daily.sort_values(["date", "cid_num"], kind="stable").reset_index(drop=True)
    order_id = "CD" + daily["cid_num"].astype(str).str.zfill(5) + "-" + daily["date"].dt.strftime("%Y%m%d")
    orders = pd.DataFrame({
        "order_id": order_id.astype("str"),
        "customer_id": daily["customer_id"].astype("str"),
        "order_ts": daily["date"].dt.tz_localize("America/New_York"),
        "amount": daily["amount"].round(2),
        "status": pd.Series("paid", index=daily.index, dtype="str"),
    })
    items = pd.DataFrame({
        "order_id": orders["order_id"],
        "sku": pd.Series("CD", index=daily.index, dtype="str"),
        "quantity": daily["cds"].astype("float64"),
        "category": pd.Series("music", index=daily.index, dtype="str"),
        "unit_price": np.where(daily["cds"] > 0, daily["amount"] / daily["cds"].where(daily["cds"] > 0, 1), 0.0).round(4),
    })
    return _finish(s, {"orders": orders, "order_items": items})


def _finish(s: ImportSummary, tables: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], ImportSummary]:
    orders = tables["orders"]
    s.tables = {k: len(v) for k, v in tables.items()}
    s.customers = int(orders["customer_id"].nunique())
    s.date_range = (str(orders["order_ts"].min().date()), str(orders["order_ts"].max().date()))
    return tables, s


IMPORTERS = {
    "online-retail-ii": (import_online_retail_ii, "Europe/London"),
    "cdnow": (import_cdnow, "America/New_York"),
}


def import_dataset(name: str, src: str | Path, out: str | Path) -> ImportSummary:
    """Import public dataset ``name`` from ``src`` and write canonical tables to ``out``."""
    if name not in IMPORTERS:
        raise DataError(f"unknown dataset '{name}' (known: {', '.join(IMPORTERS)})")
    fn, tz = IMPORTERS[name]
    tables, summary = fn(src)
    meta = {"name": name, "timezone": tz, "source": str(Path(src).name),
            "import_summary": {"rows_read": summary.rows_read, **summary.facts,
                                       **{f"set aside: {k}": v for k, v in summary.set_aside.items()}}}
    write_tables(tables, out, meta=meta)
    return summary
