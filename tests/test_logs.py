"""Quiet, observable runs: repeated log lines collapse, third-party INFO stays out of the default
output, and a pipeline prints each model as it finishes."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys

from repurchase.cli._logs import RepeatFilter
from repurchase.pipelines._steps import Steps


def test_a_message_repeated_with_other_numbers_is_shown_once_then_counted():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    repeats = RepeatFilter()
    handler.addFilter(repeats)
    log = logging.getLogger("repurchase.test_repeats")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        for pen in (0.0, 0.001, 0.01, 0.1):
            log.info("BG/NBD fit with penalizer %s did not converge; retrying with a larger one", pen)
        log.warning("%s: no usable champion", "churn 90 d")
        log.warning("%s: no usable champion", "next_purchase 30 d")  # other words: not a repeat
    finally:
        log.removeHandler(handler)
    assert stream.getvalue().splitlines() == [
        "BG/NBD fit with penalizer 0.0 did not converge; retrying with a larger one",
        "churn 90 d: no usable champion",
        "next_purchase 30 d: no usable champion",
    ]
    assert repeats.summary() == ["INFO repurchase.test_repeats: BG/NBD fit with penalizer 0.0 did not converge; "
                                 "retrying with a larger one (and 3 more like it)"]
    assert repeats.summary() == []  # counted once


_OPEN_STORE = """
import sys
from repurchase.cli._logs import setup_logging
setup_logging(int(sys.argv[1]))
from repurchase import tracking
print(tracking.champion_version("nothing-here"))
"""


def _open_a_fresh_store(tmp_path, verbose: int) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_LOGGING_LEVEL"}
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp_path / f'mlflow{verbose}.db'}"
    return subprocess.run([sys.executable, "-c", _OPEN_STORE, str(verbose)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120, check=True)


def test_mlflow_info_lines_stay_out_of_the_default_output(tmp_path):
    # a new SQLite store makes MLflow log its table migrations at INFO ("Creating initial MLflow
    # database tables...") unless the entry point set the level first
    quiet = _open_a_fresh_store(tmp_path, 0)
    assert quiet.stdout.strip() == "None"
    assert "INFO" not in quiet.stderr, quiet.stderr


def test_verbose_lets_third_party_info_through():
    from repurchase.cli._logs import level_for

    assert level_for(0, False) == (logging.WARNING, logging.WARNING)
    assert level_for(1, False) == (logging.INFO, logging.INFO)
    assert level_for(0, True) == (logging.ERROR, logging.ERROR)


def test_a_long_step_announces_itself_and_prints_each_unit_as_it_finishes():
    lines: list[str] = []
    steps = Steps(["load", "train"], lines.append, long={"train"})
    with steps.step("load") as notes:
        notes.append("3 tables")
    with steps.step("train") as notes:
        steps.live("model a: AUC 0.81")
        assert lines[-2:] == ["[2/2] train ...", lines[-1]] and lines[-1].startswith("      model a: AUC 0.81 (")
        steps.live("model b: AUC 0.77")
        notes.append("2 of 2 promoted")
    assert lines[0].startswith("[1/2] load: 3 tables (")
    assert lines[3].startswith("      model b: AUC 0.77 (")
    assert lines[4].startswith("[2/2] train: 2 of 2 promoted (") and len(lines) == 5
