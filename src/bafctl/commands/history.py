"""`bafctl history RISK-ID`: every commit that changed a risk's assessments, oldest first."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bafctl.commands._support import ColorOpt, color_system, err, handle_errors, out, run_settings
from bafctl.commands.diff import PathsAfterDashDash, paths_after_dash_dash


class HistoryFormat(StrEnum):
    """Output formats of `bafctl history`."""

    text = "text"
    csv = "csv"
    json = "json"


def history(
    ctx: typer.Context,
    risk_id: Annotated[
        str,
        typer.Argument(
            metavar="RISK-ID [-- PATH...]",
            help="The risk's ID, e.g. GROUP-BAF-3; paths after `--` limit the registers.",
            show_default=False,
        ),
    ],
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="REV", help="Only commits after this commit, branch or tag."),
    ] = None,
    output_format: Annotated[
        HistoryFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
    ] = HistoryFormat.text,
    color: ColorOpt = None,
) -> None:
    """Show a risk's trajectory: each commit that changed its initial, current or target score.

    Lists date, commit, author and the three assessments as C x L and score, with a sparkline of the current score.

    Risks are followed by ID through renamed files. Needs the full history (not a shallow clone).

    Exits 0 when the history was read; 2 for an unknown risk or revision, a shallow clone, or outside a git repository.
    """
    paths = paths_after_dash_dash(ctx)
    with handle_errors():
        from bafctl.render import history as render
        from bafctl.usecases.history import history_of

        settings = run_settings()
        result = history_of(risk_id, paths, Path.cwd(), since=since, options=settings.load)
        since_info = result.since
        for line in render.warning_lines(result.warnings):
            err(f"bafctl: warning: {line}")
        if output_format is HistoryFormat.json:
            out(render.render_json(result, since_info))
        elif output_format is HistoryFormat.csv:
            out(render.render_csv(result))
        else:
            out(render.render_text(result, since_info, color_system=color_system(settings, color)))


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(cls=PathsAfterDashDash)(history)
