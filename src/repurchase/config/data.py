"""``data``: where the data is and how to read a user's export."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from repurchase.config._base import _Strict, check_timezone
from repurchase.schema import TABLES


class DataConfig(_Strict):
    """Where the data is and how to read a user's export."""

    dir: Path | None = None
    #: business timezone; None takes the data directory's ``dataset.yaml``, else UTC.
    timezone: str | None = None
    #: text encoding of CSV files (a BOM is always accepted); Chinese exports are often ``gbk``.
    encoding: str = "utf-8"
    #: move row-level problems to ``rejects/`` instead of stopping.
    tolerant: bool = False
    #: per table, canonical column name -> the header in the user's export.
    columns: dict[str, dict[str, str]] = Field(default_factory=dict)
    #: the user's status words -> paid / cancelled / refunded (e.g. 已支付: paid).
    status_values: dict[str, Literal["paid", "cancelled", "refunded"]] = Field(default_factory=dict)
    #: decimal separator of numbers in CSV files; the other one may only group thousands
    #: ("." reads 1,299.00 as 1299; "," reads 1.299,00 as 1299 and 12,5 as 12.5).
    decimal: Literal[".", ","] = "."
    #: strftime format of text timestamps that are not ISO 8601, e.g. "%d/%m/%Y %H:%M"; None infers
    #: the day/month order from each whole column and refuses a column that does not decide it.
    date_format: str | None = None

    @field_validator("date_format")
    @classmethod
    def _a_strftime_format(cls, value: str | None) -> str | None:
        if value is not None and "%" not in value:
            raise ValueError(f"'{value}' is not a strftime format; e.g. '%d/%m/%Y %H:%M'")
        return value

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for table, mapping in value.items():
            if table not in TABLES:
                raise ValueError(f"unknown table '{table}' (known: {', '.join(TABLES)})")
            known = TABLES[table].kinds
            for canonical in mapping:
                if canonical not in known:
                    raise ValueError(
                        f"data.columns.{table}: '{canonical}' is not a canonical column of "
                        f"{table} (known: {', '.join(known)})"
                    )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value is not None:
            check_timezone(value)
        return value
