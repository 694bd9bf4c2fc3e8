"""The board report's content: cover, summary, heat map, changes, a page per risk, action log.

Pure: a loaded :class:`~bafctl.loader.Workspace` (and optionally the workspace at an
earlier revision) in, a :class:`Report` out. The HTML, DOCX and PDF renderers draw the
same content, so a Word pack and a printed pack never disagree.

The risk pages follow the BAF entry of the Group BAF pack (reference paper 003): a
scores table (initial, current, target: consequence, likelihood, combined) with
"Risk Appetite – Open (upper limit of tolerance 16)", then each cause and effect with
its controls, control gaps, sources of assurance by line, assurance gaps, actions (lead
and due date) and progress.

``Audience.PUBLIC`` leaves out exactly what the register marks private (a risk with
``private: true``; a risk's ``private_fields``; a cause, effect, action, source of
assurance or gap with ``private: true``) and nothing else: nothing unmarked is guessed
to be private or public (docs/reliability.md R22).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from bafctl.loader import LoadedRegister, LoadedRisk, Workspace
from bafctl.models import (
    Action,
    Assurance,
    Gap,
    GapItem,
    RegisterSettings,
    Risk,
    RiskStatus,
    Thread,
    natural_key,
)
from bafctl.summary import (
    Score,
    Summary,
    SummaryRow,
    build_summary,
    score_of,
)

if TYPE_CHECKING:
    from bafctl.diff import RiskChange, WorkspaceDiff

#: The action log lists open actions due within this many days of the report date.
DUE_SOON_DAYS = 60

LINE_NAMES = {1: "1st line", 2: "2nd line", 3: "3rd line"}


class Audience(StrEnum):
    """Who the report is for."""

    BOARD = "board"
    """The board in private session: everything."""
    PUBLIC = "public"
    """Papers published with the public board: whatever is marked private is left out."""


# ---------------------------------------------------------------------------
# Audience: leave out what the register marks private, and nothing else
# ---------------------------------------------------------------------------


def _public_gaps(gaps: list[GapItem], dropped_actions: set[str]) -> list[GapItem]:
    kept: list[GapItem] = []
    for gap in gaps:
        if isinstance(gap, Gap) and gap.private:
            continue
        if isinstance(gap, Gap) and any(a in dropped_actions for a in gap.actions):
            kept.append(gap.model_copy(update={"actions": [a for a in gap.actions if a not in dropped_actions]}))
        else:
            kept.append(gap)
    return kept


def _public_thread(thread: Thread, fields: set[str], dropped_actions: set[str]) -> Thread:
    actions = [] if "actions" in fields else [a for a in thread.actions if not a.private]
    assurances: list[Assurance] = [] if "assurances" in fields else [a for a in thread.assurances if not a.private]
    return thread.model_copy(
        update={
            "actions": actions,
            "assurances": assurances,
            "progress": [] if "progress" in fields else list(thread.progress),
            "control_gaps": _public_gaps(thread.control_gaps, dropped_actions),
            "assurance_gaps": _public_gaps(thread.assurance_gaps, dropped_actions),
        }
    )


def public_risk(risk: Risk) -> Risk | None:
    """The risk as published: None when it is private, else without its private parts.

    ``private_fields`` may name ``context``, ``notes``, ``progress``, ``actions``,
    ``assurances`` and ``references`` (related and operational risks).
    """
    if risk.private:
        return None
    fields: set[str] = set(risk.private_fields)
    dropped = {a.id for t in risk.threads for a in t.actions if "actions" in fields or a.private or t.private}
    update: dict[str, object] = {
        "causes": [_public_thread(t, fields, dropped) for t in risk.causes if not t.private],
        "effects": [_public_thread(t, fields, dropped) for t in risk.effects if not t.private],
        "private_fields": [],
    }
    if "context" in fields:
        update["context"] = None
    if "notes" in fields:
        update["notes"] = None
    if "references" in fields:
        update["related_risks"] = []
        update["operational_risks"] = []
    return risk.model_copy(update=update)


def for_audience(workspace: Workspace, audience: Audience) -> Workspace:
    """The workspace as ``audience`` may see it (the board sees it unchanged)."""
    if audience is Audience.BOARD:
        return workspace
    registers: list[LoadedRegister] = []
    for reg in workspace.registers:
        risks: list[LoadedRisk] = []
        for lr in reg.risks:
            risk = public_risk(lr.risk)
            if risk is not None:
                risks.append(LoadedRisk(lr.path, risk, lr.source, lr.register_id, risk_id=lr.risk_id))
        registers.append(LoadedRegister(reg.root, reg.settings, reg.settings_path, reg.source, risks))
    # Findings and parsed files name private risks and quote their text: not carried over.
    return Workspace(registers, [], {})


# ---------------------------------------------------------------------------
# The report's content
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Revision:
    """The revision the report was made from, as the cover prints it."""

    commit: str | None
    """Full commit ID (HEAD's for a working tree); None outside git."""
    short: str | None
    dirty: bool | None
    """True when register files differ from the commit; None outside git."""
    date: dt.date | None
    """The commit's date."""

    @property
    def label(self) -> str:
        """``1a2b3c4 (clean)``, ``1a2b3c4 with uncommitted changes`` or ``not in git``."""
        if self.commit is None:
            return "not in git" if self.dirty is None else "no commits yet (uncommitted files)"
        short = self.short or self.commit[:12]
        return f"{short} with uncommitted changes" if self.dirty else f"{short} (clean)"


@dataclass(frozen=True)
class AssuranceView:
    """A source of assurance as printed."""

    line: int
    source: str
    opinion: str | None
    date: dt.date | None
    polarity: str | None
    rating: str | None
    external: bool

    @property
    def detail(self) -> str:
        """``significant assurance, 2025-11-01, external, positive`` (empty when none)."""
        parts: list[str] = []
        if self.opinion:
            parts.append(self.opinion.replace("_", " ") + ("" if self.opinion == "advisory" else " assurance"))
        if self.rating:
            parts.append(self.rating.replace("_", " "))
        if self.date:
            parts.append(self.date.isoformat())
        if self.external:
            parts.append("external")
        if self.polarity:
            parts.append(self.polarity)
        return ", ".join(parts)


@dataclass(frozen=True)
class GapView:
    """A gap in control or assurance and the actions that close it."""

    text: str
    actions: tuple[str, ...]


@dataclass(frozen=True)
class ActionView:
    """An action with its lead (role title) and due date."""

    id: str
    text: str
    owner: str | None
    due: dt.date | None
    status: str
    completed: dt.date | None
    overdue: bool

    @property
    def status_label(self) -> str:
        """``open``, ``in progress``, ``complete 2025-11-30`` or ``OVERDUE``."""
        if self.overdue:
            return "OVERDUE"
        label = self.status.replace("_", " ")
        return f"{label} {self.completed.isoformat()}" if self.completed else label


@dataclass(frozen=True)
class ThreadView:
    """One cause or effect row of the BAF entry."""

    kind: str
    """``Cause`` or ``Effect``."""
    description: str
    controls: tuple[str, ...]
    control_gaps: tuple[GapView, ...]
    assurances: tuple[tuple[int, tuple[AssuranceView, ...]], ...]
    """Sources of assurance grouped by line (1st, 2nd, 3rd); lines with none left out."""
    assurance_gaps: tuple[GapView, ...]
    actions: tuple[ActionView, ...]
    progress: tuple[str, ...]


@dataclass(frozen=True)
class RiskPage:
    """One risk's entry, laid out as in the BAF pack."""

    register_name: str
    row: SummaryRow
    initial: Score
    current: Score
    target: Score
    target_date: dt.date | None
    appetite_label: str
    """``Risk Appetite – Open (upper limit of tolerance 16)``."""
    tolerance_reason: str | None
    section: str
    strategic_link: str
    oversight: tuple[str, ...]
    governance: tuple[str, ...]
    lead: str
    date_included: dt.date
    last_updated: dt.date
    context: str | None
    threads: tuple[ThreadView, ...]
    related_risks: tuple[str, ...]
    operational_risks: tuple[str, ...]
    notes: str | None

    @property
    def risk_id(self) -> str:
        """The risk's ID."""
        return self.row.risk_id


@dataclass(frozen=True)
class ActionLogEntry:
    """An action in the log, with the risk it belongs to."""

    register_id: str
    risk_id: str
    action: ActionView


@dataclass(frozen=True)
class ActionLog:
    """Overdue actions, actions due soon, and actions completed since ``--since``."""

    overdue: tuple[ActionLogEntry, ...]
    due_soon: tuple[ActionLogEntry, ...]
    completed: tuple[ActionLogEntry, ...] | None
    """None when no earlier revision was given."""
    horizon: dt.date
    """The last day counted as "due soon"."""


@dataclass(frozen=True)
class RegisterHeading:
    """A register named on the cover."""

    id: str
    name: str
    organisation: str
    description: str | None


@dataclass(frozen=True)
class Report:
    """Everything the board report shows, in order."""

    title: str
    registers: tuple[RegisterHeading, ...]
    revision: Revision
    date: dt.date
    audience: Audience
    summary: Summary
    since: str | None
    changes: WorkspaceDiff | None
    risks: tuple[RiskPage, ...]
    action_log: ActionLog

    @property
    def running_header(self) -> str:
        """What heads every printed page: register, revision and date."""
        return f"{self.title} · revision {self.revision.label} · {self.date.isoformat()}"

    @property
    def cover_facts(self) -> list[tuple[str, str]]:
        """The cover's table, the same in every format: revision, commit, date, risks."""
        rows = self.summary.rows
        facts = [
            ("Revision", self.revision.label),
            ("Commit", self.revision.commit or "none"),
            ("Date", self.date.isoformat()),
            ("Risks", f"{len(rows)} ({sum(1 for r in rows if r.in_breach)} in breach of tolerance)"),
        ]
        if self.since is not None:
            facts.append(("Changes since", self.since))
        return facts

    @property
    def audience_note(self) -> str:
        """Who the report is for, printed on the cover."""
        if self.audience is Audience.BOARD:
            return "For the board: includes everything, including items marked private."
        return "For publication with the public board papers: items the register marks private are left out."


def _role(settings: RegisterSettings, role_id: str | None) -> str | None:
    role = settings.role(role_id)
    return role_id if role is None else role.title


def _gap(item: GapItem) -> GapView:
    if isinstance(item, Gap):
        return GapView(item.text, tuple(item.actions))
    return GapView(item, ())


def action_view(action: Action, settings: RegisterSettings, on: dt.date) -> ActionView:
    """An action as printed, judged overdue as of ``on``."""
    return ActionView(
        action.id,
        action.action,
        _role(settings, action.owner),
        action.due,
        action.status.value,
        action.completed,
        action.is_overdue(on),
    )


def _assurance(item: Assurance) -> AssuranceView:
    polarity = item.effective_polarity
    return AssuranceView(
        item.line,
        item.source,
        None if item.opinion is None else item.opinion.value,
        item.date,
        None if polarity is None else polarity.value,
        None if item.rating is None else item.rating.value,
        item.external,
    )


def _thread(kind: str, thread: Thread, settings: RegisterSettings, on: dt.date) -> ThreadView:
    by_line = tuple(
        (line, tuple(_assurance(a) for a in thread.assurances if a.line == line))
        for line in (1, 2, 3)
        if any(a.line == line for a in thread.assurances)
    )
    return ThreadView(
        kind,
        thread.description,
        tuple(thread.controls),
        tuple(_gap(g) for g in thread.control_gaps),
        by_line,
        tuple(_gap(g) for g in thread.assurance_gaps),
        tuple(action_view(a, settings, on) for a in thread.actions),
        tuple(thread.progress),
    )


def risk_page(reg: LoadedRegister, lr: LoadedRisk, row: SummaryRow, on: dt.date) -> RiskPage:
    """One risk's page."""
    risk, settings = lr.risk, reg.settings
    theme = next((t for t in settings.themes if t.id == risk.strategic_link), None)
    section = settings.section_for_theme(risk.strategic_link)
    committees = {c.id: c.name for c in settings.committees}
    level = settings.appetite_level(risk.appetite.level)
    tolerance = "no tolerance set" if row.tolerance is None else f"upper limit of tolerance {row.tolerance}"
    lead = _role(settings, risk.executive_lead) or risk.executive_lead
    lead_role = settings.role(risk.executive_lead)
    holder = lead_role.holder if lead_role is not None and lead_role.holder else None
    return RiskPage(
        register_name=settings.info.name,
        row=row,
        initial=score_of(risk.assessments.initial, settings),
        current=row.current,
        target=row.target,
        target_date=risk.assessments.target.date,
        appetite_label=f"Risk Appetite – {risk.appetite.level if level is None else level.name} ({tolerance})",
        tolerance_reason=risk.appetite.reason,
        section="" if section is None else f"Section {section.number} – {section.title}",
        strategic_link=risk.strategic_link if theme is None else theme.name,
        oversight=tuple(committees.get(c, c) for c in risk.oversight),
        governance=tuple(risk.governance_route),
        lead=lead if holder is None else f"{lead} ({holder})",
        date_included=risk.date_included,
        last_updated=risk.last_updated,
        context=risk.context,
        threads=tuple(
            [_thread("Cause", t, settings, on) for t in risk.causes]
            + [_thread("Effect", t, settings, on) for t in risk.effects]
        ),
        related_risks=tuple(risk.related_risks),
        operational_risks=tuple(risk.operational_risks),
        notes=risk.notes,
    )


def _live(workspace: Workspace) -> list[tuple[LoadedRegister, LoadedRisk]]:
    return [(reg, lr) for reg, lr in workspace.risks() if lr.risk.is_active]


def build_action_log(
    workspace: Workspace,
    on: dt.date,
    previous: Workspace | None = None,
    previous_date: dt.date | None = None,
) -> ActionLog:
    """Overdue, due within :data:`DUE_SOON_DAYS`, and completed since ``previous``.

    An action counts as completed since the earlier revision when it is complete or
    closed now and was open then, or did not exist then and records a completion date
    on or after that revision's date.
    """
    horizon = on + dt.timedelta(days=DUE_SOON_DAYS)
    before: dict[tuple[str, str, str], Action] = {}
    if previous is not None:
        before = {(reg.id, lr.risk.id.casefold(), a.id): a for reg, lr in previous.risks() for a in lr.risk.actions}
    overdue: list[ActionLogEntry] = []
    due_soon: list[ActionLogEntry] = []
    completed: list[ActionLogEntry] = []
    for reg, lr in _live(workspace):
        for action in lr.risk.actions:
            entry = ActionLogEntry(reg.id, lr.risk.id, action_view(action, reg.settings, on))
            if action.status.is_open and action.due is not None:
                if action.due < on:
                    overdue.append(entry)
                elif action.due <= horizon:
                    due_soon.append(entry)
            if previous is not None and not action.status.is_open:
                earlier = before.get((reg.id, lr.risk.id.casefold(), action.id))
                was_open = earlier is not None and earlier.status.is_open
                recorded_since = (
                    earlier is None
                    and action.completed is not None
                    and (previous_date is None or action.completed >= previous_date)
                )
                if was_open or recorded_since:
                    completed.append(entry)

    def by_due(entry: ActionLogEntry) -> tuple[object, ...]:
        return (entry.action.due or dt.date.max, natural_key(entry.risk_id), natural_key(entry.action.id))

    def by_completion(entry: ActionLogEntry) -> tuple[object, ...]:
        done = entry.action.completed
        return (done is None, done or dt.date.min, natural_key(entry.risk_id), natural_key(entry.action.id))

    return ActionLog(
        tuple(sorted(overdue, key=by_due)),
        tuple(sorted(due_soon, key=by_due)),
        None if previous is None else tuple(sorted(completed, key=by_completion)),
        horizon,
    )


def build_report(
    workspace: Workspace,
    *,
    revision: Revision,
    date: dt.date,
    audience: Audience,
    previous: Workspace | None = None,
    since: str | None = None,
    previous_date: dt.date | None = None,
) -> Report:
    """The board report for ``audience``.

    Args:
        workspace: The registers now.
        revision: The revision they were read at (for the cover and running header).
        date: The report's date: printed, and the day actions are judged overdue on.
        audience: ``board`` (everything) or ``public`` (private marks honoured).
        previous: The registers at ``--since``, for movement, changes and closures.
        since: How the user named that revision.
        previous_date: The date of that revision.

    Returns:
        The report, ready for the HTML, DOCX or PDF renderer.
    """
    shown = for_audience(workspace, audience)
    earlier = None if previous is None else for_audience(previous, audience)
    summary = build_summary(shown, today=date, previous=earlier, since=since)
    changes = None
    if earlier is not None:
        from bafctl.diff import diff_workspaces

        changes = diff_workspaces(earlier, shown, today=date, old_date=previous_date)
    rows = {(r.register_id, r.risk_id): r for r in summary.rows}
    # By (register, risk ID): a search per row was quadratic (12 million reads at 5,000 risks).
    loaded: dict[tuple[str, str], tuple[LoadedRegister, LoadedRisk]] = {}
    for reg in shown.registers:
        for lr in reg.risks:
            loaded.setdefault((reg.id, lr.risk_id), (reg, lr))  # a duplicated ID: the first, as before
    pages: list[RiskPage] = []
    for row in summary.rows:
        reg, lr = loaded[(row.register_id, row.risk_id)]
        pages.append(risk_page(reg, lr, rows[(reg.id, row.risk_id)], date))
    headings = tuple(
        RegisterHeading(reg.id, reg.settings.info.name, reg.settings.info.organisation, reg.settings.info.description)
        for reg in shown.registers
    )
    return Report(
        title=" · ".join(h.name for h in headings) or "Board Assurance Framework",
        registers=headings,
        revision=revision,
        date=date,
        audience=audience,
        summary=summary,
        since=since,
        changes=changes,
        risks=tuple(pages),
        action_log=build_action_log(shown, date, earlier, previous_date),
    )


def status_note(status: RiskStatus) -> str:
    """How a risk's status is noted next to its ID (nothing for approved risks)."""
    return "" if status is RiskStatus.APPROVED else status.value.upper()


# ---------------------------------------------------------------------------
# "Changes since": the diff of two revisions as sentences for the board
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeItem:
    """One risk's (or register's) changes: a headline and one line per change."""

    subject: str
    headline: str
    details: tuple[str, ...]


_ITEM_NAMES = {
    "control": "control",
    "control_gap": "control gap",
    "assurance": "source of assurance",
    "assurance_gap": "assurance gap",
}


def _value(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(_value(v) for v in value) or "none"
    return str(value)


def _risk_details(change: RiskChange) -> list[str]:
    details: list[str] = []
    if change.status_event is not None:
        event = change.status_event
        details.append(f"status: {event}" + (f" into {change.merged_into}" if change.merged_into else ""))
    for score in change.score_changes:
        line = f"{score.assessment} score {score.old.text} → {score.new.text} {score.arrow}"
        if score.assessment == "current" and score.crossing == "above":
            line += f" (now above tolerance {score.new_tolerance})"
        elif score.assessment == "current" and score.crossing == "within":
            line += f" (now within tolerance {score.new_tolerance})"
        details.append(line)
    for fc in change.field_changes:
        if fc.field == "title":
            details.append(f"title reworded: {_value(fc.new)}")
        elif isinstance(fc.old, str) and isinstance(fc.new, str) and (len(fc.old) > 80 or len(fc.new) > 80):
            details.append(f"{fc.field.replace('_', ' ')} reworded")
        else:
            details.append(f"{fc.field.replace('_', ' ')}: {_value(fc.old)} → {_value(fc.new)}")
    for item in change.item_changes:
        name = _ITEM_NAMES.get(item.kind, item.kind.replace("_", " "))
        detail = f" ({item.detail})" if item.detail else ""
        details.append(f"{name} {item.op}: {item.text}{detail}")
    for action in change.action_changes:
        text = f"action {action.action_id} {action.kind}: {action.action}"
        if action.kind in ("redated", "reassigned"):
            text += f" ({_value(action.old)} → {_value(action.new)})"
        elif action.kind == "completed" and action.completed is not None:
            text += f" ({action.completed.isoformat()})"
        details.append(text)
    return details


def describe_changes(diff: WorkspaceDiff) -> tuple[ChangeItem, ...]:
    """The changes between two revisions as board-readable lines, risk by risk."""
    items: list[ChangeItem] = []
    for reg in diff.registers:
        details = tuple(
            f"{fc.field.replace('_', ' ')}: {_value(fc.old)} → {_value(fc.new)}" for fc in reg.field_changes
        )
        items.append(ChangeItem(f"Register {reg.register_id}", reg.change, details))
    for change in sorted(diff.risks, key=lambda c: natural_key(c.risk_id)):
        latest = change.latest
        if change.change == "added":
            current = latest.scores["current"]
            headline = f"added ({latest.status}), current score {current.text}: {latest.title}"
            items.append(ChangeItem(change.risk_id, headline, ()))
        elif change.change == "removed":
            items.append(ChangeItem(change.risk_id, f"removed from the register: {latest.title}", ()))
        else:
            items.append(ChangeItem(change.risk_id, "changed", tuple(_risk_details(change))))
    for missing in diff.not_compared:
        items.append(
            ChangeItem(
                missing.risk_id,
                f"not compared: {missing.path} did not load at the {missing.side} revision",
                (),
            )
        )
    return tuple(items)
