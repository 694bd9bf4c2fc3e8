"""`bafctl check`: validate registers and report every problem with its position."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
    run_settings,
)

if TYPE_CHECKING:
    from bafctl.render.findings import PathBase
    from bafctl.usecases.check import CheckResult


class CheckFormat(StrEnum):
    """Output formats of `bafctl check`."""

    text = "text"
    json = "json"
    parsable = "parsable"
    github = "github"
    sarif = "sarif"
    junit = "junit"


class FailOnChoice(StrEnum):
    """Which findings make `bafctl check` exit 1."""

    error = "error"
    warning = "warning"
    never = "never"


def path_base(cwd: Path, repository_root: Path | None) -> PathBase | None:
    """How to name files from the repository's root (SARIF, annotations), when there is one."""
    from bafctl.render.findings import PathBase

    if repository_root is None:
        return None
    return PathBase(cwd.resolve(), repository_root.resolve())


def _render(chosen: CheckFormat, result: CheckResult, base: PathBase | None, colours: str | None = None) -> str:
    from bafctl.render import findings as render

    findings, files = result.findings, len(result.workspace.files)
    if chosen is CheckFormat.json:
        return render.render_json(findings, files)
    if chosen is CheckFormat.parsable:
        return render.render_parsable(findings, base)
    if chosen is CheckFormat.github:
        return render.render_github(findings, files, base)
    if chosen is CheckFormat.sarif:
        return render.render_sarif(findings, render.rule_infos(result.levels), base)
    if chosen is CheckFormat.junit:
        return render.render_junit(findings, result.workspace.files, result.failing, base)
    return render.render_text(findings, files, color_system=colours)


def check(
    paths: PathsArg = None,
    output_format: Annotated[
        CheckFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format (default: github when GITHUB_ACTIONS=true, else text).",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="Judge date rules as of this date (default: as_of in bafctl.toml, else today).",
        ),
    ] = None,
    fail_on: Annotated[
        FailOnChoice | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 on findings at this level or worse (default: fail_on in bafctl.toml, else error).",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="Read settings from this file, not the nearest bafctl.toml or pyproject.toml (tool.bafctl).",
        ),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Validate every file afresh: do not use or fill the cache.")
    ] = False,
    color: ColorOpt = None,
) -> None:
    """Validate registers: schema, references and quality rules, each as path:line:col.

    Given files (as the pre-commit hook does), checks the whole registers they belong
    to and skips files outside any register. Exits 1 when a finding at the --fail-on
    level or worse is reported (silenced findings never count), 0 otherwise.
    """
    as_of_date = parse_date_option(as_of, "--as-of")
    with handle_errors():
        from bafctl.config import FailOn
        from bafctl.escaping import display_path
        from bafctl.usecases.check import check_registers

        settings = run_settings(no_cache=no_cache)
        result = check_registers(
            list(paths or []),
            Path.cwd(),
            clock=settings.date,
            as_of=as_of_date,
            fail_on=FailOn(fail_on.value) if fail_on is not None else None,
            config_file=config_file,
            repository_root=settings.github_workspace,
            options=settings.load,
        )
        for path in result.skipped:
            err(f"bafctl: skipped {display_path(path)}: not inside a register")
        chosen = output_format
        if chosen is None:
            chosen = CheckFormat.github if settings.github_actions else CheckFormat.text
        base = path_base(Path.cwd(), result.repository_root)
        rendered = _render(chosen, result, base, color_system(settings, color))
        if rendered:  # parsable output with no findings is empty, not a blank line
            out(rendered)
        if settings.github_step_summary is not None:
            from bafctl.render.findings import render_github_step_summary

            summary = render_github_step_summary(result.findings, len(result.workspace.files), base)
            append_step_summary(settings.github_step_summary, summary)
        failed = result.failed
    raise typer.Exit(1 if failed else 0)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(check)
