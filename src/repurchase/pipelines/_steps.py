"""Numbered pipeline steps with timings, printed as they finish."""

from __future__ import annotations

import contextlib
import time
from typing import Callable, Iterator


class Steps:
    def __init__(self, names: list[str], echo: Callable[[str], None] = print):
        self.names, self.echo, self.timings = names, echo, {}

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[list[str]]:
        """Run one step; the caller appends detail lines to the yielded list."""
        i = self.names.index(name) + 1
        notes: list[str] = []
        t0 = time.perf_counter()
        yield notes
        self.timings[name] = time.perf_counter() - t0
        head = f"[{i}/{len(self.names)}] {name}"
        self.echo(f"{head}: {notes[0] if notes else 'done'} ({self.timings[name]:.1f}s)")
        for line in notes[1:]:
            self.echo(f"      {line}")


def plan_text(title: str, steps: list[str], config_yaml: str, extra: list[str]) -> str:
    lines = [title, "steps:"] + [f"  {i}. {s}" for i, s in enumerate(steps, 1)] + extra
    lines += ["resolved config:"] + ["  " + line for line in config_yaml.rstrip().splitlines()]
    return "\n".join(lines)
