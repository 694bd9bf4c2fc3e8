"""What is known about a revision: the value types diff, history and their renderers share.

Plain data, no git: :mod:`bafctl.gitio` fills them from the repository (through the git
adapter, :mod:`bafctl.sources.git`), tests build them directly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

#: The revision name that stands for the working tree (uncommitted files on disk).
#: It contains a space, so no branch or tag can ever be called this.
WORKTREE = "(working tree)"


@dataclass(frozen=True)
class RevisionInfo:
    """One side of a comparison: a commit, or the working tree on top of HEAD."""

    revision: str
    """The revision as the user named it (or :data:`WORKTREE`)."""
    sha: str | None
    """The full commit ID; for the working tree, HEAD's (None before the first commit)."""
    short: str | None
    date: dt.datetime | None
    """The author date of the commit; None for the working tree."""
    subject: str
    author: str
    dirty: bool | None = None
    """Working tree only: True when register files differ from HEAD (or are untracked)."""

    def to_json(self) -> dict[str, Any]:
        """The commit as every JSON output names it."""
        return {
            "sha": self.sha,
            "short": self.short,
            "date": self.date.isoformat() if self.date else None,
            "author": self.author,
            "subject": self.subject,
        }

    @property
    def is_worktree(self) -> bool:
        """True for the working tree."""
        return self.revision == WORKTREE

    @property
    def label(self) -> str:
        """How outputs name this side: ``HEAD (1a2b3c4)`` or ``working tree (uncommitted changes)``."""
        if self.is_worktree:
            return "working tree (uncommitted changes)" if self.dirty else "working tree (clean)"
        if self.short and self.revision not in (self.sha, self.short):
            return f"{self.revision} ({self.short})"
        return self.short or self.revision

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of a revision (docs/diff.md)."""
        return {
            "revision": self.revision,
            "worktree": self.is_worktree,
            "sha": self.sha,
            "short": self.short,
            "date": self.date.isoformat() if self.date else None,
            "subject": self.subject,
            "author": self.author,
            "dirty": self.dirty,
        }


@dataclass(frozen=True)
class FileChange:
    """One file a commit changed (``git log --raw``): blob IDs before and after."""

    path: str
    old_blob: str | None
    """None when the commit added the file."""
    new_blob: str | None
    """None when the commit deleted the file."""


@dataclass(frozen=True)
class CommitChanges:
    """A commit and the files it changed against its first parent, oldest commits first."""

    info: RevisionInfo
    parent: str | None
    changes: tuple[FileChange, ...] = field(default=())
