"""What every command shares: the error boundary, output streams and common options."""

from __future__ import annotations

import datetime as dt
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from bafctl.errors import BafctlError, ExitCode
from bafctl.jsonout import dump_json

__all__ = ["dump_json"]

#: Set by the global ``--debug`` option: show tracebacks for internal errors.
DEBUG = False

PathsArg = Annotated[
    list[Path] | None,
    typer.Argument(
        metavar="[PATH]...",
        help="Register folders or files (default: every register in the current repository).",
        show_default=False,
    ),
]


def disable_cache() -> None:
    """`--no-cache`: every load in this process (and its workers) bypasses the cache."""
    os.environ["BAFCTL_NO_CACHE"] = "1"


def parse_date_option(value: str | None, option: str) -> dt.date | None:
    """An ISO date from an option such as ``--as-of``; a clear usage error otherwise."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date: write YYYY-MM-DD", param_hint=option) from None


def today(as_of: dt.date | None = None) -> dt.date:
    """The date rules are judged on: ``--as-of``, else ``BAFCTL_TODAY``, else today."""
    if as_of is not None:
        return as_of
    env = os.environ.get("BAFCTL_TODAY")
    if env:
        try:
            return dt.date.fromisoformat(env)
        except ValueError:
            raise BafctlError(f"BAFCTL_TODAY={env!r} is not a date: write YYYY-MM-DD") from None
    return dt.date.today()


def out(text: str = "") -> None:
    """Write a line of results to stdout."""
    sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))


def err(text: str) -> None:
    """Write a line of diagnostics to stderr."""
    sys.stderr.write(text.rstrip("\n") + "\n")


def stdout_console(*, stderr: bool = False) -> Any:
    """A rich Console that never interprets markup from data and colours only a TTY."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, markup=False, emoji=False, soft_wrap=False)


@contextmanager
def handle_errors() -> Iterator[None]:
    """Map exceptions to exit codes: expected errors get one line; bugs exit 3."""
    try:
        yield
    except (typer.Exit, typer.Abort, typer.BadParameter):
        raise
    except BafctlError as exc:
        err(f"bafctl: error: {exc}")
        raise typer.Exit(int(exc.exit_code)) from None
    except KeyboardInterrupt:
        err("bafctl: interrupted")
        raise typer.Exit(130) from None
    except BrokenPipeError:  # `bafctl summary | head`: not an error
        raise typer.Exit(int(ExitCode.OK)) from None
    except Exception as exc:  # noqa: BLE001 - the one place bugs are caught
        if DEBUG:
            traceback.print_exc()
        err(
            f"bafctl: internal error (please report): {type(exc).__name__}: {exc}"
            + ("" if DEBUG else " (run with --debug for the traceback)")
        )
        raise typer.Exit(int(ExitCode.INTERNAL)) from None


class TextOrJson(StrEnum):
    """Output formats of commands that print a report or JSON."""

    text = "text"
    json = "json"
