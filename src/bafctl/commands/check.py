"""`bafctl check`: validate registers and report every problem with its position."""

from __future__ import annotations

from typing import Annotated

import typer

from bafctl.commands._support import PathsArg, TextOrJson, handle_errors, out, parse_date_option, today


def check(
    paths: PathsArg = None,
    output_format: Annotated[
        TextOrJson, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
    ] = TextOrJson.text,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="YYYY-MM-DD", help="Judge date rules as of this date (default: today)."),
    ] = None,
) -> None:
    """Validate registers: schema, references and quality rules, each as path:line:col.

    Exits 1 when any error-level finding is reported, 0 otherwise.
    """
    as_of_date = parse_date_option(as_of, "--as-of")
    with handle_errors():
        from bafctl.checks import run_checks
        from bafctl.loader import load_paths
        from bafctl.render.findings import render_json, render_text

        workspace = load_paths(paths or [])
        findings = sorted(workspace.findings + run_checks(workspace, today=today(as_of_date)))
        files = len(workspace.files)
        if output_format is TextOrJson.json:
            out(render_json(findings, files))
        else:
            out(render_text(findings, files).rstrip("\n"))
        failed = any(f.level.value == "error" and f.suppressed is None for f in findings)
    raise typer.Exit(1 if failed else 0)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(check)
