"""The appetite report: every risk outside the board's appetite, worst first (pure).

One row per risk that is in breach (current score above tolerance), whose target is
outside appetite (target above tolerance: the plan itself falls short, RJAH's
definition), or that is off track (target date passed, current still above target).
The flags come from :func:`bafctl.scoring.appetite_status`, the same computation the
``appetite-breach`` and ``target-outside-appetite`` rules use, so ``bafctl check`` and
``bafctl breaches`` can never disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bafctl.loader import LoadedRegister, LoadedRisk, Workspace
from bafctl.scoring import AppetiteFlag, appetite_status, format_cxl

#: Flags in the order a board reads them: a breach first (docs/domain.md 2.4, V08-V10).
FLAG_ORDER = (AppetiteFlag.BREACH, AppetiteFlag.TARGET_OUTSIDE, AppetiteFlag.OFF_TRACK)


@dataclass(frozen=True)
class Named:
    """An ID from the register and the name it stands for (a role or committee)."""

    id: str
    name: str


@dataclass(frozen=True)
class PlanAction:
    """An action that counts as a plan: open, owned, and not yet due."""

    id: str
    owner: Named
    due: dt.date


@dataclass(frozen=True)
class BreachRow:
    """One risk outside appetite, with what the board needs to see about it."""

    register_id: str
    risk_id: str
    title: str
    path: str
    status: str
    flags: tuple[AppetiteFlag, ...]
    current: str
    """``5x4=20``."""
    current_score: int
    target: str
    target_score: int
    target_date: dt.date | None
    tolerance: int
    appetite_level: Named
    over_by: int
    """How far the current score is above tolerance (0 when it is not)."""
    target_over_by: int
    """How far the target score is above tolerance (0 when it is not)."""
    executive_lead: Named
    oversight: tuple[Named, ...]
    plan: tuple[PlanAction, ...]
    """Open actions with an owner and a due date on or after the as-of date."""

    @property
    def in_breach(self) -> bool:
        """True when the current score is above tolerance."""
        return AppetiteFlag.BREACH in self.flags

    @property
    def outside_appetite(self) -> bool:
        """True when the current score or the target is above tolerance.

        A risk only off track (target date passed, current still above target) may be
        within appetite: it is listed, but not counted as outside appetite.
        """
        return AppetiteFlag.BREACH in self.flags or AppetiteFlag.TARGET_OUTSIDE in self.flags

    @property
    def has_plan(self) -> bool:
        """True when at least one action can bring the risk back (docs/domain.md V09)."""
        return bool(self.plan)

    def to_dict(self) -> dict[str, object]:
        """The stable JSON shape of a row (README "breaches --format json")."""
        return {
            "register": self.register_id,
            "risk_id": self.risk_id,
            "title": self.title,
            "path": self.path,
            "status": self.status,
            "flags": [flag.value for flag in self.flags],
            "in_breach": self.in_breach,
            "current": {"cxl": self.current, "score": self.current_score},
            "target": {"cxl": self.target, "score": self.target_score, "date": self.target_date},
            "tolerance": self.tolerance,
            "appetite_level": {"id": self.appetite_level.id, "name": self.appetite_level.name},
            "over_by": self.over_by,
            "target_over_by": self.target_over_by,
            "executive_lead": {"id": self.executive_lead.id, "title": self.executive_lead.name},
            "oversight": [{"id": c.id, "name": c.name} for c in self.oversight],
            "has_plan": self.has_plan,
            "plan": [{"id": a.id, "owner": {"id": a.owner.id, "title": a.owner.name}, "due": a.due} for a in self.plan],
        }


@dataclass(frozen=True)
class BreachReport:
    """Every row, worst first, and what was looked at."""

    as_of: dt.date
    rows: tuple[BreachRow, ...]
    risks_checked: int

    @property
    def in_breach(self) -> int:
        """How many risks have a current score above tolerance."""
        return sum(1 for row in self.rows if row.in_breach)

    @property
    def outside_appetite(self) -> int:
        """How many risks are outside appetite (in breach, or with a target above tolerance)."""
        return sum(1 for row in self.rows if row.outside_appetite)

    @property
    def only_off_track(self) -> int:
        """How many risks are listed only because they are off track (within appetite)."""
        return len(self.rows) - self.outside_appetite

    def count(self, flag: AppetiteFlag) -> int:
        """How many rows carry ``flag``."""
        return sum(1 for row in self.rows if flag in row.flags)


def plan_actions(lr: LoadedRisk, reg: LoadedRegister, today: dt.date) -> tuple[PlanAction, ...]:
    """Open actions with an owner and a due date on or after ``today``, soonest first.

    This is the "active treatment plan" a breach needs (docs/domain.md 2.4, V09): an action
    already overdue, unowned or undated does not bring the risk back.
    """
    found: list[PlanAction] = []
    for action in lr.risk.actions:
        if action.counts_as_plan(today):
            assert action.owner is not None and action.due is not None
            found.append(PlanAction(action.id, _role(reg, action.owner), action.due))
    return tuple(sorted(found, key=lambda a: (a.due, a.id)))


def _role(reg: LoadedRegister, role_id: str) -> Named:
    role = reg.settings.role(role_id)
    return Named(role_id, role.title if role is not None else role_id)


def _committee(reg: LoadedRegister, committee_id: str) -> Named:
    committee = reg.settings.committee(committee_id)
    return Named(committee_id, committee.name if committee is not None else committee_id)


def breach_row(reg: LoadedRegister, lr: LoadedRisk, today: dt.date) -> BreachRow | None:
    """The report row of one risk, or None when it is within appetite."""
    risk = lr.risk
    status = appetite_status(risk, reg.settings, today)
    if not status.flags or status.tolerance is None:
        return None
    level = reg.settings.appetite_level(risk.appetite.level)
    return BreachRow(
        register_id=reg.id,
        risk_id=risk.id,
        title=risk.title,
        path=lr.path,
        status=risk.status.value,
        flags=tuple(flag for flag in FLAG_ORDER if flag in status.flags),
        current=format_cxl(risk.assessments.current),
        current_score=status.current,
        target=format_cxl(risk.assessments.target),
        target_score=status.target,
        target_date=risk.assessments.target.date,
        tolerance=status.tolerance,
        appetite_level=Named(risk.appetite.level, level.name if level is not None else risk.appetite.level),
        over_by=status.over_by,
        target_over_by=max(0, status.target - status.tolerance),
        executive_lead=_role(reg, risk.executive_lead),
        oversight=tuple(_committee(reg, c) for c in risk.oversight),
        plan=plan_actions(lr, reg, today),
    )


def _worst_first(row: BreachRow) -> tuple[int, int, int, int, bool, str, str]:
    # A breach before a target outside appetite before an off-track target; then by
    # how far over tolerance, the current score, and a breach without a plan first.
    rank = min(FLAG_ORDER.index(flag) for flag in row.flags)
    return (rank, -row.over_by, -row.target_over_by, -row.current_score, row.has_plan, row.register_id, row.risk_id)


def breach_report(workspace: Workspace, today: dt.date) -> BreachReport:
    """Every risk of the workspace outside appetite on ``today``, worst first."""
    rows = [row for reg, lr in workspace.risks() if (row := breach_row(reg, lr, today)) is not None]
    return BreachReport(today, tuple(sorted(rows, key=_worst_first)), len(workspace.risks()))
