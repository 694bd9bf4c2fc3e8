"""`bafctl breaches`: every risk outside the board's appetite, worst first, for people and CI."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bafctl.commands._support import (
    ColorOpt,
    PathsArg,
    append_step_summary,
    color_system,
    err,
    handle_errors,
    out,
    parse_date_option,
    print_findings,
    run_settings,
)


class BreachFormat(StrEnum):
    """Output formats of `bafctl breaches`."""

    text = "text"
    json = "json"
    markdown = "markdown"


def breaches(
    paths: PathsArg = None,
    output_format: Annotated[
        BreachFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
    ] = BreachFormat.text,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit 0 even when a risk is in breach (report only).")
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="Judge target and due dates as of this date (default: as_of in bafctl.toml, else today).",
        ),
    ] = None,
    color: ColorOpt = None,
) -> None:
    """List every risk outside appetite: in breach, target outside appetite, or off track.

    Worst first, with current and target (CxL=score), tolerance, how far over,
    executive lead, oversight committees and whether an open action with an owner and
    a due date can bring the risk back. Exits 1 when any risk's current score is above
    its tolerance (or a file has errors, so the report is incomplete), 0 otherwise;
    --exit-zero always exits 0.
    """
    as_of_date = parse_date_option(as_of, "--as-of")
    with handle_errors():
        from bafctl.render.breaches import render_json, render_markdown, render_text
        from bafctl.usecases.breaches import find_breaches

        settings = run_settings()
        found = find_breaches(
            list(paths or []), Path.cwd(), as_of=as_of_date, clock=settings.date, options=settings.load
        )
        print_findings(found.errors)
        if found.errors:
            files = len({f.path for f in found.errors})
            err(
                f"bafctl: warning: {files} file{'s have' if files != 1 else ' has'} errors: "
                "the report may be incomplete (`bafctl check` lists every problem)"
            )
        report = found.report
        if output_format is BreachFormat.json:
            out(render_json(report))
        elif output_format is BreachFormat.markdown:
            out(render_markdown(report))
        else:
            out(render_text(report, color_system=color_system(settings, color)))
        if settings.github_step_summary is not None:
            from bafctl.render.breaches import render_step_summary

            append_step_summary(settings.github_step_summary, render_step_summary(report))
        failed = found.failed
    raise typer.Exit(1 if failed and not exit_zero else 0)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(breaches)
