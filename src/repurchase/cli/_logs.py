"""Logging for the command line: the tool's own lines on stdout, logs on stderr, third-party INFO
silenced unless asked for, and a message repeated many times shown once with its count.

Only entry points call :func:`setup_logging`; library modules just use ``logging.getLogger``.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import sys
from collections import Counter

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")

#: loggers of libraries that talk at INFO about their own business (MLflow's table migrations,
#: alembic, HTTP pools, plots)
THIRD_PARTY = ("mlflow", "alembic", "urllib3", "matplotlib", "PIL", "lightgbm", "numexpr", "httpx")


class RepeatFilter(logging.Filter):
    """Lets the first record of each message template through and counts the rest.

    The key is the logger, level and the message with its digits masked, so "BG/NBD fit with
    penalizer 0.001 did not converge" at four penalisers is one line, and at the end "(and 3 more
    like it)"; messages that differ in words (another model, another table) all get through.
    """

    def __init__(self) -> None:
        super().__init__()
        self.seen: Counter = Counter()
        self.first: dict = {}

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not break logging
            text = str(record.msg)
        key = (record.name, record.levelno, _DIGITS.sub("#", text))
        self.seen[key] += 1
        if self.seen[key] == 1:
            self.first[key] = record
            return True
        return False

    def summary(self) -> list[str]:
        """One line per message that was held back: its first text and how many more like it came."""
        lines = []
        for key, n in self.seen.items():
            if n > 1:
                rec = self.first[key]
                lines.append(f"{logging.getLevelName(rec.levelno)} {rec.name}: {rec.getMessage()} "
                             f"(and {n - 1:,} more like it)")
        self.seen.clear()
        self.first.clear()
        return lines


_handler: logging.Handler | None = None
_repeats = RepeatFilter()


def level_for(verbose: int, quiet: bool) -> tuple[int, int]:
    """(level of repurchase's own loggers, level of third-party loggers).

    Default: warnings only from both, since the pipeline prints its own progress lines;
    ``-v`` adds every INFO line; ``-vv`` debug; ``-q`` errors only.
    """
    if quiet:
        return logging.ERROR, logging.ERROR
    if verbose >= 2:
        return logging.DEBUG, logging.DEBUG
    if verbose == 1:
        return logging.INFO, logging.INFO
    return logging.WARNING, logging.WARNING


def setup_logging(verbose: int = 0, quiet: bool = False) -> None:
    """Configure logging for one command-line run (idempotent: a second call replaces the first)."""
    global _handler
    own, other = level_for(verbose, quiet)
    # MLflow installs its own INFO handler when first imported: tell it the level before that happens
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", logging.getLevelName(other))
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter(FORMAT, datefmt="%H:%M:%S"))
    _handler.addFilter(_repeats)
    root.addHandler(_handler)
    root.setLevel(min(own, other))
    logging.getLogger("repurchase").setLevel(own)
    for name in THIRD_PARTY:
        logging.getLogger(name).setLevel(other)
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").setLevel(logging.WARNING if not quiet else logging.ERROR)


def flush_repeats() -> None:
    """Print the count of every held-back repeated message (called when a command ends)."""
    for line in _repeats.summary():
        print(line, file=sys.stderr)


atexit.register(flush_repeats)
