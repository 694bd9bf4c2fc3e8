"""The release: workflow, version, changelog and the tag check (docs/releasing.md).

What can be checked without GitHub or PyPI: the workflows parse and have the steps the
procedure relies on, the version is PEP 440, CHANGELOG.md follows Keep a Changelog, and
scripts/check_release.py accepts a matching tag and refuses the rest, saying why.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from packaging.version import Version
from ruamel.yaml import YAML

import bafctl

REPO_ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO_ROOT / ".github" / "workflows"
SCRIPT = REPO_ROOT / "scripts" / "check_release.py"

#: Set by the release workflow's test job. Read when the module is imported: the
#: autouse fixture in conftest.py unsets BAFCTL_ variables around each test.
INSTALLED_WHEEL = os.environ.get("BAFCTL_TEST_INSTALLED_WHEEL") == "1"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_release", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("check_release", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


check_release = _load_script()


def _workflow(name: str) -> dict[str, Any]:
    data = YAML(typ="safe").load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])


def _uses(job: dict[str, Any]) -> list[str]:
    return [str(step["uses"]) for step in job["steps"] if "uses" in step]


# -- the workflows ---------------------------------------------------------------------


def test_the_release_workflow_runs_on_version_tags_only() -> None:
    workflow = _workflow("release.yml")
    assert workflow["on"] == {"push": {"tags": ["v*.*.*"]}}
    assert workflow["permissions"] == {"contents": "read"}  # jobs ask for more, one by one


def test_the_tag_is_checked_against_the_version_and_changelog_before_the_build() -> None:
    jobs = _workflow("release.yml")["jobs"]
    assert 'python scripts/check_release.py "$GITHUB_REF_NAME"' in _runs(jobs["check"])
    assert jobs["build"]["needs"] == "check"
    assert "python -m build" in _runs(jobs["build"])
    assert any(use.startswith("actions/upload-artifact@") for use in _uses(jobs["build"]))


def test_the_built_wheel_is_installed_fresh_and_tested_before_anything_is_published() -> None:
    jobs = _workflow("release.yml")["jobs"]
    test = jobs["test-wheel"]
    assert test["needs"] == "build"
    runs = _runs(test)
    assert "python -m venv /tmp/wheel-env" in runs
    assert '/tmp/wheel-env/bin/python -m pip install "$(ls dist/*.whl)[test]"' in runs
    assert "/tmp/wheel-env/bin/python -m pytest" in runs
    assert "pip install -e" not in runs and "pip install ." not in runs
    step = next(step for step in test["steps"] if "pytest" in str(step.get("run", "")))
    assert step["env"] == {"BAFCTL_TEST_INSTALLED_WHEEL": "1"}
    assert "chromium" in runs  # the browser tests fail, not skip, under CI=true
    for name in ("publish-pypi", "github-release"):
        assert jobs[name]["needs"] == "test-wheel"


def test_pypi_is_published_to_by_trusted_publishing() -> None:
    workflow = _workflow("release.yml")
    publish = workflow["jobs"]["publish-pypi"]
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    assert "pypa/gh-action-pypi-publish@release/v1" in _uses(publish)
    assert all("with" not in step or "password" not in step["with"] for step in publish["steps"])  # no token
    # Only the publishing job may ask for an OIDC token.
    others = [job for name, job in workflow["jobs"].items() if name != "publish-pypi"]
    assert all("id-token" not in job.get("permissions", {}) for job in others)


def test_the_github_release_carries_the_wheel_and_the_sdist() -> None:
    release = _workflow("release.yml")["jobs"]["github-release"]
    assert release["permissions"] == {"contents": "write"}
    runs = _runs(release)
    assert 'gh release create "$GITHUB_REF_NAME" dist/*' in runs
    assert "--notes" in runs and "--verify-tag" in runs


def test_ci_runs_the_ci_script_on_pushes_and_pull_requests() -> None:
    workflow = _workflow("ci.yml")
    assert "push" in workflow["on"] and "pull_request" in workflow["on"]
    assert ".ci/run" in _runs(workflow["jobs"]["test"])


@pytest.mark.parametrize("name", ["ci.yml", "release.yml"])
def test_actions_are_pinned_to_a_major_version_at_least(name: str) -> None:
    for job in _workflow(name)["jobs"].values():
        for use in _uses(job):
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@(v\d+(\.\d+)*|release/v\d+|[0-9a-f]{40})", use), use


# -- version and changelog -------------------------------------------------------------


def test_the_version_is_canonical_pep_440() -> None:
    assert check_release.PEP440.match(bafctl.__version__)
    assert str(Version(bafctl.__version__)) == bafctl.__version__
    assert check_release.source_version(REPO_ROOT) == bafctl.__version__


def test_the_changelog_follows_keep_a_changelog() -> None:
    text = (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "\n## [Unreleased]\n" in text
    assert check_release.changelog_problems(text) == []


def test_the_documented_pre_commit_rev_is_this_versions_tag() -> None:
    # Between releases __version__ is the last release, so `v{version}` is a tag that exists.
    tag = f"v{bafctl.__version__}"
    for path in ("docs/ci.md", ".pre-commit-hooks.yaml"):
        revs = re.findall(r"rev: (\S+)", (REPO_ROOT / path).read_text(encoding="utf-8"))
        assert revs and set(revs) == {tag}, path
    # The install examples in docs/ci.md name the same release (docs/releasing.md, step 3).
    versions = re.findall(r"\bv?(\d+\.\d+\.\d+)\b", (REPO_ROOT / "docs/ci.md").read_text(encoding="utf-8"))
    assert versions and set(versions) == {bafctl.__version__}


@pytest.mark.skipif(not INSTALLED_WHEEL, reason="only in the release workflow, which tests the built wheel")
def test_the_suite_imports_bafctl_from_the_installed_wheel() -> None:
    location = Path(bafctl.__file__ or "").resolve()
    assert not location.is_relative_to(REPO_ROOT / "src"), location
    assert "site-packages" in location.parts, location


# -- scripts/check_release.py ----------------------------------------------------------

CHANGELOG = """\
# Changelog

All notable changes are recorded here.

## [Unreleased]

## [1.2.0] - 2026-03-02

### Added

- A thing.

### Fixed

- Another.

## [1.1.0] - 2026-01-29

### Changed

- Something.

[Unreleased]: https://example.invalid/compare/v1.2.0...HEAD
"""


def _tree(tmp_path: Path, version: str = "1.2.0", changelog: str = CHANGELOG) -> Path:
    (tmp_path / "src/bafctl").mkdir(parents=True)
    (tmp_path / "src/bafctl/__init__.py").write_text(
        f'"""bafctl."""\n\nfrom __future__ import annotations\n\n__version__ = "{version}"\n', encoding="utf-8"
    )
    (tmp_path / "CHANGELOG.md").write_text(changelog, encoding="utf-8")
    return tmp_path


def test_a_matching_tag_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_release.main(["v1.2.0", "--root", str(_tree(tmp_path))]) == 0
    assert capsys.readouterr().err == "check_release: v1.2.0 matches __version__ 1.2.0 and CHANGELOG.md [1.2.0]\n"


def test_notes_are_the_versions_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_release.main(["v1.2.0", "--root", str(_tree(tmp_path)), "--notes"]) == 0
    assert capsys.readouterr().out == "### Added\n\n- A thing.\n\n### Fixed\n\n- Another.\n"


@pytest.mark.parametrize(
    ("tag", "version", "changelog", "message"),
    [
        ("v1.2.1", "1.2.0", CHANGELOG, "tag 'v1.2.1' does not match __version__ '1.2.0' in src/bafctl/__init__.py"),
        ("1.2.0", "1.2.0", CHANGELOG, "tag '1.2.0' does not match __version__ '1.2.0'"),
        ("v1.3.0", "1.3.0", CHANGELOG, "CHANGELOG.md: no section for 1.3.0: move the [Unreleased] entries"),
        (
            "v1.2.0",
            "1.2.0",
            CHANGELOG.replace("[1.2.0] - 2026-03-02", "[1.2.0]"),
            "CHANGELOG.md:7: [1.2.0] needs its release date: `## [1.2.0] - YYYY-MM-DD`",
        ),
        (
            "v1.2.0",
            "1.2.0",
            CHANGELOG.replace("2026-03-02", "2026-02-30"),
            "CHANGELOG.md:7: [1.2.0] needs its release date",
        ),
        (
            "v1.2.0",
            "1.2.0",
            CHANGELOG.replace("## [Unreleased]\n\n", ""),
            "CHANGELOG.md: the first section must be `## [Unreleased]`",
        ),
        (
            "v1.2.0",
            "1.2.0",
            CHANGELOG.replace("### Fixed", "### Bug fixes"),
            "CHANGELOG.md:13: `### Bug fixes`: use one",
        ),
        (
            "v1.2.0",
            "1.2.0",
            CHANGELOG.replace("- A thing.\n", "").replace("- Another.\n", ""),
            "CHANGELOG.md:7: the section for 1.2.0 lists no changes",
        ),
        ("v1.2.0", "1.2.0", CHANGELOG.replace("## [1.1.0]", "## [1.2.0]"), "CHANGELOG.md:17: [1.2.0] appears twice"),
        ("v1.2", "1.2", CHANGELOG.replace("1.2.0", "1.2"), "ok"),  # two parts are PEP 440 too
        (
            "v01.2.0",
            "01.2.0",
            CHANGELOG.replace("1.2.0", "01.2.0"),
            "src/bafctl/__init__.py: __version__ '01.2.0' is not a canonical PEP 440 version",
        ),
    ],
)
def test_a_mismatch_fails_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tag: str, version: str, changelog: str, message: str
) -> None:
    root = _tree(tmp_path, version, changelog)
    code = check_release.main([tag, "--root", str(root)])
    err = capsys.readouterr().err
    if message == "ok":
        assert code == 0, err
        return
    assert code == 1
    assert f"check_release: {message}" in err
    assert err.endswith(f"check_release: {tag} cannot be released (docs/releasing.md)\n")


def test_a_missing_version_or_changelog_is_reported_not_raised(tmp_path: Path) -> None:
    assert check_release.release_problems("v1.0.0", tmp_path)[0].startswith("cannot read the version: ")
    (tmp_path / "src/bafctl").mkdir(parents=True)
    (tmp_path / "src/bafctl/__init__.py").write_text("VERSION = '1.0.0'\n", encoding="utf-8")
    assert check_release.release_problems("v1.0.0", tmp_path) == [
        'cannot read the version: src/bafctl/__init__.py: no `__version__ = "..."` assignment'
    ]
    _tree(tmp_path / "other", "1.0.0")
    (tmp_path / "other/CHANGELOG.md").unlink()
    problems = check_release.release_problems("v1.0.0", tmp_path / "other")
    assert problems == ["cannot read CHANGELOG.md: No such file or directory"]


def test_the_script_runs_as_the_workflow_runs_it(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    ok = subprocess.run(
        [sys.executable, str(SCRIPT), "v1.2.0"], cwd=root, capture_output=True, text=True, check=False, timeout=60
    )
    assert (ok.returncode, ok.stdout) == (0, "")
    bad = subprocess.run(
        [sys.executable, str(SCRIPT), "v9.9.9"], cwd=root, capture_output=True, text=True, check=False, timeout=60
    )
    assert bad.returncode == 1
    assert "tag 'v9.9.9' does not match __version__ '1.2.0'" in bad.stderr


# -- the wheel itself (slow, and only where `build` is installed) ----------------------


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("build") is None, reason="needs `pip install build`")
def test_the_wheel_builds_and_carries_the_package(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO_ROOT / name, tree / name)
    shutil.copytree(REPO_ROOT / "src" / "bafctl", tree / "src" / "bafctl", ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"), str(tree)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    assert wheel.name == f"bafctl-{bafctl.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"bafctl-{bafctl.__version__}.dist-info/METADATA").decode()
        entry_points = archive.read(f"bafctl-{bafctl.__version__}.dist-info/entry_points.txt").decode()
    assert {"bafctl/__init__.py", "bafctl/py.typed", "bafctl/templates/__init__.py"} <= names
    assert f"\nVersion: {bafctl.__version__}\n" in metadata
    assert "bafctl = bafctl.cli:main" in entry_points
