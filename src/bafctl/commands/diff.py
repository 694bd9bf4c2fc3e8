"""`bafctl diff`: what changed in the registers between two git revisions.

The command line is ``bafctl diff [REV_A [REV_B]] [-- PATH ...]``: revisions come
before ``--`` and paths after it, as with git. Paths are never mistaken for revisions,
and a revision that looks like an option (``--output=FILE``) is refused before git
ever sees it (docs/reliability.md R13).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from bafctl.commands._support import (
    ColorOpt,
    Command,
    color_system,
    err,
    handle_errors,
    out,
    parse_date_option,
    run_settings,
)

PATHS_META = "bafctl.paths"


class PathsAfterDashDash(Command):
    """A command whose arguments after ``--`` are register paths (kept in ``ctx.meta``).

    Click drops the ``--`` itself, so without this the first path would be taken for a
    revision.
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Split ``args`` at the first ``--``: before are options and revisions, after are paths."""
        if "--" in args:
            index = args.index("--")
            ctx.meta[PATHS_META] = args[index + 1 :]
            args = args[:index]
        return list(super().parse_args(ctx, args))


def paths_after_dash_dash(ctx: typer.Context) -> list[Path]:
    """The paths given after ``--`` (none: every register in the repository)."""
    return [Path(p) for p in ctx.meta.get(PATHS_META, [])]


class DiffFormat(StrEnum):
    """Output formats of `bafctl diff`."""

    text = "text"
    markdown = "markdown"
    json = "json"


def diff(
    ctx: typer.Context,
    revisions: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[REV_A [REV_B]] [-- PATH...]",
            help="Commits, branches or tags (default: HEAD against the working tree; "
            "one revision: it against the working tree). Paths after `--` limit the registers.",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        DiffFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
    ] = DiffFormat.text,
    why: Annotated[bool, typer.Option("--why", help="Add the commits that touched each changed risk.")] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="Judge overdue actions as of this date (default: as_of in bafctl.toml, else today).",
        ),
    ] = None,
    color: ColorOpt = None,
) -> None:
    """Show what changed in the registers between two revisions, risk by risk (matched by ID).

    Risks added, closed, merged or removed; titles reworded (changed words marked).

    Scores moved, with bands and tolerance crossings; controls, gaps and assurance added or removed.

    Actions added, completed, re-dated, reassigned or now overdue; matrix, bands and appetite table changed.

    `--format markdown` writes a section a board paper can carry.

    Exits 0 when the comparison ran; 2 for an unknown or unsafe revision, a shallow clone, or no git repository.
    """
    as_of_date = parse_date_option(as_of, "--as-of")
    paths = paths_after_dash_dash(ctx)
    with handle_errors():
        from bafctl.render import diff as render
        from bafctl.usecases.diff import diff_revisions

        settings = run_settings()
        found = diff_revisions(
            list(revisions or []),
            paths,
            Path.cwd(),
            as_of=as_of_date,
            clock=settings.date,
            why=why,
            options=settings.load,
        )
        result, old_info, new_info, why_map = found.diff, found.old, found.new, found.why
        for line in render.warning_lines(found.warnings):
            err(f"bafctl: warning: {line}")
        if output_format is DiffFormat.json:
            out(render.render_json(result, old_info, new_info, why_map, found.warnings))
        elif output_format is DiffFormat.markdown:
            out(render.render_markdown(result, old_info, new_info, why_map))
        else:
            out(render.render_text(result, old_info, new_info, why_map, color_system=color_system(settings, color)))


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(cls=PathsAfterDashDash)(diff)
