"""CDNOW master (Fader & Hardie): one record per customer and purchase day, as canonical tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from repurchase.data.importers._common import ImportSummary, finish, read_csv
from repurchase.errors import DataError

#: CDNOW is a US music retailer; its dates are local days
CDNOW_TIMEZONE = "America/New_York"


def import_cdnow(src: str | Path) -> tuple[dict[str, pd.DataFrame], ImportSummary]:
    """CDNOW master (Fader & Hardie) as canonical tables.

    Records of one customer on one day are summed into one order (the BTYD convention: repeat
    purchases are distinct days); the number of records merged is counted. Zero-value records are
    kept (amount 0 is valid).
    """
    src = Path(src)
    raw = read_csv(src, ["customer_id", "date", "number_of_cds", "dollar_value"])
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
        "order_ts": daily["date"].dt.tz_localize(CDNOW_TIMEZONE),
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
    return finish(s, {"orders": orders, "order_items": items})
