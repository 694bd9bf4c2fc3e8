"""The Word report as LibreOffice lays it out: converted to PDF, then measured.

Word sizes a fixed table from its cells' widths; LibreOffice reads the table's grid
(``w:tblGrid``) and width (``w:tblW``). When those were left at python-docx's equal
defaults, every summary column came out the same width (titles wrapped to eight or ten
lines) and the score table ran off the right of every risk page, hiding "Combined".

These tests convert the bundled register's Word report once (``soffice --headless
--convert-to pdf`` with a profile of its own, so runs in parallel do not meet) and read
the PDF with poppler's ``pdftotext``. Outside CI they are skipped when LibreOffice or
poppler is missing; under CI (``CI=true``) that fails them, because CI installs both
(``.ci/run``). Set ``BAFCTL_ARTIFACTS`` to keep images of the summary and a risk page.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from bafctl.loader import load_paths
from bafctl.render.report_docx import render_report_docx
from bafctl.report import Audience, Report, Revision, build_report
from conftest import REGISTERS

ON = dt.date(2026, 1, 29)
REVISION = Revision("1" * 40, "1111111", False, dt.date(2026, 1, 19))
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
#: A4 landscape in points, and the right edge of the text area (10 mm margin).
PAGE_WIDTH_PT = 841.89
RIGHT_EDGE_PT = PAGE_WIDTH_PT - 10 / 25.4 * 72
#: The most lines a risk title may take in the summary table.
TITLE_LINES = 3


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def tool(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    if in_ci():
        pytest.fail(f"CI=true but {names[0]} is missing: .ci/run must install libreoffice-writer-nogui, poppler-utils")
    pytest.skip(f"{names[0]} is not installed (apt-get install libreoffice-writer-nogui poppler-utils); CI runs these")


@dataclass(frozen=True)
class Word:
    text: str
    x_min: float
    y_min: float
    x_max: float


@dataclass(frozen=True)
class Converted:
    report: Report
    docx: bytes
    pdf: Path
    pages: list[str]
    """Each page's text as ``pdftotext -layout`` sets it."""
    words: list[list[Word]]
    """Each page's words with their boxes (``pdftotext -bbox``), in points."""


def read_words(pdftotext: str, pdf: Path) -> list[list[Word]]:
    done = subprocess.run([pdftotext, "-bbox", str(pdf), "-"], capture_output=True, timeout=60, check=True)
    html = done.stdout.decode("utf-8")
    pages: list[list[Word]] = []
    for page in re.findall(r"<page [^>]*>(.*?)</page>", html, re.S):
        pages.append(
            [
                Word(text, float(x0), float(y0), float(x1))
                for x0, y0, x1, text in re.findall(
                    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">(.*?)</word>', page
                )
            ]
        )
    return pages


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Converted:
    """The bundled register's Word report, converted to PDF by LibreOffice, and its text."""
    soffice = tool("soffice", "libreoffice")
    pdftotext = tool("pdftotext")
    root = tmp_path_factory.mktemp("libreoffice")
    report = build_report(load_paths([REGISTERS]), revision=REVISION, date=ON, audience=Audience.BOARD)
    docx = render_report_docx(report)
    source = root / "pack.docx"
    source.write_bytes(docx)
    command = [
        soffice,
        f"-env:UserInstallation={(root / 'profile').as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        "pdf",
        "--outdir",
        str(root / "out"),
        str(source),
    ]
    env = {**os.environ, "HOME": str(root / "home")}
    done = subprocess.run(command, capture_output=True, timeout=300, check=False, env=env)
    pdf = root / "out" / "pack.pdf"
    assert done.returncode == 0 and pdf.exists(), done.stderr.decode("utf-8", errors="replace")[-2000:]
    layout = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, timeout=60, check=True)
    pages = layout.stdout.decode("utf-8").split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    words = read_words(pdftotext, pdf)
    assert len(words) == len(pages)
    return Converted(report, docx, pdf, pages, words)


def find(words: list[Word], text: str) -> Word:
    matches = [w for w in words if w.text == text]
    assert matches, f"{text!r} is not on the page"
    return matches[0]


def summary_page(converted: Converted) -> int:
    (index,) = [i for i, p in enumerate(converted.pages) if re.search(r"^\s*Summary\s*$", p, re.M)]
    return index


def test_every_risk_page_shows_the_combined_scores(converted: Converted) -> None:
    assert converted.report.risks
    for page in converted.report.risks:
        risk_id = page.row.risk_id
        found = [i for i, text in enumerate(converted.pages) if "Executive lead" in text and risk_id in text.split()]
        assert len(found) == 1, (risk_id, found)
        index = found[0]
        text, words = converted.pages[index], converted.words[index]
        assert "Combined" in text, risk_id
        combined = find(words, "Combined")
        assert combined.x_max <= RIGHT_EDGE_PT, (risk_id, combined)
        # Each score's "16 Extreme" sits under the heading, inside the page.
        for score in (page.initial, page.current, page.target):
            assert f"{score.score} {score.band}" in text, (risk_id, score)
        bands = [w for w in words if w.text in {s.band for s in (page.initial, page.current, page.target)}]
        assert bands and all(combined.x_min - 2 <= w.x_min and w.x_max <= RIGHT_EDGE_PT for w in bands), (
            risk_id,
            bands,
        )
        # No word anywhere on the page runs past the right margin.
        assert max(w.x_max for w in words) <= RIGHT_EDGE_PT, risk_id


def test_the_summary_title_column_is_the_widest(converted: Converted) -> None:
    index = summary_page(converted)
    words = converted.words[index]
    headings = ["BAF", "Risk", "Current", "Target", "Tolerance", "Appetite"]
    starts = [find(words, name).x_min for name in headings]
    assert starts == sorted(starts), starts
    widths = [b - a for a, b in zip(starts, [*starts[1:], RIGHT_EDGE_PT], strict=True)]
    title = widths[1]
    assert all(title > 3 * other for i, other in enumerate(widths) if i != 1), widths
    assert title > 150 / 25.4 * 72 * 0.95, widths  # about 150 mm of the page's 277


def test_no_summary_title_wraps_onto_more_than_three_lines(converted: Converted) -> None:
    index = summary_page(converted)
    words = converted.words[index]
    starts = {name: find(words, name).x_min for name in ("Risk", "Current")}
    body = [w for w in words if w.y_min > find(words, "BAF").y_min + 2]
    # A row starts at a risk id or a section heading in the first column.
    ids = {page.row.risk_id for page in converted.report.risks}
    starts_of_rows = sorted(
        (w.y_min, w.text == "Section")
        for w in body
        if w.x_min < starts["Risk"] - 2 and (w.text == "Section" or w.text.startswith("GROUP-BAF"))
    )
    assert sum(not heading for _y, heading in starts_of_rows) == len(ids), starts_of_rows
    title_lines = sorted({round(w.y_min, 1) for w in body if starts["Risk"] - 2 <= w.x_min < starts["Current"] - 2})
    lines_per_title = []
    for (top, heading), (bottom, _next) in zip(starts_of_rows, [*starts_of_rows[1:], (10_000.0, False)], strict=True):
        if not heading:
            lines_per_title.append(sum(top - 1 <= y < bottom - 1 for y in title_lines))
    assert min(lines_per_title) >= 1 and max(lines_per_title) <= TITLE_LINES, lines_per_title


def test_the_report_keeps_its_pages_in_libreoffice(converted: Converted) -> None:
    """Cover, summary, heat maps, a page per risk, the action log: nothing spills over."""
    assert "Board Assurance Framework report" in converted.pages[0]
    assert summary_page(converted) == 1
    assert "Heat map" in converted.pages[2]
    first_risk = converted.report.risks[0].row.risk_id
    assert first_risk in converted.pages[3].split()
    assert "Action log" in "".join(converted.pages[3 + len(converted.report.risks) :])
    for text in converted.pages:
        assert text.strip(), "a blank page"


def test_page_images_for_a_look(converted: Converted, tmp_path: Path) -> None:
    """The summary and the first risk page as images: kept when BAFCTL_ARTIFACTS is set."""
    pdftoppm = tool("pdftoppm")
    for name, page in (("summary", summary_page(converted) + 1), ("risk", 4)):
        stem = tmp_path / name
        pages = ["-f", str(page), "-l", str(page)]
        command = [pdftoppm, "-png", "-r", "50", "-singlefile", *pages, str(converted.pdf), str(stem)]
        subprocess.run(command, capture_output=True, timeout=60, check=True)
        image = stem.with_suffix(".png")
        assert image.stat().st_size > 10_000  # a blank page compresses to far less
        artifacts = os.environ.get("BAFCTL_ARTIFACTS")
        if artifacts:
            Path(artifacts).mkdir(parents=True, exist_ok=True)
            (Path(artifacts) / f"report-docx-{name}.png").write_bytes(image.read_bytes())


# ---------------------------------------------------------------------------
# The grid itself (no LibreOffice needed)
# ---------------------------------------------------------------------------


def tables_of(docx: bytes) -> list[ET.Element]:
    document = ET.fromstring(zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml"))
    return list(document.iter(f"{W}tbl"))


def grid_of(table: ET.Element) -> list[int]:
    grid = table.find(f"{W}tblGrid")
    assert grid is not None
    return [int(col.get(f"{W}w", "0")) for col in grid.findall(f"{W}gridCol")]


def test_every_table_has_a_fixed_grid_matching_its_cells() -> None:
    report = build_report(load_paths([REGISTERS]), revision=REVISION, date=ON, audience=Audience.BOARD)
    tables = tables_of(render_report_docx(report))
    assert tables
    for table in tables:
        grid = grid_of(table)
        properties = table.find(f"{W}tblPr")
        assert properties is not None
        width, layout = properties.find(f"{W}tblW"), properties.find(f"{W}tblLayout")
        assert width is not None and layout is not None
        assert (width.get(f"{W}type"), layout.get(f"{W}type")) == ("dxa", "fixed")
        assert int(width.get(f"{W}w", "0")) == sum(grid)
        for row in table.findall(f"{W}tr"):
            column = 0
            for cell in row.findall(f"{W}tc"):
                span_element = cell.find(f"{W}tcPr/{W}gridSpan")
                span = 1 if span_element is None else int(span_element.get(f"{W}val", "1"))
                cell_width = cell.find(f"{W}tcPr/{W}tcW")
                assert cell_width is not None
                assert int(cell_width.get(f"{W}w", "0")) == sum(grid[column : column + span])
                column += span
            assert column == len(grid)
    summary = tables[1]
    grid = grid_of(summary)
    assert grid[1] == max(grid) and grid[1] > 3 * max(grid[:1] + grid[2:])
    assert sum(grid) == round(277 * 1440 / 25.4)  # the page's text width


def test_the_score_table_fits_inside_its_cell() -> None:
    report = build_report(load_paths([REGISTERS]), revision=REVISION, date=ON, audience=Audience.BOARD)
    for table in tables_of(render_report_docx(report)):
        for cell in table.iter(f"{W}tc"):
            nested = cell.find(f"{W}tbl")
            if nested is None:
                continue
            cell_width = cell.find(f"{W}tcPr/{W}tcW")
            assert cell_width is not None
            padding = 2 * 108  # the Table Grid style's cell margins, in twips
            assert sum(grid_of(nested)) <= int(cell_width.get(f"{W}w", "0")) - padding
