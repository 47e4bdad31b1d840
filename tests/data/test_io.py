"""The data boundary: reading, mapping, parsing, fatal errors and row-level rejects."""

from __future__ import annotations

import pandas as pd
import pytest

from repurchase.cli import main
from repurchase.config import DataConfig, load_config
from repurchase.data.io import load_tables, write_rejects
from repurchase.errors import DataError
from tests.conftest import REPO, write_csv

GOOD_ORDERS = [
    {"order_id": "o1", "customer_id": "c1", "order_ts": "2024-03-01 10:00:00", "amount": "100.5", "status": "paid"},
    {"order_id": "o2", "customer_id": "c1", "order_ts": "2024-03-05 12:30:00", "amount": "20", "status": "refunded"},
    {"order_id": "o3", "customer_id": "c2", "order_ts": "2024-03-07 09:00:00", "amount": "0", "status": ""},
]


def test_reads_csv_and_parses_types(tmp_path):
    write_csv(tmp_path, "orders", GOOD_ORDERS)
    tables, report = load_tables(tmp_path, DataConfig(timezone="Asia/Shanghai"))
    o = tables.orders
    assert list(o["order_id"]) == ["o1", "o2", "o3"]
    assert str(o["order_ts"].dtype) == "datetime64[ns, Asia/Shanghai]"
    assert o["order_ts"].iloc[0] == pd.Timestamp("2024-03-01 10:00:00", tz="Asia/Shanghai")
    assert o["amount"].tolist() == [100.5, 20.0, 0.0]
    assert o["status"].isna().tolist() == [False, False, True]
    assert len(tables.paid_orders()) == 2  # paid + missing status; the refund is not a purchase
    assert report.rows_read == {"orders": 3} and report.rows_kept == {"orders": 3}


def test_ids_keep_leading_zeros_and_numbers_become_text(tmp_path):
    write_csv(tmp_path, "orders", [{"order_id": "007", "customer_id": "0012", "order_ts": "2024-01-01", "amount": "1"}])
    write_csv(tmp_path, "customers", [{"customer_id": "0012", "do_not_contact": "是"}])
    tables, _ = load_tables(tmp_path)
    assert tables.orders["order_id"].iloc[0] == "007"
    assert tables.customers["do_not_contact"].iloc[0] is True or bool(tables.customers["do_not_contact"].iloc[0])


def test_float_ids_from_parquet_read_as_integers(tmp_path):
    frame = pd.DataFrame({"order_id": [1.0, 2.0], "customer_id": [12345.0, None], "order_ts": pd.to_datetime(["2024-01-01", "2024-01-02"]),
                          "amount": [1.0, 2.0]})
    frame.to_parquet(tmp_path / "orders.parquet")
    tables, report = load_tables(tmp_path, tolerant=True)
    assert tables.orders["customer_id"].tolist() == ["12345"]
    assert report.rejected == {("orders", "customer_id: have no value (required)"): 1}


def test_chinese_headers_mapping_and_status_words(tmp_path):
    rows = [
        {"订单号": "A1", "会员ID": "u1", "下单时间": "2024/03/01 10:00", "实付金额": "¥1,299.00", "订单状态": "已支付"},
        {"订单号": "A2", "会员ID": "u1", "下单时间": "2024/03/09 11:00", "实付金额": "50", "订单状态": "已退款"},
    ]
    write_csv(tmp_path, "orders", rows, encoding="utf-8-sig")
    cfg = load_config(REPO / "configs" / "base.yaml", overrides=[{"data": {
        "timezone": "Asia/Shanghai",
        "columns": {"orders": {"order_id": "订单号", "customer_id": "会员ID", "order_ts": "下单时间",
                               "amount": "实付金额", "status": "订单状态"}},
        "status_values": {"已支付": "paid", "已退款": "refunded"}}}])
    tables, _ = load_tables(tmp_path, cfg.data)
    o = tables.orders
    assert list(o.columns[:5]) == ["order_id", "customer_id", "order_ts", "amount", "status"]
    assert o["amount"].tolist() == [1299.0, 50.0]
    assert o["status"].tolist() == ["paid", "refunded"]
    assert o["order_ts"].iloc[1] == pd.Timestamp("2024-03-09 11:00", tz="Asia/Shanghai")


def test_mapping_to_absent_header_is_named(tmp_path):
    write_csv(tmp_path, "orders", GOOD_ORDERS)
    cfg = DataConfig(columns={"orders": {"order_ts": "下单时间"}})
    with pytest.raises(DataError, match="order_ts <- '下单时间'"):
        load_tables(tmp_path, cfg)


def test_timestamps_with_offsets_are_converted_to_business_time(tmp_path):
    rows = [
        {"order_id": "a", "customer_id": "c", "order_ts": "2024-03-01T02:00:00Z", "amount": "1"},
        {"order_id": "b", "customer_id": "c", "order_ts": "2024-03-01T10:00:00+08:00", "amount": "1"},
        {"order_id": "c", "customer_id": "c", "order_ts": "2024-02-29 21:00:00-05:00", "amount": "1"},
        {"order_id": "d", "customer_id": "c", "order_ts": "2024-03-01 10:00:00", "amount": "1"},
    ]
    write_csv(tmp_path, "orders", rows)
    tables, _ = load_tables(tmp_path, DataConfig(timezone="Asia/Shanghai"))
    expected = pd.Timestamp("2024-03-01 10:00", tz="Asia/Shanghai")
    assert (tables.orders["order_ts"] == expected).all()


def test_timezone_comes_from_dataset_yaml_then_utc(tmp_path):
    write_csv(tmp_path, "orders", GOOD_ORDERS)
    assert load_tables(tmp_path)[0].timezone == "UTC"
    (tmp_path / "dataset.yaml").write_text("timezone: Europe/London\n")
    tables, _ = load_tables(tmp_path)
    assert tables.timezone == "Europe/London"
    assert load_tables(tmp_path, DataConfig(timezone="Asia/Shanghai"))[0].timezone == "Asia/Shanghai"


@pytest.mark.parametrize("suffix", ["csv", "csv.gz", "parquet"])
def test_all_three_formats(tmp_path, suffix):
    frame = pd.DataFrame(GOOD_ORDERS)
    path = tmp_path / f"orders.{suffix}"
    if suffix == "parquet":
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False)
    assert len(load_tables(tmp_path)[0].orders) == 3


def test_two_files_for_one_table_is_ambiguous(tmp_path):
    write_csv(tmp_path, "orders", GOOD_ORDERS)
    pd.DataFrame(GOOD_ORDERS).to_parquet(tmp_path / "orders.parquet")
    with pytest.raises(DataError, match="more than once"):
        load_tables(tmp_path)


# --- fatal problems: exit 2, one paragraph naming table, column, rows, examples; nothing written


def _validate(tmp_path, capsys, *extra):
    code = main(["validate", str(tmp_path), *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_missing_order_ts_exits_2(tmp_path, capsys):
    write_csv(tmp_path, "orders", [{k: v for k, v in r.items() if k != "order_ts"} for r in GOOD_ORDERS])
    code, out, err = _validate(tmp_path, capsys)
    assert code == 2
    assert "table 'orders'" in err and "order_ts" in err and "3 rows" in err
    assert "Traceback" not in err and out == ""
    assert not (tmp_path / "rejects").exists()


def test_text_in_amount_exits_2_with_examples(tmp_path, capsys):
    rows = [dict(r, amount=a) for r, a in zip(GOOD_ORDERS, ["lots", "some", "n/a"])]
    write_csv(tmp_path, "orders", rows)
    code, _, err = _validate(tmp_path, capsys, "--tolerant")  # a whole bad column is fatal even when tolerant
    assert code == 2
    assert "column 'amount' cannot be parsed as a number" in err
    assert "all 3 non-empty values fail" in err and "'lots'" in err
    assert not (tmp_path / "rejects").exists()


def test_empty_orders_exits_2(tmp_path, capsys):
    (tmp_path / "orders.csv").write_text("order_id,customer_id,order_ts,amount\n")
    code, _, err = _validate(tmp_path, capsys)
    assert code == 2 and "no rows" in err


def test_missing_orders_table_and_bad_dirs(tmp_path, capsys):
    code, _, err = _validate(tmp_path, capsys)
    assert code == 2 and "required table 'orders' not found" in err
    f = tmp_path / "afile"
    f.write_text("x")
    assert main(["validate", str(f)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert main(["validate", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_wrong_encoding_is_named(tmp_path, capsys):
    rows = [{"order_id": "1", "customer_id": "张三", "order_ts": "2024-01-01", "amount": "1"}]
    write_csv(tmp_path, "orders", rows, encoding="gbk")
    code, _, err = _validate(tmp_path, capsys)
    assert code == 2 and "not valid utf-8" in err and "gbk" in err
    assert main(["validate", str(tmp_path), "--set", "data.encoding=gbk"]) == 0


# --- row-level problems: fatal by default, quarantined and counted with --tolerant

BAD_ROWS = [
    {"order_id": "o1", "customer_id": "c1", "order_ts": "2024-03-01 10:00:00", "amount": "10", "status": "paid"},
    {"order_id": "o1", "customer_id": "c1", "order_ts": "2024-03-02 10:00:00", "amount": "11", "status": "paid"},  # duplicate id
    {"order_id": "o3", "customer_id": "", "order_ts": "2024-03-03 10:00:00", "amount": "12", "status": "paid"},  # no customer
    {"order_id": "o4", "customer_id": "c2", "order_ts": "2024-03-04 10:00:00", "amount": "-5", "status": "paid"},  # negative
    {"order_id": "o5", "customer_id": "c2", "order_ts": "yesterday-ish", "amount": "13", "status": "paid"},  # bad ts
    {"order_id": "o6", "customer_id": "c3", "order_ts": "2024-03-06 10:00:00", "amount": "-7", "status": "refunded"},  # ok
    {"order_id": "o7", "customer_id": "c3", "order_ts": "2024-03-07 10:00:00", "amount": "14", "status": "lost"},  # status
]


def _bad_dir(tmp_path):
    write_csv(tmp_path, "orders", BAD_ROWS)
    write_csv(tmp_path, "order_items", [
        {"order_id": "o1", "sku": "s", "quantity": "1"},
        {"order_id": "o9", "sku": "s", "quantity": "1"},  # unknown order
        {"order_id": "o3", "sku": "s", "quantity": "1"},  # its order is rejected
    ])
    write_csv(tmp_path, "events", [
        {"customer_id": "c1", "event_ts": "2024-03-01", "event_type": "checkin"},
        {"customer_id": "ghost", "event_ts": "2024-03-01", "event_type": "checkin"},  # unknown customer
    ])
    return tmp_path


def test_row_problems_are_fatal_without_tolerant(tmp_path, capsys):
    code, _, err = _validate(_bad_dir(tmp_path), capsys)
    assert code == 2
    for needle in ("repeat a order_id", "customer_id", "negative amount not marked as a refund",
                   "cannot be parsed as a timestamp", "'yesterday-ish'", "--tolerant"):
        assert needle in err
    assert not (tmp_path / "rejects").exists()


def test_tolerant_moves_rows_to_rejects_and_counts_them(tmp_path):
    tables, report = load_tables(_bad_dir(tmp_path), tolerant=True)
    assert tables.orders["order_id"].tolist() == ["o1", "o6"]
    assert tables.orders.loc[1, "amount"] == -7.0 or tables.orders.loc[1, "status"] == "refunded"
    rej = tables.rejects["orders"]
    assert rej["source_row"].tolist() == [2, 3, 4, 5, 7]
    reasons = dict(zip(rej["order_id"] + "@" + rej["source_row"].astype(str), rej["reject_reason"]))
    assert "repeat" in reasons["o1@2"] and "customer_id" in reasons["o3@3"]
    assert "negative" in reasons["o4@4"] and "timestamp" in reasons["o5@5"] and "status" in reasons["o7@7"]
    assert rej.loc[rej["order_id"] == "o5", "order_ts"].iloc[0] == "yesterday-ish"  # raw value kept
    # items: the unknown order and the item of a rejected order both go; events: the ghost goes
    assert tables.order_items["order_id"].tolist() == ["o1"]
    assert len(tables.rejects["order_items"]) == 2
    assert tables.events["customer_id"].tolist() == ["c1"]
    # nothing dropped silently: kept + rejected == read, per table
    for name, n in report.rows_read.items():
        assert report.rows_kept[name] + len(tables.rejects.get(name, [])) == n
    paths = write_rejects(tables.rejects, tmp_path / "rejects")
    back = pd.read_csv(paths["orders"], encoding="utf-8-sig", dtype=str)
    assert len(back) == 5 and "reject_reason" in back.columns


def test_tolerant_cli_prints_counts_and_writes_rejects(tmp_path, capsys):
    code, out, _ = _validate(_bad_dir(tmp_path), capsys, "--tolerant")
    assert code == 0
    assert "Rejected rows by reason" in out and "orders: 1 rows order_id: repeat" in out
    assert (tmp_path / "rejects" / "orders.csv").is_file()
    assert (tmp_path / "rejects" / "events.csv").is_file()


def test_events_of_community_members_who_never_bought_are_known(tmp_path):
    write_csv(tmp_path, "orders", GOOD_ORDERS)
    write_csv(tmp_path, "customers", [{"customer_id": c} for c in ("c1", "c2", "member-only")])
    write_csv(tmp_path, "events", [{"customer_id": "member-only", "event_ts": "2024-01-01", "event_type": "message"}])
    tables, _ = load_tables(tmp_path)
    assert len(tables.events) == 1


def test_all_orders_rejected_is_fatal(tmp_path):
    write_csv(tmp_path, "orders", [{"order_id": "1", "customer_id": "", "order_ts": "2024-01-01", "amount": "1"},
                                   {"order_id": "2", "customer_id": "a", "order_ts": "2024-01-01", "amount": "-1"}])
    with pytest.raises(DataError, match="no valid rows"):
        load_tables(tmp_path, tolerant=True)


def test_extra_columns_pass_through(tmp_path):
    write_csv(tmp_path, "orders", [dict(r, country="UK") for r in GOOD_ORDERS])
    assert load_tables(tmp_path)[0].orders["country"].tolist() == ["UK"] * 3


# --- issue 12: ids as trimmed text, decimal locale, one date format per column, Parquet types


def _orders_csv(tmp_path, **columns):
    base = {"order_id": ["o1", "o2", "o3"], "customer_id": ["c1", "c2", "c1"],
            "order_ts": ["2024-01-05", "2024-02-01", "2024-03-01"], "amount": ["1", "2", "3"]}
    write_csv(tmp_path, "orders", pd.DataFrame({**base, **columns}))
    return tmp_path


def test_id_text_is_trimmed_at_load(tmp_path):
    _orders_csv(tmp_path, order_id=[" o1", "o2 ", "o3"], customer_id=["c1", " c1 ", "c2"])
    write_csv(tmp_path, "order_items", {"order_id": ["o1 "], "sku": [" s1"], "quantity": ["1"], "category": [" oil "]})
    write_csv(tmp_path, "customers", {"customer_id": [" c1", "c2"], "do_not_contact": ["true", "false"]})
    t, _ = load_tables(tmp_path)
    assert t.orders["order_id"].tolist() == ["o1", "o2", "o3"]
    assert t.orders["customer_id"].nunique() == 2
    assert t.order_items[["order_id", "sku", "category"]].iloc[0].tolist() == ["o1", "s1", "oil"]
    assert t.customers["customer_id"].tolist() == ["c1", "c2"]


def test_padded_and_plain_ids_are_one_order(tmp_path):
    _orders_csv(tmp_path, order_id=[" O1", "O1", "O3"])
    with pytest.raises(DataError, match="repeat a order_id"):
        load_tables(tmp_path)


def test_integer_parquet_ids_become_their_decimal_text(tmp_path):
    big = 2**62 + 1  # beyond float precision: must not go through float64
    pd.DataFrame({"order_id": pd.array([1, big, 3], dtype="Int64"), "customer_id": pd.array([749, 750, None], dtype="Int64"),
                  "order_ts": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]), "amount": [1.0, 2.0, 3.0]}
                 ).to_parquet(tmp_path / "orders.parquet")
    t, _ = load_tables(tmp_path, tolerant=True)
    assert t.orders["order_id"].tolist() == ["1", str(big)]
    assert t.orders["customer_id"].tolist() == ["749", "750"]


def test_customers_with_the_same_ids_as_text_and_integers_match(tmp_path):
    _orders_csv(tmp_path, customer_id=["749", "750", "749"])
    pd.DataFrame({"customer_id": [749, 750], "do_not_contact": [True, False]}).to_parquet(tmp_path / "customers.parquet")
    t, _ = load_tables(tmp_path)
    assert t.customers["customer_id"].tolist() == ["749", "750"]


def test_ids_that_lost_leading_zeros_are_refused_naming_both_tables(tmp_path):
    _orders_csv(tmp_path, customer_id=["00749", "00750", "00749"])
    pd.DataFrame({"customer_id": [749, 750], "do_not_contact": [True, False]}).to_parquet(tmp_path / "customers.parquet")
    with pytest.raises(DataError) as err:
        load_tables(tmp_path, tolerant=True)  # an id format mismatch is fatal even when tolerant
    msg = str(err.value)
    assert "table 'customers'" in msg and "'orders'" in msg and "leading zeros" in msg
    assert "'749'" in msg and "'00749'" in msg and "2 of 2" in msg


def test_a_few_non_buying_members_are_not_a_mismatch(tmp_path):
    _orders_csv(tmp_path)
    write_csv(tmp_path, "customers", {"customer_id": ["c1", "c2", "7"]})  # 7: a member who never bought
    assert len(load_tables(tmp_path)[0].customers) == 3


@pytest.mark.parametrize("decimal, raw, expected", [
    (".", ["1,299.00", "12.5", "¥1,299", "1 299.5", "+3"], [1299.0, 12.5, 1299.0, 1299.5, 3.0]),
    (",", ["1.299,00", "12,5", "1.299", "1 299,5", "+3"], [1299.0, 12.5, 1299.0, 1299.5, 3.0]),
])
def test_amounts_follow_the_configured_decimal_separator(tmp_path, decimal, raw, expected):
    write_csv(tmp_path, "orders", pd.DataFrame({"order_id": [f"o{i}" for i in range(5)], "customer_id": "c1",
                                                "order_ts": "2024-01-05", "amount": raw}))
    t, _ = load_tables(tmp_path, DataConfig(decimal=decimal))
    assert t.orders["amount"].tolist() == expected


def test_a_decimal_comma_under_the_default_locale_is_refused_not_rescaled(tmp_path):
    _orders_csv(tmp_path, amount=["1.299,00", "12,5", "30"])
    with pytest.raises(DataError) as err:
        load_tables(tmp_path, tolerant=True)
    msg = str(err.value)
    assert "table 'orders'" in msg and "column 'amount'" in msg and "2 of 3" in msg
    assert "'1.299,00'" in msg and "'12,5'" in msg and 'data.decimal: ","' in msg


def test_a_decimal_point_under_the_comma_locale_is_refused(tmp_path):
    _orders_csv(tmp_path, amount=["12.5", "3", "4"])
    with pytest.raises(DataError, match=r"column 'amount'.*'12\.5'.*data\.decimal: \"\.\""):
        load_tables(tmp_path, DataConfig(decimal=","))


def test_text_with_a_comma_is_a_bad_value_not_a_locale_problem(tmp_path):
    _orders_csv(tmp_path, amount=["1", "ten, or so", "3"])
    with pytest.raises(DataError) as err:
        load_tables(tmp_path)
    assert "cannot be parsed as a number" in str(err.value) and "data.decimal" not in str(err.value)


@pytest.mark.parametrize("raw, expected_days", [
    (["05/01/2024", "13/01/2024", "01/02/2024 10:00"], ["2024-01-05", "2024-01-13", "2024-02-01"]),  # day first
    (["05/01/2024", "01/13/2024", "01/02/2024 10:00"], ["2024-05-01", "2024-01-13", "2024-01-02"]),  # month first
    (["2024-01-05", "13.01.2024", "5/1/2024"], ["2024-01-05", "2024-01-13", "2024-01-05"]),  # ISO is unambiguous
])
def test_one_day_month_order_per_column_inferred_from_the_whole_column(tmp_path, raw, expected_days):
    _orders_csv(tmp_path, order_ts=raw)
    t, _ = load_tables(tmp_path)
    assert t.orders["order_ts"].dt.strftime("%Y-%m-%d").tolist() == expected_days


def test_ambiguous_day_month_column_is_refused_and_a_configured_format_reads_it(tmp_path):
    _orders_csv(tmp_path, order_ts=["05/01/2024", "06/02/2024", "07/03/2024 10:00"])
    with pytest.raises(DataError) as err:
        load_tables(tmp_path)
    msg = str(err.value)
    assert "column 'order_ts'" in msg and "'05/01/2024'" in msg and "data.date_format" in msg
    t, _ = load_tables(tmp_path, DataConfig(date_format="%d/%m/%Y"))
    assert t.orders["order_ts"].dt.strftime("%Y-%m-%d %H:%M").tolist() == ["2024-01-05 00:00", "2024-02-06 00:00",
                                                                           "2024-03-07 10:00"]
    t, _ = load_tables(tmp_path, DataConfig(date_format="%m/%d/%Y"))
    assert t.orders["order_ts"].dt.strftime("%Y-%m-%d").tolist() == ["2024-05-01", "2024-06-02", "2024-07-03"]


def test_a_column_mixing_day_first_and_month_first_is_refused(tmp_path):
    _orders_csv(tmp_path, order_ts=["13/01/2024", "01/13/2024", "05/01/2024"])
    with pytest.raises(DataError) as err:
        load_tables(tmp_path, tolerant=True)
    msg = str(err.value)
    assert "column 'order_ts'" in msg and "'13/01/2024'" in msg and "'01/13/2024'" in msg


def test_duplicated_csv_header_is_refused_naming_file_and_header(tmp_path):
    (tmp_path / "orders.csv").write_text("order_id,customer_id,order_ts,amount,amount\no1,c1,2024-01-05,10,11\n")
    with pytest.raises(DataError, match=r"orders\.csv.*header 'amount' more than once"):
        load_tables(tmp_path)


def test_duplicated_parquet_column_is_refused(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"order_id": ["o1"], "customer_id": ["c1"], "order_ts": ["2024-01-05"], "amount": [1.0], "x": [2.0]})
    pq.write_table(table.rename_columns(["order_id", "customer_id", "order_ts", "amount", "amount"]), tmp_path / "orders.parquet")
    with pytest.raises(DataError, match=r"orders\.parquet.*'amount' more than once"):
        load_tables(tmp_path)


def test_parquet_decimal_amounts_and_date32_dates_are_read(tmp_path):
    import datetime as dt
    import decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({
        "order_id": pa.array([decimal.Decimal(1), decimal.Decimal(2)], pa.decimal128(12, 0)), "customer_id": ["c1", "c2"],
        "order_ts": pa.array([dt.date(2024, 1, 5), dt.date(2024, 2, 1)], pa.date32()),
        "amount": pa.array([decimal.Decimal("1299.00"), decimal.Decimal("12.50")], pa.decimal128(10, 2)),
    }), tmp_path / "orders.parquet")
    pq.write_table(pa.table({"customer_id": ["c1"], "registered_ts": pa.array([dt.date(2023, 12, 1)], pa.date32())}),
                   tmp_path / "customers.parquet")
    t, _ = load_tables(tmp_path, DataConfig(timezone="Asia/Shanghai"))
    assert t.orders["order_id"].tolist() == ["1", "2"]
    assert t.orders["amount"].tolist() == [1299.0, 12.5]
    assert t.orders["order_ts"].tolist() == [pd.Timestamp("2024-01-05", tz="Asia/Shanghai"),
                                             pd.Timestamp("2024-02-01", tz="Asia/Shanghai")]
    assert t.customers["registered_ts"].iloc[0] == pd.Timestamp("2023-12-01", tz="Asia/Shanghai")


@pytest.mark.parametrize("tz", [None, "UTC"])
def test_parquet_timestamp_outside_nanoseconds_is_a_bad_row_naming_the_column(tmp_path, tz):
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"order_id": ["o1", "o2"], "customer_id": ["c1", "c2"], "amount": [1.0, 2.0],
                             "order_ts": pa.array([dt.datetime(2024, 1, 5), dt.datetime(9999, 1, 6)], pa.timestamp("us", tz))}),
                   tmp_path / "orders.parquet")
    with pytest.raises(DataError, match=r"column 'order_ts'.*1 of 2 rows cannot be parsed as a timestamp"):
        load_tables(tmp_path)
    t, _ = load_tables(tmp_path, tolerant=True)
    assert t.orders["order_id"].tolist() == ["o1"]


def test_a_truncated_csv_gz_is_a_data_error_naming_the_file(tmp_path, capsys):
    import gzip

    body = "order_id,customer_id,order_ts,amount\n" + "".join(f"o{i},c1,2024-01-05,1\n" for i in range(5000))
    packed = gzip.compress(body.encode())
    (tmp_path / "orders.csv.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DataError, match=r"orders\.csv\.gz.*truncated"):
        load_tables(tmp_path)
    code, _, err = _validate(tmp_path, capsys)
    assert code == 2 and "orders.csv.gz" in err and "Interrupted" not in err


@pytest.mark.parametrize("table, rows, words", [
    ("events", {"customer_id": ["x1", "x2", "c1"], "event_ts": ["2024-01-01"] * 3, "event_type": ["checkin"] * 3},
     ["table 'events'", "2 of 3 distinct ids are in neither customers nor orders", "'x1'"]),
    ("order_items", {"order_id": ["A1", "A2", "o1"], "sku": ["s"] * 3, "quantity": ["1"] * 3},
     ["table 'order_items'", "2 of 3 distinct ids are not in orders", "'A1'"]),
    ("contacts", {"customer_id": ["001", "002"], "contacted_ts": ["2024-01-01"] * 2},
     ["table 'contacts'", "leading zeros", "contacts '001' ~ orders '1'"]),
])
def test_a_table_of_mostly_unknown_ids_is_refused_even_when_tolerant(tmp_path, table, rows, words):
    """Rejecting most of a table row by row would hide an id-format mismatch: it is refused whole."""
    _orders_csv(tmp_path, order_id=["o1", "o2", "o3"], customer_id=["1", "2", "1"] if table == "contacts" else ["c1", "c2", "c1"])
    write_csv(tmp_path, table, rows)
    with pytest.raises(DataError) as err:
        load_tables(tmp_path, tolerant=True)
    for w in words:
        assert w in str(err.value)


def test_products_keyed_by_other_skus_are_refused(tmp_path):
    _orders_csv(tmp_path)
    write_csv(tmp_path, "order_items", {"order_id": ["o1", "o2"], "sku": ["SKU-1", "SKU-2"], "quantity": ["1", "1"]})
    write_csv(tmp_path, "products", {"sku": ["9001", "9002", "9003"], "category": ["oil"] * 3})
    with pytest.raises(DataError, match=r"table 'products'.*3 of 3 distinct ids match no sku in 'order_items'.*'SKU-1'"):
        load_tables(tmp_path)


def test_trailing_empty_headers_of_a_spreadsheet_export_are_not_duplicates(tmp_path):
    (tmp_path / "orders.csv").write_text("order_id,customer_id,order_ts,amount,,\no1,c1,2024-01-05,10,,\n")
    assert load_tables(tmp_path)[0].orders["amount"].tolist() == [10.0]


def test_a_clean_table_is_read_again_for_its_rejects_with_the_values_as_stored(tmp_path):
    # every value of order_items parses, so no raw copy is held; its orphan row is found later and
    # must still be rejected and shown as stored (the id with its spaces), not as typed
    ts = pd.Timestamp("2024-03-01 10:00", tz="UTC")
    pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["c1", "c2"], "order_ts": [ts, ts],
                  "amount": [10.0, 20.0]}).to_parquet(tmp_path / "orders.parquet")
    pd.DataFrame({"order_id": ["o1", " o9 ", "o2"], "sku": ["a", "b", "c"], "quantity": [1, 2, 3],
                  "price": [10.0, 5.0, 20.0]}).to_parquet(tmp_path / "order_items.parquet")
    with pytest.raises(DataError, match=r"(?s)1 of 3 rows point at an order_id not in orders.*row 2: order_id=' o9 '"):
        load_tables(tmp_path)
    tables, report = load_tables(tmp_path, tolerant=True)
    rej = tables.rejects["order_items"]
    assert rej["order_id"].tolist() == [" o9 "] and rej["source_row"].tolist() == [2]
    assert tables.order_items["order_id"].tolist() == ["o1", "o2"] and report.rows_kept["order_items"] == 2


def test_keep_holds_fewer_columns_but_validates_all_of_them(tmp_path):
    """``keep`` (the features command's load) drops unread columns only after every rule ran on
    them: a bad value in a dropped column still rejects its row, and the same rows are kept."""
    _bad_dir(tmp_path)
    events = pd.DataFrame([{"customer_id": "c1", "event_ts": "2024-03-01", "event_type": "checkin", "value": "1.5"},
                           {"customer_id": "c1", "event_ts": "2024-03-02", "event_type": "checkin", "value": "lots"}])
    write_csv(tmp_path, "events", events)
    full, full_report = load_tables(tmp_path, tolerant=True)
    kept, kept_report = load_tables(tmp_path, tolerant=True,
                                    keep={"orders": ["customer_id", "order_ts"], "events": ["event_type"]})
    assert "value" in full.events.columns and "value" not in kept.events.columns
    assert set(kept.orders.columns) == {"order_id", "customer_id", "order_ts", "amount", "status"}
    assert kept.events["event_ts"].tolist() == full.events["event_ts"].tolist()
    assert len(kept.events) == 1 and kept.rejects["events"]["value"].tolist() == ["lots"]
    for name in full.as_dict():
        pd.testing.assert_frame_equal(kept.as_dict()[name], full.as_dict()[name][kept.as_dict()[name].columns])
    assert kept_report.rows_kept == full_report.rows_kept and kept_report.rejected == full_report.rejected
