"""Compare what two revisions of bafctl print, byte for byte, on the same inputs.

A refactoring must change no behaviour: run every command on the bundled register, the
bad-input corpus, a generated register and a two-meeting git history with bafctl as it
was at ``--base`` and as it is now (the working tree, or ``--head REV``), and list every
case whose stdout, stderr or exit code differs::

    python benchmarks/compare_outputs.py --base ec70c0d
    python benchmarks/compare_outputs.py --base v0.1.0 --head HEAD --show 3

Each revision runs from its own ``git worktree`` (``PYTHONPATH=<tree>/src``) in the
current Python environment, on one shared copy of the inputs, with the cache off and
``BAFCTL_TODAY`` fixed, so the only difference between the runs is bafctl's code.
Exit status: 0 when every case matches, 1 when any differs, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import generate  # noqa: E402 - the benchmark's own generator, beside this file

AS_OF = "2026-01-31"


@dataclass(frozen=True)
class Case:
    """One command line, run in ``cwd`` (relative to the inputs folder)."""

    name: str
    args: tuple[str, ...]
    cwd: str = "."


@dataclass(frozen=True)
class Result:
    code: int
    stdout: bytes
    stderr: bytes


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    env.update(
        GIT_AUTHOR_NAME="Risk Officer",
        GIT_AUTHOR_EMAIL="risk.officer@example.invalid",
        GIT_COMMITTER_NAME="Risk Officer",
        GIT_COMMITTER_EMAIL="risk.officer@example.invalid",
        GIT_AUTHOR_DATE="2026-01-19T09:00:00+00:00",
        GIT_COMMITTER_DATE="2026-01-19T09:00:00+00:00",
    )
    done = subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True, env=env)
    return done.stdout.decode()


def build_inputs(root: Path) -> None:
    """The inputs every revision is run on, written once under ``root``."""
    # The bundled register, in a repository with the September 2025 board as its first commit.
    history = root / "history"
    (history / "registers").mkdir(parents=True)
    _git(history, "init", "-q", "-b", "main")
    shutil.copytree(REPO / "tests" / "fixtures" / "group-baf-2025-09", history / "registers" / "group-baf")
    _git(history, "add", "-A")
    _git(history, "commit", "-q", "-m", "Board 2025-09")
    _git(history, "tag", "board-2025-09")
    shutil.rmtree(history / "registers" / "group-baf")
    shutil.copytree(REPO / "registers" / "group-baf", history / "registers" / "group-baf")
    _git(history, "add", "-A")
    _git(history, "commit", "-q", "-m", "Board 2026-01")
    _git(history, "tag", "board-2026-01")
    # A generated register of 60 BAF-sized risks.
    generate.write_register(root / "generated", 60, "baf")
    # The bad-input corpus: each file in a register of its own.
    corpus = REPO / "tests" / "corpus"
    for case in sorted(corpus.glob("*.yaml")):
        folder = root / "corpus" / case.stem
        folder.mkdir(parents=True)
        for base in sorted((corpus / "_base").glob("*.yaml")):
            shutil.copy2(base, folder / base.name)
        shutil.copy2(case, folder / case.name)


def cases(root: Path) -> Iterator[Case]:
    """Every command line compared."""
    reg = "registers/group-baf"
    for where in ("history", "generated"):
        target = reg if where == "history" else "."
        for fmt in ("text", "json", "parsable", "github", "sarif", "junit"):
            yield Case(f"{where}: check --format {fmt}", ("check", target, "--format", fmt), where)
        for fmt in ("text", "markdown", "csv", "json", "html"):
            yield Case(f"{where}: summary --format {fmt}", ("summary", target, "--format", fmt), where)
        yield Case(f"{where}: breaches", ("breaches", target), where)
        yield Case(f"{where}: breaches --format json", ("breaches", target, "--format", "json"), where)
        for fmt in ("json", "text"):
            yield Case(f"{where}: export --format {fmt}", ("export", target, "--format", fmt), where)
        yield Case(f"{where}: breaches --format markdown", ("breaches", target, "--format", "markdown"), where)
        yield Case(f"{where}: report html", ("report", target, "--format", "html", "-o", "-"), where)
    yield Case("history: check --as-of 2026-02-01", ("check", reg, "--as-of", "2026-02-01"), "history")
    yield Case("history: diff board tags", ("diff", "board-2025-09", "board-2026-01"), "history")
    yield Case("history: diff --format json", ("diff", "board-2025-09", "board-2026-01", "--format", "json"), "history")
    yield Case(
        "history: diff --format markdown", ("diff", "board-2025-09", "board-2026-01", "--format", "markdown"), "history"
    )
    yield Case("history: diff working tree", ("diff", "board-2025-09"), "history")
    yield Case("history: history BAF 1", ("history", "GROUP-BAF-1"), "history")
    yield Case("history: history --format json", ("history", "GROUP-BAF-3", "--format", "json"), "history")
    yield Case("history: history --format csv", ("history", "GROUP-BAF-2", "--format", "csv"), "history")
    yield Case(
        "history: rescore --check", ("rescore", "GROUP-BAF-DRAFT", reg, "--current", "4x4", "--check"), "history"
    )
    yield Case("history: bad revision", ("diff", "--output=x"), "history")
    yield Case("schema risk", ("schema", "risk"))
    for folder in sorted((root / "corpus").iterdir()):
        yield Case(f"corpus: {folder.name}", ("check", f"corpus/{folder.name}", "--format", "parsable"))


def run(tree: Path, root: Path, case: Case) -> Result:
    """Run ``case`` with bafctl from ``tree`` (a checkout) on the inputs under ``root``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BAFCTL_", "GIT_"))}
    env.update(
        PYTHONPATH=str(tree / "src"),
        BAFCTL_TODAY=AS_OF,
        BAFCTL_NO_CACHE="1",
        COLUMNS="120",
        NO_COLOR="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
    )
    done = subprocess.run(
        [sys.executable, "-m", "bafctl", *case.args],
        cwd=root / case.cwd,
        env=env,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def _diff(name: str, old: bytes, new: bytes) -> str:
    lines = difflib.unified_diff(
        old.decode("utf-8", "replace").splitlines(),
        new.decode("utf-8", "replace").splitlines(),
        f"base {name}",
        f"head {name}",
        lineterm="",
        n=1,
    )
    return "\n".join(list(lines)[:40])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the revision to compare against")
    parser.add_argument("--head", help="a revision to compare (default: the working tree)")
    parser.add_argument("--show", type=int, default=10, help="how many differing cases to show in full")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bafctl-compare-") as temp:
        work = Path(temp)
        trees: list[Path] = []
        for label, rev in (("base", args.base), ("head", args.head)):
            if rev is None:
                trees.append(REPO)
                continue
            tree = work / label
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "add", "-q", "--detach", str(tree), rev],
                check=True,
            )
            trees.append(tree)
        try:
            root = work / "inputs"
            root.mkdir()
            build_inputs(root)
            differing: list[str] = []
            total = 0
            for case in cases(root):
                total += 1
                old, new = run(trees[0], root, case), run(trees[1], root, case)
                if old == new:
                    continue
                differing.append(case.name)
                if len(differing) <= args.show:
                    print(f"DIFFERS {case.name}: exit {old.code} -> {new.code}")
                    for stream in ("stdout", "stderr"):
                        before, after = getattr(old, stream), getattr(new, stream)
                        if before != after:
                            print(_diff(stream, before, after))
        finally:
            for tree in trees:
                if tree != REPO:
                    subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False)
    print(f"{total - len(differing)} of {total} cases identical")
    for name in differing[args.show :]:
        print(f"DIFFERS {name}")
    return 1 if differing else 0


if __name__ == "__main__":
    raise SystemExit(main())
