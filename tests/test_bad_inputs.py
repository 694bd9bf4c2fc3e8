"""The bad-input corpus: one case per YAML pitfall (docs/reliability.md section 2) and per schema rule.

Every case in ``tests/corpus/cases.json`` is checked with ``bafctl check`` inside a copy of
``tests/corpus/_base`` (a valid register) and must give exactly the loader findings listed,
each as ``path:line:col: level: message (rule)``, the expected exit code, and no traceback.
The same cases prove that libyaml and the pure parser decide alike (docs/reliability.md R1) and,
in one subprocess under an address-space limit, that each is checked in under 1 s and
200 MB (issue 2 acceptance; docs/reliability.md R23, T13).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bafctl import yamlio
from bafctl.cli import app
from bafctl.loader import load_workspace

CORPUS = Path(__file__).resolve().parent / "corpus"
BASE = CORPUS / "_base"
CASES: list[dict[str, Any]] = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))["cases"]
AS_OF = "2026-02-01"
#: Findings that come from the loader (the corpus's subject); quality rules are tested elsewhere.
LOADER_RULES = frozenset(
    {"schema", "duplicate-id", "unknown-reference", "register-missing", "symlink", "file-unreadable"}
)
FINDING_LINE = re.compile(
    r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<level>error|warning|info): (?P<message>.*) "
    r"\((?P<rule>[a-z0-9-]+)\)$"
)
SUMMARY_LINE = re.compile(r"^\d+ errors?, \d+ warnings?, \d+ info in \d+ files?( \(\d+ silenced\))?$")


def _case_id(case: dict[str, Any]) -> str:
    return str(case.get("file") or case["tree"]).removesuffix(".yaml")


def _is_loader_rule(rule: str) -> bool:
    return rule.startswith("yaml-") or rule in LOADER_RULES


# ---------------------------------------------------------------------------
# Generated cases: too big to commit (docs/reliability.md 2.2)
# ---------------------------------------------------------------------------

# A small valid risk (BAF02): the 1.10 case without its last two lines.
_RISK_TEMPLATE = (
    (CORPUS / "2.1-version-number.yaml").read_text(encoding="utf-8").removesuffix("operational_risks:\n  - 1.10\n")
)


def _nested_block(levels: int) -> bytes:
    return "".join("  " * i + f"l{i}:\n" for i in range(levels)).encode() + b"  " * levels + b"end: 1\n"


def _alias_bomb() -> bytes:
    # The classic "billion laughs": 9 levels of 9 aliases each, 409 bytes.
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghi"
    for prev, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return ("\n".join(lines) + "\n").encode()


def _merge_bomb(levels: int = 25) -> bytes:
    lines = ["a0: &a0 {k: v}"]
    lines += [f"a{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}], k{i}: v}}" for i in range(1, levels + 1)]
    return ("\n".join(lines) + "\n").encode()


def generate(name: str) -> bytes:
    """The bytes of a generated corpus case."""
    if name == "ten-mb-line":
        return b"notes: " + b"x" * (10 * 1024 * 1024) + b"\n"
    if name == "brackets-100k":
        return b"notes: " + b"[" * 100_000 + b"\n"
    if name == "deep-block-1mb":
        return _nested_block(1000)
    if name == "deep-block-300":
        return _nested_block(300)
    if name == "alias-bomb":
        return _alias_bomb()
    if name == "merge-bomb":
        return _merge_bomb()
    if name == "big-list":
        return b"operational_risks:\n" + b"".join(b"  - OR-%06d-%038d\n" % (i, i) for i in range(100_000))
    if name == "big-list-under-cap":
        items = "".join(f"  - OR-{i:06d}\n" for i in range(7999))
        return (_RISK_TEMPLATE + "operational_risks:\n" + items + "  - 1.10\n").encode()
    raise KeyError(name)


def case_files(case: dict[str, Any], folder: str = "reg") -> dict[str, bytes]:
    """The files of a case as the loader sees them: POSIX path -> bytes."""
    files: dict[str, bytes] = {}
    if "tree" in case:
        tree = CORPUS / case["tree"]
        for file in sorted(tree.rglob("*.yaml")):
            files[f"{folder}/{file.relative_to(tree).as_posix()}"] = file.read_bytes()
        return files
    for file in sorted(BASE.glob("*.yaml")):
        files[f"{folder}/{file.name}"] = file.read_bytes()
    data = generate(case["generate"]) if "generate" in case else (CORPUS / case["file"]).read_bytes()
    files[f"{folder}/{case.get('as', case['file'])}"] = data
    return files


def build_case(case: dict[str, Any], root: Path) -> None:
    """Write a case's register under ``root/reg``."""
    for name, data in case_files(case).items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def expected_lines(case: dict[str, Any]) -> list[str]:
    """The expected finding lines of a case, as `bafctl check` prints them."""
    entries = case.get("expect") or [case["first"]]
    lines = []
    for entry in entries:
        if isinstance(entry[0], str):
            path, line, col, rule, message = entry
        else:
            path = case.get("as", case.get("file"))
            line, col, rule, message = entry
        level = "warning" if rule == "yaml-comment-in-value" else "error"
        lines.append(f"reg/{path}:{line}:{col}: {level}: {message} ({rule})")
    return lines


# ---------------------------------------------------------------------------
# The corpus through `bafctl check`
# ---------------------------------------------------------------------------


def test_corpus_lists_every_file_once() -> None:
    listed = [c["file"] for c in CASES if "file" in c and "generate" not in c]
    on_disk = sorted(p.name for p in CORPUS.glob("*.yaml"))
    assert sorted(listed) == on_disk
    trees = sorted(c["tree"] for c in CASES if "tree" in c)
    assert trees == sorted(f"trees/{p.name}" for p in (CORPUS / "trees").iterdir())
    assert all(c.get("pitfall") for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_corpus_case(case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner) -> None:
    build_case(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["check", "reg", "--as-of", AS_OF])
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stdout.splitlines()
    assert lines and SUMMARY_LINE.match(lines[-1]), result.stdout
    findings = [FINDING_LINE.match(line) for line in lines[:-1]]
    # Every message is exactly one line `path:line:col: level: message (rule)`.
    assert all(findings), [line for line, m in zip(lines, findings, strict=False) if m is None]
    # In bafctl's order: by path, line, column, rule.
    loader = [line for line, m in zip(lines, findings, strict=False) if m and _is_loader_rule(m["rule"])]
    expected = expected_lines(case)
    if "expect" in case:
        assert sorted(loader) == sorted(expected)
    else:
        assert loader[0] == expected[0]
    for match in findings:
        assert match is not None and int(match["line"]) >= 1 and int(match["col"]) >= 1
    assert result.exit_code == case["exit"], result.stdout
    assert result.stderr == ""


def test_json_format_gives_the_same_positions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    case = next(c for c in CASES if c.get("file") == "2.1-leading-zero.yaml")
    build_case(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["check", "reg", "--as-of", AS_OF, "--format", "json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    got = [
        [f["line"], f["col"], f["rule"]]
        for f in document["findings"]
        if f["path"] == "reg/2.1-leading-zero.yaml" and _is_loader_rule(f["rule"])
    ]
    assert got == [e[:3] for e in case["expect"]]


# ---------------------------------------------------------------------------
# libyaml and the pure parser: the same decision and position (docs/reliability.md R1, T14)
# ---------------------------------------------------------------------------


@pytest.mark.skipif(yamlio.DEFAULT_PARSER != "c", reason="ruamel.yaml.clib is not installed")
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_parsers_agree(case: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    files = case_files(case)
    seen: dict[str, list[tuple[Any, ...]]] = {}
    for parser in ("c", "pure"):
        monkeypatch.setattr(yamlio, "DEFAULT_PARSER", parser)
        workspace = load_workspace(files)
        seen[parser] = [(f.path, f.line, f.col, f.rule, f.level, f.hint) for f in workspace.findings]
    assert seen["c"] == seen["pure"]
    assert any(f[4].value == "error" for f in seen["c"]) == (case["exit"] == 1)


# ---------------------------------------------------------------------------
# Time and memory per corpus file (issue 2 acceptance: < 1 s and < 200 MB each)
# ---------------------------------------------------------------------------

_MEASURE = r"""
import json, os, resource, sys, time

limit = 1 << 30  # 1 GiB of address space: a blow-up fails here instead of swapping
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

from typer.testing import CliRunner
from bafctl.cli import app


def reset_peak():
    # Linux >= 4.0 resets VmHWM (the peak RSS) on "5"; else ru_maxrss, a running maximum,
    # bounds every file's peak from above.
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def peak_mb():
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


runner = CliRunner()
cases = json.loads(sys.argv[1])
os.chdir(cases[0][1])
runner.invoke(app, ["check", "reg", "--as-of", sys.argv[2]])  # imports and model building, once per process
results = []
for name, folder in cases:
    os.chdir(folder)
    exact = reset_peak()
    start = time.perf_counter()
    result = runner.invoke(app, ["check", "reg", "--as-of", sys.argv[2]])
    seconds = time.perf_counter() - start
    results.append(
        {
            "case": name,
            "seconds": round(seconds, 4),
            "peak_mb": round(peak_mb(), 1),
            "exact_peak": exact,
            "exit": result.exit_code,
            "traceback": "Traceback" in result.output,
        }
    )
print(json.dumps(results))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc are Linux features")
def test_each_case_takes_under_a_second_and_200_mb(tmp_path: Path) -> None:
    folders: list[tuple[str, str]] = []
    for index, case in enumerate(CASES):
        root = tmp_path / f"case{index:03d}"
        build_case(case, root)
        folders.append((_case_id(case), str(root)))
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, json.dumps(folders), AS_OF],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout.splitlines()[-1])
    assert [r["case"] for r in results] == [name for name, _ in folders]
    for case, measured in zip(CASES, results, strict=True):
        assert measured["exit"] == case["exit"], measured
        assert not measured["traceback"], measured
    slow = [r for r in results if r["seconds"] >= 1.0]
    large = [r for r in results if r["peak_mb"] >= 200]
    assert not slow, slow
    assert not large, large
