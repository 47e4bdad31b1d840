"""The CLI's contract: exit codes, one-paragraph errors, no tracebacks without --debug."""

from __future__ import annotations

import subprocess
import sys

import pytest

from repurchase.cli import main
from tests.conftest import write_csv


def test_version_and_help(capsys):
    assert main(["--version"]) == 0
    assert "repurchase" in capsys.readouterr().out
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("generate", "validate", "import", "metrics"):
        assert command in out


def test_usage_error_exits_2(capsys):
    assert main(["metrics"]) == 2  # missing DATA_DIR
    assert "DATA_DIR" in capsys.readouterr().err


def test_python_dash_m_runs_without_traceback(tmp_path):
    """The real console path: a data error prints one paragraph and no traceback."""
    write_csv(tmp_path, "orders", [{"order_id": "1", "customer_id": "a", "amount": "3"}])
    proc = subprocess.run([sys.executable, "-m", "repurchase", "validate", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "order_ts" in proc.stderr


def test_debug_shows_traceback(tmp_path):
    write_csv(tmp_path, "orders", [{"order_id": "1", "customer_id": "a", "amount": "3"}])
    with pytest.raises(Exception, match="order_ts"):
        main(["--debug", "validate", str(tmp_path)])


def test_generate_validate_metrics_round_trip(tmp_path, capsys, seed):
    data = tmp_path / "data"
    assert main(["generate", "--out", str(data), "--customers", "300", "--days", "120", "--seed", str(seed)]) == 0
    assert (data / "orders.parquet").is_file() and (data / "ground_truth.parquet").is_file()
    assert main(["validate", str(data)]) == 0
    out = capsys.readouterr().out
    assert "valid (timezone Asia/Shanghai)" in out
    assert main(["metrics", str(data), "--period", "quarter", "--by", "channel", "--out", str(tmp_path / "m")]) == 0
    out = capsys.readouterr().out
    assert "user_repurchase_rate" in out and "mini_program" in out
    assert (tmp_path / "m" / "repurchase_rates_quarter.png").stat().st_size > 1000


def test_unknown_config_key_named(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("data:\n  timezon: Asia/Shanghai\n")
    assert main(["validate", str(tmp_path), "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "data.timezon" in err and str(bad) in err


def test_engine_out_of_memory_is_a_user_error(synthetic_dir, tmp_path, capsys):
    """A DuckDB memory limit too small for the feature queries: one sentence saying which setting
    to raise, exit 2, and no output file."""
    out = tmp_path / "f.parquet"
    code = main(["features", str(synthetic_dir), "--as-of", "2024-12-01", "--out", str(out),
                 "--set", "engine.memory_limit=1MB"])
    err = capsys.readouterr().err
    assert code == 2
    assert "ran out of memory" in err and "engine.memory_limit" in err and "internal error" not in err
    assert not out.exists()
