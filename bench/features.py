"""Benchmark: point-in-time features on the 1M-customer synthetic retailer, against DuckDB.

Run: .venv/bin/python bench/features.py [--data DIR] [--customers N]
(generates the data into --data first if it is not there). Reports wall time and peak RSS for:
loading the tables; core RFM at one as-of date (ours and a DuckDB SQL reference on the same
frames); the full feature set at one as-of date; twelve monthly as-of dates (a training spine).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine, peak_rss_gib, timed  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from repurchase.config import FeatureConfig  # noqa: E402
from repurchase.data.io import load_tables  # noqa: E402
from repurchase.synthetic import SyntheticSpec, write_synthetic  # noqa: E402
from repurchase.features import build_features  # noqa: E402
from repurchase.spine import schedule  # noqa: E402

WINDOWS = (30, 90, 180, 365)


def duckdb_core_rfm(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Recency, counts and spend per window, average order value: one GROUP BY in DuckDB."""
    import duckdb

    paid = orders[["customer_id", "order_ts", "amount", "status"]]
    t = as_of.tz_convert("UTC").tz_localize(None)
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.register("orders", paid)
    windows = ",\n".join(
        f"count(*) FILTER (WHERE ts >= TIMESTAMP '{t}' - INTERVAL {w} DAY) AS orders_{w}d,\n"
        f"coalesce(sum(amount) FILTER (WHERE ts >= TIMESTAMP '{t}' - INTERVAL {w} DAY), 0) AS spend_{w}d"
        for w in WINDOWS)
    sql = f"""
        WITH o AS (SELECT customer_id, timezone('UTC', order_ts) AS ts, amount FROM orders
                   WHERE (status IS NULL OR status = 'paid') AND timezone('UTC', order_ts) < TIMESTAMP '{t}')
        SELECT customer_id,
               date_diff('second', max(ts), TIMESTAMP '{t}') / 86400.0 AS days_since_last_order,
               count(*) AS orders_count, sum(amount) AS spend_total, avg(amount) AS avg_order_value,
               {windows}
        FROM o GROUP BY customer_id
    """
    out = con.execute(sql).df()
    con.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path("/tmp/bench1m/data"))
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    if not (args.data / "orders.parquet").is_file():
        print(f"generating {args.customers:,} customers into {args.data} ...")
        write_synthetic(args.data, SyntheticSpec(customers=args.customers, seed=42))
    print(f"features benchmark on {machine()}; data {args.data}")
    r: dict[str, float] = {}
    with timed("load + validate tables", r):
        tables, _ = load_tables(args.data)
    print("  rows: " + ", ".join(f"{k} {len(v):,}" for k, v in tables.as_dict().items()))
    tz = tables.timezone
    last = tables.orders["order_ts"].max()
    end = pd.Timestamp(last.date().replace(day=1)).tz_localize(tz)
    dates = schedule(end - pd.DateOffset(months=11), end, "monthly", tz)
    one = [dates[-1]]

    with timed("duckdb core RFM, 1 date", r):
        ref = duckdb_core_rfm(tables.orders, one[0])
    with timed("ours core RFM, 1 date", r):
        core = build_features(tables, one, config=FeatureConfig(groups=["rfm"]))
    # same numbers as the reference, or the comparison means nothing
    m = core.merge(ref, on="customer_id", suffixes=("", "_ref"))
    assert len(m) == len(ref) == len(core), (len(m), len(ref), len(core))
    for col in ["orders_count", "orders_30d", "orders_365d"]:
        assert (m[col].to_numpy() == m[f"{col}_ref"].to_numpy()).all(), col
    for col in ["spend_total", "spend_90d", "days_since_last_order", "avg_order_value"]:
        np.testing.assert_allclose(m[col], m[f"{col}_ref"], rtol=1e-4, atol=1e-3, err_msg=col)
    del core, ref, m
    with timed("ours full features, 1 date", r):
        full1 = build_features(tables, one)
    shape1 = full1.shape
    del full1
    with timed("ours full features, 12 dates", r):
        full12 = build_features(tables, dates)
    shape12 = full12.shape
    mem12 = full12.memory_usage(deep=False).sum() / 1024**3
    del full12

    print(f"\n  1 date: {shape1[0]:,} rows x {shape1[1]} columns; 12 dates: {shape12[0]:,} rows ({mem12:.2f} GiB in memory)")
    print(f"  core RFM / DuckDB          = {r['ours core RFM, 1 date'] / r['duckdb core RFM, 1 date']:.2f}x (target <= 1.5x)")
    print(f"  12 dates / 1 date (full)   = {r['ours full features, 12 dates'] / r['ours full features, 1 date']:.2f}x (target <= 4x)")
    print(f"  peak RSS                   = {peak_rss_gib():.2f} GiB (target < 8 GiB)")


if __name__ == "__main__":
    main()
