"""A risk's trajectory over commits: every commit that changed its assessments.

Pure-ish: :func:`trace_risk` takes the commits (from ``git log --raw``, oldest first) and
a :class:`Source` that hands out trees, blobs and each file's ``register.yaml``;
:mod:`bafctl.gitio` provides the real one (through the git adapter), tests a dictionary. Nothing here runs git,
prints or reads the clock.

How it stays fast (benchmarks/README.md: parsing, not git, is the cost across history):

* Only blobs that can hold the risk are parsed: a blob must contain the risk's ID
  (ASCII, case-insensitively) or a backslash (a YAML escape could spell the ID). Other
  blobs are read once, searched and dropped.
* Each distinct blob is loaded once (cached by register and blob ID), through the one
  loader (:func:`bafctl.loader.load_workspace`), so a historic file is judged exactly as
  ``bafctl check`` would judge it.

How a change is found: for each commit, the risk's state in the files it changed is
compared before (first parent) and after. A risk is followed by ID, so a file renamed
or split in a commit is the same risk; a file that stops validating gives its findings
as warnings for that commit and the comparison carries on from the last good state.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Protocol

from bafctl.diff import ASSESSMENTS, Cxl
from bafctl.findings import Finding, Level
from bafctl.loader import entry_cache, load_workspace
from bafctl.options import DEFAULT_LOAD_OPTIONS, LoadOptions
from bafctl.revision import CommitChanges, RevisionInfo
from bafctl.scoring import band_for, tolerance_for
from bafctl.sources.layout import REGISTER_FILE, is_register_candidate


class Source(Protocol):
    """Where history reads from (``bafctl.gitio.HistorySource`` reads git)."""

    def tree(self, commit: str) -> Mapping[str, str]:
        """Register files at a commit: path -> blob ID."""
        ...  # pragma: no cover

    def blobs(self, ids: Sequence[str]) -> Iterator[tuple[str, bytes]]:
        """The bytes of each blob that exists."""
        ...  # pragma: no cover

    def register_of(self, commit: str, path: str) -> tuple[str, str, bytes] | None:
        """The ``register.yaml`` owning ``path`` at ``commit``: path, blob ID, bytes."""
        ...  # pragma: no cover


@dataclass(frozen=True)
class RiskState:
    """What history tracks of a risk at one commit."""

    path: str
    title: str
    status: str
    scores: dict[str, Cxl]
    current_band: str
    tolerance: int | None

    def same_assessments(self, other: RiskState) -> bool:
        """True when initial, current and target are the same C x L."""
        return all(self.scores[n] == other.scores[n] for n in ASSESSMENTS)

    @property
    def above_tolerance(self) -> bool | None:
        """True when the current score is above the upper limit of tolerance (docs/domain.md 2.4)."""
        return None if self.tolerance is None else self.scores["current"].score > self.tolerance

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (docs/diff.md, "history")."""
        return {
            "path": self.path,
            "title": self.title,
            "status": self.status,
            **{name: self.scores[name].to_dict() for name in ASSESSMENTS},
            "current_band": self.current_band,
            "tolerance": self.tolerance,
            "above_tolerance": self.above_tolerance,
        }


@dataclass(frozen=True)
class HistoryEntry:
    """One commit that changed the risk's assessments."""

    commit: RevisionInfo
    event: str
    """``added`` (first appears), ``rescored`` or ``removed``."""
    state: RiskState | None
    """The risk after the commit; None when removed."""
    previous: RiskState | None


@dataclass(frozen=True)
class HistoryWarning:
    """A finding in a historic file that stopped the risk loading at that commit."""

    commit: RevisionInfo
    finding: Finding


@dataclass
class RiskHistory:
    """A risk's trajectory, oldest first."""

    risk_id: str
    entries: list[HistoryEntry] = field(default_factory=list)
    baseline: RiskState | None = None
    """The state at ``--since`` (None without it, or when the risk did not exist then)."""
    warnings: list[HistoryWarning] = field(default_factory=list)
    since: RevisionInfo | None = None
    """The commit the history starts after (``--since``)."""
    latest: RiskState | None = None
    """The risk as of the last commit read (title edits included), None once removed."""
    commits_read: int = 0
    blobs_parsed: int = 0

    @property
    def found(self) -> bool:
        """True when the risk exists anywhere in the history read."""
        return bool(self.entries or self.baseline or self.warnings)

    @property
    def current(self) -> RiskState | None:
        """The latest known state."""
        return self.entries[-1].state if self.entries else self.baseline


@dataclass(frozen=True)
class _Loaded:
    state: RiskState | None
    """The risk, when the blob holds it and loads."""
    risk_id: str | None
    """The ID the file carries, when it can be read at all."""
    findings: tuple[Finding, ...] = ()


class _Tracer:
    def __init__(self, risk_id: str, source: Source, options: LoadOptions) -> None:
        self.risk_id = risk_id
        self.key = risk_id.casefold()
        self.needle = risk_id.lower().encode("utf-8")
        self.source = source
        self.blobs: dict[str, bytes] = {}
        self.cache: dict[tuple[str, str, str, str], _Loaded] = {}
        # Across runs, each distinct blob is validated once (the cache of validated files).
        self.store = entry_cache(options=options)
        self.parsed = 0

    def may_hold(self, data: bytes) -> bool:
        # A double-quoted YAML scalar may spell the ID with escapes ("\x42AF1"), so a
        # backslash anywhere also sends the blob to the loader.
        return self.needle in data.lower() or b"\\" in data

    def fetch(self, ids: Sequence[str]) -> None:
        wanted = list(dict.fromkeys(i for i in ids if i not in self.blobs))
        for oid, data in self.source.blobs(wanted):
            if self.may_hold(data):
                self.blobs[oid] = data

    def load(self, commit: str, path: str, oid: str) -> _Loaded | None:
        data = self.blobs.get(oid)
        if data is None:
            return None
        register = self.source.register_of(commit, path)
        if register is None:
            return None  # not inside a register at that commit: not a risk file
        reg_path, reg_oid, reg_bytes = register
        key = (reg_path, reg_oid, path, oid)
        if key not in self.cache:
            self.cache[key] = self._load(reg_path, reg_bytes, path, data)
        return self.cache[key]

    def _load(self, reg_path: str, reg_bytes: bytes, path: str, data: bytes) -> _Loaded:
        self.parsed += 1
        workspace = load_workspace({reg_path: reg_bytes, path: data}, cache=self.store)
        for reg, lr in workspace.risks():
            if lr.path == path:
                if lr.risk_id.casefold() != self.key:
                    return _Loaded(None, lr.risk_id)
                risk, settings = lr.risk, reg.settings
                scores = {name: Cxl.of(getattr(risk.assessments, name)) for name in ASSESSMENTS}
                state = RiskState(
                    path=path,
                    title=risk.title,
                    status=str(risk.status),
                    scores=scores,
                    current_band=band_for(scores["current"].score, settings.matrix.bands).name,
                    tolerance=tolerance_for(risk, settings),
                )
                return _Loaded(state, risk.id)
        parsed = workspace.files.get(path)
        value = parsed.value if parsed is not None else None
        raw_id = value.get("id") if isinstance(value, dict) else None
        # Only what stopped this file loading: its own errors, or its register's.
        errors = tuple(f for f in workspace.findings if f.level is Level.ERROR and f.path in (path, reg_path))
        return _Loaded(None, raw_id if isinstance(raw_id, str) else None, errors)


def _candidates(commit: CommitChanges) -> list[tuple[str, str | None, str | None]]:
    """The risk files a commit changed (register.yaml and other files left out)."""
    return [
        (c.path, c.old_blob, c.new_blob)
        for c in commit.changes
        if is_register_candidate(c.path) and c.path.rpartition("/")[2] != REGISTER_FILE
    ]


def trace_risk(
    risk_id: str,
    commits: Sequence[CommitChanges],
    source: Source,
    *,
    since: RevisionInfo | None = None,
    options: LoadOptions = DEFAULT_LOAD_OPTIONS,
) -> RiskHistory:
    """Every commit in ``commits`` (oldest first) that changed ``risk_id``'s assessments.

    Args:
        risk_id: The risk's ID (matched case-insensitively, as the loader does).
        commits: From :meth:`bafctl.gitio.Repository.history`, oldest first.
        source: Trees, blobs and registers (:class:`bafctl.gitio.HistorySource`).
        since: The commit the history starts after; the risk's state there is the baseline.
        options: The cache settings (each distinct blob is validated once across runs).

    A commit is listed when the risk first appears (``added``), when its initial, current
    or target C x L changes (``rescored``), or when it disappears (``removed``). Edits to
    other fields are not listed.
    """
    tracer = _Tracer(risk_id, source, options)
    history = RiskHistory(risk_id, since=since, commits_read=len(commits))
    if since is not None and since.sha is not None:
        tree = source.tree(since.sha)
        tracer.fetch(list(tree.values()))
        for path in sorted(tree):
            if PurePosixPath(path).name == REGISTER_FILE:
                continue
            loaded = tracer.load(since.sha, path, tree[path])
            if loaded is not None and loaded.state is not None:
                history.baseline = loaded.state
                break
            if loaded is not None and _same(loaded.risk_id, risk_id):
                history.warnings += [HistoryWarning(since, f) for f in loaded.findings]

    changed = [_candidates(c) for c in commits]
    tracer.fetch([oid for files in changed for _, *blobs in files for oid in blobs if oid is not None])
    last = history.baseline
    for commit, files in zip(commits, changed, strict=True):
        last = _step(tracer, commit, files, last, history)
    history.latest = last
    history.blobs_parsed = tracer.parsed
    return history


def _step(
    tracer: _Tracer,
    commit: CommitChanges,
    files: list[tuple[str, str | None, str | None]],
    last: RiskState | None,
    history: RiskHistory,
) -> RiskState | None:
    """Compare the risk before and after one commit; record an entry; return the new last state."""
    sha = commit.info.sha or ""
    before: RiskState | None = None
    after: RiskState | None = None
    before_unreadable = after_unreadable = False
    for path, old_blob, new_blob in files:
        tracked = last is not None and last.path == path
        if old_blob is not None and commit.parent is not None:
            old = tracer.load(commit.parent, path, old_blob)
            if old is not None and old.state is not None:
                before = old.state
            elif old is not None and (tracked or _same(old.risk_id, tracer.risk_id)):
                before_unreadable = True
        if new_blob is not None:
            new = tracer.load(sha, path, new_blob)
            if new is not None and new.state is not None:
                after = new.state
            elif new is not None and new.findings and (tracked or _same(new.risk_id, tracer.risk_id)):
                after_unreadable = True
                history.warnings += [HistoryWarning(commit.info, f) for f in new.findings]
    if before is None and before_unreadable:
        before = last  # the file did not load in the parent: compare with the last good state
    if after_unreadable and after is None:
        return before or last  # no entry for a commit whose file does not load (warned above)
    event = _event(before, after)
    if event is not None:
        history.entries.append(HistoryEntry(commit.info, event, after, before))
    return after if (before is not None or after is not None) else last


def _same(found: str | None, risk_id: str) -> bool:
    return found is not None and found.casefold() == risk_id.casefold()


def _event(before: RiskState | None, after: RiskState | None) -> str | None:
    if before is None and after is not None:
        return "added"
    if before is not None and after is None:
        return "removed"
    if before is not None and after is not None and not before.same_assessments(after):
        return "rescored"
    return None
