"""`bafctl init`: a new register repository that passes its own checks (issue 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bafctl.cli import app
from bafctl.schemas import json_schema

EXPECTED_FILES = [
    ".github/workflows/bafctl.yml",
    ".pre-commit-config.yaml",
    "README.md",
    "bafctl.toml",
    "registers/baf/register.yaml",
    "registers/baf/risks/BAF01.yaml",
    "schemas/register.schema.json",
    "schemas/risk.schema.json",
]


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_init_creates_a_repository_whose_check_passes(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BAFCTL_TODAY", "2026-01-29")
    result = runner.invoke(app, ["init", str(tmp_path / "trust")])
    assert (result.exit_code, result.stderr) == (0, "")
    created = [line.removeprefix(f"created {tmp_path / 'trust'}/") for line in result.stdout.splitlines()[:8]]
    assert sorted(created) == EXPECTED_FILES
    assert "the board must confirm them" in result.stdout
    root = tmp_path / "trust"
    assert _files(root) == EXPECTED_FILES
    monkeypatch.chdir(root)
    check = runner.invoke(app, ["check", "--fail-on", "warning"])
    # No finding at any level: the example risk is a model entry, reviewed today.
    assert (check.exit_code, check.stdout, check.stderr) == (0, "0 errors, 0 warnings, 0 info in 2 files\n", "")
    # Still clean months later except for the date rules, which is what they are for.
    later = runner.invoke(app, ["check", "--as-of", "2026-08-01"])
    assert later.exit_code == 0
    assert [line.rsplit("(", 1)[-1] for line in later.stdout.splitlines()[:-1]] == [
        "stale-review)",
        "overdue-action)",
    ]


def test_the_register_carries_the_nhs_defaults_and_says_the_board_must_confirm(
    runner: CliRunner, tmp_path: Path
) -> None:
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    register = (tmp_path / "registers/baf/register.yaml").read_text(encoding="utf-8")
    assert register.startswith("# yaml-language-server: $schema=../../schemas/register.schema.json\n")
    for expected in (
        "consequence: [Negligible, Minor, Moderate, Major, Catastrophic]",
        "likelihood: [Rare, Unlikely, Possible, Likely, Almost certain]",
        "{name: Low, min: 1, max: 3",
        "{name: Moderate, min: 4, max: 6",
        "{name: High, min: 8, max: 12",
        "{name: Extreme, min: 15, max: 25",
        "THE TOLERANCES BELOW ARE PROPOSALS",
        "tolerance: 12  # proposed: top of High; the board must confirm",
    ):
        assert expected in register
    risk = (tmp_path / "registers/baf/risks/BAF01.yaml").read_text(encoding="utf-8")
    assert risk.startswith("# yaml-language-server: $schema=../../../schemas/risk.schema.json\n")
    # The schemas the modelines point at are the ones `bafctl schema` prints.
    for kind in ("register", "risk"):
        written = json.loads((tmp_path / f"schemas/{kind}.schema.json").read_text(encoding="utf-8"))
        assert written == json_schema(kind)
    assert (tmp_path / "registers/baf/register.yaml").resolve().parent.joinpath(
        "../../schemas/register.schema.json"
    ).resolve() == (tmp_path / "schemas/register.schema.json").resolve()


def test_names_are_written_safely(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(
        app,
        [
            "init",
            str(tmp_path),
            "--register-id",
            "NHFT",
            "--name",
            'Trust BAF: "2026" # draft',
            "--organisation",
            "Northamptonshire Healthcare NHS Foundation Trust",
        ],
    )
    assert result.exit_code == 0
    monkeypatch.chdir(tmp_path)
    check = runner.invoke(app, ["check", "--format", "json"])
    assert check.exit_code == 0
    assert json.loads(check.stdout)["summary"] == {"errors": 0, "warnings": 0, "info": 0, "silenced": 0}
    assert (tmp_path / "registers/nhft/risks/NHFT01.yaml").is_file()
    register = (tmp_path / "registers/nhft/register.yaml").read_text(encoding="utf-8")
    assert 'name: "Trust BAF: \\"2026\\" # draft"' in register


def test_init_never_overwrites(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("our own readme\n", encoding="utf-8")
    (tmp_path / "registers/baf").mkdir(parents=True)
    (tmp_path / "registers/baf/register.yaml").write_text("# ours\n", encoding="utf-8")
    result = runner.invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 0
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == "our own readme\n"
    assert (tmp_path / "registers/baf/register.yaml").read_text(encoding="utf-8") == "# ours\n"
    assert not (tmp_path / "registers/baf/risks").exists()  # no example risk in someone's register
    assert result.stderr.splitlines() == [
        f"bafctl: skipped {tmp_path}/registers/baf/register.yaml: the register registers/baf already exists",
        f"bafctl: skipped {tmp_path}/registers/baf/risks/BAF01.yaml: the register registers/baf already exists",
        f"bafctl: skipped {tmp_path}/README.md: already exists",
    ]
    assert (tmp_path / "bafctl.toml").is_file()


def test_init_twice_says_why_nothing_was_created(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    again = runner.invoke(app, ["init", str(tmp_path)])
    assert (again.exit_code, again.stdout) == (2, "")
    assert again.stderr.endswith(
        f"bafctl: error: nothing created in {tmp_path}: every file `bafctl init` writes already exists\n"
    )
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--register-id", "my baf"], "--register-id 'my baf': use letters, digits"),
        (["--name", " padded"], "--name must be one line of text"),
        (["--organisation", "two\nlines"], "--organisation must be one line of text"),
    ],
)
def test_bad_options_are_usage_errors(runner: CliRunner, tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["init", str(tmp_path), *args])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith(f"bafctl: error: {message}")
    assert list(tmp_path.iterdir()) == []


def test_init_into_a_file_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x", encoding="utf-8")
    result = runner.invoke(app, ["init", str(target)])
    assert (result.exit_code, result.stderr) == (2, f"bafctl: error: {target}: is a file, not a folder\n")


DOCS_CI = Path(__file__).resolve().parent.parent / "docs" / "ci.md"


def _yaml_blocks(markdown: str) -> list[str]:
    import re
    import textwrap

    return [textwrap.dedent(block) for block in re.findall(r"```yaml\n(.*?)```", markdown, re.DOTALL)]


def test_docs_ci_shows_the_files_init_writes() -> None:
    from bafctl import __version__
    from bafctl.templates import GITHUB_WORKFLOW, PRE_COMMIT_CONFIG

    page = DOCS_CI.read_text(encoding="utf-8")
    assert GITHUB_WORKFLOW.format(version=__version__) in page
    assert PRE_COMMIT_CONFIG in page


def test_docs_ci_yaml_parses_and_its_bafctl_commands_are_valid() -> None:
    import re
    import shlex

    import typer.main

    from bafctl.yamlio import parse_yaml

    group = typer.main.get_command(app)
    commands: list[list[str]] = []
    for block in _yaml_blocks(DOCS_CI.read_text(encoding="utf-8")):
        if block.startswith("repos:\n  - repo: <"):
            continue  # names the reader's own copy of the bafctl repository
        parsed = parse_yaml(block.encode())
        assert parsed.ok, (block, parsed.problems)
        for line in block.splitlines():
            match = re.search(r"(?:run: |- |entry: )(bafctl [^#>\n]*)", line)
            if match:
                commands.append(shlex.split(match.group(1))[1:])
    assert ["check"] in commands and ["breaches"] in commands
    assert ["summary", "--format", "markdown"] in commands
    for args in commands:
        name, *rest = args
        command = group.get_command(group.make_context("bafctl", [name]), name)  # type: ignore[attr-defined]
        assert command is not None, name
        command.make_context(name, rest)  # raises on an unknown option or choice
