"""Colour on a terminal for check, breaches, diff and history; never in a pipe or under NO_COLOR.

The suite runs with NO_COLOR=1 and TERM=dumb (conftest.py); tests that want colour
override them through CliRunner's ``env`` (a value of None unsets a variable).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bafctl.cli import app
from bafctl.findings import Finding, Level
from bafctl.options import LoadOptions
from bafctl.render import breaches as render_breaches
from bafctl.render import diff as render_diff
from bafctl.render import findings as render_findings
from bafctl.render import history as render_history
from bafctl.render.colour import band_style, paint
from bafctl.settings import gather
from conftest import GROUP_BAF
from gitrepo import GitRepo, group_baf_repo

SGR = re.compile(r"\x1b\[[0-9;]*m")
ON = dt.date(2026, 1, 29)
HOSTILE = "If \x1b[31mEVIL\x1b[0m and \x1b]8;;https://evil.example\x07link then harm"
COLOUR_ENV: Mapping[str, str | None] = {"NO_COLOR": None, "TERM": "xterm-256color"}


def assert_inert(text: str) -> None:
    """Every escape is one of the styles bafctl added; the register's own are shown, not run."""
    assert "\x1b" not in SGR.sub("", text)
    assert "\x07" not in text
    assert "\x1b[31mEVIL" not in text
    assert "\ufffd[31mEVIL" in text


def _check(runner: CliRunner, args: list[str], env: Mapping[str, str | None] | None = None) -> str:
    result = runner.invoke(app, [*args, "check", str(GROUP_BAF), "--as-of", "2026-01-29"], env=env)
    assert result.exit_code in (0, 1), result.output
    return result.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    built = group_baf_repo(tmp_path / "baf")
    monkeypatch.chdir(built.root)
    return built


# ---------------------------------------------------------------------------
# When there is colour
# ---------------------------------------------------------------------------


def test_no_colour_by_default_in_a_pipe(runner: CliRunner) -> None:
    assert "\x1b" not in _check(runner, [])
    assert "\x1b" not in _check(runner, [], env=COLOUR_ENV)  # not a terminal


@pytest.mark.parametrize("args", [["--color", "always"], ["--color=always"]])
def test_color_always_colours_check_even_in_a_pipe(runner: CliRunner, args: list[str]) -> None:
    out = _check(runner, args)  # NO_COLOR=1 too: the flag is the more explicit request
    assert "\x1b[33mwarning\x1b[0m" in out
    assert SGR.sub("", out) == _check(runner, ["--color", "never"])


def test_the_command_option_wins_over_the_global_one(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--color", "never", "check", str(GROUP_BAF), "--color", "always"])
    assert "\x1b[" in result.stdout
    result = runner.invoke(app, ["--color", "always", "check", str(GROUP_BAF), "--color", "never"])
    assert "\x1b" not in result.stdout


def test_color_never_and_no_color(runner: CliRunner) -> None:
    assert "\x1b" not in _check(runner, ["--color", "never"], env={**COLOUR_ENV, "FORCE_COLOR": "1"})
    assert "\x1b" not in _check(runner, [], env={"NO_COLOR": "1", "FORCE_COLOR": "1"})


def test_force_color_colours_a_pipe(runner: CliRunner) -> None:
    assert "\x1b[" in _check(runner, [], env={**COLOUR_ENV, "FORCE_COLOR": "1"})
    assert "\x1b" not in _check(runner, [], env={**COLOUR_ENV, "FORCE_COLOR": "0"})


def test_settings_choose_the_colour_system() -> None:
    plain = gather({})
    assert plain.color_system(terminal=False) is None
    assert plain.color_system(terminal=True) == "standard"
    assert gather({"TERM": "dumb"}).color_system(terminal=True) is None
    assert gather({"TERM": "xterm-256color"}).color_system(terminal=True) == "256"
    assert gather({"COLORTERM": "truecolor"}).color_system(terminal=True) == "truecolor"
    assert gather({"NO_COLOR": "1"}).color_system(terminal=True) is None
    assert gather({"NO_COLOR": ""}).color_system(terminal=True) == "standard"  # empty: not set
    assert gather({"NO_COLOR": "1"}).color_system(wanted="always") == "standard"
    assert gather({"FORCE_COLOR": "1"}).color_system(terminal=False) == "standard"
    assert gather({}).color_system(wanted="never", terminal=True) is None


def test_help_lists_color(runner: CliRunner) -> None:
    for args in ([], ["check"], ["breaches"], ["diff"], ["history"], ["summary"]):
        assert "--color" in runner.invoke(app, [*args, "--help"]).stdout, args


# ---------------------------------------------------------------------------
# What is coloured, command by command
# ---------------------------------------------------------------------------


def test_breaches(runner: CliRunner) -> None:
    args = ["breaches", str(GROUP_BAF), "--as-of", "2026-01-29"]
    coloured = runner.invoke(app, [*args, "--color", "always"]).stdout
    plain = runner.invoke(app, [*args, "--color", "never"]).stdout
    assert "\x1b[1;31mbreach\x1b[0m" in coloured
    assert "\x1b" not in plain
    assert SGR.sub("", coloured) == plain


def _rescore_risk3(repo: GitRepo, consequence: int, likelihood: int) -> None:
    path = repo.root / "registers/group-baf/risks/GROUP-BAF-3.yaml"
    new, count = re.subn(
        r"(  current:.*\n    consequence: )\d(\n    likelihood: )\d",
        rf"\g<1>{consequence}\g<2>{likelihood}",
        path.read_text(),
        count=1,
    )
    assert count == 1
    path.write_text(new)


def test_diff_arrows_and_bands(runner: CliRunner, repo: GitRepo) -> None:
    _rescore_risk3(repo, 5, 5)
    coloured = runner.invoke(app, ["diff", "HEAD", "--color", "always"]).stdout
    plain = runner.invoke(app, ["diff", "HEAD", "--color", "never"]).stdout
    assert "↑" in plain and "\x1b" not in plain
    assert "\x1b[1;31m↑\x1b[0m" in coloured
    assert "Extreme\x1b[0m" in coloured  # the new band, in its colour
    assert SGR.sub("", coloured) == plain


def test_history_arrows(runner: CliRunner, repo: GitRepo) -> None:
    _rescore_risk3(repo, 5, 5)
    repo.commit("GROUP-BAF-3 up")
    _rescore_risk3(repo, 2, 2)
    repo.commit("GROUP-BAF-3 down")
    coloured = runner.invoke(app, ["history", "GROUP-BAF-3", "--color", "always"]).stdout
    plain = runner.invoke(app, ["history", "GROUP-BAF-3"]).stdout
    assert "\x1b" not in plain
    assert "\x1b[1;31m↑\x1b[0m" in coloured and "\x1b[32m↓\x1b[0m" in coloured
    assert SGR.sub("", coloured) == plain


def test_band_style_uses_the_summary_colours() -> None:
    assert band_style("Extreme") == "#ffffff on #c62828"
    assert band_style("no such band") == "bold"


# ---------------------------------------------------------------------------
# Register text stays inert with colour on
# ---------------------------------------------------------------------------


def test_paint_escapes_every_span_before_styling() -> None:
    text = paint([[(HOSTILE, "bold"), (" ", ""), (HOSTILE, "")]], "truecolor")
    assert text.startswith("\x1b[1m")
    assert_inert(text)


def test_paint_keeps_ci_commands_inert() -> None:
    assert paint([[("::error", "red"), ("::x", "")], "##[group]x"], "standard") == "\\::error::x\n##[\\group]x"


def test_hostile_finding_is_inert() -> None:
    finding = Finding(path="reg/\x1b[31mx.yaml", line=1, col=1, level=Level.ERROR, rule="schema", message=HOSTILE)
    text = render_findings.render_text([finding], 1, color_system="truecolor")
    assert_inert(text)
    assert "\x1b[1;31merror\x1b[0m" in text


def test_hostile_breach_title_is_inert() -> None:
    from bafctl.usecases.breaches import find_breaches

    found = find_breaches([GROUP_BAF], GROUP_BAF, as_of=ON, options=LoadOptions(use_cache=False))
    rows = tuple(dataclasses.replace(row, title=HOSTILE) for row in found.report.rows)
    report = dataclasses.replace(found.report, rows=rows)
    text = render_breaches.render_text(report, color_system="256")
    assert_inert(text)
    assert SGR.sub("", text) == render_breaches.render_text(report)


def test_hostile_diff_and_history_titles_are_inert(repo: GitRepo) -> None:
    from bafctl.usecases.diff import diff_revisions
    from bafctl.usecases.history import history_of

    _rescore_risk3(repo, 5, 5)
    found = diff_revisions(["HEAD"], [], repo.root, as_of=ON, options=LoadOptions(use_cache=False))
    risks = tuple(
        dataclasses.replace(rc, new=dataclasses.replace(rc.new, title=HOSTILE) if rc.new else None)
        for rc in found.diff.risks
    )
    diff = dataclasses.replace(found.diff, risks=risks)
    assert diff.risks
    text = render_diff.render_text(diff, found.old, found.new, color_system="truecolor")
    assert_inert(text)
    assert SGR.sub("", text) == render_diff.render_text(diff, found.old, found.new)

    repo.commit("GROUP-BAF-3 up")
    history = history_of("GROUP-BAF-3", [], repo.root, options=LoadOptions(use_cache=False))
    assert history.latest is not None
    history = dataclasses.replace(history, latest=dataclasses.replace(history.latest, title=HOSTILE))
    text = render_history.render_text(history, color_system="truecolor")
    assert_inert(text)
    assert SGR.sub("", text) == render_history.render_text(history)
