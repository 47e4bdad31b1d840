"""The engine spike (issue 16): Ibis expressions vs dialect-neutral SQL (SQLGlot) on DuckDB.

One command each (from the repo root, with the spike venv):

  python bench/engine_spike/run.py compare --data /tmp/spike_demo            # correctness vs the package
  python bench/engine_spike/run.py one --approach sql --group rfm --dates 1 --data DIR   # one measurement
  python bench/engine_spike/run.py bench --data /work/spike_data/1m           # every measurement, each in a
                                                                             # fresh process under /usr/bin/time -v
  python bench/engine_spike/run.py spark-check --data /tmp/spike_demo         # compile / transpile for Spark
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

KEYS = ["customer_id", "as_of"]
TIMINGS: dict[str, float] = {}


def monthly_dates(data_dir: str, n: int) -> list[str]:
    """The n monthly as-of dates ending at the 1st of the last order's month (as bench/features.py)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from common import timezone_of

    tz = timezone_of(data_dir)
    last = pd.Timestamp(pc.max(pq.read_table(Path(data_dir) / "orders.parquet", columns=["order_ts"])["order_ts"]).as_py())
    end = pd.Timestamp(last.tz_convert(tz).date().replace(day=1))
    return [d.date().isoformat() for d in pd.date_range(end - pd.DateOffset(months=n - 1), end, freq="MS")]


def package_group(data_dir: str, group: str, dates: list[str], dtype: str = "float32") -> pd.DataFrame:
    """The package's current path for one group: load + validate tables, spine, the group's builder."""
    from repurchase._timeline import epoch_seconds
    from repurchase.config import FeatureConfig
    from repurchase.data.io import load_tables
    from repurchase.features import build_features
    from repurchase.features._context import FeatureContext
    from repurchase.features.engagement import engagement
    from repurchase.spine import CustomerIndex, build_spine

    t0 = time.perf_counter()
    tables, _ = load_tables(data_dir)
    TIMINGS["load_s"] = round(time.perf_counter() - t0, 2)
    if group == "rfm":
        return build_features(tables, dates, config=FeatureConfig(groups=["rfm"], dtype=dtype))
    config = FeatureConfig(groups=["engagement"], dtype=dtype)
    index = CustomerIndex.from_tables(tables)
    spine = build_spine(tables, dates, index=index)
    ctx = FeatureContext(tables, index, index.codes(spine["customer_id"]), epoch_seconds(spine["as_of"]), config)
    cols = {k: np.asarray(v, dtype=dtype) for k, v in engagement(ctx).items()}
    return pd.concat([spine.reset_index(drop=True), pd.DataFrame(cols)], axis=1)


def engine(approach: str, data_dir: str, threads: int):
    if approach == "ibis_old_fq":
        from ibis_multidate import IbisOldJoinFreqQuintile
        return IbisOldJoinFreqQuintile(data_dir, threads=threads)
    if approach == "ibis_md_pivot":
        from ibis_multidate import IbisMultiDatePivot
        return IbisMultiDatePivot(data_dir, threads=threads)
    if approach == "ibis_md_union":
        from ibis_multidate import IbisMultiDateUnion
        return IbisMultiDateUnion(data_dir, threads=threads)
    if approach == "ibis_md":
        from ibis_multidate import IbisMultiDate
        return IbisMultiDate(data_dir, threads=threads)
    if approach == "ibis":
        from ibis_features import IbisEngine
        return IbisEngine(data_dir, threads=threads)
    from sql_features import SqlEngine
    return SqlEngine(data_dir, threads=threads)


def compute(approach: str, group: str, data_dir: str, dates: list[str], threads: int = 1) -> pd.DataFrame:
    if approach == "package":
        return package_group(data_dir, group, dates)
    e = engine(approach, data_dir, threads)
    return getattr(e, group)(dates)


# -- compare ---------------------------------------------------------------------------------

def compare(args) -> None:
    dates = args.as_of or ["2024-11-01", "2025-06-01", "2025-12-01"]
    rows = []
    for group in args.groups.split(","):
        ref = package_group(args.data, group, dates, dtype="float64")
        for approach in args.approaches.split(","):
            mine = compute(approach, group, args.data, dates)
            m = ref.merge(mine, on=KEYS, how="outer", suffixes=("_pkg", ""), indicator=True)
            only = m["_merge"].value_counts().to_dict()
            for col in [c for c in mine.columns if c not in KEYS]:
                if f"{col}_pkg" not in m.columns and col not in ref.columns:
                    rows.append({"group": group, "approach": approach, "column": col, "note": "not in package"})
                    continue
                a = pd.to_numeric(m[f"{col}_pkg"] if f"{col}_pkg" in m.columns else m[col], errors="coerce").astype(float).to_numpy()
                b = pd.to_numeric(m[col], errors="coerce").astype(float).to_numpy()
                both = np.isfinite(a) & np.isfinite(b)
                nan_mismatch = int((np.isnan(a) != np.isnan(b)).sum())
                diff = np.abs(a[both] - b[both])
                rows.append({"group": group, "approach": approach, "column": col,
                             "rows": len(m), "max_abs_diff": float(diff.max()) if len(diff) else 0.0,
                             "rows_differing": int((diff > 1e-9).sum()), "nan_mismatch": nan_mismatch,
                             "left_only": only.get("left_only", 0), "right_only": only.get("right_only", 0)})
            missing = [c for c in ref.columns if c not in mine.columns and c not in KEYS]
            if missing:
                rows.append({"group": group, "approach": approach, "column": ",".join(missing),
                             "note": "package column not produced"})
    out = pd.DataFrame(rows)
    out.to_csv(HERE / f"correctness_{Path(args.data).name}{args.suffix}.csv", index=False)
    with pd.option_context("display.max_rows", 500, "display.width", 200):
        print(out.to_string(index=False))


# -- one measurement -------------------------------------------------------------------------

def one(args) -> None:
    dates = monthly_dates(args.data, args.dates)
    t0 = time.perf_counter()
    frame = compute(args.approach, args.group, args.data, dates, args.threads)
    wall = time.perf_counter() - t0
    print(json.dumps({"approach": args.approach, "group": args.group, "dates": args.dates,
                      "rows": len(frame), "columns": frame.shape[1], "inner_wall_s": round(wall, 2),
                      "first": dates[0], "last": dates[-1], **TIMINGS}))


def bench(args) -> None:
    results = []
    out_csv = HERE / f"bench_{Path(args.data).name}.csv"
    approaches = args.approaches.split(",")
    for group in args.groups.split(","):
        for n in (1, 12):
            for approach in approaches:
                cmd = ["nice", "-n", "10", "/usr/bin/time", "-v", sys.executable, str(Path(__file__).resolve()), "one",
                       "--approach", approach, "--group", group, "--dates", str(n), "--data", args.data,
                       "--threads", str(args.threads)]
                print("$", " ".join(cmd), flush=True)
                p = subprocess.run(cmd, capture_output=True, text=True)
                info = {"approach": approach, "group": group, "dates": n, "rc": p.returncode}
                for line in p.stdout.splitlines():
                    if line.startswith("{"):
                        info.update(json.loads(line))
                rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
                el = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", p.stderr)
                if el:
                    parts = [float(x) for x in el.group(1).split(":")]
                    info["wall_s"] = round(sum(v * 60 ** i for i, v in enumerate(reversed(parts))), 2)
                if rss:
                    info["peak_rss_gib"] = round(int(rss.group(1)) / 1024**2, 2)
                if p.returncode:
                    info["error"] = p.stderr.strip().splitlines()[-1][:300]
                print("  ", info, flush=True)
                results.append(info)
                pd.DataFrame(results).to_csv(out_csv, index=False)
    print(pd.DataFrame(results).to_string(index=False))


# -- spark ------------------------------------------------------------------------------------

def spark_check(args) -> None:
    from spark_check import main as spark_main
    spark_main(args)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare")
    c.add_argument("--data", default="/tmp/spike_demo")
    c.add_argument("--as-of", nargs="*")
    c.add_argument("--groups", default="rfm,engagement")
    c.add_argument("--approaches", default="ibis,sql")
    c.add_argument("--suffix", default="", help="appended to the correctness csv name")
    o = sub.add_parser("one")
    o.add_argument("--approach", choices=["ibis", "ibis_md", "ibis_md_union", "ibis_md_pivot", "ibis_old_fq", "sql", "package"], required=True)
    o.add_argument("--group", choices=["rfm", "engagement"], required=True)
    o.add_argument("--dates", type=int, default=1)
    o.add_argument("--data", required=True)
    o.add_argument("--threads", type=int, default=1)
    b = sub.add_parser("bench")
    b.add_argument("--data", required=True)
    b.add_argument("--threads", type=int, default=1)
    b.add_argument("--groups", default="rfm,engagement")
    b.add_argument("--approaches", default="sql,ibis,package")
    s = sub.add_parser("spark-check")
    s.add_argument("--data", default="/tmp/spike_demo")
    s.add_argument("--run", action="store_true", help="also run both on Spark local[2] and compare with DuckDB")
    args = p.parse_args()
    {"compare": compare, "one": one, "bench": bench, "spark-check": spark_check}[args.cmd](args)


if __name__ == "__main__":
    main()
