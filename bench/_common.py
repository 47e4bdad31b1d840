"""Helpers for benchmarks: wall time, peak RSS, and the machine they ran on."""

from __future__ import annotations

import os
import platform
import resource
import time
from contextlib import contextmanager


def peak_rss_gib() -> float:
    """Peak resident set size of this process so far, in GiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}"


@contextmanager
def timed(label: str, results: dict):
    t0 = time.perf_counter()
    yield
    results[label] = time.perf_counter() - t0
    print(f"  {label:<28} {results[label]:8.1f} s   peak RSS so far {peak_rss_gib():5.2f} GiB", flush=True)
