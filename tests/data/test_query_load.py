"""The query loader (issue 16): Parquet tables checked by DuckDB give the pandas loader's values,
and every directory the pandas loader refuses, rejects from or has to parse gives None."""

from __future__ import annotations

import datetime as dt
import decimal
import shutil
import sys
from pathlib import Path
from typing import Callable

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from repurchase.config import DataConfig
from repurchase.data.io import load_tables
from repurchase.data.query_load import load_query_tables
from repurchase.data.query_rules import WHITESPACE
from repurchase.errors import ConfigError, DataError
from repurchase.schema import TABLES
from repurchase.synthetic import SyntheticSpec, write_synthetic
from tests.conftest import literal_dir

NY = "America/New_York"


def _epochs_us(s: pd.Series) -> list:
    ns = s.array.asi8 if len(s) else np.array([], dtype=np.int64)
    assert not (ns[s.notna().to_numpy()] % 1000).any()
    return [None if na else int(v // 1000) for v, na in zip(ns, s.isna())]


def _pylist(s: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in s.astype(object)]


def assert_same_as_pandas(data_dir: Path, config: DataConfig | None = None, con=None) -> None:
    """load_query_tables gives QueryTables whose typed SELECTs equal load_tables' frames."""
    con = con or duckdb.connect()
    q = load_query_tables(data_dir, config, con=con)
    tables, _ = load_tables(data_dir, config)
    assert q is not None, "the query path should apply"
    assert q.present() == tables.present() and q.timezone == tables.timezone and not tables.rejects
    for name, frame in q.as_dict().items():
        pdf = getattr(tables, name)
        kinds = TABLES[name].kinds
        assert list(frame.exprs) == [c for c in pdf.columns if c in kinds]
        assert len(frame) == len(pdf)
        cols = ", ".join(f'epoch_us("{c}") AS "{c}"' if kinds[c] == "ts" else f'"{c}"' for c in frame.exprs)
        got = con.sql(f"SELECT {cols} FROM ({frame.select(row_number=True)}) ORDER BY _rn").to_arrow_table()
        for c in frame.exprs:
            mine = got[c]
            if kinds[c] == "float":
                np.testing.assert_array_equal(mine.to_numpy(), pdf[c].to_numpy(float), err_msg=f"{name}.{c}")
            elif kinds[c] == "ts":
                assert mine.to_pylist() == _epochs_us(pdf[c]), f"{name}.{c}"
            else:
                assert mine.to_pylist() == _pylist(pdf[c]), f"{name}.{c}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("qdemo") / "data"
    write_synthetic(out, SyntheticSpec(customers=600, days=400, seed=7))
    return out


def test_the_demo_is_read_by_queries_with_the_values_of_pandas(demo):
    assert_same_as_pandas(demo)


def _naive_copy(src: Path, dst: Path, tz: str) -> Path:
    """``src`` with every zoned timestamp as naive wall time in ``tz`` (and ``tz`` in dataset.yaml)."""
    dst.mkdir(parents=True)
    for path in src.glob("*.parquet"):
        t = pq.read_table(path)
        cols = [pc.local_timestamp(pc.cast(c, pa.timestamp(c.type.unit, tz))) if pa.types.is_timestamp(c.type) else c
                for c in t.columns]
        pq.write_table(pa.table(cols, names=t.column_names), dst / path.name)
    (dst / "dataset.yaml").write_text(f"timezone: {tz}\n", encoding="utf-8")
    return dst


def test_naive_timestamps_in_new_york_are_localised_as_pandas_does(demo, tmp_path):
    d = _naive_copy(demo, tmp_path / "ny", NY)
    # wall times in the spring-forward gap and the fall-back hour, in three units, and dates
    walls = [dt.datetime(2024, 3, 10, 2, 30), dt.datetime(2024, 3, 10, 2, 0), dt.datetime(2024, 3, 10, 3, 0),
             dt.datetime(2024, 11, 3, 1, 30), dt.datetime(2024, 11, 3, 0, 59, 59), dt.datetime(2024, 11, 3, 2, 0),
             dt.datetime(2024, 11, 3, 1, 0)]
    orders = pq.read_table(d / "orders.parquet").slice(0, len(walls))
    ids = [f"{v}-dst" for v in orders["order_id"].to_pylist()]
    for unit in ("s", "ms", "ns"):
        extra = orders.set_column(0, "order_id", pa.array([f"{i}{unit}" for i in ids], orders.schema.field(0).type))
        ts = pa.array(walls, pa.timestamp(unit)).cast(orders.schema.field("order_ts").type)
        extra = extra.set_column(orders.schema.get_field_index("order_ts"), "order_ts", ts)
        pq.write_table(pa.concat_tables([pq.read_table(d / "orders.parquet"), extra]), d / "orders.parquet")
    customers = pq.read_table(d / "customers.parquet")
    dates = pa.array([dt.date(2024, 3, 10) + dt.timedelta(days=i % 300) for i in range(len(customers))], pa.date32())
    pq.write_table(customers.set_column(1, "registered_ts", dates), d / "customers.parquet")
    assert_same_as_pandas(d)
    # nothing depends on the session's zone
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Kolkata'")
    assert_same_as_pandas(d, con=con)


@pytest.mark.parametrize("tz", ["America/New_York", "Europe/Dublin", "Australia/Lord_Howe", "America/Sao_Paulo",
                                "Asia/Tehran", "Europe/Moscow", "Pacific/Chatham", "Atlantic/Azores",
                                "America/Havana"])
def test_every_wall_time_near_a_zone_change_is_localised_as_pandas_does(tz, tmp_path):
    hours = pd.date_range("1995-01-01", "2024-12-31", freq="h", tz="UTC")
    wall = hours.tz_convert(tz).tz_localize(None)
    offsets = wall.asi8 - hours.asi8
    days = wall[1:][offsets[1:] != offsets[:-1]].normalize()
    walls = (days.values[:, None] + pd.timedelta_range("-1D", "2D", freq="10min").values[None, :]).ravel()
    n = len(walls)
    pq.write_table(pa.table({"order_id": [f"o{i}" for i in range(n)], "customer_id": ["c1"] * n,
                             "order_ts": pa.array(walls, pa.timestamp("us")), "amount": [1.0] * n}),
                   (tmp_path / "orders.parquet"))
    assert len(days) > 10
    assert_same_as_pandas(tmp_path, DataConfig(timezone=tz))


def test_integer_ids_ids_with_spaces_decimals_and_mapped_headers(tmp_path):
    decimal.getcontext().prec = 40
    n = 400
    rng = np.random.default_rng(3)
    cents = rng.integers(0, 10**9, n)
    pq.write_table(pa.table({
        "单号": pa.array(np.arange(n) + 10**12, pa.int64()),
        "customer_id": [f"{WHITESPACE[i % len(WHITESPACE)]}c{i % 37} " for i in range(n)],
        "order_ts": pa.array([dt.datetime(2024, 1, 1) + dt.timedelta(hours=7 * i) for i in range(n)], pa.timestamp("ms", "UTC")),
        "total": pa.array([decimal.Decimal(int(c)).scaleb(-2) for c in cents], pa.decimal128(12, 2)),
        "amount": ["not the amount"] * n,  # replaced by the mapped header, as pandas does
        "status": [["已支付", " PAID", "Refunded ", None, "  "][i % 5] for i in range(n)],
        "discount_amount": pa.array([None if i % 3 else float(i) for i in range(n)], pa.float32()),
        "store_id": pa.array([decimal.Decimal(i % 5) for i in range(n)], pa.decimal128(8, 0)),
        "country": ["cn"] * n,
    }), tmp_path / "orders.parquet")
    pq.write_table(pa.table({"order_id": pa.array(np.arange(n) + 10**12, pa.uint64()), "sku": pa.array(np.arange(n) % 7, pa.int32()),
                             "quantity": pa.array(np.arange(n) % 4, pa.int16()),
                             "unit_price": pa.array([decimal.Decimal(int(c)).scaleb(-6) for c in cents * 10**9], pa.decimal128(30, 6))}),
                   tmp_path / "order_items.parquet")
    pq.write_table(pa.table({"customer_id": [f"c{i}" for i in range(40)], "do_not_contact": [False, True, False, True] * 10}),
                   tmp_path / "customers.parquet")
    config = DataConfig(columns={"orders": {"order_id": "单号", "amount": "total"}}, status_values={"已支付": "paid"})
    assert_same_as_pandas(tmp_path, config)


def test_the_strip_of_sql_is_the_strip_of_pandas():
    chars = [chr(i) for i in range(sys.maxunicode + 1) if not 0xD800 <= i < 0xE000]
    stripped = pd.Series([c + "a" + c for c in chars], dtype="str").str.strip()
    assert {c for c, v in zip(chars, stripped) if v == "a"} == set(WHITESPACE)


# -- hostile and foreign directories: the pandas loader refuses or parses them, the query one says None

def _ts(*values, unit: str = "us", tz: str | None = None) -> pa.Array:
    return pa.array([None if v is None else dt.datetime.fromisoformat(v) for v in values], pa.timestamp(unit, tz))


ORDERS = {"order_id": ["o1", "o2", "o3"], "customer_id": ["c1", "c2", "c1"],
          "order_ts": _ts("2024-01-05 10:00", "2024-02-01 11:00", "2024-03-01 12:00"), "amount": [10.5, 20.0, 30.0]}
ITEMS = {"order_id": ["o1", "o2"], "sku": ["s1", "s2"], "quantity": [1.0, 2.0]}
EVENTS = {"customer_id": ["c1", "c2"], "event_ts": _ts("2024-01-01", "2024-01-02"), "event_type": ["checkin"] * 2}
CONTACTS = {"customer_id": ["c1", "c2"], "contacted_ts": _ts("2024-01-01", "2024-01-02")}


def orders(**change) -> dict:
    return {**ORDERS, **change}


def parquet(tables: dict[str, dict | pa.Table | bytes | str]) -> Callable[[Path], Path]:
    """A data directory: Parquet for dicts and tables, the bytes or text as given for a file name."""
    return literal_dir(tables, lambda d, name, content: pq.write_table(
        content if isinstance(content, pa.Table) else pa.table(content), d / f"{name}.parquet"))


def _duplicate_header(d: Path) -> Path:
    d.mkdir(parents=True)
    cols = [pa.array(v) if not isinstance(v, pa.Array) else v for v in ORDERS.values()] + [pa.array([1.0, 2.0, 3.0])]
    pq.write_table(pa.Table.from_arrays(cols, names=[*ORDERS, "amount"]), d / "orders.parquet")
    return d


def _empty_orders(d: Path) -> Path:
    d.mkdir(parents=True)
    pq.write_table(pa.table(ORDERS).slice(0, 0), d / "orders.parquet")
    return d


MAPPED = DataConfig(columns={"orders": {"order_id": "单号"}})

# (id, build, config): load_tables raises DataError (or ConfigError)
HOSTILE = [
    ("missing-dir", lambda d: d, None),
    ("no-orders", parquet({"customers": {"customer_id": ["c1"]}}), None),
    ("missing-order-ts", parquet({"orders": {k: v for k, v in ORDERS.items() if k != "order_ts"}}), None),
    ("mapped-header-absent", parquet({"orders": ORDERS}), MAPPED),
    ("empty-orders", _empty_orders, None),
    ("null-customer-id", parquet({"orders": orders(customer_id=["c1", None, "c1"])}), None),
    ("blank-customer-id", parquet({"orders": orders(customer_id=["c1", " \u3000", "c1"])}), None),
    ("nan-amount", parquet({"orders": orders(amount=[10.0, float("nan"), 30.0])}), None),
    ("all-null-amount", parquet({"orders": orders(amount=pa.array([None] * 3, pa.float64()))}), None),
    ("null-order-ts", parquet({"orders": orders(order_ts=_ts("2024-01-05", None, "2024-03-01"))}), None),
    ("duplicate-order-id", parquet({"orders": orders(order_id=["o1", "o1", "o3"])}), None),
    ("duplicate-order-id-once-trimmed", parquet({"orders": orders(order_id=["o1", " o1\t", "o3"])}), None),
    ("duplicate-integer-order-id", parquet({"orders": orders(order_id=pa.array([1, 1, 3], pa.int64()))}), None),
    ("customers-duplicate-id", parquet({"orders": ORDERS, "customers": {"customer_id": ["c1", "c1", "c2"]}}), None),
    ("products-duplicate-sku", parquet({"orders": ORDERS, "order_items": ITEMS, "products": {"sku": ["s1", "s1", "s2"]}}), None),
    ("negative-amount", parquet({"orders": orders(amount=[10.0, -5.0, 30.0])}), None),
    ("negative-paid-amount", parquet({"orders": orders(amount=[10.0, -5.0, 30.0], status=["paid", " Paid ", None])}), None),
    ("negative-null-status-amount", parquet({"orders": orders(amount=[10.0, -5.0, 30.0], status=["refunded", None, "paid"])}), None),
    ("negative-discount", parquet({"orders": orders(discount_amount=[0.0, -1.0, None])}), None),
    ("absurd-amount", parquet({"orders": orders(amount=[10.0, 1e15, 30.0])}), None),
    ("infinite-amount", parquet({"orders": orders(amount=[10.0, float("inf"), 30.0])}), None),
    ("minus-infinite-refund", parquet({"orders": orders(amount=[10.0, float("-inf"), 30.0], status=["paid", "refunded", "paid"])}), None),
    ("decimal-absurd-amount", parquet({"orders": orders(amount=pa.array([decimal.Decimal("10.00"), decimal.Decimal("1000000000.01"),
                                                                         decimal.Decimal("3.00")], pa.decimal128(14, 2)))}), None),
    ("unknown-status", parquet({"orders": orders(status=["paid", "shipped", "paid"])}), None),
    ("status-mapped-to-nothing", parquet({"orders": orders(status=["paid", "已发货", "paid"])}), DataConfig(status_values={"已支付": "paid"})),
    ("1970-timestamp", parquet({"orders": orders(order_ts=_ts("2024-01-05", "1970-01-01", "2024-03-01"))}), None),
    ("1989-local-timestamp", parquet({"orders": orders(order_ts=_ts("2024-01-05", "1989-12-31 23:30", "2024-03-01")),
                                      "dataset.yaml": "timezone: Asia/Shanghai\n"}), None),
    ("1989-date", parquet({"orders": orders(order_ts=pa.array([dt.date(2024, 1, 5), dt.date(1989, 12, 31), dt.date(2024, 3, 1)]))}), None),
    ("future-timestamp", parquet({"orders": orders(order_ts=_ts("2024-01-05", "2099-01-01", "2024-03-01", tz="UTC"))}), None),
    ("year-9999", parquet({"orders": orders(order_ts=_ts("2024-01-05", "9999-01-06", "2024-03-01"))}), None),
    ("expires-year-9999", parquet({"orders": ORDERS, "events": {**EVENTS, "expires_ts": _ts("2025-01-01", "9999-12-31", tz="UTC")}}), None),
    ("future-registration", parquet({"orders": ORDERS, "customers": {"customer_id": ["c1", "c2"], "registered_ts": _ts("2024-01-01", "2090-01-01")}}), None),
    ("contacts-1970", parquet({"orders": ORDERS, "contacts": {**CONTACTS, "contacted_ts": _ts("2024-01-01", "1970-01-01")}}), None),
    ("items-unknown-order", parquet({"orders": ORDERS, "order_items": {**ITEMS, "order_id": ["o1", "o9"]}}), None),
    ("items-missing-sku", parquet({"orders": ORDERS, "order_items": {"order_id": ["o1"], "quantity": [1.0]}}), None),
    ("events-unknown-customer", parquet({"orders": ORDERS, "events": {**EVENTS, "customer_id": ["c1", "zz"]}}), None),
    ("events-customer-only-in-customers-is-known-but-not-this", parquet({
        "orders": ORDERS, "customers": {"customer_id": ["c1", "c2", "c3"]}, "events": {**EVENTS, "customer_id": ["c3", "c4"]}}), None),
    ("contacts-unknown-customer", parquet({"orders": ORDERS, "contacts": {**CONTACTS, "customer_id": ["c1", "zz"]}}), None),
    ("events-missing-type", parquet({"orders": ORDERS, "events": {k: v for k, v in EVENTS.items() if k != "event_type"}}), None),
    ("customers-other-id-scheme", parquet({"orders": ORDERS, "customers": {"customer_id": ["m-101", "m-102", "c1"]}}), None),
    ("ids-lost-leading-zeros", parquet({"orders": orders(customer_id=["00749", "00750", "00749"]),
                                        "customers": {"customer_id": pa.array([749, 750], pa.int64())}}), None),
    ("ids-numbers-vs-text", parquet({"orders": orders(customer_id=["1", "2", "1"]), "events": {**EVENTS, "customer_id": ["001", "1"]}}), None),
    ("products-other-skus", parquet({"orders": ORDERS, "order_items": ITEMS, "products": {"sku": ["p-1", "p-2", "s1"]}}), None),
    ("duplicate-header", _duplicate_header, None),
    ("bad-timezone", parquet({"orders": ORDERS, "dataset.yaml": "timezone: Mars/Olympus\n"}), None),
    ("two-files-one-table", parquet({"orders": ORDERS, "orders.csv": "order_id,customer_id,order_ts,amount\n"}), None),
    ("corrupt-parquet", parquet({"orders.parquet": b"PAR1 this is not parquet"}), None),
]


@pytest.mark.parametrize("case, build, config", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_what_the_pandas_loader_refuses_gives_none(case, build, config, tmp_path):
    d = build(tmp_path / "data")
    with pytest.raises((DataError, ConfigError)):  # a bad timezone is a ConfigError
        load_tables(d, config)
    try:
        tables, _ = load_tables(d, config, tolerant=True)
    except (DataError, ConfigError):
        pass
    else:  # a row-level problem: tolerant, pandas rejects rows
        assert tables.rejects
    assert load_query_tables(d, config) is None
    assert load_query_tables(d, config, tolerant=True) is None


_TEXT_ORDERS = "order_id,customer_id,order_ts,amount\no1,c1,2024-01-05,10\n"

# (id, build): load_tables reads them (parsing values), the query loader leaves them to it
NEEDS_PANDAS = [
    ("csv", parquet({"orders.csv": _TEXT_ORDERS})),
    ("csv-customers", parquet({"orders": ORDERS, "customers.csv": "customer_id\nc1\n"})),
    ("text-amount", parquet({"orders": orders(amount=["10.5", "20", "30"])})),
    ("text-timestamp", parquet({"orders": orders(order_ts=["2024-01-05", "2024-02-01", "2024-03-01"])})),
    ("text-bool", parquet({"orders": ORDERS, "customers": {"customer_id": ["c1", "c2"], "do_not_contact": ["yes", "no"]}})),
    ("float-ids", parquet({"orders": orders(customer_id=[1.0, 2.0, 1.0])})),
    ("integer-category", parquet({"orders": ORDERS, "order_items": {**ITEMS, "category": [1, 2]}})),
    ("nanoseconds", parquet({"orders": orders(order_ts=pa.array([1704448800000000001, 1704448800000000000, 1704448800000000000],
                                                                 pa.timestamp("ns")))})),
    # Arrow lower-cases the dotted capital I to "i" (pandas accepts it); SQL takes ASCII words only
    ("unicode-status", parquet({"orders": orders(status=["paid", "PA\u0130D", "paid"])})),
    ("headers-equal-but-case", parquet({"orders": orders(Amount=[1.0, 2.0, 3.0])})),
    ("duckdb-row-number-header", parquet({"orders": orders(file_row_number=[1, 2, 3])})),
]


@pytest.mark.parametrize("case, build", NEEDS_PANDAS, ids=[c[0] for c in NEEDS_PANDAS])
def test_what_needs_parsing_gives_none(case, build, tmp_path):
    d = build(tmp_path / "data")
    load_tables(d)
    assert load_query_tables(d) is None


def test_a_bool_column_with_nulls_is_left_to_pandas(tmp_path):
    """Arrow gives pandas True/None objects there: the pandas loader reads them as a nullable
    boolean (it raised AttributeError before); the query path leaves the column to it."""
    d = parquet({"orders": ORDERS, "customers": {"customer_id": ["c1", "c2"], "do_not_contact": [True, None]}})(tmp_path)
    assert load_query_tables(d) is None
    flags = load_tables(d)[0].customers["do_not_contact"]
    assert str(flags.dtype) == "boolean" and flags.isna().tolist() == [False, True] and bool(flags.iloc[0])


# what both loaders accept: the query loader gives pandas' values
ACCEPTED = [
    ("refunded-negative-amount", parquet({"orders": orders(amount=[10.0, -5.0, 30.0], status=["paid", " REFUNDED", None])}), None),
    ("coupon-expiring-in-2099", parquet({"orders": ORDERS, "events": {**EVENTS, "expires_ts": _ts("2099-01-01", None)}}), None),
    ("members-who-never-bought", parquet({"orders": ORDERS, "customers": {"customer_id": ["c1", "c2", "c9"]},
                                          "events": {**EVENTS, "customer_id": ["c9", "c1"]}}), None),
    ("zoned-1989-that-is-1990-locally", parquet({"orders": orders(order_ts=_ts("2024-01-05", "1989-12-31 17:00", "2024-03-01", tz="UTC")),
                                                 "dataset.yaml": "timezone: Asia/Shanghai\n"}), None),
    ("mapped-status-and-header", parquet({"orders": {**{("单号" if k == "order_id" else k): v for k, v in ORDERS.items()},
                                                     "status": ["已支付", "cancelled", "已支付"]}}),
     DataConfig(columns={"orders": {"order_id": "单号"}}, status_values={"已支付": "paid"})),
    ("empty-optional-table", parquet({"orders": ORDERS, "contacts": pa.table(CONTACTS).slice(0, 0)}), None),
]


@pytest.mark.parametrize("case, build, config", ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_what_both_loaders_accept(case, build, config, tmp_path):
    assert_same_as_pandas(build(tmp_path / "data"), config)


def test_the_connection_is_left_usable(tmp_path):
    con = duckdb.connect()
    d = parquet({"orders": ORDERS})(tmp_path)
    q = load_query_tables(d, con=con)
    assert con.sql(f"SELECT count(*) FROM ({q.orders.select()})").fetchall() == [(3,)]
