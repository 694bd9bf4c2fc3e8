"""Render the appetite report of `bafctl breaches`: each format a pure function to a string.

Register text is never markup: the text format is plain text with control and bidi
characters replaced (R20), Markdown cells are escaped so a ``|`` cannot add a column
(R19), and JSON goes through the one stable dumper (R21).
"""

from __future__ import annotations

from bafctl.breaches import BreachReport, BreachRow
from bafctl.escaping import display_path, log_safe, markdown_cell, markdown_text, one_line, terminal
from bafctl.jsonout import dump_json
from bafctl.render.colour import BREACH, GOOD, HEADING, WARNING, Line, Span, paint, plain
from bafctl.scoring import AppetiteFlag

#: Report version of ``--format json``; bump on any incompatible change.
JSON_VERSION = 1

FLAG_WORDS = {
    AppetiteFlag.BREACH: "breach",
    AppetiteFlag.TARGET_OUTSIDE: "target outside appetite",
    AppetiteFlag.OFF_TRACK: "off track",
}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def headline(report: BreachReport) -> str:
    """``2 of 6 risks outside appetite as of 2026-03-02: 1 in breach, ...``.

    Only risks in breach or with a target above tolerance are counted as outside
    appetite; a risk that is only off track is named as such, within appetite.
    """
    checked = _plural(report.risks_checked, "risk")
    on = report.as_of.isoformat()
    off_track = report.only_off_track
    also = f"; {_plural(off_track, 'risk')} off track within appetite" if off_track else ""
    if not report.outside_appetite:
        return f"no risk outside appetite as of {on} ({checked} checked){also}"
    return (
        f"{report.outside_appetite} of {checked} outside appetite as of "
        f"{on}: {report.in_breach} in breach, "
        f"{report.count(AppetiteFlag.TARGET_OUTSIDE)} with a target outside appetite, "
        f"{report.count(AppetiteFlag.OFF_TRACK)} off track{also}"
    )


def flags_text(row: BreachRow) -> str:
    """``breach, target outside appetite``."""
    return ", ".join(FLAG_WORDS[flag] for flag in row.flags)


def plan_text(row: BreachRow, report: BreachReport) -> str:
    """``yes: WF-1 due 2026-03-31 (Group Chief People Officer)`` or ``none: ...``."""
    if not row.plan:
        return f"none: no open action with an owner and a due date from {report.as_of.isoformat()} on"
    return "yes: " + "; ".join(f"{a.id} due {a.due.isoformat()} ({one_line(a.owner.name)})" for a in row.plan)


def _target_text(row: BreachRow) -> str:
    when = f"by {row.target_date.isoformat()}" if row.target_date is not None else "no target date"
    over = f", {row.target_over_by} over tolerance" if row.target_over_by else ""
    return f"{row.target} ({when}{over})"


#: How each flag is coloured on a terminal.
FLAG_STYLES = {AppetiteFlag.BREACH: BREACH, AppetiteFlag.TARGET_OUTSIDE: WARNING, AppetiteFlag.OFF_TRACK: WARNING}


def _flag_spans(row: BreachRow) -> list[Span]:
    spans: list[Span] = []
    for flag in row.flags:
        if spans:
            spans.append((", ", ""))
        spans.append((FLAG_WORDS[flag], FLAG_STYLES[flag]))
    return spans


def text_lines(report: BreachReport) -> list[Line]:
    """The text report's lines, as spans where colour helps (the flags, how far over, the plan)."""
    lines: list[Line] = [[(headline(report), HEADING)]]
    for number, row in enumerate(report.rows, start=1):
        over = f"{row.over_by} over" if row.over_by else "within"
        plan = plan_text(row, report)
        answer, colon, rest = plan.partition(":")
        lines += [
            "",
            [
                (f"{number}. ", ""),
                (row.risk_id, HEADING),
                (f" ({row.register_id}, {row.status}): ", ""),
                *_flag_spans(row),
            ],
            f"   {one_line(row.title)}",
            [
                (
                    f"   current:        {row.current} against tolerance {row.tolerance} ({row.appetite_level.name}): ",
                    "",
                ),
                (over, BREACH if row.over_by else GOOD),
            ],
            f"   target:         {_target_text(row)}",
            f"   executive lead: {one_line(row.executive_lead.name)}",
            f"   oversight:      {one_line(', '.join(c.name for c in row.oversight))}",
            [("   plan:           ", ""), (answer, GOOD if row.plan else BREACH), (colon + rest, "")],
            f"   file:           {display_path(row.path)}",
        ]
    return lines


def render_text(report: BreachReport, *, color_system: str | None = None) -> str:
    """A plain-text block per risk, worst first, after a headline.

    Register text is folded onto its line, indented under the risk's number, and no
    line can start with a CI command (:func:`~bafctl.escaping.log_safe`). With
    ``color_system`` (a rich colour system), flags and how far over are coloured
    (:mod:`bafctl.render.colour`); with None the text is plain.
    """
    lines = text_lines(report)
    if color_system is not None:
        return paint(lines, color_system) + "\n"
    return log_safe("\n".join(terminal(plain(line)) for line in lines)) + "\n"


def render_markdown(report: BreachReport) -> str:
    """A Markdown heading, the headline and a table; every cell escaped (R19)."""
    lines = [
        f"## Risks outside appetite as of {report.as_of.isoformat()}",
        "",
        markdown_text(headline(report)),
    ]
    if report.rows:
        header = ["Risk", "Flags", "Current", "Target", "Tolerance", "Over by", "Executive lead", "Oversight", "Plan"]
        lines += ["", "| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        for row in report.rows:
            cells = [
                f"{row.risk_id}: {row.title}",
                flags_text(row),
                row.current,
                _target_text(row),
                f"{row.tolerance} ({row.appetite_level.name})",
                str(row.over_by),
                row.executive_lead.name,
                ", ".join(c.name for c in row.oversight),
                plan_text(row, report),
            ]
            lines.append("| " + " | ".join(markdown_cell(cell) for cell in cells) + " |")
    return log_safe("\n".join(lines)) + "\n"


def render_json(report: BreachReport) -> str:
    """The stable JSON document (README "breaches --format json")."""
    return (
        dump_json(
            {
                "version": JSON_VERSION,
                "as_of": report.as_of,
                "summary": {
                    "risks_checked": report.risks_checked,
                    "listed": len(report.rows),
                    "outside_appetite": report.outside_appetite,
                    "in_breach": report.in_breach,
                    "target_outside_appetite": report.count(AppetiteFlag.TARGET_OUTSIDE),
                    "off_track": report.count(AppetiteFlag.OFF_TRACK),
                    "without_plan": sum(1 for row in report.rows if row.in_breach and not row.has_plan),
                },
                "risks": [row.to_dict() for row in report.rows],
            }
        )
        + "\n"
    )


def render_step_summary(report: BreachReport) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: the Markdown report, every cell escaped (R19).

    The same document as :func:`render_markdown`, so a job summary reads as the
    ``--format markdown`` report a board paper quotes.
    """
    return render_markdown(report)
