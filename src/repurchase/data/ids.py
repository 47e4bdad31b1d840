"""Whole-table id checks: refuse a table whose ids do not meet the ids it refers to.

A few unmatched ids are row-level problems (:mod:`repurchase.data.validate`); a table whose ids
mostly match none of its parent's, or match only once leading zeros are dropped, comes from
another export or another id field, and is refused even when loading is tolerant (its rows would
be lost, not rejected). Ids are compared as text and never guessed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from repurchase._arrow import unique
from repurchase.errors import DataError

#: a table whose distinct ids mostly (more than this share) match none of the table it refers to
#: uses another id format; so does one whose unmatched ids mostly match once leading zeros go
MISMATCH_SHARE = 0.5


def check_id_formats(typed: Mapping[str, pd.DataFrame], files: Mapping[str, Path]) -> None:
    """Refuse tables whose ids do not meet the ids they refer to (see :func:`_refuse_mismatch`)."""
    o = typed["orders"]
    # (table, column, the ids it refers to, where they come from, how unmatched ids are described, both ways)
    checks = []
    if "customers" in typed:
        checks.append(("customers", "customer_id", unique([o["customer_id"]]), "orders",
                       "match no customer_id in 'orders'", True))
    known = unique([o["customer_id"]] + ([typed["customers"]["customer_id"]] if "customers" in typed else []))
    for name in ("events", "contacts"):
        if name in typed:
            checks.append((name, "customer_id", known, "orders", "are in neither customers nor orders", False))
    if "order_items" in typed:
        checks.append(("order_items", "order_id", unique([o["order_id"]]), "orders", "are not in orders", False))
        if "products" in typed:
            checks.append(("products", "sku", unique([typed["order_items"]["sku"]]), "order_items",
                           "match no sku in 'order_items'", True))
    for table, col, parent_ids, parent, phrase, both_ways in checks:
        _refuse_mismatch(table, col, typed[table][col], parent_ids, parent, phrase, files[table], both_ways)


def _strip_zeros(ids: pa.Array) -> pa.Array:
    trimmed = pc.utf8_ltrim(ids, characters="0")
    return pc.if_else(pc.equal(trimmed, ""), "0", trimmed)


def _refuse_mismatch(table: str, col: str, values: pd.Series, parent_ids: pa.Array, parent: str, phrase: str,
                     path: Path, both_ways: bool) -> None:
    """Raise when ``table``'s ``col`` ids match ``parent_ids`` only once leading zeros are dropped,
    or mostly match none of them (``both_ways``: and most of the parent's are missing here too,
    since a customers or products table may well hold ids nobody ordered).

    A few unmatched ids are row-level problems (or legitimate members who never bought); this is
    the whole-table check that catches two exports with different id formats.
    """
    ids = unique([values])
    if not len(ids) or not len(parent_ids):
        return
    found = pc.is_in(ids, value_set=parent_ids)
    unmatched = ids.filter(pc.invert(found))
    n_ids, n_unmatched = len(ids), len(unmatched)
    if not n_unmatched:
        return
    where = f"table '{table}' ({path.name}), column '{col}'"
    # leading zeros: digit ids equal once the zeros are dropped ('749' vs '00749')
    digits = unmatched.filter(pc.match_substring_regex(unmatched, r"^\d+$"))
    parent_digits = parent_ids.filter(pc.match_substring_regex(parent_ids, r"^\d+$"))
    if len(digits) and len(parent_digits):
        keys, parent_keys = _strip_zeros(digits), _strip_zeros(parent_digits)
        hit = pc.is_in(keys, value_set=parent_keys)
        n_hit = int(pc.sum(hit).as_py() or 0)
        if n_hit and n_hit >= MISMATCH_SHARE * n_unmatched:
            shown = digits.filter(hit)[:3]
            pos = pc.index_in(_strip_zeros(shown), value_set=parent_keys).to_pylist()
            pairs = ", ".join(f"{table} {a!r} ~ {parent} {parent_digits[p].as_py()!r}" for a, p in zip(shown.to_pylist(), pos))
            raise DataError(
                f"{where}: {n_hit:,} of {n_ids:,} distinct ids {phrase}, but would if leading zeros were ignored "
                f"(e.g. {pairs}). One export lost the leading zeros (an integer column or a spreadsheet); ids are "
                "compared as text and never guessed: export them as text in both tables."
            )
    if n_unmatched <= MISMATCH_SHARE * n_ids:
        return
    shown = ", ".join(repr(v) for v in unmatched[:3].to_pylist())
    detail = ""
    if both_ways:
        covered = int(pc.sum(pc.is_in(parent_ids, value_set=ids)).as_py() or 0)
        if covered > MISMATCH_SHARE * len(parent_ids):
            return
        missing = parent_ids.filter(pc.invert(pc.is_in(parent_ids, value_set=ids)))
        detail = (f", and only {covered:,} of the {len(parent_ids):,} {col} values of '{parent}' are in '{table}' "
                  f"(e.g. not there: {', '.join(repr(v) for v in missing[:3].to_pylist())})")
    raise DataError(
        f"{where}: {n_unmatched:,} of {n_ids:,} distinct ids {phrase} (e.g. {shown}){detail}. The tables seem to "
        f"use different ids (another export, or another id field): map the right column with data.columns."
    )
