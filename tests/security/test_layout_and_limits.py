"""Which register owns a file, and trees a pull request can commit to break a run (issue 11).

#11: "the deepest ``register.yaml`` above a file owns it" was written four times with two
sort orders; with a ``register.yaml`` at the top and another in ``registers/``, ``check
registers`` and ``check . registers`` disagreed about a risk's tolerance. There is one
rule now (:mod:`bafctl.sources.layout`), tested here against a brute-force definition.

#9: a folder tree 1,000 levels deep made the recursive ``os.walk`` raise RecursionError
(exit 3). Walks are iterative now and stop 64 levels down with a positioned finding.

#5/#8: a FIFO where a register file should be is reported and passed over, never read
(which would hang the run).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from bafctl.cli import app
from bafctl.loader import load_workspace, read_files, scan_files
from bafctl.rescore import plan_rescore_all
from bafctl.sources import disk
from bafctl.sources.layout import (
    SKIPPED_DIRS,
    deepest_first,
    is_inside,
    owner_of,
    owners,
    register_folder,
    register_folders,
    settings_path,
)

AS_OF = "2026-02-01"
DEEP = 1_000
BREACH_AT_6 = "registers/risks/R1.yaml:12:3: warning: risk BAF01: current score 3x3=9 is above tolerance 6 (cautious)"

REGISTER = """\
register:
  id: {id}
  name: {id} register
  organisation: Example NHS Trust
themes:
  - id: people
    name: Our people
sections:
  - number: 1
    title: People
    themes: [people]
    committee: POD
committees:
  - id: POD
    name: People Committee
roles:
  - id: DOP
    title: Director of People
appetite_levels:
  - id: cautious
    name: Cautious
    tolerance: {tolerance}
"""

RISK = """\
id: {id}
title: If the trust cannot fill registered nurse vacancies then wards will not be safely staffed
keyword: registered nurse vacancies
status: approved
strategic_link: people
oversight: [POD]
executive_lead: DOP
date_included: 2024-10-01
last_updated: 2026-01-10
assessments:
  initial: {{consequence: 3, likelihood: 4}}
  current: {{consequence: 3, likelihood: 3}}
  target: {{consequence: 3, likelihood: 2}}
appetite:
  level: cautious
causes:
  - description: National shortage of registered nurses
    controls:
      - International recruitment programme
    assurances:
      - line: 1
        source: Monthly safer staffing report
"""


def write_register(folder: Path, register_id: str, tolerance: int, risks: tuple[str, ...] = ()) -> Path:
    (folder / "risks").mkdir(parents=True, exist_ok=True)
    (folder / "register.yaml").write_text(REGISTER.format(id=register_id, tolerance=tolerance), encoding="utf-8")
    for number, risk_id in enumerate(risks, start=1):
        (folder / "risks" / f"R{number}.yaml").write_text(RISK.format(id=risk_id), encoding="utf-8")
    return folder


@pytest.fixture
def nested(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``register.yaml`` (tolerance 12) at the top, ``registers/register.yaml`` (tolerance 6)."""
    write_register(tmp_path, "TOP", 12)
    (tmp_path / "risks").rmdir()
    write_register(tmp_path / "registers", "NESTED", 6, ("BAF01",))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BAFCTL_TODAY", AS_OF)
    return tmp_path


def chain(top: Path, levels: int) -> Path:
    """``top/d/d/.../d`` (``levels`` folders below ``top``), made one folder at a time.

    ``os.makedirs`` and ``shutil.rmtree`` both recurse once per level: neither can make
    nor remove a tree this deep.
    """
    folder = top
    folder.mkdir(parents=True, exist_ok=True)
    for _ in range(levels):
        folder = folder / "d"
        folder.mkdir()
    return folder


def remove_chain(top: Path) -> None:
    """Remove a chain from the top down, lifting the rest one level each time (short paths)."""
    lifted = top.with_name(top.name + ".lifted")
    while True:
        for entry in top.iterdir():
            if entry.name != "d":
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
        below = top / "d"
        if not below.is_dir():
            top.rmdir()
            return
        below.rename(lifted)
        top.rmdir()
        lifted.rename(top)


@pytest.fixture
def chains() -> Iterator[list[Path]]:
    """Deep chains to remove by hand afterwards (pytest's own clean-up would recurse)."""
    made: list[Path] = []
    yield made
    for top in made:
        if top.exists():
            remove_chain(top)


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert not isinstance(result.exception, RecursionError), result.exception
    return result.exit_code, result.stdout, result.stderr


def deep_folder(top: str, levels: int = disk.MAX_FOLDER_DEPTH) -> str:
    """The first folder too deep to read: ``levels + 1`` below the register's folder."""
    return top + "/d" * levels


# ---------------------------------------------------------------------------
# #11: one ownership rule
# ---------------------------------------------------------------------------


def test_check_registers_and_check_dot_registers_agree(nested: Path, runner: CliRunner) -> None:
    """issue 11 #11: `check . registers` let the top register.yaml (tolerance 12) own
    registers/risks/R1.yaml ("." sorted level with "registers"), dropping the breach of 6."""
    outputs = []
    for args in (["registers"], [".", "registers"], ["registers", "."], ["registers/risks/R1.yaml", "."]):
        code, stdout, _ = invoke(runner, "check", *args)
        assert code == 0, stdout
        assert BREACH_AT_6 in stdout
        assert "tolerance 12" not in stdout
        outputs.append([line for line in stdout.splitlines() if line.startswith("registers/")])
    assert all(lines == outputs[0] for lines in outputs)


def test_breaches_lists_the_risk_against_its_own_register(nested: Path, runner: CliRunner) -> None:
    """issue 11 #11: `breaches . registers --format json` listed no risk at all."""
    reports = []
    for args in (["registers"], [".", "registers"]):
        code, stdout, stderr = invoke(runner, "breaches", *args, "--format", "json")
        assert code == 1, stderr
        report = json.loads(stdout)
        assert [(r["risk_id"], r["register"], r["tolerance"], r["over_by"]) for r in report["risks"]] == [
            ("BAF01", "NESTED", 6, 3)
        ]
        reports.append(report)
    assert reports[0] == reports[1]


def test_rescore_checks_the_register_that_owns_the_file(nested: Path, runner: CliRunner) -> None:
    """issue 11 #11: rescore took the top register.yaml for the nested register's, so an
    error there refused a rescore it does not govern (and --all skipped the nested files)."""
    top = nested / "register.yaml"
    top.write_text(top.read_text(encoding="utf-8").replace("tolerance: 12", "tolerance: twelve"), encoding="utf-8")
    code, stdout, stderr = invoke(runner, "rescore", "BAF01", "--current", "3x2", "--dry-run", ".", "registers")
    assert code == 0, stdout + stderr
    assert "+  current: {consequence: 3, likelihood: 2}" in stdout
    plans, refusals = plan_rescore_all(read_files([Path(), Path("registers")], nested))
    assert [plan.path for plan in plans] == ["registers/risks/R1.yaml"]
    assert [refusal.path for refusal in refusals] == ["register.yaml"]


def test_registers_outside_the_working_folder_are_owned_by_absolute_path(tmp_path: Path) -> None:
    """issue 11 #11: registers outside cwd are keyed by absolute paths; a nested one there
    still owns its files (and "." never owns an absolute path)."""
    outer = write_register(tmp_path / "elsewhere", "OUTER", 12, ("OUT01",))
    write_register(outer / "inner", "INNER", 6, ("IN01",))
    cwd = tmp_path / "work"
    write_register(cwd, "HERE", 12, ("HERE01",))
    files, findings = scan_files([Path(), outer, outer / "inner"], cwd)
    assert findings == []
    assert f"{outer.as_posix()}/inner/risks/R1.yaml" in files
    workspace = load_workspace(files)
    owned = {lr.risk_id: reg.id for reg, lr in workspace.risks()}
    assert owned == {"HERE01": "HERE", "OUT01": "OUTER", "IN01": "INNER"}
    assert [reg.root for reg in workspace.registers] == sorted([".", outer.as_posix(), f"{outer.as_posix()}/inner"])


@pytest.mark.parametrize(
    ("path", "folders", "owner"),
    [
        ("registers/risks/a.yaml", [".", "registers"], "registers"),
        ("registers/risks/a.yaml", ["registers", "."], "registers"),
        ("risks/a.yaml", [".", "registers"], "."),
        ("a.yaml", ["."], "."),
        ("registers/register.yaml", [".", "registers"], "registers"),
        ("reg2/risks/a.yaml", ["reg"], None),
        ("reg/risks/a.yaml", ["reg2"], None),
        ("reg2/risks/a.yaml", ["reg", "reg2"], "reg2"),
        ("reg/risks/a.yaml", ["reg", "reg2"], "reg"),
        ("registers-old/a.yaml", ["registers"], None),
        ("a/b/c/d.yaml", ["a", "a/b/c", "a/b"], "a/b/c"),
        ("/srv/baf/reg/risks/a.yaml", [".", "/srv/baf"], "/srv/baf"),
        ("/srv/baf/reg/risks/a.yaml", ["/srv/baf", "/srv/baf/reg", "."], "/srv/baf/reg"),
        ("/srv/baf2/a.yaml", ["/srv/baf"], None),
        ("/a.yaml", ["."], None),
        ("a.yaml", ["/"], None),
        ("/a.yaml", ["/"], "/"),
        ("reg/a.yaml", ["reg/"], "reg/"),
        ("a.yaml", [], None),
    ],
)
def test_owner_of(path: str, folders: list[str], owner: str | None) -> None:
    """issue 11 #11: the one ownership rule, with ".", absolute paths and sibling prefixes."""
    assert owner_of(path, folders) == owner
    assert owners(folders)(path) == owner
    # deepest_first + is_inside (the git reader's form) gives the same answer.
    assert next((f for f in deepest_first(folders) if is_inside(path, f)), None) == owner


def test_the_small_layout_helpers() -> None:
    """issue 11 #11: "." is the shallowest folder whatever its name sorts as."""
    assert deepest_first([".", "registers", "a/b", "registers"]) == ["a/b", "registers", "."]
    assert deepest_first(["/srv", ".", "/srv/baf"]) == ["/srv/baf", "/srv", "."]
    assert settings_path(".") == "register.yaml"
    assert settings_path("reg") == "reg/register.yaml"
    assert settings_path("/srv/reg") == "/srv/reg/register.yaml"
    for folder in (".", "reg", "a/b", "/srv/reg", "/"):
        assert register_folder(settings_path(folder)) == folder
    assert register_folders(["register.yaml", "r/register.yaml", "r/risks/a.yaml", "x/register.yml"]) == [".", "r"]


NAMES = st.sampled_from(["a", "b", "r", "reg", "reg2", "registers"])


@st.composite
def posix_paths(draw: st.DrawFn, *, min_parts: int) -> str:
    parts = draw(st.lists(NAMES, min_size=min_parts, max_size=4))
    absolute = draw(st.booleans())
    if absolute:
        return "/" + "/".join(parts)
    return "/".join(parts) or "."


def brute_force_owner(path: str, folders: list[str]) -> str | None:
    """The longest folder containing ``path``, by comparing parts (no string prefixes)."""
    path_parts = PurePosixPath(path).parts
    containing = [f for f in folders if path_parts[: len(PurePosixPath(f).parts)] == PurePosixPath(f).parts]
    containing = [f for f in containing if f != "." or not path.startswith("/")]
    return max(containing, key=lambda f: len(PurePosixPath(f).parts), default=None)


@given(posix_paths(min_parts=1), st.lists(posix_paths(min_parts=0), max_size=6, unique=True))
def test_owner_of_is_the_longest_containing_folder(path: str, folders: list[str]) -> None:
    """issue 11 #11: owner_of agrees with a brute-force definition of "deepest above"."""
    assert owner_of(path, folders) == brute_force_owner(path, folders)
    assert next((f for f in deepest_first(folders) if is_inside(path, f)), None) == brute_force_owner(path, folders)


# ---------------------------------------------------------------------------
# #9: deep folder trees
# ---------------------------------------------------------------------------


def test_a_tree_1000_levels_deep_inside_a_register(nested: Path, runner: CliRunner, chains: list[Path]) -> None:
    """issue 11 #9: a 1,000-level tree in a register gave RecursionError, exit 3."""
    chains.append(nested / "registers" / "risks" / "d")
    chain(nested / "registers" / "risks", DEEP)
    for args in (["registers"], [".", "registers"], ["registers/risks/R1.yaml"]):
        code, stdout, stderr = invoke(runner, "check", *args)
        assert code == 1, stdout + stderr
        assert BREACH_AT_6 in stdout
        too_deep = deep_folder("registers/risks")  # registers/risks is level 1
        assert f"{too_deep}:1:1: error: folder nested more than 64 levels deep" in stdout
        assert stdout.count("(folder-too-deep)") == 1


def test_a_tree_1000_levels_deep_above_a_register(tmp_path: Path, runner: CliRunner, chains: list[Path]) -> None:
    """issue 11 #9: a 1,000-level tree beside the registers searched, and a register at its
    bottom named directly: findings or a clear refusal, never exit 3."""
    write_register(tmp_path / "registers" / "trust", "TRUST", 12, ("BAF01",))
    chains.append(tmp_path / "deep")
    bottom = chain(tmp_path / "deep", DEEP)
    write_register(bottom / "reg", "DEEP", 6, ("BAF02",))
    os.chdir(tmp_path)
    try:
        code, stdout, stderr = invoke(runner, "check", ".")
        assert code == 1, stdout + stderr
        assert "registers/trust/risks/R1.yaml" in stdout
        assert f"{deep_folder('deep')}:1:1: error: folder nested more than 64 levels deep" in stdout
        # The register at the bottom, named by its own (2,000-character) path, loads.
        named = (bottom / "reg").relative_to(tmp_path).as_posix()
        code, stdout, stderr = invoke(runner, "check", named)
        assert code == 0, stdout + stderr
        assert f"{named}/risks/R1.yaml:12:3: warning: risk BAF02: current score 3x3=9 is above tolerance 6" in stdout
        # Searching only the deep tree finds no register within reach and says why.
        code, _, stderr = invoke(runner, "check", "deep")
        assert code == 2
        assert "not inside a register" in stderr
        assert f"not searched, such as {deep_folder('deep')}" in stderr
    finally:
        os.chdir(Path(__file__).parent)


def test_the_depth_limit_is_exact(tmp_path: Path, chains: list[Path]) -> None:
    """issue 11 #9: files 64 folders below the register are read; the 65th folder is reported."""
    reg = write_register(tmp_path / "reg", "REG", 12)
    chains.append(reg / "risks" / "d")
    last = chain(reg / "risks", disk.MAX_FOLDER_DEPTH - 1)  # reg/risks is level 1
    (last / "deepest.yaml").write_text(RISK.format(id="BAF09"), encoding="utf-8")
    (last / "d").mkdir()
    (last / "d" / "lost.yaml").write_text(RISK.format(id="BAF10"), encoding="utf-8")
    files, findings = scan_files([reg], tmp_path)
    assert sorted(files) == ["reg/register.yaml", (last / "deepest.yaml").relative_to(tmp_path).as_posix()]
    assert [(f.path, f.line, f.col, f.rule) for f in findings] == [
        ((last / "d").relative_to(tmp_path).as_posix(), 1, 1, "folder-too-deep")
    ]
    assert findings[0].hint


def _os_walk_files(root: Path) -> list[Path]:
    """What the register walk returned before issue 11 (recursive ``os.walk``)."""
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        if here != root and "register.yaml" in filenames:
            dirnames[:] = []
            continue
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith(".") and not (here / d).is_symlink()
        )
        files += [
            here / n
            for n in sorted(filenames)
            if n.endswith((".yaml", ".yml")) and not n.startswith(".") and not (here / n).is_symlink()
        ]
    return files


def test_the_iterative_walk_keeps_the_order_of_os_walk(tmp_path: Path) -> None:
    """issue 11 #9: the walk without recursion reads the same files in the same order."""
    root = write_register(tmp_path / "reg", "REG", 12, ("A1", "A2"))
    for folder in ("b/c", "b/a", "a", "A", "z/y/x", "node_modules/n", ".hidden", "nested/risks", "b-c", "b.c"):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for name in ("2.yaml", "10.yml", "a.yaml", ".h.yaml", "n.txt"):
            (root / folder / name).write_text("id: X\n", encoding="utf-8")
    (root / "nested" / "register.yaml").write_text("x: 1\n", encoding="utf-8")
    (root / "linked").symlink_to(root / "b")
    (root / "a" / "link.yaml").symlink_to(root / "a" / "a.yaml")
    skipped: list[Path] = []
    assert disk._register_files(root, skipped) == _os_walk_files(root)
    assert sorted(skipped) == [root / "a" / "link.yaml", root / "linked"]
    assert disk._walk_registers(tmp_path) == [root, root / "nested"]


# ---------------------------------------------------------------------------
# #5/#8: special files where register files should be
# ---------------------------------------------------------------------------


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """bafctl in a process of its own, so that a hang fails the test instead of stalling it."""
    env = {**os.environ, "BAFCTL_TODAY": AS_OF}
    return subprocess.run(
        [sys.executable, "-m", "bafctl", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_as_a_risk_file(tmp_path: Path) -> None:
    """issue 11 #5/#8: a FIFO named risks/x.yaml is reported, never opened for a blocking read."""
    write_register(tmp_path / "registers", "NESTED", 6, ("BAF01",))
    os.mkfifo(tmp_path / "registers" / "risks" / "x.yaml")
    done = run_cli(tmp_path, "check", "registers")
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        "registers/risks/x.yaml:1:1: error: cannot read the file: not a regular file (file-unreadable)" in done.stdout
    )
    assert BREACH_AT_6 in done.stdout
    done = run_cli(tmp_path, "rescore", "BAF01", "--current", "3x2", "--dry-run", "registers")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_register_yaml(tmp_path: Path) -> None:
    """issue 11 #5/#8: a FIFO named register.yaml still marks a register (as the folder walk
    sees it) and is reported, never read."""
    reg = write_register(tmp_path / "registers", "NESTED", 6, ("BAF01",))
    (reg / "register.yaml").unlink()
    os.mkfifo(reg / "register.yaml")
    for args in (["registers"], ["registers/risks/R1.yaml"], []):
        done = run_cli(tmp_path, "check", *args)
        assert done.returncode == 1, done.stdout + done.stderr
        assert (
            "registers/register.yaml:1:1: error: cannot read the file: not a regular file (file-unreadable)"
            in done.stdout
        )
        assert "registers/risks/R1.yaml:1:1: error: not inside a register" in done.stdout


def test_diff_over_a_tree_1000_levels_deep(nested: Path, runner: CliRunner, chains: list[Path]) -> None:
    """issue 11 #9 (git): the working tree's changed/clean stamp walked the disk with `os.walk`."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.invalid"}
    env |= {"GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "Board"]):
        subprocess.run(["git", *args], cwd=nested, check=True, env=env, capture_output=True)
    chains.append(nested / "deep")
    chain(nested / "deep", DEEP)
    code, stdout, stderr = invoke(runner, "diff", "HEAD")
    assert code == 0, stdout + stderr
    assert "internal error" not in stderr
