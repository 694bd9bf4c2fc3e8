"""Build real temporary git repositories for the diff and history tests.

Repositories are built with GitPython (style.md 8.5) with an explicit author, committer
and dates, no global identity and no signing, so commit IDs and outputs are
reproducible. Helpers that mimic a user (``git(...)``, a shallow clone) run the real
``git`` through argument lists. ``tests/conftest.py`` already isolates HOME and the
global git configuration.

Also here: a tiny block-YAML writer and a synthetic register (``synthetic_register``),
so tests can describe registers as Python data and commit them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import git as gitpython

AUTHOR_NAME = "Risk Officer"
AUTHOR_EMAIL = "risk.officer@example.invalid"
#: Commit dates start here and advance one day a commit unless a date is given.
EPOCH = dt.datetime(2025, 9, 1, 9, 0, tzinfo=dt.UTC)


def git(repo: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run git in ``repo`` and return its stdout (raises on failure)."""
    full_env = {**os.environ, **(env or {})}
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False, env=full_env)
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return done.stdout


class GitRepo:
    """A temporary repository with deterministic commits."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tick = 0
        root.mkdir(parents=True, exist_ok=True)
        self.repo = gitpython.Repo.init(root, initial_branch="main")
        with self.repo.config_writer() as config:
            config.set_value("commit", "gpgsign", "false")

    def write(self, path: str, content: str | bytes) -> Path:
        """Write a file (creating folders); text is written as UTF-8 with LF endings."""
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        target.write_bytes(data)
        return target

    def write_register(self, folder: str, files: Mapping[str, str | bytes]) -> None:
        """Write every file of a register (paths relative to ``folder``)."""
        for name, content in files.items():
            self.write(f"{folder}/{name}", content)

    def remove(self, path: str) -> None:
        """Delete a file from the working tree."""
        (self.root / path).unlink()

    def move(self, old: str, new: str) -> None:
        """Rename a file in the working tree."""
        target = self.root / new
        target.parent.mkdir(parents=True, exist_ok=True)
        (self.root / old).rename(target)

    def commit(
        self,
        message: str,
        *,
        date: dt.datetime | None = None,
        author: str = AUTHOR_NAME,
        email: str = AUTHOR_EMAIL,
    ) -> str:
        """Stage everything and commit with a fixed author and date; returns the full SHA."""
        self._tick += 1
        when = date or EPOCH + dt.timedelta(days=self._tick)
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        # git's internal date format: seconds since the epoch and the UTC offset.
        stamp = f"{int(when.timestamp())} {when.strftime('%z')}"
        identity = {
            "GIT_AUTHOR_NAME": author,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_NAME": author,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_COMMITTER_DATE": stamp,
        }
        # Through GitPython's command wrapper rather than `index.commit`, which cannot
        # stage file names that are not UTF-8 (one test commits a Latin-1 name).
        self.repo.git.add("--all")
        self.repo.git.commit("--quiet", "--allow-empty", "--no-verify", "-m", message, env=identity)
        return self.head()

    def head(self) -> str:
        """The full SHA of HEAD."""
        return str(self.repo.head.commit.hexsha)

    def tag(self, name: str, rev: str = "HEAD") -> None:
        """A lightweight tag (e.g. one per board meeting)."""
        self.repo.create_tag(name, ref=rev)

    def clone_shallow(self, target: Path, depth: int = 1) -> Path:
        """A depth-limited clone, as CI makes by default."""
        subprocess.run(
            ["git", "clone", "--quiet", f"--depth={depth}", self.root.as_uri(), str(target)],
            check=True,
            capture_output=True,
        )
        return target


# ---------------------------------------------------------------------------
# YAML for test data
# ---------------------------------------------------------------------------


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        # A JSON string is a valid YAML double-quoted scalar.
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {type(value).__name__}")


def _block(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, (Mapping, list)) and item:
                lines.append(f"{pad}{key}:")
                lines += _block(item, indent + 2)
            elif isinstance(item, (Mapping, list)):
                lines.append(f"{pad}{key}: {'{}' if isinstance(item, Mapping) else '[]'}")
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (Mapping, list)) and item:
                inner = _block(item, indent + 2)
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines += inner[1:]
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    else:
        lines.append(pad + _scalar(value))
    return lines


def to_yaml(data: Mapping[str, Any]) -> str:
    """Block-style YAML for plain test data (strings double-quoted, dates plain)."""
    return "\n".join(_block(data, 0)) + "\n"


# ---------------------------------------------------------------------------
# A synthetic register
# ---------------------------------------------------------------------------


def register_settings(*, tolerance: int = 12, bands: Sequence[tuple[str, int, int]] | None = None) -> dict[str, Any]:
    """``register.yaml`` data for a small two-section register."""
    settings: dict[str, Any] = {
        "register": {"id": "TEST", "name": "Test Group BAF", "organisation": "Test Group"},
        "themes": [{"id": "T", "name": "Technology"}, {"id": "V", "name": "Valuing Everyone"}],
        "sections": [
            {"number": 1, "title": "T Technology", "themes": ["T"], "committee": "FPC"},
            {"number": 2, "title": "V Valuing Everyone", "themes": ["V"], "committee": "PCC"},
        ],
        "committees": [
            {"id": "FPC", "name": "Finance and Performance Committee"},
            {"id": "PCC", "name": "People and Culture Committee"},
        ],
        "roles": [
            {"id": "CFO", "title": "Chief Finance Officer"},
            {"id": "CPO", "title": "Group Chief People Officer"},
        ],
        "appetite_levels": [
            {"id": "open", "name": "Open", "tolerance": 16},
            {"id": "cautious", "name": "Cautious", "tolerance": tolerance},
        ],
    }
    if bands is not None:
        settings["matrix"] = {"bands": [{"name": n, "min": lo, "max": hi, "colour": "#000000"} for n, lo, hi in bands]}
    return settings


def risk_data(
    risk_id: str,
    title: str,
    *,
    current: tuple[int, int] = (4, 3),
    initial: tuple[int, int] = (5, 4),
    target: tuple[int, int] = (4, 2),
    level: str = "cautious",
    lead: str = "CFO",
    theme: str = "T",
    status: str = "approved",
    actions: Sequence[Mapping[str, Any]] = (),
    controls: Sequence[str] = ("Digital strategy approved by the board",),
    control_gaps: Sequence[str] = (),
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One risk's data with sensible defaults."""

    def assess(cl: tuple[int, int]) -> dict[str, int]:
        return {"consequence": cl[0], "likelihood": cl[1]}

    data: dict[str, Any] = {
        "id": risk_id,
        "title": title,
        "status": status,
        "strategic_link": theme,
        "oversight": ["FPC" if theme == "T" else "PCC"],
        "executive_lead": lead,
        "date_included": dt.date(2025, 4, 1),
        "last_updated": dt.date(2025, 9, 1),
        "assessments": {"initial": assess(initial), "current": assess(current), "target": assess(target)},
        "appetite": {"level": level},
        "causes": [
            {
                "description": "Cause: legacy systems",
                "controls": list(controls),
                "control_gaps": list(control_gaps),
                "actions": [dict(a) for a in actions],
            }
        ],
    }
    if extra:
        data.update(extra)
    return data


def action(
    action_id: str,
    text: str,
    *,
    owner: str = "CFO",
    due: dt.date = dt.date(2025, 12, 31),
    status: str = "open",
    completed: dt.date | None = None,
) -> dict[str, Any]:
    """One action's data."""
    data: dict[str, Any] = {"id": action_id, "action": text, "owner": owner, "due": due, "status": status}
    if completed is not None:
        data["completed"] = completed
    return data


def synthetic_register(risks: Sequence[Mapping[str, Any]], **settings: Any) -> dict[str, str]:
    """The files of a register: ``register.yaml`` and ``risks/<id>.yaml`` per risk."""
    files = {"register.yaml": to_yaml(register_settings(**settings))}
    for risk in risks:
        files[f"risks/{str(risk['id']).lower()}.yaml"] = to_yaml(risk)
    return files


# ---------------------------------------------------------------------------
# The Group BAF in git: September 2025 and January 2026
# ---------------------------------------------------------------------------

_TESTS = Path(__file__).resolve().parent
SEPTEMBER_2025 = _TESTS / "fixtures" / "group-baf-2025-09"
JANUARY_2026 = _TESTS.parent / "registers" / "group-baf"


def copy_register(source: Path, target: Path) -> None:
    """Replace ``target`` by a copy of the register at ``source``."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)


def group_baf_repo(root: Path) -> GitRepo:
    """The Group BAF as approved in September 2025 (tag ``board-2025-09``), then as
    presented in January 2026 (tag ``board-2026-01``), in ``registers/group-baf``."""
    repo = GitRepo(root)
    copy_register(SEPTEMBER_2025, root / "registers" / "group-baf")
    repo.commit(
        "Group BAF as approved by the Group Trust Board, 25 September 2025",
        date=dt.datetime(2025, 9, 25, 16, 0, tzinfo=dt.UTC),
    )
    repo.tag("board-2025-09")
    copy_register(JANUARY_2026, root / "registers" / "group-baf")
    repo.commit(
        "Group BAF for the Group Trust Board, 29 January 2026",
        date=dt.datetime(2026, 1, 19, 16, 0, tzinfo=dt.UTC),
        author="Director of Governance and Risk",
    )
    repo.tag("board-2026-01")
    return repo
