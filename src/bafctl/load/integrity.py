"""Integrity across files: IDs and references (docs/domain.md V03-V05, V20, V24).

A register's settings are checked on their own (:func:`check_settings`), each risk against
its register's settings (:func:`settings_references`), and the risks of every register
together (:func:`check_links`), from the :class:`RiskFacts` kept beside each model so that
no model is restored for it. Path-free where a file is checked alone: the loader sets paths.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bafctl.findings import Finding, Level
from bafctl.models import Gap, RegisterSettings, Risk
from bafctl.yamlio import SourceMap

if TYPE_CHECKING:
    from bafctl.load.positions import LoadedRegister, LoadedRisk


def _ids_unique(items: Iterable[Any], what: str, key: str, source: SourceMap, path: str) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        ident = item.id
        if ident in seen:
            line, col = source.locate((key, index, "id"))
            findings.append(Finding(path, line, col, "duplicate-id", f"{what} ID {ident!r} is used twice"))
        seen.add(ident)
    return findings


def check_settings(settings: RegisterSettings, source: SourceMap, path: str) -> list[Finding]:
    findings: list[Finding] = []
    findings += _ids_unique(settings.themes, "theme", "themes", source, path)
    findings += _ids_unique(settings.committees, "committee", "committees", source, path)
    findings += _ids_unique(settings.roles, "role", "roles", source, path)
    findings += _ids_unique(settings.appetite_levels, "appetite level", "appetite_levels", source, path)
    themes = {t.id for t in settings.themes}
    committees = {c.id for c in settings.committees}
    placed: dict[str, int] = {}
    for index, section in enumerate(settings.sections):
        if section.committee not in committees:
            line, col = source.locate(("sections", index, "committee"))
            findings.append(
                Finding(
                    path,
                    line,
                    col,
                    "unknown-reference",
                    f"section {section.number}: unknown committee {section.committee!r}",
                    hint=_choices(section.committee, committees),
                )
            )
        for t_index, theme in enumerate(section.themes):
            if theme not in themes:
                line, col = source.locate(("sections", index, "themes", t_index))
                findings.append(
                    Finding(
                        path,
                        line,
                        col,
                        "unknown-reference",
                        f"section {section.number}: unknown theme {theme!r}",
                        hint=_choices(theme, themes),
                    )
                )
            elif theme in placed:
                line, col = source.locate(("sections", index, "themes", t_index))
                findings.append(
                    Finding(
                        path,
                        line,
                        col,
                        "duplicate-id",
                        f"theme {theme!r} is in sections {placed[theme]} and {section.number}",
                    )
                )
            placed[theme] = section.number
    for theme in sorted(themes - placed.keys()):
        line, col = source.locate(("themes",))
        findings.append(
            Finding(
                path,
                line,
                col,
                "unknown-reference",
                f"theme {theme!r} is in no section",
                Level.WARNING,
                hint="add it to a section's `themes`",
            )
        )
    numbers = [s.number for s in settings.sections]
    if len(set(numbers)) != len(numbers):
        line, col = source.locate(("sections",))
        findings.append(Finding(path, line, col, "duplicate-id", "two sections have the same number"))
    return findings


def _choices(value: str, known: Iterable[str]) -> str:
    known_sorted = sorted(known)
    close = difflib.get_close_matches(value, known_sorted, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return "known: " + ", ".join(known_sorted) if known_sorted else "none are defined in register.yaml"


#: Up to this many roles are listed when none is close to what was written.
_FEW_ROLES = 8
#: Shorter references are not looked for in role titles and holders (`d` is in most).
_MIN_NAME = 3


def _letters(text: str) -> str:
    """Letters and digits only, case folded: `Jane.Smith` is found in `Dr Jane Smith`."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _role_choices(value: str, settings: RegisterSettings) -> str:
    """Why a role reference did not resolve, and the role IDs that may have been meant.

    Another trust's BAF names the executive lead by title or post-holder ("Chief Nurse",
    "Smith"): a role whose title or holder contains what was written is suggested first.
    """
    wanted = _letters(value)
    by_name = [
        r.id
        for r in settings.roles
        if len(wanted) >= _MIN_NAME and any(wanted in _letters(name) for name in (r.title, r.holder) if name)
    ]
    ids = sorted(r.id for r in settings.roles)
    close = by_name or difflib.get_close_matches(value, ids, n=3)
    lead = "must be a role ID from register.yaml's `roles`"
    if close:
        names = [repr(c) for c in close]
        listed = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
        return f"{lead}: did you mean {listed}?"
    if len(ids) <= _FEW_ROLES:
        return f"{lead}: known: {', '.join(ids)}"
    return f"{lead} ({len(ids)} are defined there)"


@dataclass(frozen=True)
class RiskFacts:
    """What is read of every risk of a large register, kept apart from its model.

    Cached with the validated file, so duplicate IDs and references between risks are
    checked, and ``diff`` passes over unchanged files, without restoring a model.
    """

    id_position: tuple[int, int]
    references: tuple[tuple[int, int, str], ...]
    """``related_risks`` then ``merged_into``: (line, column, reference as written)."""
    open_action_dues: tuple[dt.date, ...] = ()
    """Due dates of its open actions: an unchanged file's actions can still fall overdue."""


def facts_of(risk: Risk, source: SourceMap) -> RiskFacts:
    refs: list[tuple[tuple[str | int, ...], str]] = [
        (("related_risks", i), ref) for i, ref in enumerate(risk.related_risks)
    ]
    if risk.merged_into is not None:
        refs.append((("merged_into",), risk.merged_into))
    dues = tuple(sorted({a.due for a in risk.actions if a.status.is_open and a.due is not None}))
    return RiskFacts(source.locate(("id",)), tuple((*source.locate(loc), ref) for loc, ref in refs), dues)


def settings_references(  # noqa: C901
    settings: RegisterSettings, risk: Risk, src: SourceMap, path: str
) -> list[Finding]:
    """A risk's references to its register's themes, committees, roles and levels, and its actions."""
    findings: list[Finding] = []
    themes = {t.id for t in settings.themes}
    committees = {c.id for c in settings.committees}
    roles = {r.id for r in settings.roles}
    levels = {a.id for a in settings.appetite_levels}

    def bad(loc: tuple[str | int, ...], message: str, hint: str | None = None) -> None:
        line, col = src.locate(loc)
        findings.append(Finding(path, line, col, "unknown-reference", message, Level.ERROR, risk.id, hint))

    if risk.strategic_link not in themes:
        bad(("strategic_link",), f"unknown theme {risk.strategic_link!r}", _choices(risk.strategic_link, themes))
    for i, committee in enumerate(risk.oversight):
        if committee not in committees:
            bad(("oversight", i), f"unknown committee {committee!r}", _choices(committee, committees))
    if risk.executive_lead not in roles:
        bad(("executive_lead",), f"unknown role {risk.executive_lead!r}", _role_choices(risk.executive_lead, settings))
    if risk.appetite.level not in levels:
        bad(
            ("appetite", "level"),
            f"unknown appetite level {risk.appetite.level!r}",
            _choices(risk.appetite.level, levels),
        )
    action_ids: dict[str, tuple[str | int, ...]] = {}  # where each ID is first used
    for kind in ("causes", "effects"):
        for t_index, thread in enumerate(getattr(risk, kind)):
            for a_index, action in enumerate(thread.actions):
                at: tuple[str | int, ...] = (kind, t_index, "actions", a_index, "id")
                if action.id in action_ids:
                    line, col = src.locate(at)
                    first_line, first_col = src.locate(action_ids[action.id])
                    findings.append(
                        Finding(
                            path,
                            line,
                            col,
                            "duplicate-id",
                            f"action ID {action.id!r} is used twice",
                            risk_id=risk.id,
                            hint=f"first used at line {first_line}:{first_col}: give each action its own ID",
                        )
                    )
                action_ids.setdefault(action.id, at)
                if action.owner is not None and action.owner not in roles:
                    bad(
                        (kind, t_index, "actions", a_index, "owner"),
                        f"unknown role {action.owner!r}",
                        _role_choices(action.owner, settings),
                    )
    for kind in ("causes", "effects"):
        for t_index, thread in enumerate(getattr(risk, kind)):
            for gap_kind in ("control_gaps", "assurance_gaps"):
                for g_index, gap in enumerate(getattr(thread, gap_kind)):
                    if isinstance(gap, Gap):
                        for l_index, ref in enumerate(gap.actions):
                            if ref not in action_ids:
                                bad(
                                    (kind, t_index, gap_kind, g_index, "actions", l_index),
                                    f"unknown action {ref!r}",
                                    _choices(ref, action_ids),
                                )
    return findings


def _first_risk_hint(first: LoadedRisk, again: LoadedRisk) -> str:
    """Where a duplicated risk ID was first used, as ``path:line:col`` (an editor opens it)."""
    line, col = first.facts.id_position
    hint = f"first used at {first.path}:{line}:{col}: give each risk its own ID"
    if first.risk_id != again.risk_id:
        hint += " (IDs are compared ignoring case)"
    return hint


def check_links(registers: list[LoadedRegister]) -> list[Finding]:
    """Duplicate register and risk IDs, and references between risks (from :class:`RiskFacts`)."""
    findings: list[Finding] = []
    by_register: dict[str, LoadedRegister] = {}
    for reg in registers:
        if reg.id in by_register:
            line, col = reg.source.locate(("register", "id"))
            findings.append(
                Finding(
                    reg.settings_path,
                    line,
                    col,
                    "duplicate-id",
                    f"register ID {reg.id!r} is also used by {by_register[reg.id].settings_path}",
                )
            )
        by_register.setdefault(reg.id, reg)
    # Risk IDs per register, for reference checks in constant time (10,000-risk registers).
    risk_ids: dict[str, set[str]] = {}
    for reg in registers:
        risk_ids.setdefault(reg.id, set()).update(lr.risk_id.casefold() for lr in reg.risks)
    first_seen: dict[str, LoadedRisk] = {}
    for reg in registers:
        for lr in reg.risks:
            key = lr.risk_id.casefold()
            if key in first_seen:
                line, col = lr.facts.id_position
                first = first_seen[key]
                findings.append(
                    Finding(
                        lr.path,
                        line,
                        col,
                        "duplicate-id",
                        f"risk ID {lr.risk_id!r} is also used by {first.path}",
                        risk_id=lr.risk_id,
                        hint=_first_risk_hint(first, lr),
                    )
                )
            first_seen.setdefault(key, lr)

    for reg in registers:
        external = {e.id for e in reg.settings.external_registers}
        for lr in reg.risks:
            for line, col, ref in lr.facts.references:
                register_id, _, local = ref.rpartition(":")
                register_id = register_id or reg.id
                message: str | None = None
                hint: str | None = None
                if register_id in by_register:
                    if local.casefold() not in risk_ids[register_id]:
                        message = f"no risk {local!r} in register {register_id!r}"
                    elif local.casefold() == lr.risk_id.casefold() and register_id == reg.id:
                        message = "a risk cannot refer to itself"
                elif register_id not in external:
                    message = f"unknown register {register_id!r}"
                    hint = "declare it under `external_registers` in register.yaml, or check both registers together"
                if message is not None:
                    findings.append(
                        Finding(lr.path, line, col, "unknown-reference", message, Level.ERROR, lr.risk_id, hint)
                    )
    return findings
