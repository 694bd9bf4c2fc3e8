"""A trust restyles the pack: HTML templates it may override, a Word template it may build on.

The HTML templates run in Jinja's immutable sandbox: a template from a register
repository is untrusted input, so one that reaches for Python's internals is refused
with one line and exit 2. Register text stays inert under bafctl's templates and a
trust's alike.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bafctl.cli import app
from bafctl.render.report_html import TEMPLATE_FOLDER, TEMPLATE_NAMES

INJECTION = Path(__file__).parent / "fixtures" / "injection"
DATE = "2026-01-31"


@pytest.fixture
def registers(tmp_path: Path) -> Path:
    target = tmp_path / "registers" / "injection"
    shutil.copytree(INJECTION, target)
    return target.parent


def _report(runner: CliRunner, registers: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["report", str(registers), "-o", "-", "--as-of", DATE, *args])
    return result.exit_code, result.stdout, result.stderr


def test_every_template_ships_in_the_package() -> None:
    assert sorted(p.name for p in TEMPLATE_FOLDER.glob("*.j2")) == sorted(TEMPLATE_NAMES)


def test_as_of_is_the_old_date(runner: CliRunner, registers: Path) -> None:
    new = runner.invoke(app, ["report", str(registers), "-o", "-", "--as-of", DATE])
    old = runner.invoke(app, ["report", str(registers), "-o", "-", "--date", DATE])
    assert (new.exit_code, old.exit_code) == (0, 0), new.stderr + old.stderr
    assert new.stdout == old.stdout
    assert f"Overdue on {DATE}" in new.stdout


def test_an_empty_template_folder_changes_nothing(runner: CliRunner, registers: Path, tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    default = _report(runner, registers)
    restyled = _report(runner, registers, "--template-dir", str(folder))
    assert default[0] == restyled[0] == 0
    assert restyled[1] == default[1]


def test_an_override_of_the_cover_is_used_and_escapes_register_text(
    runner: CliRunner, registers: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "cover.html.j2").write_text(
        '<section class="page cover" id="cover"><p class="trust-banner">Northshire NHS Trust</p>'
        "<h1>{{ report.title }}</h1>{% for r in report.summary.rows %}<p>{{ r.title }}</p>{% endfor %}</section>\n",
        encoding="utf-8",
    )
    code, out, err = _report(runner, registers, "--template-dir", str(folder))
    assert code == 0, err
    assert '<p class="trust-banner">Northshire NHS Trust</p>' in out
    assert "Board Assurance Framework report</p>" not in out  # bafctl's cover is not used
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert 'data-risk="INJ-1"' in out  # the rest of the pack is bafctl's


def test_an_override_may_extend_bafctls_own_template(runner: CliRunner, registers: Path, tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "report.css.j2").write_text('{% include "bafctl/report.css.j2" %}\nh1{color:#330072}\n', encoding="utf-8")
    code, out, err = _report(runner, registers, "--template-dir", str(folder))
    assert code == 0, err
    assert "h1{color:#330072}" in out and "@page{size:A4 landscape" in out


@pytest.mark.parametrize(
    "hostile",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ report.__class__.__init__.__globals__ }}",
        "{% set x = report.risks.append(1) %}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    ],
)
def test_a_hostile_template_is_refused(runner: CliRunner, registers: Path, tmp_path: Path, hostile: str) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "cover.html.j2").write_text(f"<section>{hostile}</section>\n", encoding="utf-8")
    target = tmp_path / "pack.html"
    result = runner.invoke(app, ["report", str(registers), "-o", str(target), "--template-dir", str(folder)])
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("bafctl: error: ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not target.exists()  # nothing half-written


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{% if %}", "template syntax error"),
        ("{{ no_such_name }}", "undefined"),
        ("{{ 1 + 'a' }}", "template error"),
        ('{% include "../../etc/passwd" %}', "not found"),
    ],
)
def test_a_broken_template_is_one_line(
    runner: CliRunner, registers: Path, tmp_path: Path, content: str, expected: str
) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "cover.html.j2").write_text(content, encoding="utf-8")
    code, _out, err = _report(runner, registers, "--template-dir", str(folder))
    assert code == 2
    assert expected in err.lower() and err.count("\n") == 1


def test_a_template_that_is_a_link_is_refused(runner: CliRunner, registers: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("PRIVATE KEY", encoding="utf-8")
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "cover.html.j2").symlink_to(secret)
    code, out, err = _report(runner, registers, "--template-dir", str(folder))
    assert code == 2 and "symbolic link" in err
    assert "PRIVATE KEY" not in out


def test_a_missing_template_folder_is_a_usage_error(runner: CliRunner, registers: Path, tmp_path: Path) -> None:
    code, _out, err = _report(runner, registers, "--template-dir", str(tmp_path / "nowhere"))
    assert code == 2 and "not a folder of templates" in err


# ---------------------------------------------------------------------------
# Word
# ---------------------------------------------------------------------------


def _trust_docx(path: Path, *, with_pack_styles: bool = True) -> Path:
    from docx import Document
    from docx.enum.style import WD_STYLE_TYPE

    doc = Document()
    doc.sections[0].header.paragraphs[0].text = "Northshire NHS Trust: letterhead"
    doc.styles.add_style("Trust Accent", WD_STYLE_TYPE.PARAGRAPH)
    doc.add_paragraph("Template body text that must not survive")
    if not with_pack_styles:
        for name in ("List Bullet", "Table Grid", "List Bullet 2"):
            element = doc.styles[name].element
            element.getparent().remove(element)
    doc.save(str(path))
    return path


def _docx(runner: CliRunner, registers: Path, target: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["report", str(registers), "-o", str(target), "--as-of", DATE, *args])
    return result.exit_code, result.stderr


@pytest.mark.parametrize("with_pack_styles", [True, False])
def test_the_word_pack_is_built_on_the_trusts_template(
    runner: CliRunner, registers: Path, tmp_path: Path, with_pack_styles: bool
) -> None:
    from docx import Document

    template = _trust_docx(tmp_path / "trust.docx", with_pack_styles=with_pack_styles)
    target = tmp_path / "pack.docx"
    code, err = _docx(runner, registers, target, "--docx-template", str(template))
    assert code == 0, err
    doc = Document(str(target))
    header = "\n".join(p.text for p in doc.sections[0].header.paragraphs)
    assert "Northshire NHS Trust: letterhead" in header
    assert "INJECTION" in header.upper() or "·" in header  # the pack's running header follows it
    assert "Trust Accent" in {s.name for s in doc.styles}
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "Template body text" not in body
    assert "Board Assurance Framework report" in body
    xml = zipfile.ZipFile(target).read("word/document.xml").decode()
    assert "<script>" not in xml and "&lt;script&gt;" in xml
    again = tmp_path / "again.docx"
    assert _docx(runner, registers, again, "--docx-template", str(template))[0] == 0
    assert again.read_bytes() == target.read_bytes()  # deterministic on a template too


def _zip_bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", "")
        archive.writestr("padding.bin", b"\0" * (120 << 20))
    return path


@pytest.mark.parametrize("kind", ["text", "zip", "bomb", "link", "folder", "missing"])
def test_a_bad_word_template_is_one_line(runner: CliRunner, registers: Path, tmp_path: Path, kind: str) -> None:
    bad = tmp_path / "bad.docx"
    if kind == "text":
        bad.write_text("not a document", encoding="utf-8")
    elif kind == "zip":
        with zipfile.ZipFile(bad, "w") as archive:
            archive.writestr("word/document.xml", "<not-xml")
    elif kind == "bomb":
        _zip_bomb(bad)
    elif kind == "link":
        bad.symlink_to(_trust_docx(tmp_path / "real.docx"))
    elif kind == "folder":
        bad.mkdir()
    target = tmp_path / "pack.docx"
    code, err = _docx(runner, registers, target, "--docx-template", str(bad))
    assert code == 2, err
    assert err.startswith("bafctl: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not target.exists()


def test_the_word_pack_without_a_template_is_as_before(registers: Path, tmp_path: Path) -> None:
    from bafctl.loader import load_paths
    from bafctl.render.report_docx import render_report_docx
    from bafctl.report import Audience, Revision, build_report

    workspace = load_paths([registers], tmp_path)
    built = build_report(
        workspace, revision=Revision(None, None, None, None), date=dt.date(2026, 1, 31), audience=Audience.BOARD
    )
    data = render_report_docx(built)
    assert data == render_report_docx(built, template=None)
    assert "Template body text" not in zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
