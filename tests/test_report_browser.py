"""The board report in a real browser: headless Chromium prints it, measures it, shows it.

These tests need Chromium (``/usr/bin/chromium``, or ``BAFCTL_CHROMIUM``). Outside CI
they are skipped when it is missing; under CI (``CI=true``) a missing browser fails them,
because CI installs it (``.ci/run``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from bafctl.cli import app
from bafctl.loader import load_paths
from bafctl.render.pdf import find_browser, html_to_pdf
from bafctl.render.report_html import render_report_html
from bafctl.report import Audience, Revision, build_report
from conftest import FIXTURES
from gitrepo import GitRepo, group_baf_repo

pytestmark = pytest.mark.browser

#: A4 landscape in PostScript points.
A4_LANDSCAPE = (841.89, 595.28)

# Appended to a copy of the report (with its CSP removed so that it may run): measures
# every table, cell and heat map against the page it is on, and looks for any element
# or attribute that could act. It writes its verdict into the DOM as marker elements.
LAYOUT_CHECK = """
<script id="layout-check">
(() => {
  const problems = [];
  const sections = document.querySelectorAll('section.page');
  for (const section of sections) {
    const box = section.getBoundingClientRect();
    const style = getComputedStyle(section);
    const right = box.right - parseFloat(style.paddingRight) + 0.5;
    for (const el of section.querySelectorAll('table, svg')) {
      const r = el.getBoundingClientRect();
      if (r.right > right) {
        problems.push(`${section.id}: ${el.tagName} ends at ${r.right.toFixed(1)} > ${right.toFixed(1)}`);
      }
      if (el.tagName === 'TABLE' && el.scrollWidth > el.clientWidth + 1) problems.push(`${section.id}: table scrolls`);
    }
    for (const cell of section.querySelectorAll('td, th')) {
      if (cell.scrollWidth > cell.clientWidth + 1) {
        problems.push(`${section.id}: cell overflows: ${cell.textContent.slice(0, 40)}`);
      }
    }
  }
  const active = document.querySelectorAll('script:not(#layout-check), img, iframe, object, embed, link, a, form');
  for (const el of active) problems.push(`active element ${el.tagName}`);
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) if (attr.name.startsWith('on')) problems.push(`${el.tagName} ${attr.name}`);
  }
  const done = document.createElement('div');
  done.id = 'layout-checked';
  done.dataset.sections = String(sections.length);
  done.dataset.tables = String(document.querySelectorAll('table').length);
  document.body.append(done);
  if (problems.length) {
    const marker = document.createElement('div');
    marker.id = 'overflow';
    marker.textContent = problems.join(' | ');
    document.body.append(marker);
  }
})();
</script>
"""


@pytest.fixture(scope="module")
def chromium() -> str:
    found = find_browser() or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI=true but no headless Chromium: .ci/run must install the chromium package")
        pytest.skip("headless Chromium is not installed (apt-get install chromium); CI runs these tests")
    return found


def run_browser(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr.decode("utf-8", errors="replace")[-2000:]
    return done


def without_csp(html: str, extra_head: str = "", extra_body: str = "") -> str:
    """A copy of the report that the test's own script and style may act in."""
    stripped = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n', "", html, count=1)
    assert stripped != html
    return stripped.replace("</head>", extra_head + "</head>", 1).replace("</body>", extra_body + "</body>", 1)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GitRepo, Path, Path]]:
    """The Group BAF pack (January 2026, changes since September 2025) as HTML and PDF."""
    root = tmp_path_factory.mktemp("browser")
    repo = group_baf_repo(root / "repo")
    runner = CliRunner()
    html, pdf = root / "pack.html", root / "pack.pdf"
    old = Path.cwd()
    os.chdir(repo.root)
    try:
        for target in (html, pdf):
            result = runner.invoke(app, ["report", "registers", "--since", "board-2025-09", "-o", str(target)])
            assert result.exit_code == 0, result.stderr
    finally:
        os.chdir(old)
    yield repo, html, pdf


def test_pdf_has_front_matter_then_one_page_per_risk(chromium: str, printed: tuple[GitRepo, Path, Path]) -> None:
    repo, html_path, pdf_path = printed
    html = html_path.read_text(encoding="utf-8")
    risk_ids = re.findall(r'data-risk="([^"]+)"', html)
    assert len(risk_ids) == 6
    reader = PdfReader(pdf_path)
    texts = [page.extract_text() for page in reader.pages]
    front = ["Board Assurance Framework report", "Summary", "Heat map", "Changes since board-2025-09"]
    for index, marker in enumerate(front):
        assert marker in texts[index], (index, texts[index][:300])
    for offset, risk_id in enumerate(risk_ids):
        page = texts[len(front) + offset]
        assert risk_id in page.replace("\n", "") and "Risk Appetite – Open (upper limit of tolerance 16)" in page, (
            risk_id
        )
        assert "Control gaps" in page and "Sources of assurance" in page
    # One page per risk: the appetite line is on six pages, no entry runs onto a seventh.
    assert sum("Risk Appetite – Open" in t for t in texts) == 6
    log_start = len(front) + len(risk_ids)
    assert "Action log" in texts[log_start]
    assert all("Action ID" in t for t in texts[log_start:])
    assert len(texts) == log_start + len(texts[log_start:])
    short = repo.head()[:7]
    for number, text in enumerate(texts, start=1):
        assert f"revision {short} (clean)" in text and "2026-01-19" in text, number
        assert f"Page {number} of {len(texts)}" in text
    for pdf_page in reader.pages:
        width, height = float(pdf_page.mediabox.width), float(pdf_page.mediabox.height)
        assert abs(width - A4_LANDSCAPE[0]) < 2 and abs(height - A4_LANDSCAPE[1]) < 2


def test_pdf_is_deterministic(chromium: str, printed: tuple[GitRepo, Path, Path]) -> None:
    _repo, html_path, pdf_path = printed
    again = html_to_pdf(html_path.read_text(encoding="utf-8"), date=dt.date(2026, 1, 19), browser=chromium)
    assert again == pdf_path.read_bytes()
    assert b"/CreationDate (D:20260119000000" in again


def test_no_table_overflows_the_page(chromium: str, printed: tuple[GitRepo, Path, Path], tmp_path: Path) -> None:
    _repo, html_path, _pdf = printed
    checked = tmp_path / "checked.html"
    checked.write_text(without_csp(html_path.read_text(encoding="utf-8"), extra_body=LAYOUT_CHECK), encoding="utf-8")
    dom = run_browser(chromium, tmp_path / "profile", "--window-size=1400,1000", "--dump-dom", checked.as_uri())
    text = dom.stdout.decode("utf-8")
    assert '<div id="layout-checked" data-sections="11"' in text  # the check ran over every page
    overflow = re.search(r'<div id="overflow">(.*?)</div>', text, re.S)
    assert overflow is None, overflow.group(1) if overflow else ""


def test_screenshot_of_the_summary_page(chromium: str, printed: tuple[GitRepo, Path, Path], tmp_path: Path) -> None:
    _repo, html_path, _pdf = printed
    only_summary = "<style>section.page:not(#summary){display:none}body{padding:0}</style>"
    page = tmp_path / "summary.html"
    page.write_text(without_csp(html_path.read_text(encoding="utf-8"), extra_head=only_summary), encoding="utf-8")
    shot = tmp_path / "summary.png"
    run_browser(chromium, tmp_path / "profile", "--window-size=1200,860", f"--screenshot={shot}", page.as_uri())
    assert png_size(shot) == (1200, 860)
    # A blank or grey page compresses to a few kilobytes; the summary table does not.
    assert shot.stat().st_size > 30_000
    artifacts = os.environ.get("BAFCTL_ARTIFACTS")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        (Path(artifacts) / "report-summary.png").write_bytes(shot.read_bytes())


def test_injection_register_is_inert_in_the_browser_and_the_pdf(chromium: str, tmp_path: Path) -> None:
    report = build_report(
        load_paths([FIXTURES / "injection"]),
        revision=Revision("0" * 40, "0000000", False, dt.date(2026, 1, 29)),
        date=dt.date(2026, 1, 29),
        audience=Audience.BOARD,
    )
    html = render_report_html(report)
    checked = tmp_path / "checked.html"
    checked.write_text(without_csp(html, extra_body=LAYOUT_CHECK), encoding="utf-8")
    dom = run_browser(chromium, tmp_path / "profile", "--window-size=1400,1000", "--dump-dom", checked.as_uri())
    text = dom.stdout.decode("utf-8")
    assert '<div id="layout-checked"' in text
    overflow = re.search(r'<div id="overflow">(.*?)</div>', text, re.S)
    assert overflow is None, overflow.group(1) if overflow else ""
    pdf = tmp_path / "injection.pdf"
    pdf.write_bytes(html_to_pdf(html, date=dt.date(2026, 1, 29), browser=chromium))
    printed_text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    for literal in ("<script>alert(1)</script>", "=HYPERLINK(", "[red]ALL CLEAR[/red]", "<img src=x onerror=alert(3)>"):
        assert literal in printed_text, literal


# Appended to a copy of the report: records the viewport's width and how wide the
# document lays out, so a test can tell whether the page scrolls sideways.
WIDTH_CHECK = """
<script id="width-check">
(() => {
  const done = document.createElement('div');
  done.id = 'width-checked';
  done.dataset.viewport = String(window.innerWidth);
  done.dataset.scroll = String(Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));
  const wide = [];
  for (const el of document.querySelectorAll('section.page, table, svg')) {
    const right = el.getBoundingClientRect().right;
    if (right > window.innerWidth) wide.push(`${el.tagName}.${el.className.baseVal ?? el.className} ends at ${right}`);
  }
  done.textContent = wide.slice(0, 5).join(' | ');
  document.body.append(done);
})();
</script>
"""


def test_the_report_fits_an_800px_screen(chromium: str, printed: tuple[GitRepo, Path, Path], tmp_path: Path) -> None:
    """On screen the report fits the window: at 800 px nothing runs off the right edge."""
    _repo, html_path, _pdf = printed
    checked = tmp_path / "narrow.html"
    checked.write_text(without_csp(html_path.read_text(encoding="utf-8"), extra_body=WIDTH_CHECK), encoding="utf-8")
    dom = run_browser(chromium, tmp_path / "profile", "--window-size=800,1000", "--dump-dom", checked.as_uri())
    marker = r'<div id="width-checked" data-viewport="(\d+)" data-scroll="(\d+)">(.*?)</div>'
    found = re.search(marker, dom.stdout.decode("utf-8"), re.S)
    assert found is not None
    viewport, scroll, wide = int(found.group(1)), int(found.group(2)), found.group(3)
    assert viewport == 800
    assert scroll <= 800, wide
