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
    """Who the register belongs to: its ID, its name on board papers and the organisation that owns it."""

    id: Identifier = Field(
        description="The register's ID, used when risks in other registers refer to its risks: `NHFT` in "
        "`NHFT:BAF04`. Required; letters, digits, `.`, `_` and `-`, at most 40 characters, unique across the "
        "registers checked together."
    )
    name: Line = Field(
        description="The register's name as printed on board papers, e.g. `Group Board Assurance Framework`. "
        "Required; one line."
    )
    organisation: Line = Field(
        description="The trust or group that owns the register, e.g. `Northamptonshire Healthcare NHS "
        "Foundation Trust`. Required; one line."
    )
    description: Text | None = Field(
        default=None, description="Optional free text about the register, e.g. its scope or who keeps it."
    )


class Theme(_Model):
    """A strategic objective or theme that risks threaten, e.g. THRIVE 'T Technology' (docs/domain.md V03)."""

    id: Identifier = Field(
        description="The theme's ID, which a risk gives as its `strategic_link` and a section lists under "
        "`themes`, e.g. `T`. Required; letters, digits, `.`, `_` and `-`, at most 40 characters, unique within "
        "the register."
    )
    name: Line = Field(description="The theme's name, e.g. `Technology`. Required; one line.")
    description: Text | None = Field(
        default=None, description="Optional free text: what the strategic objective covers."
    )


class Section(_Model):
    """A numbered section of the BAF: one or more themes under an oversight committee."""

    number: int = Field(
        ge=1,
        le=99,
        description="The section's number as printed in the board paper, a whole number from 1 to 99. "
        "Required; unique within the register.",
    )
    title: Line = Field(description="The section's heading, e.g. `T Technology`. Required; one line.")
    themes: list[Identifier] = Field(
        min_length=1,
        description="IDs of the themes reported in this section, from `themes`. Required: at least one. "
        "A theme may be in only one section; a theme in no section gives a warning.",
    )
    committee: Identifier = Field(
        description="ID of the committee, from `committees`, that oversees this section, e.g. `FPC`. Required."
    )


class Committee(_Model):
    """A board committee or forum that oversees risks (docs/domain.md V05)."""

    id: Identifier = Field(
        description="The committee's ID, which a risk lists under `oversight` and a section gives as its "
        "`committee`, e.g. `FPC`. Required; letters, digits, `.`, `_` and `-`, at most 40 characters, unique "
        "within the register."
    )
    name: Line = Field(
        description="The committee's full name, e.g. `Finance and Performance Committee`. Required; one line."
    )


class Role(_Model):
    """An executive role that can lead a risk or own an action (docs/domain.md V04, V15)."""

    id: Identifier = Field(
        description="The role's ID, which a risk gives as its `executive_lead` and an action as its `owner`, "
        "e.g. `CFO`. Required; letters, digits, `.`, `_` and `-`, at most 40 characters, unique within the register."
    )
    title: Line = Field(description="The role's title, e.g. `Chief Finance Officer`. Required; one line.")
    holder: Line | None = Field(
        default=None,
        description="Optional: the current post-holder's name, for reference; the board report prints it "
        "beside the executive lead. One line.",
    )


class Band(_Model):
    """A score band such as 'High 8-12' (docs/domain.md 1.5)."""

    name: Line = Field(
        description="The band's name, e.g. `High`. A risk's stored `band` must be this name (ignoring case). "
        "Required; one line."
    )
    min: Score = Field(
        description="The lowest score in the band, a whole number from 1 to 25, not above `max`. Required."
    )
    max: Score = Field(
        description="The highest score in the band, a whole number from 1 to 25, not below `min`. Required."
    )
    colour: Line = Field(
        description="The band's colour in reports: a CSS colour name such as `firebrick`, or `#rrggbb` in "
        'quotes (an unquoted `#` starts a comment), e.g. `"#c62828"`. Reports show a colour they cannot '
        "use as grey. Required."
    )


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
    """The scoring matrix: labels for each axis and the score bands (NHS 5x5 by default, docs/domain.md 1)."""

    consequence: list[Line] = Field(
        default_factory=lambda: list(NHS_CONSEQUENCE_LABELS),
        min_length=5,
        max_length=5,
        description="Labels for consequence 1 to 5, in that order: exactly 5, one line each. Optional; the "
        "default is Negligible, Minor, Moderate, Major, Catastrophic (NPSA 2008, docs/domain.md 1.3). "
        "The labels are for display: risk files record the number.",
    )
    likelihood: list[Line] = Field(
        default_factory=lambda: list(NHS_LIKELIHOOD_LABELS),
        min_length=5,
        max_length=5,
        description="Labels for likelihood 1 to 5, in that order: exactly 5, one line each. Optional; the "
        "default is Rare, Unlikely, Possible, Likely, Almost certain (NPSA 2008, docs/domain.md 1.2). "
        "The labels are for display: risk files record the number.",
    )
    bands: list[Band] = Field(
        default_factory=_nhs_bands,
        min_length=1,
        description="The score bands, each a name, a lowest and highest score and a colour. Every score that "
        "can occur (1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16, 20, 25) must fall in exactly one band. Optional; "
        "the default is Low 1-3, Moderate 4-6, High 8-12, Extreme 15-25 (NPSA 2008, docs/domain.md 1.5).",
    )

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
    """An appetite level as the board set it, with its upper limit of tolerance (docs/domain.md 2.4)."""

    id: Identifier = Field(
        description="The level's ID, which a risk gives as its `appetite.level`, e.g. `open`. Required; "
        "letters, digits, `.`, `_` and `-`, at most 40 characters, unique within the register."
    )
    name: Line = Field(
        description="The level's name as the board uses it, e.g. `Open` or `Cautious`. Required; one line."
    )
    tolerance: Score | None = Field(
        default=None,
        description="The upper limit of tolerance: the highest current score the board accepts for a risk at "
        "this level, a whole number from 1 to 25, e.g. `16`. A current score above it is a tolerance breach; "
        "a score equal to it is within tolerance (docs/domain.md 2.4, V09). Optional: leave it out when the "
        "board has set no tolerance for the level; breaches are then not judged for its risks, which show "
        'as, e.g., "Averse (no tolerance set)". bafctl never supplies a figure the board did not set.',
    )
    description: Text | None = Field(
        default=None, description="Optional free text: what the level means, e.g. the board's appetite statement."
    )


class ExternalRegister(_Model):
    """A register kept elsewhere that risks may cite (e.g. a trust's own BAF)."""

    id: Identifier = Field(
        description="The other register's ID as risks write it in references, e.g. `NHFT` in `NHFT:BAF04`. "
        "Required; letters, digits, `.`, `_` and `-`, at most 40 characters."
    )
    name: Line = Field(
        description="The other register's name, e.g. `Northamptonshire Healthcare NHS Foundation Trust BAF`. "
        "Required; one line."
    )


class RegisterSettings(_Model):
    """The contents of ``register.yaml``: who owns the register, its themes, sections, committees,
    roles, scoring matrix and appetite levels (docs/format.md section 2)."""

    format_version: int = Field(
        default=1, ge=1, le=1, description="Version of this file format. Optional; only `1` is accepted (the default)."
    )
    info: RegisterInfo = Field(
        alias="register",
        description="Who the register belongs to: its `id`, `name` and `organisation`. Required.",
    )
    themes: list[Theme] = Field(
        min_length=1,
        description="The strategic objectives or themes that risks link to with `strategic_link`, e.g. THRIVE's "
        "`T` Technology (docs/domain.md V03). Required: at least one; IDs unique.",
    )
    sections: list[Section] = Field(
        min_length=1,
        description="The numbered sections of the BAF as printed in board papers, each holding one or more "
        "themes under an oversight committee. Required: at least one; numbers unique.",
    )
    committees: list[Committee] = Field(
        min_length=1,
        description="The board committees or forums that oversee risks, named in a risk's `oversight` and a "
        "section's `committee` (docs/domain.md V05). Required: at least one; IDs unique.",
    )
    roles: list[Role] = Field(
        min_length=1,
        description="The executive roles that lead risks (`executive_lead`) or own actions (`owner`) "
        "(docs/domain.md V04). Required: at least one; IDs unique.",
    )
    matrix: Matrix = Field(
        default_factory=Matrix,
        description="The scoring matrix: labels for consequence and likelihood 1 to 5, and the score bands. "
        "Optional; left out, the NHS 5x5 matrix (NPSA 2008) with its usual labels and bands applies "
        "(docs/domain.md 1).",
    )
    appetite_levels: list[AppetiteLevel] = Field(
        min_length=1,
        description="The risk appetite levels the board has set, each with its upper limit of tolerance; every "
        "risk names one in `appetite.level`. There is no national mapping from appetite to score: the board "
        "sets each tolerance (docs/domain.md 2.4, V20). Required: at least one; IDs unique.",
    )
    external_registers: list[ExternalRegister] = Field(
        default_factory=list,
        description="Registers kept outside this repository that risks may cite as `REGISTER:RISK-ID` in "
        "`related_risks` or `merged_into`; references to them are accepted without looking for the risk. "
        "Optional.",
    )

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
    """Where a risk is in its life: `draft`, `approved`, `closed` or `merged` (into another risk)."""

    DRAFT = "draft"
    APPROVED = "approved"
    CLOSED = "closed"
    MERGED = "merged"


#: Statuses of a risk that has left the BAF: not scored against appetite, not in the summary.
RETIRED_STATUSES = frozenset({RiskStatus.CLOSED, RiskStatus.MERGED})


class ActionStatus(StrEnum):
    """Progress of an action: `open`, `in_progress`, `complete` or `closed` (docs/domain.md V15)."""

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
    """A committee's rating of the assurance it received: assured, partially or not (docs/domain.md 4.2)."""

    ASSURED = "assured"
    PARTIALLY_ASSURED = "partially_assured"
    NOT_ASSURED = "not_assured"


class Assessment(_Model):
    """A consequence x likelihood assessment on the NHS 5x5 matrix; the score is derived, never typed
    (docs/domain.md 1.4)."""

    consequence: Rating = Field(
        description="Consequence on the NHS 5x5 matrix: a whole number from 1 (negligible) to 5 (catastrophic), "
        "unquoted, e.g. `4` (docs/domain.md 1.3, V01). Required."
    )
    likelihood: Rating = Field(
        description="Likelihood on the NHS 5x5 matrix: a whole number from 1 (rare) to 5 (almost certain), "
        "unquoted, e.g. `3` (docs/domain.md 1.2, V01). Required."
    )
    score: Score | None = Field(
        default=None,
        description="Optional stored copy of the score, consequence x likelihood, for readers. bafctl works the "
        "score out itself; a stored score that is not consequence x likelihood is an error (docs/domain.md "
        "1.4, V02).",
    )
    band: Line | None = Field(
        default=None,
        description="Optional stored copy of the band name for readers, e.g. `High`. It must be the band of the "
        "score in register.yaml's `matrix.bands` (names compared ignoring case), or it is an error "
        "(rule `stored-band`, docs/domain.md 1.5, V02).",
    )

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

    date: dt.date | None = Field(
        default=None,
        description="Optional: when the target should be reached, as an unquoted ISO date `YYYY-MM-DD`, e.g. "
        "`2027-03-31`. Once it has "
        "passed with the current score still above the target, the risk is off track (rule "
        "`target-date-passed`, docs/domain.md V10).",
    )


class Assessments(_Model):
    """Initial (inherent), current (residual) and target assessments (docs/domain.md 3.2)."""

    initial: Assessment = Field(
        description="The initial (inherent) assessment: consequence and likelihood before the controls. Required. "
        "A current score above it gives a warning (rule `current-above-initial`, docs/domain.md V07)."
    )
    current: Assessment = Field(
        description="The current (residual) assessment: consequence and likelihood with today's controls in "
        "place. Required. This is the score judged against tolerance: a current score above the upper limit "
        "of tolerance is a tolerance breach (docs/domain.md 2.4, V09)."
    )
    target: TargetAssessment = Field(
        description="The target assessment the actions aim to reach, with an optional target `date`. Required. "
        "A target above the current score or above tolerance gives a warning (docs/domain.md V06, V08)."
    )


class Appetite(_Model):
    """The board's appetite for this risk; tolerance comes from ``register.yaml`` (docs/domain.md 2.4)."""

    level: Identifier = Field(
        description="The ID of the risk's appetite level in register.yaml, e.g. `open`; that level's upper "
        "limit of tolerance applies to this risk unless `tolerance` overrides it (docs/domain.md V20). Required."
    )
    tolerance: Score | None = Field(
        default=None,
        description="Optional override of the level's upper limit of tolerance, for this risk only: a whole "
        "number from 1 to 25. Needs a `reason` (docs/domain.md 2.4).",
    )
    reason: Text | None = Field(
        default=None,
        description="Why this risk's tolerance differs from its level's, e.g. the board decision. Required with "
        "`tolerance`, and allowed only with it. Free text.",
    )

    @model_validator(mode="after")
    def _override_has_reason(self) -> Appetite:
        if self.tolerance is not None and self.reason is None:
            raise ValueError("a tolerance override needs a `reason`")
        if self.reason is not None and self.tolerance is None:
            raise ValueError("`reason` is only for a tolerance override: add `tolerance`")
        return self


class Gap(_Model):
    """A gap in control or assurance, linked to the actions that close it (docs/domain.md 3.4)."""

    text: Text = Field(description="The gap, in the paper's words. Required; free text.")
    actions: list[Identifier] = Field(
        default_factory=list,
        description="IDs of this risk's actions that close the gap, e.g. `GROUP-BAF-3.A4`; each must be an action "
        "of this risk. Optional, but a gap with none gives a warning (rule `gap-without-action`, "
        "docs/domain.md V12, V13).",
    )
    private: bool = Field(
        default=False, description="`true` leaves this gap out of public board papers. Optional (default `false`)."
    )


class Assurance(_Model):
    """A source of assurance on one of the three lines (IIA Three Lines Model, docs/domain.md 3.3)."""

    # A strict int, not Literal[1, 2, 3]: pydantic's Literal accepts `true` as 1.
    line: int = Field(
        ge=1,
        le=3,
        description="The line of assurance, a whole number: `1` management, `2` oversight (specialist functions "
        "and board committees), `3` independent (internal and external audit, CQC, NHS England). Required "
        "(IIA Three Lines Model, docs/domain.md 3.3).",
    )
    source: Text = Field(
        description="The source of assurance in the paper's words, e.g. `Internal audit of e-rostering`. "
        "Required; free text."
    )
    opinion: Annotated[Opinion, Field(strict=False)] | None = Field(
        default=None,
        description="Optional audit or review opinion: `substantial`, `significant` or `high` (positive), "
        "`reasonable` or `moderate` (adequate), `limited` or `no_assurance` (negative), or `advisory` "
        "(no opinion) (docs/domain.md 4.1).",
    )
    date: dt.date | None = Field(
        default=None,
        description="Optional: the date of the report or opinion, as an unquoted ISO date `YYYY-MM-DD`, e.g. "
        "`2025-06-01`. When the paper "
        "gives only a month, write a full date and keep the paper's words in a comment.",
    )
    polarity: Annotated[Polarity, Field(strict=False)] | None = Field(
        default=None,
        description="Optional: `positive` (evidence that the control works) or `negative` (evidence that it does "
        "not). Left out, it follows from `opinion` (docs/domain.md 3.4).",
    )
    rating: Annotated[AssuranceRating, Field(strict=False)] | None = Field(
        default=None,
        description="Optional: the committee's rating of the assurance it received: `assured`, "
        "`partially_assured` or `not_assured`. `assured` beside an open gap or negative assurance gives a "
        "warning (docs/domain.md 4.2, V18).",
    )
    external: bool = Field(
        default=False,
        description="`true` for a source from outside the trust, e.g. CQC or NHS England (docs/domain.md 3.3). "
        "Optional (default `false`).",
    )
    private: bool = Field(
        default=False,
        description="`true` leaves this source of assurance out of public board papers. Optional (default `false`).",
    )

    @property
    def effective_polarity(self) -> Polarity | None:
        """The stated polarity, else the one implied by the opinion."""
        if self.polarity is not None:
            return self.polarity
        return self.opinion.polarity if self.opinion is not None else None


class Action(_Model):
    """An action that closes a gap, with its owner and due date."""

    id: Identifier = Field(
        description="The action's ID, unique within the risk; by convention the risk ID, a dot, `A` and a "
        "number, e.g. `GROUP-BAF-1.A2`. Required; letters, digits, `.`, `_` and `-`, at most 40 characters."
    )
    action: Text = Field(description="What will be done, in the paper's words. Required; free text.")
    owner: Identifier | None = Field(
        default=None,
        description="The role ID in register.yaml of the action's owner, e.g. `CIO`. Optional, but an open "
        "action without an owner gives a warning (rule `action-without-owner-or-date`, docs/domain.md V15).",
    )
    due: dt.date | None = Field(
        default=None,
        description="The due date, as an unquoted ISO date `YYYY-MM-DD`, e.g. `2026-02-28`. Optional, but an "
        "open action without one "
        "gives a warning, and an open action past it is overdue (docs/domain.md V15, V16).",
    )
    status: Annotated[ActionStatus, Field(strict=False)] = Field(
        default=ActionStatus.OPEN,
        description="Progress of the action: `open`, `in_progress`, `complete` or `closed` (docs/domain.md V15). "
        "Optional (default `open`).",
    )
    completed: dt.date | None = Field(
        default=None,
        description="Optional: when the action was completed, as an unquoted ISO date `YYYY-MM-DD`. Only for "
        "status `complete` or "
        "`closed`: a `completed` date on an open or in-progress action is an error.",
    )
    private: bool = Field(
        default=False, description="`true` leaves this action out of public board papers. Optional (default `false`)."
    )

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

    description: Text = Field(description="The row's text after 'Cause:' or 'Effect:'. Required; free text.")
    controls: list[ControlItem] = Field(
        default_factory=list,
        description="The controls in place, one text per item. Optional, but by default a risk with no control "
        "at all is an error (rule `no-controls`, docs/domain.md V11).",
    )
    control_gaps: list[GapItem] = Field(
        default_factory=list,
        description="Gaps in control: a control is missing or does not work (docs/domain.md 3.4). Each item is "
        "plain text, or a mapping of `text`, the `actions` that close the gap and `private`. A mapping that "
        "names no action, or a plain-text gap in a row with no open action, gives a warning (rule "
        "`gap-without-action`, docs/domain.md V12). Optional.",
    )
    assurances: list[Assurance] = Field(
        default_factory=list,
        description="Sources of assurance: evidence that the controls work, each on one of the three lines "
        "(docs/domain.md 3.3). Optional, but a risk with none gives a warning (docs/domain.md V13), and so does "
        "one with no independent (line 3) source and no gap in assurance recorded (V14).",
    )
    assurance_gaps: list[GapItem] = Field(
        default_factory=list,
        description="Gaps in assurance: no sufficient, reliable evidence that a control works (docs/domain.md "
        "3.4). Written like `control_gaps`, and a gap with no action to close it gives a warning the same way "
        "(docs/domain.md V13). Optional.",
    )
    actions: list[Action] = Field(
        default_factory=list,
        description="The actions that close this row's gaps, each with an ID, an owner, a due date and a status "
        "(docs/domain.md V15). Optional.",
    )
    progress: list[Text] = Field(
        default_factory=list,
        description="Progress notes, one text per item, e.g. what has been done since the last review. Optional.",
    )
    private: bool = Field(
        default=False,
        description="`true` leaves this whole cause or effect row out of public board papers. Optional "
        "(default `false`).",
    )


class Silence(_Model):
    """A quality-rule finding silenced for this risk, with the reason recorded next to it."""

    rule: Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")] = Field(
        description="The ID of the quality rule whose finding is silenced, e.g. `overdue-action` (docs/rules.md "
        "lists them). Required; lower-case letters and digits joined by hyphens."
    )
    reason: Text = Field(
        description="Why the board accepts this finding for now, e.g. the committee decision. Required; free text."
    )
    until: dt.date | None = Field(
        default=None,
        description="Optional: the last day the silence holds, as an unquoted ISO date `YYYY-MM-DD`; after it "
        "the finding is reported "
        "again. Left out, the silence holds until it is removed.",
    )


PrivateField = Literal["context", "progress", "actions", "assurances", "references", "notes"]


class Risk(_Model):
    """One strategic risk: one entry of the Board Assurance Framework, in a file of its own
    (docs/format.md section 3, docs/domain.md 3.2)."""

    id: Identifier = Field(
        description="The risk's ID, e.g. `GROUP-BAF-1`; by convention also the file name. Required; unique "
        "across all the registers checked together, ignoring case (docs/domain.md V24). Letters, digits, `.`, "
        "`_` and `-`, starting with a letter or digit, at most 40 characters; quote an ID that looks like a "
        'number (`"010"`).'
    )
    title: Line = Field(
        description="The risk statement, ideally stating cause and effect: 'If ... then ...' (docs/domain.md "
        "V22). Required; one line, at most 600 characters."
    )
    keyword: Line | None = Field(
        default=None,
        description="Optional: the words of the title printed in bold on board papers, e.g. `digital "
        "transformation`. They must appear in the title (ignoring case).",
    )
    status: Annotated[RiskStatus, Field(strict=False)] = Field(
        description="Where the risk is in its life: `draft`, `approved`, `closed` or `merged`. Required. Closed "
        "and merged risks have left the BAF: they are not judged against appetite or shown in the summary. "
        "A merged risk needs `merged_into`."
    )
    merged_into: RiskRef | None = Field(
        default=None,
        description="The risk this one was merged into, as `RISK-ID` in this register or `REGISTER:RISK-ID`, "
        "e.g. `GROUP-BAF-4`. Required when `status` is `merged`, and allowed only then.",
    )
    strategic_link: Identifier = Field(
        description="The ID of the theme (strategic objective) in register.yaml that this risk threatens, e.g. "
        "`T`; the risk is reported under that theme's section (docs/domain.md V03). Required."
    )
    oversight: list[Identifier] = Field(
        min_length=1,
        description="IDs of the committees in register.yaml that oversee this risk, e.g. `FPC` "
        "(docs/domain.md V05). Required: at least one.",
    )
    governance_route: list[Line] = Field(
        default_factory=list,
        description="Optional: the bodies the risk is reported through, as printed, one line each, e.g. the "
        "committees, the executive board and the trust board.",
    )
    executive_lead: Identifier = Field(
        description="The role ID in register.yaml of the executive director who leads this risk, e.g. `CFO` "
        "(docs/domain.md V04). Required."
    )
    context: Text | None = Field(
        default=None, description="Optional free text: the background to the risk, e.g. the ambition it threatens."
    )
    date_included: dt.date = Field(
        description="When the risk entered the BAF, as an unquoted ISO date `YYYY-MM-DD`, e.g. `2025-04-01` "
        "(docs/domain.md V23). Required."
    )
    last_updated: dt.date = Field(
        description="When the entry was last reviewed, as an unquoted ISO date `YYYY-MM-DD`, e.g. `2026-01-15`. "
        "Required. By default a "
        "risk not reviewed for 3 months, or 1 month when its current score is 15 or more or it is in breach, "
        "gives a warning (rule `stale-review`, docs/domain.md V17)."
    )
    assessments: Assessments = Field(
        description="The risk's scores: `initial` (inherent), `current` (residual) and `target`, each a "
        "consequence and a likelihood on the NHS 5x5 matrix (docs/domain.md 1.4, 3.2). Required."
    )
    appetite: Appetite = Field(
        description="The board's appetite for this risk: an appetite level from register.yaml, whose upper limit "
        "of tolerance applies unless overridden here (docs/domain.md 2.4). Required."
    )
    causes: list[Thread] = Field(
        default_factory=list,
        description="The cause rows of the BAF entry: what could bring the risk about, each with its controls, "
        "gaps, sources of assurance, actions and progress. Optional.",
    )
    effects: list[Thread] = Field(
        default_factory=list,
        description="The effect rows of the BAF entry: what would follow if the risk happened, each with its "
        "controls, gaps, sources of assurance, actions and progress. Optional.",
    )
    related_risks: list[RiskRef] = Field(
        default_factory=list,
        description="Optional: related risks, as `RISK-ID` in this register or `REGISTER:RISK-ID` in another, "
        "e.g. `NHFT:BAF04`. Each must exist, unless its register is in `external_registers`; a risk cannot "
        "cite itself.",
    )
    operational_risks: list[Line] = Field(
        default_factory=list,
        description="Optional: the IDs of linked risks on the operational risk register, one line each, any "
        'text; quote one that is a number, e.g. `"4138"` (docs/domain.md V24).',
    )
    notes: Text | None = Field(default=None, description="Optional free text: anything else the board should know.")
    private: bool = Field(
        default=False,
        description="`true` leaves the whole risk out of public board papers. Optional (default `false`).",
    )
    private_fields: list[PrivateField] = Field(
        default_factory=list,
        description="Parts of the risk left out of public board papers: any of `context`, `progress`, `actions`, "
        "`assurances`, `references` (related and operational risks) and `notes`. Optional.",
    )
    silenced: list[Silence] = Field(
        default_factory=list,
        description="Quality-rule findings the board accepts for this risk, each with the rule, the reason and an "
        "optional end date. A silenced finding is not printed, but `bafctl check` still counts it "
        "(docs/rules.md). Optional.",
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
