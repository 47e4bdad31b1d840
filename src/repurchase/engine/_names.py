"""Column names the queries make from data values (event types, categories)."""

from __future__ import annotations

import re


def safe_name(value: str) -> str:
    """A feature-name-safe form of an event type or category (lowercase, underscores)."""
    name = re.sub(r"[^0-9a-zA-Z]+", "_", str(value)).strip("_").lower()
    return name or "x"
