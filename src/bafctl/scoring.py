"""Scoring and appetite: pure functions, no I/O (docs/domain.md sections 1 and 2).

Score = consequence x likelihood on the NPSA 2008 5x5 matrix; the band comes from the
register's table; tolerance from the risk's appetite level, or its own override.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from bafctl.models import Assessment, Band, RegisterSettings, Risk

#: Every score the 5x5 matrix can produce (docs/domain.md 1.4): 7, 11, 13, 14, 17-19, 21-24 cannot occur.
ACHIEVABLE_SCORES = frozenset(c * lk for c in range(1, 6) for lk in range(1, 6))

ASSESSMENT_NAMES = ("initial", "current", "target")

_CXL = re.compile(r"\s*([1-5])\s*[xX×*]\s*([1-5])\s*")


def compute_score(consequence: int, likelihood: int) -> int:
    """Consequence x likelihood; both must be 1-5 (docs/domain.md V01)."""
    if not (1 <= consequence <= 5 and 1 <= likelihood <= 5):
        raise ValueError(f"consequence and likelihood must be 1-5, got {consequence}x{likelihood}")
    return consequence * likelihood


def parse_cxl(text: str) -> tuple[int, int]:
    """Parse ``"4x3"`` (consequence then likelihood) into ``(4, 3)``."""
    match = _CXL.fullmatch(text)
    if match is None:
        raise ValueError(f"expected consequence x likelihood such as 4x3 (each 1-5), got {text!r}")
    return int(match.group(1)), int(match.group(2))


def format_cxl(assessment: Assessment) -> str:
    """``4x3=12``: how an assessment is written in every output."""
    return format_pair(assessment.consequence, assessment.likelihood)


def format_pair(consequence: int, likelihood: int) -> str:
    """``4x3=12`` from a consequence and a likelihood (the same words as :func:`format_cxl`)."""
    return f"{consequence}x{likelihood}={consequence * likelihood}"


def band_for(score: int, bands: list[Band]) -> Band:
    """The band a score falls in."""
    for band in bands:
        if band.min <= score <= band.max:
            return band
    raise LookupError(f"score {score} is in no band")


def band_rank(score: int, bands: list[Band]) -> int:
    """0 for the lowest band, 1 for the next, ...: bands ordered by their lower limit.

    The register's bands never overlap on an achievable score (``Matrix`` validation),
    so the rank never falls as the score rises (docs/domain.md 1.5).
    """
    band = band_for(score, bands)
    return sorted(b.min for b in bands).index(band.min)


@dataclass(frozen=True)
class Derived:
    """The values a file may carry alongside consequence and likelihood (docs/domain.md 1.6)."""

    score: int
    band: str


def derived_values(consequence: int, likelihood: int, bands: list[Band]) -> Derived:
    """The score (C x L) and the register's band name for one assessment."""
    score = compute_score(consequence, likelihood)
    return Derived(score, band_for(score, bands).name)


def tolerance_for(risk: Risk, settings: RegisterSettings) -> int | None:
    """The risk's upper limit of tolerance: its override, else its appetite level's.

    None when the appetite level is not defined (a reference finding reports that).
    """
    if risk.appetite.tolerance is not None:
        return risk.appetite.tolerance
    level = settings.appetite_level(risk.appetite.level)
    return level.tolerance if level is not None else None


class AppetiteFlag(StrEnum):
    """Ways a risk can sit outside the board's appetite (docs/domain.md 2.4)."""

    BREACH = "breach"
    """Current score above tolerance."""
    TARGET_OUTSIDE = "target-outside-appetite"
    """Target score above tolerance: the plan itself cannot bring the risk within appetite."""
    OFF_TRACK = "off-track"
    """Target date passed while current is still above target."""


@dataclass(frozen=True)
class AppetiteStatus:
    """Where one risk stands against the board's appetite."""

    risk_id: str
    current: int
    target: int
    tolerance: int | None
    flags: frozenset[AppetiteFlag]

    @property
    def over_by(self) -> int:
        """How far the current score is above tolerance (0 when within)."""
        if self.tolerance is None:
            return 0
        return max(0, self.current - self.tolerance)

    @property
    def in_breach(self) -> bool:
        """True when the current score is above tolerance."""
        return AppetiteFlag.BREACH in self.flags


def appetite_status(risk: Risk, settings: RegisterSettings, today: dt.date) -> AppetiteStatus:
    """Assess one risk against its tolerance and target date (docs/domain.md 2.4, V08-V10).

    Closed and merged risks are never flagged: they are no longer managed.
    """
    current = risk.assessments.current.computed_score
    target = risk.assessments.target.computed_score
    tolerance = tolerance_for(risk, settings)
    flags: set[AppetiteFlag] = set()
    if tolerance is not None and risk.is_active:
        if current > tolerance:
            flags.add(AppetiteFlag.BREACH)
        if target > tolerance:
            flags.add(AppetiteFlag.TARGET_OUTSIDE)
    target_date = risk.assessments.target.date
    if target_date is not None and target_date < today and current > target and risk.is_active:
        flags.add(AppetiteFlag.OFF_TRACK)
    return AppetiteStatus(risk.id, current, target, tolerance, frozenset(flags))
