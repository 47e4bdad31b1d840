"""Property-based fuzzing of the loaders and validation: whatever bytes or cells arrive, loading
ends in tables or in a RepurchaseError (exit code 2), never in another exception."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repurchase.data.io import load_tables
from repurchase.errors import RepurchaseError
from repurchase.schema import TABLES

EXAMPLES = int(os.environ.get("REPURCHASE_HYPOTHESIS_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

cell = st.one_of(
    st.just(""), st.text(max_size=12), st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["2024-01-05", "2024-01-05 10:00:00+08:00", "1970-01-01", "2999-12-31", "45123.5", "NaT", "None",
                     "paid", "refunded", "是", "否", "true", "0", "¥1,234.50", "  o1  ", "00123"]),
)


def _columns(table: str):
    canonical = list(TABLES[table].kinds)
    return st.lists(st.sampled_from(canonical + ["junk", "备注"]), min_size=1, max_size=len(canonical) + 1, unique=True)


@st.composite
def csv_table(draw, table: str) -> str:
    cols = draw(_columns(table))
    rows = draw(st.lists(st.lists(cell, min_size=len(cols), max_size=len(cols)), max_size=6))
    quote = lambda v: '"' + v.replace('"', '""') + '"'  # noqa: E731
    return "\n".join([",".join(cols)] + [",".join(quote(v) for v in r) for r in rows]) + "\n"


def _load(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for name, content in files.items():
            (d / name).write_bytes(content)
        try:
            load_tables(d)
        except RepurchaseError:
            pass  # a clear, user-facing error is a correct outcome


@FUZZ
@given(csv_table("orders"))
def test_orders_csv_never_crashes(text):
    _load({"orders.csv": text.encode("utf-8")})


@FUZZ
@given(csv_table("orders"), st.sampled_from(["order_items", "customers", "events", "products", "contacts"]), st.data())
def test_every_table_never_crashes(orders, table, data):
    other = data.draw(csv_table(table))
    _load({"orders.csv": orders.encode("utf-8"), f"{table}.csv": other.encode("utf-8")})


@FUZZ
@given(st.binary(max_size=200), st.sampled_from(["orders.csv", "orders.csv.gz", "orders.parquet", "dataset.yaml"]))
def test_arbitrary_bytes_never_crash(raw, name):
    files = {name: raw}
    if name == "dataset.yaml":
        files["orders.csv"] = b"order_id,customer_id,order_ts,amount\no1,c1,2024-01-05,10\n"
    _load(files)
