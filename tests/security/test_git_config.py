"""A repository's own git configuration must never make bafctl run a program (issue 11 #3).

A BAF repository received as an archive carries its author's ``.git/config`` and
``.gitattributes``. Each test repository here names a program for every configuration
key that can run one (fsmonitor, filters, external diff, textconv, pager, signature
verification, hooks, lazy fetch); each program leaves a marker file. bafctl's commands
must give their normal results and leave no marker. Also here: the report's clean /
changed stamp (now worked out without ``git status``) and file names that git stores as
bytes (a newline, bytes that are not UTF-8), which check, diff and history must name
alike (issue 11 #5).
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bafctl import gitio
from bafctl.cli import app
from gitrepo import GitRepo, git, group_baf_repo, risk_data, synthetic_register, to_yaml

RISK3 = "registers/group-baf/risks/GROUP-BAF-3.yaml"
TITLE = "If we do not continue digital transformation, we will not be digitally mature."

HOOKS = (
    "pre-commit",
    "post-commit",
    "post-checkout",
    "post-merge",
    "post-rewrite",
    "pre-auto-gc",
    "post-index-change",
    "reference-transaction",
    "fsmonitor-watchman",
    "pre-push",
    "push-to-checkout",
)


def program(folder: Path, name: str, marks: Path, *, passthrough: bool = False) -> Path:
    """A shell script that leaves ``marks/<name>`` (and copies stdin to stdout if asked)."""
    script = folder / name
    copy = 'cat "${1:-/dev/stdin}" 2>/dev/null || cat\n' if passthrough else ""
    body = f'#!/bin/sh\ntouch "{marks}/{name}"\n{copy}'
    script.write_text(body)
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


def signer(folder: Path) -> Path:
    """A stand-in for gpg that signs anything (used only while building the repository)."""
    script = folder / "signer"
    script.write_text(
        "#!/bin/sh\ncat >/dev/null\necho '[GNUPG:] SIG_CREATED ' >&2\n"
        "printf -- '-----BEGIN PGP SIGNATURE-----\\n\\nZmFrZQ==\\n-----END PGP SIGNATURE-----\\n'\n"
    )
    script.chmod(0o755)
    return script


def set_current(repo: GitRepo, likelihood: int) -> None:
    path = repo.root / RISK3
    pattern = r"(  current:.*\n    consequence: 4\n    likelihood: )\d"
    new, count = re.subn(pattern, rf"\g<1>{likelihood}", path.read_text())
    assert count == 1
    path.write_text(new)


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[GitRepo, Path]:
    """The Group BAF in a repository whose configuration names a program wherever git allows.

    Built clean first (tags ``board-2025-09``, ``board-2026-01``, then a signed commit
    rescoring GROUP-BAF-3), then armed; a register file is left modified on disk so that
    ``git status`` would have to run the clean filter and the fsmonitor hook.
    """
    tools = tmp_path / "tools"
    marks = tmp_path / "marks"
    tools.mkdir()
    marks.mkdir()
    repo = group_baf_repo(tmp_path / "baf")
    repo.write(".gitattributes", "*.yaml filter=evil diff=evil\n*.yml filter=evil diff=evil\n")
    repo.commit("attributes")
    set_current(repo, 4)
    git(repo.root, "add", "--all")
    git(
        repo.root,
        "-c",
        f"gpg.program={signer(tools)}",
        "commit",
        "--quiet",
        "--no-verify",
        "-S",
        "-m",
        "GROUP-BAF-3 up (signed)",
    )
    assert "gpgsig" in git(repo.root, "cat-file", "commit", "HEAD")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for hook in HOOKS:
        program(hooks, hook, marks)
    settings = {
        "core.fsmonitor": program(tools, "fsmonitor", marks),
        "core.hooksPath": hooks,
        "core.pager": program(tools, "pager", marks, passthrough=True),
        "pager.log": program(tools, "pager-log", marks, passthrough=True),
        "diff.external": program(tools, "diff-external", marks),
        "diff.evil.command": program(tools, "diff-driver", marks),
        "diff.evil.textconv": program(tools, "textconv", marks, passthrough=True),
        "filter.evil.clean": program(tools, "clean", marks, passthrough=True),
        "filter.evil.smudge": program(tools, "smudge", marks, passthrough=True),
        "filter.evil.process": program(tools, "process", marks),
        "filter.evil.required": "true",
        "log.showSignature": "true",
        "gpg.program": program(tools, "gpg", marks),
        "core.alternateRefsCommand": program(tools, "alternate-refs", marks),
        "core.sshCommand": program(tools, "ssh", marks),
    }
    for key, value in settings.items():
        git(repo.root, "config", key, str(value))
    set_current(repo, 2)  # a change on disk: `git status` would filter it
    monkeypatch.chdir(repo.root)
    monkeypatch.setenv("BAFCTL_TODAY", "2026-01-29")
    return repo, marks


def markers(marks: Path) -> list[str]:
    return sorted(p.name for p in marks.iterdir())


def test_the_hostile_repository_is_armed(hostile: tuple[GitRepo, Path]) -> None:
    """Guards the other tests in this file: plain git really does run these programs here."""
    repo, marks = hostile
    for args in (["status", "--porcelain"], ["log", "-1", "HEAD"]):
        subprocess.run(["git", "-C", str(repo.root), *args], capture_output=True, check=False)
    assert {"fsmonitor", "gpg", "process"} <= set(markers(marks))


def test_diff_against_the_working_tree_runs_nothing(runner: CliRunner, hostile: tuple[GitRepo, Path]) -> None:
    """issue 11 #3: `bafctl diff` ran git status, which ran core.fsmonitor and the clean filter."""
    _repo, marks = hostile
    result = runner.invoke(app, ["diff", "-f", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["to"]["worktree"], data["to"]["dirty"]) == (True, True)
    assert "GROUP-BAF-3" in {r["risk_id"] for r in data["risks"]}
    assert markers(marks) == []


def test_diff_of_one_revision_runs_nothing(runner: CliRunner, hostile: tuple[GitRepo, Path]) -> None:
    """issue 11 #3: `bafctl diff REV` compared with the working tree through git status."""
    _repo, marks = hostile
    result = runner.invoke(app, ["diff", "board-2026-01"])
    assert result.exit_code == 0, result.output
    assert "GROUP-BAF-3" in result.stdout
    assert markers(marks) == []


def test_diff_of_two_revisions_runs_nothing(runner: CliRunner, hostile: tuple[GitRepo, Path]) -> None:
    """issue 11 #3: log/show with textconv, external diff or signature checks ran programs."""
    _repo, marks = hostile
    result = runner.invoke(app, ["diff", "board-2025-09", "HEAD", "--why"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Changes from board-2025-09 (")
    assert "GROUP-BAF-3" in result.stdout
    assert markers(marks) == []


def test_history_runs_nothing(runner: CliRunner, hostile: tuple[GitRepo, Path]) -> None:
    """issue 11 #3: `git log` with log.showSignature=true ran gpg.program on the signed commit."""
    _repo, marks = hostile
    result = runner.invoke(app, ["history", "GROUP-BAF-3", "-f", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    subjects = [e["commit"]["subject"] for e in data["entries"]]
    assert "GROUP-BAF-3 up (signed)" in subjects
    assert markers(marks) == []


def test_report_stamp_runs_nothing(runner: CliRunner, hostile: tuple[GitRepo, Path], tmp_path: Path) -> None:
    """issue 11 #3: the report's clean/changed stamp came from git status (fsmonitor, filters)."""
    repo, marks = hostile
    out = tmp_path / "out.html"
    result = runner.invoke(app, ["report", "-o", str(out)])
    assert result.exit_code == 0, result.output
    short = git(repo.root, "rev-parse", "--short", "HEAD").strip()
    assert f"{short} with uncommitted changes" in out.read_text(encoding="utf-8")
    assert markers(marks) == []


def test_a_partial_clone_never_fetches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner) -> None:
    """issue 11 #3: a missing object in a promisor repository was fetched through the
    repository's own remote (an ext:: command, core.sshCommand, credential helpers)."""
    marks = tmp_path / "marks"
    marks.mkdir()
    source = group_baf_repo(tmp_path / "source")
    git(source.root, "config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--no-checkout", "--filter=blob:none", source.root.as_uri(), str(clone))
    git(clone, "config", "remote.origin.url", f"ext::sh -c touch% {marks}/ext")
    git(clone, "config", "protocol.ext.allow", "always")
    git(clone, "config", "protocol.file.allow", "always")
    git(clone, "config", "core.sshCommand", str(program(tmp_path, "ssh", marks)))
    monkeypatch.chdir(clone)
    result = runner.invoke(app, ["diff", "board-2025-09", "board-2026-01"])
    assert result.exit_code == 2, result.output
    assert "bafctl never fetches" in result.stderr
    assert markers(marks) == []


# ---------------------------------------------------------------------------
# The working tree's stamp without git status
# ---------------------------------------------------------------------------


@pytest.fixture
def small(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    repo.write_register("reg", synthetic_register([risk_data("BAF1", TITLE), risk_data("BAF2", "If a, then b.")]))
    repo.write("README.md", "not a register file\n")
    repo.commit("September board")
    return repo


def test_dirty_stamp_clean_modified_untracked_deleted(small: GitRepo) -> None:
    """issue 11 #3: the stamp, now hashed by bafctl rather than asked of git status, must
    still tell clean from modified, untracked and deleted register files."""
    root = small.root

    def dirty() -> bool | None:
        return gitio.describe_worktree(root).dirty

    assert dirty() is False
    (root / "README.md").write_text("edited, but not a register file\n")
    (root / "reg/notes.txt").write_text("not YAML\n")
    assert dirty() is False
    risk = root / "reg/risks/baf1.yaml"
    original = risk.read_bytes()
    risk.write_bytes(original + b"notes: edited\n")
    assert dirty() is True
    risk.write_bytes(original)
    assert dirty() is False
    small.write("reg/risks/baf3.yaml", to_yaml(risk_data("BAF3", "If c, then d.")))
    assert dirty() is True
    (root / "reg/risks/baf3.yaml").unlink()
    (root / "reg/risks/baf2.yaml").unlink()
    assert dirty() is True
    git(root, "checkout", "--", "reg/risks/baf2.yaml")
    assert dirty() is False
    # Limited to one register: a change elsewhere does not count.
    small.write("other/register.yaml", (root / "reg/register.yaml").read_text())
    assert gitio.describe_worktree(root, [Path("reg")]).dirty is False
    assert dirty() is True


def test_dirty_stamp_in_a_sha256_repository(tmp_path: Path) -> None:
    """issue 11 #3: blob IDs are SHA-256 in a sha256 repository; hashing with SHA-1 would
    call every file changed."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "--quiet", "--object-format=sha256")
    for name, content in synthetic_register([risk_data("BAF1", TITLE)]).items():
        target = root / "reg" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--no-verify", "-m", "first")
    info = gitio.describe_worktree(root)
    assert info.sha is not None and len(info.sha) == 64
    assert info.dirty is False
    (root / "reg/risks/baf1.yaml").write_text("id: BAF1\n")
    assert gitio.describe_worktree(root).dirty is True


# ---------------------------------------------------------------------------
# File names git stores as bytes (issue 11 #5)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw_name",
    [b"digital\ntransformation.yaml", b"caf\xe9.yaml"],
    ids=["newline", "not-utf8"],
)
def test_a_strange_file_name_has_one_path_in_check_diff_and_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw_name: bytes
) -> None:
    """issue 11 #5: history and diff skipped a file whose name held a newline (check read it),
    and named a non-UTF-8 file with U+FFFD where check used os.fsdecode."""
    repo = GitRepo(tmp_path / "repo")
    files = synthetic_register([risk_data("BAF1", TITLE)])
    risk_text = files.pop("risks/baf1.yaml")
    repo.write_register("reg", files)
    name = os.fsdecode(raw_name)
    expected = f"reg/risks/{name}"
    (repo.root / "reg/risks").mkdir()
    Path(os.fsdecode(os.fsencode(repo.root / "reg/risks") + b"/" + raw_name)).write_text(risk_text)
    repo.commit("add BAF1")
    Path(repo.root / expected).write_text(risk_text.replace("likelihood: 3", "likelihood: 4", 1))
    repo.commit("rescore BAF1")
    monkeypatch.chdir(repo.root)

    from bafctl.loader import read_files

    assert expected in read_files([Path("reg")], repo.root)  # what check reads
    workspace, _ = gitio.workspace_at("HEAD", [], repo.root)
    assert [lr.path for _, lr in workspace.risks()] == [expected]
    history = gitio.risk_history("BAF1", [], repo.root)
    assert [(e.event, e.state.path if e.state else None) for e in history.entries] == [
        ("added", expected),
        ("rescored", expected),
    ]
    old, new = gitio.workspaces_at(["HEAD~1", gitio.WORKTREE], [], repo.root)
    assert [lr.path for _, lr in old[0].risks()] == [lr.path for _, lr in new[0].risks()] == [expected]
    assert new[1].dirty is False
