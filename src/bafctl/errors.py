"""Every error bafctl expects, and the exit code each maps to (README "Exit codes").

An expected error is one the user can fix: the CLI prints its message as one line,
``bafctl: error: ...``, and exits with its :attr:`~BafctlError.exit_code`, never with a
traceback. Anything else that escapes a command is a bug: exit 3, one line, and the
traceback only with ``--debug``. Keep every exception class here, so the exit code of
any failure can be found in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bafctl.findings import Finding


class ExitCode(IntEnum):
    """Exit codes, the same for every command (README "Exit codes")."""

    OK = 0
    """Success: no error-level findings (or, for report commands, nothing to flag)."""
    FINDINGS = 1
    """Error-level findings, a risk out of appetite, or a pending change under --check."""
    USAGE = 2
    """Usage or environment error: bad flag, missing path, not a git repository, a failed write."""
    INTERNAL = 3
    """A bug in bafctl: one line on stderr, the traceback only with --debug."""


class BafctlError(Exception):
    """An expected failure the user can fix; its message is one actionable line."""

    exit_code: ExitCode = ExitCode.USAGE


# -- exit 2: usage and environment -------------------------------------------------


class UsageError(BafctlError):
    """A bad argument or option value."""


class ConfigError(BafctlError):
    """The configuration file is not valid TOML or names an unknown rule, option or value."""


class RegisterNotFoundError(BafctlError):
    """A path holds no register, or does not exist."""


class RevisionError(BafctlError):
    """A git revision that cannot be used (unknown, unsafe, or missing from a shallow clone)."""


class NotAGitRepositoryError(BafctlError):
    """A command that needs git history was run outside a git repository."""


class RiskNotFoundError(BafctlError):
    """No loaded register holds a risk with the given ID."""


class BrowserError(BafctlError):
    """No headless Chromium to print with, or it failed to print."""


class OutputError(BafctlError):
    """The results cannot be written: a full disk, a broken pipe, a closed stdout."""


class LockHeldError(BafctlError):
    """Another bafctl holds the file's lock."""


class FileChangedError(BafctlError):
    """The file changed on disk after bafctl read it (lost-update protection)."""


class UnsafeTargetError(BafctlError):
    """The file is a symbolic link, not a regular file, or has several hard links."""


class WriteFailedError(BafctlError):
    """The operating system refused the write (full disk, permissions); the file is unchanged."""


# -- exit 1: the register needs attention ------------------------------------------


class RegistersInvalidError(BafctlError):
    """A register has error-level findings, so nothing is produced from it (exit 1).

    A board paper built from a register with a broken file would silently leave a risk
    out. The CLI prints each finding (``path:line:col``) before the message.
    """

    exit_code = ExitCode.FINDINGS

    def __init__(self, message: str, findings: Sequence[Finding] = ()) -> None:
        super().__init__(message)
        self.findings = list(findings)


class WriteRefusedError(BafctlError):
    """A write was refused to protect the file (invalid, changed, locked or unsafe)."""

    exit_code = ExitCode.FINDINGS


class RescoreRefusedError(WriteRefusedError):
    """The file cannot be rescored safely as it stands; nothing was written (exit 1)."""

    def __init__(self, message: str, findings: Sequence[Finding] = ()) -> None:
        super().__init__(message)
        self.findings = list(findings)


# -- exit 3: a bug -------------------------------------------------------------------


class VerificationError(BafctlError):
    """The edited text did not re-read as exactly the requested change (a bug); nothing written."""

    exit_code = ExitCode.INTERNAL
