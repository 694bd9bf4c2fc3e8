"""The bafctl command line: parse, call the core, render, exit.

Commands live one module per command in :mod:`bafctl.commands`; this module only
builds the app. Nothing heavy is imported here, so ``bafctl --help`` is quick.
"""

from __future__ import annotations

import importlib
from typing import Annotated

import typer
from typer.core import TyperCommand

from bafctl import __version__
from bafctl.commands import _support
from bafctl.errors import ExitCode, OutputError

#: Command modules, in the order `bafctl --help` lists them.
COMMAND_MODULES = (
    "bafctl.commands.check",
    "bafctl.commands.export",
    "bafctl.commands.schema",
    "bafctl.commands.summary",
    "bafctl.commands.report",
    "bafctl.commands.rescore",
    "bafctl.commands.breaches",
    "bafctl.commands.diff",
    "bafctl.commands.history",
    "bafctl.commands.init",
)

EPILOG = (
    "Exit codes: 0 success; 1 error-level findings, a risk out of appetite, or a pending change; "
    "2 usage or environment error; 3 internal error (a bug: rerun with --debug)."
)

app = typer.Typer(
    name="bafctl",
    help=(
        "Keep an NHS Board Assurance Framework honest: validate, rescore, diff and report "
        "on BAF registers kept as YAML in git."
    ),
    epilog=EPILOG,
    no_args_is_help=True,
    # Plain help: rich help imports rich, markdown-it and pygments (about 90 ms of every
    # `bafctl --help`, benchmarks/importtime.py).
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    # --install-completion and --show-completion; a shell asks for completions through
    # $_BAFCTL_COMPLETE, which click reads only when it is set (typer's completion
    # modules are imported by `import typer` already: no start-up cost).
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bafctl {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[  # noqa: ARG001 - handled by its eager callback
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for internal errors.")] = False,
    no_cache: Annotated[
        bool,
        typer.Option("--no-cache", help="Do not use or fill the cache of validated files (also BAFCTL_NO_CACHE=1)."),
    ] = False,
    color: Annotated[
        _support.ColorChoice,
        typer.Option("--color", help=_support.COLOR_HELP, case_sensitive=False),
    ] = _support.ColorChoice.auto,
) -> None:
    _support.DEBUG = debug
    _support.NO_CACHE = no_cache
    _support.COLOR = color.value


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)
for _info in app.registered_commands:
    if _info.cls in (None, TyperCommand):  # every command's help as it is typed (`[PATH]...`)
        _info.cls = _support.Command


def main() -> None:
    """Entry point of the `bafctl` console script.

    Each command reports a failed write itself (exit 2); this catches what is written
    outside a command (``--help``, ``--version``, usage errors), so no traceback or
    "Exception ignored" reaches the user.
    """
    _support.plug_closed_streams()
    try:
        app()
    except SystemExit as exc:
        code = exc.code
    except OSError as exc:  # click writing help or a usage error to a full disk
        code = _output_failed(exc)
    else:  # pragma: no cover - click always exits
        code = 0
    try:
        _support.flush_stdout()
    except OutputError as exc:
        code = _output_failed(exc)
    raise SystemExit(code)


def _output_failed(exc: OSError | OutputError) -> int:
    _support.silence_stdout()
    reason = "" if isinstance(exc, OutputError) else exc.strerror or str(exc)
    message = f"cannot write the output: {reason}" if reason else str(exc)
    _support.err(f"bafctl: error: {message}")
    return int(ExitCode.USAGE)
