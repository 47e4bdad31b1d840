"""Importers: real public transaction datasets -> canonical tables.

One module per dataset (:mod:`.cdnow`, :mod:`.online_retail_ii`, :mod:`.complete_journey`), the
summary and helpers they share in :mod:`._common`. Each importer returns the tables and an
:class:`ImportSummary` that counts every row it read and every row it set aside, by reason, so
nothing disappears silently; :func:`import_dataset` runs one by name and writes its tables.
"""

from __future__ import annotations

from pathlib import Path

from repurchase.data.importers._common import ImportSummary
from repurchase.data.importers.cdnow import CDNOW_TIMEZONE, import_cdnow
from repurchase.data.importers.complete_journey import CJ_TIMEZONE, import_complete_journey
from repurchase.data.importers.online_retail_ii import (
    ORII_TIMEZONE,
    import_online_retail_ii,
    is_non_product,
    product_type,
)
from repurchase.data.write import write_tables
from repurchase.errors import DataError

__all__ = [
    "IMPORTERS", "ImportSummary", "import_cdnow", "import_complete_journey", "import_dataset",
    "import_online_retail_ii", "is_non_product", "product_type",
]

IMPORTERS = {
    "online-retail-ii": (import_online_retail_ii, ORII_TIMEZONE),
    "cdnow": (import_cdnow, CDNOW_TIMEZONE),
    "complete-journey": (import_complete_journey, CJ_TIMEZONE),  # naive US local time (84.51°: Cincinnati)
}


def import_dataset(name: str, src: str | Path, out: str | Path) -> ImportSummary:
    """Import public dataset ``name`` from ``src`` and write canonical tables to ``out``."""
    if name not in IMPORTERS:
        raise DataError(f"unknown dataset '{name}' (known: {', '.join(IMPORTERS)})")
    fn, tz = IMPORTERS[name]
    tables, summary = fn(src)
    meta = {"name": name, "timezone": tz, "source": str(Path(src).name),
            "import_summary": {"rows_read": summary.rows_read, **summary.facts,
                               **{f"set aside: {k}": v for k, v in summary.set_aside.items()}}}
    write_tables(tables, out, meta=meta)
    return summary
