"""The one loader: strict schema, positioned messages, references across registers, path safety.

docs/reliability.md R7 (strict types, kept as unit tests so a pydantic upgrade that changes
coercion fails CI), R8 (messages and hints), R16 (file discovery never follows links).
"""

from __future__ import annotations

import gc
import os
import shutil
import time
from pathlib import Path

import pytest

from bafctl.errors import RegisterNotFoundError
from bafctl.findings import Finding, Level
from bafctl.loader import Workspace, load_paths, load_workspace, read_files, scan_files
from conftest import FIXTURES

BASE = Path(__file__).resolve().parent / "corpus" / "_base"
REGISTER = BASE.joinpath("register.yaml").read_bytes()
VALID = BASE.joinpath("BAF01.yaml").read_text(encoding="utf-8")
MULTI = FIXTURES / "multi"


def load(risk: str, register: bytes = REGISTER) -> Workspace:
    """Load one risk file (text) inside the corpus base register."""
    return load_workspace({"reg/register.yaml": register, "reg/risk.yaml": risk.encode("utf-8")})


def edit(old: str, new: str, text: str = VALID) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def errors(workspace: Workspace) -> list[tuple[int, int, str, str, str | None]]:
    return [(f.line, f.col, f.rule, f.message, f.hint) for f in workspace.findings if f.level is Level.ERROR]


def test_the_base_risk_is_valid() -> None:
    workspace = load(VALID)
    assert workspace.findings == []
    ((reg, loaded),) = workspace.risks()
    assert (reg.id, loaded.risk.id, loaded.path) == ("CORPUS", "BAF01", "reg/risk.yaml")
    assert set(workspace.files) == {"reg/register.yaml", "reg/risk.yaml"}


# ---------------------------------------------------------------------------
# Strict types (R7): what pydantic would coerce, bafctl refuses
# ---------------------------------------------------------------------------

LIKELIHOOD = "    consequence: 4\n    likelihood: 3\n"  # the current assessment of BAF01


@pytest.mark.parametrize(
    ("written", "message", "hint"),
    [
        ('"3"', "must be a whole number, got text '3'", "remove the quotes"),
        ("'3'", "must be a whole number, got text '3'", "remove the quotes"),
        ("true", "must be a whole number, got true (true/false)", "write a number"),
        ("yes", "must be a whole number, got text 'yes'", "write a number"),
        ("3.0", "must be a whole number, got the number 3.0", "write a whole number, e.g. 3"),
        ("0x3", "must be a whole number, got text '0x3'", "write a number"),
        ("", "must be a whole number, got nothing (an empty value)", None),
        ("[3]", "must be a whole number, got a list", None),
        ("6", "must be less than or equal to 5, got 6", None),
        ("-1", "must be greater than or equal to 1, got -1", None),
    ],
)
def test_scores_are_strict_integers(written: str, message: str, hint: str | None) -> None:
    workspace = load(edit(LIKELIHOOD, f"    consequence: 4\n    likelihood: {written}\n"))
    (finding,) = [f for f in workspace.findings if f.level is Level.ERROR]
    assert (finding.line, finding.rule, finding.risk_id) == (18, "schema", "BAF01")
    assert finding.message == f"assessments.current.likelihood: {message}"
    assert finding.hint == hint
    assert workspace.risks() == []


def test_a_plain_whole_number_is_a_score() -> None:
    workspace = load(edit(LIKELIHOOD, "    consequence: 4\n    likelihood: +3\n"))
    assert workspace.findings == []
    assert workspace.risks()[0][1].risk.assessments.current.computed_score == 12


@pytest.mark.parametrize(
    ("written", "message", "hint"),
    [
        ('"2026-01-15"', "must be a date, got text '2026-01-15'", "remove the quotes around the date"),
        (
            "2026-01-15T10:00:00",
            "must be a date, got text '2026-01-15T10:00:00'",
            "write dates as YYYY-MM-DD, e.g. 2026-01-15",
        ),
        ("15/1/26", "must be a date, got text '15/1/26'", "write 2026-01-15 (YYYY-MM-DD, unquoted)"),
        (
            "31.02.2026",
            "must be a date, got text '31.02.2026'",
            "write dates as YYYY-MM-DD, e.g. 2026-01-15, and check the day and month",
        ),
        ("20260115", "must be a date, got the number 20260115", "write dates as YYYY-MM-DD, e.g. 2026-01-15"),
    ],
)
def test_dates_are_iso_dates(written: str, message: str, hint: str) -> None:
    workspace = load(edit("last_updated: 2026-01-15", f"last_updated: {written}"))
    assert errors(workspace) == [(11, 15, "schema", f"last_updated: {message}", hint)]


@pytest.mark.parametrize(
    ("line", "message", "hint"),
    [
        ("id: 12", "id: must be text, got the number 12", "put the value in double quotes"),
        (
            "id: BAF 01",
            "id: is not a valid ID: text 'BAF 01'",
            "use letters, digits, '.', '_' and '-' only (no spaces), at most 40 characters",
        ),
        ("id: true", "id: must be text, got true (true/false)", "put the value in double quotes"),
    ],
)
def test_ids_are_text(line: str, message: str, hint: str) -> None:
    workspace = load(edit("id: BAF01", line))
    assert errors(workspace) == [(2, 5, "schema", message, hint)]


def test_a_quoted_number_is_a_valid_id() -> None:
    workspace = load(edit("id: BAF01", 'id: "010"'))
    assert workspace.findings == []
    assert workspace.risks()[0][1].risk.id == "010"


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ('"true"', "must be true or false, got text 'true'"),
        ("1", "must be true or false, got the number 1"),
        ("yes", "must be true or false, got text 'yes'"),
    ],
)
def test_flags_are_booleans(written: str, message: str) -> None:
    workspace = load(VALID + f"private: {written}\n")
    assert errors(workspace) == [(49, 10, "schema", f"private: {message}", "write true or false")]


def test_assurance_line_refuses_a_boolean() -> None:
    # pydantic's Literal[1, 2, 3] would take `true` as 1: the model uses a strict int.
    workspace = load(edit("      - line: 2", "      - line: true"))
    assert errors(workspace)[0][2:4] == (
        "schema",
        "causes.0.assurances.0.line: must be a whole number, got true (true/false)",
    )


def test_one_line_fields_refuse_line_breaks() -> None:
    workspace = load(edit("keyword: recruit and retain", "keyword: |\n  recruit\n  and retain"))
    assert errors(workspace) == [(4, 10, "schema", "keyword: must be on one line: remove the line break", None)]


def test_enums_name_the_choices() -> None:
    workspace = load(edit("        opinion: significant", "        opinion: Significant Assurance"))
    ((line, col, rule, message, _),) = errors(workspace)
    assert (line, col, rule) == (37, 18, "schema")
    assert message.startswith("causes.0.assurances.1.opinion: must be one of 'substantial', 'significant'")
    assert message.endswith("got text 'Significant Assurance'")


def test_every_problem_in_a_file_is_reported() -> None:
    text = edit("status: approved", "status: live")
    text = edit("last_updated: 2026-01-15", "last_updated: 15.1.2026", text)
    text = edit("    consequence: 4\n    likelihood: 4", "    consequence: 9\n    likelihood: 4", text)
    workspace = load(text)
    assert [(f[0], f[1]) for f in errors(workspace)] == [(5, 9), (11, 15), (14, 18)]


# ---------------------------------------------------------------------------
# Model validators: the finding sits on the value to change
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "position", "message"),
    [
        (
            LIKELIHOOD,
            LIKELIHOOD + "    score: 15\n",
            (19, 12),
            "assessments.current.score: stored score 15 is not consequence x likelihood = 4 x 3 = 12: "
            "run `bafctl rescore --all`",
        ),
        (
            "  level: open",
            "  level: open\n  tolerance: 20",
            (25, 14),
            "appetite.tolerance: a tolerance override needs a `reason`",
        ),
        (
            "  level: open",
            "  level: open\n  reason: board decision",
            (25, 11),
            "appetite.reason: `reason` is only for a tolerance override: add `tolerance`",
        ),
        ("status: approved", "status: merged", (5, 9), "status: a merged risk needs `merged_into`"),
        (
            "status: approved",
            "status: approved\nmerged_into: BAF02",
            (6, 14),
            "merged_into: `merged_into` is only for status `merged`",
        ),
        (
            "keyword: recruit and retain",
            "keyword: cyber",
            (4, 10),
            "keyword: keyword 'cyber' does not appear in the title",
        ),
        (
            "        status: in_progress",
            "        status: in_progress\n        completed: 2026-01-10",
            (45, 20),
            "causes.0.actions.0.completed: `completed` is set but status is 'in_progress'",
        ),
    ],
)
def test_model_validator_findings_point_at_the_key(old: str, new: str, position: tuple[int, int], message: str) -> None:
    workspace = load(edit(old, new))
    ((line, col, rule, got, _),) = errors(workspace)
    assert ((line, col), rule, got) == (position, "schema", message)


def test_register_band_problems_point_at_the_bands() -> None:
    register = REGISTER.decode() + "matrix:\n  bands:\n    - {name: All, min: 1, max: 20, colour: red}\n"
    workspace = load(VALID, register.encode())
    assert [(f.path, f.line, f.col, f.message) for f in workspace.findings] == [
        ("reg/register.yaml", 42, 5, "matrix.bands: score 25 falls in no band: bands must cover 1-25 once")
    ]


# ---------------------------------------------------------------------------
# Unknown keys: the key meant, or where it belongs
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "finding"),
    [
        ("keyword:", "keywrd:", (4, 1, "(file): unknown key `keywrd`", "did you mean `keyword`?")),
        (
            LIKELIHOOD,
            "    consequence: 4\n    likelihood: 3\n  score: 12\n",
            (
                19,
                3,
                "assessments: unknown key `score`",
                "`score` goes inside `current`, `initial` or `target`: check its indentation",
            ),
        ),
        (
            "        date: 2025-10-01\n",
            "        date: 2025-10-01\n    related_risks: [BAF02]\n",
            (
                39,
                5,
                "causes.0: unknown key `related_risks`",
                "`related_risks` belongs one level up, beside `causes`: check its indentation",
            ),
        ),
        (
            "executive_lead: dop",
            "executive_lead: dop\nowner: dop",
            (
                10,
                1,
                "(file): unknown key `owner`",
                "did you mean `executive_lead`?",  # a risk's owner, in other trusts' BAFs
            ),
        ),
    ],
)
def test_unknown_key_hints(old: str, new: str, finding: tuple[int, int, str, str]) -> None:
    workspace = load(edit(old, new))
    assert next((f.line, f.col, f.message, f.hint) for f in workspace.findings if f.level is Level.ERROR) == finding


# ---------------------------------------------------------------------------
# Messages name the risk, even in a broken file
# ---------------------------------------------------------------------------


def test_yaml_problems_name_the_risk() -> None:
    workspace = load(edit("keyword: recruit and retain", "keyword: recruit: and retain"))
    (finding,) = workspace.findings
    assert (finding.rule, finding.risk_id) == ("yaml-syntax", "BAF01")
    assert finding.full_message == (
        "risk BAF01: mapping values are not allowed here: a ': ' inside a value starts a new key "
        "(hint: put the whole value in double quotes)"
    )


def test_pre_check_problems_name_the_risk() -> None:
    workspace = load(edit("keyword: recruit and retain", "keyword: recruit\tand retain"))
    (finding,) = workspace.findings
    assert (finding.line, finding.col, finding.rule, finding.risk_id) == (4, 17, "yaml-tab", "BAF01")


def test_a_file_that_is_not_utf8_cannot_be_named() -> None:
    workspace = load_workspace({"reg/register.yaml": REGISTER, "reg/risk.yaml": VALID.encode("utf-16")})
    assert [(f.line, f.col, f.rule, f.risk_id) for f in workspace.findings] == [(1, 1, "yaml-encoding", None)]


# ---------------------------------------------------------------------------
# Several registers side by side (tests/fixtures/multi)
# ---------------------------------------------------------------------------


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.yaml"))}


def test_registers_reference_each_other() -> None:
    workspace = load_workspace(_tree(MULTI))
    assert workspace.findings == []
    assert [reg.id for reg in workspace.registers] == ["GROUP", "TRUST"]
    assert [lr.risk.id for _, lr in workspace.risks()] == ["GROUP-01", "BAF04", "BAF05"]
    group_risk = workspace.find_risk("group-01")
    assert group_risk is not None and group_risk[1].risk.related_risks == ["TRUST:BAF04", "NHFT:BAF04"]


def test_a_reference_into_a_loaded_register_is_checked() -> None:
    files = _tree(MULTI)
    files["group/risks/GROUP-01.yaml"] = files["group/risks/GROUP-01.yaml"].replace(b"TRUST:BAF04", b"TRUST:BAF99")
    files["trust/risks/BAF05.yaml"] = files["trust/risks/BAF05.yaml"].replace(b"  - BAF04", b"  - BAF06")
    workspace = load_workspace(files)
    assert [(f.path, f.line, f.col, f.rule, f.full_message) for f in workspace.findings] == [
        ("group/risks/GROUP-01.yaml", 37, 5, "unknown-reference", "risk GROUP-01: no risk 'BAF99' in register 'TRUST'"),
        ("trust/risks/BAF05.yaml", 26, 5, "unknown-reference", "risk BAF05: no risk 'BAF06' in register 'TRUST'"),
    ]


def test_a_declared_external_register_is_accepted_unchecked() -> None:
    # Checking the group register alone: TRUST is declared external, so TRUST:BAF99 cannot be checked.
    files = {k: v for k, v in _tree(MULTI).items() if k.startswith("group/")}
    files["group/risks/GROUP-01.yaml"] = files["group/risks/GROUP-01.yaml"].replace(b"TRUST:BAF04", b"TRUST:BAF99")
    assert load_workspace(files).findings == []


def test_an_undeclared_register_is_an_error() -> None:
    files = _tree(MULTI)
    files["group/risks/GROUP-01.yaml"] = files["group/risks/GROUP-01.yaml"].replace(b"NHFT:BAF04", b"LPT:BAF5.4")
    (finding,) = load_workspace(files).findings
    assert (finding.line, finding.col, finding.rule, finding.message) == (
        38,
        5,
        "unknown-reference",
        "unknown register 'LPT'",
    )
    assert finding.hint == "declare it under `external_registers` in register.yaml, or check both registers together"


def test_duplicate_risk_ids_across_registers() -> None:
    files = _tree(MULTI)
    files["trust/risks/GROUP-01.yaml"] = files["group/risks/GROUP-01.yaml"].replace(
        b"strategic_link: V", b"strategic_link: people"
    )
    findings = [f for f in load_workspace(files).findings if f.rule == "duplicate-id"]
    assert [(f.path, f.line, f.col, f.message) for f in findings] == [
        ("trust/risks/GROUP-01.yaml", 1, 5, "risk ID 'GROUP-01' is also used by group/risks/GROUP-01.yaml")
    ]


def test_duplicate_register_ids() -> None:
    files = _tree(MULTI)
    files["trust/register.yaml"] = files["trust/register.yaml"].replace(b"id: TRUST", b"id: GROUP", 1)
    findings = [f for f in load_workspace(files).findings if f.rule == "duplicate-id"]
    assert [(f.path, f.line, f.col, f.message) for f in findings] == [
        ("trust/register.yaml", 2, 7, "register ID 'GROUP' is also used by group/register.yaml")
    ]


def test_a_broken_register_yaml_leaves_its_risks_out_but_checks_them() -> None:
    files = _tree(MULTI)
    files["trust/register.yaml"] = b"register: [\n"
    workspace = load_workspace(files)
    assert [reg.id for reg in workspace.registers] == ["GROUP"]
    assert {f.path for f in workspace.findings if f.level is Level.ERROR} == {"trust/register.yaml"}


# ---------------------------------------------------------------------------
# Paths (R16): links are never followed, nothing hangs
# ---------------------------------------------------------------------------


@pytest.fixture
def linked_register(tmp_path: Path) -> Path:
    """A register holding a link to the password file, a link to a folder outside, a loop and a FIFO."""
    reg = tmp_path / "repo" / "reg"
    shutil.copytree(BASE, reg)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("id: SECRET\ntitle: do not read me\n")
    (reg / "passwd.yaml").symlink_to("/etc/passwd")
    (reg / "linked-folder").symlink_to(outside, target_is_directory=True)
    (reg / "loop-a.yaml").symlink_to(reg / "loop-b.yaml")
    (reg / "loop-b.yaml").symlink_to(reg / "loop-a.yaml")
    (reg / "self").symlink_to(reg, target_is_directory=True)
    if hasattr(os, "mkfifo"):
        os.mkfifo(reg / "pipe.yaml")
    return reg


def test_links_are_reported_not_read(linked_register: Path) -> None:
    cwd = linked_register.parent
    start = time.monotonic()
    files, findings = scan_files([Path("reg")], cwd)
    assert time.monotonic() - start < 1.0
    assert sorted(files) == ["reg/BAF01.yaml", "reg/register.yaml"]
    assert read_files([Path("reg")], cwd) == files
    reported = sorted((f.path, f.line, f.col, f.rule) for f in findings)
    expected = [
        ("reg/linked-folder", 1, 1, "symlink"),
        ("reg/loop-a.yaml", 1, 1, "symlink"),
        ("reg/loop-b.yaml", 1, 1, "symlink"),
        ("reg/passwd.yaml", 1, 1, "symlink"),
        ("reg/self", 1, 1, "symlink"),
    ]
    if hasattr(os, "mkfifo"):
        expected.append(("reg/pipe.yaml", 1, 1, "file-unreadable"))
    assert reported == sorted(expected)
    workspace = load_paths([Path("reg")], cwd)
    assert [lr.risk.id for _, lr in workspace.risks()] == ["BAF01"]
    assert sorted((f.path, f.rule) for f in workspace.findings) == sorted((e[0], e[3]) for e in expected)
    assert all(f.level is Level.ERROR for f in workspace.findings)
    text = repr(workspace.findings) + repr(files)
    assert "root:" not in text and "SECRET" not in text and "do not read me" not in text


def test_a_path_through_a_link_is_refused(linked_register: Path) -> None:
    cwd = linked_register.parent
    (cwd / "alias").symlink_to(linked_register, target_is_directory=True)
    with pytest.raises(RegisterNotFoundError, match="alias: is a symbolic link"):
        scan_files([Path("alias")], cwd)
    with pytest.raises(RegisterNotFoundError, match="alias: is a symbolic link"):
        scan_files([Path("alias/BAF01.yaml")], cwd)
    with pytest.raises(RegisterNotFoundError, match=r"reg/loop-a\.yaml: is a symbolic link"):
        scan_files([Path("reg/loop-a.yaml")], cwd)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_a_finding(tmp_path: Path) -> None:
    reg = tmp_path / "reg"
    shutil.copytree(BASE, reg)
    (reg / "BAF01.yaml").chmod(0)
    try:
        files, findings = scan_files([reg], tmp_path)
    finally:
        (reg / "BAF01.yaml").chmod(0o644)
    assert sorted(files) == ["reg/register.yaml"]
    assert [(f.path, f.rule, f.message) for f in findings] == [
        ("reg/BAF01.yaml", "file-unreadable", "cannot read the file: Permission denied")
    ]


def test_oversized_files_are_read_only_to_the_cap(tmp_path: Path) -> None:
    reg = tmp_path / "reg"
    shutil.copytree(BASE, reg)
    (reg / "huge.yaml").write_bytes(b"notes: " + b"x" * (5 * 1024 * 1024))
    files, _ = scan_files([reg], tmp_path)
    assert len(files["reg/huge.yaml"]) == 128 * 1024 + 1
    (finding,) = load_paths([reg], tmp_path).findings
    assert (finding.path, finding.line, finding.col, finding.rule) == ("reg/huge.yaml", 1, 1, "yaml-size")


def test_files_outside_a_register_are_findings() -> None:
    workspace = load_workspace({"reg/register.yaml": REGISTER, "other/risk.yaml": VALID.encode()})
    assert workspace.findings == [
        Finding(
            "other/risk.yaml",
            1,
            1,
            "register-missing",
            "not inside a register: no register.yaml in this folder or above",
            hint="move the risk file into a register folder, or run `bafctl init`",
        )
    ]


@pytest.mark.parametrize("enabled", [True, False], ids=["enabled", "disabled"])
def test_the_caller_s_garbage_collector_is_left_as_it_was(enabled: bool, tmp_path: Path) -> None:
    """The loader pauses the collector while it loads and gives it back exactly as it was."""
    files = {"reg/register.yaml": REGISTER, "reg/risk.yaml": VALID.encode("utf-8")}
    was = gc.isenabled()
    try:
        if enabled:
            gc.enable()
        else:
            gc.disable()
        assert load_workspace(files).registers
        assert gc.isenabled() is enabled
        assert load_paths([MULTI], tmp_path, use_cache=False).registers
        assert gc.isenabled() is enabled
        with pytest.raises(RegisterNotFoundError):
            load_paths([tmp_path / "missing"], tmp_path, use_cache=False)
        assert gc.isenabled() is enabled
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()
