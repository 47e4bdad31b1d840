"""Benchmark: generating the synthetic retailer (default 1M customers, 730 days).

Run: .venv/bin/python bench/generate.py [--customers N] [--block-customers B] [--out DIR] [--check]
Prints wall time, peak RSS, rows and row groups per table and the size on disk; record the figures
in bench/RESULTS.md. ``--check`` then reads the files back one row group at a time (memory of one
row group, not of the tables): ids, references and timestamps, with the peak RSS of writing
printed before it.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine, peak_rss_gib, timed  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from repurchase.synthetic import SyntheticSpec, write_synthetic  # noqa: E402


def _numbers(ids) -> np.ndarray:
    """``C00012`` / ``O000000012`` -> 12."""
    return pc.cast(pc.utf8_slice_codeunits(ids, 1), pa.int64()).to_numpy()


def check(out: Path, spec: SyntheticSpec) -> None:
    """Customer ids 1..N in order and of one width; order ids 1..n in order (so unique); every
    order, line and event of a known customer or order; referrals inside a block; a group inside
    its store; every order, event and registration inside the history."""
    start = pd.Timestamp(spec.start).tz_localize(spec.timezone)
    end = start + pd.Timedelta(days=spec.days)

    def in_history(ts, what):
        mm = pc.min_max(ts).as_py()
        assert mm["min"] >= start and mm["max"] < end, (what, mm)

    c = pq.read_table(out / "customers.parquet", columns=["customer_id", "referred_by", "store_id", "group_id",
                                                            "registered_ts"])
    known = c["customer_id"].combine_chunks()
    assert (_numbers(known) == np.arange(1, spec.customers + 1)).all()
    assert pc.utf8_length(known).unique().to_pylist() == [len(str(spec.customers)) + 2]
    referred = c.filter(pc.is_valid(c["referred_by"]))
    block = spec.block_customers
    assert ((_numbers(referred["referred_by"]) - 1) // block == (_numbers(referred["customer_id"]) - 1) // block).all()
    members = c.filter(pc.is_valid(c["group_id"]))
    assert pc.all(pc.equal(pc.list_element(pc.split_pattern(members["group_id"], "-"), 0), members["store_id"])).as_py()
    in_history(c["registered_ts"], "registered_ts")
    print(f"  check: customers ok ({len(referred):,} referred, {len(pc.unique(c['store_id'])):,} stores, "
          f"{len(pc.unique(members['group_id'])):,} groups)", flush=True)
    del c, referred, members
    n_orders = 0
    for name, ts in (("orders", "order_ts"), ("events", "event_ts")):
        f = pq.ParquetFile(out / f"{name}.parquet")
        for i in range(f.num_row_groups):
            t = f.read_row_group(i, columns=["customer_id", ts] + (["order_id"] if name == "orders" else []))
            assert pc.all(pc.is_in(t["customer_id"], value_set=known)).as_py(), (name, i)
            in_history(t[ts], name)
            if name == "orders":
                assert (_numbers(t["order_id"]) == np.arange(n_orders + 1, n_orders + t.num_rows + 1)).all()
                n_orders += t.num_rows
    f = pq.ParquetFile(out / "order_items.parquet")
    for i in range(f.num_row_groups):
        o = _numbers(f.read_row_group(i, columns=["order_id"])["order_id"])
        assert o.min() >= 1 and o.max() <= n_orders
    print(f"  check: orders, order_items and events ok; peak RSS {peak_rss_gib():.2f} GiB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--block-customers", type=int, default=SyntheticSpec.block_customers,
                        help="customers simulated at a time [%(default)s]")
    parser.add_argument("--out", type=Path, default=None, help="keep the data here (default: a temp dir, removed)")
    parser.add_argument("--check", action="store_true", help="then read the files back and check them")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-gen-")) / "data"
    spec = SyntheticSpec(customers=args.customers, days=args.days, seed=42, block_customers=args.block_customers)
    print(f"generate {spec.customers:,} customers x {spec.days} days in {spec.n_blocks} block(s) of "
          f"{min(spec.block_customers, spec.customers):,} on {machine()}")
    r: dict[str, float] = {}
    with timed("generate + write (blocks)", r):
        paths = write_synthetic(out, spec, progress=sys.stderr.isatty())
    meta = {name: pq.ParquetFile(path).metadata for name, path in paths.items()}
    disk = sum(p.stat().st_size for p in out.iterdir()) / 1024**2
    print("  rows: " + ", ".join(f"{k} {m.num_rows:,}" for k, m in meta.items()))
    print("  row groups: " + ", ".join(f"{k} {m.num_row_groups}" for k, m in meta.items()))
    print(f"  total {sum(r.values()):.1f} s, peak RSS {peak_rss_gib():.2f} GiB, on disk {disk:,.0f} MiB", flush=True)
    if args.check:
        check(out, spec)
    if args.out is None:
        shutil.rmtree(out.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
