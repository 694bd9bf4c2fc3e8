"""`bafctl init`: a new register repository that passes its own checks (issue 6)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bafctl.cli import app
from bafctl.schemas import json_schema

EXPECTED_FILES = [
    ".github/workflows/bafctl.yml",
    ".pre-commit-config.yaml",
    ".vscode/extensions.json",
    ".vscode/settings.json",
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
    created = [
        line.removeprefix(f"created {tmp_path / 'trust'}/")
        for line in result.stdout.splitlines()[: len(EXPECTED_FILES)]
    ]
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
    from bafctl.templates import github_workflow, pre_commit_config

    page = DOCS_CI.read_text(encoding="utf-8")
    assert github_workflow(None) in page
    assert pre_commit_config(None) in page


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


# -- installing bafctl: the version that wrote the repository, from a source that exists --


def _workflow(root: Path) -> dict[str, Any]:
    from bafctl.yamlio import parse_yaml

    parsed = parse_yaml((root / ".github/workflows/bafctl.yml").read_bytes())
    assert parsed.ok, parsed.problems
    assert isinstance(parsed.value, dict)
    return parsed.value


def _install_step(workflow: dict[str, Any]) -> str:
    (step,) = [step for step in workflow["jobs"]["check"]["steps"] if step.get("name") == "Install bafctl"]
    return str(step["run"])


def test_the_workflow_installs_this_version_from_bafctl_source(runner: CliRunner, tmp_path: Path) -> None:
    from bafctl import __version__
    from bafctl.templates import REPOSITORY_PLACEHOLDER

    result = runner.invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 0
    workflow = _workflow(tmp_path)
    # No [project.urls] yet: a placeholder the trust must edit, not an invented address.
    assert workflow["env"] == {"BAFCTL_SOURCE": f"git+{REPOSITORY_PLACEHOLDER}@v{__version__}"}
    assert 'python -m pip install "$BAFCTL_SOURCE"' in _install_step(workflow)
    text = (tmp_path / ".github/workflows/bafctl.yml").read_text(encoding="utf-8")
    assert "EDIT THE LINE BELOW FIRST: replace <org>" in text
    assert f"releases/download/v{__version__}/bafctl-{__version__}-py3-none-any.whl" in text
    assert f"Edit BAFCTL_SOURCE at the top of {tmp_path}/.github/workflows/bafctl.yml" in result.stdout
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "## Installing bafctl" in readme
    assert f'pip install "git+{REPOSITORY_PLACEHOLDER}@v{__version__}"' in readme
    assert f"bafctl-{__version__}-py3-none-any.whl" in readme
    assert "(replace `<org>` with the owner of the bafctl repository" in readme


@pytest.mark.parametrize(
    ("source", "installs"),
    [
        ("git+https://github.com/<org>/bafctl@v0.1.0", None),
        ("git+https://github.com/example/bafctl@v0.1.0", "git+https://github.com/example/bafctl@v0.1.0"),
        ("bafctl==0.1.0", "bafctl==0.1.0"),
    ],
)
def test_the_install_step_refuses_the_placeholder(
    runner: CliRunner, tmp_path: Path, source: str, installs: str | None
) -> None:
    import os
    import shutil
    import subprocess

    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("needs bash")
    assert runner.invoke(app, ["init", str(tmp_path / "repo")]).exit_code == 0
    script = _install_step(_workflow(tmp_path / "repo")).replace("python -m pip install", "echo install")
    done = subprocess.run(
        [bash, "-e", "-c", script],
        env={**os.environ, "BAFCTL_SOURCE": source},
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    if installs is None:
        assert done.returncode == 1
        assert done.stderr == ("::error file=.github/workflows/bafctl.yml::set BAFCTL_SOURCE at the top of this file\n")
    else:
        assert (done.returncode, done.stdout) == (0, f"install {installs}\n")


def test_a_known_repository_is_used_instead_of_the_placeholder(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bafctl.templates
    from bafctl import __version__

    monkeypatch.setattr(bafctl.templates, "source_repository", lambda: "https://github.com/example/bafctl")
    result = runner.invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 0
    assert _workflow(tmp_path)["env"] == {"BAFCTL_SOURCE": f"git+https://github.com/example/bafctl@v{__version__}"}
    assert "BAFCTL_SOURCE" not in result.stdout  # nothing to edit
    for path in (
        tmp_path / ".github/workflows/bafctl.yml",
        tmp_path / "README.md",
        tmp_path / ".pre-commit-config.yaml",
    ):
        assert "<org>" not in path.read_text(encoding="utf-8"), path
    assert f"#   - repo: https://github.com/example/bafctl\n#     rev: v{__version__}\n" in (
        tmp_path / ".pre-commit-config.yaml"
    ).read_text(encoding="utf-8")


def test_the_repository_comes_from_the_package_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    import tomllib
    from email.message import Message
    from importlib import metadata

    from bafctl.templates import source_repository

    # What pyproject.toml's [project.urls] says, as the installed package carries it.
    urls = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text(encoding="utf-8"))
    declared = urls["project"].get("urls", {})
    if not any(label.lower() in ("source", "repository", "homepage") for label in declared):
        assert source_repository() is None

    def fake(entries: list[str]) -> Message:
        message = Message()
        for entry in entries:
            message["Project-URL"] = entry
        return message

    for entries, expected in (
        (
            ["Documentation, https://docs.example/", "Source, https://github.com/example/bafctl/"],
            "https://github.com/example/bafctl",
        ),
        (
            ["Homepage, https://example.org", "Repository, https://gitlab.example/nhs/bafctl"],
            "https://gitlab.example/nhs/bafctl",
        ),
        (["Source, http://insecure.example/bafctl"], None),
        ([], None),
    ):
        monkeypatch.setattr(metadata, "metadata", lambda _name, entries=entries: fake(entries))
        assert source_repository() == expected

    def missing(name: str) -> Message:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "metadata", missing)
    assert source_repository() is None


def test_the_pre_commit_config_names_the_published_hook_at_this_versions_tag(runner: CliRunner, tmp_path: Path) -> None:
    from bafctl import __version__

    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    text = (tmp_path / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert f"#     rev: v{__version__}\n" in text
    assert "`rev:` must name a tag that exists there" in text
    assert "(`pip install bafctl`)" not in text  # not on the package index yet


# -- the editor: VS Code knows which schema checks which file ------------------------------


def test_vscode_settings_map_the_schemas_to_the_files_init_wrote(runner: CliRunner, tmp_path: Path) -> None:
    import fnmatch

    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    settings = json.loads((tmp_path / ".vscode/settings.json").read_text(encoding="utf-8"))
    schemas: dict[str, list[str]] = settings["yaml.schemas"]
    assert set(schemas) == {"./schemas/register.schema.json", "./schemas/risk.schema.json"}
    written = [p for p in _files(tmp_path) if p.startswith("registers/")]
    for schema, globs in schemas.items():
        assert (tmp_path / schema).is_file(), schema  # relative to the workspace root
        matched = [path for path in written if any(fnmatch.fnmatchcase(path, glob) for glob in globs)]
        # Each file gets the schema its modeline names: the settings and modelines agree.
        assert matched, schema
        for path in matched:
            first = (tmp_path / path).read_text(encoding="utf-8").splitlines()[0]
            modeline = first.removeprefix("# yaml-language-server: $schema=")
            assert (tmp_path / path).parent.joinpath(modeline).resolve() == (tmp_path / schema).resolve()
    assert sorted(path for path in written if path.endswith(".yaml")) == [
        "registers/baf/register.yaml",
        "registers/baf/risks/BAF01.yaml",
    ]
    # A risk file added later, without a modeline, is covered too; other YAML is not.
    globs = [glob for patterns in schemas.values() for glob in patterns]
    assert any(fnmatch.fnmatchcase("registers/other/risks/OTH07.yml", glob) for glob in globs)
    assert not any(fnmatch.fnmatchcase(".github/workflows/bafctl.yml", glob) for glob in globs)
    extensions = json.loads((tmp_path / ".vscode/extensions.json").read_text(encoding="utf-8"))
    assert extensions == {"recommendations": ["redhat.vscode-yaml"]}


def test_existing_vscode_settings_are_kept(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode/settings.json").write_text('{"editor.tabSize": 4}\n', encoding="utf-8")
    result = runner.invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 0
    assert (tmp_path / ".vscode/settings.json").read_text(encoding="utf-8") == '{"editor.tabSize": 4}\n'
    assert result.stderr == f"bafctl: skipped {tmp_path}/.vscode/settings.json: already exists\n"
    assert (tmp_path / ".vscode/extensions.json").is_file()
