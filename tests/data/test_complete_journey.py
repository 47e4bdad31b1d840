"""The Complete Journey importer: the rules on tiny literal Parquet files, the README's figures on the
real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from repurchase.cli import main
from repurchase.data.importers import import_complete_journey
from repurchase.data.io import load_tables
from repurchase.errors import DataError
from tests.conftest import SHARED_DATA, need_shared

CJ_DIR = SHARED_DATA / "complete_journey"
CJ_TX = CJ_DIR / "transactions.parquet"
TZ = "America/New_York"
NaN = np.nan


def _ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def _source() -> dict[str, pd.DataFrame]:
    """Four baskets of two households, three products (one without category, one metered fuel), an
    unknown product, a household with demographics only, a campaign starting before the data and
    one ending after it, a receipt of an undescribed campaign and a redemption without a date."""
    tx = pd.DataFrame(
        [  # household, store, basket, product, quantity, sales_value, retail, coupon, match, week, ts
            (1, 5, 10, 100, 2, 3.00, 0.50, 0.00, 0.00, 1, "2017-01-02 10:00:00"),
            (1, 5, 10, 200, 1, 1.00, 0.00, 0.25, 0.25, 1, "2017-01-02 10:00:00"),
            (1, 5, 10, 999, 1, 2.00, 0.00, 0.00, 0.00, 1, "2017-01-02 10:00:00"),  # not in products
            (2, 6, 11, 300, 12000, 30.00, 0.00, 0.00, 0.00, 11, "2017-03-12 02:30:00"),  # fuel; no such local time
            (2, 6, 11, 100, 0, 0.00, 0.00, 0.00, 0.00, 11, "2017-03-12 02:30:00"),  # voided line
            (2, 6, 13, 100, 1, 0.00, 1.00, 0.00, 0.00, 22, "2017-06-01 09:00:00"),  # free item: amount 0
            (1, 5, 12, 100, 0, 0.00, 0.00, 0.00, 0.00, 45, "2017-11-05 01:30:00"),  # ambiguous hour; nothing bought
        ],
        columns=["household_id", "store_id", "basket_id", "product_id", "quantity", "sales_value", "retail_disc",
                 "coupon_disc", "coupon_match_disc", "week", "transaction_timestamp"],
    ).astype({"transaction_timestamp": "datetime64[ns]"})
    products = pd.DataFrame({
        "product_id": [100, 200, 300], "manufacturer_id": [1, 2, 3], "department": ["GROCERY", "MISC", "FUEL"],
        "brand": ["National", "Private", "National"], "product_category": ["MILK", None, "COUPON/MISC ITEMS"],
        "product_type": ["MILK: WHITE", None, "GASOLINE-REG UNLEADED"], "package_size": ["1 GA", None, None],
    })
    campaigns = pd.DataFrame({"campaign_id": [1, 2, 2, 9], "household_id": [1, 1, 2, 2]})
    descriptions = pd.DataFrame({
        "campaign_id": [1, 2], "campaign_type": ["Type A", "Type B"],
        "start_date": [_ts("2016-12-01"), _ts("2017-05-01")], "end_date": [_ts("2017-02-01"), _ts("2018-02-01")],
    })
    redemptions = pd.DataFrame({
        "household_id": [1, 2], "coupon_upc": [555, 556], "campaign_id": [1, 2],
        "redemption_date": [_ts("2017-01-02"), pd.NaT],
    })
    demographics = pd.DataFrame({"household_id": [1, 3], "age": ["65+", "25-34"], "income": ["35-49K", "50-74K"],
                                 "home_ownership": ["Homeowner", None], "kids_count": ["0", "2"]})
    return {"transactions": tx, "products": products, "campaigns": campaigns, "campaign_descriptions": descriptions,
            "coupon_redemptions": redemptions, "demographics": demographics}


def _write(directory: Path, frames: dict[str, pd.DataFrame]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_parquet(directory / f"{name}.parquet", index=False)
    return directory


@pytest.fixture
def cj_src(tmp_path) -> Path:
    return _write(tmp_path / "cj", _source())


def _str(values) -> pd.Series:
    return pd.Series(values, dtype="str")


def _local(values) -> pd.Series:
    return pd.Series(pd.to_datetime(values), dtype="datetime64[ns]").dt.tz_localize(TZ, ambiguous=False)


def test_complete_journey_tables_on_literal_files(cj_src):
    tables, s = import_complete_journey(cj_src)
    expected_orders = pd.DataFrame({
        "order_id": _str(["10", "11", "13", "12"]),
        "customer_id": _str(["1", "2", "2", "1"]),
        # 02:30 on 2017-03-12 does not exist in New York (shifted to 03:00 EDT); 01:30 on
        # 2017-11-05 happens twice (read as standard time, -05:00)
        "order_ts": pd.Series([pd.Timestamp("2017-01-02 10:00", tz=TZ), pd.Timestamp("2017-03-12 03:00", tz=TZ),
                               pd.Timestamp("2017-06-01 09:00", tz=TZ), pd.Timestamp("2017-11-05 01:30-05:00").tz_convert(TZ)]).astype(f"datetime64[ns, {TZ}]"),
        "amount": [6.00, 30.00, 0.00, 0.00],
        "discount_amount": [1.00, 0.00, 1.00, 0.00],
        "store_id": _str(["5", "6", "6", "5"]),
        "status": _str(["paid"] * 4),
    })
    pd.testing.assert_frame_equal(tables["orders"], expected_orders)
    expected_items = pd.DataFrame({
        "order_id": _str(["10", "10", "10", "11", "11", "13", "12"]),
        "sku": _str(["100", "200", "999", "300", "100", "100", "100"]),
        "quantity": [2.0, 1.0, 1.0, 12000.0, 0.0, 1.0, 0.0],
        "category": _str(["MILK", NaN, NaN, "COUPON/MISC ITEMS", "MILK", "MILK", "MILK"]),
        "unit_price": [1.50, 1.00, 2.00, 0.0025, NaN, 0.00, NaN],
    })
    pd.testing.assert_frame_equal(tables["order_items"], expected_items)
    expected_events = pd.DataFrame({
        "customer_id": _str(["1", "1", "1", "2"]),
        "event_ts": _local(["2016-12-01", "2017-01-02", "2017-05-01", "2017-05-01"]),
        "event_type": _str(["campaign_receipt", "coupon_redeem", "campaign_receipt", "campaign_receipt"]),
        "group_id": _str(["1", "1", "2", "2"]),
        "expires_ts": _local(["2017-02-01", "2017-02-01", "2018-02-01", "2018-02-01"]),
        "coupon_upc": _str([NaN, "555", NaN, NaN]),
    })
    pd.testing.assert_frame_equal(tables["events"], expected_events)
    expected_customers = pd.DataFrame({
        "customer_id": _str(["1", "2", "3"]),
        "do_not_contact": [False, False, False],
        "age": _str(["65+", NaN, "25-34"]),
        "income": _str(["35-49K", NaN, "50-74K"]),
        "home_ownership": _str(["Homeowner", NaN, NaN]),
        "kids_count": _str(["0", NaN, "2"]),
    })
    pd.testing.assert_frame_equal(tables["customers"], expected_customers)

    assert s.rows_read == 7
    assert s.facts == {
        "households in transactions": 2,
        "baskets": 4,
        "baskets with amount 0 (kept as paid orders of amount 0)": 2,
        "baskets with amount 0 and no line of quantity > 0": 1,
        "baskets in the DST spring-forward hour (nonexistent local time, shifted forward)": 1,
        "baskets in the DST fall-back hour (ambiguous, read as standard time)": 1,
        "lines with quantity 0 (kept; unit_price empty)": 2,
        "lines with sales_value 0 (kept)": 3,
        "lines with quantity 0 and sales_value 0": 2,
        "largest quantity": 12000,
        "lines with quantity > 100": 1,
        "metered fuel lines (product_type GASOLINE-*; quantity kept as metered, no feature reads it)": 1,
        "metered fuel lines with quantity > 100": 1,
        "lines whose product_id is not in products (category empty)": 1,
        "distinct product_ids not in products": 1,
        "products without product_category": 1,
        "lines of a known product without product_category (category empty)": 1,
        "lines with an empty category (either reason)": 2,
        "campaign receipts": 4,
        "households with a campaign receipt": 2,
        "campaign receipts of a campaign starting before the first basket day (dated before the data)": 1,
        "campaign receipts of a campaign ending after the last basket day": 2,
        "coupon redemptions": 2,
        "households with a coupon redemption": 2,
        "coupon redemptions of a campaign not in campaign_descriptions (expires_ts empty)": 0,
        "households with demographics": 2,
        "households without a basket": 1,
    }
    assert s.set_aside == {
        "campaign receipts of a campaign not in campaign_descriptions (no date)": 1,
        "coupon redemptions without a date": 1,
    }
    assert (s.customers, s.date_range) == (2, ("2017-01-02", "2017-11-05"))


def test_complete_journey_cli_writes_valid_tables(cj_src, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["import", "complete-journey", str(cj_src), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "lines whose product_id is not in products (category empty): 1" in printed
    assert "set aside: 1 coupon redemptions without a date" in printed
    meta = yaml.safe_load((out / "dataset.yaml").read_text())
    assert meta["timezone"] == TZ and meta["import_summary"]["baskets"] == 4
    assert main(["validate", str(out)]) == 0
    assert "valid (timezone America/New_York)" in capsys.readouterr().out
    tables, report = load_tables(out)
    assert report.rejected == {}
    assert tables.order_items["category"].isna().sum() == 2
    assert sorted(tables.events["event_type"].unique()) == ["campaign_receipt", "coupon_redeem"]


def test_complete_journey_refuses_broken_sources(cj_src, tmp_path, capsys):
    (cj_src / "campaigns.parquet").unlink()
    assert main(["import", "complete-journey", str(cj_src), "--out", str(tmp_path / "out")]) == 2
    assert "campaigns.parquet not found" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()

    src = _source()
    src["transactions"].loc[2, "sales_value"] = -2.0  # a return: not handled, so refused
    with pytest.raises(DataError, match=r"transactions: 1 of 7 rows have a negative sales_value"):
        import_complete_journey(_write(tmp_path / "neg", src))
    src = _source()
    src["transactions"].loc[1, "household_id"] = 2  # basket 10 split between two households
    with pytest.raises(DataError, match=r"1 of 4 rows are baskets with more than one household"):
        import_complete_journey(_write(tmp_path / "split", src))
    src = _source()
    src["transactions"] = src["transactions"].drop(columns=["coupon_match_disc"])
    with pytest.raises(DataError, match=r"transactions.parquet is missing column\(s\) coupon_match_disc"):
        import_complete_journey(_write(tmp_path / "cols", src))


# --- the real data: figures from its README


@need_shared(CJ_TX)
def test_complete_journey_matches_readme():
    tables, s = import_complete_journey(CJ_DIR)
    f = s.facts
    assert s.rows_read == 1_469_307
    assert f["households in transactions"] == 2_469 and s.customers == 2_469
    assert f["baskets"] == 155_848 and len(tables["orders"]) == 155_848
    assert len(tables["order_items"]) == 1_469_307
    assert f["lines with quantity 0 (kept; unit_price empty)"] == 8_869
    assert f["lines with sales_value 0 (kept)"] == 11_226
    assert f["largest quantity"] == 89_638
    assert f["lines whose product_id is not in products (category empty)"] == 4_836
    assert f["products without product_category"] == 540
    assert f["campaign receipts"] == 6_589 and f["households with a campaign receipt"] == 1_559
    assert f["coupon redemptions"] == 2_102 and f["households with a coupon redemption"] == 410
    assert f["households with demographics"] == 801
    assert s.set_aside == {"campaign receipts of a campaign not in campaign_descriptions (no date)": 0,
                           "coupon redemptions without a date": 0}
    # campaigns 24-26 start in late 2016, four end in 2018 (README: "some start in late 2016, some end in 2018")
    assert f["campaign receipts of a campaign starting before the first basket day (dated before the data)"] > 0
    assert f["campaign receipts of a campaign ending after the last basket day"] > 0
    # found on import (not in the README): counted so nothing changes silently
    assert f["baskets with amount 0 (kept as paid orders of amount 0)"] == 478
    assert f["lines of a known product without product_category (category empty)"] == 2_209
    assert f["metered fuel lines (product_type GASOLINE-*; quantity kept as metered, no feature reads it)"] == 14_697
    assert s.date_range == ("2017-01-01", "2018-01-01")
    o, e = tables["orders"], tables["events"]
    assert o["order_id"].is_unique and (o["amount"] >= 0).all() and (o["discount_amount"] >= 0).all()
    assert e["event_type"].value_counts().to_dict() == {"campaign_receipt": 6_589, "coupon_redeem": 2_102}
    assert len(tables["customers"]) == 2_469 and tables["customers"]["age"].notna().sum() == 801
    redeemed = e.loc[e["event_type"] == "coupon_redeem", "event_ts"]
    assert (str(redeemed.min().date()), str(redeemed.max().date())) == ("2017-01-01", "2017-12-31")


@need_shared(CJ_TX)  # about 10 s alone: import, write and validate 1.5M lines
def test_complete_journey_cli_import_validates(tmp_path, capsys):
    out = tmp_path / "cj"
    assert main(["import", "complete-journey", str(CJ_DIR), "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["validate", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "valid (timezone America/New_York)" in printed
    assert "2,469 customers; 155,848 paid orders" in printed
