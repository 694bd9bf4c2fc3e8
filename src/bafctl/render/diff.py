"""Render a :class:`~bafctl.diff.WorkspaceDiff`: text, a board-paper Markdown section, JSON.

Each format is a pure function to a string. Register text is escaped for its format
(``bafctl.escaping``): terminal control characters never reach a terminal, and nothing
from a register can open Markdown markup or add a table column (docs/reliability.md R19, R20).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from bafctl.diff import ActionChange, FieldChange, ItemChange, RiskChange, ScoreChange, WordSpan, WorkspaceDiff
from bafctl.escaping import display_path, hanging, log_safe, markdown_cell, markdown_text, one_line, terminal
from bafctl.findings import Finding
from bafctl.jsonout import dump_json
from bafctl.render.colour import BREACH, GOOD, HEADING, QUIET, Line, Span, arrow_style, band_style, paint, plain
from bafctl.revision import RevisionInfo

JSON_VERSION = 1

_ITEM_NAMES = {
    "control": "control",
    "control_gap": "control gap",
    "assurance": "source of assurance",
    "assurance_gap": "assurance gap",
}
_FIELD_NAMES = {
    "executive_lead": "executive lead",
    "strategic_link": "strategic link",
    "merged_into": "merged into",
    "governance_route": "governance route",
    "date_included": "date included",
    "last_updated": "last updated",
    "related_risks": "related risks",
    "operational_risks": "operational risks",
    "private_fields": "private fields",
    "appetite.level": "appetite level",
    "appetite.tolerance": "tolerance override",
    "appetite.reason": "tolerance override reason",
    "tolerance": "upper limit of tolerance",
    "assessments.target.date": "target date",
    "band.initial": "initial band",
    "band.current": "current band",
    "band.target": "target band",
}
# Fields a board paper does not need to carry (they change with every edit).
_QUIET_FIELDS = frozenset({"last_updated", "path"})


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else "(none)"
    return str(value)


def long_date(day: dt.date | dt.datetime | None) -> str:
    """``20 November 2025``, as NHS board papers write dates."""
    if day is None:
        return "date not recorded"
    return f"{day.day} {day:%B %Y}"


def _month(day: dt.date | None) -> str:
    return "Completion date not recorded" if day is None else f"{day:%B %Y}"


def _side(info: RevisionInfo) -> str:
    """``board-2025-09 (1a2b3c4, 2025-09-25)`` or ``working tree (clean)``."""
    if info.is_worktree or info.date is None:
        return info.label
    date = info.date.date().isoformat()
    if info.short and info.revision not in (info.sha, info.short):
        return f"{info.revision} ({info.short}, {date})"
    return f"{info.short or info.revision} ({date})"


def score_phrase(change: ScoreChange) -> str:
    """``current 4x3=12 → 4x4=16 ↑, band High → Extreme, now above tolerance 12``."""
    return plain(score_spans(change))


def score_spans(change: ScoreChange) -> list[Span]:
    """:func:`score_phrase` as spans: the arrow (↑ red, ↓ green), the bands in their colours."""
    spans: list[Span] = [
        (f"{change.assessment} {change.old.text} → {change.new.text} ", ""),
        (change.arrow, arrow_style(change.arrow)),
    ]
    if change.old_band != change.new_band:
        spans += [
            (", band ", ""),
            (change.old_band, band_style(change.old_band)),
            (" → ", ""),
            (change.new_band, band_style(change.new_band)),
        ]
    if change.crossing == "above":
        spans.append((f", now above tolerance {change.new_tolerance}", BREACH))
    elif change.crossing == "within":
        spans.append((f", now within tolerance {change.new_tolerance}", GOOD))
    return spans


def _snapshot_phrase(rc: RiskChange) -> str:
    return plain(_snapshot_spans(rc))


def _snapshot_spans(rc: RiskChange) -> list[Span]:
    snap = rc.latest
    current = snap.scores["current"]
    band = snap.bands["current"]
    spans: list[Span] = [(f"current {current.text} (", ""), (band, band_style(band)), (")", "")]
    if snap.tolerance is not None:
        above = bool(snap.above_tolerance)
        spans.append((f", {'above' if above else 'within'} tolerance {snap.tolerance}", BREACH if above else ""))
    spans.append((f"; lead {one_line(snap.lead_title)}", ""))
    return spans


def _headline(rc: RiskChange) -> str:
    if rc.change == "added":
        return "added"
    if rc.change == "removed":
        return "removed (no longer in the register)"
    event = rc.status_event
    if event == "merged":
        return f"merged into {rc.merged_into}"
    return event or "changed"


_SPACES = re.compile(r"\s+")


def _words_text(words: Sequence[WordSpan]) -> str:
    parts = []
    for span in words:
        text = one_line(span.text) if span.op != "=" else _SPACES.sub(" ", span.text)
        parts.append({"=": text, "-": f"[-{text}-]", "+": f"{{+{text}+}}"}[span.op])
    return "".join(parts)


def _words_markdown(words: Sequence[WordSpan]) -> str:
    parts: list[str] = []
    previous = "="
    for span in words:
        text = markdown_text(_SPACES.sub(" ", span.text)) if span.op == "=" else markdown_text(one_line(span.text))
        if span.op == "+" and previous == "-":
            parts.append(" ")  # keep the struck-out words and their replacement apart
        parts.append({"=": text, "-": f"~~{text}~~", "+": f"**{text}**"}[span.op])
        previous = span.op
    return "".join(parts)


def _has_breaks(text: str) -> bool:
    return text != "".join(text.splitlines())


def field_phrase(change: FieldChange, *, markdown: bool = False) -> str:
    """One field change, e.g. ``title: If we ... [-old-]{+new+} ...`` or ``status: approved → closed``."""
    name = _FIELD_NAMES.get(change.field, change.field.replace("_", " "))
    if change.words is not None:
        return f"{name}: {_words_markdown(change.words) if markdown else _words_text(change.words)}"
    old, new = _value(change.old), _value(change.new)
    if change.field == "path":
        old, new = display_path(old), display_path(new)
    if markdown:
        old, new = markdown_text(one_line(old)), markdown_text(one_line(new))
    elif _has_breaks(old) or _has_breaks(new):
        # Multi-line text (a `context: |` block): each side under its label, every
        # further line behind a gutter, so no line of it can pass for a line of the diff.
        return f"{name}:\n  was: {hanging(old, '     ')}\n  now: {hanging(new, '     ')}"
    return f"{name}: {old} → {new}"


def item_phrase(change: ItemChange) -> str:
    """``control added: ...`` (assurance with its line and opinion)."""
    detail = f" ({one_line(change.detail)})" if change.detail else ""
    return f"{_ITEM_NAMES.get(change.kind, change.kind)} {change.op}: {one_line(change.text)}{detail}"


def action_phrase(change: ActionChange) -> str:
    """One action change in words, e.g. ``action A1 completed 2025-11-20 (lead: ...): text``."""
    text = one_line(change.action)
    lead = one_line(change.owner_title or "no owner")
    due = change.due.isoformat() if change.due else "no due date"
    if change.kind == "completed":
        when = change.completed.isoformat() if change.completed else "(date not recorded)"
        return f"action {change.action_id} completed {when} (lead: {lead}): {text}"
    if change.kind == "added":
        return f"action {change.action_id} added (lead: {lead}, due {due}): {text}"
    if change.kind == "removed":
        return f"action {change.action_id} removed: {text}"
    if change.kind == "reopened":
        return f"action {change.action_id} reopened ({change.old} → {change.new}): {text}"
    if change.kind == "redated":
        return f"action {change.action_id} re-dated {_value(change.old)} → {_value(change.new)}: {text}"
    if change.kind == "reassigned":
        return f"action {change.action_id} reassigned {_value(change.old)} → {_value(change.new)} ({lead}): {text}"
    if change.kind == "reworded":
        return f"action {change.action_id} reworded: {_words_text(change.words or ())}"
    return f"action {change.action_id} now overdue (due {due}, lead: {lead}): {text}"


def summary_phrases(rc: RiskChange) -> list[str]:
    """Short phrases for the summary table: what happened to a risk, most important first."""
    if rc.change != "changed":
        return [_headline(rc)]
    phrases: list[str] = []
    if rc.status_event:
        phrases.append(_headline(rc))
    if rc.field("title"):
        phrases.append("title reworded")
    for sc in rc.score_changes:
        phrases.append(f"{sc.assessment} {sc.old.score} → {sc.new.score} {sc.arrow}")
    if rc.tolerance_crossing:
        phrases.append(f"now {rc.tolerance_crossing} tolerance")
    if rc.field("appetite.level") or rc.field("tolerance"):
        phrases.append("appetite changed")
    for kind, label in (("completed", "completed"), ("added", "added"), ("overdue", "now overdue")):
        n = len(rc.actions(kind))
        if n:
            phrases.append(f"{n} action{'s' if n != 1 else ''} {label}")
    for kind, name in _ITEM_NAMES.items():
        for op in ("added", "removed"):
            n = sum(1 for i in rc.item_changes if i.kind == kind and i.op == op)
            if n:
                phrases.append(f"{n} {name if n == 1 else _plural(name)} {op}")
    others = [f for f in rc.field_changes if f.field not in _QUIET_FIELDS | {"title", "status", "merged_into"}]
    if others and not phrases:
        phrases.append("details updated")
    return phrases or ["details updated"]


def _plural(name: str) -> str:
    return "sources of assurance" if name == "source of assurance" else name + "s"


def detail_lines(rc: RiskChange, *, markdown: bool = False) -> list[str]:
    """Every change of one risk, one line each (without bullets)."""
    return [plain(line) for line in _detail_lines(rc, markdown=markdown)]


def _detail_lines(rc: RiskChange, *, markdown: bool = False) -> list[Line]:
    # Spans for the scores (text only: Markdown gets their plain text, escaped).
    if rc.change != "changed":
        return [_snapshot_phrase(rc) if markdown else _snapshot_spans(rc)]
    scores: list[Line] = [score_phrase(sc) if markdown else score_spans(sc) for sc in rc.score_changes]
    if rc.tolerance_crossing and not any(sc.crossing for sc in rc.score_changes):
        scores.append(f"current score now {rc.tolerance_crossing} tolerance {rc.latest.tolerance}")
    fields = [
        field_phrase(f, markdown=markdown) for f in rc.field_changes if not (markdown and f.field in _QUIET_FIELDS)
    ]
    rest = [item_phrase(i) for i in rc.item_changes] + [action_phrase(a) for a in rc.action_changes]
    if markdown:
        return [*(markdown_text(plain(p)) for p in scores), *fields, *(markdown_text(p) for p in rest)]
    return [*scores, *fields, *rest]


def warning_lines(warnings: Sequence[tuple[RevisionInfo, Finding]]) -> list[str]:
    """``at REV: path:line:col: message (rule)`` for every file that did not load at a revision."""
    return [
        log_safe(
            terminal(f"at {info.label}: {display_path(f.path)}:{f.line}:{f.col}: {one_line(f.full_message)} ({f.rule})")
        )
        for info, f in warnings
    ]


def _commit_line(info: RevisionInfo) -> str:
    date = info.date.date().isoformat() if info.date else ""
    return one_line(f"{info.short} {date} {info.author}: {info.subject}")


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------


def _indented(text: Line, indent: str = "  ") -> Line:
    """Every line of an item indented under its risk (an item's own lines included)."""
    if not isinstance(text, str):
        return [(indent, ""), *text]
    return "\n".join(indent + line for line in text.split("\n"))


_HEADLINE_STYLES = {"added": GOOD, "removed (no longer in the register)": BREACH}


def render_text(
    diff: WorkspaceDiff,
    old: RevisionInfo,
    new: RevisionInfo,
    why: Mapping[str, Sequence[RevisionInfo]] | None = None,
    *,
    color_system: str | None = None,
) -> str:
    """The terminal report: a heading, counts, then each changed register and risk.

    With ``color_system`` (a rich colour system) arrows, bands and tolerance crossings
    are coloured (:mod:`bafctl.render.colour`); with None the text is plain.
    """
    counts = diff.counts
    lines: list[Line] = [
        f"Changes from {_side(old)} to {_side(new)}",
        f"Risks: {counts['added']} added, {counts['removed']} removed, {counts['changed']} changed, "
        f"{counts['unchanged']} unchanged",
    ]
    if diff.is_empty:
        lines.append("No changes to the registers.")
    for reg in diff.registers:
        lines.append("")
        lines.append(f"Register {reg.register_id} {reg.change}")
        lines += [_indented(field_phrase(f)) for f in reg.field_changes]
    for rc in diff.risks:
        lines.append("")
        headline = _headline(rc)
        lines.append(
            [
                (rc.risk_id, HEADING),
                (" ", ""),
                (headline, _HEADLINE_STYLES.get(headline, "")),
                (f": {one_line(rc.latest.title)}", ""),
            ]
        )
        lines += [_indented(line) for line in _detail_lines(rc)]
        for commit in (why or {}).get(rc.risk_id, ()):
            lines.append([("  why: ", QUIET), (_commit_line(commit), "")])
    for nc in diff.not_compared:
        side = old if nc.side == "old" else new
        lines.append("")
        lines.append(
            f"{nc.risk_id} not compared: {display_path(nc.path)} does not load at {side.label} (see the warnings)"
        )
    if color_system is not None:
        return paint(lines, color_system) + "\n"
    return log_safe(terminal("\n".join(plain(line) for line in lines))) + "\n"


# ---------------------------------------------------------------------------
# Markdown (a section a board paper can carry as it is)
# ---------------------------------------------------------------------------


def _risk_label(rc: RiskChange) -> str:
    keyword = rc.latest.keyword
    return f"{rc.risk_id} ({keyword})" if keyword else rc.risk_id


def _score_cell(rc: RiskChange) -> str:
    sc = rc.score("current")
    if sc is not None:
        return f"{sc.old.score} → {sc.new.score} {sc.arrow}"
    snap = rc.latest
    return f"{snap.scores['current'].score} ({snap.bands['current']})"


def is_quiet(rc: RiskChange) -> bool:
    """True when only bookkeeping changed (the review date): a board paper leaves it out."""
    return (
        rc.change == "changed"
        and not (rc.score_changes or rc.item_changes or rc.action_changes)
        and all(f.field in _QUIET_FIELDS for f in rc.field_changes)
    )


def _markdown_registers(diff: WorkspaceDiff) -> list[str]:
    if not diff.registers:
        return []
    out = ["### Register changes", ""]
    for reg in diff.registers:
        name = markdown_text(reg.register_id)
        if reg.field_changes:
            out += [f"- {name}: {field_phrase(f, markdown=True)}" for f in reg.field_changes]
        else:
            out.append(f"- {name}: register {reg.change}")
    return [*out, ""]


def _markdown_by_risk(
    diff: WorkspaceDiff, old: RevisionInfo, new: RevisionInfo, why: Mapping[str, Sequence[RevisionInfo]]
) -> list[str]:
    out: list[str] = []
    if diff.risks or diff.not_compared:
        out += ["### Changes by risk", ""]
    for rc in diff.risks:
        if is_quiet(rc):
            continue
        out += [f"#### {markdown_text(rc.risk_id)}: {markdown_text(one_line(rc.latest.title))}", ""]
        if rc.change != "changed" or rc.status_event:
            headline = _headline(rc)
            out.append(f"- {markdown_text(headline[:1].upper() + headline[1:])}")
        out += [f"- {line[:1].upper()}{line[1:]}" for line in detail_lines(rc, markdown=True)]
        commits = why.get(rc.risk_id, ())
        if commits:
            out.append("- Commits: " + "; ".join(markdown_text(_commit_line(c)) for c in commits))
        out.append("")
    for nc in diff.not_compared:
        side = old if nc.side == "old" else new
        out += [
            f"#### {markdown_text(nc.risk_id)}",
            "",
            f"- Not compared: {markdown_text(display_path(nc.path))} does not load at {markdown_text(side.label)}",
            "",
        ]
    return out


def _markdown_closures(diff: WorkspaceDiff) -> list[str]:
    """Closed actions grouped by month of completion, with the lead (the 003 paper's tables)."""
    closures = diff.closures
    if not closures:
        return []
    out = ["### Action closures", ""]
    month = None
    for rc, action in closures:
        if _month(action.completed) != month:
            if month is not None:
                out.append("")
            month = _month(action.completed)
            out += [f"#### {month}", "", "| Risk | Action | Exec Lead |", "| --- | --- | --- |"]
        out.append(
            f"| {markdown_cell(_risk_label(rc))} | {markdown_cell(action.action)} | "
            f"{markdown_cell(action.owner_title or rc.latest.lead_title)} |"
        )
    return [*out, ""]


def render_markdown(
    diff: WorkspaceDiff,
    old: RevisionInfo,
    new: RevisionInfo,
    why: Mapping[str, Sequence[RevisionInfo]] | None = None,
) -> str:
    """A board-paper section: summary table, changes by risk, action closures by month.

    Modelled on the "Group BAF Changes" and "Action Closures" sections of the Group Trust
    Board paper (reference 003): what changed since the last board, then the actions the
    board is asked to approve as closed, grouped by month with the executive lead.
    """
    counts = diff.counts
    out = [
        f"## BAF changes: {markdown_text(_side(old))} to {markdown_text(_side(new))}",
        "",
        f"Risks added: {counts['added']}; removed: {counts['removed']}; changed: {counts['changed']}; "
        f"unchanged: {counts['unchanged']}.",
        "",
    ]
    if diff.is_empty:
        out += ["No changes to the registers.", ""]
    shown = [rc for rc in diff.risks if not is_quiet(rc)]
    quiet = [rc.risk_id for rc in diff.risks if is_quiet(rc)]
    if shown:
        out += ["| Risk | Title | Change | Current score |", "| --- | --- | --- | --- |"]
        for rc in shown:
            out.append(
                f"| {markdown_cell(_risk_label(rc))} | {markdown_cell(rc.latest.title)} | "
                f"{markdown_cell('; '.join(summary_phrases(rc)))} | {markdown_cell(_score_cell(rc))} |"
            )
        out.append("")
    if quiet:
        out += [f"Review date updated only: {markdown_text(', '.join(quiet))}.", ""]
    out += _markdown_registers(diff)
    out += _markdown_by_risk(diff, old, new, why or {})
    out += _markdown_closures(diff)
    return "\n".join(out).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------


def render_json(
    diff: WorkspaceDiff,
    old: RevisionInfo,
    new: RevisionInfo,
    why: Mapping[str, Sequence[RevisionInfo]] | None = None,
    warnings: Sequence[tuple[RevisionInfo, Finding]] = (),
) -> str:
    """The stable JSON document (docs/diff.md)."""
    risks = []
    for rc in diff.risks:
        data = rc.to_dict()
        if why is not None:
            data["commits"] = [c.to_json() for c in why.get(rc.risk_id, ())]
        risks.append(data)
    document = {
        "version": JSON_VERSION,
        "from": old.to_dict(),
        "to": new.to_dict(),
        "as_of": diff.today,
        "summary": diff.counts,
        "registers": [r.to_dict() for r in diff.registers],
        "risks": risks,
        "unchanged": list(diff.unchanged),
        "not_compared": [n.to_dict() for n in diff.not_compared],
        "action_closures": [
            {
                "risk_id": rc.risk_id,
                "action_id": a.action_id,
                "action": a.action,
                "completed": a.completed,
                "lead": a.owner_title or rc.latest.lead_title,
            }
            for rc, a in diff.closures
        ],
        "warnings": [{"revision": info.label, "sha": info.sha, **f.to_dict()} for info, f in warnings],
    }
    return dump_json(document) + "\n"
