"""`bafctl export`: the validated registers as one JSON document, derived values filled in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bafctl.commands._support import (
    PathsArg,
    TextOrJson,
    handle_errors,
    out,
    parse_date_option,
    run_settings,
    write_stdout,
)


def export(
    paths: PathsArg = None,
    output_format: Annotated[
        TextOrJson, typer.Option("--format", "-f", help="Output format (json).", case_sensitive=False)
    ] = TextOrJson.json,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="Judge target dates as of this date (default: as_of in bafctl.toml, else today).",
        ),
    ] = None,
) -> None:
    """Export the registers as JSON for dashboards, with scores, bands and appetite status.

    Refuses (exit 1, problems on stderr) when a register has error-level problems.
    """
    as_of_date = parse_date_option(as_of, "--as-of")
    with handle_errors():
        if output_format is not TextOrJson.json:
            raise typer.BadParameter("export writes json only", param_hint="--format")
        from bafctl.jsonout import dump_json_chunks
        from bafctl.usecases.export import export_registers

        settings = run_settings()
        document = export_registers(
            list(paths or []), Path.cwd(), as_of=as_of_date, clock=settings.date, options=settings.load
        )
        for chunk in dump_json_chunks(document):
            write_stdout(chunk)
        out()


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(export)
