"""Atomic writes: a failed run leaves the previous output, or nothing, never half a file.

Also the rest of what makes an output safe to hand to another program: one writer at a time per
output (a lock file beside it: :mod:`repurchase._lock`), the user's umask on what is swapped in
(``mkdtemp`` alone would leave it 0700, unreadable to a CRM import job under another user), CSV
text cells that cannot run as spreadsheet formulas, and an ``OSError`` while writing (disk full,
read-only, no permission) turned into one sentence naming the path.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd

# the lock and the output errors stay importable from here: every writer's one import (OutputLocked
# and lock_path are re-exported only, for callers that tell a locked output apart or find its lock)
from repurchase._lock import LOCK_WAIT_SECONDS, OutputError, OutputLocked, lock_path, output_lock  # noqa: F401

#: test hook: the named point SIGKILLs this process (crash-safety tests kill real subprocesses at
#: exact points; unset in normal runs)
CRASH_ENV = "REPURCHASE_CRASH_AT"
_RENAME_EXCHANGE = 2
#: a CSV cell starting with one of these is a formula to Excel / LibreOffice (OWASP CSV injection)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def current_umask() -> int:
    """The process umask, read without changing it where Linux allows (``/proc/self/status``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: the only portable way to read it is to set it
    os.umask(mask)
    return mask


def os_error_text(exc: OSError, path: str | Path, staging: Path | None = None) -> str:
    """One sentence for an ``OSError`` while writing ``path`` (a file in ``staging``, the
    temporary directory of ``path``, is named by where it was going)."""
    where = str(exc.filename or path)
    if staging is not None and where.startswith(str(staging)):
        where = str(path) + where[len(str(staging)):]
    why = exc.strerror or (str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    hint = {errno.ENOSPC: "free some space or write elsewhere", errno.EDQUOT: "free some space or write elsewhere",
            errno.EROFS: "the file system is read-only: write elsewhere",
            errno.EACCES: "check the permissions or write elsewhere",
            errno.EPERM: "check the permissions or write elsewhere"}.get(exc.errno, "check the path")
    return f"could not write {where}: {why} ({hint})"


# --- atomic files and directories -------------------------------------------------------------

def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    AT_FDCWD = -100
    rc = fn(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` only on success."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise OutputError(os_error_text(exc, target)) from None
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~current_umask())  # mkstemp makes it 0600
        os.replace(tmp_path, target)
    except OSError as exc:
        raise OutputError(os_error_text(exc, target)) from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_atomic(target: str | Path, writer: Callable[[Path], object]) -> Path:
    """Call ``writer(tmp_path)`` and move the result onto ``target``."""
    with atomic_path(target) as tmp:
        writer(tmp)
    return Path(target)


class StagedDir:
    """A new version of a directory, written beside it and swapped in by :meth:`swap`.

    Made by :func:`staged_dir`, which holds the output's lock for its lifetime. :meth:`unswap`
    puts the previous directory back (a database commit that failed after the files were swapped
    in), until the staging is closed.
    """

    def __init__(self, target: Path, path: Path):
        self.target = target
        self.path = path
        self.swapped = False
        self._old: Path | None = None  # where the previous directory is while swapped in
        self._mode = 0o777 & ~current_umask()

    def swap(self) -> None:
        """Put the staged directory in place of ``target`` in one atomic step."""
        crash_point("atomic_dir:before-swap")
        os.chmod(self.path, self._mode)
        if self.target.exists():
            # one atomic swap: at every instant ``target`` is the old directory or the new one
            if _exchange(self.path, self.target):
                self._old = self.path
            else:
                old = self.target.with_name(f".{self.target.name}.old-{os.getpid()}.tmp")
                os.replace(self.target, old)
                os.replace(self.path, self.target)
                self._old = old
        else:
            os.replace(self.path, self.target)
        self.swapped = True
        crash_point("atomic_dir:after-swap")

    def unswap(self) -> None:
        """Put the previous directory back (or none, if there was none); the new one is dropped."""
        if not self.swapped:
            return
        if self._old is None:  # there was no previous directory
            os.replace(self.target, self.path)
        elif self._old == self.path:  # exchanged: the staging path holds the previous directory
            if not _exchange(self.path, self.target):
                os.replace(self.target, self._spare)
                os.replace(self.path, self.target)
        else:  # the two-rename fallback: the staging path is free again
            os.replace(self.target, self.path)
            os.replace(self._old, self.target)
        self.swapped = False
        self._old = None

    @property
    def _spare(self) -> Path:
        return self.path.with_name(self.path.name + ".new.tmp")

    def _close(self) -> None:
        for p in (self.path, self._old, self._spare):
            if p is not None and p.exists():
                shutil.rmtree(p, ignore_errors=True)


@contextlib.contextmanager
def staged_dir(target: str | Path, lock_wait_s: float = LOCK_WAIT_SECONDS) -> Iterator[StagedDir]:
    """Lock ``target``, yield a :class:`StagedDir` to write into; the caller swaps it in.

    Whatever is not swapped in when the block ends is removed. The previous ``target`` is kept
    until the new one is in place, so a crash at any point leaves either the old directory or the
    new one. An ``OSError`` (disk full, read-only, permissions) becomes an :class:`OutputError`
    naming the path.
    """
    target = Path(target)
    staging = None
    try:
        with contextlib.ExitStack() as stack:
            target.parent.mkdir(parents=True, exist_ok=True)
            stack.enter_context(output_lock(target, lock_wait_s))
            # under the lock, any temporary directory of this output was left by a killed run
            if not target.exists():  # killed between the two renames of the fallback: put the old one back
                olds = sorted(target.parent.glob(f".{target.name}.old-*.tmp"))
                if olds:
                    os.replace(olds[-1], target)
            for stale in target.parent.glob(f".{target.name}.*.tmp"):
                shutil.rmtree(stale, ignore_errors=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
            stage = StagedDir(target, staging)
            stack.callback(stage._close)
            yield stage
    except OSError as exc:
        raise OutputError(os_error_text(exc, target, staging)) from None


@contextlib.contextmanager
def atomic_dir(target: str | Path, lock_wait_s: float = LOCK_WAIT_SECONDS) -> Iterator[Path]:
    """Yield a fresh temporary directory; on success it replaces ``target`` whole.

    One writer at a time per ``target`` (see :func:`output_lock`); the new directory gets the
    user's umask (0755 and 0644 by default), like any directory the user makes.
    """
    with staged_dir(target, lock_wait_s) as stage:
        yield stage.path
        stage.swap()


# --- CSV for spreadsheets -----------------------------------------------------------------------

def _neutral(value):
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) else value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell (and header) that a spreadsheet would run as a formula
    prefixed with ``'`` (OWASP: cells starting with ``= + - @``, tab or carriage return).

    Numeric, boolean and date columns are untouched (a numeric -5 stays -5); only text columns
    (string, object, categorical) change. For CSV only: Parquet and SQL keep the exact values.
    """
    out = frame
    for i, col in enumerate(frame.columns):
        s = frame.iloc[:, i]
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        if isinstance(s.dtype, pd.StringDtype):
            hit = s.str.startswith(FORMULA_PREFIXES, na=False)
            new = s.where(~hit, "'" + s) if hit.any() else None
        elif s.dtype == object:
            hit = s.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_PREFIXES)).astype(bool)
            new = s.map(_neutral) if hit.any() else None
        else:
            continue
        if new is not None:
            if out is frame:
                out = frame.copy()
            out.isetitem(i, new)
    if any(isinstance(c, str) and c.startswith(FORMULA_PREFIXES) for c in frame.columns):
        out = out.set_axis([_neutral(c) for c in frame.columns], axis=1)
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, **kwargs) -> Path:
    """``frame.to_csv(path, **kwargs)`` with formula-like text cells neutralised (:func:`csv_safe`):
    the one way the package writes CSV, since every CSV may be opened in a spreadsheet."""
    csv_safe(frame).to_csv(path, **kwargs)
    return Path(path)
