"""Benchmark: generating the synthetic retailer (default 1M customers, 730 days).

Run: .venv/bin/python bench/generate.py [--customers N] [--out DIR]
Prints wall time per step and peak RSS; record the figures in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine, peak_rss_gib, timed  # noqa: E402

import pyarrow.parquet as pq  # noqa: E402

from repurchase.synthetic import SyntheticSpec, write_synthetic  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--out", type=Path, default=None, help="keep the data here (default: a temp dir, removed)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-gen-")) / "data"
    spec = SyntheticSpec(customers=args.customers, days=args.days, seed=42)
    print(f"generate {spec.customers:,} customers x {spec.days} days on {machine()}")
    r: dict[str, float] = {}
    with timed("generate + write (streamed)", r):
        paths = write_synthetic(out, spec)
    rows = {name: pq.ParquetFile(path).metadata.num_rows for name, path in paths.items()}
    disk = sum(p.stat().st_size for p in out.iterdir()) / 1024**2
    print("  rows: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    print(f"  total {sum(r.values()):.1f} s, peak RSS {peak_rss_gib():.2f} GiB, on disk {disk:,.0f} MiB")
    if args.out is None:
        shutil.rmtree(out.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
