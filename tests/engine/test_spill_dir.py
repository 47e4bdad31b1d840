"""DuckDB's spill directory: private to the run, and a killed run's is removed by the next one."""

from __future__ import annotations

import os
import subprocess
import sys

from repurchase.engine import sweep_stale_spill_dirs


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_dead_process_spill_dir_is_removed_and_a_live_one_kept(tmp_path):
    dead = tmp_path / f"repurchase-duckdb-{_dead_pid()}-abc123"
    (dead / "duckdb_temp_storage").mkdir(parents=True)
    (dead / "duckdb_temp_storage" / "block-1.tmp").write_bytes(b"x" * 100)
    live = tmp_path / f"repurchase-duckdb-{os.getpid()}-def456"
    live.mkdir()
    other = tmp_path / "repurchase-duckdb-notapid-xyz"
    other.mkdir()
    unrelated = tmp_path / "something-else-1"
    unrelated.mkdir()

    removed = sweep_stale_spill_dirs(tmp_path)

    assert removed == [dead]
    assert not dead.exists()
    assert live.exists() and other.exists() and unrelated.exists()


def test_a_killed_run_leaves_nothing_after_the_next_connection(tmp_path):
    # a child connects (creating its spill directory) and is SIGKILLed: no exit handler runs
    env = dict(os.environ, TMPDIR=str(tmp_path))
    code = ("import os, signal, repurchase.engine as e; e.connect(); "
            "os.kill(os.getpid(), signal.SIGKILL)")
    subprocess.run([sys.executable, "-c", code], env=env)
    left = list(tmp_path.glob("repurchase-duckdb-*"))
    assert len(left) == 1  # the killed run's directory is still there
    # the next run's first connection removes it; its own is removed at its exit
    subprocess.run([sys.executable, "-c", "import repurchase.engine as e; e.connect()"], env=env, check=True)
    assert list(tmp_path.glob("repurchase-duckdb-*")) == []
