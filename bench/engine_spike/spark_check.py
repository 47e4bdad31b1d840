"""Do the same definitions run on Spark? Compile (Ibis, pyspark dialect) / transpile (SQLGlot, spark)
both groups, and with ``--run`` execute them on Spark ``local[2]`` over the same Parquet files and
compare with the DuckDB results. Called by ``run.py spark-check``."""

from __future__ import annotations

import tempfile
import time
import traceback

import numpy as np
import pandas as pd
import sqlglot

from common import RFM_COLUMNS, as_of_params, finish, parquet
from ibis_features import IbisEngine
from sql_features import SqlEngine, counted_types_sql, engagement_columns, engagement_sql, rfm_sql

DATES = ["2024-11-01", "2025-06-01", "2025-12-01"]


def _diff(a: pd.DataFrame, b: pd.DataFrame) -> str:
    m = a.merge(b, on=["customer_id", "as_of"], how="outer", suffixes=("", "_spark"), indicator=True)
    bad = (m["_merge"] != "both").sum()
    worst = []
    for c in [c for c in a.columns if c not in ("customer_id", "as_of")]:
        x = pd.to_numeric(m[c], errors="coerce").astype(float).to_numpy()
        y = pd.to_numeric(m[f"{c}_spark"], errors="coerce").astype(float).to_numpy()
        both = np.isfinite(x) & np.isfinite(y)
        d = float(np.abs(x[both] - y[both]).max()) if both.any() else 0.0
        nan = int((np.isnan(x) != np.isnan(y)).sum())
        if d > 1e-9 or nan:
            worst.append(f"{c}: max|d|={d:.3g}, NaN mismatches {nan}")
    return f"{len(m)} rows, {bad} unmatched keys; " + ("all columns equal" if not worst else "; ".join(worst))


def main(args) -> None:
    data = args.data
    sql = SqlEngine(data)
    ib = IbisEngine(data)
    tz = sql.tz
    params = as_of_params(DATES, tz)
    types = sql.counted_types(params)
    texts = {"rfm": rfm_sql(tz), "engagement": engagement_sql(tz, types)}

    print("== SQLGlot: transpile to spark (unsupported_level=RAISE)")
    spark_sql = {}
    for name, text in texts.items():
        try:
            spark_sql[name] = sqlglot.transpile(text, write="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)[0]
            print(f"  {name}: ok, {len(spark_sql[name]):,} characters")
        except Exception as exc:  # noqa: BLE001
            print(f"  {name}: FAILED {type(exc).__name__}: {exc}")

    print("== Ibis: compile to the pyspark dialect")
    import ibis
    asof = ibis.memtable(params)
    exprs = {"rfm": ib.rfm_expr(ib.tables["orders"], asof),
             "engagement": ib.engagement_expr(ib.tables["orders"], ib.tables["events"], ib.tables.get("customers"),
                                              asof, types)}
    for name, expr in exprs.items():
        try:
            text = ibis.to_sql(expr, dialect="pyspark")
            print(f"  {name}: ok, {len(text):,} characters")
        except Exception as exc:  # noqa: BLE001
            print(f"  {name}: FAILED {type(exc).__name__}: {exc}")

    if not args.run:
        return
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").appName("engine-spike")
             .config("spark.sql.session.timeZone", "UTC").config("spark.driver.memory", "4g")
             .config("spark.sql.shuffle.partitions", "4").config("spark.ui.enabled", "false")
             .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="spike-spark-")).getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    for t in ("orders", "events", "customers"):
        spark.read.parquet(parquet(data, t)).createOrReplaceTempView(t)
    spark.createDataFrame(params).createOrReplaceTempView("asof")
    ref = {"rfm": sql.rfm(DATES), "engagement": sql.engagement(DATES)}

    print("== SQLGlot SQL on Spark local[2]")
    for name, text in spark_sql.items():
        t0 = time.perf_counter()
        try:
            got = spark.sql(text).toPandas()
            cols = RFM_COLUMNS if name == "rfm" else engagement_columns(types)
            got = finish(got, params, tz, cols)
            print(f"  {name}: ran in {time.perf_counter() - t0:.1f} s; vs DuckDB: {_diff(ref[name], got)}")
        except Exception as exc:  # noqa: BLE001
            print(f"  {name}: FAILED {type(exc).__name__}: {str(exc)[:800]}")

    print("== Ibis expressions on the pyspark backend")
    con = ibis.pyspark.connect(spark)
    tables = {t: con.read_parquet(parquet(data, t), table_name=f"ibis_{t}") for t in ("orders", "events", "customers")}
    spark.createDataFrame(params).createOrReplaceTempView("ibis_asof")  # a temp view: nothing written
    asof_s = con.table("ibis_asof")
    exprs = {"rfm": ib.rfm_expr(tables["orders"], asof_s),
             "engagement": ib.engagement_expr(tables["orders"], tables["events"], tables["customers"], asof_s, types)}
    for name, expr in exprs.items():
        t0 = time.perf_counter()
        try:
            got = con.to_pandas(expr)
            cols = [c for c in got.columns if c not in ("customer_id", "as_of_key")]
            got = finish(got, params, tz, cols)
            print(f"  {name}: ran in {time.perf_counter() - t0:.1f} s; vs DuckDB: {_diff(ref[name], got)}")
        except Exception as exc:  # noqa: BLE001
            print(f"  {name}: FAILED {type(exc).__name__}: {str(exc)[:800]}")
            traceback.print_exc(limit=3)
    spark.stop()
