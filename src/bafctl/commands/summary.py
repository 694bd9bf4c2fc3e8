"""`bafctl summary`: the directors' one-page summary and heat map."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bafctl.commands._support import PathsArg, err, handle_errors, out, parse_date_option, stdout_console, today

if TYPE_CHECKING:
    from bafctl.gitio import RevisionInfo
    from bafctl.loader import Workspace

#: The text summary is laid out for this width at most, however wide the terminal.
MAX_TEXT_WIDTH = 120


class SummaryFormat(StrEnum):
    """Output formats of `bafctl summary`."""

    text = "text"
    markdown = "markdown"
    csv = "csv"
    json = "json"
    html = "html"


def refuse_if_invalid(workspace: Workspace, what: str) -> None:
    """Exit 1 with every error on stderr when a register does not validate.

    A board paper built from a register with a broken file would silently leave a
    risk out, so nothing is produced until ``bafctl check`` passes.
    """
    from bafctl.render.findings import line_for

    if not workspace.has_errors:
        return
    for finding in workspace.findings:
        if finding.level.value == "error" and finding.suppressed is None:
            err(line_for(finding))
    err(f"bafctl: error: no {what}: fix the errors above (`bafctl check` lists every problem)")
    raise typer.Exit(1)


def load_since(since: str, paths: list[Path]) -> tuple[Workspace, RevisionInfo]:
    """The registers at ``since`` and what is known about that revision.

    Files that do not load at that revision are reported on stderr; their risks then
    count as new (an earlier broken file is no reason to refuse today's summary).
    """
    from bafctl.gitio import workspace_at
    from bafctl.render.findings import line_for

    previous, info = workspace_at(since, paths, Path.cwd())
    broken = sorted({f.path for f in previous.findings if f.level.value == "error"})
    if broken:
        for finding in previous.findings:
            if finding.level.value == "error":
                err(f"{line_for(finding)} (at {info.label})")
        err(
            f"bafctl: warning: {len(broken)} file(s) did not load at {info.label}: "
            "their risks are compared as if they were new"
        )
    return previous, info


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
        typer.Option("--as-of", metavar="YYYY-MM-DD", help="Judge target dates as of this date (default: today)."),
    ] = None,
    public: Annotated[
        bool, typer.Option("--public", help="Leave out risks the register marks private (as report --audience public).")
    ] = False,
) -> None:
    """Print the directors' summary: risks by section and committee, scores, appetite, heat map.

    Each risk: current C x L = score (coloured by band), target, tolerance, movement (↑ ↓ → new) and BREACH.

    Draft risks are shown; closed and merged risks are not. Exits 1, printing nothing, when a register has errors.
    """
    as_of_date = parse_date_option(as_of, "--as-of")
    with handle_errors():
        from bafctl.loader import load_paths
        from bafctl.render import summary as render
        from bafctl.report import Audience, for_audience
        from bafctl.summary import build_summary

        workspace = load_paths(paths or [])
        refuse_if_invalid(workspace, "summary")
        previous, label = None, None
        if since is not None:
            previous, info = load_since(since, paths or [])
            label = info.label
        if public:
            workspace = for_audience(workspace, Audience.PUBLIC)
            previous = None if previous is None else for_audience(previous, Audience.PUBLIC)
        result = build_summary(workspace, today=today(as_of_date), previous=previous, since=label)
        if output_format is SummaryFormat.text:
            console = stdout_console()
            colours = None if (console.no_color or not console.is_terminal) else console.color_system
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
