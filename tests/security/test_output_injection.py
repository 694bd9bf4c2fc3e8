"""No register text can start a line of any output, or act in it (issue 11 #4).

`diff` printed a multi-line ``context: |-`` as it was: its second line
``::error file=README.md,line=2::FORGED`` became a GitHub workflow command in CI, and
any line of register text could pass for a line of the diff. GitHub's runner reads
``::command::`` at the start of a line (after any spaces) and the older ``##[command]``
anywhere in one. Here a register holds both in every kind of text it has (multi-line
blocks, one-line names, role titles, action texts, commit authors), with CSV formula
triggers and Markdown/HTML markup; every format of check, diff, history, summary,
breaches, export and report must keep them as inert text. ESC and bidi overrides are
refused by the loader, so they are put into the loaded models for the renderers.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bafctl.breaches import breach_report
from bafctl.cli import app
from bafctl.findings import Finding, Level
from bafctl.loader import LoadedRegister, LoadedRisk, Workspace, load_paths
from bafctl.render import breaches as render_breaches
from bafctl.render import findings as render_findings
from bafctl.render import summary as render_summary
from bafctl.summary import build_summary
from conftest import GROUP_BAF
from gitrepo import GitRepo

AS_OF = "2026-03-15"
FORGED = "::error file=README.md,line=2::FORGED"
PAYLOAD_LINES = [
    "First line of text",
    FORGED,
    "  ::warning::INDENTED",
    "##[error]LEGACY",
    '=HYPERLINK("https://evil.example","x")',
    "<script>alert(1)</script> | pipe | **bold** [link](javascript:x)",
]
BLOCK = "\n".join(PAYLOAD_LINES)
CONTROLS = "\x1b[31mred\x1b[0m \u202egnirts\u202c \x9b2J"
RISK1 = "registers/group-baf/risks/GROUP-BAF-1.yaml"
TEXT_FORMATS = {"text", "parsable", "markdown", "csv", "junit"}


def _block(indent: int) -> str:
    pad = " " * indent
    return "|-\n" + "\n".join(pad + line for line in PAYLOAD_LINES)


def inject(root: Path) -> None:
    """Put the payload into the register's texts (``root``: the repository)."""
    register = root / "registers/group-baf/register.yaml"
    text = register.read_text()
    for old, new in (
        ("  name: Group Board Assurance Framework", f'  name: "{FORGED} ##[error]NAME"'),
        ("    title: Chief Finance Officer", '    title: "::warning::ROLE =1+1 <b>role</b>"'),
        ("    title: T Technology", '    title: "::error::SECTION | pipe"'),
    ):
        assert old in text, old
        text = text.replace(old, new, 1)
    register.write_text(text)
    risk = root / RISK1
    text = risk.read_text()
    for old, new in (
        (
            "context: Moving from analogue to digital, where digital healthcare becomes the enabling centre of "
            "clinical care",
            "context: " + _block(2),
        ),
        ("        action: Gap analysis of capacity to deliver plan", "        action: " + _block(10)),
        (
            "  current:  # paper: Combined 16\n    consequence: 4\n    likelihood: 4",
            "  current:\n    consequence: 4\n    likelihood: 5",
        ),
    ):
        assert old in text, old
        text = text.replace(old, new, 1)
    risk.write_text(text + "notes: " + _block(2) + "\n")


def assert_inert(output: str, kind: str) -> None:
    """No line of ``output`` starts with register text a CI log or reader could mistake."""
    for line in output.splitlines():
        bare = line.lstrip()
        if kind == "github" and bare.startswith("::"):
            # bafctl's own commands only, with the register text escaped inside them
            assert re.match(r"::(error|warning|notice) file=[^:,\n]*,line=\d+,col=\d+,title=bafctl [a-z-]+::", line), (
                line
            )
            continue
        assert not bare.startswith("::"), (kind, line)
        if kind in TEXT_FORMATS | {"text"}:
            assert "##[error]" not in line, (kind, line)
            for payload in PAYLOAD_LINES[2:]:
                if kind != "csv":  # a CSV cell may span lines; its formula is still defused
                    assert not bare.startswith(payload.strip()), (kind, line)
    assert "\x1b" not in output
    assert "\u202e" not in output


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """A repository: the Group BAF, then the injected one committed by a forged author."""
    repo = GitRepo(tmp_path / "repo")
    shutil.copytree(GROUP_BAF, repo.root / "registers/group-baf")
    repo.commit("The Group BAF")
    inject(repo.root)
    repo.commit(f"{FORGED}\n\n##[error]LEGACY body", author=FORGED.replace(",", " "))
    monkeypatch.chdir(repo.root)
    monkeypatch.setenv("BAFCTL_TODAY", AS_OF)
    return repo


def invoke(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code in (0, 1), (args, result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr
    assert_inert(result.stderr, "text")  # warnings quote register text too
    return result.stdout_bytes.decode("utf-8")


@pytest.mark.parametrize("output_format", ["text", "parsable", "github", "json", "sarif", "junit"])
def test_check(runner: CliRunner, repo: GitRepo, output_format: str) -> None:
    """issue 11 #4: an action's multi-line text quoted in a finding started its own line in `check`."""
    output = invoke(runner, "check", "--format", output_format, "--as-of", AS_OF)
    assert "overdue" in output
    assert_inert(output, output_format)
    if output_format in ("text", "parsable"):
        record = [line for line in output.splitlines() if "overdue-action" in line and "First line" in line]
        assert len(record) == 1 and FORGED in record[0]  # folded onto the finding's line


@pytest.mark.parametrize("output_format", ["text", "markdown", "json"])
def test_diff(runner: CliRunner, repo: GitRepo, output_format: str) -> None:
    """issue 11 #4: `diff` text printed a `context: |-` block raw, its second line a workflow command."""
    output = invoke(runner, "diff", "HEAD~1", "HEAD", "--format", output_format, "--why")
    assert_inert(output, output_format)
    if output_format == "json":
        assert BLOCK in set(_strings(json.loads(output)))  # the text kept exactly
    if output_format == "text":
        lines = output.splitlines()
        forged = [line for line in lines if FORGED in line]
        assert forged and all(line.lstrip().startswith(("|", "now:", "was:")) or "FORGED" in line for line in forged)
        assert any(line.lstrip() == f"| {FORGED}" for line in lines)  # under its item, behind the gutter


@pytest.mark.parametrize("output_format", ["text", "csv", "json"])
def test_history(runner: CliRunner, repo: GitRepo, output_format: str) -> None:
    """issue 11 #4: a commit's author or subject, or a risk title, must not start a `history` line."""
    output = invoke(runner, "history", "GROUP-BAF-1", "--format", output_format)
    assert_inert(output, output_format)
    if output_format == "csv":
        for row in csv.reader(io.StringIO(output)):
            assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row if cell)


@pytest.mark.parametrize("output_format", ["text", "markdown", "csv", "json", "html"])
def test_summary(runner: CliRunner, repo: GitRepo, output_format: str) -> None:
    """issue 11 #4: a register name or a wrapped title began a line of the `summary` text."""
    output = invoke(runner, "summary", "--format", output_format, "--as-of", AS_OF)
    assert_inert(output, output_format)
    if output_format == "html":
        assert "<script>" not in output and "<b>role</b>" not in output
    if output_format == "csv":
        for row in csv.reader(io.StringIO(output)):
            assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row if cell)


@pytest.mark.parametrize("output_format", ["text", "markdown", "json"])
def test_breaches(runner: CliRunner, repo: GitRepo, output_format: str) -> None:
    """issue 11 #4: an executive lead's title or a risk title must not start a `breaches` line."""
    output = invoke(runner, "breaches", "--format", output_format, "--as-of", AS_OF)
    assert "GROUP-BAF-1" in output
    assert_inert(output, output_format)
    if output_format == "markdown":
        assert "<b>role</b>" not in output


def test_export(runner: CliRunner, repo: GitRepo) -> None:
    """issue 11 #4: JSON keeps the register text exactly, and valid."""
    output = invoke(runner, "export", "--as-of", AS_OF)
    assert_inert(output, "json")
    assert BLOCK in set(_strings(json.loads(output)))


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.mark.parametrize("output_format", ["html", "docx"])
def test_report(runner: CliRunner, repo: GitRepo, tmp_path: Path, output_format: str) -> None:
    """issue 11 #4: the board pack shows the register text as text, never markup."""
    target = tmp_path / f"pack.{output_format}"
    invoke(runner, "report", "-o", str(target), "--date", AS_OF)
    if output_format == "html":
        page = target.read_text(encoding="utf-8")
        assert "<script>" not in page and "&lt;script&gt;" in page
        assert "<b>role</b>" not in page
    else:
        with zipfile.ZipFile(target) as archive:
            document = archive.read("word/document.xml").decode("utf-8")
        assert "FORGED" in document and "&lt;script&gt;" in document
        assert "HYPERLINK" not in document.replace('=HYPERLINK("https://evil.example","x")', "")


def _with_controls(workspace: Workspace) -> Workspace:
    registers = []
    for reg in workspace.registers:
        risks = []
        for lr in reg.risks:
            risk = lr.risk
            if risk.id == "GROUP-BAF-1":
                risk = risk.model_copy(update={"title": f"If {CONTROLS} then {FORGED}", "notes": CONTROLS})
            risks.append(LoadedRisk(lr.path, risk, lr.source, lr.register_id))
        registers.append(LoadedRegister(reg.root, reg.settings, reg.settings_path, reg.source, risks))
    return Workspace(registers, workspace.findings, workspace.files)


def test_ansi_and_bidi_never_reach_a_text_output(repo: GitRepo) -> None:
    """issue 11 #4: ESC and bidi overrides (which the loader refuses) are still inert in every renderer."""
    import datetime as dt

    workspace = _with_controls(load_paths([repo.root / "registers"]))
    day = dt.date.fromisoformat(AS_OF)
    summary = build_summary(workspace, today=day)
    for kind, output in (
        ("text", render_summary.render_text(summary, width=60)),
        ("markdown", render_summary.render_markdown(summary)),
        ("csv", render_summary.render_csv(summary)),
    ):
        assert_inert(output, kind)
    report = breach_report(workspace, day)
    assert_inert(render_breaches.render_text(report), "text")
    assert_inert(render_breaches.render_markdown(report), "markdown")
    finding = Finding(RISK1, 3, 1, "some-rule", f"quoted '{BLOCK}' {CONTROLS}", Level.ERROR, "GROUP-BAF-1")
    for kind, output in (
        ("text", render_findings.render_text([finding], 1)),
        ("parsable", render_findings.render_parsable([finding])),
        ("github", render_findings.render_github([finding], 1)),
        ("junit", render_findings.render_junit([finding], [RISK1])),
    ):
        assert_inert(output, kind)
        assert len([line for line in output.splitlines() if "quoted 'First line" in line]) == 1
