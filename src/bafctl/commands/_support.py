"""What every command shares: the error boundary, output streams and common options."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO, NoReturn, TextIO

import typer
from typer.core import TyperCommand

from bafctl.errors import BafctlError, ExitCode, OutputError, RegistersInvalidError, RescoreRefusedError
from bafctl.jsonout import dump_json

if TYPE_CHECKING:
    from bafctl.settings import Settings
    from bafctl.usecases.registers import EarlierRegisters

__all__ = ["dump_json"]

#: Set by the global ``--debug`` option: show tracebacks for internal errors.
DEBUG = False
#: Set by the global ``--color`` option of this invocation (a command's own ``--color`` wins).
COLOR = "auto"
#: Set by the global ``--no-cache`` option of this invocation (the root callback sets it
#: every run, so one run's flag never reaches the next in the same process).
NO_CACHE = False


class Command(TyperCommand):
    """A command whose help reads as it is typed: ``Usage: bafctl check [OPTIONS] [PATH]...``.

    An argument's metavar is written as the usage line shows it (``[PATH]...``,
    ``[REV_A [REV_B]] [-- PATH...]``) and is shown as it is, in the usage line and in the
    argument table, with no Python type beside it (``<list[Path]>``). An argument
    with no metavar is shown by its name in capitals; a choice keeps its choices.
    """

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        """``[OPTIONS]``, then each argument as its metavar reads."""
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                pieces.append(_argument_label(param))
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        """The Arguments and Options sections, arguments under their usage names."""
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                label = _argument_label(param)
                choices = getattr(getattr(param, "type_descriptor", None), "choices", None)
                if param.metavar is None and choices:  # a choice keeps them: `KIND <risk|register>`
                    label += " <" + "|".join(str(getattr(c, "value", c)) for c in choices) + ">"
                arguments.append((label, record[1]))
            elif param.param_type_name == "option":
                options.append(record)
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        if options:
            with formatter.section("Options"):
                formatter.write_dl(options)


def _argument_label(param: Any) -> str:
    return str(param.metavar) if param.metavar else str(param.name).upper()


class ColorChoice(StrEnum):
    """When to colour text output (``--color``)."""

    auto = "auto"
    always = "always"
    never = "never"


COLOR_HELP = "Colour the text output: auto (on a terminal, unless NO_COLOR is set), always or never."

ColorOpt = Annotated[
    ColorChoice | None,
    typer.Option(
        "--color",
        help=COLOR_HELP + " (default: the global --color, else auto)",
        case_sensitive=False,
        show_default=False,
    ),
]


def color_system(settings: Settings, choice: ColorChoice | None = None) -> str | None:
    """The colour system for text on stdout (None: plain), from ``--color`` and the environment."""
    stream = sys.stdout
    try:
        terminal = stream is not None and stream.isatty()
    except (OSError, ValueError):
        terminal = False
    wanted = choice.value if choice is not None else COLOR
    return settings.color_system(wanted=wanted, terminal=terminal)


PathsArg = Annotated[
    list[Path] | None,
    typer.Argument(
        metavar="[PATH]...",
        help="Register folders or files (default: every register in the current repository).",
        show_default=False,
    ),
]


def run_settings(*, no_cache: bool = False) -> Settings:
    """This run's settings, from the flags and the environment (:func:`bafctl.settings.gather`).

    ``no_cache``: the command's own ``--no-cache``, beside the global one.
    """
    from bafctl.settings import gather

    return gather(no_cache=no_cache or NO_CACHE)


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
    return run_settings().date(as_of)


def print_findings(findings: Any) -> None:
    """Each finding as ``path:line:col: level: message`` on stderr (before a refusal)."""
    from bafctl.render.findings import line_for

    for finding in findings:
        err(line_for(finding))


def _output_failed(exc: BaseException | None) -> NoReturn:
    # A ValueError (or no exception): the stream is closed, or was closed under bafctl.
    closed = "standard output is closed"
    reason = (exc.strerror or str(exc) or type(exc).__name__) if isinstance(exc, OSError) else closed
    raise OutputError(f"cannot write the output: {reason}") from None


def _stdout() -> TextIO:
    """The standard output stream; an :class:`OutputError` when there is none (``>&-``)."""
    stream = sys.stdout
    if stream is None or stream.closed:
        _output_failed(None)
    return stream


def require_stdout() -> None:
    """Refuse, before anything is changed, when there is no standard output to report on."""
    _stdout()


def _write_all(buffer: BinaryIO, data: bytes) -> None:
    # A buffered writer returns a short count when the disk fills part-way (or a file
    # size limit is reached) and TextIOWrapper drops the rest without a word: write
    # the rest, so the next write raises the error instead.
    view = memoryview(data)
    while view:
        written = buffer.write(view)
        if not written:
            raise OSError(errno.EIO, "the write made no progress")
        view = view[written:]


def write_stdout(text: str) -> None:
    """Write results to stdout as they are; a failed write is an :class:`OutputError`."""
    stream = _stdout()
    buffer = getattr(stream, "buffer", None)
    try:
        if buffer is None or os.linesep != "\n":  # Windows: keep the text layer's line endings
            stream.write(text)
            return
        data = text.encode(stream.encoding or "utf-8", stream.errors or "strict")
        _write_all(buffer, data)
    except UnicodeError:
        raise  # a renderer let through text that is not UTF-8: a bug, not the disk
    except (OSError, ValueError) as exc:
        _output_failed(exc)


def write_stdout_bytes(data: bytes) -> None:
    """Write bytes (a report with ``-o -``) to stdout, after any text already written."""
    stream = _stdout()
    try:
        stream.flush()
        _write_all(stream.buffer, data)
    except (OSError, ValueError) as exc:
        _output_failed(exc)


def flush_stdout() -> None:
    """Flush stdout, so a full disk or a closed pipe is reported here, not at exit."""
    stream = sys.stdout
    if stream is None or stream.closed:
        return
    try:
        stream.flush()
    except (OSError, ValueError) as exc:
        _output_failed(exc)


def silence_stdout() -> None:
    """After a failed write: point stdout at /dev/null, so the flush at exit cannot fail again.

    Without it Python reports "Exception ignored ... BrokenPipeError" when it flushes
    what is still buffered, and exits 120.
    """
    stream = sys.stdout
    if stream is None:
        return
    try:
        fd = stream.fileno()
    except (OSError, ValueError):  # not a real file (a test runner's buffer)
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
    except OSError:  # pragma: no cover - no /dev/null
        return
    try:
        os.dup2(null, fd)
    except OSError:  # pragma: no cover - fd was closed under bafctl
        pass
    finally:
        os.close(null)


def plug_closed_streams() -> None:
    """Open /dev/null on a closed stdin, stdout or stderr (``bafctl check >&-``).

    A closed descriptor 1 would otherwise be reused by the next file bafctl opens, and
    a child process would write its output there. Python has already set ``sys.stdout``
    to None for it, so results still fail with an :class:`OutputError`.
    """
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            try:
                null = os.open(os.devnull, os.O_RDWR)
            except OSError:  # pragma: no cover - no /dev/null
                return
            if null != fd:
                os.dup2(null, fd)
                os.close(null)


def out(text: str = "") -> None:
    """Write a line of results to stdout; a failed write is an :class:`OutputError` (exit 2)."""
    write_stdout(text + ("" if text.endswith("\n") else "\n"))


def err(text: str) -> None:
    """Write a line of diagnostics to stderr (control characters and CI commands made inert)."""
    from bafctl.escaping import log_safe, terminal

    stream = sys.stderr
    if stream is None:
        return
    with contextlib.suppress(OSError, ValueError):  # nowhere left to say it
        stream.write(log_safe(terminal(text.rstrip("\n"))) + "\n")


def append_step_summary(path: Path, markdown: str) -> None:
    """Append to the GitHub job summary (``$GITHUB_STEP_SUMMARY``); a failure is a warning.

    The summary shows every finding, where GitHub shows only the first ten warning
    annotations of a step (docs/ci.md). Not writing it never changes the exit code.
    """
    try:
        with path.open("a", encoding="utf-8") as stream:
            stream.write(markdown if markdown.endswith("\n") else markdown + "\n")
    except OSError as exc:
        from bafctl.escaping import display_path

        err(f"bafctl: warning: cannot write the job summary {display_path(path)}: {exc.strerror or exc}")


def report_earlier_problems(earlier: EarlierRegisters) -> None:
    """The files that did not load at an earlier revision (``--since``), on stderr.

    Their risks then count as new: an earlier broken file is no reason to refuse today's output.
    """
    from bafctl.render.findings import line_for

    if not earlier.broken:
        return
    label = earlier.info.label
    for finding in earlier.broken:
        err(f"{line_for(finding)} (at {label})")
    files = len({f.path for f in earlier.broken})
    err(f"bafctl: warning: {files} file(s) did not load at {label}: their risks are compared as if they were new")


def stdout_console(*, stderr: bool = False) -> Any:
    """A rich Console that never interprets markup from data and colours only a TTY."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, markup=False, emoji=False, soft_wrap=False)


def warn_cache_refusals() -> None:
    """One warning for each cache folder bypassed in this run (unsafe owner or mode).

    The cache never prints; it records why it refused a folder, and the CLI says so once,
    as ssh does for a loose key file. Nothing is imported when no cache was used.
    """
    for reason in _cache_refusals():
        err(f"bafctl: warning: {reason}")


def _cache_refusals() -> list[str]:
    # The cache records refusals per process; taking them empties the record.
    cache = sys.modules.get("bafctl.cache")
    reasons: list[str] = []
    while cache is not None and (reason := cache.take_refusal()) is not None:
        reasons.append(reason)
    return reasons


@contextmanager
def handle_errors() -> Iterator[None]:
    """Map exceptions to exit codes: expected errors get one line; bugs exit 3.

    Standard output is flushed inside the boundary, so a full disk or a closed pipe
    found only when the last results are written is still one line and exit 2 (never
    a traceback at exit).
    """
    _cache_refusals()  # an earlier command in this process (a test, a library caller) is not this run
    try:
        try:
            yield
        finally:
            warn_cache_refusals()
            flush_stdout()
    except (typer.Exit, typer.Abort, typer.BadParameter):
        raise
    except BafctlError as exc:
        if isinstance(exc, OutputError):
            silence_stdout()
        if isinstance(exc, RegistersInvalidError | RescoreRefusedError):
            print_findings(exc.findings)  # the problems first, each at its position
        err(f"bafctl: error: {exc}")
        raise typer.Exit(int(exc.exit_code)) from None
    except KeyboardInterrupt:
        err("bafctl: interrupted")
        raise typer.Exit(130) from None
    except BrokenPipeError as exc:  # a pipe written to some other way than out()
        silence_stdout()
        err(f"bafctl: error: cannot write the output: {exc.strerror or exc}")
        raise typer.Exit(int(ExitCode.USAGE)) from None
    except Exception as exc:  # noqa: BLE001 - the one place bugs are caught
        if DEBUG:
            traceback.print_exc()
        err(
            f"bafctl: internal error (please report): {type(exc).__name__}: {exc}"
            + ("" if DEBUG else " (run with --debug for the traceback)")
        )
        raise typer.Exit(int(ExitCode.INTERNAL)) from None


class AudienceChoice(StrEnum):
    """Who a summary or report is for (``--audience``)."""

    board = "board"
    public = "public"


class TextOrJson(StrEnum):
    """Output formats of commands that print a report or JSON."""

    text = "text"
    json = "json"
