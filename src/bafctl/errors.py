"""Exit codes and the errors bafctl expects (user-fixable, never a traceback)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes, the same for every command (README "Exit codes")."""

    OK = 0
    """Success: no error-level findings (or, for report commands, nothing to flag)."""
    FINDINGS = 1
    """Error-level findings, a risk out of appetite, or a pending change under --check."""
    USAGE = 2
    """Usage or environment error: bad flag, missing path, not a git repository."""
    INTERNAL = 3
    """A bug in bafctl: one line on stderr, the traceback only with --debug."""


class BafctlError(Exception):
    """An expected failure the user can fix; its message is one actionable line."""

    exit_code: ExitCode = ExitCode.USAGE


class UsageError(BafctlError):
    """A bad argument or option value."""


class RegisterNotFoundError(BafctlError):
    """A path holds no register, or does not exist."""


class RevisionError(BafctlError):
    """A git revision that cannot be used (unknown, unsafe, or missing from a shallow clone)."""


class NotAGitRepositoryError(BafctlError):
    """A command that needs git history was run outside a git repository."""


class RiskNotFoundError(BafctlError):
    """No loaded register holds a risk with the given ID."""


class WriteRefusedError(BafctlError):
    """A write was refused to protect the file (invalid, changed, locked or unsafe)."""

    exit_code = ExitCode.FINDINGS
