"""The strict base of every config section, and the timezone check shared by sections and readers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from repurchase.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_timezone(name: str) -> str:
    """Return ``name`` if it is an IANA timezone, else raise :class:`ConfigError`."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown timezone '{name}' (use an IANA name such as Asia/Shanghai)") from exc
    return name
