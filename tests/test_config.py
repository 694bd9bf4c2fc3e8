"""bafctl.toml / [tool.bafctl]: rule levels, options, as_of and fail_on (issue 6)."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bafctl.checks import RULES
from bafctl.checks._base import EXAMPLE_REGISTER, merge_example
from bafctl.cli import app
from bafctl.config import Config, FailOn, find_config
from bafctl.config import load_config as load_config_with
from bafctl.config import parse_config as parse_config_with
from bafctl.errors import ConfigError
from bafctl.findings import Level

# The rule registry is passed in (configuration sits below the rules).
parse_config = functools.partial(parse_config_with, rules=RULES)
load_config = functools.partial(load_config_with, rules=RULES)


def test_levels_options_as_of_and_fail_on() -> None:
    config = parse_config(
        {
            "as_of": dt.date(2026, 1, 31),
            "fail_on": "warning",
            "rules": {
                "title-without-cause-and-effect": "off",
                "overdue-action": "error",
                "stale-review": {"level": "info", "months": 6, "high_risk_months": 2},
                "target-date-passed": {"required": True},
            },
        },
        "bafctl.toml",
    )
    assert config == Config(
        levels={"title-without-cause-and-effect": None, "overdue-action": Level.ERROR, "stale-review": Level.INFO},
        options={"stale-review": {"months": 6, "high_risk_months": 2}, "target-date-passed": {"required": True}},
        as_of=dt.date(2026, 1, 31),
        fail_on=FailOn.warning,
        source="bafctl.toml",
    )


def test_an_empty_file_means_the_defaults() -> None:
    assert parse_config({}) == Config(source="bafctl.toml")


def test_as_of_may_be_written_as_text() -> None:
    assert parse_config({"as_of": "2026-02-01"}).as_of == dt.date(2026, 2, 1)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rule": {}}, "bafctl.toml: unknown setting 'rule' (did you mean 'rules'?); known: as_of, fail_on, rules"),
        ({"rules": {"overdue-actions": "error"}}, "unknown rule 'overdue-actions' (did you mean 'overdue-action'?)"),
        ({"rules": {"overdue-action": "fatal"}}, "level must be one of error, warning, info, off; got 'fatal'"),
        ({"rules": {"overdue-action": 3}}, 'write a level ("warning") or a table of options, got 3'),
        ({"rules": {"stale-review": {"month": 2}}}, "unknown option 'month' (did you mean 'months'?)"),
        ({"rules": {"stale-review": {"months": "2"}}}, "option 'months' of rule 'stale-review' must be a whole number"),
        ({"rules": {"stale-review": {"months": 0}}}, "must be a whole number of 1 or more, got 0"),
        ({"rules": {"stale-review": {"months": True}}}, "must be a whole number of 1 or more, got True"),
        ({"rules": {"target-date-passed": {"required": 1}}}, "must be true or false, got 1"),
        ({"rules": []}, "[rules] must be a table of rule IDs"),
        ({"as_of": "31/01/2026"}, "as_of must be a date such as 2026-01-31, got '31/01/2026'"),
        ({"fail_on": "info"}, "fail_on must be one of error, warning, never; got 'info'"),
    ],
)
def test_mistakes_are_one_line_errors(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_fail_on_levels() -> None:
    assert [FailOn.error.fails(level) for level in Level] == [True, False, False]
    assert [FailOn.warning.fails(level) for level in Level] == [True, True, False]
    assert [FailOn.never.fails(level) for level in Level] == [False, False, False]


def test_discovery_nearest_folder_bafctl_toml_first_and_stops_at_the_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    sub = repo / "registers" / "trust"
    sub.mkdir(parents=True)
    (repo / ".git").mkdir()
    (tmp_path / "bafctl.toml").write_text('fail_on = "never"\n')
    assert find_config(sub) is None  # the file above the repository does not apply
    assert load_config(sub) == Config()
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_config(sub) is None  # a pyproject.toml without [tool.bafctl] does not count
    (repo / "pyproject.toml").write_text('[tool.bafctl]\nfail_on = "warning"\n')
    assert find_config(sub) == repo / "pyproject.toml"
    assert load_config(sub).fail_on is FailOn.warning
    assert load_config(sub).source == f"{(repo / 'pyproject.toml').as_posix()} [tool.bafctl]"
    (repo / "bafctl.toml").write_text('fail_on = "error"\n')
    assert find_config(sub) == repo / "bafctl.toml"  # bafctl.toml wins in the same folder
    (sub / "pyproject.toml").write_text("[tool.bafctl]\n")
    assert find_config(sub) == sub / "pyproject.toml"  # the nearest folder wins


def test_an_explicit_file_and_its_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path, tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("as_of = [\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path, bad)
    odd = tmp_path / "pyproject.toml"
    odd.write_text('[tool]\nbafctl = "yes"\n')
    with pytest.raises(ConfigError, match=r"\[tool.bafctl\] must be a table"):
        load_config(tmp_path)


OVERDUE = merge_example(
    """\
causes:
  - description: Vacancies
    controls: [Safe staffing policy]
    assurances:
      - {line: 3, source: Internal audit, opinion: reasonable}
    actions:
      - {id: A1, action: Refresh the workforce plan, owner: CN, due: 2026-01-31}
"""
)


@pytest.fixture
def trust(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "registers/trust").mkdir(parents=True)
    (tmp_path / "registers/trust/register.yaml").write_text(EXAMPLE_REGISTER)
    (tmp_path / "registers/trust/R1.yaml").write_text(OVERDUE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_check_reads_levels_and_as_of_from_bafctl_toml(runner: CliRunner, trust: Path) -> None:
    (trust / "bafctl.toml").write_text('as_of = 2026-03-01\n\n[rules]\noverdue-action = "error"\n')
    result = runner.invoke(app, ["check"])
    assert (result.exit_code, result.stderr) == (1, "")
    assert result.stdout == (
        "registers/trust/R1.yaml:20:70: error: risk R1: action A1 'Refresh the workforce plan' was due 2026-01-31 "
        "and is still open (29 days overdue) (hint: mark it complete with `completed:`, or record the new date "
        "the committee agreed) (overdue-action)\n1 error, 0 warnings, 0 info in 2 files\n"
    )


def test_the_command_line_as_of_wins_over_the_file(runner: CliRunner, trust: Path) -> None:
    (trust / "bafctl.toml").write_text('as_of = 2026-03-01\n\n[rules]\noverdue-action = "error"\n')
    result = runner.invoke(app, ["check", "--as-of", "2026-01-15"])
    assert result.exit_code == 0
    assert "overdue-action" not in result.stdout  # not yet due on the command line's date
    # ... which is before the risk's last review: that is worth a warning of its own.
    assert "after the as-of date 2026-01-15" in result.stdout
    assert result.stdout.endswith("0 errors, 1 warning, 0 info in 2 files\n")


def test_a_disabled_rule_reports_nothing(runner: CliRunner, trust: Path) -> None:
    (trust / "bafctl.toml").write_text('[rules]\noverdue-action = "off"\n')
    result = runner.invoke(app, ["check", "--as-of", "2026-03-01"])
    assert (result.exit_code, result.stdout) == (0, "0 errors, 0 warnings, 0 info in 2 files\n")


def test_fail_on_from_the_file_and_the_command_line(runner: CliRunner, trust: Path) -> None:
    (trust / "bafctl.toml").write_text('fail_on = "warning"\n')
    assert runner.invoke(app, ["check", "--as-of", "2026-03-01"]).exit_code == 1
    assert runner.invoke(app, ["check", "--as-of", "2026-03-01", "--fail-on", "error"]).exit_code == 0


def test_an_invalid_file_is_a_one_line_error_exit_2(runner: CliRunner, trust: Path) -> None:
    (trust / "bafctl.toml").write_text('[rules]\noverdue-actions = "error"\n')
    result = runner.invoke(app, ["check"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "bafctl: error: bafctl.toml: [rules] unknown rule 'overdue-actions' (did you mean 'overdue-action'?)\n"
    )


def test_config_option_names_the_file(runner: CliRunner, trust: Path) -> None:
    (trust / "ci.toml").write_text('[rules]\noverdue-action = "error"\n')
    result = runner.invoke(app, ["check", "--config", "ci.toml", "--as-of", "2026-03-01"])
    assert result.exit_code == 1
    assert result.stdout.endswith("1 error, 0 warnings, 0 info in 2 files\n")
