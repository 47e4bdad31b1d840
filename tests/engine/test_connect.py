"""DuckDB connections: the memory limit is half the machine's unless configured."""

from __future__ import annotations

import os

from repurchase.engine import connect


def _limit_bytes(con) -> float:
    value, unit = con.con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0].split()
    return float(value) * {"MiB": 2**20, "GiB": 2**30, "KiB": 2**10, "TiB": 2**40}[unit]


def test_default_memory_limit_is_half_the_machine():
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert abs(_limit_bytes(connect()) - total / 2) < 0.01 * total


def test_a_configured_memory_limit_is_kept():
    # shown to 0.1 GiB: 1500MB is 1.40 GiB
    assert abs(_limit_bytes(connect(memory_limit="1500MB")) - 1500 * 10**6) < 0.11 * 2**30
