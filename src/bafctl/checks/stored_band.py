"""A stored band name that disagrees with the register's bands (V02).

A risk file may carry the band of an assessment for readers (`band: High`), but the
band is derived: the register's `matrix.bands` decide it from consequence x
likelihood (docs/domain.md 1.5). A stored band that names another band is plainly wrong,
so this is an error. Names are compared ignoring case.

PASS:
    assessments:
      initial: {consequence: 4, likelihood: 4, band: Extreme}
      current: {consequence: 4, likelihood: 3, band: high}
      target: {consequence: 4, likelihood: 2}

FAIL:
    assessments:
      initial: {consequence: 4, likelihood: 4}
      current: {consequence: 4, likelihood: 3, band: Moderate}
      target: {consequence: 4, likelihood: 2}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bafctl.checks._base import CheckContext, finding_at
from bafctl.findings import Finding, Level
from bafctl.scoring import ASSESSMENT_NAMES, band_for, format_cxl

ID = "stored-band"
DEFAULT_LEVEL = Level.ERROR
OPTIONS: Mapping[str, Any] = {}


def check(ctx: CheckContext) -> Iterator[Finding]:
    """Yield a finding for each stored band that is not the band of its score."""
    for reg, lr in ctx.risks():
        for name in ASSESSMENT_NAMES:
            assessment = getattr(lr.risk.assessments, name)
            if assessment.band is None:
                continue
            band = band_for(assessment.computed_score, reg.settings.matrix.bands)
            if assessment.band.casefold() != band.name.casefold():
                yield finding_at(
                    lr,
                    ("assessments", name, "band"),
                    ID,
                    f"{name} band {assessment.band!r} disagrees with the register: "
                    f"{format_cxl(assessment)} is {band.name} ({band.min}-{band.max})",
                    f"write `band: {band.name}`, or remove the stored band",
                )
