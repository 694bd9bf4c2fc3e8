"""`bafctl check`: validate registers and report every problem with its position."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bafctl.commands._support import PathsArg, disable_cache, err, handle_errors, out, parse_date_option, today

if TYPE_CHECKING:
    from bafctl.findings import Finding, Level
    from bafctl.loader import RiskAnalysis, Workspace
    from bafctl.render.findings import RuleInfo


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


def _load(paths: list[Path], analysis: RiskAnalysis) -> Workspace:
    """Load the registers the paths name; files outside any register are skipped.

    The pre-commit hook passes every changed YAML file, including ones that are not
    part of a register (``.pre-commit-config.yaml``, CI workflows): those are skipped
    with a note on stderr rather than failing the commit. A folder with no register is
    still an error.
    """
    from bafctl.errors import RegisterNotFoundError
    from bafctl.escaping import display_path
    from bafctl.loader import Workspace, discover_register_roots, load_paths

    if not paths:
        return load_paths([], analysis=analysis)
    kept: list[Path] = []
    for path in paths:
        if path.is_file() and not path.is_symlink():
            try:
                discover_register_roots([path])
            except RegisterNotFoundError:
                err(f"bafctl: skipped {display_path(path)}: not inside a register")
                continue
        kept.append(path)
    if not kept:
        return Workspace([], [], {})
    return load_paths(kept, analysis=analysis)


def _rule_infos(levels: dict[str, Level | None]) -> dict[str, RuleInfo]:
    from bafctl.checks import LOADER_RULES, RULES, UNKNOWN_RULE, rule_summary
    from bafctl.docs_gen import rule_markdown
    from bafctl.findings import Level
    from bafctl.render.findings import RuleInfo

    infos: dict[str, RuleInfo] = {}
    for rule_id, rule in RULES.items():
        level = levels.get(rule_id, rule.DEFAULT_LEVEL)
        if level is not None:
            infos[rule_id] = RuleInfo(rule_id, rule_summary(rule_id), rule_markdown(rule, "#"), level)
    for rule_id, text in LOADER_RULES.items():
        infos[rule_id] = RuleInfo(rule_id, text, "", Level.WARNING if rule_id == UNKNOWN_RULE else Level.ERROR)
    return infos


def _render(
    chosen: CheckFormat,
    findings: list[Finding],
    workspace: Workspace,
    levels: dict[str, Level | None],
    failing: tuple[Level, ...],
) -> str:
    from bafctl.render import findings as render

    files = len(workspace.files)
    if chosen is CheckFormat.json:
        return render.render_json(findings, files)
    if chosen is CheckFormat.parsable:
        return render.render_parsable(findings)
    if chosen is CheckFormat.github:
        return render.render_github(findings, files)
    if chosen is CheckFormat.sarif:
        return render.render_sarif(findings, _rule_infos(levels))
    if chosen is CheckFormat.junit:
        return render.render_junit(findings, workspace.files, failing)
    return render.render_text(findings, files)


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
) -> None:
    """Validate registers: schema, references and quality rules, each as path:line:col.

    Given files (as the pre-commit hook does), checks the whole registers they belong
    to and skips files outside any register. Exits 1 when a finding at the --fail-on
    level or worse is reported (silenced findings never count), 0 otherwise.
    """
    as_of_date = parse_date_option(as_of, "--as-of")
    if no_cache:
        disable_cache()
    with handle_errors():
        from bafctl.checks import RULES, rule_analysis, run_checks
        from bafctl.config import FailOn, load_config
        from bafctl.findings import Level

        config = load_config(Path.cwd(), config_file, rules=RULES)
        day = today(as_of_date or config.as_of)
        # The rules run beside validation (in worker processes on a large cold load) and
        # their findings are cached per file, so a warm check never rebuilds a risk.
        levels, options = config.levels, config.options
        workspace = _load(list(paths or []), rule_analysis(today=day, levels=levels, options=options))
        findings = sorted(workspace.findings + run_checks(workspace, today=day, levels=levels, options=options))
        policy = FailOn(fail_on.value) if fail_on is not None else config.fail_on or FailOn.error
        failing = tuple(level for level in Level if policy.fails(level))
        chosen = output_format
        if chosen is None:
            chosen = CheckFormat.github if os.environ.get("GITHUB_ACTIONS") == "true" else CheckFormat.text
        rendered = _render(chosen, findings, workspace, config.levels, failing)
        if rendered:  # parsable output with no findings is empty, not a blank line
            out(rendered)
        failed = any(f.level in failing for f in findings if f.suppressed is None)
    raise typer.Exit(1 if failed else 0)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(check)
