"""Register text can never act in an output (docs/reliability.md section E, R17-R21).

The injection register (tests/fixtures/injection) puts `<script>`, `<img onerror>`,
`=HYPERLINK(...)`, rich markup, pipes and line breaks in every text a register has;
ESC, U+202E, tabs and other controls (which the loader refuses) are added to the loaded
models here. Every format of `summary` and `report` must show them as inert text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from bafctl.cli import app
from bafctl.escaping import csv_cell, hanging, html_text, log_safe, markdown_cell, markdown_text, one_line, terminal
from bafctl.loader import LoadedRegister, LoadedRisk, Workspace, load_paths
from bafctl.render.report_docx import render_report_docx
from bafctl.render.report_html import css_string, render_report_html
from bafctl.render.summary import render_csv, render_html, render_json, render_markdown, render_text
from bafctl.report import Audience, Revision, build_report
from bafctl.summary import build_summary
from conftest import FIXTURES

INJECTION = FIXTURES / "injection"
ON = dt.date(2026, 1, 29)
CONTROL_TITLE = (
    "If \x1b[31mred\x1b[0m and \u202egnirts\u202c then \x07bell \x9b[2J clear\ttab \x1b]8;;https://evil.example\x07link"
)
CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "section", "h1", "h2", "p", "table", "thead", "tbody",
    "tr", "th", "td", "ul", "li", "strong", "span", "br", "svg", "text", "rect", "figure", "figcaption", "div",
    "colgroup", "col",
}  # fmt: skip


def injected_workspace() -> Workspace:
    """The injection register, with control and bidi characters the loader would refuse."""
    workspace = load_paths([INJECTION])
    assert not workspace.has_errors, workspace.findings
    registers = []
    for reg in workspace.registers:
        risks = []
        for lr in reg.risks:
            risk = lr.risk
            if risk.id == "INJ-2":
                risk = risk.model_copy(update={"title": CONTROL_TITLE, "keyword": None, "notes": "\x1b[2J\u202e notes"})
            risks.append(LoadedRisk(lr.path, risk, lr.source, lr.register_id))
        registers.append(LoadedRegister(reg.root, reg.settings, reg.settings_path, reg.source, risks))
    return Workspace(registers, workspace.findings, workspace.files)


# ---------------------------------------------------------------------------
# The escaping functions themselves
# ---------------------------------------------------------------------------


def test_terminal_removes_controls_and_bidi_but_keeps_tabs_and_newlines() -> None:
    assert (
        terminal("a\x1b[31mb\u202ec\x9bd\x07e\tf\ng\u2066h\u200bi")
        == "a\ufffd[31mb\ufffdc\ufffdd\ufffde\tf\ng\ufffdh\ufffdi"
    )


def test_csv_cell_defuses_formulas_and_keeps_numbers() -> None:
    assert [csv_cell(v) for v in ("=1+1", "+1", "-1", "@x", "\tx", "\uff1dx", "ok", 16)] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@x",
        "'\tx",
        "'\uff1dx",
        "ok",
        16,
    ]


def test_markdown_cell_escapes_markup_and_joins_lines() -> None:
    assert markdown_cell("a | b\n*c* [d](e) <f> `g` #h _i_ \\j ~k") == (
        "a \\| b \\*c\\* \\[d\\](e) \\<f\\> \\`g\\` \\#h \\_i\\_ \\\\j \\~k"
    )


def test_html_text_escapes_quotes_and_controls() -> None:
    assert html_text("<a href='x'>\"&\x1b") == "&lt;a href=&#x27;x&#x27;&gt;&quot;&amp;\ufffd"


def unescaped_pipes(line: str) -> int:
    """Pipes that separate Markdown table cells (not preceded by an odd run of backslashes)."""
    return sum(1 for m in re.finditer(r"(\\*)\|", line) if len(m.group(1)) % 2 == 0)


@given(st.text())
def test_markdown_cell_never_adds_a_column_or_a_line(text: str) -> None:
    cell = markdown_cell(text)
    assert unescaped_pipes(cell) == 0
    assert "\n" not in cell and "\r" not in cell


@given(st.text())
def test_csv_cell_never_starts_with_a_trigger(text: str) -> None:
    cell = csv_cell(text)
    assert isinstance(cell, str)
    assert not cell.startswith(CSV_TRIGGERS)


@given(st.text())
def test_html_text_never_leaves_markup_characters(text: str) -> None:
    escaped = html_text(text)
    assert not set("<>\"'") & set(escaped)
    assert html_text(text) == escaped


@given(st.text())
def test_terminal_output_has_no_escape_or_bidi_control(text: str) -> None:
    cleaned = terminal(text)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", cleaned)


@given(st.text(max_size=60))
def test_css_string_round_trips_and_cannot_break_out(text: str) -> None:
    literal = css_string(text)
    assert literal[0] == literal[-1] == '"'
    inner = literal[1:-1]
    assert not set("\"'<>;{}\n") & set(inner)
    decoded = re.sub(r"\\([0-9a-f]{6}) ", lambda m: chr(int(m.group(1), 16)), inner)
    assert decoded == text


def test_markdown_text_keeps_one_line_values_on_one_line() -> None:
    assert markdown_text("a\nb") == "a\nb"  # block text keeps its lines; table cells use markdown_cell
    assert one_line(" a \n\t b ") == "a b"


# ---------------------------------------------------------------------------
# Summary formats
# ---------------------------------------------------------------------------


def test_terminal_summary_is_inert() -> None:
    summary = build_summary(injected_workspace(), today=ON)
    plain = render_text(summary, width=80, target=True)
    assert not re.search("[\x1b\x07\x9b\u202e\u202c]", plain)
    assert "[red]ALL" in plain and "CLEAR[/red]" in plain
    assert "Risk [/bold] owner" in render_text(build_summary(load_paths([INJECTION]), today=ON), width=200)
    coloured = render_text(summary, width=80, color_system="truecolor", target=True)
    codes = re.findall(r"\x1b\[([0-9;]*)m", coloured)
    stripped = re.sub(r"\x1b\[[0-9;]*m", "", coloured)
    assert [line.rstrip() for line in stripped.splitlines()] == plain.splitlines()
    assert "\u202e" not in coloured and "\x07" not in coloured
    # Red is used once, for the one BREACH: `[red]...[/red]` in titles and band names styles nothing.
    assert sum(1 for code in codes if code.split(";")[-1] == "31" or code == "1;31") == 1
    assert not any(code.startswith("38;5") or code.startswith("91") for code in codes)


def test_markdown_summary_tables_keep_their_column_count() -> None:
    text = render_markdown(build_summary(injected_workspace(), today=ON), target=True)
    tables: list[list[str]] = []
    previous_was_row = False
    for line in text.splitlines():
        if line.startswith("|"):
            if not previous_was_row:
                tables.append([])
            tables[-1].append(line)
        previous_was_row = line.startswith("|")
    assert len(tables) == 3
    for table in tables:
        counts = {unescaped_pipes(row) for row in table}
        assert len(counts) == 1, table
    assert "\x1b" not in text and "\u202e" not in text
    assert "\\<script\\>alert(1)\\</script\\>" in text


def test_csv_summary_has_no_formula_cell() -> None:
    text = render_csv(build_summary(injected_workspace(), today=ON))
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 3
    assert len({len(r) for r in rows}) == 1
    for row in rows:
        for cell in row:
            assert not cell.startswith(CSV_TRIGGERS), cell
    assert '\'=HYPERLINK("https://evil.example","Committee")' in rows[1]
    assert "\x1b" not in text and "\u202e" not in text


def test_json_summary_keeps_the_text_exactly() -> None:
    data = json.loads(render_json(build_summary(injected_workspace(), today=ON)))
    titles = [r["title"] for s in data["registers"][0]["sections"] for r in s["risks"]]
    assert CONTROL_TITLE in titles  # JSON escapes controls itself ("\u001b"): exact data for machines
    assert '"\x1b' not in render_json(build_summary(injected_workspace(), today=ON))


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments: list[str] = []
        self.data: list[str] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._in_style = tag == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag: str) -> None:  # noqa: ARG002 - the signature HTMLParser calls
        self._in_style = False

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data
        else:
            self.data.append(data)


def assert_inert_html(html: str) -> str:
    """Re-parse the HTML: no element, attribute or comment may come from register data."""
    parser = _Collector()
    parser.feed(html)
    parser.close()
    tags = {tag for tag, _attrs in parser.tags}
    assert tags <= ALLOWED_TAGS, tags - ALLOWED_TAGS
    for tag, attrs in parser.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert name not in ("href", "src", "style", "srcdoc", "action", "formaction"), (tag, name)
            if name == "fill":
                assert value is not None and re.fullmatch(r"#[0-9a-f]{6}", value), value
    assert parser.comments == []
    assert "<" not in parser.style and "url(" not in parser.style and "@import" not in parser.style
    csp = next(dict(a)["content"] for t, a in parser.tags if t == "meta" and dict(a).get("http-equiv"))
    assert csp is not None and csp.startswith("default-src 'none'; style-src 'sha256-")
    text = "".join(parser.data)
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    return text


def test_html_summary_is_inert() -> None:
    text = assert_inert_html(render_html(build_summary(injected_workspace(), today=ON), target=True))
    for visible in (
        "<script>alert(1)</script>",
        "<!-- hide -->",
        "<img src=x onerror=alert(1)>",
        "[red]ALL CLEAR[/red]",
    ):
        assert visible in text


# ---------------------------------------------------------------------------
# Report formats
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("audience", list(Audience))
def test_html_report_is_inert(audience: Audience) -> None:
    report = build_report(
        injected_workspace(),
        revision=Revision("0" * 40, "0000000", False, ON),
        date=ON,
        audience=audience,
    )
    html = render_report_html(report)
    text = assert_inert_html(html)
    for visible in (
        "<script>alert(1)</script>",
        "<!-- hide -->",
        '=HYPERLINK("https://evil.example","x")',
        "<svg onload=alert(4)>gap</svg>",
        '<a href="javascript:alert(5)">click me</a>',
        "<script>action()</script> =2*3",
        "<img src=x onerror=alert(3)>",
    ):
        assert visible in text, visible
    # The running header (a CSS string) decodes back to the register name and nothing more.
    header = re.search(r"@top-left\{content:(\"[^\"]*\")", html)
    assert header is not None
    decoded = re.sub(r"\\([0-9a-f]{6}) ", lambda m: chr(int(m.group(1), 16)), header.group(1)[1:-1])
    assert decoded == report.running_header
    assert decoded.startswith("Trust <script>alert('name')</script> BAF | =1+1 [bold] · revision 0000000 (clean)")


def test_docx_report_holds_the_literal_text_and_nothing_active() -> None:
    from docx import Document

    report = build_report(
        injected_workspace(),
        revision=Revision("0" * 40, "0000000", False, ON),
        date=ON,
        audience=Audience.BOARD,
    )
    data = render_report_docx(report)
    document = Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                texts.append(cell.text)
                for inner in cell.tables:
                    texts += [c.text for r in inner.rows for c in r.cells]
    text = "\n".join(texts)
    for literal in (
        "<script>alert(1)</script>",
        '=HYPERLINK("https://evil.example","x")',
        "[red]ALL CLEAR[/red]",
        "<img src=x onerror=alert(3)>",
        "Risk [/bold] owner",
    ):
        assert literal in text, literal
    assert "\x1b" not in text and "\u202e" not in text
    assert "\ufffd[31mred" in text  # a control character shows as U+FFFD, visibly
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = {
            name: archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith((".xml", ".rels"))
        }
    body = xml["word/document.xml"]
    assert "<w:hyperlink" not in body and "w:instrText" not in body and "w:fldSimple" not in body
    assert not any("relationships/hyperlink" in content for content in xml.values())
    footers = [content for name, content in xml.items() if name.startswith("word/footer")]
    assert [f.count("<w:fldSimple") for f in footers if "w:fldSimple" in f] == [1]
    assert 'w:instr="PAGE"' in "".join(footers)


def test_cli_writes_every_format_of_the_injection_register(runner: CliRunner, tmp_path: Path) -> None:
    for fmt in ("text", "markdown", "csv", "json", "html"):
        result = runner.invoke(app, ["summary", str(INJECTION), "--format", fmt, "--as-of", "2026-01-29"])
        assert (result.exit_code, result.stderr) == (0, ""), fmt
        assert "\x1b" not in result.stdout
    for fmt in ("html", "docx"):
        target = tmp_path / f"report.{fmt}"
        result = runner.invoke(app, ["report", str(INJECTION), "-o", str(target), "--date", "2026-01-29"])
        assert result.exit_code == 0, result.stderr
        assert target.stat().st_size > 1000
    assert_inert_html((tmp_path / "report.html").read_text(encoding="utf-8"))


def test_hanging_puts_every_further_line_behind_the_gutter() -> None:
    """issue 11 #4: no line of a multi-line value may begin an output line (diff and history text)."""
    assert hanging("first\n::error file=README.md,line=2::FORGED\r\nthird\n", "  ") == (
        "first\n  | ::error file=README.md,line=2::FORGED\n  | third"
    )
    assert hanging("one line") == "one line"


@given(st.text())
def test_no_line_of_hanging_or_log_safe_text_is_a_workflow_command(text: str) -> None:
    """issue 11 #4: GitHub reads `::cmd::` at a line start (after spaces) and `##[cmd]` anywhere."""
    for output in (log_safe(terminal("item: " + hanging(text, "  "))), log_safe(terminal(text))):
        for line in output.split("\n"):
            assert not line.lstrip().startswith("::")
            assert "##[" not in line.replace("##[\\", "")
