"""Safe on a real shop's data (issue 12), the output side: CSV cells that cannot run as formulas,
outputs readable by a CRM job under another user, one writer at a time (files and table), files
and table always showing the same run, an empty list clearing its rows, and a full disk, a
read-only path, a missing driver or a corrupt MLflow store reported in one sentence (exit 2)."""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from repurchase._io import OutputError, OutputLocked, csv_safe, output_lock, staged_dir, write_atomic
from repurchase.cli import guarded, main
from repurchase.errors import RepurchaseError
from repurchase.export.crm import _date_key, export_lists, write_crm_table, write_list_files
from tests.conftest import REPO

sqlalchemy = pytest.importorskip("sqlalchemy")


def _digest(d: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.iterdir()) if p.is_file()}


def _rows(db: Path) -> pd.DataFrame:
    with sqlite3.connect(db) as conn:
        return pd.read_sql("SELECT as_of, list, customer_id, rank FROM crm_customer_scores ORDER BY as_of, list, rank", conn)


# --- CSV formula injection --------------------------------------------------------------------

def test_csv_safe_prefixes_formula_text_and_leaves_numbers():
    frame = pd.DataFrame({"customer_id": ["=1+1", "+86 138", "-x", "@SUM(A1)", "\tt", "\rr", "ok", None],
                          "n": [-5, 1, 2, 3, 4, 5, 6, 7], "x": [-1.5] * 8, "flag": [True] * 8,
                          "mixed": pd.Series(["=a", 3, None, "b", -4, "x", "y", "z"], dtype=object),
                          "cat": pd.Categorical(["=c", "d", "=c", "d", "d", "d", "d", "d"])})
    frame["=head"] = 1
    out = csv_safe(frame)
    assert out["customer_id"].tolist()[:7] == ["'=1+1", "'+86 138", "'-x", "'@SUM(A1)", "'\tt", "'\rr", "ok"]
    assert pd.isna(out["customer_id"].iloc[7])
    assert out["mixed"].tolist()[:5] == ["'=a", 3, None, "b", -4]
    assert out["cat"].tolist()[:2] == ["'=c", "d"]
    assert out["n"].tolist()[0] == -5 and out["x"].dtype == frame["x"].dtype and out["n"].dtype == frame["n"].dtype
    assert list(out.columns)[-1] == "'=head"
    assert frame["customer_id"].iloc[0] == "=1+1" and list(frame.columns)[-1] == "=head"  # the input is not changed


def test_list_csvs_neutralise_formulas_and_parquet_stays_exact(tmp_path, result):
    need = result.need.copy().assign(delta_days=-5)
    need["customer_id"] = need["customer_id"].astype(object)
    need.loc[need.index[0], "customer_id"] = '=HYPERLINK("http://evil.example","x")'
    need.loc[need.index[1], "reasons"] = "@SUM(1+1)*cmd|' /C calc'!A0"
    need.loc[need.index[2], "top_category_1"] = "-2+3"
    recall = result.recall.copy()
    recall.loc[recall.index[0], "rfm_segment"] = "+cmd"
    out = tmp_path / "lists"
    write_list_files(need, recall, result.summary, out, plot=False)
    back = pd.read_csv(out / "need_list.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert back["customer_id"].iloc[0] == '\'=HYPERLINK("http://evil.example","x")'
    assert back["reasons"].iloc[1] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert back["top_category_1"].iloc[2] == "'-2+3"
    assert (back["delta_days"] == "-5").all()  # numbers stay numbers
    assert back["customer_id"].iloc[3] == str(need["customer_id"].iloc[3])
    r = pd.read_csv(out / "recall_list.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert r["rfm_segment"].iloc[0] == "'+cmd"
    # Parquet keeps the exact values
    pd.testing.assert_frame_equal(pd.read_parquet(out / "need_list.parquet"), need, check_dtype=False)


def test_lift_report_csvs_are_neutralised(tmp_path):
    from repurchase.lift.measure import LiftResult, write_lift_report

    empty = pd.DataFrame()
    roi = pd.DataFrame({"list": ["=cmd"], "as_of": ["2025-01-01"], "roi": [-0.5]})
    write_lift_report(LiftResult(empty, empty, roi, empty), tmp_path / "lift")
    back = pd.read_csv(tmp_path / "lift" / "roi.csv", dtype=str)
    assert back["list"].iloc[0] == "'=cmd" and back["roi"].iloc[0] == "-0.5"


# --- modes ------------------------------------------------------------------------------------

@pytest.mark.parametrize("umask, dir_mode, file_mode", [(0o022, 0o755, 0o644), (0o027, 0o750, 0o640)])
def test_swapped_in_output_follows_the_umask(tmp_path, result, umask, dir_mode, file_mode):
    old = os.umask(umask)
    try:
        out = tmp_path / "lists"
        write_list_files(result.need.head(20), result.recall.head(20), result.summary, out, plot=False)
        write_atomic(tmp_path / "one.txt", lambda p: p.write_text("x"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == dir_mode
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()}
    assert modes and set(modes.values()) == {file_mode}, modes
    assert stat.S_IMODE((tmp_path / "one.txt").stat().st_mode) == file_mode


# --- one writer at a time ---------------------------------------------------------------------

def test_a_second_writer_is_refused_naming_the_holder_and_keeps_the_first_ones_staging(tmp_path, result):
    out = tmp_path / "lists"
    with staged_dir(out) as first:
        (first.path / "marker").write_text("first run")
        t0 = time.perf_counter()
        with pytest.raises(OutputLocked, match=rf"process {os.getpid()} on {socket.gethostname()} since 20\d\d-"):
            write_list_files(result.need, result.recall, result.summary, out, plot=False, lock_wait_s=0.3)
        assert 0.3 <= time.perf_counter() - t0 < 5
        assert (first.path / "marker").read_text() == "first run"  # not deleted as a stale directory
        first.swap()
    assert (out / "marker").read_text() == "first run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lists"]  # the lock file goes with the run


def test_a_writer_waits_for_another_process_then_goes_ahead(tmp_path, result):
    out = tmp_path / "lists"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom repurchase._io import output_lock\n"
         "with output_lock(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(float(sys.argv[2]))\n",
         str(out), "2"], stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert holder.stdout.readline().strip() == "held"
        held_at = time.perf_counter()
        with pytest.raises(OutputLocked, match=rf"process {holder.pid} on "):
            write_list_files(result.need, result.recall, result.summary, out, plot=False, lock_wait_s=0.2)
        write_list_files(result.need, result.recall, result.summary, out, plot=False, lock_wait_s=30)
        assert time.perf_counter() - held_at >= 1.9  # it waited for the holder's 2 s to end
    finally:
        holder.kill()
        holder.wait()
    assert len(pd.read_parquet(out / "need_list.parquet")) == len(result.need)


def test_sqlite_table_lock_is_waited_for_then_refused_and_the_rows_stay(tmp_path, result):
    db = tmp_path / "crm.db"
    url = f"sqlite:///{db}"
    write_crm_table([result.need], url)
    before = _rows(db)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another run is writing
    try:
        t0 = time.perf_counter()
        with pytest.raises(RepurchaseError, match="another run holds the lock on crm_customer_scores"):
            write_crm_table([result.need.head(3)], url, lock_wait_s=0.3)
        assert time.perf_counter() - t0 < 4
    finally:
        other.rollback()
        other.close()
    pd.testing.assert_frame_equal(_rows(db), before)


def test_postgresql_writers_of_one_date_take_turns(postgres_url, result):
    write_crm_table([result.need.head(3)], postgres_url)
    as_of = result.need["as_of"].iloc[0]
    engine = sqlalchemy.create_engine(postgres_url)
    try:
        with engine.connect() as conn, conn.begin():
            conn.execute(sqlalchemy.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _date_key(as_of)})
            with pytest.raises(RepurchaseError, match="another run holds the lock"):
                write_crm_table([result.need], postgres_url, lock_wait_s=0.3)
            # another date is not blocked
            later = result.need.head(2).assign(as_of=result.need["as_of"].head(2) + pd.Timedelta(days=30))
            assert write_crm_table([later], postgres_url, lock_wait_s=0.3) == {"need": 2}
    finally:
        engine.dispose()


# --- files and table show the same run --------------------------------------------------------

def _previous(tmp_path, result) -> tuple[Path, Path, dict, pd.DataFrame]:
    out, db = tmp_path / "lists", tmp_path / "crm.db"
    export_lists(result.need.head(10), result.recall.head(10), {**result.summary, "run": "previous"}, out,
                 as_of=pd.Timestamp(result.need["as_of"].iloc[0]).date(), url=f"sqlite:///{db}", plot=False)
    return out, db, _digest(out), _rows(db)


def test_a_database_that_fails_leaves_the_previous_files(tmp_path, result):
    out, db, files, rows = _previous(tmp_path, result)
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TRIGGER no_writes BEFORE INSERT ON crm_customer_scores "
                     "BEGIN SELECT RAISE(ABORT, 'the CRM table is frozen'); END")
    with pytest.raises(RepurchaseError, match="rolled back.*list files were left as they were.*frozen"):
        export_lists(result.need, result.recall, result.summary, out, as_of=pd.Timestamp(result.need["as_of"].iloc[0]).date(),
                     url=f"sqlite:///{db}", plot=False)
    assert _digest(out) == files
    pd.testing.assert_frame_equal(_rows(db), rows)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".lists.")] == []  # no staging, no lock file


def test_a_commit_that_fails_swaps_the_previous_files_back(tmp_path, result):
    out, db, files, rows = _previous(tmp_path, result)
    reader = sqlite3.connect(db, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM crm_customer_scores").fetchone()  # a shared lock: the commit cannot finish
    try:
        with pytest.raises(RepurchaseError, match="rolled back"):
            export_lists(result.need, result.recall, result.summary, out,
                         as_of=pd.Timestamp(result.need["as_of"].iloc[0]).date(), url=f"sqlite:///{db}", plot=False,
                         lock_wait_s=0.5)
    finally:
        reader.rollback()
        reader.close()
    assert _digest(out) == files
    pd.testing.assert_frame_equal(_rows(db), rows)


def test_an_empty_list_today_clears_that_lists_rows_of_the_date(tmp_path, result):
    out, db, _, rows = _previous(tmp_path, result)
    assert set(rows["list"]) == {"need", "recall"}
    export_lists(result.need.head(4), result.recall.head(0), result.summary, out,
                 as_of=pd.Timestamp(result.need["as_of"].iloc[0]).date(), url=f"sqlite:///{db}", plot=False)
    after = _rows(db)
    assert after["list"].tolist() == ["need"] * 4


# --- environment errors: one sentence, exit 2 -------------------------------------------------

def _mount(where: Path, options: str):
    where.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")


@pytest.fixture
def mounts():
    done: list[Path] = []
    yield lambda where, options: (_mount(where, options), done.append(where))
    for where in done:
        subprocess.run(["umount", str(where)], capture_output=True)


def test_a_full_disk_names_the_path_and_leaves_the_previous_lists(tmp_path, result, mounts):
    probe = tmp_path / "probe"
    write_list_files(result.need.head(3), result.recall.head(3), result.summary, probe, plot=False)
    small = sum(p.stat().st_size for p in probe.iterdir())
    tiny = tmp_path / "tiny"
    mounts(tiny, f"size={(2 * small) // 1024 + 48}k")
    out = tiny / "lists"
    write_list_files(result.need.head(3), result.recall.head(3), result.summary, out, plot=False)
    files = _digest(out)
    with pytest.raises(OutputError, match=rf"could not write {out}.*No space left on device") as err:
        write_list_files(result.need, result.recall, result.summary, out)
    assert "\n" not in str(err.value) and ".tmp" not in str(err.value)
    assert _digest(out) == files
    assert sorted(p.name for p in tiny.iterdir()) == ["lists"]


def test_a_read_only_output_names_the_path(tmp_path, result, mounts):
    ro = tmp_path / "ro"
    mounts(ro, "ro,size=64k")
    with pytest.raises(OutputError, match=rf"could not write {ro}.*Read-only file system") as err:
        write_list_files(result.need, result.recall, result.summary, ro / "lists", plot=False)
    assert "\n" not in str(err.value)


def test_an_os_error_from_the_environment_exits_2_in_one_sentence(capsys):
    def full():
        raise OSError(errno.ENOSPC, "No space left on device", "/srv/lists/need_list.csv")

    assert guarded(full) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: could not write /srv/lists/need_list.csv: No space left on device")
    assert err.count("\n") == 1 and "internal error" not in err

    def bug():
        raise FileNotFoundError(errno.ENOENT, "No such file", "/nowhere")

    assert guarded(bug) == 1  # not the environment: still an internal error


def test_a_missing_postgres_driver_is_refused_before_any_work(synthetic_dir, score_as_of, tmp_path):
    code = ("import sys\nsys.modules['psycopg'] = None\nsys.modules['psycopg2'] = None\n"
            "from repurchase.cli import main\nsys.exit(main(sys.argv[1:]))\n")
    out = tmp_path / "lists"
    proc = subprocess.run([sys.executable, "-c", code, "score", str(synthetic_dir), "--as-of", score_as_of,
                           "--out", str(out), "--models", "models", "--db", "postgresql+psycopg://crm@127.0.0.1:1/crm"],
                          capture_output=True, text=True, cwd=REPO, timeout=600)
    assert proc.returncode == 2, proc.stderr
    assert "pip install 'repurchase[postgres]'" in proc.stderr and "psycopg" in proc.stderr
    assert "[1/4] validate" not in proc.stdout and not out.exists()  # refused before loading any data


def test_an_unknown_database_is_refused_before_any_work(synthetic_dir, score_as_of, tmp_path, capsys):
    out = tmp_path / "lists"
    assert main(["score", str(synthetic_dir), "--as-of", score_as_of, "--out", str(out), "--models", "models",
                 "--db", "nosuchdb://crm@host/crm"]) == 2
    assert "nosuchdb" in capsys.readouterr().err and not out.exists()


def test_a_corrupt_mlflow_db_exits_2_naming_the_file(synthetic_dir, score_as_of, tmp_path):
    (tmp_path / "mlflow.db").write_bytes(b"this is not a database\x00" * 200)
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["PYTHONPATH"] = str(REPO / "src")
    proc = subprocess.run([sys.executable, "-m", "repurchase", "-q", "score", str(synthetic_dir), "--as-of", score_as_of,
                           "--out", str(tmp_path / "lists"), "--models", "mlflow"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
    assert proc.returncode == 2, proc.stderr
    assert str(tmp_path / "mlflow.db") in proc.stderr and "cannot be read" in proc.stderr
    assert "internal error" not in proc.stderr and proc.stderr.strip().count("\n") == 0, proc.stderr
    assert not (tmp_path / "lists").exists()


def test_no_module_writes_csv_but_through_the_one_safe_helper():
    # every CSV may be opened in a spreadsheet: a plain DataFrame.to_csv elsewhere would skip csv_safe
    import re

    from tests.conftest import REPO

    offenders = [str(p.relative_to(REPO)) for p in (REPO / "src" / "repurchase").rglob("*.py")
                 if p.name != "_io.py" and re.search(r"\.to_csv\(", p.read_text(encoding="utf-8"))]
    assert offenders == []
