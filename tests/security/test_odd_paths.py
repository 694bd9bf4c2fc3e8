"""File names no output may be split or corrupted by (issue 11 #5, #6).

A risk file may be called anything git and the file system allow: a newline in its name
used to split the `check` record in two (the second half could pass for a CI command),
and a name that is not UTF-8 (a lone surrogate after os.fsdecode) made the output
invalid UTF-8 or crashed it. Every `check --format` must stay valid UTF-8, keep each
record on its line, and show the name escaped (``\\n``, ``\\xff``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bafctl.escaping import display_path, log_safe, terminal
from bafctl.jsonout import dump_json, dump_json_chunks
from conftest import GROUP_BAF

NEWLINE_NAME = "risk\n::error file=README.md,line=2::FORGED.yaml"
NEWLINE_SHOWN = "risk\\n::error file=README.md,line=2::FORGED.yaml"
BYTES_NAME = b"risk-\xff.yaml"
BYTES_SHOWN = "risk-\\xff.yaml"
FORMATS = ["text", "parsable", "github", "json", "sarif", "junit"]


@pytest.fixture
def odd_register(tmp_path: Path) -> Path:
    """The Group BAF register with two risk files renamed oddly, each with a schema error."""
    root = tmp_path / "group-baf"
    shutil.copytree(GROUP_BAF, root)
    risks = root / "risks"
    for old, new in (("GROUP-BAF-1.yaml", os.fsencode(NEWLINE_NAME)), ("GROUP-BAF-2.yaml", BYTES_NAME)):
        target = risks / os.fsdecode(new)  # the name's very bytes, via surrogateescape
        (risks / old).rename(target)
        with target.open("ab") as handle:
            handle.write(b"bogus_field: 1\n")  # a finding at this path
    assert BYTES_NAME in {os.fsencode(entry.name) for entry in risks.iterdir()}
    return root


def run_check(register: Path, output_format: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bafctl", "check", register.name, "--format", output_format, "--as-of", "2026-01-29"],
        cwd=register.parent,
        capture_output=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize("output_format", FORMATS)
def test_every_check_format_is_utf8_one_record_per_line_with_the_name_escaped(
    odd_register: Path, output_format: str
) -> None:
    """issue 11 #5, #6: a newline or a non-UTF-8 byte in a file name splits or corrupts `check` output."""
    done = run_check(odd_register, output_format)
    assert done.returncode == 1, done.stderr
    assert b"Traceback" not in done.stderr
    text = done.stdout.decode("utf-8")  # strict: the output is valid UTF-8
    lines = text.splitlines()
    assert not any(line.lstrip().startswith("::error file=README.md") for line in lines)
    assert "FORGED" in text
    for shown in (NEWLINE_SHOWN, BYTES_SHOWN):
        if output_format == "json":
            paths = [f["path"] for f in json.loads(text)["findings"]]
            assert f"group-baf/risks/{shown}" in paths
        elif output_format == "sarif":
            uris = {
                loc["physicalLocation"]["artifactLocation"]["uri"]
                for result in json.loads(text)["runs"][0]["results"]
                for loc in result["locations"]
            }
            assert "group-baf/risks/risk-%FF.yaml" in uris  # the real bytes, percent-encoded
            assert "group-baf/risks/risk%0A%3A%3Aerror%20file%3DREADME.md%2Cline%3D2%3A%3AFORGED.yaml" in uris
        elif output_format == "junit":
            names = {suite.get("name") for suite in ET.fromstring(text).iter("testsuite")}
            assert f"group-baf/risks/{shown}" in names
        elif output_format == "github":
            # the path is a property: its ":" and "," are escaped as well
            record = [line for line in lines if "bogus_field" in line and shown[:6] in line]
            assert len(record) == 1 and record[0].startswith("::error file=group-baf/risks/risk")
        else:
            record = [line for line in lines if f"group-baf/risks/{shown}:" in line]
            assert len(record) == 1, lines
            assert record[0].startswith(f"group-baf/risks/{shown}:")
            assert "unknown key `bogus_field`" in record[0]


def test_the_loader_keeps_the_real_path(odd_register: Path) -> None:
    """issue 11 #6: only the display escapes a file name; the loaded file keeps its real path."""
    from bafctl.loader import load_paths

    workspace = load_paths([odd_register])
    real = {Path(f).name for f in workspace.files}
    assert os.fsdecode(BYTES_NAME) in real
    assert NEWLINE_NAME in real


def test_display_path_escapes_controls_bidi_and_undecodable_bytes() -> None:
    """issue 11 #5, #6: one function shows every path: one line, valid UTF-8, never a command."""
    assert display_path(os.fsdecode(b"a/risk-\xff\xfe.yaml")) == "a/risk-\\xff\\xfe.yaml"
    assert display_path("a\nb\rc\td\x1be\x7f\x9bf\u202eg") == "a\\nb\\rc\\td\\x1be\\x7f\\x9bf\\u202eg"
    assert display_path("::error x::y.yaml") == "./::error x::y.yaml"
    assert display_path(" ::x.yaml") == "./ ::x.yaml"
    assert display_path(Path("registers/group-baf/risks/GROUP-BAF-1.yaml")) == (
        "registers/group-baf/risks/GROUP-BAF-1.yaml"
    )
    display_path(os.fsdecode(bytes(range(1, 256)))).encode("utf-8")  # never raises


def test_terminal_and_json_never_emit_lone_surrogates() -> None:
    """issue 11 #6: a surrogate from os.fsdecode made json.dumps(ensure_ascii=False) output invalid UTF-8."""
    name = os.fsdecode(b"risk-\xff.yaml")
    assert terminal(name) == "risk-\\xff.yaml"
    text = dump_json({"path": name, "other": "\ud800"})
    text.encode("utf-8")
    assert json.loads(text) == {"path": "risk-\\xff.yaml", "other": "\ufffd"}
    assert "".join(dump_json_chunks({"path": name}, size=1)) == dump_json({"path": name})


def test_log_safe_defuses_both_kinds_of_workflow_command() -> None:
    """issue 11 #4: `::cmd::` at a line start (after spaces) and `##[cmd]` anywhere are GitHub commands."""
    assert log_safe("a\n  ::error::x\r::warning::y") == "a\n  \\::error::x\r\\::warning::y"
    assert log_safe("say ##[error]boom") == "say ##[\\error]boom"
    assert log_safe(log_safe("##[error] ::x")) == "##[\\error] ::x"
    assert log_safe("mid ::error::x") == "mid ::error::x"
