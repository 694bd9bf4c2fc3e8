"""`bafctl report`: the board pack as print-ready HTML, Word or PDF."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bafctl.commands._support import (
    PathsArg,
    err,
    handle_errors,
    parse_date_option,
    report_earlier_problems,
    run_settings,
    write_stdout_bytes,
)


class ReportFormat(StrEnum):
    """Output formats of `bafctl report`."""

    html = "html"
    docx = "docx"
    pdf = "pdf"


class AudienceChoice(StrEnum):
    """Who the report is for."""

    board = "board"
    public = "public"


def write_output(output: Path, data: bytes | Iterable[bytes]) -> None:
    """Write the report to ``output`` (``-``: standard output), whole or chunk by chunk.

    A regular file (or a new one) is written beside itself and renamed into place, so a
    failure part-way (a full disk, an interrupted run) leaves the previous report, never
    half of one; it keeps the previous file's permissions, and a symbolic link is written
    through. Anything else (a named pipe, a device) or a file in a folder bafctl cannot
    write is written directly, as it always was.
    """
    chunks = [data] if isinstance(data, bytes) else data
    if str(output) == "-":
        for chunk in chunks:
            write_stdout_bytes(chunk)
        return
    from bafctl.errors import BafctlError

    try:
        _write_file(Path(os.path.realpath(output)), chunks)
    except OSError as exc:
        raise BafctlError(f"{output}: cannot write the report: {exc.strerror or exc}") from None


def _write_file(target: Path, chunks: Iterable[bytes]) -> None:
    import stat
    import tempfile

    try:
        existing: os.stat_result | None = target.stat()
    except FileNotFoundError:
        existing = None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        _write_in_place(target, chunks)  # a named pipe or a device: there is nothing to replace
        return
    try:
        handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except PermissionError:
        if existing is None:
            raise
        _write_in_place(target, chunks)  # a writable file in a folder bafctl cannot write
        return
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as stream:
            for chunk in chunks:
                stream.write(chunk)
            # mkstemp makes the file private: keep the previous report's permissions, or
            # give a new one those of any file written here.
            umask = os.umask(0)
            os.umask(umask)
            mode = stat.S_IMODE(existing.st_mode) if existing is not None else 0o666 & ~umask
            os.fchmod(stream.fileno(), mode)
        temp.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def _write_in_place(target: Path, chunks: Iterable[bytes]) -> None:
    with target.open("wb") as stream:
        for chunk in chunks:
            stream.write(chunk)


def report(
    paths: PathsArg = None,
    *,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Where to write the report (required; '-' for standard output)."
        ),
    ] = None,
    output_format: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format", "-f", help="Output format (default: from the file name, else html).", case_sensitive=False
        ),
    ] = None,
    audience: Annotated[
        AudienceChoice,
        typer.Option(
            "--audience",
            help="board: everything; public: leave out whatever the register marks private.",
            case_sensitive=False,
        ),
    ] = AudienceChoice.board,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="REV", help="Add movement, 'changes since' and closed actions since REV."),
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            "--date",
            metavar="YYYY-MM-DD",
            help="The report's date (default: the date of the commit the registers are at); --date is its old name.",
        ),
    ] = None,
    template_dir: Annotated[
        Path | None,
        typer.Option(
            "--template-dir",
            metavar="DIR",
            help="HTML/PDF: a folder of the trust's templates; a file named like one of bafctl's "
            "(cover.html.j2, report.css.j2, ...) is used instead of it.",
        ),
    ] = None,
    docx_template: Annotated[
        Path | None,
        typer.Option(
            "--docx-template",
            metavar="FILE",
            help="Word: build the pack on the trust's own .docx (its styles, headers, footers and logo).",
        ),
    ] = None,
) -> None:
    """Write the board report: cover, summary, heat maps, a page per risk, action log.

    A4 landscape, one page per risk laid out as its BAF entry; --audience public leaves out what is marked private.

    The same registers at the same revision give byte-identical output: its only date is the commit's (or --as-of).
    --template-dir and --docx-template restyle the pack with the trust's own templates.
    Exits 1, writing nothing, when a register has errors.
    """
    report_date = parse_date_option(date, "--as-of")
    if output is None:
        raise typer.BadParameter("name the file to write, e.g. -o board-pack.html", param_hint="--output")
    with handle_errors():
        from bafctl.report import Audience
        from bafctl.usecases.report import build_board_report

        settings = run_settings()
        chosen = output_format or _format_from_name(output)
        result, earlier = build_board_report(
            list(paths or []),
            Path.cwd(),
            audience=Audience(audience.value),
            date=report_date,
            since=since,
            clock=settings.date,
            options=settings.load,
        )
        if earlier is not None:
            report_earlier_problems(earlier)
        data: bytes | Iterable[bytes]
        if chosen is ReportFormat.html:
            from bafctl.render.report_html import report_html_chunks

            data = (chunk.encode("utf-8") for chunk in report_html_chunks(result, template_dir))
        elif chosen is ReportFormat.docx:
            from bafctl.render.report_docx import render_report_docx

            data = render_report_docx(result, template=docx_template)
        else:
            from bafctl.render.pdf import html_to_pdf
            from bafctl.render.report_html import render_report_html

            data = html_to_pdf(
                render_report_html(result, template_dir),
                date=result.date,
                browser=settings.chromium,
                environment=settings.environment,
            )
        write_output(output, data)
        if str(output) != "-":
            from bafctl.escaping import display_path

            err(f"bafctl: wrote {display_path(output)} ({chosen.value}, {len(result.risks)} risks, {audience.value})")


def _format_from_name(output: Path) -> ReportFormat:
    suffix = output.suffix.lower().lstrip(".")
    return {"htm": ReportFormat.html, "docx": ReportFormat.docx, "pdf": ReportFormat.pdf}.get(suffix, ReportFormat.html)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(report)
