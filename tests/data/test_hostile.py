"""A corpus of hostile inputs: every table and the configs. Each ends with exit code 2 and a clear
message (what, where, how many, examples), or is handled by a documented rule -- never a
traceback, never a partial output."""

from __future__ import annotations

import datetime as dt
import decimal
import gzip
import os
from pathlib import Path
from typing import Callable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from repurchase.cli import main
from tests.conftest import literal_dir, write_csv

ORDERS = {"order_id": ["o1", "o2", "o3"], "customer_id": ["c1", "c2", "c1"],
          "order_ts": ["2024-01-05 10:00", "2024-02-01 11:00", "2024-03-01 12:00"], "amount": ["10.5", "20", "30"]}


def orders(**change) -> dict:
    return {**ORDERS, **change}


def make(tables: dict[str, dict | bytes | str]) -> Callable[[Path], Path]:
    return literal_dir(tables, write_csv)


def _dir_is_file(d: Path) -> Path:
    d.parent.mkdir(parents=True, exist_ok=True)
    d.write_text("not a directory")
    return d


def _orders_is_dir(d: Path) -> Path:
    (d / "orders.csv").mkdir(parents=True)
    return d


def _unreadable(d: Path) -> Path:
    make({"orders": ORDERS})(d)
    (d / "orders.csv").chmod(0)
    return d


def _ids_lost_leading_zeros(d: Path) -> Path:
    """Orders keep '00749'; the customers export stored the id as an integer (749)."""
    make({"orders": orders(customer_id=["00749", "00750", "00749"])})(d)
    pq.write_table(pa.table({"customer_id": pa.array([749, 750], pa.int64()),
                             "do_not_contact": [True, False]}), d / "customers.parquet")
    return d


def _parquet_orders(**columns) -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        d.mkdir(parents=True, exist_ok=True)
        base = {"order_id": ["o1", "o2"], "customer_id": ["c1", "c2"],
                "order_ts": pa.array([dt.datetime(2024, 1, 5), dt.datetime(2024, 1, 6)], pa.timestamp("us")),
                "amount": [10.0, 20.0]}
        pq.write_table(pa.table({**base, **columns}), d / "orders.parquet")
        return d
    return build


def _gz_orders(cut: Callable[[bytes], bytes]) -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        d.mkdir(parents=True, exist_ok=True)
        text = "order_id,customer_id,order_ts,amount\n" + "".join(f"o{i},c{i % 7},2024-01-05,10\n" for i in range(3000))
        (d / "orders.csv.gz").write_bytes(cut(gzip.compress(text.encode())))
        return d
    return build


# (id, build the data dir, expected words in the message); every case must exit 2
CASES = [
    ("missing-dir", lambda d: d, ["does not exist"]),
    ("dir-is-a-file", _dir_is_file, ["not a directory"]),
    ("no-orders", make({"customers": {"customer_id": ["c1"]}}), ["orders"]),
    ("orders-is-a-directory", _orders_is_dir, ["orders"]),
    ("missing-order-ts", make({"orders": {k: v for k, v in ORDERS.items() if k != "order_ts"}}), ["order_ts"]),
    ("misspelt-column", make({"orders": {("ordr_id" if k == "order_id" else k): v for k, v in ORDERS.items()}}), ["order_id"]),
    ("empty-orders", make({"orders.csv": "order_id,customer_id,order_ts,amount\n"}), ["no rows"]),
    ("zero-byte-orders", make({"orders.csv": b""}), ["orders"]),
    ("all-null-amount", make({"orders": orders(amount=["", "", ""])}), ["amount", "empty"]),
    ("text-amount", make({"orders": orders(amount=["ten", "twenty", "thirty"])}), ["amount", "a number", "ten"]),
    ("one-bad-amount", make({"orders": orders(amount=["10", "oops", "30"])}), ["amount", "1 of 3", "oops"]),
    ("duplicate-order-id", make({"orders": orders(order_id=["o1", "o1", "o3"])}), ["order_id", "repeat"]),
    ("negative-amount", make({"orders": orders(amount=["10", "-5", "30"])}), ["negative amount"]),
    ("absurd-amount", make({"orders": orders(amount=["10", "1e15", "30"])}), ["absurd amount"]),
    ("infinite-amount", make({"orders": orders(amount=["10", "inf", "30"])}), ["absurd amount"]),
    ("future-timestamp", make({"orders": orders(order_ts=["2024-01-05", "2099-01-01", "2024-03-01"])}), ["in the future", "2099"]),
    ("1970-timestamp", make({"orders": orders(order_ts=["2024-01-05", "1970-01-01 00:00", "2024-03-01"])}), ["before 1990"]),
    ("excel-serial-dates", make({"orders": orders(order_ts=["45123.5", "45124.25", "45130"])}), ["Excel serial dates"]),
    ("garbage-timestamps", make({"orders": orders(order_ts=["soon", "later", "never"])}), ["order_ts", "a timestamp"]),
    ("non-utf8-bytes", make({"orders.csv": "order_id,customer_id,order_ts,amount\no1,张三,2024-01-05,10\n".encode("gbk")}), ["encoding", "gbk"]),
    ("unknown-status", make({"orders": orders(status=["paid", "shipped?", "paid"])}), ["status", "status_values"]),
    ("corrupt-parquet", make({"orders.parquet": b"PAR1 this is not parquet"}), ["orders.parquet"]),
    ("two-files-one-table", make({"orders": ORDERS, "orders.parquet": b"PAR1"}), ["orders"]),
    ("items-missing-sku", make({"orders": ORDERS, "order_items": {"order_id": ["o1"], "quantity": ["1"]}}), ["sku"]),
    ("items-unknown-order", make({"orders": ORDERS, "order_items": {"order_id": ["o9"], "sku": ["s"], "quantity": ["1"]}}), ["order_items", "not in orders"]),
    ("customers-duplicate-id", make({"orders": ORDERS, "customers": {"customer_id": ["c1", "c1"]}}), ["customers", "repeat"]),
    ("customers-bad-bool", make({"orders": ORDERS, "customers": {"customer_id": ["c1", "c2"], "do_not_contact": ["maybe", "perhaps"]}}), ["do_not_contact", "true/false"]),
    ("events-missing-type", make({"orders": ORDERS, "events": {"customer_id": ["c1"], "event_ts": ["2024-01-01"]}}), ["event_type"]),
    ("events-unknown-customer", make({"orders": ORDERS, "events": {"customer_id": ["zz"], "event_ts": ["2024-01-01"], "event_type": ["checkin"]}}), ["events", "neither customers nor orders"]),
    ("products-duplicate-sku", make({"orders": ORDERS, "products": {"sku": ["s1", "s1"]}}), ["products", "repeat"]),
    ("contacts-bad-ts", make({"orders": ORDERS, "contacts": {"customer_id": ["c1", "c2"], "contacted_ts": ["x", "y"]}}), ["contacted_ts", "a timestamp"]),
    ("ids-numbers-vs-text", make({"orders": orders(customer_id=["1", "2", "1"]),
                                  "events": {"customer_id": ["001"], "event_ts": ["2024-01-01"], "event_type": ["checkin"]}}), ["events", "001"]),
    ("bad-timezone", make({"orders": ORDERS, "dataset.yaml": "timezone: Mars/Olympus\n"}), ["timezone", "Mars/Olympus"]),
    # issue 12: ids, decimal locale, date formats, headers, Parquet types, compressed files
    ("ids-lost-leading-zeros", _ids_lost_leading_zeros, ["customers", "orders", "leading zeros", "'749'", "'00749'"]),
    ("customers-other-id-scheme", make({"orders": ORDERS, "customers": {"customer_id": ["m-101", "m-102", "c1"]}}),
     ["customers", "orders", "match no", "'m-101'", "'c2'"]),
    ("events-mostly-unknown-customers", make({"orders": ORDERS, "events": {
        "customer_id": ["x1", "x2", "c1"], "event_ts": ["2024-01-01"] * 3, "event_type": ["checkin"] * 3}}),
     ["events", "neither customers nor orders", "'x1'"]),
    ("items-mostly-unknown-orders", make({"orders": ORDERS, "order_items": {
        "order_id": ["A1", "A2", "o1"], "sku": ["s"] * 3, "quantity": ["1"] * 3}}), ["order_items", "not in orders", "'A1'"]),
    ("decimal-comma-amount", make({"orders": orders(amount=["1.299,00", "12,5", "30"])}),
     ["amount", "data.decimal", "'1.299,00'", "'12,5'"]),
    ("decimal-point-with-comma-locale", make({"orders": orders(amount=["12.5", "1.299,00", "30"])}),
     ["amount", "data.decimal", "'12.5'"]),
    ("ambiguous-day-month", make({"orders": orders(order_ts=["05/01/2024", "06/02/2024", "07/03/2024"])}),
     ["order_ts", "data.date_format", "'05/01/2024'"]),
    ("mixed-day-month", make({"orders": orders(order_ts=["13/01/2024", "01/13/2024", "05/01/2024"])}),
     ["order_ts", "'13/01/2024'", "'01/13/2024'"]),
    ("duplicate-header", make({"orders.csv": "order_id,customer_id,order_ts,amount,amount\no1,c1,2024-01-05,10,11\n"}),
     ["orders.csv", "'amount'", "more than once"]),
    ("parquet-timestamp-out-of-range", _parquet_orders(order_ts=pa.array(
        [dt.datetime(2024, 1, 5), dt.datetime(9999, 1, 6)], pa.timestamp("us"))), ["order_ts", "9999"]),
    ("truncated-csv-gz", _gz_orders(lambda b: b[: len(b) // 2]), ["orders.csv.gz", "truncated"]),
    ("corrupt-csv-gz", _gz_orders(lambda b: b[:20] + bytes(len(b) - 20)), ["orders.csv.gz"]),
]

CONFIG_CASES = [
    ("config-wrong-type", "generate:\n  customers: many\n", ["generate.customers"]),
    ("config-unknown-key", "featurez: {}\n", ["featurez"]),
    ("config-not-a-mapping", "- a\n- b\n", ["mapping"]),
    ("config-bad-yaml", "features: [unclosed\n", ["not valid YAML"]),
    ("config-bad-window", "features:\n  windows_days: [-30]\n", ["windows"]),
    ("config-password", "export:\n  db_url: postgresql://u:secret@h/db\n", ["REPURCHASE_DB_PASSWORD"]),
]


def _check(code: int, err: str, words: list[str]) -> None:
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err, err
    for w in words:
        assert w.lower() in err.lower(), f"{w!r} not in: {err}"


#: cases run with extra config (the rest use the defaults)
CASE_SETTINGS = {"decimal-point-with-comma-locale": ["--set", "data.decimal=','"]}


@pytest.mark.parametrize("case, build, words", CASES, ids=[c[0] for c in CASES])
def test_hostile_data_exits_2_with_a_clear_message(case, build, words, tmp_path, capsys):
    data = build(tmp_path / "data")
    out = tmp_path / "out"
    extra = CASE_SETTINGS.get(case, [])
    _check(main(["validate", str(data), *extra]), capsys.readouterr().err, words)
    # the same through a command that writes: nothing is written
    code = main(["features", str(data), "--as-of", "2024-06-01", "--out", str(out / "f.parquet"), *extra])
    _check(code, capsys.readouterr().err, words)
    assert not out.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file(tmp_path, capsys):
    _check(main(["validate", str(_unreadable(tmp_path / "d"))]), capsys.readouterr().err, ["orders"])


@pytest.mark.parametrize("case, text, words", CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_hostile_config_exits_2_naming_the_key(case, text, words, tmp_path, capsys):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text, encoding="utf-8")
    data = make({"orders": ORDERS})(tmp_path / "data")
    _check(main(["validate", str(data), "--config", str(cfg)]), capsys.readouterr().err, words + [str(cfg)])
    assert "secret" not in capsys.readouterr().err


def test_tolerant_applies_the_documented_rule_and_counts(tmp_path, capsys):
    """Row-level problems are quarantined with --tolerant: counted, written to rejects/, never silent."""
    data = make({"orders": orders(amount=["10", "1e15", "30"], order_ts=["2024-01-05", "2024-02-01", "1970-01-01"])})(tmp_path / "d")
    assert main(["validate", str(data), "--tolerant", "--rejects", str(tmp_path / "rej")]) == 0
    rejects = pd.read_csv(tmp_path / "rej" / "orders.csv")
    assert sorted(rejects["source_row"]) == [2, 3] and rejects["reject_reason"].str.len().min() > 10


def test_the_corpus_is_big_enough():
    assert len(CASES) + len(CONFIG_CASES) + 1 >= 30
