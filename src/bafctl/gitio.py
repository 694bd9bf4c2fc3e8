"""The git use cases of diff, history and the report: registers at a revision, a risk's history.

git itself is read through the adapter, :mod:`bafctl.sources.git` (GitPython, every git
process started with the safe configuration and environment of docs/git-safety.md); this
module turns what it reads into workspaces (through the one loader) and revision values
(:mod:`bafctl.revision`). The value types and the adapter's names are re-exported here for
compatibility.

* Paths at a revision come from ``git ls-tree``, never from user input; a file that no
  longer validates becomes positioned findings for that revision (R15).
* Whether the working tree differs from HEAD is worked out by hashing the register files
  on disk (:meth:`Repository.dirty`), never with ``git status``, which runs the
  repository's fsmonitor hook and filters.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from bafctl.errors import RevisionError, UsageError
from bafctl.options import DEFAULT_LOAD_OPTIONS, LoadOptions
from bafctl.revision import WORKTREE, CommitChanges, FileChange, RevisionInfo
from bafctl.sources import disk, layout
from bafctl.sources.git import (
    MISSING_OBJECT_HINT,
    SAFE_CONFIG,
    SAFE_ENV,
    SHALLOW_HINT,
    GitRepository,
    LogCommit,
    check_revision,
)

if TYPE_CHECKING:
    from bafctl.history import RiskHistory
    from bafctl.loader import Workspace

__all__ = [
    "MISSING_OBJECT_HINT",
    "SAFE_CONFIG",
    "SAFE_ENV",
    "SHALLOW_HINT",
    "WORKTREE",
    "CommitChanges",
    "FileChange",
    "HistorySource",
    "Repository",
    "RevisionInfo",
    "check_revision",
    "commits_between",
    "describe_worktree",
    "is_register_candidate",
    "read_register_files",
    "repository_paths",
    "risk_history",
    "select_register_files",
    "workspace_at",
    "workspaces_at",
]


def _blob_limit() -> int:
    from bafctl.yamlio import MAX_FILE_BYTES

    # Enough for the loader to report an oversized file (docs/reliability.md R2).
    return MAX_FILE_BYTES + 1


# ---------------------------------------------------------------------------
# Checking paths (pure)
# ---------------------------------------------------------------------------


def is_register_candidate(path: str) -> bool:
    """True for a YAML file bafctl would read in a register folder (as ``check`` does).

    The one rule of :mod:`bafctl.sources.layout`; a name with a newline is read too.
    """
    return layout.is_register_candidate(path)


def select_register_files(tree_paths: Iterable[str], wanted: Sequence[str]) -> list[str]:
    """The files of the registers that ``wanted`` names, from a list of paths in a tree.

    Mirrors :func:`bafctl.loader.discover_register_roots` for a tree read from git: a path
    inside a register names that register; a folder above registers names each register
    below it; no paths names every register. Paths are repository-relative POSIX paths
    (``"."`` is the top). A path naming nothing at this revision selects nothing. Which
    register owns a file is :func:`bafctl.sources.layout.owner_of`'s rule.
    """
    candidates = sorted(p for p in tree_paths if layout.is_register_candidate(p))
    roots = layout.register_folders(candidates)
    owner = layout.owners(roots)  # the lookup built once for every path of the tree
    chosen: list[str] = list(roots) if not wanted else []
    for want in wanted:
        inside = owner(want)
        if inside is not None:
            chosen.append(inside)
        else:
            chosen.extend(r for r in roots if layout.is_inside(r, want))
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


def _revision_info(commit: LogCommit, revision: str | None = None) -> RevisionInfo:
    return RevisionInfo(
        revision=commit.sha if revision is None else revision,
        sha=commit.sha,
        short=commit.short,
        date=commit.date,
        subject=commit.subject,
        author=commit.author,
    )


class Repository(GitRepository):
    """The git adapter, with what diff, history and the report ask of it as revision values."""

    def commit_info(self, sha: str, revision: str | None = None) -> RevisionInfo:
        """Date, author and subject of one commit (``sha`` must be resolved already)."""
        return _revision_info(self.commit(sha), revision)

    def history(self, head: str, *, since: str | None = None, pathspecs: Sequence[str] = ()) -> list[CommitChanges]:
        """:meth:`GitRepository.log` as :class:`CommitChanges`, oldest first."""
        commits = [
            CommitChanges(
                _revision_info(c),
                c.parents[0] if c.parents else None,
                tuple(FileChange(path, old, new) for path, old, new in c.changes),
            )
            for c in self.log(head, since=since, pathspecs=pathspecs)
        ]
        commits.reverse()
        return commits

    def worktree_files(self) -> list[str]:
        """Repository-relative paths of the regular YAML files on disk that could be register files.

        Read as ``check`` reads the disk: symbolic links are not followed, hidden and
        skipped folders are not searched, and neither is a nested repository (its files
        are not this repository's). Names come from the file system as ``check`` names
        them (``os.fsdecode``), so a name git stores as bytes compares equal.
        """
        found: list[str] = []
        # Iterative, with the loader's depth cap: a deep tree in a pull request cannot crash it.
        too_deep: list[Path] = []
        for dirpath, dirnames, filenames in disk.walk(self.root, too_deep, restart=layout.REGISTER_FILE):
            here = Path(dirpath)
            dirnames[:] = sorted(
                d
                for d in dirnames
                if d not in layout.SKIPPED_DIRS and not d.startswith(".") and not (here / d / ".git").exists()
            )
            relative = here.relative_to(self.root).as_posix()
            for name in filenames:
                path = name if relative == "." else f"{relative}/{name}"
                if layout.is_register_candidate(path) and stat.S_ISREG((here / name).lstat().st_mode):
                    found.append(path)
        return sorted(found)

    def dirty(self, wanted: Sequence[str], head: str | None = None) -> bool:
        """True when the register files that ``wanted`` names differ on disk from HEAD.

        No ``git status`` (nor any command that reads the index or runs filters, whose
        programs a repository's own configuration names): each file is hashed here as a
        git blob and compared with HEAD's tree. A file on disk that HEAD lacks (untracked,
        even if ignored) or a file HEAD has that is gone counts as a difference. A
        repository relying on clean filters or ``core.autocrlf`` may be shown as changed
        when ``git status`` would call it clean: the answer errs towards "changed".
        """
        head = self.head() if head is None else head
        committed: dict[str, str] = {}
        if head is not None:
            tree = self.tree(head)
            committed = {p: tree[p] for p in select_register_files(tree, wanted)}
        on_disk = select_register_files(self.worktree_files(), wanted)
        if set(on_disk) != set(committed):
            return True
        for path in on_disk:
            try:
                data = (self.root / path).read_bytes()
            except OSError:
                return True
            if self.object_id(data, committed[path]) != committed[path]:
                return True
        return False


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
        known.update(repo.blobs(list(dict.fromkeys(tree[p] for p in missing)), _blob_limit()))
    for path in paths:
        data = known.get(tree[path])
        if data is not None:
            files[path] = data
    return files


def _worktree_workspace(repo: Repository, wanted: Sequence[str], options: LoadOptions) -> Workspace:
    from bafctl.errors import RegisterNotFoundError
    from bafctl.loader import load_paths, load_workspace

    targets = [repo.root / w for w in wanted if (repo.root / w).exists()]
    if wanted and not targets:
        return load_workspace({})  # the paths exist only at the other revision
    try:
        return load_paths(targets, repo.root, options=options)
    except RegisterNotFoundError:
        if wanted:
            raise
        return load_workspace({})  # no register on disk: everything was deleted since the revision


def describe_worktree(cwd: Path, paths: Sequence[Path] = ()) -> RevisionInfo:
    """HEAD's commit ID and whether the register files on disk differ from it."""
    repo = Repository.discover(cwd)
    try:
        return _worktree_info(repo, repository_paths(paths, cwd, repo.root))
    finally:
        repo.close()


def _worktree_info(repo: Repository, wanted: Sequence[str]) -> RevisionInfo:
    head = repo.head()
    short = repo.commit_info(head).short if head else None
    return RevisionInfo(WORKTREE, head, short, None, "uncommitted changes", "", dirty=repo.dirty(wanted, head))


def workspace_at(
    revision: str, paths: Sequence[Path], cwd: Path, *, options: LoadOptions = DEFAULT_LOAD_OPTIONS
) -> tuple[Workspace, RevisionInfo]:
    """The registers as they were at ``revision`` (or on disk, for :data:`WORKTREE`).

    Loaded through the one loader (:func:`bafctl.loader.load_workspace`) from the blobs
    at that commit, so a historic file that no longer validates gives positioned
    findings in ``workspace.findings``, not a crash. Paths in the workspace are
    repository-relative. An empty workspace means no register existed there.
    """
    return workspaces_at([revision], paths, cwd, options=options)[0]


def workspaces_at(
    revisions: Sequence[str], paths: Sequence[Path], cwd: Path, *, options: LoadOptions = DEFAULT_LOAD_OPTIONS
) -> list[tuple[Workspace, RevisionInfo]]:
    """:func:`workspace_at` for several revisions, sharing what they have in common.

    A blob present at several revisions is read from git once, and the validated blobs
    of the repository are cached in one pack (one read, rather than a file per blob:
    ``diff`` of two revisions of 5,000 risks).
    """
    from bafctl.cache import ValidationCache
    from bafctl.loader import load_workspace, open_cache

    repo = Repository.discover(cwd)
    try:
        wanted = repository_paths(paths, cwd, repo.root)
        blobs: dict[str, bytes] = {}
        results: list[tuple[Workspace, RevisionInfo]] = []
        pack_cache: ValidationCache[Any] | None = open_cache(options) if options.use_cache else None
        pack = pack_cache.pack(f"git\0{repo.root}") if pack_cache is not None else None
        read: list[tuple[str, dict[str, bytes], RevisionInfo] | None] = []
        for revision in revisions:  # every blob first: git's processes end before validation
            if revision == WORKTREE:
                read.append(None)
                continue
            sha = repo.resolve(revision)
            read.append(
                (revision, read_register_files(repo, sha, wanted, blobs=blobs), repo.commit_info(sha, revision))
            )
        repo.close()
        for entry in read:
            if entry is None:
                results.append((_worktree_workspace(repo, wanted, options), _worktree_info(repo, wanted)))
            else:
                results.append((load_workspace(entry[1], cache=pack, workers=options.workers), entry[2]))
        if pack is not None:
            pack.save()
        return results
    finally:
        repo.close()


class HistorySource:
    """What :mod:`bafctl.history` reads from git: trees, blobs and each file's register."""

    def __init__(self, repo: Repository, wanted: Sequence[str]) -> None:
        self.repo = repo
        self.wanted = list(wanted)
        self._registers: dict[tuple[str, str], tuple[str, str, bytes] | None] = {}

    def __enter__(self) -> HistorySource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.repo.close()

    def tree(self, commit: str) -> Mapping[str, str]:
        """Register files (path -> blob ID) at a commit, limited to the wanted paths."""
        tree = self.repo.tree(commit)
        return {p: tree[p] for p in select_register_files(tree, self.wanted)}

    def blobs(self, ids: Sequence[str]) -> Iterator[tuple[str, bytes]]:
        """The bytes of each blob that exists, through the object database."""
        return self.repo.blobs(ids, _blob_limit())

    def register_of(self, commit: str, path: str) -> tuple[str, str, bytes] | None:
        """The ``register.yaml`` that owns ``path`` at ``commit``: its path, blob ID and bytes.

        The owner is :func:`bafctl.sources.layout.owner_of`'s: the deepest folder above
        the file that holds a ``register.yaml`` at that commit.
        """
        folders = [str(folder) for folder in PurePosixPath(path).parents]
        for folder in layout.deepest_first(folders):
            key = (commit, folder)
            if key not in self._registers:
                reg_path = layout.settings_path(folder)
                found = self.repo.file_at(commit, reg_path, _blob_limit())
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


def risk_history(
    risk_id: str,
    paths: Sequence[Path],
    cwd: Path,
    *,
    since: str | None = None,
    options: LoadOptions = DEFAULT_LOAD_OPTIONS,
) -> RiskHistory:
    """Every commit reachable from HEAD (after ``since``) that changed a risk's assessments.

    One ``git log --raw`` and one object database (``git cat-file --batch``) for the whole run
    (benchmarks/README.md); refused in a shallow clone, where history would stop early.
    """
    from bafctl.history import trace_risk

    repo = Repository.discover(cwd)
    with HistorySource(repo, repository_paths(paths, cwd, repo.root)) as source:
        head = repo.head()
        if head is None:
            raise RevisionError("the repository has no commits yet: history reads committed registers")
        since_info = repo.commit_info(repo.resolve(since), since) if since is not None else None
        repo.require_full_history("history")
        since_sha = since_info.sha if since_info else None
        commits = repo.history(head, since=since_sha, pathspecs=_pathspecs(source.wanted))
        return trace_risk(risk_id, commits, source, since=since_info, options=options)


def commits_between(old: RevisionInfo, new: RevisionInfo, paths: Sequence[Path], cwd: Path) -> list[CommitChanges]:
    """The commits after ``old`` up to ``new`` (HEAD for the working tree) that touched registers.

    For ``diff --why``. Empty when either side has no commit.
    """
    repo = Repository.discover(cwd)
    try:
        wanted = repository_paths(paths, cwd, repo.root)
        if old.sha is None or new.sha is None:
            return []
        return repo.history(new.sha, since=old.sha, pathspecs=_pathspecs(wanted))
    finally:
        repo.close()
