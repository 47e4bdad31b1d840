"""Export for the CRM: the lists as files (CSV with a BOM so Excel reads Chinese text, and
Parquet), and as rows of one SQL table written in one transaction.

Files: the whole output directory is replaced atomically, so a crash leaves the previous lists.
SQL: each (as_of, list) written replaces that partition's rows inside one transaction, so a rerun
replaces rather than duplicates and a failed load leaves the previous rows untouched.
Both (:func:`export_lists`): the files are swapped in just before the database commits and
swapped back if it fails, so the files and the table show the same run. One writer at a time:
a lock file beside the output directory, and in the database a lock per date taken in the
transaction (SQLite ``BEGIN IMMEDIATE``, PostgreSQL ``pg_advisory_xact_lock``). The table's
columns and its tags view are :mod:`repurchase.export.crm_table`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from repurchase._io import LOCK_WAIT_SECONDS, StagedDir, crash_point, staged_dir, write_csv
from repurchase.errors import RepurchaseError
from repurchase.export.crm_table import SCHEMA_VERSION, TABLE, records, scores_table, tags_view_sql

log = logging.getLogger(__name__)

PASSWORD_ENV = "REPURCHASE_DB_PASSWORD"
URL_ENV = "REPURCHASE_DB_URL"
SUMMARY_FILE = "summary.json"
REPORT_FILE = "report.html"
#: today's feature and score distributions per model: the next run's drift is also measured against them
DRIFT_REFERENCE_FILE = "drift_reference.json"


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / SUMMARY_FILE).is_file())):
        raise RepurchaseError(f"--out {out} exists and is not a previous scoring output (no {SUMMARY_FILE}); "
                              "give a new or empty directory")


def read_drift_reference(out: str | Path) -> dict | None:
    """The previous run's :data:`DRIFT_REFERENCE_FILE` in ``out``, or None (first run, or unreadable:
    drift is then judged against training only)."""
    path = Path(out) / DRIFT_REFERENCE_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, ValueError) as exc:
        log.warning("%s could not be read (%s): drift judged against training only", path, exc)
        return None


def _write_files(need: pd.DataFrame, recall: pd.DataFrame, summary: dict, tmp: Path, out: Path, plot: bool,
                 drift: dict[str, pd.DataFrame] | None, report_html: str | None = None,
                 drift_reference: dict | None = None) -> dict[str, Path]:
    names = {}
    for name, frame in (("need_list", need), ("recall_list", recall)):
        # CSV text cells that would run as spreadsheet formulas get a ' (write_csv); Parquet is exact
        write_csv(frame, tmp / f"{name}.csv", index=False, encoding="utf-8-sig", date_format="%Y-%m-%d")
        frame.to_parquet(tmp / f"{name}.parquet", index=False)
        names[f"{name} (csv)"] = out / f"{name}.csv"
        names[f"{name} (parquet)"] = out / f"{name}.parquet"
    (tmp / SUMMARY_FILE).write_text(json.dumps(summary, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    names["summary"] = out / SUMMARY_FILE
    if drift is not None:
        from repurchase.models.drift import DRIFT_COLUMNS

        cols = ["model", *DRIFT_COLUMNS]
        frames = [d.assign(model=task).reindex(columns=cols) for task, d in drift.items()]
        table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
        write_csv(table, tmp / "drift.csv", index=False)
        names["drift report"] = out / "drift.csv"
    if drift_reference:
        (tmp / DRIFT_REFERENCE_FILE).write_text(json.dumps(drift_reference), encoding="utf-8")
    if report_html is not None:
        (tmp / REPORT_FILE).write_text(report_html, encoding="utf-8")
        names["run report"] = out / REPORT_FILE
    if plot:
        _plot_scores(need, recall, tmp / "score_distribution.png")
        names["score plot"] = out / "score_distribution.png"
    return names


def write_list_files(need: pd.DataFrame, recall: pd.DataFrame, summary: dict, out: str | Path,
                     plot: bool = True, drift: dict[str, pd.DataFrame] | None = None,
                     lock_wait_s: float = LOCK_WAIT_SECONDS, report_html: str | None = None,
                     drift_reference: dict | None = None) -> dict[str, Path]:
    """Write both lists (CSV UTF-8 with BOM, Parquet), ``summary.json``, a score plot and the
    drift report (``drift.csv``: PSI per model, column), the run report (``report.html``) and
    today's distributions for the next run's drift check (``drift_reference.json``) when given.

    ``out`` is replaced whole and atomically; an existing non-empty directory that is not a
    previous scoring output is refused rather than replaced. Another writer of ``out`` is waited
    for up to ``lock_wait_s`` seconds.
    """
    out = Path(out)
    _check_out(out)
    with staged_dir(out, lock_wait_s) as stage:
        names = _write_files(need, recall, summary, stage.path, out, plot, drift, report_html, drift_reference)
        stage.swap()
    return names


def export_lists(need: pd.DataFrame, recall: pd.DataFrame, summary: dict, out: str | Path, *,
                 as_of: dt.date, url: str | None = None, plot: bool = True,
                 drift: dict[str, pd.DataFrame] | None = None,
                 lock_wait_s: float = LOCK_WAIT_SECONDS, report_html: str | None = None,
                 drift_reference: dict | None = None) -> tuple[dict[str, Path], dict[str, int]]:
    """The files (:func:`write_list_files`) and, with ``url``, the rows of both lists for
    ``as_of`` (:func:`write_crm_table`), as one run: the files are swapped in just before the
    database commits and swapped back when the commit fails, so both show the same run.

    Returns the files written and the rows written per list (empty without ``url``).
    """
    out = Path(out)
    _check_out(out)
    with staged_dir(out, lock_wait_s) as stage:
        names = _write_files(need, recall, summary, stage.path, out, plot, drift, report_html, drift_reference)
        if not url:
            stage.swap()
            return names, {}
        written = write_crm_table([need, recall], url, replace=[(as_of, "need"), (as_of, "recall")], stage=stage,
                                  lock_wait_s=lock_wait_s)
    return names, written


def _plot_scores(need: pd.DataFrame, recall: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    colors = {"high": "#c0392b", "medium": "#e67e22", "low": "#7f8c8d"}
    for ax, frame, title in ((axes[0], need, "need list: P(purchase in horizon)"),
                             (axes[1], recall, "recall list: P(churn)")):
        bins = np.linspace(0, 1, 41)
        for band in ("low", "medium", "high"):
            s = frame.loc[frame["band"] == band, "score"]
            if len(s):
                ax.hist(s, bins=bins, alpha=0.75, color=colors[band], label=f"{band} ({len(s):,})")
        ax.set_title(title)
        ax.set_xlabel("score")
        ax.set_ylabel("customers")
        if len(frame):
            ax.legend(title="band")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def resolve_url(url: str | None) -> str | None:
    """The database URL: ``url``, else ``$REPURCHASE_DB_URL``; a password is taken from
    ``$REPURCHASE_DB_PASSWORD`` when the URL names a user but no password."""
    url = url or os.environ.get(URL_ENV)
    if not url:
        return None
    from sqlalchemy.engine import make_url

    try:
        u = make_url(url)
    except Exception as exc:  # noqa: BLE001 - sqlalchemy.exc.ArgumentError
        raise RepurchaseError(f"database URL is not valid: {mask(url)} ({type(exc).__name__})") from None
    if u.username and u.password is None and os.environ.get(PASSWORD_ENV):
        u = u.set(password=os.environ[PASSWORD_ENV])
    return u.render_as_string(hide_password=False)


def mask(url: str) -> str:
    """The URL with its password replaced by ***, for logs and messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - unparseable: hide everything after the scheme
        return url.split("://", 1)[0] + "://***"



def check_driver(url: str) -> None:
    """Refuse, before any work, a database URL whose SQLAlchemy dialect or Python driver is missing."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        u = make_url(url)
        dialect = u.get_dialect()
    except (NoSuchModuleError, ArgumentError):
        raise RepurchaseError(f"database URL {mask(url)}: SQLAlchemy knows no database '{url.split(':', 1)[0]}' "
                              "(use e.g. sqlite:///crm.db or postgresql+psycopg://user@host/db)") from None
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        hint = ("pip install 'repurchase[postgres]'" if u.get_backend_name() == "postgresql"
                else f"install the Python driver of {u.drivername}")
        raise RepurchaseError(f"database URL {mask(url)} needs the Python driver '{getattr(exc, 'name', None) or u.drivername}', "
                              f"which is not installed: {hint}") from None


def _date_key(as_of) -> int:
    """A stable signed 64-bit key per date for ``pg_advisory_xact_lock`` (same in every process)."""
    digest = hashlib.sha256(f"{TABLE}:{pd.Timestamp(as_of).date().isoformat()}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _engine(url: str, lock_wait_s: float):
    """An engine whose transactions lock what they write: SQLite ``BEGIN IMMEDIATE`` (the write
    lock from the start, waiting up to ``lock_wait_s``)."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import make_url

    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url)
    engine = create_engine(url, connect_args={"timeout": lock_wait_s})

    @event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # pysqlite's own BEGIN is deferred; ours is IMMEDIATE

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def write_crm_table(frames: Iterable[pd.DataFrame], url: str, chunk: int = 20_000, *,
                    replace: Iterable[tuple] = (), stage: StagedDir | None = None,
                    lock_wait_s: float = LOCK_WAIT_SECONDS) -> dict[str, int]:
    """Replace the rows of each (as_of, list) in ``crm_customer_scores`` in one transaction.

    The partitions replaced are those in ``frames`` and those in ``replace`` ((as_of, list)
    pairs): a list that is empty today still clears that date's rows of that list. Creates the
    table and the ``crm_customer_tags`` view when missing. Each date written is locked for the
    transaction (a concurrent writer waits up to ``lock_wait_s`` seconds, then fails). ``stage``:
    files swapped in just before the commit and swapped back if it fails. Returns rows written
    per list. On any error nothing is committed and the previous rows stay.
    """
    from sqlalchemy import MetaData, delete, text
    from sqlalchemy.exc import SQLAlchemyError

    check_driver(url)
    frames = [f for f in frames]
    partitions = {(pd.Timestamp(a).date(), str(n)) for a, n in replace}
    for f in frames:
        if not f.empty:
            partitions |= {(pd.Timestamp(a).date(), str(n)) for a, n in f[["as_of", "list"]].drop_duplicates().itertuples(index=False)}
    engine = _engine(url, lock_wait_s)
    metadata = MetaData()
    table = scores_table(metadata)
    columns = [c.name for c in table.columns]
    written: dict[str, int] = {}
    try:
        with engine.begin() as conn:  # one transaction: commit on success, roll back on any error
            if engine.dialect.name == "postgresql":
                # one writer per date; keys in order so two writers of several dates cannot deadlock
                conn.execute(text(f"SET LOCAL lock_timeout = '{int(lock_wait_s * 1000)}ms'"))
                for key in sorted({_date_key(a) for a, _ in partitions}):
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            metadata.create_all(conn, checkfirst=True)
            conn.execute(text(tags_view_sql(engine.dialect.name)))
            for as_of, name in sorted(partitions):
                conn.execute(delete(table).where(table.c.as_of == as_of, table.c.list == name))
            for frame in frames:
                if frame.empty:
                    continue
                f = frame.assign(schema_version=SCHEMA_VERSION)
                rows = records(f, columns)
                for start in range(0, len(rows), chunk):
                    conn.execute(table.insert(), rows[start:start + chunk])
                for name, n in f["list"].value_counts().items():
                    written[name] = written.get(name, 0) + int(n)
            crash_point("crm:before-commit")
            if stage is not None:
                stage.swap()  # the files go in with the rows: swapped back below if the commit fails
    except SQLAlchemyError as exc:
        if stage is not None:
            stage.unswap()
        msg = str(exc.orig if hasattr(exc, "orig") and exc.orig else exc).splitlines()[0]
        locked = "locked" in msg or "lock timeout" in msg
        why = (f"another run holds the lock on {TABLE} (waited {lock_wait_s:g} s; run again when it has finished)"
               if locked else f"{type(exc).__name__}: {msg}")
        files = "; the list files were left as they were" if stage is not None else ""
        raise RepurchaseError(f"writing {TABLE} to {mask(url)} failed and was rolled back, the previous rows are "
                              f"unchanged{files}: {why}") from None
    except BaseException:
        if stage is not None:
            stage.unswap()
        raise
    finally:
        engine.dispose()
    return written
