"""``export``: where the lists go (files, and optionally a CRM table)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from repurchase.config._base import _Strict

class ExportConfig(_Strict):
    """Where the lists go."""

    #: directory for the list files (replaced whole on every scoring run)
    out_dir: Path = Path("lists")
    #: SQLAlchemy URL of the CRM database (e.g. sqlite:///crm.db); None: files only. Never put a
    #: password here: give the user in the URL and the password in $REPURCHASE_DB_PASSWORD
    db_url: str | None = None
    #: another run writing the same output directory (or the same date of the CRM table): wait this
    #: many seconds for it, then stop saying who holds it
    lock_wait_seconds: float = Field(60.0, ge=0)
    #: the language of the lists' words: reasons, segment / band / offer labels, category kinds
    #: (codes stay in their own columns); a Chinese shop's profile sets zh
    language: Literal["en", "zh"] = "en"
    #: a ``repurchase lift`` output directory (holds lift.csv) whose lift the run report shows
    lift_dir: Path | None = None

    @field_validator("db_url")
    @classmethod
    def _no_password(cls, value: str | None) -> str | None:
        if value:
            from sqlalchemy.engine import make_url

            try:
                url = make_url(value)
            except Exception as exc:  # noqa: BLE001 - sqlalchemy.exc.ArgumentError
                raise ValueError(f"not a database URL ({type(exc).__name__})") from None
            if url.password:
                raise ValueError("a password does not belong in a config file: remove it from export.db_url "
                                 "and set REPURCHASE_DB_PASSWORD in the environment")
        return value
