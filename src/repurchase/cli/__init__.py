"""The ``repurchase`` command: a thin shell over package functions, one subcommand per step.

Errors the user can act on exit with code 2 and one clear paragraph; anything else exits 1 with
a one-line message. A Python traceback is shown only with ``--debug``.

``_shell`` holds the group, the shared config options and the error contract; the subcommands
live in ``data``, ``modeling`` and ``lists`` (importing them registers them on the group); what
they print is formatted by :mod:`repurchase._format`.
"""

from repurchase.cli import data, lists, modeling  # noqa: F401 - registers the subcommands
from repurchase.cli._shell import cli, config_options, guarded, main

__all__ = ["cli", "config_options", "guarded", "main"]
