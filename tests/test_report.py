"""`bafctl report`: content, audiences, revisions, determinism and the command's errors."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bafctl.cli import app
from bafctl.errors import BrowserError, ExitCode
from bafctl.loader import Workspace, load_paths, load_workspace
from bafctl.render.pdf import browser_command, fix_pdf_dates, html_to_pdf
from bafctl.render.report_docx import render_report_docx, stable_zip
from bafctl.render.report_html import FONT_SIZES, layout_for, render_report_html
from bafctl.report import (
    DUE_SOON_DAYS,
    Audience,
    Revision,
    build_action_log,
    build_report,
    describe_changes,
    for_audience,
    public_risk,
)
from conftest import GROUP_BAF
from gitrepo import GitRepo, action, group_baf_repo, register_settings, risk_data, synthetic_register, to_yaml

ON = dt.date(2026, 1, 29)
REVISION = Revision("1" * 40, "1111111", False, dt.date(2026, 1, 19))


def files_of(settings: dict[str, Any], risks: list[dict[str, Any]]) -> dict[str, bytes]:
    files = {"reg/register.yaml": to_yaml(settings).encode()}
    files.update({f"reg/risks/{str(r['id']).lower()}.yaml": to_yaml(r).encode() for r in risks})
    return files


def workspace_from(settings: dict[str, Any], risks: list[dict[str, Any]]) -> Workspace:
    workspace = load_workspace(files_of(settings, risks))
    assert not workspace.has_errors, workspace.findings
    return workspace


# ---------------------------------------------------------------------------
# Audience: public leaves out exactly what is marked private
# ---------------------------------------------------------------------------

PUBLIC_TOKENS = (
    "PUBLIC-title",
    "PUBLIC-context",
    "PUBLIC-cause",
    "PUBLIC-control",
    "PUBLIC-gap",
    "PUBLIC-assurance",
    "PUBLIC-agap",
    "PUBLIC-action",
    "PUBLIC-progress",
    "PUBLIC-effect",
    "PUBLIC-title-two",
    "PUBLIC-control-two",
    "PUBLIC-gap-two",
    "PUBLIC-notes-two",
    "PUBLIC-ref-two",
)
SECRET_TOKENS = (
    "SECRET-notes",
    "SECRET-ref",
    "SECRET-gap",
    "SECRET-assurance",
    "SECRET-action",
    "SECRET-thread",
    "SECRET-thread-control",
    "SECRET-thread-action",
    "SECRET-context-two",
    "SECRET-progress-two",
    "SECRET-action-two",
    "SECRET-assurance-two",
    "SECRET-risk-title",
    "SECRET-risk-action",
)


def marked_workspace() -> Workspace:
    """A register with every kind of private mark; every text names what it is."""
    workspace = load_workspace(marked_files())
    assert not workspace.has_errors, workspace.findings
    return workspace


def marked_files() -> dict[str, bytes]:
    """The files of :func:`marked_workspace`."""
    one = risk_data(
        "PUB-1",
        "If PUBLIC-title then harm",
        extra={
            "context": "PUBLIC-context",
            "notes": "SECRET-notes",
            "operational_risks": ["SECRET-ref"],
            "private_fields": ["notes", "references"],
            "causes": [
                {
                    "description": "PUBLIC-cause",
                    "controls": ["PUBLIC-control"],
                    "control_gaps": [
                        {"text": "PUBLIC-gap", "actions": ["PUB-1.A1", "PUB-1.A2"]},
                        {"text": "SECRET-gap", "private": True},
                    ],
                    "assurances": [
                        {"line": 1, "source": "PUBLIC-assurance"},
                        {"line": 3, "source": "SECRET-assurance", "private": True},
                    ],
                    "assurance_gaps": ["PUBLIC-agap"],
                    "actions": [
                        action("PUB-1.A1", "PUBLIC-action", due=dt.date(2026, 2, 1)),
                        {**action("PUB-1.A2", "SECRET-action", due=dt.date(2025, 12, 1)), "private": True},
                    ],
                    "progress": ["PUBLIC-progress"],
                },
                {
                    "description": "SECRET-thread",
                    "private": True,
                    "controls": ["SECRET-thread-control"],
                    "actions": [action("PUB-1.A3", "SECRET-thread-action", due=dt.date(2025, 11, 1))],
                },
            ],
            "effects": [{"description": "PUBLIC-effect", "controls": ["PUBLIC-control"]}],
        },
    )
    two = risk_data(
        "PUB-2",
        "If PUBLIC-title-two then harm",
        theme="V",
        lead="CPO",
        extra={
            "context": "SECRET-context-two",
            "notes": "PUBLIC-notes-two",
            "operational_risks": ["PUBLIC-ref-two"],
            "private_fields": ["context", "progress", "actions", "assurances"],
            "causes": [
                {
                    "description": "PUBLIC-cause",
                    "controls": ["PUBLIC-control-two"],
                    "control_gaps": [{"text": "PUBLIC-gap-two", "actions": ["PUB-2.A1"]}],
                    "assurances": [{"line": 2, "source": "SECRET-assurance-two"}],
                    "actions": [action("PUB-2.A1", "SECRET-action-two", owner="CPO", due=dt.date(2025, 10, 1))],
                    "progress": ["SECRET-progress-two"],
                }
            ],
        },
    )
    hidden = risk_data(
        "HIDDEN-1",
        "If SECRET-risk-title then harm",
        current=(5, 5),
        extra={"private": True},
        actions=[action("HIDDEN-1.A1", "SECRET-risk-action", due=dt.date(2025, 12, 1))],
    )
    return files_of(register_settings(), [one, two, hidden])


def test_public_risk_drops_only_what_is_marked() -> None:
    workspace = marked_workspace()
    risks = {lr.risk.id: lr.risk for _reg, lr in workspace.risks()}
    assert public_risk(risks["HIDDEN-1"]) is None
    one = public_risk(risks["PUB-1"])
    assert one is not None
    assert (one.notes, one.operational_risks, one.context) == (None, [], "PUBLIC-context")
    assert [t.description for t in one.threads] == ["PUBLIC-cause", "PUBLIC-effect"]
    cause = one.causes[0]
    assert [a.id for a in cause.actions] == ["PUB-1.A1"]
    assert [a.source for a in cause.assurances] == ["PUBLIC-assurance"]
    assert [g.text if not isinstance(g, str) else g for g in cause.control_gaps] == ["PUBLIC-gap"]
    assert cause.control_gaps[0].actions == ["PUB-1.A1"]  # type: ignore[union-attr]
    two = public_risk(risks["PUB-2"])
    assert two is not None
    assert (two.context, two.notes, two.causes[0].actions, two.causes[0].assurances, two.causes[0].progress) == (
        None,
        "PUBLIC-notes-two",
        [],
        [],
        [],
    )
    assert two.causes[0].control_gaps[0].actions == []  # type: ignore[union-attr]
    # The board sees the workspace untouched.
    assert for_audience(workspace, Audience.BOARD) is workspace


@pytest.mark.parametrize("render", [render_report_html, render_report_docx], ids=["html", "docx"])
def test_public_report_contains_no_private_field_or_risk(render: Any) -> None:
    workspace = marked_workspace()
    public = render(build_report(workspace, revision=REVISION, date=ON, audience=Audience.PUBLIC))
    board = render(build_report(workspace, revision=REVISION, date=ON, audience=Audience.BOARD))
    public_text, board_text = _text(public), _text(board)
    for token in PUBLIC_TOKENS:
        assert token in public_text, token
        assert token in board_text, token
    for token in SECRET_TOKENS:
        assert token not in public_text, token
        assert token in board_text, token
    assert "HIDDEN-1" not in public_text and "HIDDEN-1" in board_text
    assert "PUB-2.A1" not in public_text and "PUB-1.A2" not in public_text


def test_public_changes_since_an_earlier_revision_say_nothing_private() -> None:
    earlier_settings = register_settings()
    earlier = workspace_from(earlier_settings, [risk_data("PUB-1", "If PUBLIC-title then harm")])
    report = build_report(
        marked_workspace(), revision=REVISION, date=ON, audience=Audience.PUBLIC, previous=earlier, since="v1"
    )
    assert report.changes is not None
    lines = " ".join(f"{i.subject} {i.headline} {' '.join(i.details)}" for i in describe_changes(report.changes))
    assert "PUB-2" in lines and "PUBLIC-control" in lines
    assert "SECRET" not in lines and "HIDDEN" not in lines
    assert "SECRET" not in _text(render_report_html(report))


def _text(rendered: str | bytes) -> str:
    if isinstance(rendered, str):
        return rendered
    with zipfile.ZipFile(io.BytesIO(rendered)) as archive:
        return "".join(archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".xml"))


# ---------------------------------------------------------------------------
# Content
# ---------------------------------------------------------------------------


def test_group_baf_report_has_a_page_per_risk_in_summary_order() -> None:
    report = build_report(load_paths([GROUP_BAF]), revision=REVISION, date=ON, audience=Audience.BOARD)
    html = render_report_html(report)
    pages = re.findall(r'<section class="page ([a-z-]+)[^"]*"', html)
    assert pages == ["cover", "summary", "heatmaps", *["risk"] * 6, "action-log"]
    assert re.findall(r'data-risk="([^"]+)"', html) == [p.risk_id for p in report.risks]
    assert [p.risk_id for p in report.risks] == [r.risk_id for r in report.summary.rows]
    assert html.count("Risk Appetite – Open (upper limit of tolerance 16)") == 6
    assert "BREACH: current score 20 is above tolerance 16 by 4" in html
    assert "revision 1111111 (clean)" in html
    draft = next(p for p in report.risks if p.row.status.value == "draft")
    assert (draft.initial.cxl, draft.current.cxl, draft.target.cxl) == ("5x5=25", "5x4=20", "5x3=15")
    assert [t.kind for t in draft.threads] == ["Cause", "Effect"]
    assert [line for line, _items in draft.threads[0].assurances] == [1, 2, 3]


def test_risk_page_fonts_shrink_only_as_far_as_needed() -> None:
    report = build_report(load_paths([GROUP_BAF]), revision=REVISION, date=ON, audience=Audience.BOARD)
    layouts = [layout_for(page) for page in report.risks]
    for layout in layouts:
        assert abs(sum(layout.widths) - 100) < 0.2
        assert layout.font_tenths in FONT_SIZES
    small = workspace_from(register_settings(), [risk_data("S1", "If small then small")])
    small_report = build_report(small, revision=REVISION, date=ON, audience=Audience.BOARD)
    assert layout_for(small_report.risks[0]).font_tenths == FONT_SIZES[0]
    big = risk_data("B1", "If big then big", controls=["A control described at length " * 8] * 40)
    big_report = build_report(
        workspace_from(register_settings(), [big]), revision=REVISION, date=ON, audience=Audience.BOARD
    )
    assert layout_for(big_report.risks[0]).font_tenths == FONT_SIZES[-1]


def test_action_log_overdue_due_soon_and_completed_since() -> None:
    before = workspace_from(
        register_settings(),
        [
            risk_data(
                "BAF1",
                "If one then one",
                actions=[action("A-done", "Closed since", due=dt.date(2026, 1, 1))],
            )
        ],
    )
    after = workspace_from(
        register_settings(),
        [
            risk_data(
                "BAF1",
                "If one then one",
                actions=[
                    action("A-late", "Late", due=ON - dt.timedelta(days=1)),
                    action("A-today", "Due today", due=ON),
                    action("A-soon", "Due at the horizon", due=ON + dt.timedelta(days=DUE_SOON_DAYS)),
                    action("A-later", "Due after the horizon", due=ON + dt.timedelta(days=DUE_SOON_DAYS + 1)),
                    action("A-done", "Closed since", status="complete", completed=dt.date(2026, 1, 5)),
                    action("A-new-done", "Added complete", status="complete", completed=dt.date(2025, 12, 1)),
                    action("A-old-done", "Done long ago", status="complete", completed=dt.date(2025, 1, 1)),
                ],
            ),
            risk_data("BAF2", "If closed then closed", status="closed", actions=[action("C-late", "Closed risk")]),
        ],
    )
    log = build_action_log(after, ON, before, dt.date(2025, 9, 25))
    assert [e.action.id for e in log.overdue] == ["A-late"]
    assert log.overdue[0].action.status_label == "OVERDUE"
    assert [e.action.id for e in log.due_soon] == ["A-today", "A-soon"]
    assert log.completed is not None
    assert [e.action.id for e in log.completed] == ["A-new-done", "A-done"]
    assert build_action_log(after, ON).completed is None


@pytest.mark.parametrize(
    ("revision", "label"),
    [
        (Revision("a" * 40, "aaaaaaa", False, None), "aaaaaaa (clean)"),
        (Revision("a" * 40, "aaaaaaa", True, None), "aaaaaaa with uncommitted changes"),
        (Revision(None, None, None, None), "not in git"),
        (Revision(None, None, True, None), "no commits yet (uncommitted files)"),
    ],
)
def test_revision_labels(revision: Revision, label: str) -> None:
    assert revision.label == label


def test_pdf_dates_are_rewritten_in_place() -> None:
    pdf = (
        b"%PDF-1.4\n<</Creator (Chromium)\n"
        b"/CreationDate (D:20261123140108+00'00')\n/ModDate (D:20261123140109+00'00')>>"
    )
    fixed = fix_pdf_dates(pdf, dt.date(2026, 1, 19))
    assert len(fixed) == len(pdf)
    assert fixed.count(b"D:20260119000000+00'00'") == 2


def test_docx_zip_entries_carry_the_report_date() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.xml", "<a/>")
    stable = stable_zip(buffer.getvalue(), dt.date(2026, 1, 19))
    with zipfile.ZipFile(io.BytesIO(stable)) as archive:
        assert [i.date_time for i in archive.infolist()] == [(2026, 1, 19, 0, 0, 0)]


def test_pdf_without_a_browser_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("BAFCTL_CHROMIUM", raising=False)
    with pytest.raises(BrowserError, match="--format pdf needs headless Chromium"):
        html_to_pdf("<html></html>", date=ON)


def test_browser_command_prints_without_header_or_network(tmp_path: Path) -> None:
    command = browser_command("chromium", tmp_path / "r.html", tmp_path / "r.pdf", tmp_path / "profile")
    assert command[:2] == ["chromium", "--headless"]
    assert "--no-pdf-header-footer" in command
    assert f"--print-to-pdf={tmp_path / 'r.pdf'}" in command
    assert command[-1] == (tmp_path / "r.html").as_uri()


# ---------------------------------------------------------------------------
# The command: revisions, determinism, errors
# ---------------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    built = group_baf_repo(tmp_path / "repo")
    monkeypatch.chdir(built.root)
    return built


def test_report_is_byte_identical_and_dated_by_its_commit(runner: CliRunner, repo: GitRepo, tmp_path: Path) -> None:
    outputs: dict[str, list[bytes]] = {"html": [], "docx": []}
    for attempt in range(2):
        for fmt, written in outputs.items():
            target = tmp_path / f"pack-{attempt}.{fmt}"
            result = runner.invoke(app, ["report", "registers", "-o", str(target)])
            assert result.exit_code == 0, result.stderr
            assert result.stderr == f"bafctl: wrote {target} ({fmt}, 6 risks, board)\n"
            written.append(target.read_bytes())
    assert outputs["html"][0] == outputs["html"][1]
    assert outputs["docx"][0] == outputs["docx"][1]
    html = outputs["html"][0].decode("utf-8")
    short = repo.head()[:7]
    assert f"<td>{short} (clean)</td>" in html
    assert "<th>Date</th><td>2026-01-19</td>" in html
    assert repo.head() in html


def test_uncommitted_changes_are_on_the_cover(runner: CliRunner, repo: GitRepo, tmp_path: Path) -> None:
    path = repo.root / "registers" / "group-baf" / "risks" / "GROUP-BAF-5.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    result = runner.invoke(app, ["report", "registers", "-o", "-", "--date", "2026-01-29"])
    assert result.exit_code == 0, result.stderr
    assert f"{repo.head()[:7]} with uncommitted changes" in result.stdout
    assert "<th>Date</th><td>2026-01-29</td>" in result.stdout


def test_since_adds_changes_movement_and_the_thirteen_closures(runner: CliRunner, repo: GitRepo) -> None:
    result = runner.invoke(app, ["report", "registers", "--since", "board-2025-09", "-o", "-", "--format", "html"])
    assert result.exit_code == 0, result.stderr
    html = result.stdout
    assert '<section class="page changes" id="changes"><h1>Changes since board-2025-09' in html
    assert "GROUP-BAF-DRAFT</strong> added (draft), current score 5x4=20" in html
    assert "keyword: research and innovation capability → research, innovation and professional learning" in html
    # The paper's action closures: ten in November and three in December 2025.
    completed = re.search(r"<h2>Completed since board-2025-09 \([0-9a-f]+\) \((\d+)\)</h2>(.*?)</table>", html, re.S)
    assert completed is not None and completed.group(1) == "13"
    assert completed.group(2).count("complete 2025-11-30") == 10
    assert completed.group(2).count("complete 2025-12-31") == 3
    assert html.count('<td class="move">') == 6


def test_public_audience_through_the_command(runner: CliRunner, repo: GitRepo, tmp_path: Path) -> None:
    target = tmp_path / "public.docx"
    result = runner.invoke(app, ["report", "registers", "--audience", "public", "-o", str(target)])
    assert (result.exit_code, result.stderr) == (0, f"bafctl: wrote {target} (docx, 6 risks, public)\n")
    assert target.read_bytes()[:2] == b"PK"


def test_outside_git_the_cover_says_so(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "shared" / "reg"
    for name, text in synthetic_register([risk_data("BAF1", "If one then one")]).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BAFCTL_TODAY", "2026-02-02")
    result = runner.invoke(app, ["report", "shared/reg", "-o", "-"])
    assert result.exit_code == 0, result.stderr
    assert "<th>Revision</th><td>not in git</td>" in result.stdout
    assert "<th>Date</th><td>2026-02-02</td>" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", str(GROUP_BAF)], "name the file to write"),
        (["report", str(GROUP_BAF), "-o", "x.html", "--date", "29/01/2026"], "is not a date"),
        (["report", str(GROUP_BAF), "-o", "x.html", "--audience", "everyone"], "everyone"),
        (["report", str(GROUP_BAF), "-o", "x.html", "--format", "odt"], "odt"),
    ],
)
def test_usage_errors(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE, "")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_pdf_with_a_missing_browser_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["report", str(GROUP_BAF), "-o", str(tmp_path / "x.pdf")],
        env={"BAFCTL_CHROMIUM": str(tmp_path / "no-such-chromium")},
    )
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE, "")
    assert result.stderr.startswith("bafctl: error: cannot run ")
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "x.pdf").exists()


def test_unwritable_output_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(GROUP_BAF), "-o", str(tmp_path)])
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE, "")
    assert result.stderr.startswith(f"bafctl: error: {tmp_path}: cannot write the report: ")


def test_a_register_with_errors_writes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "reg"
    for name, text in synthetic_register([risk_data("BAF1", "If one then one")]).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text.replace("strategic_link", "strategic_lnk"), encoding="utf-8")
    result = runner.invoke(app, ["report", str(folder), "-o", str(tmp_path / "x.html")])
    assert result.exit_code == ExitCode.FINDINGS
    assert "unknown key `strategic_lnk`" in result.stderr
    assert result.stderr.endswith(
        "bafctl: error: no report: fix the errors above (`bafctl check` lists every problem)\n"
    )
    assert not (tmp_path / "x.html").exists()


def test_summary_public_leaves_out_private_risks(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "reg"
    for path, data in marked_files().items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    board = runner.invoke(app, ["summary", str(folder), "--format", "csv"])
    public = runner.invoke(app, ["summary", str(folder), "--format", "csv", "--public"])
    assert (board.exit_code, public.exit_code) == (0, 0), board.stderr + public.stderr
    assert "HIDDEN-1" in board.stdout and "SECRET-risk-title" in board.stdout
    assert "HIDDEN-1" not in public.stdout and "SECRET" not in public.stdout
    assert public.stdout.count("\n") == 3  # header and the two public risks


def test_the_html_written_chunk_by_chunk_is_the_rendered_document(runner: CliRunner, repo: GitRepo) -> None:
    from bafctl.render.report_html import report_html_chunks
    from bafctl.usecases.report import revision_of

    workspace = load_paths([repo.root / "registers"], repo.root)
    built = build_report(
        workspace, revision=revision_of([], Path.cwd()), date=dt.date(2026, 1, 29), audience=Audience.BOARD
    )
    chunks = list(report_html_chunks(built))
    assert len(chunks) > len(built.risks)  # a page at a time, not one string
    assert "".join(chunks) == render_report_html(built)
    result = runner.invoke(app, ["report", "registers", "-o", "-", "--date", "2026-01-29"])
    assert result.exit_code == 0
    assert result.stdout == render_report_html(built)


def test_a_failed_write_keeps_the_previous_report(tmp_path: Path) -> None:
    from bafctl.commands.report import write_output
    from bafctl.errors import BafctlError

    target = tmp_path / "pack.html"
    target.write_bytes(b"last month's report")

    def failing() -> Any:
        yield b"<!DOCTYPE html>"
        raise OSError(28, "No space left on device")

    with pytest.raises(BafctlError, match="cannot write the report: No space left on device"):
        write_output(target, failing())
    assert target.read_bytes() == b"last month's report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack.html"]  # no temporary file left
    write_output(target, [b"new ", b"report"])
    assert target.read_bytes() == b"new report"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_report_keeps_the_old_files_permissions_and_writes_through_links(tmp_path: Path) -> None:
    import threading

    from bafctl.commands.report import write_output

    private = tmp_path / "private.html"
    private.write_bytes(b"old")
    private.chmod(0o600)
    write_output(private, [b"board ", b"only"])
    assert (private.read_bytes(), private.stat().st_mode & 0o777) == (b"board only", 0o600)

    link = tmp_path / "latest.html"
    link.symlink_to(private)
    write_output(link, [b"new"])
    assert link.is_symlink()
    assert private.read_bytes() == b"new"

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_output(fifo, [b"through ", b"a pipe"])
    reader.join(timeout=10)
    assert received == [b"through a pipe"]
    assert fifo.is_fifo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.html", "pipe", "private.html"]


def test_a_public_report_does_not_parse_the_risk_files_again(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from bafctl import loader
    from bafctl.load import positions

    monkeypatch.setenv("BAFCTL_CACHE_DIR", str(tmp_path / "cache"))
    load_paths([GROUP_BAF], tmp_path)
    workspace = load_paths([GROUP_BAF], tmp_path)  # warm: positions not parsed yet

    def refuse(data: bytes, **kwargs: Any) -> Any:
        raise AssertionError("parsed again")

    monkeypatch.setattr(loader, "parse_yaml", refuse)
    monkeypatch.setattr(positions, "parse_yaml", refuse)  # positions rebuilt from text
    public = for_audience(workspace, Audience.PUBLIC)
    assert [lr.risk_id for _, lr in public.risks()] == [lr.risk_id for _, lr in workspace.risks()]


def test_docx_report_of_a_register_with_a_600_character_name(runner: CliRunner, group_baf: Path) -> None:
    """issue 11 #7: a register name over about 230 characters made `report --format docx` exit 3
    ("ValueError: exceeded 255 char limit for property"); names of up to 600 are valid."""
    name = ("Leicestershire Partnership and Northamptonshire Healthcare Group " * 10)[:599] + "X"
    assert len(name) == 600
    settings = group_baf / "register.yaml"
    text, count = re.subn(r"(?m)^  name: .*$", f"  name: {name}", settings.read_text(), count=1)
    assert count == 1
    settings.write_text(text)
    target = group_baf.parent / "pack.docx"
    result = runner.invoke(app, ["report", str(group_baf), "-o", str(target), "--date", "2026-01-29"])
    assert result.exit_code == 0, result.stderr
    with zipfile.ZipFile(target) as archive:
        core = archive.read("docProps/core.xml").decode("utf-8")
        document = archive.read("word/document.xml").decode("utf-8")
    title = re.search(r"<dc:title>(.*?)</dc:title>", core)
    assert title is not None and len(title.group(1)) <= 255 and title.group(1).endswith("…")
    assert name in document  # the cover keeps the whole name
