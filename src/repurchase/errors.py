"""Errors a user can act on. The CLI turns them into exit code 2 and one clear paragraph."""

from __future__ import annotations


class RepurchaseError(Exception):
    """Base for every error caused by the user's input, config or environment (exit code 2)."""

    exit_code = 2


class DataError(RepurchaseError):
    """A table, column or row that cannot be used; the message names where and how many."""


class ConfigError(RepurchaseError):
    """A config file or flag that cannot be used; the message names the key and the file."""


class MissingModelError(RepurchaseError):
    """No trained champion to load (none trained yet, or none passed the gate)."""
