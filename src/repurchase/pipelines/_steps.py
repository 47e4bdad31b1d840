"""Numbered pipeline steps with timings, printed as they finish.

A long step also says when it starts and prints a line per unit of work (a model trained) the
moment it is done, so a log written under cron shows progress instead of minutes of silence.
"""

from __future__ import annotations

import contextlib
import time
from typing import Callable, Iterator


class Steps:
    """Run and report the numbered steps of one pipeline.

    Parameters
    ----------
    names : list of str
        The steps, in order.
    echo : callable
        Where the lines go (``print``, ``click.echo``).
    long : set of str, optional
        Steps announced when they start (their live lines follow).
    """

    def __init__(self, names: list[str], echo: Callable[[str], None] = print, long: set[str] | None = None):
        self.names, self.echo, self.timings, self.long = names, echo, {}, set(long or ())
        self._t0 = time.perf_counter()

    def _head(self, name: str) -> str:
        return f"[{self.names.index(name) + 1}/{len(self.names)}] {name}"

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[list[str]]:
        """Run one step; the caller appends detail lines to the yielded list."""
        notes: list[str] = []
        if name in self.long:
            self.echo(f"{self._head(name)} ...")
        t0 = self._t0 = time.perf_counter()
        yield notes
        self.timings[name] = time.perf_counter() - t0
        self.echo(f"{self._head(name)}: {notes[0] if notes else 'done'} ({self.timings[name]:.1f}s)")
        for line in notes[1:]:
            self.echo(f"      {line}")

    def live(self, line: str) -> None:
        """A line printed now, inside the running step, with the seconds since the last one."""
        now = time.perf_counter()
        self.echo(f"      {line} ({now - self._t0:.1f}s)")
        self._t0 = now


def plan_text(title: str, steps: list[str], config_yaml: str, extra: list[str]) -> str:
    lines = [title, "steps:"] + [f"  {i}. {s}" for i, s in enumerate(steps, 1)] + extra
    lines += ["resolved config:"] + ["  " + line for line in config_yaml.rstrip().splitlines()]
    return "\n".join(lines)
