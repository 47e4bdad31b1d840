"""The CRM table ``crm_customer_scores``: its columns, the ``crm_customer_tags`` view over it, and
list rows as the records inserted into it.

``docs/crm_schema.md`` documents these columns for the CRM team;
:func:`~repurchase.export.crm.write_crm_table` creates the table and the view when missing and
replaces their rows.
"""

from __future__ import annotations

from typing import Iterable

import pandas as pd

#: bump when the columns of crm_customer_scores change; stored on every row
SCHEMA_VERSION = 1
TABLE = "crm_customer_scores"
TAGS_VIEW = "crm_customer_tags"


def scores_table(metadata):
    """``crm_customer_scores`` as a SQLAlchemy table of ``metadata``: one row per (as_of, list, customer)."""
    from sqlalchemy import Boolean, Column, Date, Float, Integer, String, Table, Text

    return Table(
        TABLE, metadata,
        Column("as_of", Date, primary_key=True),
        Column("list", String(16), primary_key=True),
        Column("customer_id", String(128), primary_key=True),
        Column("schema_version", Integer, nullable=False),
        Column("rank", Integer, nullable=False),
        Column("score", Float, nullable=False),
        Column("band", String(8), nullable=False),
        Column("rfm_code", String(3), nullable=False),
        Column("rfm_segment", String(64), nullable=False),
        Column("offer", String(64), nullable=False),
        Column("reasons", Text, nullable=False),
        Column("best_contact_hour", Integer, nullable=False),
        Column("control_group", Boolean, nullable=False),
        Column("model_version", String(128), nullable=False),
        Column("expected_purchase_date", Date),
        Column("top_categories", Text),
        Column("top_category_1", String(128)),
        Column("top_category_2", String(128)),
        Column("top_category_3", String(128)),
        Column("value_at_risk", Float),
        Column("expected_gain", Float),
    )


def tags_view_sql(dialect: str) -> str:
    """The statement that creates ``crm_customer_tags`` (one row per customer and tag) in ``dialect``."""
    parts = [f"SELECT as_of, customer_id, list, 'rfm_segment' AS tag_group, rfm_segment AS tag FROM {TABLE}",
             f"SELECT as_of, customer_id, list, 'band' AS tag_group, list || ':' || band AS tag FROM {TABLE}"]
    parts += [f"SELECT as_of, customer_id, list, 'due_category' AS tag_group, top_category_{i} AS tag FROM {TABLE} "
              f"WHERE top_category_{i} IS NOT NULL" for i in (1, 2, 3)]
    head = f"CREATE VIEW IF NOT EXISTS {TAGS_VIEW}" if dialect == "sqlite" else f"CREATE OR REPLACE VIEW {TAGS_VIEW}"
    return head + " AS\n" + "\nUNION ALL\n".join(parts)


def records(frame: pd.DataFrame, columns: Iterable[str]) -> list[dict]:
    """Rows of ``frame`` as insert records of ``columns`` (absent columns and missing values ``None``)."""
    f = frame.reindex(columns=list(columns))
    f = f.astype(object).where(pd.notna(f), None)
    return f.to_dict("records")
