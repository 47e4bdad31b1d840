"""How each approach reports a wrong column, a missing column in the data and a mistyped column.

Run: /work/spike_venv/bin/python bench/engine_spike/errors_demo.py [DEMO_DIR]
Writes modified copies of the demo tables into a temp dir; prints the first lines of each error.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import sqlglot  # noqa: E402
from sqlglot.optimizer.qualify import qualify  # noqa: E402

import ibis_features  # noqa: E402
import sql_features  # noqa: E402
from common import as_of_params  # noqa: E402

DATES = ["2025-06-01"]


def first_lines(exc: BaseException, n: int = 4) -> str:
    text = f"{type(exc).__name__}: {exc}"
    lines = [line for line in text.splitlines() if line.strip()]
    return "\n      ".join(line[:220] for line in lines[:n])


def attempt(label: str, fn) -> None:
    try:
        fn()
        print(f"  {label}: no error")
    except Exception as exc:  # noqa: BLE001
        print(f"  {label}:\n      {first_lines(exc)}")


def variant(src: Path, dst: Path, table: str, change) -> Path:
    shutil.copytree(src, dst)
    t = pq.read_table(dst / f"{table}.parquet")
    pq.write_table(change(t), dst / f"{table}.parquet")
    return dst


def main() -> None:
    demo = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/spike_demo")
    tmp = Path(tempfile.mkdtemp(prefix="spike-errors-"))
    no_reg = variant(demo, tmp / "no_registered", "customers", lambda t: t.drop(["registered_ts"]))
    str_amount = variant(demo, tmp / "str_amount", "orders",
                         lambda t: t.set_column(t.schema.get_field_index("amount"), "amount",
                                                pc.cast(t["amount"], pa.string())))

    print("1. a typo in the definition (amount -> amout)")
    eng = sql_features.SqlEngine(str(demo))
    bad_sql = sql_features.rfm_sql(eng.tz).replace("ROUND(amount", "ROUND(amout")
    params = as_of_params(DATES, eng.tz)
    attempt("SQL on DuckDB", lambda: eng.run(bad_sql, params))
    schema = {"orders": dict(eng.con.execute("SELECT column_name, column_type FROM (DESCRIBE orders)").fetchall()),
              "asof": {c: "BIGINT" for c in params.columns}}
    attempt("SQL checked by sqlglot qualify() against the Parquet schema, before any engine",
            lambda: qualify(sqlglot.parse_one(bad_sql), schema=schema, validate_qualify_columns=True))
    ie = ibis_features.IbisEngine(str(demo))
    o = ie.tables["orders"]
    attempt("Ibis (at expression build time)", lambda: o.select(cents=o.amout * 100))

    print("2. the data lacks a column the definition uses (customers.registered_ts)")
    attempt("SQL on DuckDB", lambda: sql_features.SqlEngine(str(no_reg)).engagement(DATES))
    attempt("Ibis", lambda: ibis_features.IbisEngine(str(no_reg)).engagement(DATES))

    print("3. a column of the wrong type (orders.amount as text)")
    attempt("SQL on DuckDB", lambda: sql_features.SqlEngine(str(str_amount)).rfm(DATES))
    attempt("Ibis", lambda: ibis_features.IbisEngine(str(str_amount)).rfm(DATES))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
