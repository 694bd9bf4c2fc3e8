"""The register format: pydantic v2 models for ``register.yaml`` and risk files.

Every model is strict (no coercion: ``"4"`` is not 4, ``true`` is not 1) and forbids
unknown keys, so a typo in a key name is an error rather than silently ignored data
(``docs/format.md``; ``docs/reliability.md`` R7). Derived values (scores, bands, tolerance
status) are never typed by hand: a file may *carry* a stored ``score`` or ``band`` for
readers, but it must agree with consequence x likelihood (docs/domain.md V02).
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

#: Longest free text accepted in one value; a BAF cell longer than this is a paste error.
MAX_TEXT = 4000
#: Longest one-line value (IDs, names, titles).
MAX_LINE = 600

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
#: A reference to a risk: ``RISK-ID`` in the same register, or ``REGISTER:RISK-ID``.
RISK_REF_PATTERN = r"^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,39}:)?[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"

_LINE_BREAKS = re.compile(r"[\r\n\u0085\u2028\u2029]")


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key for IDs as people read them: ``BAF2`` before ``BAF10``, case ignored."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.casefold()) for part in re.split(r"(\d+)", text) if part
    )


def _one_line(value: str) -> str:
    if _LINE_BREAKS.search(value):
        raise ValueError("must be on one line: remove the line break")
    if value != value.strip():
        raise ValueError("must not start or end with spaces")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT), AfterValidator(_not_blank)]
"""Free text (a control, a gap, a progress note). May span lines in a block scalar."""
Line = Annotated[str, Field(min_length=1, max_length=MAX_LINE), AfterValidator(_one_line)]
"""A one-line value: a name, a title, a keyword."""
Identifier = Annotated[str, Field(pattern=ID_PATTERN)]
"""An ID: letters, digits, ``.``, ``_`` and ``-``; always a string in YAML (quote ``"010"``)."""
RiskRef = Annotated[str, Field(pattern=RISK_REF_PATTERN)]
# NPSA 2008 5x5 matrix: consequence and likelihood are integers 1-5 (docs/domain.md section 1.6, V01).
Rating = Annotated[int, Field(ge=1, le=5)]
# Enum fields accept their values as text; strict mode would only accept enum instances.
# (Lax enum validation still refuses anything that is not exactly one of the values.)
Score = Annotated[int, Field(ge=1, le=25)]


class _Model(BaseModel):
    # defer_build: a validator is built on first validation, not at import. A warm
    # `bafctl check` validates nothing (its results come from the cache), and building
    # every model's validator at import cost about 40 ms of each run.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, validate_by_name=True, defer_build=True)


# ---------------------------------------------------------------------------
# register.yaml
# ---------------------------------------------------------------------------


class RegisterInfo(_Model):
    """Who the register belongs to."""

    id: Identifier = Field(description="Register ID, used in references such as `NHFT:BAF04`.")
    name: Line = Field(description="Name as printed on board papers.")
    organisation: Line = Field(description="The trust or group that owns the register.")
    description: Text | None = None


class Theme(_Model):
    """A strategic objective or theme (e.g. THRIVE 'T Technology')."""

    id: Identifier
    name: Line
    description: Text | None = None


class Section(_Model):
    """A numbered section of the BAF: one or more themes under an oversight committee."""

    number: int = Field(ge=1, le=99)
    title: Line
    themes: list[Identifier] = Field(min_length=1)
    committee: Identifier = Field(description="ID of the committee that oversees this section.")


class Committee(_Model):
    """A board committee or forum that oversees risks."""

    id: Identifier
    name: Line


class Role(_Model):
    """An executive role that can lead a risk or own an action."""

    id: Identifier
    title: Line
    holder: Line | None = Field(default=None, description="Current post-holder, for reference.")


class Band(_Model):
    """A score band such as 'High 8-12'."""

    name: Line
    min: Score
    max: Score
    colour: Line = Field(description="A CSS colour name or #rrggbb, used in reports.")


def _nhs_bands() -> list[Band]:
    # NPSA 2008 grading (docs/domain.md section 1.5): 1-3 low, 4-6 moderate, 8-12 high, 15-25 extreme.
    return [
        Band(name="Low", min=1, max=3, colour="#2e7d32"),
        Band(name="Moderate", min=4, max=6, colour="#f9a825"),
        Band(name="High", min=8, max=12, colour="#ef6c00"),
        Band(name="Extreme", min=15, max=25, colour="#c62828"),
    ]


NHS_CONSEQUENCE_LABELS = ["Negligible", "Minor", "Moderate", "Major", "Catastrophic"]
NHS_LIKELIHOOD_LABELS = ["Rare", "Unlikely", "Possible", "Likely", "Almost certain"]


class Matrix(_Model):
    """The scoring matrix: labels for each axis and the score bands (NHS 5x5 by default)."""

    consequence: list[Line] = Field(default_factory=lambda: list(NHS_CONSEQUENCE_LABELS), min_length=5, max_length=5)
    likelihood: list[Line] = Field(default_factory=lambda: list(NHS_LIKELIHOOD_LABELS), min_length=5, max_length=5)
    bands: list[Band] = Field(default_factory=_nhs_bands, min_length=1)

    @model_validator(mode="after")
    def _bands_cover_scores(self) -> Matrix:
        # Every achievable score (a product of 1..5 x 1..5) must fall in exactly one band.
        achievable = sorted({c * lk for c in range(1, 6) for lk in range(1, 6)})
        for score in achievable:
            hits = [b.name for b in self.bands if b.min <= score <= b.max]
            if len(hits) != 1:
                where = "no band" if not hits else f"several bands ({', '.join(hits)})"
                raise ValueError(f"score {score} falls in {where}: bands must cover 1-25 once")
        for band in self.bands:
            if band.min > band.max:
                raise ValueError(f"band {band.name!r}: min {band.min} is above max {band.max}")
        return self


class AppetiteLevel(_Model):
    """An appetite level as the board set it, with its upper limit of tolerance."""

    id: Identifier
    name: Line
    tolerance: Score = Field(description="Upper limit of tolerance: the highest acceptable score.")
    description: Text | None = None


class ExternalRegister(_Model):
    """A register kept elsewhere that risks may cite (e.g. a trust's own BAF)."""

    id: Identifier
    name: Line


class RegisterSettings(_Model):
    """The contents of ``register.yaml``."""

    format_version: int = Field(default=1, ge=1, le=1, description="Version of this file format.")
    info: RegisterInfo = Field(alias="register")
    themes: list[Theme] = Field(min_length=1)
    sections: list[Section] = Field(min_length=1)
    committees: list[Committee] = Field(min_length=1)
    roles: list[Role] = Field(min_length=1)
    matrix: Matrix = Field(default_factory=Matrix)
    appetite_levels: list[AppetiteLevel] = Field(min_length=1)
    external_registers: list[ExternalRegister] = Field(default_factory=list)

    def band_for(self, score: int) -> Band:
        """The band a score falls in (the matrix validator guarantees exactly one)."""
        for band in self.matrix.bands:
            if band.min <= score <= band.max:
                return band
        raise LookupError(score)  # pragma: no cover - excluded by Matrix validation

    def appetite_level(self, level_id: str) -> AppetiteLevel | None:
        """The appetite level with this ID, if the register defines it."""
        return next((a for a in self.appetite_levels if a.id == level_id), None)

    def section_for_theme(self, theme_id: str) -> Section | None:
        """The section a theme is reported under."""
        return next((s for s in self.sections if theme_id in s.themes), None)

    def role(self, role_id: str | None) -> Role | None:
        """The role with this ID (an executive lead or action owner), if the register defines it."""
        if role_id is None:
            return None
        return next((r for r in self.roles if r.id == role_id), None)

    def committee(self, committee_id: str) -> Committee | None:
        """The committee with this ID, if the register defines it."""
        return next((c for c in self.committees if c.id == committee_id), None)


# ---------------------------------------------------------------------------
# Risk files
# ---------------------------------------------------------------------------


class RiskStatus(StrEnum):
    """Where a risk is in its life."""

    DRAFT = "draft"
    APPROVED = "approved"
    CLOSED = "closed"
    MERGED = "merged"


#: Statuses of a risk that has left the BAF: not scored against appetite, not in the summary.
RETIRED_STATUSES = frozenset({RiskStatus.CLOSED, RiskStatus.MERGED})


class ActionStatus(StrEnum):
    """Progress of an action."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        """True while the action still has work to do."""
        return self in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


class Opinion(StrEnum):
    """An internal-audit or review opinion, normalised across providers (docs/domain.md 4.1)."""

    SUBSTANTIAL = "substantial"
    SIGNIFICANT = "significant"
    HIGH = "high"
    REASONABLE = "reasonable"
    MODERATE = "moderate"
    LIMITED = "limited"
    NO_ASSURANCE = "no_assurance"
    ADVISORY = "advisory"

    @property
    def polarity(self) -> Polarity | None:
        """Limited/no assurance is negative; substantial/significant/high positive."""
        if self in (Opinion.LIMITED, Opinion.NO_ASSURANCE):
            return Polarity.NEGATIVE
        if self in (Opinion.SUBSTANTIAL, Opinion.SIGNIFICANT, Opinion.HIGH):
            return Polarity.POSITIVE
        return None


class Polarity(StrEnum):
    """Whether a source of assurance shows a control working (positive) or not."""

    POSITIVE = "positive"
    NEGATIVE = "negative"


class AssuranceRating(StrEnum):
    """A committee's rating of the assurance it received (docs/domain.md 4.2)."""

    ASSURED = "assured"
    PARTIALLY_ASSURED = "partially_assured"
    NOT_ASSURED = "not_assured"


class Assessment(_Model):
    """A consequence x likelihood assessment; the score is derived, never typed."""

    consequence: Rating
    likelihood: Rating
    score: Score | None = Field(
        default=None, description="Optional stored copy of consequence x likelihood; must agree."
    )
    band: Line | None = Field(default=None, description="Optional stored copy of the band name; must agree.")

    @property
    def computed_score(self) -> int:
        """Consequence x likelihood (NPSA 2008)."""
        return self.consequence * self.likelihood

    @model_validator(mode="after")
    def _stored_score_agrees(self) -> Assessment:
        # docs/domain.md V02: a stored score must equal C x L.
        if self.score is not None and self.score != self.computed_score:
            raise ValueError(
                f"stored score {self.score} is not consequence x likelihood "
                f"= {self.consequence} x {self.likelihood} = {self.computed_score}: "
                "run `bafctl rescore --all`"
            )
        return self


class TargetAssessment(Assessment):
    """The target assessment, optionally with the date it should be reached by."""

    date: dt.date | None = Field(default=None, description="When the target should be reached.")


class Assessments(_Model):
    """Initial (inherent), current (residual) and target assessments."""

    initial: Assessment
    current: Assessment
    target: TargetAssessment


class Appetite(_Model):
    """The board's appetite for this risk; tolerance comes from ``register.yaml``."""

    level: Identifier = Field(description="An appetite level ID from register.yaml.")
    tolerance: Score | None = Field(default=None, description="Override of the level's tolerance; needs a reason.")
    reason: Text | None = Field(default=None, description="Why the tolerance is overridden.")

    @model_validator(mode="after")
    def _override_has_reason(self) -> Appetite:
        if self.tolerance is not None and self.reason is None:
            raise ValueError("a tolerance override needs a `reason`")
        if self.reason is not None and self.tolerance is None:
            raise ValueError("`reason` is only for a tolerance override: add `tolerance`")
        return self


class Gap(_Model):
    """A gap in control or assurance, linked to the actions that close it."""

    text: Text
    actions: list[Identifier] = Field(default_factory=list, description="IDs of actions.")
    private: bool = False


class Assurance(_Model):
    """A source of assurance on one of the three lines (IIA Three Lines Model)."""

    # A strict int, not Literal[1, 2, 3]: pydantic's Literal accepts `true` as 1.
    line: int = Field(ge=1, le=3, description="1 management, 2 oversight and committees, 3 independent.")
    source: Text
    opinion: Annotated[Opinion, Field(strict=False)] | None = None
    date: dt.date | None = None
    polarity: Annotated[Polarity, Field(strict=False)] | None = None
    rating: Annotated[AssuranceRating, Field(strict=False)] | None = None
    external: bool = Field(default=False, description="From outside the trust (CQC, NHSE).")
    private: bool = False

    @property
    def effective_polarity(self) -> Polarity | None:
        """The stated polarity, else the one implied by the opinion."""
        if self.polarity is not None:
            return self.polarity
        return self.opinion.polarity if self.opinion is not None else None


class Action(_Model):
    """An action that closes a gap, with its owner and due date."""

    id: Identifier
    action: Text
    owner: Identifier | None = Field(default=None, description="A role ID from register.yaml.")
    due: dt.date | None = None
    status: Annotated[ActionStatus, Field(strict=False)] = ActionStatus.OPEN
    completed: dt.date | None = Field(default=None, description="When it was completed.")
    private: bool = False

    @model_validator(mode="after")
    def _completion_consistent(self) -> Action:
        if self.completed is not None and self.status.is_open:
            raise ValueError(f"`completed` is set but status is {self.status.value!r}")
        return self

    def is_overdue(self, on: dt.date) -> bool:
        """Still open after its due date (docs/domain.md: overdue actions are reported to the board)."""
        return self.status.is_open and self.due is not None and self.due < on

    def counts_as_plan(self, on: dt.date) -> bool:
        """Part of an active treatment plan on ``on``: open, owned, and not yet due.

        A risk in breach of its tolerance needs at least one such action (docs/domain.md,
        V09); ``breaches`` and the ``breach-without-plan`` rule both ask this.
        """
        return self.status.is_open and self.owner is not None and self.due is not None and self.due >= on


GapItem = Text | Gap
ControlItem = Text


class Thread(_Model):
    """One cause or effect row of a BAF entry: controls, gaps, assurance and actions."""

    description: Text
    controls: list[ControlItem] = Field(default_factory=list)
    control_gaps: list[GapItem] = Field(default_factory=list)
    assurances: list[Assurance] = Field(default_factory=list)
    assurance_gaps: list[GapItem] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    progress: list[Text] = Field(default_factory=list)
    private: bool = False


class Silence(_Model):
    """A quality-rule finding silenced for this risk, with the reason recorded next to it."""

    rule: Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")] = Field(
        description="The rule ID, e.g. `overdue-action`."
    )
    reason: Text = Field(description="Why the board accepts this finding for now.")
    until: dt.date | None = Field(default=None, description="The silence lapses after this date.")


PrivateField = Literal["context", "progress", "actions", "assurances", "references", "notes"]


class Risk(_Model):
    """One strategic risk: a BAF entry."""

    id: Identifier
    title: Line = Field(description="The 'If ... then ...' statement.")
    keyword: Line | None = Field(default=None, description="Words of the title to emphasise.")
    status: Annotated[RiskStatus, Field(strict=False)]
    merged_into: RiskRef | None = Field(default=None, description="Risk this was merged into.")
    strategic_link: Identifier = Field(description="Theme ID from register.yaml.")
    oversight: list[Identifier] = Field(min_length=1, description="Committee IDs.")
    governance_route: list[Line] = Field(default_factory=list)
    executive_lead: Identifier = Field(description="Role ID from register.yaml.")
    context: Text | None = None
    date_included: dt.date
    last_updated: dt.date
    assessments: Assessments
    appetite: Appetite
    causes: list[Thread] = Field(default_factory=list)
    effects: list[Thread] = Field(default_factory=list)
    related_risks: list[RiskRef] = Field(
        default_factory=list, description="Risks in this or other registers, e.g. `NHFT:BAF04`."
    )
    operational_risks: list[Line] = Field(default_factory=list, description="IDs on the operational risk register.")
    notes: Text | None = None
    private: bool = Field(default=False, description="Leave the whole risk out of public papers.")
    private_fields: list[PrivateField] = Field(default_factory=list, description="Fields left out of public papers.")
    silenced: list[Silence] = Field(
        default_factory=list, description="Quality-rule findings silenced for this risk, each with a reason."
    )

    @model_validator(mode="after")
    def _status_consistent(self) -> Risk:
        if self.status is RiskStatus.MERGED and self.merged_into is None:
            raise ValueError("a merged risk needs `merged_into`")
        if self.merged_into is not None and self.status is not RiskStatus.MERGED:
            raise ValueError("`merged_into` is only for status `merged`")
        if self.keyword is not None and self.keyword.lower() not in self.title.lower():
            raise ValueError(f"keyword {self.keyword!r} does not appear in the title")
        return self

    @property
    def is_active(self) -> bool:
        """True unless the risk is closed or merged into another."""
        return self.status not in RETIRED_STATUSES

    @property
    def threads(self) -> list[Thread]:
        """Causes then effects."""
        return [*self.causes, *self.effects]

    @property
    def actions(self) -> list[Action]:
        """Every action of every cause and effect."""
        return [a for t in self.threads for a in t.actions]
