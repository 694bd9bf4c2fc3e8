"""`bafctl export`: the validated registers as one JSON document, derived values filled in."""

from __future__ import annotations

from typing import Annotated

import typer

from bafctl.commands._support import (
    PathsArg,
    TextOrJson,
    err,
    handle_errors,
    out,
    parse_date_option,
    today,
    write_stdout,
)


def export(
    paths: PathsArg = None,
    output_format: Annotated[
        TextOrJson, typer.Option("--format", "-f", help="Output format (json).", case_sensitive=False)
    ] = TextOrJson.json,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="YYYY-MM-DD", help="Judge target dates as of this date (default: today)."),
    ] = None,
) -> None:
    """Export the registers as JSON for dashboards, with scores, bands and appetite status.

    Refuses (exit 1, problems on stderr) when a register has error-level problems.
    """
    as_of_date = parse_date_option(as_of, "--as-of")
    with handle_errors():
        if output_format is not TextOrJson.json:
            raise typer.BadParameter("export writes json only", param_hint="--format")
        from bafctl.export import export_document
        from bafctl.jsonout import dump_json_chunks
        from bafctl.loader import load_paths
        from bafctl.render.findings import line_for

        workspace = load_paths(paths or [])
        if workspace.has_errors:
            for finding in workspace.findings:
                if finding.level.value == "error":
                    err(line_for(finding))
            err("bafctl: error: nothing exported: fix the errors above (`bafctl check` lists every problem)")
            raise typer.Exit(1)
        document = export_document(workspace, today(as_of_date))
        workspace.release_models()  # the document holds the data now (memory at 5,000 risks)
        for chunk in dump_json_chunks(document):
            write_stdout(chunk)
        out()


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(export)
