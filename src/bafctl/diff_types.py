"""The value types of a comparison of two workspaces: what :mod:`bafctl.diff` returns.

Frozen dataclasses and nothing else: a consequence x likelihood pair (:class:`Cxl`), a
risk's headline at one side (:class:`RiskSnapshot`), the changes of its fields, scores,
controls and assurances, and actions, a register's settings changes, the risks that could
not be compared, and the whole :class:`WorkspaceDiff`. The renderers (text, Markdown,
JSON) and the board report read these; each type's ``to_dict`` is its JSON shape
(docs/diff.md). Building them (the comparison itself) is :mod:`bafctl.diff`'s job.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bafctl.models import Assessment, RiskStatus

ASSESSMENTS = ("initial", "current", "target")
"""The three assessments of a risk, in the order every output lists them."""


@dataclass(frozen=True)
class Cxl:
    """A consequence x likelihood pair and its score (NPSA 2008, docs/domain.md 1.4)."""

    consequence: int
    likelihood: int

    @property
    def score(self) -> int:
        """Consequence x likelihood."""
        return self.consequence * self.likelihood

    @classmethod
    def of(cls, assessment: Assessment) -> Cxl:
        """The pair of an assessment."""
        return cls(assessment.consequence, assessment.likelihood)

    @property
    def text(self) -> str:
        """``4x3=12``, as every bafctl output writes an assessment."""
        return f"{self.consequence}x{self.likelihood}={self.score}"

    def to_dict(self) -> dict[str, int]:
        """``{"consequence": 4, "likelihood": 3, "score": 12}``."""
        return {"consequence": self.consequence, "likelihood": self.likelihood, "score": self.score}


@dataclass(frozen=True)
class WordSpan:
    """A run of a word diff: ``=`` unchanged, ``-`` removed, ``+`` added."""

    op: str
    text: str


@dataclass(frozen=True)
class FieldChange:
    """A field whose value changed (``from`` and ``to`` in JSON); text fields carry a word diff."""

    field: str
    old: Any
    new: Any
    words: tuple[WordSpan, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"field", "from", "to"}``, plus ``words`` for text fields (docs/diff.md)."""
        data: dict[str, Any] = {"field": self.field, "from": self.old, "to": self.new}
        if self.words is not None:
            data["words"] = [{"op": w.op, "text": w.text} for w in self.words]
        return data


@dataclass(frozen=True)
class ScoreChange:
    """One of initial/current/target moved: from C x L to C x L, with bands and tolerance."""

    assessment: str
    old: Cxl
    new: Cxl
    old_band: str
    new_band: str
    old_tolerance: int | None
    new_tolerance: int | None

    @property
    def direction(self) -> str:
        """``up``, ``down`` or ``same`` (same score, different C x L)."""
        if self.new.score > self.old.score:
            return "up"
        return "down" if self.new.score < self.old.score else "same"

    @property
    def arrow(self) -> str:
        """↑, ↓ or → for the direction."""
        return {"up": "↑", "down": "↓", "same": "→"}[self.direction]

    @property
    def crossing(self) -> str | None:
        """``above`` when the score went over the tolerance, ``within`` when it came back, else None.

        The upper limit of tolerance is the highest score the board accepts (docs/domain.md 2.4).
        """
        if self.old_tolerance is None or self.new_tolerance is None:
            return None
        was, now = self.old.score > self.old_tolerance, self.new.score > self.new_tolerance
        if was == now:
            return None
        return "above" if now else "within"

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (docs/diff.md)."""
        return {
            "assessment": self.assessment,
            "from": {**self.old.to_dict(), "band": self.old_band},
            "to": {**self.new.to_dict(), "band": self.new_band},
            "direction": self.direction,
            "tolerance": self.new_tolerance,
            "crossed_tolerance": self.crossing,
        }


@dataclass(frozen=True)
class ItemChange:
    """A control, control gap, source of assurance or assurance gap added or removed."""

    kind: str
    """``control``, ``control_gap``, ``assurance`` or ``assurance_gap``."""
    op: str
    """``added`` or ``removed``."""
    text: str
    detail: str | None = None
    """For assurance: its line and opinion, e.g. ``3rd line, significant, 2025-11-01``."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (docs/diff.md)."""
        return {"kind": self.kind, "op": self.op, "text": self.text, "detail": self.detail}


@dataclass(frozen=True)
class ActionChange:
    """What happened to one action: added, removed, completed, reopened, redated, reassigned,
    reworded or overdue."""

    action_id: str
    kind: str
    action: str
    owner: str | None
    owner_title: str | None
    """The owner's role title from register.yaml, else the risk's executive lead's."""
    due: dt.date | None
    completed: dt.date | None = None
    old: Any = None
    new: Any = None
    words: tuple[WordSpan, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (docs/diff.md)."""
        data: dict[str, Any] = {
            "action_id": self.action_id,
            "kind": self.kind,
            "action": self.action,
            "owner": self.owner,
            "owner_title": self.owner_title,
            "due": self.due,
            "completed": self.completed,
            "from": self.old,
            "to": self.new,
        }
        if self.words is not None:
            data["words"] = [{"op": w.op, "text": w.text} for w in self.words]
        return data


@dataclass(frozen=True)
class RiskSnapshot:
    """A risk's headline at one side of the comparison."""

    path: str
    register_id: str
    title: str
    keyword: str | None
    status: str
    lead: str
    lead_title: str
    scores: dict[str, Cxl]
    bands: dict[str, str]
    tolerance: int | None

    @property
    def above_tolerance(self) -> bool | None:
        """True when the current score is above the upper limit of tolerance."""
        if self.tolerance is None:
            return None
        return self.scores["current"].score > self.tolerance

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (docs/diff.md)."""
        return {
            "path": self.path,
            "register": self.register_id,
            "title": self.title,
            "status": self.status,
            "executive_lead": self.lead,
            "scores": {k: {**v.to_dict(), "band": self.bands[k]} for k, v in self.scores.items()},
            "tolerance": self.tolerance,
            "above_tolerance": self.above_tolerance,
        }


@dataclass(frozen=True)
class RiskChange:
    """Everything that changed about one risk (matched by ID)."""

    risk_id: str
    change: str
    """``added``, ``removed`` or ``changed``."""
    old: RiskSnapshot | None
    new: RiskSnapshot | None
    score_changes: tuple[ScoreChange, ...] = ()
    field_changes: tuple[FieldChange, ...] = ()
    item_changes: tuple[ItemChange, ...] = ()
    action_changes: tuple[ActionChange, ...] = ()
    merged_into: str | None = None

    @property
    def latest(self) -> RiskSnapshot:
        """The newest snapshot available (the old one for a removed risk)."""
        if self.new is not None:
            return self.new
        if self.old is None:
            raise ValueError(f"risk change {self.risk_id} has neither side")
        return self.old

    @property
    def status_event(self) -> str | None:
        """``closed``, ``merged``, ``reopened`` or ``approved`` when the status changed so."""
        if self.old is None or self.new is None or self.old.status == self.new.status:
            return None
        if self.new.status in (RiskStatus.CLOSED, RiskStatus.MERGED):
            return str(self.new.status)
        if self.old.status in (RiskStatus.CLOSED, RiskStatus.MERGED):
            return "reopened"
        return str(self.new.status)

    @property
    def tolerance_crossing(self) -> str | None:
        """``above``/``within`` when the current score moved across tolerance, by score or tolerance."""
        if self.old is None or self.new is None:
            return None
        was, now = self.old.above_tolerance, self.new.above_tolerance
        if was is None or now is None or was == now:
            return None
        return "above" if now else "within"

    def field(self, name: str) -> FieldChange | None:
        """The change of one field, if it changed."""
        return next((f for f in self.field_changes if f.field == name), None)

    def score(self, assessment: str) -> ScoreChange | None:
        """The change of one assessment, if it moved."""
        return next((s for s in self.score_changes if s.assessment == assessment), None)

    def actions(self, kind: str) -> list[ActionChange]:
        """The action changes of one kind."""
        return [a for a in self.action_changes if a.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (docs/diff.md)."""
        latest = self.latest
        return {
            "risk_id": self.risk_id,
            "register": latest.register_id,
            "change": self.change,
            "title": latest.title,
            "path": {"from": self.old.path if self.old else None, "to": self.new.path if self.new else None},
            "status": {"from": self.old.status if self.old else None, "to": self.new.status if self.new else None},
            "status_event": self.status_event,
            "merged_into": self.merged_into,
            "tolerance_crossing": self.tolerance_crossing,
            "before": self.old.to_dict() if self.old else None,
            "after": self.new.to_dict() if self.new else None,
            "score_changes": [s.to_dict() for s in self.score_changes],
            "field_changes": [f.to_dict() for f in self.field_changes],
            "item_changes": [i.to_dict() for i in self.item_changes],
            "action_changes": [a.to_dict() for a in self.action_changes],
        }


@dataclass(frozen=True)
class RegisterChange:
    """A register added, removed, or with its matrix, bands, appetite table or roles changed."""

    register_id: str
    change: str
    field_changes: tuple[FieldChange, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (docs/diff.md)."""
        return {
            "register_id": self.register_id,
            "change": self.change,
            "field_changes": [f.to_dict() for f in self.field_changes],
        }


@dataclass(frozen=True)
class NotCompared:
    """A risk whose file does not load on one side: reported, not mistaken for a removal."""

    risk_id: str
    side: str
    """``old`` or ``new``: the side where the file does not load."""
    path: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (docs/diff.md)."""
        return {"risk_id": self.risk_id, "side": self.side, "path": self.path}


@dataclass(frozen=True)
class WorkspaceDiff:
    """What changed between two workspaces."""

    registers: tuple[RegisterChange, ...]
    risks: tuple[RiskChange, ...]
    unchanged: tuple[str, ...]
    not_compared: tuple[NotCompared, ...]
    today: dt.date

    @property
    def counts(self) -> dict[str, int]:
        """How many risks were added, removed, changed and left unchanged."""
        tally = Counter(r.change for r in self.risks)
        return {
            "added": tally["added"],
            "removed": tally["removed"],
            "changed": tally["changed"],
            "unchanged": len(self.unchanged),
            "not_compared": len(self.not_compared),
        }

    @property
    def closures(self) -> list[tuple[RiskChange, ActionChange]]:
        """Actions completed between the revisions, by completion date (unknown dates last)."""
        found = [(r, a) for r in self.risks for a in r.action_changes if a.kind == "completed"]
        return sorted(found, key=lambda ra: (ra[1].completed is None, ra[1].completed or dt.date.min))

    @property
    def is_empty(self) -> bool:
        """True when nothing changed."""
        return not self.registers and not self.risks and not self.not_compared
