"""Hints that fit the case: what `bafctl check` suggests for mistakes from other trusts' BAFs.

The loader's positions and messages are pinned by the bad-input corpus
(tests/corpus/cases.json); these are the hints the corpus cannot hold: a quality rule's,
and those that need a register unlike the corpus's own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bafctl.cli import app

BASE = Path(__file__).resolve().parent / "corpus" / "_base"
AS_OF = "2026-02-01"


def _check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner, risk: str, register: str = ""
) -> tuple[int, list[str]]:
    """`bafctl check` on the corpus's register with BAF01.yaml edited: its exit code and lines."""
    reg = tmp_path / "reg"
    shutil.copytree(BASE, reg)
    (reg / "BAF01.yaml").write_text(risk, encoding="utf-8")
    if register:
        (reg / "register.yaml").write_text(register, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["check", "reg", "--as-of", AS_OF])
    assert result.stderr == ""
    return result.exit_code, result.stdout.splitlines()


RISK = (BASE / "BAF01.yaml").read_text(encoding="utf-8")
REGISTER = (BASE / "register.yaml").read_text(encoding="utf-8")
OWNED = "        owner: dop\n"
DUE = "        due: 2026-06-30\n"


@pytest.mark.parametrize(
    ("remove", "line"),
    [
        (
            OWNED,
            "reg/BAF01.yaml:40:9: warning: risk BAF01: action A1 'Write the community workforce plan' has no owner "
            "(hint: add `owner:` (a role ID from register.yaml)) (action-without-owner-or-date)",
        ),
        (
            DUE,
            "reg/BAF01.yaml:40:9: warning: risk BAF01: action A1 'Write the community workforce plan' has no due date "
            "(hint: add `due:` (YYYY-MM-DD)) (action-without-owner-or-date)",
        ),
        (
            OWNED + DUE,
            "reg/BAF01.yaml:40:9: warning: risk BAF01: action A1 'Write the community workforce plan' has no owner "
            "and no due date (hint: add `owner:` (a role ID from register.yaml) and `due:` (YYYY-MM-DD)) "
            "(action-without-owner-or-date)",
        ),
    ],
    ids=["owner", "due", "both"],
)
def test_an_action_hint_asks_only_for_what_is_missing(
    remove: str, line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    assert remove in RISK
    code, lines = _check(tmp_path, monkeypatch, runner, RISK.replace(remove, ""))
    assert code == 0
    assert line in lines


def test_a_lead_named_by_holder_suggests_that_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    register = REGISTER.replace("    title: Chief Nurse\n", "    title: Chief Nurse\n    holder: Dr Jane Smith\n")
    risk = RISK.replace("executive_lead: dop\n", "executive_lead: Smith\n")
    code, lines = _check(tmp_path, monkeypatch, runner, risk, register)
    assert code == 1
    assert (
        "reg/BAF01.yaml:9:17: error: risk BAF01: unknown role 'Smith' "
        "(hint: must be a role ID from register.yaml's `roles`: did you mean 'cn'?) (unknown-reference)"
    ) in lines


def test_an_owner_named_by_title_suggests_that_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    code, lines = _check(tmp_path, monkeypatch, runner, RISK.replace(OWNED, "        owner: ChiefNurse\n"))
    assert code == 1
    assert (
        "reg/BAF01.yaml:42:16: error: risk BAF01: unknown role 'ChiefNurse' "
        "(hint: must be a role ID from register.yaml's `roles`: did you mean 'cn'?) (unknown-reference)"
    ) in lines


def test_an_unknown_role_lists_the_closest_ids_of_many(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    roles = "".join(f"  - id: dir{i}\n    title: Director {i}\n" for i in range(10))
    register = REGISTER.replace("roles:\n", "roles:\n" + roles)
    risk = RISK.replace("executive_lead: dop\n", "executive_lead: dir_1\n")
    code, lines = _check(tmp_path, monkeypatch, runner, risk, register)
    assert code == 1
    assert (
        "reg/BAF01.yaml:9:17: error: risk BAF01: unknown role 'dir_1' "
        "(hint: must be a role ID from register.yaml's `roles`: did you mean 'dir1', 'dir9' or 'dir8'?) "
        "(unknown-reference)"
    ) in lines


def test_lead_in_an_action_means_its_owner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner) -> None:
    code, lines = _check(tmp_path, monkeypatch, runner, RISK.replace(OWNED, "        lead: dop\n"))
    assert code == 1
    assert (
        "reg/BAF01.yaml:42:9: error: risk BAF01: causes.0.actions.0: unknown key `lead` "
        "(hint: did you mean `owner`?) (schema)"
    ) in lines


def test_a_comma_in_a_flow_mapping_action_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    action = (
        "      - id: A1\n        action: Write the community workforce plan\n        owner: dop\n"
        "        due: 2026-06-30\n        status: in_progress\n"
    )
    assert action in RISK
    flow = "      - {id: A1, action: Write the plan, then consult, owner: dop, due: 2026-06-30, status: in_progress}\n"
    code, lines = _check(tmp_path, monkeypatch, runner, RISK.replace(action, flow))
    assert code == 1
    assert (
        "reg/BAF01.yaml:40:42: error: risk BAF01: causes.0.actions.0: unknown key `then consult` "
        '(hint: a comma inside {...} starts a new key: quote the value ("Write the plan, then consult") '
        "or use block style) (schema)"
    ) in lines
