"""What every importer shares: the summary it returns, reading a source CSV, and the closing count.

Each importer returns the tables and an :class:`ImportSummary` that counts every row it read and
every row it set aside, by reason, so nothing disappears silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from repurchase.errors import DataError


@dataclass
class ImportSummary:
    """Counts of what an importer read, kept and set aside."""

    dataset: str
    rows_read: int = 0
    set_aside: dict[str, int] = field(default_factory=dict)  # rows or invoices left out, by reason
    facts: dict[str, int] = field(default_factory=dict)  # figures of the source, for checking
    tables: dict[str, int] = field(default_factory=dict)
    date_range: tuple[str, str] = ("", "")
    customers: int = 0

    def lines(self) -> list[str]:
        out = [f"{self.dataset}: read {self.rows_read:,} rows"]
        out += [f"  {reason}: {n:,}" for reason, n in self.facts.items()]
        out += [f"  set aside: {n:,} {reason}" for reason, n in self.set_aside.items()]
        out += [f"  wrote {name}: {n:,} rows" for name, n in self.tables.items()]
        out.append(f"  customers: {self.customers:,}; order dates {self.date_range[0]} .. {self.date_range[1]}")
        return out


def read_csv(src: Path, columns: list[str]) -> pd.DataFrame:
    """``src`` as text (empty cells missing), refused when absent, unreadable or short of ``columns``."""
    if not Path(src).is_file():
        raise DataError(f"source file {src} not found.")
    try:
        frame = pd.read_csv(src, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read {src}: {exc}") from exc
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{src} is missing column(s) {', '.join(missing)} (has: {', '.join(frame.columns)}).")
    return frame


def finish(s: ImportSummary, tables: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], ImportSummary]:
    """``tables`` and ``s`` with the closing counts: rows per table, customers, order dates."""
    orders = tables["orders"]
    s.tables = {k: len(v) for k, v in tables.items()}
    s.customers = int(orders["customer_id"].nunique())
    s.date_range = (str(orders["order_ts"].min().date()), str(orders["order_ts"].max().date()))
    return tables, s
