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
from repurchase.errors import DataError
from repurchase.schema import TABLES
from repurchase.synthetic import SyntheticSpec, write_synthetic
from tests.conftest import write_csv

NY = "America/New_York"


def _epochs_us(s: pd.Series) -> list:
    ns = s.array.asi8 if len(s) else np.array([], dtype=np.int64)
    assert not (ns[s.notna().to_numpy()] % 1000).any()
    return [None if na else int(v // 1000) for v, na in zip(ns, s.isna())]


def _pylist(s: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in s.astype(object)]


def assert_same_as_pandas(data_dir: Path, config: DataConfig | None = None) -> None:
    """load_query_tables gives QueryTables whose typed SELECTs equal load_tables' frames."""
    con = duckdb.connect()
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
