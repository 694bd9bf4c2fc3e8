"""`bafctl summary`: the directors' one-page summary and heat map."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bafctl.commands._support import (
    AudienceChoice,
    ColorOpt,
    PathsArg,
    color_system,
    handle_errors,
    out,
    parse_date_option,
    report_earlier_problems,
    run_settings,
    stdout_console,
)

#: The text summary is laid out for this width at most, however wide the terminal.
MAX_TEXT_WIDTH = 120


class SummaryFormat(StrEnum):
    """Output formats of `bafctl summary`."""

    text = "text"
    markdown = "markdown"
    csv = "csv"
    json = "json"
    html = "html"


def summary(
    paths: PathsArg = None,
    *,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="REV", help="Show each risk's movement since this git revision."),
    ] = None,
    target: Annotated[
        bool, typer.Option("--target", help="Also place each risk's target on the heat map (marked →).")
    ] = False,
    output_format: Annotated[
        SummaryFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
    ] = SummaryFormat.text,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="Judge target dates as of this date (default: as_of in bafctl.toml, else today).",
        ),
    ] = None,
    audience: Annotated[
        AudienceChoice | None,
        typer.Option(
            "--audience",
            help="board: every risk; public: leave out the risks the register marks private "
            "(as report --audience).  [default: board]",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    public: Annotated[
        bool, typer.Option("--public", hidden=True, help="The same as --audience public (kept for scripts).")
    ] = False,
    color: ColorOpt = None,
) -> None:
    """Print the directors' summary: risks by section and committee, scores, appetite, heat map.

    Each risk: current C x L = score (coloured by band), target, tolerance, movement (↑ ↓ → new) and BREACH.

    Draft risks are shown; closed and merged risks are not. Exits 1, printing nothing, when a register has errors.
    """
    as_of_date = parse_date_option(as_of, "--as-of")
    if public and audience is AudienceChoice.board:
        raise typer.BadParameter("--public is --audience public: give one of them", param_hint="--public")
    public = public or audience is AudienceChoice.public
    with handle_errors():
        from bafctl.render import summary as render
        from bafctl.usecases.summary import summarise

        settings = run_settings()
        summarised = summarise(
            list(paths or []),
            Path.cwd(),
            as_of=as_of_date,
            clock=settings.date,
            since=since,
            public=public,
            options=settings.load,
        )
        if summarised.earlier is not None:
            report_earlier_problems(summarised.earlier)
        result = summarised.summary
        if output_format is SummaryFormat.text:
            console = stdout_console()
            colours = color_system(settings, color)
            width = max(40, min(console.width, MAX_TEXT_WIDTH))
            out(render.render_text(result, width=width, color_system=colours, target=target).rstrip("\n"))
        elif output_format is SummaryFormat.markdown:
            out(render.render_markdown(result, target=target))
        elif output_format is SummaryFormat.csv:
            out(render.render_csv(result))
        elif output_format is SummaryFormat.json:
            out(render.render_json(result))
        else:
            out(render.render_html(result, target=target))


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(summary)
