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
    write_csv(tmp_path, "customers", [{"customer_id": "member-only"}])
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
