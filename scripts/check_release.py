#!/usr/bin/env python3
"""Check that a release tag, ``bafctl.__version__`` and CHANGELOG.md agree.

Run by the release workflow before anything is built (docs/releasing.md)::

    python scripts/check_release.py v1.2.0            # exit 0, or 1 with every problem
    python scripts/check_release.py v1.2.0 --notes    # also print the version's changelog section

It reads the source tree, not an installed bafctl: the version is the string assigned to
``__version__`` in ``src/bafctl/__init__.py``, which is what the wheel will carry. Pure
standard library, so it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import re
import sys
from dataclasses import dataclass
from pathlib import Path

#: PEP 440 versions in canonical form (PEP 440, appendix B), without local versions:
#: the package index refuses those.
PEP440 = re.compile(
    r"^([1-9][0-9]*!)?(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*((a|b|rc)(0|[1-9][0-9]*))?"
    r"(\.post(0|[1-9][0-9]*))?(\.dev(0|[1-9][0-9]*))?$"
)

#: The section headings Keep a Changelog 1.1.0 allows under a version.
CHANGE_TYPES = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")

_VERSION_HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\](?: - (?P<date>\S+))?\s*$")

INIT_PY = Path("src/bafctl/__init__.py")
CHANGELOG = Path("CHANGELOG.md")


@dataclass(frozen=True)
class Section:
    """One ``## [...]`` section of the changelog."""

    version: str
    date: str | None
    line: int
    body: list[str]


def source_version(root: Path) -> str:
    """The string assigned to ``__version__`` in the package's ``__init__.py``.

    Raises:
        ValueError: when the file has no plain ``__version__ = "..."`` assignment.
    """
    tree = ast.parse((root / INIT_PY).read_text(encoding="utf-8"), filename=str(INIT_PY))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(target, ast.Name) and target.id == "__version__" for target in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    raise ValueError(f'{INIT_PY}: no `__version__ = "..."` assignment')


def changelog_sections(text: str) -> list[Section]:
    """The ``## [...]`` sections of a Keep a Changelog file, in order."""
    sections: list[Section] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _VERSION_HEADING.match(line)
        if match:
            sections.append(Section(match["version"], match["date"], number, []))
        elif line.startswith("## "):
            sections.append(Section("", None, number, []))  # a heading that is not `## [...]`
        elif sections:
            sections[-1].body.append(line)
    return sections


def changelog_problems(text: str) -> list[str]:
    """What keeps CHANGELOG.md from following Keep a Changelog 1.1.0, one line each."""
    problems: list[str] = []
    sections = changelog_sections(text)
    if not text.startswith("# Changelog\n"):
        problems.append(f"{CHANGELOG}:1: the first line must be `# Changelog`")
    if not sections or sections[0].version != "Unreleased":
        problems.append(f"{CHANGELOG}: the first section must be `## [Unreleased]`")
    seen: set[str] = set()
    for section in sections:
        where = f"{CHANGELOG}:{section.line}"
        if not section.version:
            problems.append(f"{where}: a section heading must be `## [Unreleased]` or `## [X.Y.Z] - YYYY-MM-DD`")
            continue
        if section.version in seen:
            problems.append(f"{where}: [{section.version}] appears twice")
        seen.add(section.version)
        if section.version == "Unreleased":
            if section.date is not None:
                problems.append(f"{where}: [Unreleased] has no date")
        elif not PEP440.match(section.version):
            problems.append(f"{where}: [{section.version}] is not a PEP 440 version")
        elif section.date is None or not _is_iso_date(section.date):
            problems.append(
                f"{where}: [{section.version}] needs its release date: `## [{section.version}] - YYYY-MM-DD`"
            )
        for offset, line in enumerate(section.body, start=1):
            if line.startswith("### ") and line[4:].strip() not in CHANGE_TYPES:
                problems.append(
                    f"{CHANGELOG}:{section.line + offset}: `{line.strip()}`: use one of "
                    + ", ".join(f"### {kind}" for kind in CHANGE_TYPES)
                )
    return problems


def _is_iso_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text))


def release_problems(tag: str, root: Path) -> list[str]:
    """Why ``tag`` cannot be released from the tree at ``root``; empty when it can."""
    problems: list[str] = []
    try:
        version = source_version(root)
    except (OSError, SyntaxError, ValueError) as exc:
        return [f"cannot read the version: {exc}"]
    if not PEP440.match(version):
        problems.append(f"{INIT_PY}: __version__ {version!r} is not a canonical PEP 440 version")
    if tag != f"v{version}":
        problems.append(f"tag {tag!r} does not match __version__ {version!r} in {INIT_PY}: expected 'v{version}'")
    try:
        text = (root / CHANGELOG).read_text(encoding="utf-8")
    except OSError as exc:
        return [*problems, f"cannot read {CHANGELOG}: {exc.strerror or exc}"]
    problems.extend(changelog_problems(text))
    section = next((s for s in changelog_sections(text) if s.version == version), None)
    if section is None:
        problems.append(
            f"{CHANGELOG}: no section for {version}: move the [Unreleased] entries under `## [{version}] - YYYY-MM-DD`"
        )
    elif not any(line.startswith("- ") for line in section.body):
        problems.append(f"{CHANGELOG}:{section.line}: the section for {version} lists no changes")
    return problems


def release_notes(version: str, root: Path) -> str:
    """The body of the changelog section for ``version``, for the GitHub release."""
    text = (root / CHANGELOG).read_text(encoding="utf-8")
    section = next(s for s in changelog_sections(text) if s.version == version)
    return "\n".join(section.body).strip() + "\n"


def main(argv: list[str] | None = None) -> int:
    """Exit 0 when the tag can be released, 1 (with every problem on stderr) when not."""
    parser = argparse.ArgumentParser(description="Check a release tag against __version__ and CHANGELOG.md.")
    parser.add_argument("tag", help="the tag being released, e.g. v1.2.0")
    parser.add_argument("--root", type=Path, default=Path(), help="the repository root (default: here)")
    parser.add_argument("--notes", action="store_true", help="print the version's changelog section on success")
    args = parser.parse_args(argv)
    problems = release_problems(args.tag, args.root)
    if problems:
        for problem in problems:
            print(f"check_release: {problem}", file=sys.stderr)
        print(f"check_release: {args.tag} cannot be released (docs/releasing.md)", file=sys.stderr)
        return 1
    version = args.tag.removeprefix("v")
    print(f"check_release: {args.tag} matches __version__ {version} and CHANGELOG.md [{version}]", file=sys.stderr)
    if args.notes:
        sys.stdout.write(release_notes(version, args.root))
    return 0


if __name__ == "__main__":
    sys.exit(main())
