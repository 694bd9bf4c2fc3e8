"""bafctl.gitio against real temporary repositories: safe revisions, trees, logs, blobs."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from bafctl import gitio
from bafctl.errors import ExitCode, NotAGitRepositoryError, RevisionError, UsageError
from bafctl.gitio import WORKTREE, Repository, check_revision, select_register_files, workspace_at
from bafctl.sources.git import GitRepository
from gitrepo import GitRepo, git, risk_data, synthetic_register

TITLE = "If we do not continue digital transformation, we will not be digitally mature."


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """Two commits of a one-register repository, the first tagged."""
    r = GitRepo(tmp_path / "repo")
    r.write_register("reg", synthetic_register([risk_data("BAF1", TITLE), risk_data("BAF2", "If a, then b.")]))
    r.commit("September board")
    r.tag("board-2025-09")
    r.write_register("reg", synthetic_register([risk_data("BAF1", TITLE, current=(4, 4))]))
    r.remove("reg/risks/baf2.yaml")
    r.commit("January board: rescore BAF1, retire BAF2")
    return r


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------
# Revisions (docs/reliability.md R13, R14)
# ---------------------------------------------------------------------------


def test_revisions_resolve_to_full_commit_ids(repo: GitRepo) -> None:
    r = Repository.discover(repo.root / "reg")
    first = git(repo.root, "rev-parse", "board-2025-09").strip()
    assert r.resolve("HEAD") == repo.head()
    assert r.resolve("board-2025-09") == first
    assert r.resolve("HEAD~1") == first
    assert r.resolve(first[:10]) == first


INJECTIONS = [
    "--output={victim}",
    "--upload-pack=touch x",
    "-p",
    "HEAD;id",
    "$(id)",
    "ext::sh -c id",
    "HEAD:../x",
    "",
    " ",
    "HEAD\n--output={victim}",
    "--end-of-options",
]


@pytest.mark.parametrize("template", INJECTIONS)
def test_unsafe_revisions_are_refused_and_touch_nothing(repo: GitRepo, tmp_path: Path, template: str) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("board papers\n")
    before = sha256(victim)
    listing = sorted(p.name for p in repo.root.iterdir())
    with pytest.raises(RevisionError) as info:
        Repository.discover(repo.root).resolve(template.format(victim=victim))
    assert info.value.exit_code == ExitCode.USAGE
    assert "revision" in str(info.value)
    assert sha256(victim) == before
    assert sorted(p.name for p in repo.root.iterdir()) == listing  # no file "x" created


def test_check_revision_explains_a_leading_dash() -> None:
    with pytest.raises(RevisionError, match="may not start with '-'"):
        check_revision("--output=/tmp/f")
    assert check_revision("board-2025-09") == "board-2025-09"


def test_unknown_revision_names_it(repo: GitRepo) -> None:
    with pytest.raises(RevisionError, match="unknown revision 'no-such-tag'"):
        Repository.discover(repo.root).resolve("no-such-tag")


def test_shallow_clone_gives_the_fetch_depth_hint(repo: GitRepo, tmp_path: Path) -> None:
    clone = repo.clone_shallow(tmp_path / "clone")
    shallow = Repository.discover(clone)
    assert shallow.is_shallow()
    assert shallow.resolve("HEAD") == repo.head()
    with pytest.raises(RevisionError) as info:
        shallow.resolve("HEAD~1")
    message = str(info.value)
    assert "fetch-depth: 0" in message and "git fetch --unshallow" in message and "'HEAD~1'" in message
    with pytest.raises(RevisionError, match="history needs the full history: shallow clone"):
        shallow.require_full_history("history")


def test_empty_repository(tmp_path: Path) -> None:
    empty = GitRepo(tmp_path / "empty")
    with pytest.raises(RevisionError, match="no commits yet"):
        Repository.discover(empty.root).resolve("HEAD")


def test_not_a_repository(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(NotAGitRepositoryError, match="not in a git repository") as info:
        Repository.discover(tmp_path / "plain")
    assert info.value.exit_code == ExitCode.USAGE


def test_git_missing_is_an_environment_error(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(repo.root / "no-bin"))
    with pytest.raises(NotAGitRepositoryError, match="git is not installed"):
        Repository.discover(repo.root)


def test_hook_environment_does_not_redirect_git(repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # pre-commit runs hooks with GIT_DIR / GIT_INDEX_FILE set; bafctl must read the
    # repository it is pointed at, not the one those variables name.
    other = GitRepo(tmp_path / "other")
    other.write("x.txt", "other")
    other.commit("other repository")
    head = repo.head()
    monkeypatch.setenv("GIT_DIR", str(other.root / ".git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other.root / ".git" / "index"))
    workspace, info = workspace_at("HEAD", [], repo.root)
    assert info.sha == head
    assert [lr.risk.id for _, lr in workspace.risks()] == ["BAF1"]


# ---------------------------------------------------------------------------
# Registers at a revision (R15)
# ---------------------------------------------------------------------------


def test_workspace_at_a_tag_and_the_working_tree(repo: GitRepo) -> None:
    old, old_info = workspace_at("board-2025-09", [], repo.root / "reg")
    assert [lr.risk.id for _, lr in old.risks()] == ["BAF1", "BAF2"]
    assert [lr.path for _, lr in old.risks()] == ["reg/risks/baf1.yaml", "reg/risks/baf2.yaml"]
    assert (old_info.revision, old_info.subject, old_info.author) == (
        "board-2025-09",
        "September board",
        "Risk Officer",
    )
    assert old_info.label == f"board-2025-09 ({old_info.short})"
    new, new_info = workspace_at(WORKTREE, [], repo.root)
    assert [lr.risk.id for _, lr in new.risks()] == ["BAF1"]
    assert (new_info.is_worktree, new_info.sha, new_info.dirty) == (True, repo.head(), False)
    repo.write("reg/risks/baf1.yaml", repo.root.joinpath("reg/risks/baf1.yaml").read_text() + "notes: edited\n")
    assert gitio.describe_worktree(repo.root).dirty is True


def test_historic_invalid_file_is_a_positioned_finding(repo: GitRepo) -> None:
    text = (repo.root / "reg/risks/baf1.yaml").read_text()
    repo.write("reg/risks/baf1.yaml", text.replace("likelihood: 4", "likelihood: 7", 1))
    repo.commit("typo")
    repo.write("reg/risks/baf1.yaml", text)
    repo.commit("fix the typo")
    workspace, _ = workspace_at("HEAD~1", [], repo.root)
    assert workspace.risks() == []
    errors = [f for f in workspace.findings if f.level.value == "error"]
    line = text.splitlines().index("    likelihood: 4") + 1
    assert [(f.path, f.line, f.col) for f in errors] == [("reg/risks/baf1.yaml", line, 17)]


def test_paths_limit_the_registers(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "two")
    r.write_register("a", synthetic_register([risk_data("A1", TITLE)]))
    b_files = synthetic_register([risk_data("B1", TITLE)])
    b_files["register.yaml"] = b_files["register.yaml"].replace('id: "TEST"', 'id: "OTHER"')
    r.write_register("b", b_files)
    r.commit("two registers")
    only_b, _ = workspace_at("HEAD", [Path("b/risks/b1.yaml")], r.root)
    assert [lr.risk.id for _, lr in only_b.risks()] == ["B1"]
    both, _ = workspace_at("HEAD", [Path()], r.root)
    assert [lr.risk.id for _, lr in both.risks()] == ["A1", "B1"]
    nothing, _ = workspace_at("HEAD", [Path("c")], r.root)
    assert nothing.files == {}
    with pytest.raises(UsageError, match="outside the git repository"):
        workspace_at("HEAD", [Path("../elsewhere")], r.root)


def test_select_register_files_mirrors_the_loader() -> None:
    tree = [
        "README.md",
        "reg/register.yaml",
        "reg/risks/a.yaml",
        "reg/risks/.hidden.yaml",
        "reg/.git-crypt/b.yaml",
        "reg/node_modules/c.yaml",
        "reg/notes.txt",
        "reg/nested/register.yaml",
        "reg/nested/n.yml",
        "loose/x.yaml",
    ]
    assert select_register_files(tree, []) == [
        "reg/nested/n.yml",
        "reg/nested/register.yaml",
        "reg/register.yaml",
        "reg/risks/a.yaml",
    ]
    # A path inside a register names that register, without the nested one.
    assert select_register_files(tree, ["reg/risks/a.yaml"]) == ["reg/register.yaml", "reg/risks/a.yaml"]
    assert select_register_files(tree, ["reg/nested"]) == ["reg/nested/n.yml", "reg/nested/register.yaml"]
    assert select_register_files(tree, ["loose"]) == []


def test_symlinks_in_the_tree_are_not_read(repo: GitRepo) -> None:
    (repo.root / "reg/risks/evil.yaml").symlink_to("/etc/passwd")
    repo.commit("a symbolic link")
    tree = Repository.discover(repo.root).tree(repo.head())
    assert "reg/risks/evil.yaml" not in tree
    workspace, _ = workspace_at("HEAD", [], repo.root)
    assert "reg/risks/evil.yaml" not in workspace.files


def test_a_file_name_that_is_not_utf8_still_loads_and_prints(repo: GitRepo) -> None:
    source = (repo.root / "reg/risks/baf1.yaml").read_bytes()
    (repo.root / "reg/risks/baf1.yaml").unlink()
    Path(os.fsdecode(bytes(repo.root / "reg/risks") + b"/caf\xe9.yaml")).write_bytes(source)  # Latin-1 "café"
    repo.commit("a file name in Latin-1")
    workspace, _ = workspace_at("HEAD", [], repo.root)
    # Named as the disk reader names it (os.fsdecode), so check, diff and history agree.
    assert [lr.path for _, lr in workspace.risks()] == [os.fsdecode(b"reg/risks/caf\xe9.yaml")]


# ---------------------------------------------------------------------------
# Log and blobs
# ---------------------------------------------------------------------------


def test_log_reports_renames_as_delete_and_add_oldest_first(repo: GitRepo) -> None:
    repo.move("reg/risks/baf1.yaml", "reg/archive/digital.yaml")
    repo.commit("move BAF1")
    r = Repository.discover(repo.root)
    commits = r.history(repo.head(), pathspecs=[":(glob)**/*.yaml"])
    assert [c.info.subject for c in commits] == [
        "September board",
        "January board: rescore BAF1, retire BAF2",
        "move BAF1",
    ]
    moved = commits[-1]
    assert moved.parent == commits[1].info.sha
    assert sorted((c.path, c.old_blob is None, c.new_blob is None) for c in moved.changes) == [
        ("reg/archive/digital.yaml", True, False),
        ("reg/risks/baf1.yaml", False, True),
    ]
    assert moved.info.short == repo.head()[: len(moved.info.short or "")] and len(moved.info.short or "") >= 7
    since = r.history(repo.head(), since=commits[0].info.sha, pathspecs=[])
    assert [c.info.subject for c in since] == ["January board: rescore BAF1, retire BAF2", "move BAF1"]


def test_blobs_are_read_through_the_object_database_and_capped(repo: GitRepo) -> None:
    big = "x" * 5000
    repo.write("big.txt", big)
    repo.commit("a big file")
    r = Repository.discover(repo.root)
    tree = r.tree(repo.head())
    register = (repo.root / "reg/register.yaml").read_bytes()
    missing = "0" * 40
    found = dict(r.blobs([tree["big.txt"], missing, tree["reg/register.yaml"]], limit=101))
    assert found[tree["big.txt"]] == big[:101].encode()
    assert missing not in found
    # The object database stays usable after an oversized blob.
    assert found[tree["reg/register.yaml"]] == register[:101]
    assert r.blob(tree["reg/register.yaml"], limit=1 << 20) == register
    assert r.file_at(repo.head(), "reg/register.yaml", 1 << 20) == (tree["reg/register.yaml"], register)
    assert r.file_at(repo.head(), "reg/nothing.yaml", 1 << 20) is None
    assert r.file_at(repo.head(), "reg", 1 << 20) is None  # a folder is not a file
    r.close()


def test_two_revisions_read_a_shared_blob_once(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    requested: list[str] = []
    real_blob = GitRepository.blob

    def counting(self: GitRepository, oid: str, limit: int) -> bytes | None:
        requested.append(oid)
        return real_blob(self, oid, limit)

    monkeypatch.setattr(GitRepository, "blob", counting)
    r = Repository.discover(repo.root)
    blobs: dict[str, bytes] = {}
    old = gitio.read_register_files(r, r.resolve("HEAD~1"), [], blobs=blobs)
    new = gitio.read_register_files(r, r.resolve("HEAD"), [], blobs=blobs)
    assert sorted(old) == ["reg/register.yaml", "reg/risks/baf1.yaml", "reg/risks/baf2.yaml"]
    assert sorted(new) == ["reg/register.yaml", "reg/risks/baf1.yaml"]
    assert new["reg/register.yaml"] == old["reg/register.yaml"]
    # register.yaml is the same blob at both commits: asked for once; baf1.yaml changed.
    assert len(requested) == len(set(requested)) == 4


def test_workspaces_at_equal_one_revision_at_a_time(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAFCTL_CACHE_DIR", str(repo.root.parent / "cache"))
    together = gitio.workspaces_at(["board-2025-09", "HEAD", WORKTREE], [], repo.root)
    for _ in range(2):  # cold, then from the pack
        again = gitio.workspaces_at(["board-2025-09", "HEAD", WORKTREE], [], repo.root)
        for (ws, info), (ws2, info2) in zip(together, again, strict=True):
            assert info == info2
            assert [(lr.path, lr.risk) for _, lr in ws.risks()] == [(lr.path, lr.risk) for _, lr in ws2.risks()]
    for revision, (ws, _info) in zip(["board-2025-09", "HEAD", WORKTREE], together, strict=True):
        alone, _ = workspace_at(revision, [], repo.root)
        assert [(lr.path, lr.risk) for _, lr in alone.risks()] == [(lr.path, lr.risk) for _, lr in ws.risks()]


# ---------------------------------------------------------------------------
# Start-up: only commands that read git import GitPython (issue 12)
# ---------------------------------------------------------------------------


def _imported_modules(args: list[str], cwd: Path) -> set[str]:
    import re
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bafctl", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    return {m.group(1) for m in re.finditer(r"^import time:\s*\d+ \|\s*\d+ \|\s*(\S+)\s*$", done.stderr, re.M)}


def test_help_and_a_one_file_check_do_not_import_gitpython(group_baf: Path) -> None:
    """issue 12: `import git` costs 50-130 ms; only diff, history and report may pay it."""
    for args, cwd in (
        (["--help"], group_baf),
        (["check", "risks/GROUP-BAF-3.yaml"], group_baf),
    ):
        modules = _imported_modules(args, cwd)
        assert "bafctl.cli" in modules or "bafctl" in modules, args
        assert not {m for m in modules if m == "git" or m.startswith("git.")}, args
        assert "bafctl.sources.git" not in modules and "bafctl.gitio" not in modules, args


def test_diff_imports_gitpython_only_through_the_adapter(repo: GitRepo) -> None:
    """issue 12: the adapter is the only way in (a check that the test above can fail)."""
    modules = _imported_modules(["diff", "HEAD~1", "HEAD"], repo.root)
    assert {"git", "bafctl.sources.git"} <= modules
