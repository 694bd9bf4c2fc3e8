"""The directors' summary: risks by section, scores, appetite, movement and a heat map.

This is the one-page table at the front of a BAF paper (the Group BAF pack lists each
risk with its title and score under "Section n - theme [committee oversight]") plus a
5x5 heat map. Pure: it takes a loaded :class:`~bafctl.loader.Workspace` (and, for
movement, the workspace at an earlier revision) and returns plain frozen data that
every renderer (text, Markdown, CSV, JSON, HTML, the board report) draws from.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bafctl.loader import LoadedRegister, LoadedRisk, Workspace
from bafctl.models import RETIRED_STATUSES, Assessment, RegisterSettings, Risk, RiskStatus
from bafctl.models import natural_key as natural_key  # noqa: PLC0414 - re-exported for callers of the summary
from bafctl.scoring import AppetiteFlag, appetite_status, band_for, format_cxl

SUMMARY_VERSION = 1

#: Risks that are no longer managed are not on the board's summary (docs/domain.md).
RETIRED = RETIRED_STATUSES

#: Colour used when a register's band colour cannot be used safely.
FALLBACK_COLOUR = "#9e9e9e"

# The CSS named colours (CSS Color Module Level 4), so that a register may write
# `colour: firebrick` as well as `#b22222`. Anything else is refused: a colour reaches
# HTML, SVG and DOCX, and only a validated #rrggbb may be written there (reliability R18).
_CSS_NAMES = """
aliceblue f0f8ff antiquewhite faebd7 aqua 00ffff aquamarine 7fffd4 azure f0ffff beige f5f5dc
bisque ffe4c4 black 000000 blanchedalmond ffebcd blue 0000ff blueviolet 8a2be2 brown a52a2a
burlywood deb887 cadetblue 5f9ea0 chartreuse 7fff00 chocolate d2691e coral ff7f50
cornflowerblue 6495ed cornsilk fff8dc crimson dc143c cyan 00ffff darkblue 00008b darkcyan 008b8b
darkgoldenrod b8860b darkgray a9a9a9 darkgreen 006400 darkgrey a9a9a9 darkkhaki bdb76b
darkmagenta 8b008b darkolivegreen 556b2f darkorange ff8c00 darkorchid 9932cc darkred 8b0000
darksalmon e9967a darkseagreen 8fbc8f darkslateblue 483d8b darkslategray 2f4f4f
darkslategrey 2f4f4f darkturquoise 00ced1 darkviolet 9400d3 deeppink ff1493 deepskyblue 00bfff
dimgray 696969 dimgrey 696969 dodgerblue 1e90ff firebrick b22222 floralwhite fffaf0
forestgreen 228b22 fuchsia ff00ff gainsboro dcdcdc ghostwhite f8f8ff gold ffd700
goldenrod daa520 gray 808080 green 008000 greenyellow adff2f grey 808080 honeydew f0fff0
hotpink ff69b4 indianred cd5c5c indigo 4b0082 ivory fffff0 khaki f0e68c lavender e6e6fa
lavenderblush fff0f5 lawngreen 7cfc00 lemonchiffon fffacd lightblue add8e6 lightcoral f08080
lightcyan e0ffff lightgoldenrodyellow fafad2 lightgray d3d3d3 lightgreen 90ee90 lightgrey d3d3d3
lightpink ffb6c1 lightsalmon ffa07a lightseagreen 20b2aa lightskyblue 87cefa
lightslategray 778899 lightslategrey 778899 lightsteelblue b0c4de lightyellow ffffe0 lime 00ff00
limegreen 32cd32 linen faf0e6 magenta ff00ff maroon 800000 mediumaquamarine 66cdaa
mediumblue 0000cd mediumorchid ba55d3 mediumpurple 9370db mediumseagreen 3cb371
mediumslateblue 7b68ee mediumspringgreen 00fa9a mediumturquoise 48d1cc mediumvioletred c71585
midnightblue 191970 mintcream f5fffa mistyrose ffe4e1 moccasin ffe4b5 navajowhite ffdead
navy 000080 oldlace fdf5e6 olive 808000 olivedrab 6b8e23 orange ffa500 orangered ff4500
orchid da70d6 palegoldenrod eee8aa palegreen 98fb98 paleturquoise afeeee palevioletred db7093
papayawhip ffefd5 peachpuff ffdab9 peru cd853f pink ffc0cb plum dda0dd powderblue b0e0e6
purple 800080 rebeccapurple 663399 red ff0000 rosybrown bc8f8f royalblue 4169e1
saddlebrown 8b4513 salmon fa8072 sandybrown f4a460 seagreen 2e8b57 seashell fff5ee
sienna a0522d silver c0c0c0 skyblue 87ceeb slateblue 6a5acd slategray 708090 slategrey 708090
snow fffafa springgreen 00ff7f steelblue 4682b4 tan d2b48c teal 008080 thistle d8bfd8
tomato ff6347 turquoise 40e0d0 violet ee82ee wheat f5deb3 white ffffff whitesmoke f5f5f5
yellow ffff00 yellowgreen 9acd32
"""
CSS_COLOURS: dict[str, str] = dict(
    zip(_CSS_NAMES.split()[::2], ("#" + h for h in _CSS_NAMES.split()[1::2]), strict=True)
)
_HEX6 = re.compile(r"#[0-9a-fA-F]{6}")
_HEX3 = re.compile(r"#[0-9a-fA-F]{3}")


def safe_colour(value: str) -> str | None:
    """The register's colour as lower-case ``#rrggbb``, or None if it is not a colour.

    Accepts ``#rrggbb``, ``#rgb`` and CSS colour names; everything else (including
    anything that could break out of an attribute or a style sheet) is refused.
    """
    text = value.strip()
    if _HEX6.fullmatch(text):
        return text.lower()
    if _HEX3.fullmatch(text):
        return "#" + "".join(ch * 2 for ch in text[1:].lower())
    return CSS_COLOURS.get(text.lower())


def ink_for(colour: str) -> str:
    """Black or white, whichever reads better on ``colour`` (WCAG relative luminance)."""

    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else float(((value + 0.055) / 1.055) ** 2.4)

    red, green, blue = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    # Contrast with black is (L + 0.05) / 0.05; with white 1.05 / (L + 0.05).
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


class Movement(StrEnum):
    """How a risk's current score moved since an earlier revision (docs/domain.md V21)."""

    UP = "up"
    DOWN = "down"
    SAME = "same"
    NEW = "new"

    @property
    def symbol(self) -> str:
        """``↑``, ``↓``, ``→`` or ``new``: how movement is printed in every format."""
        return {"up": "↑", "down": "↓", "same": "→", "new": "new"}[self.value]


@dataclass(frozen=True)
class Score:
    """One assessment as printed: C, L, the derived score and its band."""

    consequence: int
    likelihood: int
    score: int
    band: str
    colour: str
    """The band's colour as a validated ``#rrggbb`` (:data:`FALLBACK_COLOUR` if unusable)."""
    cxl: str
    """``4x4=16``, as :func:`bafctl.scoring.format_cxl` writes it in every output."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of a score."""
        return {
            "consequence": self.consequence,
            "likelihood": self.likelihood,
            "score": self.score,
            "band": self.band,
            "colour": self.colour,
        }


def score_of(assessment: Assessment, settings: RegisterSettings) -> Score:
    """An assessment with its band from the register's matrix (docs/domain.md 1.5)."""
    value = assessment.computed_score
    band = band_for(value, settings.matrix.bands)
    return Score(
        assessment.consequence,
        assessment.likelihood,
        value,
        band.name,
        safe_colour(band.colour) or FALLBACK_COLOUR,
        format_cxl(assessment),
    )


def emphasis_span(title: str, keyword: str | None) -> tuple[int, int] | None:
    """Where the keyword sits in the title (case-insensitive), as ``(start, end)``.

    The format requires the keyword to appear in the title; None when it has none.
    """
    if not keyword:
        return None
    match = re.search(re.escape(keyword), title, re.IGNORECASE)
    return None if match is None else (match.start(), match.end())


def split_title(title: str, span: tuple[int, int] | None) -> tuple[str, str, str]:
    """The title as ``(before, keyword, after)``; keyword empty when there is none."""
    if span is None:
        return title, "", ""
    start, end = span
    return title[:start], title[start:end], title[end:]


@dataclass(frozen=True)
class SummaryRow:
    """One risk's line in the summary."""

    register_id: str
    risk_id: str
    title: str
    emphasis: tuple[int, int] | None
    status: RiskStatus
    current: Score
    target: Score
    tolerance: int | None
    appetite: str
    """The appetite level's name (its ID when register.yaml does not define it)."""
    flags: frozenset[AppetiteFlag]
    movement: Movement | None
    """None when no earlier revision was given."""
    previous: Score | None
    """The current score at the earlier revision, when the risk existed then."""

    @property
    def in_breach(self) -> bool:
        """Current score above the upper limit of tolerance (docs/domain.md 2.4)."""
        return AppetiteFlag.BREACH in self.flags

    @property
    def title_parts(self) -> tuple[str, str, str]:
        """``(before, keyword, after)`` for emphasis."""
        return split_title(self.title, self.emphasis)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of a row."""
        return {
            "register": self.register_id,
            "id": self.risk_id,
            "title": self.title,
            "keyword": None if self.emphasis is None else self.title_parts[1],
            "status": self.status.value,
            "current": self.current.to_dict(),
            "target": self.target.to_dict(),
            "tolerance": self.tolerance,
            "appetite": self.appetite,
            "in_breach": self.in_breach,
            "flags": sorted(f.value for f in self.flags),
            "movement": None if self.movement is None else self.movement.value,
            "previous_score": None if self.previous is None else self.previous.score,
        }


@dataclass(frozen=True)
class SummarySection:
    """A numbered BAF section with the committee that oversees it."""

    number: int | None
    """None for risks whose theme is in no section (``check`` warns about that)."""
    title: str
    committee: str
    rows: tuple[SummaryRow, ...]

    @property
    def heading(self) -> str:
        """``Section 1 – T Technology``, as the BAF paper prints it."""
        if self.number is None:
            return self.title
        return f"Section {self.number} – {self.title}"

    @property
    def full_heading(self) -> str:
        """``Section 1 – T Technology [Finance and Performance Committee oversight]``."""
        return f"{self.heading} [{self.committee} oversight]"


@dataclass(frozen=True)
class HeatCell:
    """One cell of the 5x5 matrix and the risks placed in it."""

    consequence: int
    likelihood: int
    score: int
    band: str
    colour: str
    current: tuple[str, ...]
    """IDs of the risks whose current assessment is here."""
    target: tuple[str, ...]
    """IDs of the risks whose target assessment is here."""


@dataclass(frozen=True)
class HeatMap:
    """The NPSA 5x5 matrix: consequence across (1-5), likelihood up (1-5)."""

    consequence_labels: tuple[str, ...]
    likelihood_labels: tuple[str, ...]
    cells: tuple[HeatCell, ...]
    """25 cells, likelihood 5 first (the top row as printed), consequence 1-5 in each row."""

    def cell(self, consequence: int, likelihood: int) -> HeatCell:
        """The cell at ``consequence`` x ``likelihood``."""
        return self.cells[(5 - likelihood) * 5 + (consequence - 1)]

    def rows(self) -> list[tuple[HeatCell, ...]]:
        """The cells as printed: likelihood 5 at the top down to 1."""
        return [self.cells[i : i + 5] for i in range(0, 25, 5)]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the heat map (only cells holding a risk)."""
        return {
            "consequence_labels": list(self.consequence_labels),
            "likelihood_labels": list(self.likelihood_labels),
            "cells": [
                {
                    "consequence": c.consequence,
                    "likelihood": c.likelihood,
                    "score": c.score,
                    "band": c.band,
                    "current": list(c.current),
                    "target": list(c.target),
                }
                for c in self.cells
                if c.current or c.target
            ],
        }


@dataclass(frozen=True)
class BandKey:
    """A band for legends: name, score range and colour."""

    name: str
    min: int
    max: int
    colour: str

    @property
    def label(self) -> str:
        """``High 8-12``."""
        return f"{self.name} {self.min}-{self.max}" if self.min != self.max else f"{self.name} {self.min}"


@dataclass(frozen=True)
class RegisterSummary:
    """The summary of one register."""

    id: str
    name: str
    organisation: str
    sections: tuple[SummarySection, ...]
    heatmap: HeatMap
    bands: tuple[BandKey, ...]
    not_shown: tuple[str, ...]
    """IDs of closed and merged risks, which the summary leaves out."""

    @property
    def rows(self) -> list[SummaryRow]:
        """Every row, section by section."""
        return [row for section in self.sections for row in section.rows]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of one register's summary."""
        return {
            "id": self.id,
            "name": self.name,
            "organisation": self.organisation,
            "sections": [
                {
                    "number": s.number,
                    "title": s.title,
                    "committee": s.committee,
                    "risks": [r.to_dict() for r in s.rows],
                }
                for s in self.sections
            ],
            "heatmap": self.heatmap.to_dict(),
            "bands": [{"name": b.name, "min": b.min, "max": b.max, "colour": b.colour} for b in self.bands],
            "not_shown": list(self.not_shown),
        }


@dataclass(frozen=True)
class Summary:
    """The directors' summary of every register loaded."""

    as_of: dt.date
    since: str | None
    """The earlier revision movement is measured from, as the user named it."""
    registers: tuple[RegisterSummary, ...]

    @property
    def rows(self) -> list[SummaryRow]:
        """Every row of every register."""
        return [row for reg in self.registers for row in reg.rows]

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON document of ``bafctl summary --format json``."""
        return {
            "version": SUMMARY_VERSION,
            "as_of": self.as_of.isoformat(),
            "since": self.since,
            "registers": [r.to_dict() for r in self.registers],
        }


def _previous_scores(previous: Workspace | None) -> dict[tuple[str, str], tuple[Risk, RegisterSettings]]:
    if previous is None:
        return {}
    return {(reg.id, lr.risk.id.casefold()): (lr.risk, reg.settings) for reg, lr in previous.risks()}


def _movement(current: int, earlier: Risk | None) -> Movement:
    if earlier is None:
        return Movement.NEW
    before = earlier.assessments.current.computed_score
    if current > before:
        return Movement.UP
    if current < before:
        return Movement.DOWN
    return Movement.SAME


def summary_row(
    reg: LoadedRegister,
    lr: LoadedRisk,
    today: dt.date,
    earlier: tuple[Risk, RegisterSettings] | None = None,
    *,
    compare: bool = False,
) -> SummaryRow:
    """One risk's summary line; ``compare`` asks for movement against ``earlier``."""
    risk, settings = lr.risk, reg.settings
    status = appetite_status(risk, settings, today)
    level = settings.appetite_level(risk.appetite.level)
    current = score_of(risk.assessments.current, settings)
    previous = None if earlier is None else score_of(earlier[0].assessments.current, earlier[1])
    return SummaryRow(
        register_id=reg.id,
        risk_id=risk.id,
        title=risk.title,
        emphasis=emphasis_span(risk.title, risk.keyword),
        status=risk.status,
        current=current,
        target=score_of(risk.assessments.target, settings),
        tolerance=status.tolerance,
        appetite=risk.appetite.level if level is None else level.name,
        flags=status.flags,
        movement=_movement(current.score, None if earlier is None else earlier[0]) if compare else None,
        previous=previous,
    )


def build_heatmap(reg: LoadedRegister, rows: list[SummaryRow]) -> HeatMap:
    """Place every row's current (and target) assessment on the register's 5x5 matrix."""
    settings = reg.settings
    cells: list[HeatCell] = []
    for likelihood in range(5, 0, -1):
        for consequence in range(1, 6):
            value = consequence * likelihood
            band = band_for(value, settings.matrix.bands)
            cells.append(
                HeatCell(
                    consequence,
                    likelihood,
                    value,
                    band.name,
                    safe_colour(band.colour) or FALLBACK_COLOUR,
                    tuple(
                        r.risk_id
                        for r in rows
                        if (r.current.consequence, r.current.likelihood) == (consequence, likelihood)
                    ),
                    tuple(
                        r.risk_id
                        for r in rows
                        if (r.target.consequence, r.target.likelihood) == (consequence, likelihood)
                    ),
                )
            )
    return HeatMap(tuple(settings.matrix.consequence), tuple(settings.matrix.likelihood), tuple(cells))


def summarise_register(
    reg: LoadedRegister,
    today: dt.date,
    previous: dict[tuple[str, str], tuple[Risk, RegisterSettings]] | None = None,
) -> RegisterSummary:
    """One register's summary: live risks by section, in section then natural-ID order."""
    settings = reg.settings
    committees = {c.id: c.name for c in settings.committees}
    live = sorted((lr for lr in reg.risks if lr.risk.is_active), key=lambda lr: (natural_key(lr.risk.id), lr.path))
    compare = previous is not None
    rows_by_section: dict[int | None, list[SummaryRow]] = {}
    unsectioned_committee: str | None = None
    for lr in live:
        earlier = None if previous is None else previous.get((reg.id, lr.risk.id.casefold()))
        row = summary_row(reg, lr, today, earlier, compare=compare)
        section = settings.section_for_theme(lr.risk.strategic_link)
        number = None if section is None else section.number
        if section is None and unsectioned_committee is None:
            unsectioned_committee = committees.get(lr.risk.oversight[0], lr.risk.oversight[0])
        rows_by_section.setdefault(number, []).append(row)
    sections: list[SummarySection] = []
    for section in sorted(settings.sections, key=lambda s: s.number):
        rows = rows_by_section.get(section.number)
        if rows:
            committee = committees.get(section.committee, section.committee)
            sections.append(SummarySection(section.number, section.title, committee, tuple(rows)))
    if None in rows_by_section:
        sections.append(
            SummarySection(
                None, "Not in a section", unsectioned_committee or "no committee", tuple(rows_by_section[None])
            )
        )
    all_rows = [row for section in sections for row in section.rows]
    bands = tuple(
        BandKey(b.name, b.min, b.max, safe_colour(b.colour) or FALLBACK_COLOUR)
        for b in sorted(settings.matrix.bands, key=lambda b: b.min)
    )
    retired = tuple(
        lr.risk.id for lr in sorted(reg.risks, key=lambda lr: natural_key(lr.risk.id)) if not lr.risk.is_active
    )
    return RegisterSummary(
        reg.id,
        settings.info.name,
        settings.info.organisation,
        tuple(sections),
        build_heatmap(reg, all_rows),
        bands,
        retired,
    )


def build_summary(
    workspace: Workspace, *, today: dt.date, previous: Workspace | None = None, since: str | None = None
) -> Summary:
    """The summary of every register in ``workspace``.

    Args:
        workspace: The registers as they are now.
        today: The date appetite and target dates are judged on.
        previous: The registers at an earlier revision; gives each row its movement.
        since: How the user named that revision (printed, never interpreted).

    Returns:
        The summary, ready for any renderer.
    """
    earlier = _previous_scores(previous) if previous is not None else None
    return Summary(
        as_of=today,
        since=since,
        registers=tuple(summarise_register(reg, today, earlier) for reg in workspace.registers),
    )
