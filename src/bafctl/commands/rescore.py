"""`bafctl rescore`: change a risk's assessment in place, byte for byte, or refresh stored scores."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bafctl.commands._support import (
    err,
    handle_errors,
    out,
    parse_date_option,
    print_findings,
    require_stdout,
    run_settings,
)

_ASSESSMENT_HELP = "New {} assessment as consequence x likelihood, e.g. 4x3 (each 1-5)."


def _cxl(value: str | None, option: str) -> tuple[int, int] | None:
    if value is None:
        return None
    from bafctl.scoring import parse_cxl

    try:
        return parse_cxl(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


def rescore(  # noqa: C901 - typer: one parameter per option; one branch per mode
    args: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[RISK-ID] [PATH]...",
            help="The risk to rescore, then register folders or files (default: every register in the repository). "
            "With --all, only paths.",
            show_default=False,
        ),
    ] = None,
    initial: Annotated[
        str | None, typer.Option("--initial", metavar="CxL", help=_ASSESSMENT_HELP.format("initial"))
    ] = None,
    current: Annotated[
        str | None, typer.Option("--current", metavar="CxL", help=_ASSESSMENT_HELP.format("current"))
    ] = None,
    target: Annotated[
        str | None, typer.Option("--target", metavar="CxL", help=_ASSESSMENT_HELP.format("target"))
    ] = None,
    on: Annotated[
        str | None,
        typer.Option("--on", metavar="YYYY-MM-DD", help="Date written to last_updated (default: today)."),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason",
            metavar="TEXT",
            help="Why: written as a '# rescored DATE: TEXT' comment at the end of the last_updated line.",
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the unified diff; write nothing.")] = False,
    all_files: Annotated[
        bool,
        typer.Option("--all", help="Recompute every stored score and band from C x L and the register's matrix."),
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Print the diff and exit 1 if anything would change; write nothing.")
    ] = False,
) -> None:
    """Rescore a risk: change its assessment and last_updated, nothing else.

    Every other byte is kept: comments, blank lines, quoting, key order,
    BOM and CRLF. A stored score or band of a changed assessment follows.
    The new text is re-read and verified, then atomically replaces the file.
    A second identical run changes nothing.

    Exit 1 (file untouched) when the file has errors or a value is not a
    plain number; exit 2 for a bad option, an unknown risk, a held lock,
    or a file that changed while bafctl worked.

    With --all, recompute every stored score and band from C x L and the
    register's matrix; with --check, exit 1 if anything would change.
    """
    words = list(args or [])
    pairs = {
        "initial": _cxl(initial, "--initial"),
        "current": _cxl(current, "--current"),
        "target": _cxl(target, "--target"),
    }
    asked = {name: pair for name, pair in pairs.items() if pair is not None}
    on_date = parse_date_option(on, "--on")
    if all_files:
        given = [
            name
            for name, value in (
                ("--initial", initial),
                ("--current", current),
                ("--target", target),
                ("--on", on),
                ("--reason", reason),
            )
            if value is not None
        ]
        if given:
            raise typer.BadParameter(f"--all recomputes stored values only; it takes no {', '.join(given)}")
        paths = [Path(word) for word in words]
    else:
        if not words:
            raise typer.BadParameter(
                "name the risk to rescore (e.g. `bafctl rescore BAF-07 --current 4x3`), or use --all"
            )
        if not asked:
            raise typer.BadParameter("say what to change: --initial, --current and/or --target, e.g. --current 4x3")
        risk_id, paths = words[0], [Path(word) for word in words[1:]]
    with handle_errors():
        require_stdout()  # it reports what it changed: refuse before changing anything
        from bafctl.escaping import display_path, log_safe
        from bafctl.rescore import FilePlan, RescoreRequest
        from bafctl.usecases.rescore import plan_all, plan_one, write_plan

        cwd = Path.cwd()
        settings = run_settings()

        def write(plan: FilePlan) -> None:
            for note in write_plan(cwd, plan):
                err(f"bafctl: note: {note}")

        if all_files:
            plans, refusals = plan_all(paths, cwd, options=settings.load)
            for refusal in refusals:
                print_findings(refusal.findings)
                err(f"bafctl: error: {refusal.message}")
            changed = [plan for plan in plans if plan.changed]
            if check or dry_run:
                for plan in changed:
                    out(log_safe(plan.diff()))
                verb = "would rescore"
            else:
                for plan in changed:
                    write(plan)
                    for change in plan.changes:
                        out(f"{display_path(plan.path)}: {change.risk_id} {change.dotted} {change.old} -> {change.new}")
                verb = "rescored"
            unchanged = len(plans) - len(changed)
            summary = f"{verb} {len(changed)} file{'s' if len(changed) != 1 else ''}, {unchanged} left unchanged"
            if refusals:
                summary += f", {len(refusals)} refused"
            (err if check or dry_run else out)(summary)
            failed = bool(refusals) or (check and bool(changed))
            raise typer.Exit(1 if failed else 0)

        request = RescoreRequest(risk_id, asked, settings.date(on_date), reason)
        result = plan_one(paths, cwd, request, options=settings.load)  # a refusal lists its findings (exit 1)
        plan = result.plan
        if not plan.changed:
            for line in result.summary():
                out(line)
            raise typer.Exit(0)
        if check or dry_run:
            out(log_safe(plan.diff()))
            err(f"would rescore {display_path(plan.path)}")
            raise typer.Exit(1 if check else 0)
        write(plan)
        for line in result.summary():
            out(line)
        if plan.comment is not None:
            from bafctl.escaping import terminal

            out(terminal(f"{result.risk_id}: reason recorded by last_updated: {plan.comment}"))


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(rescore)
