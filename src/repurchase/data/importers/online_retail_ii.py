"""Online Retail II (UCI 502): a UK gift wholesaler's invoice lines, both sheets, as canonical tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from repurchase.data.importers._common import ImportSummary, finish, read_csv
from repurchase.errors import DataError

#: Online Retail II stock codes that are not products (postage, fees, manual entries, ...).
_NON_PRODUCT_EXACT = {
    "POST", "DOT", "M", "m", "C2", "D", "S", "ADJUST", "ADJUST2", "BANK CHARGES", "AMAZONFEE",
    "CRUK", "PADS", "B", "TEST001", "TEST002",
}
_NON_PRODUCT_PREFIX = ("gift_0001_", "TEST", "ADJUST")
ORII_SHEET1_ROWS = 525_461
ORII_OVERLAP_START = pd.Timestamp("2010-12-01")
#: the wholesaler is in the UK; invoice times are local
ORII_TIMEZONE = "Europe/London"


#: words that describe a product rather than name its type
_NOT_A_TYPE = frozenset("""RED BLUE PINK WHITE GREEN BLACK IVORY CREAM GOLD SILVER PURPLE YELLOW ORANGE BROWN GREY
    SPOTTY SPOT SPOTS STRIPE STRIPES DESIGN ASSORTED VINTAGE RETRO LARGE SMALL MINI JUMBO SET PACK OF THE AND WITH
    COLOUR COLOURS PAISLEY FLORAL""".split())


def product_type(stock_code: pd.Series, description: pd.Series) -> pd.Series:
    """Per stock code, a product type for the category: the last word of its most common
    description that is not a colour, size or pattern (``WHITE HANGING HEART T-LIGHT HOLDER`` ->
    ``HOLDER``, ``LUNCH BAG RED SPOTTY`` -> ``BAG``). Online Retail II has no category; the head noun
    of an English product name is the nearest thing, and lets due categories and hit@3 be measured."""
    words = description.fillna("").str.upper().str.findall(r"[A-Z]{3,}")
    word = words.map(lambda ws: next((w for w in reversed(ws) if w not in _NOT_A_TYPE), None)).astype("str")
    word = word.where(word != "None")
    frame = pd.DataFrame({"sku": stock_code.to_numpy(), "word": word.to_numpy()}).dropna()
    counts = frame.groupby(["sku", "word"], sort=False).size().reset_index(name="n")
    counts = counts.sort_values(["sku", "n", "word"], ascending=[True, False, True], kind="stable")
    return counts.drop_duplicates("sku").set_index("sku")["word"]


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
    raw = read_csv(src, ["Invoice", "StockCode", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"])
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
    raw, ts = _set_aside_lines(raw, ts, sheet1_rows, s)
    lines = _product_lines(raw, ts, s)
    orders = _orders(lines, int(raw["Invoice"].nunique()), s)
    items = _order_items(lines, s)
    customers = (
        raw.groupby("Customer ID", sort=True)["Country"].agg(lambda c: c.mode().iloc[0])
        .rename_axis("customer_id").reset_index().rename(columns={"Country": "country"})
        .astype({"customer_id": "str", "country": "str"})
    )
    customers = customers.loc[customers["customer_id"].isin(orders["customer_id"])].reset_index(drop=True)
    s.facts["cancellation invoices kept as refunded orders"] = int(orders["status"].eq("refunded").sum())
    return finish(s, {"orders": orders, "order_items": items, "customers": customers})


def _set_aside_lines(raw: pd.DataFrame, ts: pd.Series, sheet1_rows: int,
                     s: ImportSummary) -> tuple[pd.DataFrame, pd.Series]:
    """``raw`` (and its ``ts``) without the sheet overlap, further exact duplicates, lines without
    a customer and bad-debt adjustments, each counted in ``s`` in that order."""
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
    return raw.loc[~adjust], ts.loc[~adjust]


def _product_lines(raw: pd.DataFrame, ts: pd.Series, s: ImportSummary) -> pd.DataFrame:
    """The lines of products with a price and a quantity (its absolute value: a cancellation's is
    negative), with ``order_ts`` and ``line_value``; the others are counted in ``s``."""
    qty = pd.to_numeric(raw["Quantity"], errors="coerce")
    price = pd.to_numeric(raw["Price"], errors="coerce")
    non_product = is_non_product(raw["StockCode"])
    zero = (price == 0) | (qty == 0)
    s.set_aside["non-product lines (postage, fees, manual, vouchers, ...)"] = int(non_product.sum())
    s.set_aside["zero-price or zero-quantity product lines"] = int((zero & ~non_product).sum())
    keep = ~non_product & ~zero
    lines = raw.loc[keep].assign(order_ts=ts[keep], quantity=qty[keep].abs(), unit_price=price[keep])
    return lines.assign(line_value=lines["quantity"] * lines["unit_price"])


def _orders(lines: pd.DataFrame, invoices_in: int, s: ImportSummary) -> pd.DataFrame:
    """One order per invoice with a product line (``C`` invoices refunded), in time order, UK
    local time; the ``invoices_in`` left without a product line are counted in ``s``."""
    g = lines.groupby("Invoice", sort=False)
    orders = pd.DataFrame({
        "order_id": g["Invoice"].first(),
        "customer_id": g["Customer ID"].first(),
        "order_ts": g["order_ts"].min(),
        "amount": g["line_value"].sum().round(2),
        "status": np.where(g["Invoice"].first().str.startswith("C"), "refunded", "paid"),
        "country": g["Country"].first(),
    }).reset_index(drop=True)
    s.set_aside["invoices with no product line left"] = int(invoices_in - len(orders))
    orders = orders.sort_values(["order_ts", "order_id"], kind="stable").reset_index(drop=True)
    orders["order_ts"] = orders["order_ts"].dt.tz_localize(ORII_TIMEZONE, ambiguous="NaT", nonexistent="shift_forward")
    return orders.astype({"order_id": "str", "customer_id": "str", "status": "str", "country": "str"})


def _order_items(lines: pd.DataFrame, s: ImportSummary) -> pd.DataFrame:
    """The product lines as order items, with the :func:`product_type` as category when the
    source has descriptions."""
    items = lines.rename(columns={"Invoice": "order_id", "StockCode": "sku"})[
        ["order_id", "sku", "quantity", "unit_price"]
    ].astype({"order_id": "str", "sku": "str", "quantity": "float64", "unit_price": "float64"}).reset_index(drop=True)
    if "Description" in lines.columns:
        category = product_type(lines["StockCode"], lines["Description"])
        items["category"] = category.reindex(items["sku"].to_numpy()).to_numpy()
        s.facts["product types (category: last word of the sku's most common description)"] = int(category.nunique())
        s.facts["product lines without a product type"] = int(items["category"].isna().sum())
    return items
