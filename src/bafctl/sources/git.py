"""The git adapter, on GitPython: repositories, revisions, trees, logs and blobs, read safely.

The only module that imports GitPython (``git``). Commands that do not read git never
import it: it is a large part of start-up (benchmarks/importtime.py). A leaf: nothing of bafctl above
:mod:`bafctl.errors`, :mod:`bafctl.escaping` and :mod:`bafctl.sources.layout`.

Safety (docs/reliability.md section C, docs/git-safety.md):

* A user's revision is checked (never empty, never starting with ``-``, no control
  characters), then resolved with ``git rev-parse --verify --quiet --end-of-options
  <rev>^{commit}`` to a full commit ID, which is checked with ``git cat-file -e``. Only
  those IDs reach later git calls, always after ``--end-of-options`` and before ``--``
  (R13). User text is only ever a positional argument, never a GitPython keyword option.
* Every git process GitPython starts gets ``--no-pager`` and the ``-c`` overrides of
  :data:`SAFE_CONFIG` (GitPython's persistent git options, so the long-running
  ``cat-file --batch`` behind :attr:`git.Repo.odb` gets them too), and an environment
  with no transport allowed. The variables a git hook leaves behind (``GIT_DIR``,
  ``GIT_INDEX_FILE`` ...) are hidden while GitPython finds the repository and are then
  pinned to the repository's own values, so bafctl reads the repository it was pointed
  at, not the hook's.
* A shallow clone (CI's default) gives one clear line with the fix (R14).
* Paths at a revision come from ``git ls-tree -z`` and are decoded as the disk reader
  names files (``os.fsdecode``), never from user input.

Speed (benchmarks/README.md): files are listed with one ``git ls-tree -r -z``, history
with one ``git log --raw -z``, and blobs are read through GitPython's object database
(one persistent ``git cat-file --batch``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from bafctl.errors import NotAGitRepositoryError, RevisionError

if TYPE_CHECKING:
    import git

SHALLOW_HINT = "shallow clone: set fetch-depth: 0 (GitHub Actions) or run `git fetch --unshallow`"
MISSING_OBJECT_HINT = (
    "is this a partial clone? bafctl never fetches: run `git fetch --refetch` or clone without --filter"
)
_NO_GIT = "git is not installed (or not on PATH): diff and history need it"

#: Configuration that could make a reading git command run a program (docs/git-safety.md),
#: overridden on every call with ``-c``: command-line configuration wins over the
#: repository's own ``.git/config`` and anything it includes.
SAFE_CONFIG: tuple[tuple[str, str], ...] = (
    ("core.fsmonitor", "false"),  # a hook program run when the index is refreshed
    ("core.hooksPath", os.devnull),  # no hook is ever found
    ("core.pager", "cat"),
    ("log.showSignature", "false"),  # would run gpg.program on every signed commit
    ("diff.external", ""),
    ("core.alternateRefsCommand", ""),
    ("protocol.allow", "never"),  # no lazy fetch in a partial clone (see GIT_ALLOW_PROTOCOL)
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
    ("safe.bareRepository", "explicit"),  # never discover a bare repository planted in the tree
    ("log.showRoot", "true"),  # correctness: the first commit's files are changes too
    ("i18n.logOutputEncoding", "UTF-8"),
)

#: Set for every git process: never prompt, never lock, no pager, and no transport at all
#: (whatever protocol.<name>.allow the repository sets), so a partial clone never fetches a
#: missing object through ssh, credential helpers or ext:: remotes of its author's choosing.
SAFE_ENV: dict[str, str] = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_PAGER": "cat",
    "GIT_ALLOW_PROTOCOL": "",
    "GIT_NO_LAZY_FETCH": "1",
}

# Variables a git hook (pre-commit) or `git -c` leaves behind that would point our git
# calls at another repository, index or object store.
REPOSITORY_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_QUARANTINE_PATH",
    "GIT_GRAFT_FILE",
    "GIT_SHALLOW_FILE",
    "GIT_REPLACE_REF_BASE",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_EXTERNAL_DIFF",
    "GIT_DIFF_OPTS",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_INTERNAL_SUPER_PREFIX",
)
_OBJECT_ID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_UNSAFE_REVISION = re.compile(r"[\x00-\x1f\x7f]")
REGULAR_FILE_MODES = frozenset({"100644", "100755"})
_REGULAR_MODES = frozenset({0o100644, 0o100755})

# ``git log -z``: a marker, then fields separated by NUL; the subject comes last.
_LOG_FORMAT = "%x01%H%x00%h%x00%P%x00%aI%x00%an%x00%s"
_HEADER_FIELDS = 6


def _shown(revision: str) -> str:
    """A revision as it may appear in a message: quoted, control characters escaped."""
    from bafctl.escaping import terminal

    text = revision if len(revision) <= 80 else revision[:77] + "..."
    return repr(terminal(text))


def _git_message(stderr: bytes | str) -> str:
    from bafctl.escaping import one_line, terminal

    text = stderr.decode("utf-8", errors="replace") if isinstance(stderr, bytes) else stderr
    lines = [line.removeprefix("fatal: ").removeprefix("error: ") for line in text.strip().splitlines() if line.strip()]
    return terminal(one_line(lines[0] if lines else "no message"))[:300]


def check_revision(revision: str) -> str:
    """Refuse a user revision that git could read as an option or that is malformed.

    Raises :class:`RevisionError` (exit 2). Resolution happens in
    :meth:`GitRepository.resolve`; this only refuses what must never reach git at all.
    """
    if not revision or not revision.strip():
        raise RevisionError("empty revision: name a commit, branch or tag")
    if revision.startswith("-"):
        raise RevisionError(
            f"refusing revision {_shown(revision)}: a revision may not start with '-' (it would be read as an option)"
        )
    if _UNSAFE_REVISION.search(revision):
        raise RevisionError(f"refusing revision {_shown(revision)}: it contains a control character")
    return revision


def path_text(raw: bytes) -> str:
    """A file name from git as the disk reader names it (``os.fsdecode``: surrogate escapes)."""
    return os.fsdecode(raw)


@dataclass(frozen=True)
class LogCommit:
    """One commit of ``git log``: what it says about itself and (with ``--raw``) its files."""

    sha: str
    short: str
    parents: tuple[str, ...]
    date: dt.datetime
    author: str
    subject: str
    changes: tuple[tuple[str, str | None, str | None], ...] = ()
    """``(path, old blob, new blob)`` of each regular file changed; None for added / deleted."""


def _gitpython() -> Any:
    try:
        import git
    except ImportError:  # GitPython refuses to import without a working git
        raise NotAGitRepositoryError(_NO_GIT) from None
    return git


@contextlib.contextmanager
def _hidden_repository_env() -> Iterator[dict[str, str]]:
    """Hide a hook's repository variables while GitPython finds the repository.

    GitPython reads ``GIT_WORK_TREE``, ``GIT_COMMON_DIR`` and ``GIT_OBJECT_DIRECTORY``
    from the process environment when it opens a repository; bafctl must open the one it
    was pointed at. Yields the hidden variables; they are put back afterwards.
    """
    hidden = {name: os.environ.pop(name) for name in REPOSITORY_ENV if name in os.environ}
    try:
        yield hidden
    finally:
        os.environ.update(hidden)


class GitRepository:
    """A git repository read through GitPython, every git process started safely."""

    def __init__(self, repo: git.Repo, root: Path) -> None:
        self.repo = repo
        self.root = root
        self._shallow: bool | None = None

    @classmethod
    def discover(cls, cwd: Path) -> Self:
        """The repository holding ``cwd``; exit 2 when there is none or git is missing."""
        gitpython = _gitpython()
        with _hidden_repository_env() as hidden:
            try:
                repo = gitpython.Repo(cwd, search_parent_directories=True)
            except (gitpython.InvalidGitRepositoryError, gitpython.NoSuchPathError):
                raise NotAGitRepositoryError(
                    f"{cwd}: not in a git repository; diff and history read the registers' git history"
                ) from None
        if repo.bare or repo.working_tree_dir is None:
            raise NotAGitRepositoryError(f"{cwd}: a bare git repository; diff and history need a working tree")
        command = repo.git
        command.set_persistent_git_options(no_pager=True, c=[f"{key}={value}" for key, value in SAFE_CONFIG])
        git_dir, common = Path(os.fspath(repo.git_dir)), Path(os.fspath(repo.common_dir))
        # A hook's variables, still in the process environment, pinned to this repository's
        # own values (GitPython cannot unset a variable for its children).
        pinned = {
            "GIT_DIR": str(git_dir),
            "GIT_WORK_TREE": os.fspath(repo.working_tree_dir),
            "GIT_COMMON_DIR": str(common),
            "GIT_INDEX_FILE": str(git_dir / "index"),
            "GIT_OBJECT_DIRECTORY": str(common / "objects"),
            "GIT_GRAFT_FILE": str(common / "info" / "grafts"),
            "GIT_SHALLOW_FILE": str(common / "shallow"),
            "GIT_REPLACE_REF_BASE": "refs/replace/",
            "GIT_NO_REPLACE_OBJECTS": "0",
            "GIT_IMPLICIT_WORK_TREE": "1",
        }
        command.update_environment(**SAFE_ENV, **{name: pinned.get(name, "") for name in hidden})
        found = cls(repo, Path(os.fspath(repo.working_tree_dir)))
        done = found.run(["rev-parse", "--show-toplevel"])
        if done[0] != 0:
            raise NotAGitRepositoryError(
                f"{cwd}: not in a git repository ({_git_message(done[2])}); "
                "diff and history read the registers' git history"
            )
        found.root = Path(path_text(done[1].rstrip(b"\n"))).resolve()
        return found

    def close(self) -> None:
        """End GitPython's persistent git processes."""
        self.repo.close()

    # -- running git -------------------------------------------------------

    def run(self, args: Sequence[str]) -> tuple[int, bytes, bytes]:
        """``git <args>`` through GitPython (with the safe options): status, stdout, stderr."""
        gitpython = _gitpython()
        command, *rest = args
        try:
            status, out, err = getattr(self.repo.git, command.replace("-", "_"))(
                *rest,
                with_extended_output=True,
                with_exceptions=False,
                stdout_as_string=False,
                strip_newline_in_stdout=False,
            )
        except gitpython.GitCommandNotFound:
            raise NotAGitRepositoryError(_NO_GIT) from None
        return int(status), bytes(out), err.encode("utf-8", "replace") if isinstance(err, str) else bytes(err)

    def git(self, args: Sequence[str], *, what: str) -> bytes:
        """Run ``git <args>``; on failure raise an exit-2 error naming ``what``."""
        status, out, err = self.run(args)
        if status != 0:
            raise RevisionError(f"{what}: git failed: {_git_message(err)}")
        return out

    def is_shallow(self) -> bool:
        """True in a shallow clone (history cut off, as CI checkouts are by default)."""
        if self._shallow is None:
            out = self.git(["rev-parse", "--is-shallow-repository"], what="checking for a shallow clone")
            self._shallow = out.strip() == b"true"
        return self._shallow

    def head(self) -> str | None:
        """HEAD's full commit ID, or None before the first commit."""
        status, out, _ = self.run(["rev-parse", "--verify", "--quiet", "--end-of-options", "HEAD^{commit}"])
        text = out.decode("ascii", errors="replace").strip()
        return text if status == 0 and _OBJECT_ID.fullmatch(text) else None

    def resolve(self, revision: str) -> str:
        """A user's revision as a full commit ID, or an exit-2 error that says why (R13, R14)."""
        check_revision(revision)
        status, out, _ = self.run(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"])
        sha = out.decode("ascii", errors="replace").strip()
        if status != 0 or not _OBJECT_ID.fullmatch(sha):
            if self.is_shallow():
                raise RevisionError(f"revision {_shown(revision)} is not in this clone's history: {SHALLOW_HINT}")
            if self.head() is None:
                raise RevisionError(f"unknown revision {_shown(revision)}: the repository has no commits yet")
            raise RevisionError(f"unknown revision {_shown(revision)}: not a commit, branch or tag in {self.root}")
        if self.run(["cat-file", "-e", f"{sha}^{{commit}}"])[0] != 0:
            hint = SHALLOW_HINT if self.is_shallow() else "the object database is incomplete"
            raise RevisionError(f"revision {_shown(revision)} resolves to {sha[:12]}, which is missing: {hint}")
        return sha

    def require_full_history(self, what: str) -> None:
        """Refuse to read history in a shallow clone, where it would silently stop early."""
        if self.is_shallow():
            raise RevisionError(f"{what} needs the full history: {SHALLOW_HINT}")

    def abbrev(self, sha: str) -> int:
        """How many hex digits git shows for a short commit ID here (``--no-abbrev`` hides it)."""
        status, out, _ = self.run(["rev-parse", "--short", "--end-of-options", sha])
        text = out.strip()
        return len(text) if status == 0 and 4 <= len(text) <= 64 else 7

    # -- commits -----------------------------------------------------------

    def commit(self, sha: str) -> LogCommit:
        """Date, author and subject of one commit (``sha`` must be resolved already)."""
        out = self.git(
            ["log", "-1", "--no-walk", "--no-show-signature", "-z", f"--format={_LOG_FORMAT}", "--end-of-options", sha],
            what=f"reading commit {sha[:12]}",
        )
        return _parse_log(out)[0]

    def log(self, head: str, *, since: str | None = None, pathspecs: Sequence[str] = ()) -> list[LogCommit]:
        """Every commit reachable from ``head`` (not from ``since``) that changed ``pathspecs``.

        Newest first, each with the regular files it changed against its first parent
        (merge commits are left out: the commits they merge carry the changes). One ``git
        log --raw`` call; renames are a deletion and an addition (``--no-renames``).
        """
        revisions = [head] if since is None else [head, f"^{since}"]
        args = [
            "log",
            "--raw",
            "--no-abbrev",
            "--no-renames",
            "--no-show-signature",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "-z",
            f"--format={_LOG_FORMAT}",
            "--end-of-options",
            *revisions,
            "--",
            *pathspecs,
        ]
        out = self.git(args, what="reading the history")
        abbrev = self.abbrev(head) if out else 7
        return _parse_log(out, abbrev)

    # -- trees and blobs ---------------------------------------------------

    def tree(self, sha: str) -> dict[str, str]:
        """Every regular file at a commit: repository-relative path -> blob ID.

        Symbolic links and submodules are left out (docs/reliability.md R16).
        """
        out = self.git(["ls-tree", "-r", "-z", "--full-tree", "--end-of-options", sha], what=f"listing {sha[:12]}")
        files: dict[str, str] = {}
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, _, raw_path = record.partition(b"\t")
            mode, kind, oid = meta.decode("ascii", errors="replace").split(" ")
            if kind == "blob" and mode in REGULAR_FILE_MODES:
                files[path_text(raw_path)] = oid
        return files

    def blob(self, oid: str, limit: int) -> bytes | None:
        """A blob's bytes through the object database, at most ``limit`` bytes; None when missing."""
        gitpython = _gitpython()
        try:
            stream = self.repo.odb.stream(bytes.fromhex(oid))
        except ValueError as exc:
            if "missing" in str(exc):
                return None
            raise RevisionError(f"git could not read an object: {MISSING_OBJECT_HINT}") from None
        except gitpython.GitCommandNotFound:
            raise NotAGitRepositoryError(_NO_GIT) from None
        if stream.type not in (b"blob", "blob"):  # GitPython gives the type as bytes
            _drain(stream, stream.size)
            return None
        keep = bytes(stream.read(min(stream.size, limit)))
        _drain(stream, stream.size - len(keep))  # an oversized blob: the rest is not kept
        return keep

    def blobs(self, oids: Sequence[str], limit: int) -> Iterator[tuple[str, bytes]]:
        """The bytes of each blob that exists (at most ``limit`` bytes each).

        A few blobs go through the object database one at a time. Many go through one
        ``git cat-file --batch`` that GitPython starts (with the same options and
        environment) and that is fed by a thread while this reads the answers: waiting
        for each answer before asking the next costs a round trip per blob, which adds
        up over a long history or a large register (benchmarks/README.md).
        """
        if len(oids) < _PIPELINE_FROM:
            for oid in oids:
                data = self.blob(oid, limit)
                if data is not None:
                    yield oid, data
            return
        yield from self._pipelined(oids, limit)

    def _pipelined(self, oids: Sequence[str], limit: int) -> Iterator[tuple[str, bytes]]:
        import subprocess
        import threading

        gitpython = _gitpython()
        for oid in oids:
            if not _OBJECT_ID.fullmatch(oid):
                raise ValueError(f"not an object ID: {oid!r}")
        try:
            process = self.repo.git.cat_file("--batch", as_process=True, istream=subprocess.PIPE)
        except gitpython.GitCommandNotFound:
            raise NotAGitRepositoryError(_NO_GIT) from None
        stdin, stdout = process.proc.stdin, process.proc.stdout
        payload = "".join(f"{oid}\n" for oid in oids).encode("ascii")

        def feed() -> None:
            with contextlib.suppress(BrokenPipeError, ValueError, OSError):  # the reader reports it
                stdin.write(payload)
                stdin.flush()
                stdin.close()

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        try:
            for oid in oids:
                found = _batch_answer(stdout, limit)
                if found is not None:
                    yield oid, found
        finally:
            writer.join()
            with contextlib.suppress(OSError):
                stdout.close()
            process.proc.wait()

    def file_at(self, commit: str, path: str, limit: int) -> tuple[str, bytes] | None:
        """A regular file at a commit: its blob ID and bytes (None when absent or not a file).

        A name git may store but ``cat-file --batch`` cannot be asked for (a newline, bytes
        that are not UTF-8) is found by walking the commit's trees.
        """
        gitpython = _gitpython()
        if _OBJECT_ID.fullmatch(commit) and "\n" not in path and path.isprintable() and path.isascii():
            # The common case: one request to the object database's process. (A symbolic
            # link is a blob too; git itself never writes a register.yaml as one.)
            try:
                oid, kind, size, stream = self.repo.git.stream_object_data(f"{commit}:{path}")
            except ValueError as exc:
                if "missing" in str(exc):
                    return None
                raise RevisionError(f"git could not read an object: {MISSING_OBJECT_HINT}") from None
            keep = bytes(stream.read(min(size, limit)))
            _drain(stream, size - len(keep))
            if kind not in (b"blob", "blob"):
                return None
            return (oid.decode("ascii") if isinstance(oid, bytes) else oid), keep
        try:
            item = self.repo.commit(commit).tree / path
        except (KeyError, ValueError):
            return None
        except gitpython.GitCommandNotFound:
            raise NotAGitRepositoryError(_NO_GIT) from None
        if item.type != "blob" or item.mode not in _REGULAR_MODES:
            return None
        data = self.blob(item.hexsha, limit)
        return None if data is None else (item.hexsha, data)

    def object_id(self, data: bytes, like: str) -> str:
        """The ID git gives a blob of ``data`` (SHA-1, or SHA-256 when ``like`` is 64 digits)."""
        import hashlib

        algorithm = hashlib.sha256 if len(like) == 64 else hashlib.sha1
        return algorithm(b"blob %d\0" % len(data) + data).hexdigest()


_PIPELINE_FROM = 32


def _batch_answer(stdout: Any, limit: int) -> bytes | None:
    """One answer of ``git cat-file --batch``: a blob's bytes (up to ``limit``), or None."""
    header = stdout.readline()
    if not header:
        raise RevisionError(f"git could not read an object: {MISSING_OBJECT_HINT}")
    parts = header.rstrip(b"\n").split(b" ")
    if len(parts) != 3:
        return None  # "<name> missing"
    size = int(parts[2])
    keep = stdout.read(min(size, limit))
    _drain(stdout, size - len(keep))
    stdout.read(1)  # the newline after the content
    return keep if parts[1] == b"blob" else None


def _drain(stream: Any, remaining: int) -> None:
    while remaining > 0:
        chunk = stream.read(min(remaining, 1 << 20))
        if not chunk:
            raise RevisionError(f"git could not read an object: {MISSING_OBJECT_HINT}")
        remaining -= len(chunk)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _parse_log(out: bytes, abbrev: int | None = None) -> list[LogCommit]:
    tokens = out.split(b"\0")
    commits: list[LogCommit] = []
    index = 0
    while index < len(tokens):
        first = tokens[index].lstrip(b"\n")
        if not first:
            index += 1
            continue
        fields = tokens[index : index + _HEADER_FIELDS]
        if len(fields) != _HEADER_FIELDS or not first.startswith(b"\x01"):
            raise RuntimeError("unexpected `git log` output")
        sha = _text(first[1:])
        index += _HEADER_FIELDS
        changes: list[tuple[str, str | None, str | None]] = []
        while index < len(tokens):
            raw = tokens[index].lstrip(b"\n")
            if not raw.startswith(b":"):
                break
            # ":<old mode> <new mode> <old blob> <new blob> <status>", then the path.
            old_mode, new_mode, old_blob, new_blob, _status = _text(raw[1:]).split(" ")
            path = path_text(tokens[index + 1])
            index += 2
            old = old_blob if old_mode in REGULAR_FILE_MODES else None
            new = new_blob if new_mode in REGULAR_FILE_MODES else None
            if old is not None or new is not None:
                changes.append((path, old, new))
        commits.append(
            LogCommit(
                sha=sha,
                short=sha[:abbrev] if abbrev else _text(fields[1]),
                parents=tuple(_text(fields[2]).split()),
                date=dt.datetime.fromisoformat(_text(fields[3])),
                author=_text(fields[4]),
                subject=_text(fields[5]),
                changes=tuple(changes),
            )
        )
    return commits
