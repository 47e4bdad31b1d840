"""The scoring pipeline on a real shop's terms (issue 12): files and table always show the same
run, a rerun replaces both lists of the date (an empty one too), a date far past the data is
refused."""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pytest

from repurchase.cli import main
from repurchase.config import load_config
from repurchase.errors import RepurchaseError
from repurchase.export.crm import write_crm_table, write_list_files
from repurchase.pipelines import score_lists


def _config(**recall):
    return load_config(overrides=[{"models": {"train_dates": 4, "timing_horizons_days": [7]},
                                   "scoring": {"recall": {"budget_contacts": 150, **recall}}}])


@pytest.fixture(scope="module")
def first_run(synthetic_tables, score_as_of, bundles_dir):
    """Both lists at score_as_of, as a first run of the day wrote them (each test writes what it needs)."""
    from repurchase.scoring import load_models, score

    cfg = _config()
    return score(synthetic_tables, score_as_of, load_models(bundles_dir, cfg), cfg)


def test_a_failing_database_leaves_the_previous_files(tmp_path, first_run, synthetic_dir, bundles_dir, score_as_of):
    out, db = tmp_path / "lists", tmp_path / "crm.db"
    write_list_files(first_run.need.head(5), first_run.recall.head(5), {**first_run.summary, "as_of": "previous"}, out,
                     plot=False)
    write_crm_table([first_run.need.head(5)], f"sqlite:///{db}")
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TRIGGER frozen BEFORE INSERT ON crm_customer_scores "
                     "BEGIN SELECT RAISE(ABORT, 'the CRM table is frozen'); END")
    with pytest.raises(RepurchaseError, match="frozen"):
        score_lists(_config(), score_as_of, synthetic_dir, out_dir=out, models=bundles_dir, db=f"sqlite:///{db}",
                    echo=lambda _: None)
    assert json.loads((out / "summary.json").read_text())["as_of"] == "previous"
    assert len(pd.read_parquet(out / "need_list.parquet")) == 5


def test_a_rerun_whose_recall_list_is_empty_clears_the_dates_recall_rows(tmp_path, first_run, synthetic_dir,
                                                                          bundles_dir, score_as_of):
    db = tmp_path / "crm.db"
    write_crm_table([first_run.need, first_run.recall], f"sqlite:///{db}")  # this morning's first run
    assert len(first_run.recall) > 0
    run = score_lists(_config(min_value=1e12), score_as_of, synthetic_dir, out_dir=tmp_path / "lists",
                      models=bundles_dir, db=f"sqlite:///{db}", echo=lambda _: None)
    assert run.result.recall.empty
    with sqlite3.connect(db) as conn:
        n = dict(conn.execute("SELECT list, COUNT(*) FROM crm_customer_scores GROUP BY list").fetchall())
    assert n == {"need": len(run.result.need)}  # replace means replace: no recall rows left for the date


def test_an_as_of_far_past_the_data_is_refused_naming_both_dates(synthetic_dir, synthetic_tables, bundles_dir,
                                                                 tmp_path, capsys):
    last = synthetic_tables.orders["order_ts"].max().date()
    late = (pd.Timestamp(last) + pd.Timedelta(days=61)).date().isoformat()
    assert main(["score", str(synthetic_dir), "--as-of", late, "--out", str(tmp_path / "lists"),
                 "--models", str(bundles_dir)]) == 2
    err = capsys.readouterr().err
    assert late in err and str(last) in err and "scoring.max_days_after_data (60)" in err
    assert not (tmp_path / "lists").exists()
    # the margin is a config key: a deliberate back-fill far past the data is allowed with it
    assert main(["score", str(synthetic_dir), "--as-of", late, "--out", str(tmp_path / "lists"), "--models",
                 str(bundles_dir), "--set", "scoring.max_days_after_data=100", "--dry-run"]) == 0
