"""Atomic writes: a failed run leaves the previous output, or nothing, never half a file."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Callable, Iterator

#: test hook: the named point SIGKILLs this process (crash-safety tests kill real subprocesses at
#: exact points; unset in normal runs)
CRASH_ENV = "REPURCHASE_CRASH_AT"
_RENAME_EXCHANGE = 2


def crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


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
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_atomic(target: str | Path, writer: Callable[[Path], object]) -> Path:
    """Call ``writer(tmp_path)`` and move the result onto ``target``."""
    with atomic_path(target) as tmp:
        writer(tmp)
    return Path(target)


@contextlib.contextmanager
def atomic_dir(target: str | Path) -> Iterator[Path]:
    """Yield a fresh temporary directory; on success it replaces ``target`` whole.

    The previous ``target`` (if any) is kept until the new one is in place, so a crash at any
    point leaves either the old directory or the new one.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():  # killed between the two renames of the fallback: put the old one back
        olds = sorted(target.parent.glob(f".{target.name}.old-*.tmp"))
        if olds:
            os.replace(olds[-1], target)
    for stale in target.parent.glob(f".{target.name}.*.tmp"):  # left by a run that was killed
        shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield tmp
        crash_point("atomic_dir:before-swap")
        if target.exists():
            # one atomic swap: at every instant ``target`` is the old directory or the new one
            if not _exchange(tmp, target):
                old = target.with_name(f".{target.name}.old-{os.getpid()}.tmp")
                os.replace(target, old)
                os.replace(tmp, target)
                shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
        crash_point("atomic_dir:after-swap")
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
