"""Importers: the rules on tiny literal files, and the published figures on the real datasets."""

from __future__ import annotations

import pandas as pd

from repurchase.cli import main
from repurchase.data.importers import import_cdnow, import_online_retail_ii, is_non_product
from repurchase.data.io import load_tables
from tests.conftest import CDNOW_CSV, ORII_CSV, need_shared, write_csv

ORII_HEADER = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]


def _orii(rows):
    return pd.DataFrame(rows, columns=ORII_HEADER)


def test_online_retail_rules_on_literal_rows(tmp_path):
    rows = [
        # sheet 1 (first 3 rows): one row inside the overlap window is a copy of sheet 2
        ("100", "85048", "LIGHTS", "2", "2010-11-30 10:00:00", "5.0", "12345", "United Kingdom"),
        ("100", "POST", "POSTAGE", "1", "2010-11-30 10:00:00", "18.0", "12345", "United Kingdom"),
        ("200", "22041", "FRAME", "3", "2010-12-01 09:00:00", "2.0", "12346", "France"),
        # sheet 2
        ("200", "22041", "FRAME", "3", "2010-12-01 09:00:00", "2.0", "12346", "France"),
        ("200", "22041", "FRAME", "3", "2010-12-01 09:00:00", "2.0", "12346", "France"),  # exact duplicate
        ("C201", "22041", "FRAME", "-1", "2010-12-02 09:00:00", "2.0", "12346", "France"),  # cancellation
        ("300", "22042", "CUP", "5", "2010-12-03 09:00:00", "1.0", "", "United Kingdom"),  # no customer
        ("400", "22043", "FREE", "5", "2010-12-04 09:00:00", "0", "12347", "Spain"),  # zero price only
        ("500", "M", "Manual", "1", "2010-12-05 09:00:00", "9.0", "12348", "Spain"),  # non-product only
    ]
    src = tmp_path / "orii.csv"
    _orii(rows).to_csv(src, index=False)
    tables, s = import_online_retail_ii(src, sheet1_rows=3)
    o = tables["orders"].set_index("order_id")
    assert sorted(o.index) == ["100", "200", "C201"]
    assert o.loc["100", "amount"] == 10.0  # postage is not spend
    assert o.loc["200", "amount"] == 6.0  # overlap and duplicate removed: counted once
    assert (o.loc["C201", "status"], o.loc["C201", "amount"]) == ("refunded", 2.0)
    assert str(o["order_ts"].dt.tz) == "Europe/London"
    assert s.set_aside["sheet-overlap rows (sheet 1 dated >= 2010-12-01)"] == 1
    assert s.set_aside["further exact duplicate lines"] == 1
    assert s.set_aside["lines without Customer ID"] == 1
    assert s.set_aside["invoices with no product line left"] == 2
    assert sorted(tables["customers"]["customer_id"]) == ["12345", "12346"]
    assert tables["order_items"]["sku"].tolist().count("POST") == 0


def test_non_product_codes():
    codes = pd.Series(["POST", "DOT", "M", "85048", "gift_0001_20", "TEST001", "BANK CHARGES", "79323P", None])
    assert is_non_product(codes).tolist() == [True, True, True, False, True, True, True, False, False]


def test_cdnow_merges_customer_days(tmp_path):
    src = write_csv(tmp_path, "cd", [
        {"customer_id": "1", "date": "1997-01-01", "number_of_cds": "1", "dollar_value": "11.77"},
        {"customer_id": "2", "date": "1997-01-12", "number_of_cds": "1", "dollar_value": "12.00"},
        {"customer_id": "2", "date": "1997-01-12", "number_of_cds": "5", "dollar_value": "77.00"},
        {"customer_id": "2", "date": "1997-02-01", "number_of_cds": "1", "dollar_value": "0"},
    ])
    tables, s = import_cdnow(src)
    o = tables["orders"]
    assert len(o) == 3 and o["amount"].tolist() == [11.77, 89.0, 0.0]
    assert tables["order_items"]["quantity"].tolist() == [1.0, 6.0, 1.0]
    assert s.set_aside["records merged into an earlier record of the same customer-day"] == 1


# --- the real datasets: figures from their READMEs


@need_shared(ORII_CSV)
def test_online_retail_ii_matches_readme():
    tables, s = import_online_retail_ii(ORII_CSV)
    assert s.rows_read == 1_067_371
    assert s.facts["distinct invoices"] == 53_628
    assert s.facts["distinct customers"] == 5_942
    assert s.facts["customers with a non-cancelled invoice"] == 5_881
    assert s.facts["rows without Customer ID"] == 243_007
    assert s.facts["exact duplicate rows"] == 34_335
    assert s.set_aside["sheet-overlap rows (sheet 1 dated >= 2010-12-01)"] == 22_523
    assert s.facts["rows after the sheet overlap is removed"] == 1_044_848
    assert s.set_aside["further exact duplicate lines"] == 11_812
    assert s.date_range == ("2009-12-01", "2011-12-09")
    o = tables["orders"]
    assert o["order_id"].is_unique
    paid = o[o["status"] == "paid"]
    # customers who bought a product (some bought only postage or manual lines)
    assert 5_800 <= paid["customer_id"].nunique() <= 5_881
    assert o["customer_id"].nunique() <= 5_942
    assert (o["amount"] >= 0).all()


@need_shared(CDNOW_CSV)
def test_cdnow_matches_readme():
    tables, s = import_cdnow(CDNOW_CSV)
    assert s.rows_read == 69_659
    assert s.customers == 23_570
    assert s.date_range == ("1997-01-01", "1998-06-30")
    assert s.set_aside["records merged into an earlier record of the same customer-day"] == 2_068
    assert s.facts["zero-value records (kept)"] == 80
    assert round(tables["orders"]["amount"].sum(), 2) == 2_500_315.63
    assert tables["order_items"]["quantity"].sum() == 167_881
    first = tables["orders"].groupby("customer_id")["order_ts"].min()
    assert first.max().date().isoformat() <= "1997-03-25"


@need_shared(ORII_CSV)
def test_online_retail_ii_cli_import_validate_metrics(orii_dir, capsys):
    capsys.readouterr()
    assert main(["validate", str(orii_dir)]) == 0
    assert "valid (timezone Europe/London)" in capsys.readouterr().out
    assert main(["metrics", str(orii_dir), "--period", "month"]) == 0
    out = capsys.readouterr().out
    months = [line.split()[0] for line in out.splitlines()[1:] if line[:4].isdigit()]
    assert months == [str(p) for p in pd.period_range("2009-12", "2011-12", freq="M")]
    tables, report = load_tables(orii_dir)
    assert report.rejected == {}


@need_shared(CDNOW_CSV)
def test_cdnow_cli_import_validates(cdnow_dir, capsys):
    capsys.readouterr()
    assert main(["validate", str(cdnow_dir)]) == 0
    assert "23,570 customers" in capsys.readouterr().out


def test_online_retail_product_type_is_the_last_naming_word_of_the_commonest_description():
    from repurchase.data.importers import product_type

    got = product_type(pd.Series(["85123A", "85123A", "85123A", "20725", "X1"]),
                       pd.Series(["WHITE HANGING HEART T-LIGHT HOLDER", "WHITE HANGING HEART T-LIGHT HOLDER",
                                  "HEART LANTERN", "LUNCH BAG RED SPOTTY", None]))
    assert got.to_dict() == {"85123A": "HOLDER", "20725": "BAG"}
