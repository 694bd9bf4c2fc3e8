"""The one module that runs git: revisions, trees, logs and blobs, read safely and fast.

Safety (reliability.md section C):

* A user's revision is checked (never empty, never starting with ``-``, no control
  characters), then resolved with ``git rev-parse --verify --quiet --end-of-options
  <rev>^{commit}`` to a full commit ID, which is checked with ``git cat-file -e``. Only
  those IDs reach later git calls, always after ``--end-of-options`` and before ``--``
  (R13). A revision can therefore never be read as an option such as ``--output=FILE``.
* git runs through ``subprocess`` argument lists, never a shell and never
  ``repo.git.<cmd>(user_string)``. The environment a git hook leaves behind
  (``GIT_DIR``, ``GIT_INDEX_FILE`` ...) is dropped, and the repository is named with
  ``git -C <root>``, so bafctl reads the repository it was pointed at, not the hook's.
* A shallow clone (CI's default) gives one clear line with the fix (R14).
* Paths at a revision come from ``git ls-tree``, never from user input; a file that no
  longer validates becomes positioned findings for that revision (R15).

Speed (performance.md "Git"): files are listed with one ``git ls-tree -r -z``, history
with one ``git log --raw -z``, and blobs are read through one persistent ``git cat-file
--batch`` process rather than one process (or one GitPython call) per file. GitPython is
not used: subprocess is faster here and keeps ``import git`` (150 ms) out of start-up.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import subprocess
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any

from bafctl.errors import NotAGitRepositoryError, RevisionError, UsageError

if TYPE_CHECKING:
    from bafctl.history import RiskHistory
    from bafctl.loader import Workspace

#: The revision name that stands for the working tree (uncommitted files on disk).
#: It contains a space, so no branch or tag can ever be called this.
WORKTREE = "(working tree)"

SHALLOW_HINT = "shallow clone: set fetch-depth: 0 (GitHub Actions) or run `git fetch --unshallow`"

# Variables a git hook (pre-commit) or `git -c` leaves behind that would point our git
# calls at another repository, index or object store.
_REPOSITORY_ENV = (
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
_REGULAR_FILE_MODES = frozenset({"100644", "100755"})


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REPOSITORY_ENV}
    env["GIT_TERMINAL_PROMPT"] = "0"  # never wait for a password
    env["GIT_OPTIONAL_LOCKS"] = "0"  # `git status` must not take index.lock under a hook
    env["GIT_PAGER"] = "cat"
    return env


def _shown(revision: str) -> str:
    """A revision as it may appear in a message: quoted, control characters escaped."""
    from bafctl.escaping import terminal

    text = revision if len(revision) <= 80 else revision[:77] + "..."
    return repr(terminal(text))


def _git_message(stderr: bytes) -> str:
    from bafctl.escaping import one_line, terminal

    text = stderr.decode("utf-8", errors="replace").strip()
    lines = [line.removeprefix("fatal: ").removeprefix("error: ") for line in text.splitlines() if line.strip()]
    return terminal(one_line(lines[0] if lines else "no message"))[:300]


# ---------------------------------------------------------------------------
# What is known about a revision
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Checking revisions and paths (pure)
# ---------------------------------------------------------------------------


def check_revision(revision: str) -> str:
    """Refuse a user revision that git could read as an option or that is malformed.

    Raises :class:`RevisionError` (exit 2). Resolution happens in
    :meth:`Repository.resolve`; this only refuses what must never reach git at all.
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


def is_register_candidate(path: str) -> bool:
    """True for a YAML file bafctl would read in a register folder (as the loader does)."""
    from bafctl.loader import SKIPPED_DIRS, YAML_SUFFIXES

    if not path.endswith(YAML_SUFFIXES) or "\n" in path or "\r" in path:
        return False
    *folders, name = path.split("/")
    if not name or name.startswith("."):
        return False
    return not any(part in SKIPPED_DIRS or part.startswith(".") for part in folders)


def _parent_dir(path: str) -> str:
    parent = str(PurePosixPath(path).parent)
    return parent


def _inside(path: str, folder: str) -> bool:
    return folder in (".", path) or path.startswith(folder + "/")


def select_register_files(tree_paths: Iterable[str], wanted: Sequence[str]) -> list[str]:
    """The files of the registers that ``wanted`` names, from a list of paths in a tree.

    Mirrors :func:`bafctl.loader.discover_register_roots` for a tree read from git: a path
    inside a register names that register; a folder above registers names each register
    below it; no paths names every register. Paths are repository-relative POSIX paths
    (``"."`` is the top). A path naming nothing at this revision selects nothing.
    """
    from bafctl.loader import REGISTER_FILE

    candidates = sorted(p for p in tree_paths if is_register_candidate(p))
    roots = sorted({_parent_dir(p) for p in candidates if PurePosixPath(p).name == REGISTER_FILE})
    by_depth = sorted(roots, key=lambda d: (-d.count("/") if d != "." else 1, d))
    chosen: list[str] = []
    if not wanted:
        chosen = roots
    for want in wanted:
        inside = next((r for r in by_depth if _inside(want, r)), None)
        if inside is not None:
            chosen.append(inside)
        else:
            chosen.extend(r for r in roots if _inside(r, want))

    def owner(path: str) -> str | None:
        return next((r for r in by_depth if _inside(path, r)), None)

    selected = set(chosen)
    return [p for p in candidates if owner(p) in selected]


def repository_paths(paths: Sequence[Path], cwd: Path, root: Path) -> list[str]:
    """User paths (relative to ``cwd``) as repository-relative POSIX paths.

    Symbolic links are not followed (the tree at a revision is what counts); a path
    outside the repository is a usage error.
    """
    base = cwd.resolve()
    result: list[str] = []
    for path in paths:
        absolute = Path(os.path.normpath(base / path))
        try:
            relative = absolute.relative_to(root)
        except ValueError:
            raise UsageError(f"{path}: outside the git repository at {root}") from None
        result.append(relative.as_posix() if relative.parts else ".")
    return result


# ---------------------------------------------------------------------------
# The repository
# ---------------------------------------------------------------------------


class Repository:
    """A git repository, driven through ``git -C <root>`` argument lists."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._shallow: bool | None = None

    @classmethod
    def discover(cls, cwd: Path) -> Repository:
        """The repository holding ``cwd``; exit 2 when there is none or git is missing."""
        done = _run_git(cwd, ["rev-parse", "--show-toplevel"])
        if done.returncode != 0:
            raise NotAGitRepositoryError(
                f"{cwd}: not in a git repository ({_git_message(done.stderr)}); "
                "diff and history read the registers' git history"
            )
        top = done.stdout.decode("utf-8", errors="surrogateescape").rstrip("\n")
        return cls(Path(top).resolve())

    # -- running git -------------------------------------------------------

    def git(self, args: Sequence[str], *, what: str) -> bytes:
        """Run ``git <args>`` in the repository; on failure raise an exit-2 error naming ``what``."""
        done = _run_git(self.root, args)
        if done.returncode != 0:
            raise RevisionError(f"{what}: git failed: {_git_message(done.stderr)}")
        return done.stdout

    def is_shallow(self) -> bool:
        """True in a shallow clone (history cut off, as CI checkouts are by default)."""
        if self._shallow is None:
            out = self.git(["rev-parse", "--is-shallow-repository"], what="checking for a shallow clone")
            self._shallow = out.strip() == b"true"
        return self._shallow

    def head(self) -> str | None:
        """HEAD's full commit ID, or None before the first commit."""
        done = _run_git(self.root, ["rev-parse", "--verify", "--quiet", "--end-of-options", "HEAD^{commit}"])
        text = done.stdout.decode("ascii", errors="replace").strip()
        return text if done.returncode == 0 and _OBJECT_ID.fullmatch(text) else None

    def resolve(self, revision: str) -> str:
        """A user's revision as a full commit ID, or an exit-2 error that says why (R13, R14)."""
        check_revision(revision)
        done = _run_git(self.root, ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"])
        sha = done.stdout.decode("ascii", errors="replace").strip()
        if done.returncode != 0 or not _OBJECT_ID.fullmatch(sha):
            if self.is_shallow():
                raise RevisionError(f"revision {_shown(revision)} is not in this clone's history: {SHALLOW_HINT}")
            if self.head() is None:
                raise RevisionError(f"unknown revision {_shown(revision)}: the repository has no commits yet")
            raise RevisionError(f"unknown revision {_shown(revision)}: not a commit, branch or tag in {self.root}")
        exists = _run_git(self.root, ["cat-file", "-e", f"{sha}^{{commit}}"])
        if exists.returncode != 0:
            hint = SHALLOW_HINT if self.is_shallow() else "the object database is incomplete"
            raise RevisionError(f"revision {_shown(revision)} resolves to {sha[:12]}, which is missing: {hint}")
        return sha

    def require_full_history(self, what: str) -> None:
        """Refuse to read history in a shallow clone, where it would silently stop early."""
        if self.is_shallow():
            raise RevisionError(f"{what} needs the full history: {SHALLOW_HINT}")

    # -- commits -----------------------------------------------------------

    def commit_info(self, sha: str, revision: str | None = None) -> RevisionInfo:
        """Date, author and subject of one commit (``sha`` must be resolved already)."""
        out = self.git(
            ["log", "-1", "--no-walk", "--no-show-signature", "-z", f"--format={_LOG_FORMAT}", "--end-of-options", sha],
            what=f"reading commit {sha[:12]}",
        )
        tokens = out.split(b"\0")
        info, _parent, _next = _parse_header(tokens, 0)
        if revision is not None:
            info = RevisionInfo(revision, info.sha, info.short, info.date, info.subject, info.author)
        return info

    def log(self, head: str, *, since: str | None = None, pathspecs: Sequence[str] = ()) -> list[CommitChanges]:
        """Every commit reachable from ``head`` (not from ``since``) that changed ``pathspecs``.

        Oldest first, each with the files it changed against its first parent (merge
        commits are left out: the commits they merge carry the changes). One ``git log
        --raw`` call; renames are reported as a deletion and an addition, because bafctl
        follows risks by ID, not by file similarity.
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
        commits = _parse_log(out, self.abbrev(head))
        commits.reverse()
        return commits

    def abbrev(self, sha: str) -> int:
        """How many hex digits git shows for a short commit ID here (``--no-abbrev`` hides it)."""
        done = _run_git(self.root, ["rev-parse", "--short", "--end-of-options", sha])
        text = done.stdout.strip()
        return len(text) if done.returncode == 0 and 4 <= len(text) <= 64 else 7

    # -- trees and blobs ---------------------------------------------------

    def tree(self, sha: str) -> dict[str, str]:
        """Every regular file at a commit: repository-relative path -> blob ID.

        Symbolic links and submodules are left out (reliability.md R16).
        """
        out = self.git(["ls-tree", "-r", "-z", "--full-tree", "--end-of-options", sha], what=f"listing {sha[:12]}")
        files: dict[str, str] = {}
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, _, raw_path = record.partition(b"\t")
            mode, kind, oid = meta.decode("ascii", errors="replace").split(" ")
            if kind == "blob" and mode in _REGULAR_FILE_MODES:
                files[_path_text(raw_path)] = oid
        return files

    def blob_reader(self) -> BlobReader:
        """A persistent ``git cat-file --batch`` process (use it as a context manager)."""
        return BlobReader(self.root)

    def dirty(self, pathspecs: Sequence[str]) -> bool:
        """True when files under ``pathspecs`` differ from HEAD or are untracked."""
        out = self.git(
            ["--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *pathspecs],
            what="reading the working tree status",
        )
        return bool(out.strip(b"\0"))


def _run_git(cwd: Path, args: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", "-C", str(cwd), *args],
            capture_output=True,
            check=False,
            env=_git_env(),
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise NotAGitRepositoryError("git is not installed (or not on PATH): diff and history need it") from None


# ``git log -z``: a marker, then fields separated by NUL; the subject comes last.
_LOG_FORMAT = "%x01%H%x00%h%x00%P%x00%aI%x00%an%x00%s"
_HEADER_FIELDS = 6


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _path_text(raw: bytes) -> str:
    # A file name that is not UTF-8 could not be printed; U+FFFD marks the bad bytes.
    # Blobs are read by object ID, so such a file still loads; only a register folder so
    # named would not be found again by name (and its files are then not read as risks).
    return raw.decode("utf-8", errors="replace")


def _parse_header(tokens: list[bytes], index: int, abbrev: int | None = None) -> tuple[RevisionInfo, str | None, int]:
    fields = tokens[index : index + _HEADER_FIELDS]
    if len(fields) != _HEADER_FIELDS or not fields[0].lstrip(b"\n").startswith(b"\x01"):
        raise RuntimeError("unexpected `git log` output")
    sha = _text(fields[0].lstrip(b"\n")[1:])
    parents = _text(fields[2]).split()
    info = RevisionInfo(
        revision=sha,
        sha=sha,
        short=sha[:abbrev] if abbrev else _text(fields[1]),
        date=dt.datetime.fromisoformat(_text(fields[3])),
        subject=_text(fields[5]),
        author=_text(fields[4]),
    )
    return info, (parents[0] if parents else None), index + _HEADER_FIELDS


def _parse_log(out: bytes, abbrev: int) -> list[CommitChanges]:
    tokens = out.split(b"\0")
    commits: list[CommitChanges] = []
    index = 0
    while index < len(tokens):
        token = tokens[index].lstrip(b"\n")
        if not token:
            index += 1
            continue
        info, parent, index = _parse_header(tokens, index, abbrev)
        changes: list[FileChange] = []
        while index < len(tokens):
            raw = tokens[index].lstrip(b"\n")
            if not raw.startswith(b":"):
                break
            # ":<old mode> <new mode> <old blob> <new blob> <status>", then the path.
            old_mode, new_mode, old_blob, new_blob, _status = _text(raw[1:]).split(" ")
            path = _path_text(tokens[index + 1])
            index += 2
            old = old_blob if old_mode in _REGULAR_FILE_MODES else None
            new = new_blob if new_mode in _REGULAR_FILE_MODES else None
            if old is not None or new is not None:
                changes.append(FileChange(path, old, new))
        commits.append(CommitChanges(info, parent, tuple(changes)))
    return commits


class BlobReader:
    """One ``git cat-file --batch`` process for many reads (performance.md: 0.5 s vs 24 s).

    Object names are commit or blob IDs, or ``<commit>:<path>`` with a path from git's
    own listings, never user input. Each blob is returned at most ``limit`` bytes long,
    enough for the loader to report an oversized file (reliability.md R2).
    """

    def __init__(self, root: Path, limit: int | None = None) -> None:
        from bafctl.yamlio import MAX_FILE_BYTES

        self._limit = (MAX_FILE_BYTES if limit is None else limit) + 1
        try:
            self._process = subprocess.Popen(
                ["git", "-C", str(root), "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=_git_env(),
            )
        except FileNotFoundError:
            raise NotAGitRepositoryError("git is not installed (or not on PATH): diff and history need it") from None
        self._stdin: IO[bytes] = self._process.stdin  # type: ignore[assignment]
        self._stdout: IO[bytes] = self._process.stdout  # type: ignore[assignment]

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the git process."""
        if self._process.poll() is None:
            with contextlib.suppress(BrokenPipeError):  # git already gone
                self._stdin.close()
            self._process.wait(timeout=30)
        self._stdout.close()

    def _response(self) -> tuple[str, bytes] | None:
        header = self._stdout.readline()
        if not header:
            raise RuntimeError("git cat-file stopped unexpectedly")
        parts = header.rstrip(b"\n").split(b" ")
        if len(parts) != 3 or parts[1] not in (b"blob", b"commit", b"tree", b"tag"):
            return None  # "<name> missing" or "<name> ambiguous"
        oid, size = parts[0].decode("ascii"), int(parts[2])
        keep = self._stdout.read(min(size, self._limit))
        remaining = size - len(keep)
        while remaining > 0:  # an oversized blob: skip the rest without keeping it
            chunk = self._stdout.read(min(remaining, 1 << 20))
            if not chunk:
                raise RuntimeError("git cat-file stopped unexpectedly")
            remaining -= len(chunk)
        self._stdout.read(1)  # the newline after the content
        return oid, keep

    def read(self, name: str) -> tuple[str, bytes] | None:
        """One object: its ID and (up to the limit) its bytes; None when missing."""
        return next(iter(self.read_many([name])))[1]

    def read_many(self, names: Sequence[str]) -> Iterator[tuple[str, tuple[str, bytes] | None]]:
        """Many objects, pipelined: a thread writes the names while this reads the answers."""
        for name in names:
            if "\n" in name or not name:
                raise ValueError("object names are one line")
        payload = b"".join(name.encode("utf-8", errors="surrogateescape") + b"\n" for name in names)

        def feed() -> None:
            try:
                self._stdin.write(payload)
                self._stdin.flush()
            except (BrokenPipeError, ValueError):  # pragma: no cover - reader reports it
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        try:
            for name in names:
                yield name, self._response()
        finally:
            writer.join()


# ---------------------------------------------------------------------------
# Registers at a revision
# ---------------------------------------------------------------------------


def read_register_files(
    repo: Repository, sha: str, wanted: Sequence[str], *, blobs: dict[str, bytes] | None = None
) -> dict[str, bytes]:
    """The bytes of every register file that ``wanted`` names at commit ``sha``.

    ``blobs`` (blob ID -> bytes) is read first and filled: two revisions of a large
    register share most blobs, so the second revision reads only what changed.
    """
    tree = repo.tree(sha)
    paths = select_register_files(tree, wanted)
    known = blobs if blobs is not None else {}
    files: dict[str, bytes] = {}
    missing = [p for p in paths if tree[p] not in known]
    if missing:
        with repo.blob_reader() as reader:
            for (oid, found), _path in zip(reader.read_many([tree[p] for p in missing]), missing, strict=True):
                if found is not None:
                    known[oid] = found[1]
    for path in paths:
        data = known.get(tree[path])
        if data is not None:
            files[path] = data
    return files


def _worktree_workspace(repo: Repository, wanted: Sequence[str]) -> Workspace:
    from bafctl.errors import RegisterNotFoundError
    from bafctl.loader import load_paths, load_workspace

    targets = [repo.root / w for w in wanted if (repo.root / w).exists()]
    if wanted and not targets:
        return load_workspace({})  # the paths exist only at the other revision
    try:
        return load_paths(targets, repo.root)
    except RegisterNotFoundError:
        if wanted:
            raise
        return load_workspace({})  # no register on disk: everything was deleted since the revision


def describe_worktree(cwd: Path, paths: Sequence[Path] = ()) -> RevisionInfo:
    """HEAD's commit ID and whether the register files on disk differ from it."""
    repo = Repository.discover(cwd)
    wanted = repository_paths(paths, cwd, repo.root)
    return _worktree_info(repo, wanted)


def _worktree_info(repo: Repository, wanted: Sequence[str]) -> RevisionInfo:
    head = repo.head()
    short = repo.commit_info(head).short if head else None
    pathspecs = [f":(literal){w}" for w in wanted] if wanted else []
    return RevisionInfo(WORKTREE, head, short, None, "uncommitted changes", "", dirty=repo.dirty(pathspecs))


def workspace_at(revision: str, paths: Sequence[Path], cwd: Path) -> tuple[Workspace, RevisionInfo]:
    """The registers as they were at ``revision`` (or on disk, for :data:`WORKTREE`).

    Loaded through the one loader (:func:`bafctl.loader.load_workspace`) from the blobs
    at that commit, so a historic file that no longer validates gives positioned
    findings in ``workspace.findings``, not a crash. Paths in the workspace are
    repository-relative. An empty workspace means no register existed there.
    """
    return workspaces_at([revision], paths, cwd)[0]


def workspaces_at(revisions: Sequence[str], paths: Sequence[Path], cwd: Path) -> list[tuple[Workspace, RevisionInfo]]:
    """:func:`workspace_at` for several revisions, sharing what they have in common.

    A blob present at several revisions is read from git once, and the validated blobs
    of the repository are cached in one pack (one read, rather than a file per blob:
    ``diff`` of two revisions of 5,000 risks, issue 7).
    """
    from bafctl.cache import ValidationCache
    from bafctl.loader import cache_enabled, load_workspace

    repo = Repository.discover(cwd)
    wanted = repository_paths(paths, cwd, repo.root)
    blobs: dict[str, bytes] = {}
    results: list[tuple[Workspace, RevisionInfo]] = []
    pack_cache: ValidationCache[Any] | None = ValidationCache() if cache_enabled() else None
    pack = pack_cache.pack(f"git\0{repo.root}") if pack_cache is not None else None
    for revision in revisions:
        if revision == WORKTREE:
            results.append((_worktree_workspace(repo, wanted), _worktree_info(repo, wanted)))
            continue
        sha = repo.resolve(revision)
        info = repo.commit_info(sha, revision)
        files = read_register_files(repo, sha, wanted, blobs=blobs)
        results.append((load_workspace(files, cache=pack), info))
    if pack is not None:
        pack.save()
    return results


class HistorySource:
    """What :mod:`bafctl.history` reads from git: trees, blobs and each file's register."""

    def __init__(self, repo: Repository, wanted: Sequence[str]) -> None:
        self.repo = repo
        self.wanted = list(wanted)
        self._reader = repo.blob_reader()
        self._registers: dict[tuple[str, str], tuple[str, str, bytes] | None] = {}

    def __enter__(self) -> HistorySource:
        return self

    def __exit__(self, *exc: object) -> None:
        self._reader.close()

    def tree(self, commit: str) -> Mapping[str, str]:
        """Register files (path -> blob ID) at a commit, limited to the wanted paths."""
        tree = self.repo.tree(commit)
        return {p: tree[p] for p in select_register_files(tree, self.wanted)}

    def blobs(self, ids: Sequence[str]) -> Iterator[tuple[str, bytes]]:
        """The bytes of each blob, in one pipelined read."""
        for name, found in self._reader.read_many(ids):
            if found is not None:
                yield name, found[1]

    def register_of(self, commit: str, path: str) -> tuple[str, str, bytes] | None:
        """The ``register.yaml`` that owns ``path`` at ``commit``: its path, blob ID and bytes."""
        from bafctl.loader import REGISTER_FILE

        folder = PurePosixPath(path).parent
        for candidate in (folder, *folder.parents):
            key = (commit, str(candidate))
            if key not in self._registers:
                reg_path = REGISTER_FILE if str(candidate) == "." else f"{candidate}/{REGISTER_FILE}"
                found = self._reader.read(f"{commit}:{reg_path}") if "\n" not in reg_path else None
                self._registers[key] = None if found is None else (reg_path, found[0], found[1])
            hit = self._registers[key]
            if hit is not None:
                return hit
        return None


def _pathspecs(wanted: Sequence[str]) -> list[str]:
    # Literal pathspecs: a user's folder name is never read as a glob or as magic.
    if wanted:
        return [f":(literal){w}" for w in wanted]
    return [":(glob)**/*.yaml", ":(glob)**/*.yml"]


def risk_history(risk_id: str, paths: Sequence[Path], cwd: Path, *, since: str | None = None) -> RiskHistory:
    """Every commit reachable from HEAD (after ``since``) that changed a risk's assessments.

    One ``git log --raw`` and one ``git cat-file --batch`` for the whole run
    (performance.md); refused in a shallow clone, where history would stop early.
    """
    from bafctl.history import trace_risk

    repo = Repository.discover(cwd)
    wanted = repository_paths(paths, cwd, repo.root)
    head = repo.head()
    if head is None:
        raise RevisionError("the repository has no commits yet: history reads committed registers")
    since_info = repo.commit_info(repo.resolve(since), since) if since is not None else None
    repo.require_full_history("history")
    commits = repo.log(head, since=since_info.sha if since_info else None, pathspecs=_pathspecs(wanted))
    with HistorySource(repo, wanted) as source:
        return trace_risk(risk_id, commits, source, since=since_info)


def commits_between(old: RevisionInfo, new: RevisionInfo, paths: Sequence[Path], cwd: Path) -> list[CommitChanges]:
    """The commits after ``old`` up to ``new`` (HEAD for the working tree) that touched registers.

    For ``diff --why``. Empty when either side has no commit.
    """
    repo = Repository.discover(cwd)
    wanted = repository_paths(paths, cwd, repo.root)
    if old.sha is None or new.sha is None:
        return []
    return repo.log(new.sha, since=old.sha, pathspecs=_pathspecs(wanted))
