"""Properties of the one loader over mutated risk files (docs/reliability.md R6, T5).

Valid risk files are mutated the way hand edits and pastes go wrong (a flipped byte, a
deleted or doubled line, an indentation slip, a character from the pitfall alphabet:
``: ``, `` #``, a tab, quotes, ``&``, ``*``, ``!``, ``%``, brackets, a non-breaking space,
a BOM, a lone CR, digits...). Whatever comes out must be either a loaded risk or findings
that each carry a position inside the file, one line of text, and never an exception.

Sized for CI (3 000 examples in all, well under a minute); ``BAFCTL_TEST_SCALE`` scales
it for nightly runs. Reproducible: derandomised, no example database.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bafctl import yamlio
from bafctl.export import export_document
from bafctl.jsonout import dump_json
from bafctl.loader import load_workspace
from conftest import REGISTERS, SCALE

CORPUS_BASE = Path(__file__).resolve().parent / "corpus" / "_base"
REGISTER = "reg/register.yaml"
TARGET = "reg/mutant.yaml"


def _seeds() -> list[tuple[bytes, bytes]]:
    """(register.yaml, risk file) pairs of valid files to mutate."""
    seeds = [((CORPUS_BASE / "register.yaml").read_bytes(), (CORPUS_BASE / "BAF01.yaml").read_bytes())]
    group = REGISTERS / "group-baf"
    if (group / "register.yaml").is_file():
        register = (group / "register.yaml").read_bytes()
        seeds += [(register, risk.read_bytes()) for risk in sorted((group / "risks").glob("*.yaml"))]
    return seeds


SEEDS = _seeds()

#: What hand edits and pastes from Word insert (docs/reliability.md section 2).
PITFALLS = [
    ": ",
    " #",
    "#",
    "\t",
    "'",
    '"',
    "''",
    "&a ",
    "*a",
    "!",
    "!!str ",
    "%",
    "%YAML 1.1\n",
    "[",
    "]",
    "{",
    "}",
    ",",
    "- ",
    "? ",
    "|",
    ">",
    "\\",
    "\\n",
    '"C:\\new"',
    "\u00a0",
    "\ufeff",
    "\r",
    "\r\n",
    "\n",
    "\x00",
    "\x85",
    "\u2028",
    "\u200b",
    "\u202e",
    "---\n",
    "...\n",
    "~",
    "<<: ",
    "0",
    "1",
    "7",
    "9",
    "010",
    "1.10",
    "1e3",
    "1_000",
    "\uff13",
    "yes",
    "NO",
    "null",
    "2026-02-30",
    "15/01/2026",
    "12:30",
    "é",
    "“",
    "\ud83d\ude00",
]


@st.composite
def mutants(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """A seed's register and one of its risk files with one to four mutations."""
    register, data = SEEDS[draw(st.integers(0, len(SEEDS) - 1))]
    for _ in range(draw(st.integers(1, 4))):
        lines = data.split(b"\n")
        kind = draw(st.sampled_from(["flip", "delete", "duplicate", "indent", "insert", "swap", "truncate"]))
        if kind == "flip" and data:
            at = draw(st.integers(0, len(data) - 1))
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
        elif kind == "delete" and len(lines) > 1:
            del lines[draw(st.integers(0, len(lines) - 1))]
            data = b"\n".join(lines)
        elif kind == "duplicate":
            at = draw(st.integers(0, len(lines) - 1))
            lines.insert(at, lines[at])
            data = b"\n".join(lines)
        elif kind == "indent":
            at = draw(st.integers(0, len(lines) - 1))
            shift = draw(st.integers(-4, 4))
            lines[at] = b" " * shift + lines[at] if shift >= 0 else lines[at][min(-shift, len(lines[at])) :]
            data = b"\n".join(lines)
        elif kind == "insert":
            at = draw(st.integers(0, len(data)))
            data = data[:at] + draw(st.sampled_from(PITFALLS)).encode("utf-8", "surrogatepass") + data[at:]
        elif kind == "swap" and len(lines) > 1:
            first, second = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[first], lines[second] = lines[second], lines[first]
            data = b"\n".join(lines)
        elif kind == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
    return register, data


def _assert_positioned(data: bytes, register: bytes) -> None:
    """Load the mutant; every finding must be positioned inside its file, on one line."""
    workspace = load_workspace({REGISTER: register, TARGET: data})
    lines = {TARGET: data.split(b"\n"), REGISTER: register.split(b"\n")}
    for finding in workspace.findings:
        assert finding.path in lines, finding
        file_lines = lines[finding.path]
        assert 1 <= finding.line <= len(file_lines), finding
        # Columns count characters, which are never more than the line's bytes.
        assert 1 <= finding.col <= len(file_lines[finding.line - 1]) + 1, finding
        assert finding.rule and finding.message, finding
        for text in (finding.message, finding.hint or ""):
            assert "\n" not in text and "\r" not in text, finding
    loaded = [lr for _, lr in workspace.risks() if lr.path == TARGET]
    errors = [f for f in workspace.findings if f.path == TARGET and f.level.value == "error"]
    assert loaded or errors, "a file that did not load must say why"
    if not workspace.has_errors:
        # Accepted data must export: no NaN, no lone surrogate, nothing JSON cannot hold (R21).
        dump_json(export_document(workspace, dt.date(2026, 2, 1))).encode("utf-8")


@settings(
    max_examples=2000 * SCALE,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutants())
def test_mutants_load_or_report_positions(mutant: tuple[bytes, bytes]) -> None:
    register, data = mutant
    _assert_positioned(data, register)


@pytest.mark.skipif(yamlio.DEFAULT_PARSER != "c", reason="ruamel.yaml.clib is not installed")
@settings(
    max_examples=1000 * SCALE,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutants())
def test_parsers_agree_on_mutants(mutant: tuple[bytes, bytes]) -> None:
    """libyaml and the pure parser: the same decision, the same values at the same positions (R1).

    On rejected mutants the two may spot a *syntax* error at different tokens (each
    parser's own error recovery); every problem bafctl raises itself (pre-checks,
    anchors, duplicates, escapes, values) is at the same place in both. The corpus test
    (tests/test_bad_inputs.py) holds both to the same position on every case.
    """
    _, data = mutant
    c_parsed = yamlio.parse_yaml(data, parser="c")
    pure_parsed = yamlio.parse_yaml(data, parser="pure")
    assert c_parsed.ok == pure_parsed.ok
    if c_parsed.ok:
        assert c_parsed.value == pure_parsed.value
        assert c_parsed.source == pure_parsed.source
        assert c_parsed.warnings == pure_parsed.warnings
        return
    first_c, first_pure = c_parsed.problems[0], pure_parsed.problems[0]
    if "yaml-syntax" not in (first_c.rule, first_pure.rule):
        assert (first_c.line, first_c.col, first_c.rule) == (first_pure.line, first_pure.col, first_pure.rule)
