"""The command group, the options every config-reading command shares, and the error contract."""

from __future__ import annotations

import dataclasses
import errno
import functools
import sys
from typing import Any, Callable, Mapping

import click

from repurchase import __version__
from repurchase.cli._logs import flush_repeats, setup_logging
from repurchase.config import Config, load_config
from repurchase.errors import RepurchaseError


@dataclasses.dataclass(frozen=True)
class ConfigSource:
    """What ``--config`` / ``--profile`` / ``--set`` asked for; loaded only when a command needs it
    (so usage errors come first, and ``features --list`` reads no config)."""

    path: str | None
    profile: str | None
    overrides: tuple[str, ...]

    def load(self, extra: Mapping[str, Any] | None = None) -> Config:
        """The layered config, with ``extra`` (the command's own flags) applied after ``--set``."""
        layers: list = list(self.overrides)
        if extra:
            layers.append(extra)
        return load_config(self.path, self.profile, layers)


def config_options(fn):
    """--config / --profile / --set, shared by every subcommand that reads the config; the command
    receives them as one ``config`` argument, a :class:`ConfigSource`."""

    @functools.wraps(fn)
    def command(*args, config_path, profile, overrides, **kwargs):
        return fn(*args, config=ConfigSource(config_path, profile, tuple(overrides)), **kwargs)

    command = click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                           help="Override one config key, e.g. --set data.timezone=Asia/Shanghai.")(command)
    command = click.option("--profile", default=None, help="Profile overlay: configs/profiles/NAME.yaml.")(command)
    command = click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
                           help="Base YAML config (default: built-in defaults = configs/base.yaml).")(command)
    return command


def given(section: str, **flags: Any) -> dict | None:
    """``{section: flags}`` of the flags given on the command line (not None), or None."""
    flags = {k: v for k, v in flags.items() if v is not None}
    return {section: flags} if flags else None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="repurchase")
@click.option("--debug", is_flag=True, help="Show Python tracebacks on errors.")
@click.option("-v", "--verbose", count=True,
              help="Log lines too: -v every INFO line (MLflow's included), -vv debug. Default: warnings only.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors in the log (the command's own lines still print).")
def cli(debug: bool, verbose: int, quiet: bool) -> None:
    """Repurchase prediction for private-domain retail: who to message next, with what, and when."""
    setup_logging(verbose, quiet)


#: OSErrors caused by the machine rather than the code: disk full, quota, read-only, permissions
_ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


def guarded(fn: Callable[[], object], *, debug: bool = False) -> int:
    """Run ``fn`` under the error contract: user errors exit 2 with one paragraph, anything else
    exits 1 with one line; tracebacks only when ``debug``."""
    try:
        fn()
        return 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("Interrupted.", err=True)
        return 130
    except RepurchaseError as exc:
        if debug:
            raise
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - the last line of defence for the user's terminal
        if debug:
            raise
        if isinstance(exc, OSError) and exc.errno in _ENVIRONMENT_ERRNOS:
            from repurchase._io import os_error_text

            # a full disk or a read-only path is the environment, not a bug: one sentence, exit 2
            click.echo(f"error: {os_error_text(exc, exc.filename or '?')}", err=True)
            return RepurchaseError.exit_code
        if type(exc).__name__ == "OutOfMemoryException":  # DuckDB's, at its engine.memory_limit
            click.echo(f"error: the query engine ran out of memory ({str(exc).splitlines()[0]}). Raise its limit "
                       "(--set engine.memory_limit=8GB; unset, it is half of RAM); "
                       "fewer threads (engine.threads) also need less.", err=True)
            return RepurchaseError.exit_code
        click.echo(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)", err=True)
        return 1


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        return guarded(lambda: cli.main(args=args, prog_name="repurchase", standalone_mode=False),
                       debug="--debug" in args)
    finally:
        flush_repeats()  # "... (repeated 5 more times)" once, at the end
