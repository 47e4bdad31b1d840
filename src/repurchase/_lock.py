"""One writer at a time per output: an exclusive lock file beside it, held for the whole write.

The lock is ``fcntl.flock`` on ``.<name>.lock`` next to the output, so it goes with the process
(a killed writer releases it) and outlives the swaps of the output itself. :class:`OutputError`,
the error of any output that cannot be written, is defined here because :class:`OutputLocked`
derives from it; :mod:`repurchase._io` re-exports both.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
import time
from pathlib import Path
from typing import Iterator

from repurchase.errors import RepurchaseError

#: how long a writer waits for another writer of the same output before giving up
LOCK_WAIT_SECONDS = 60.0
_LOCK_POLL_SECONDS = 0.1


class OutputError(RepurchaseError):
    """An output path that cannot be written (disk full, read-only, no permission)."""


class OutputLocked(OutputError):
    """Another process is writing the same output."""


def lock_path(target: str | Path) -> Path:
    """The lock file of an output: ``.<name>.lock`` beside it (it outlives the swaps of ``target``)."""
    target = Path(target)
    return target.parent / f".{target.name}.lock"


def _holder(path: Path) -> str:
    try:
        h = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        h = {}
    if not h:
        return "an unknown process"
    return f"process {h.get('pid')} on {h.get('host')} since {h.get('since')}"


@contextlib.contextmanager
def output_lock(target: str | Path, wait_s: float = LOCK_WAIT_SECONDS) -> Iterator[Path]:
    """Hold the exclusive lock of ``target`` (``fcntl.flock`` on its lock file) for the block.

    Waits up to ``wait_s`` seconds for another holder, then raises :class:`OutputLocked` naming
    it (pid, host, since when). The lock goes with the process: a killed holder releases it. The
    lock file is removed on release, so nothing is left beside ``target`` after a run.
    """
    path = lock_path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() >= deadline:
                raise OutputLocked(f"{target} is being written by {_holder(path)} (lock {path}); waited "
                                   f"{wait_s:g} s: run again when it has finished") from None
            time.sleep(_LOCK_POLL_SECONDS)
            continue
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # we locked a file its holder had just removed: take the current one
    try:
        since = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": since}).encode(), 0)
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # while still holding it: a waiter on this file sees it gone and retries
        os.close(fd)  # releases the flock
