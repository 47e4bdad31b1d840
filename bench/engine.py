"""Benchmark for issue 16: the user's commands on the 1M-customer retailer, from the Parquet files,
beside one DuckDB reference query over the same files.

Run: .venv/bin/python bench/engine.py --data DIR [--as-of 2025-12-01] [--only ref,features,...]
     (generate the data first: repurchase generate --out DIR --customers 1000000)

Every measure is a fresh process under ``/usr/bin/time -v``: wall, user CPU and peak RSS include
the interpreter, the imports and the loading of the tables, as a user's run does.

- ``ref``: one DuckDB SQL query over the Parquet files: paid orders' recency, counts and spend
  per window, event counts per type in 30 and 90 days, and the R/F/M quintiles, at one date.
- ``features``: ``repurchase features DATA --as-of D --out F`` (every default group).
- ``spine12``: the same over the 12 monthly dates ending at D (a training spine).
- ``retrain``: ``repurchase retrain DATA --no-mlflow --models-dir M`` (the default models).
- ``score``: ``repurchase score DATA --as-of D --models M --out L`` (both lists).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine  # noqa: E402

import pandas as pd  # noqa: E402

from repurchase.data.read import resolve_timezone  # noqa: E402

REF_SQL = """
WITH o AS (
  SELECT customer_id, epoch(order_ts) AS ts, amount
  FROM read_parquet('{data}/orders.parquet')
  WHERE (status IS NULL OR status = 'paid') AND epoch(order_ts) < {t}
), rfm AS (
  SELECT customer_id, ({t} - max(ts)) / 86400.0 AS days_since_last_order, count(*) AS orders_count,
         sum(amount) AS spend_total, avg(amount) AS avg_order_value,
         {windows}
  FROM o GROUP BY customer_id
), e AS (
  SELECT customer_id, {events}
  FROM read_parquet('{data}/events.parquet')
  WHERE epoch(event_ts) < {t} AND epoch(event_ts) >= {t} - 90 * 86400
  GROUP BY customer_id
)
SELECT r.*, e.* EXCLUDE (customer_id),
       ntile(5) OVER (ORDER BY days_since_last_order DESC) AS r_score,
       ntile(5) OVER (ORDER BY orders_count) AS f_score,
       ntile(5) OVER (ORDER BY spend_total) AS m_score
FROM rfm r LEFT JOIN e USING (customer_id)
"""


def reference(data: Path, as_of: str) -> None:
    """The reference query (run in a child process by ``main``)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    tz = resolve_timezone(data, None)  # dataset.yaml's zone, as the package reads it
    t = int(pd.Timestamp(as_of, tz=tz).timestamp())
    types = [r[0] for r in con.execute(f"SELECT DISTINCT event_type FROM read_parquet('{data}/events.parquet') "
                                       "ORDER BY 1").fetchall()]
    windows = ",\n".join(f"count(*) FILTER (WHERE ts >= {t} - {w} * 86400) AS orders_{w}d, "
                         f"coalesce(sum(amount) FILTER (WHERE ts >= {t} - {w} * 86400), 0) AS spend_{w}d"
                         for w in (30, 90, 180, 365))
    events = ",\n".join(f"count(*) FILTER (WHERE event_type = '{k}' AND epoch(event_ts) >= {t} - {w} * 86400) "
                        f"AS \"{k}_{w}d\"" for k in types for w in (30, 90))
    out = con.sql(REF_SQL.format(data=data, t=t, windows=windows, events=events)).to_arrow_table()
    print(f"reference: {out.num_rows:,} rows x {out.num_columns} columns")


def timed_run(cmd: list[str]) -> dict:
    """Run ``cmd`` under /usr/bin/time -v: wall seconds, user CPU seconds, peak RSS GiB."""
    done = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:])
        raise SystemExit(f"failed: {' '.join(cmd)}")
    err = done.stderr
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", err).group(1)
    parts = [float(p) for p in wall.split(":")]
    seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    user = float(re.search(r"User time \(seconds\): (\S+)", err).group(1))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1)) / 1024**2
    tail = [line for line in done.stdout.splitlines() if line.strip()][-3:]
    return {"wall_s": round(seconds, 1), "user_s": round(user, 1), "peak_gib": round(rss, 2), "said": " | ".join(tail)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--as-of", default="2025-12-01")
    p.add_argument("--only", default="ref,features,spine12,retrain,score")
    p.add_argument("--work", type=Path, default=None, help="where models and outputs go (default: a temp dir)")
    p.add_argument("--reference", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.reference:
        return reference(args.data, args.as_of)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_engine_"))
    cli = [sys.executable, "-m", "repurchase"]
    start = (pd.Timestamp(args.as_of) - pd.DateOffset(months=11)).date().isoformat()
    commands = {
        "ref": [sys.executable, __file__, "--reference", "--data", str(args.data), "--as-of", args.as_of],
        "features": [*cli, "features", str(args.data), "--as-of", args.as_of, "--out", str(work / "f1.parquet")],
        "spine12": [*cli, "features", str(args.data), "--schedule", start, args.as_of, "--out", str(work / "f12.parquet")],
        "retrain": [*cli, "retrain", str(args.data), "--no-mlflow", "--models-dir", str(work / "models")],
        "score": [*cli, "score", str(args.data), "--as-of", args.as_of, "--models", str(work / "models"),
                  "--out", str(work / "lists")],
    }
    print(f"machine: {machine()}; data {args.data}; as of {args.as_of}; work {work}")
    rows = []
    for name in args.only.split(","):
        r = {"measure": name, **timed_run(commands[name])}
        rows.append(r)
        print(f"  {name:<9} wall {r['wall_s']:7.1f} s  user {r['user_s']:7.1f} s  peak {r['peak_gib']:5.2f} GiB  {r['said'][:160]}",
              flush=True)
    print("\n| measure | wall s | user CPU s | peak GiB |\n| --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['measure']} | {r['wall_s']} | {r['user_s']} | {r['peak_gib']} |")


if __name__ == "__main__":
    main()
