"""Property tests of rescore over generated risk files (docs/reliability.md R9, R12; T6, T7).

Each example renders a valid risk file from a random *layout* (BOM or not, LF or
CRLF, indentation, key order, blank lines, comments on value lines, quoting styles,
block or flow assessments, stored scores and bands, non-ASCII and astral text) and
rescores it. The oracle is independent of the splice: the same layout is rendered
again with the requested values, so every byte outside the targeted values must come
out identical. Then the new file must re-read as exactly the requested assessment,
and a second identical run must change nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import string
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bafctl.errors import RescoreRefusedError
from bafctl.loader import load_workspace
from bafctl.models import Matrix
from bafctl.rescore import RescoreRequest, plan_rescore
from bafctl.scoring import ASSESSMENT_NAMES, band_for
from bafctl.yamlio import resolve_plain
from conftest import SCALE

EXAMPLES = 500 * SCALE
REGISTER = b"""register: {id: PROP, name: Property register, organisation: Test Trust}
themes: [{id: V, name: Valuing everyone}]
sections: [{number: 1, title: People, themes: [V], committee: PCC}]
committees: [{id: PCC, name: People and Culture Committee}, {id: GTB, name: Group Trust Board}]
roles: [{id: CPO, title: Chief People Officer}]
appetite_levels: [{id: open, name: Open, tolerance: 16}]
"""
RISK_PATH = "reg/risks/risk.yaml"
BANDS = Matrix().bands
# Text that may appear in titles and comments: ASCII, accents, dashes, curly quotes and
# astral characters (a character offset that counted UTF-16 units or bytes would drift).
TEXT_CHARS = string.ascii_letters + string.digits + " ,.()/&-'" + "éüßŁΩ–—’“”😀📉"
COMMENT_CHARS = TEXT_CHARS + ':#[]{}"!%@`|>*'

ratings = st.integers(min_value=1, max_value=5)
pairs = st.tuples(ratings, ratings)
dates = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2027, 12, 31))


def one_line_text(chars: str, min_size: int = 1, max_size: int = 40) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from(chars), min_size=min_size, max_size=max_size).map(str.strip).filter(bool)


comments = st.none() | one_line_text(COMMENT_CHARS).map(lambda t: "note " + t)


@dataclass
class Number:
    value: int
    plus: bool = False  # written `+4`: a valid number, but not one rescore may splice
    comment: str | None = None

    def render(self) -> str:
        return ("+" if self.plus else "") + str(self.value)


@dataclass
class BandValue:
    text: str
    style: str  # "plain", "'" or '"'
    comment: str | None = None

    def render(self) -> str:
        if self.style == "'":
            return "'" + self.text.replace("'", "''") + "'"
        if self.style == '"':
            return json.dumps(self.text, ensure_ascii=False)
        return self.text


@dataclass
class AssessmentLayout:
    consequence: Number
    likelihood: Number
    score: Number | None
    band: BandValue | None
    date: dt.date | None
    flow: bool
    order: list[str]
    key_comment: str | None

    def fields(self) -> list[tuple[str, str, str | None]]:
        values: dict[str, tuple[str, str | None]] = {
            "consequence": (self.consequence.render(), self.consequence.comment),
            "likelihood": (self.likelihood.render(), self.likelihood.comment),
        }
        if self.score is not None:
            values["score"] = (self.score.render(), self.score.comment)
        if self.band is not None:
            values["band"] = (self.band.render(), self.band.comment)
        if self.date is not None:
            values["date"] = (self.date.isoformat(), None)
        return [(key, *values[key]) for key in self.order if key in values]


@dataclass
class Layout:
    bom: bool
    newline: str
    indent: int
    header: list[str]
    order: list[str]
    blank_after: set[str]
    title: str
    title_style: str
    oversight_flow: bool
    last_updated: dt.date
    last_updated_comment: tuple[str, str] | None  # ("author" | "rescored", text)
    rescored_line_below: str | None  # an earlier own-line `# rescored` comment under it
    assessment_order: list[str]
    assessments: dict[str, AssessmentLayout]
    final_newline: bool
    inserted_reason: str | None = field(default=None)

    def render(self) -> bytes:
        pad = " " * self.indent
        lines: list[str] = [f"# {text}" for text in self.header]
        for key in self.order:
            if key == "id":
                lines.append("id: PROP-1")
            elif key == "title":
                if self.title_style == "plain":
                    lines.append(f"title: {self.title}")
                elif self.title_style == "'":
                    lines.append("title: '" + self.title.replace("'", "''") + "'")
                else:
                    lines.append("title: " + json.dumps(self.title, ensure_ascii=False))
            elif key == "oversight":
                if self.oversight_flow:
                    lines.append("oversight: [PCC, GTB]")
                else:
                    lines += ["oversight:", f"{pad}- PCC", f"{pad}- GTB"]
            elif key == "last_updated":
                line = f"last_updated: {self.last_updated.isoformat()}"
                if self.last_updated_comment is not None:
                    line += f"  # {self.last_updated_comment[1]}"
                lines.append(line)
                if self.inserted_reason is not None:
                    lines.append(self.inserted_reason)
                elif self.rescored_line_below is not None:
                    lines.append(self.rescored_line_below)
            elif key == "assessments":
                lines.append("assessments:")
                for name in self.assessment_order:
                    lines += self._assessment(name, pad)
            else:
                lines.append(FIXED[key])
            if key in self.blank_after:
                lines.append("")
        text = self.newline.join(lines) + (self.newline if self.final_newline else "")
        return (b"\xef\xbb\xbf" if self.bom else b"") + text.encode("utf-8")

    def _assessment(self, name: str, pad: str) -> list[str]:
        layout = self.assessments[name]
        key_comment = f"  # {layout.key_comment}" if layout.key_comment else ""
        if layout.flow:
            inner = ", ".join(f"{key}: {value}" for key, value, _ in layout.fields())
            return [f"{pad}{name}: {{{inner}}}{key_comment}"]
        lines = [f"{pad}{name}:{key_comment}"]
        for key, value, comment in layout.fields():
            lines.append(f"{pad}{pad}{key}: {value}" + (f"   # {comment}" if comment else ""))
        return lines


FIXED = {
    "status": "status: approved",
    "strategic_link": "strategic_link: V",
    "executive_lead": "executive_lead: CPO",
    "date_included": "date_included: 2024-04-01",
    "appetite": "appetite: {level: open}",
}
TOP_KEYS = ["id", "title", "oversight", "last_updated", "assessments", *FIXED]


@st.composite
def numbers(draw: st.DrawFn, value: int, flow: bool) -> Number:
    plus = draw(st.integers(0, 19)) == 0  # 1 in 20
    return Number(value, plus, None if flow else draw(comments))


@st.composite
def assessment_layouts(draw: st.DrawFn, name: str) -> AssessmentLayout:
    consequence, likelihood = draw(pairs)
    flow = draw(st.booleans())
    score = draw(numbers(consequence * likelihood, flow)) if draw(st.booleans()) else None
    band: BandValue | None = None
    if draw(st.booleans()):
        text = band_for(consequence * likelihood, BANDS).name
        text = draw(st.sampled_from([text, text.lower(), text.upper()]))
        band = BandValue(text, draw(st.sampled_from(["plain", "'", '"'])), None if flow else draw(comments))
    date = draw(st.none() | dates) if name == "target" else None
    keys = ["consequence", "likelihood", "score", "band", "date"]
    return AssessmentLayout(
        draw(numbers(consequence, flow)),
        draw(numbers(likelihood, flow)),
        score,
        band,
        date,
        flow,
        draw(st.permutations(keys)),
        draw(comments),
    )


@st.composite
def layouts(draw: st.DrawFn) -> Layout:
    title = draw(one_line_text(TEXT_CHARS, max_size=120))
    plain_ok = title[0].isalpha() and resolve_plain(title) == title
    title_style = draw(st.sampled_from(["plain", "'", '"'] if plain_ok else ["'", '"']))
    kind = draw(st.sampled_from([None, "author", "rescored"]))
    last_comment: tuple[str, str] | None = None
    if kind == "author":
        last_comment = ("author", draw(comments.filter(bool)) or "note")
    elif kind == "rescored":
        last_comment = ("rescored", f"rescored 2025-12-01: {draw(one_line_text(COMMENT_CHARS))}")
    below = None
    if kind == "author" and draw(st.booleans()):
        below = f"# rescored 2025-11-30: {draw(one_line_text(COMMENT_CHARS))}"
    return Layout(
        bom=draw(st.booleans()),
        newline=draw(st.sampled_from(["\n", "\r\n"])),
        indent=draw(st.sampled_from([2, 4])),
        header=draw(st.lists(one_line_text(COMMENT_CHARS), max_size=3)),
        order=draw(st.permutations(TOP_KEYS)),
        blank_after=set(draw(st.lists(st.sampled_from(TOP_KEYS), max_size=4))),
        title=title,
        title_style=title_style,
        oversight_flow=draw(st.booleans()),
        last_updated=draw(dates),
        last_updated_comment=last_comment,
        rescored_line_below=below,
        assessment_order=draw(st.permutations(list(ASSESSMENT_NAMES))),
        assessments={name: draw(assessment_layouts(name)) for name in ASSESSMENT_NAMES},
        final_newline=draw(st.booleans()),
    )


reasons = st.none() | one_line_text(TEXT_CHARS + ":#", max_size=60)
requests = st.dictionaries(st.sampled_from(list(ASSESSMENT_NAMES)), pairs, min_size=1)


def expected_after(layout: Layout, asked: dict[str, tuple[int, int]], on: dt.date, reason: str | None) -> Layout | None:
    """The layout rendered with the requested values; None when rescore must refuse."""
    new = dataclasses.replace(layout, assessments=dict(layout.assessments))
    changed = False
    for name, (consequence, likelihood) in asked.items():
        old = layout.assessments[name]
        if (old.consequence.value, old.likelihood.value) == (consequence, likelihood):
            continue
        changed = True
        updated = dataclasses.replace(old)
        for key, value in (("consequence", consequence), ("likelihood", likelihood)):
            number: Number = getattr(old, key)
            if number.value != value:
                if number.plus:
                    return None
                setattr(updated, key, dataclasses.replace(number, value=value))
        score = consequence * likelihood
        if old.score is not None and old.score.value != score:
            if old.score.plus:
                return None
            updated.score = dataclasses.replace(old.score, value=score)
        band = band_for(score, BANDS).name
        if old.band is not None and old.band.text.casefold() != band.casefold():
            updated.band = dataclasses.replace(old.band, text=band)
        new.assessments[name] = updated
    if not changed:
        return layout
    new.last_updated = on
    if reason is not None:
        comment = f"rescored {on.isoformat()}: {reason}"
        if layout.last_updated_comment is None or layout.last_updated_comment[0] == "rescored":
            new.last_updated_comment = ("rescored", comment)
        else:
            new.inserted_reason = "# " + comment
    return new


def files(risk: bytes) -> dict[str, bytes]:
    return {"reg/register.yaml": REGISTER, RISK_PATH: risk}


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layouts(), requests, dates, reasons)
def test_rescore_changes_only_the_targeted_values(
    layout: Layout, asked: dict[str, tuple[int, int]], on: dt.date, reason: str | None
) -> None:
    old = layout.render()
    before = load_workspace(files(old))
    assert not before.has_errors, [f.full_message for f in before.findings]
    want = expected_after(layout, asked, on, reason)
    request = RescoreRequest("prop-1", asked, on, reason)
    if want is None:
        with pytest.raises(RescoreRefusedError, match="not as a plain number"):
            plan_rescore(files(old), request)
        return
    plan = plan_rescore(files(old), request).plan
    new = plan.new

    # Every byte outside the targeted values is kept (R9): an independent rendering.
    assert new == want.render()
    assert new.startswith(b"\xef\xbb\xbf") == old.startswith(b"\xef\xbb\xbf")
    inserted = 1 if want.inserted_reason is not None and layout.rescored_line_below is None else 0
    assert new.count(b"\r\n") == old.count(b"\r\n") + (inserted if layout.newline == "\r\n" else 0)
    assert new.count(b"\n") == old.count(b"\n") + inserted
    new_lines = new.splitlines()
    if inserted:  # the reason's own comment line is an addition, not a change
        new_lines.remove(want.inserted_reason.encode("utf-8") if want.inserted_reason else b"")
    changed_lines = sum(a != b for a, b in zip(old.splitlines(), new_lines, strict=True))
    assert changed_lines <= len(plan.changes) + (plan.comment is not None)

    # Re-reading gives exactly the requested assessments, and nothing else changed.
    after = load_workspace(files(new))
    assert not after.has_errors
    old_risk = before.registers[0].risks[0].risk
    new_risk = after.registers[0].risks[0].risk
    for name in ASSESSMENT_NAMES:
        assessment = getattr(new_risk.assessments, name)
        wanted = asked.get(
            name, (getattr(old_risk.assessments, name).consequence, getattr(old_risk.assessments, name).likelihood)
        )
        assert (assessment.consequence, assessment.likelihood) == wanted
        if assessment.score is not None:
            assert assessment.score == wanted[0] * wanted[1]
    dump_old = old_risk.model_dump(exclude={"assessments", "last_updated"})
    assert new_risk.model_dump(exclude={"assessments", "last_updated"}) == dump_old
    assert new_risk.last_updated == (on if plan.changed else old_risk.last_updated)

    # A second identical run is a no-op (R12, T7).
    again = plan_rescore(files(new), request).plan
    assert (again.changed, again.new) == (False, new)


@settings(max_examples=max(100, EXAMPLES // 5), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layouts(), st.sets(st.sampled_from(list(ASSESSMENT_NAMES)), min_size=1), dates, reasons)
def test_rescore_of_unchanged_values_is_a_no_op(
    layout: Layout, names: set[str], on: dt.date, reason: str | None
) -> None:
    old = layout.render()
    asked = {n: (layout.assessments[n].consequence.value, layout.assessments[n].likelihood.value) for n in names}
    assume(not load_workspace(files(old)).has_errors)
    plan = plan_rescore(files(old), RescoreRequest("PROP-1", asked, on, reason)).plan
    assert (plan.changed, plan.new, plan.changes) == (False, old, ())


def test_the_layouts_cover_what_they_claim() -> None:
    """The generator reaches the cases that matter (a guard against a silently narrow strategy)."""
    seen: dict[str, set[Any]] = {"bom": set(), "newline": set(), "flow": set(), "plus": set(), "comment": set()}

    @settings(max_examples=100, deadline=None, database=None)
    @given(layouts())
    def collect(layout: Layout) -> None:
        seen["bom"].add(layout.bom)
        seen["newline"].add(layout.newline)
        seen["flow"] |= {a.flow for a in layout.assessments.values()}
        seen["plus"] |= {a.consequence.plus for a in layout.assessments.values()}
        seen["comment"].add(None if layout.last_updated_comment is None else layout.last_updated_comment[0])

    collect()
    assert seen == {
        "bom": {True, False},
        "newline": {"\n", "\r\n"},
        "flow": {True, False},
        "plus": {True, False},
        "comment": {None, "author", "rescored"},
    }
