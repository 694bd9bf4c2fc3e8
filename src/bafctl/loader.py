"""The one loader: files (from disk or from git) in, validated registers and findings out.

:func:`load_workspace` is pure: it takes a mapping of POSIX paths to bytes, so the same
code reads the working tree (:func:`bafctl.sources.disk.read_files`, also importable from here)
and git blobs (``bafctl.history``).
Every problem becomes a :class:`~bafctl.findings.Finding` with ``path:line:col``; a
file that fails is left out of the workspace, the others still load.

This module plans a load, caches its results and puts the workspace together; the work is
done in :mod:`bafctl.load`: validation (:mod:`~bafctl.load.validate`), integrity across
files (:mod:`~bafctl.load.integrity`), worker processes and the garbage collector
(:mod:`~bafctl.load.jobs`), positions and lazy models (:mod:`~bafctl.load.positions`).
Every name other modules import from here still is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol

from bafctl.cache import LazyModel, ValidationCache, content_digest, register_codec, register_model
from bafctl.findings import Finding, Level
from bafctl.load.integrity import RiskFacts as RiskFacts  # noqa: PLC0414 - re-exported
from bafctl.load.integrity import check_links as _check_links
from bafctl.load.integrity import check_settings, facts_of, settings_references
from bafctl.load.jobs import Job, SettingsByFolder, collector_paused, run_jobs, workers_for
from bafctl.load.jobs import RiskAnalysis as RiskAnalysis  # noqa: PLC0414 - re-exported
from bafctl.load.positions import LoadedRegister as LoadedRegister  # noqa: PLC0414 - re-exported
from bafctl.load.positions import LoadedRisk as LoadedRisk  # noqa: PLC0414 - re-exported
from bafctl.load.positions import SourceFromText as SourceFromText  # noqa: PLC0414 - re-exported
from bafctl.load.validate import _Validated, risk_id_of, validate, yaml_findings
from bafctl.models import RegisterSettings, Risk
from bafctl.options import DEFAULT_LOAD_OPTIONS, LoadOptions
from bafctl.sources.disk import (
    discover_register_roots as discover_register_roots,  # noqa: PLC0414 - re-exported: it used to live here
)
from bafctl.sources.disk import find_repository_root as find_repository_root  # noqa: PLC0414 - re-exported
from bafctl.sources.disk import read_files as read_files  # noqa: PLC0414 - re-exported
from bafctl.sources.disk import scan_files as scan_files  # noqa: PLC0414 - re-exported
from bafctl.sources.layout import REGISTER_FILE as REGISTER_FILE  # noqa: PLC0414 - re-exported
from bafctl.sources.layout import SKIPPED_DIRS as SKIPPED_DIRS  # noqa: PLC0414 - re-exported
from bafctl.sources.layout import YAML_SUFFIXES as YAML_SUFFIXES  # noqa: PLC0414 - re-exported
from bafctl.sources.layout import owners, register_folders
from bafctl.yamlio import ParsedYaml, parse_yaml

if TYPE_CHECKING:
    from collections.abc import Callable


class ParsedFiles(Mapping[str, ParsedYaml]):
    """The parsed text of every file read, by path, parsed only when asked for.

    A file served from the validation cache is never parsed unless a command needs its
    text or values (``rescore``, ``diff`` of a broken file): a warm ``check`` of a large
    register reads bytes and cached results only.
    """

    def __init__(self, data: Mapping[str, bytes], parsed: dict[str, ParsedYaml] | None = None) -> None:
        self._data = data
        self._parsed: dict[str, ParsedYaml] = parsed if parsed is not None else {}

    def __getitem__(self, path: str) -> ParsedYaml:
        parsed = self._parsed.get(path)
        if parsed is None:
            parsed = parse_yaml(self._data[path])
            self._parsed[path] = parsed
        return parsed

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


class ValidationStore(Protocol):
    """Where validated files are cached (:class:`bafctl.cache.ValidationCache` or a pack)."""

    def get(self, data: bytes, context: str, *, digest: bytes | None = None) -> Any: ...  # pragma: no cover - protocol

    def put(
        self, data: bytes, context: str, value: Any, *, digest: bytes | None = None
    ) -> None: ...  # pragma: no cover - protocol


@dataclass
class Workspace:
    """Everything loaded for one command: registers, their risks, and every finding."""

    registers: list[LoadedRegister]
    findings: list[Finding]
    files: Mapping[str, ParsedYaml] = field(default_factory=dict)
    """The parsed text of every file read, by path (for rescore and exact positions)."""

    def risks(self) -> list[tuple[LoadedRegister, LoadedRisk]]:
        """Every loaded risk with its register, in register then file order."""
        return [(reg, lr) for reg in self.registers for lr in reg.risks]

    def release_models(self) -> None:
        """Forget every model read from the cache or a worker (see :meth:`LoadedRisk.release_model`)."""
        for _reg, lr in self.risks():
            lr.release_model()

    def find_risk(self, risk_id: str) -> tuple[LoadedRegister, LoadedRisk] | None:
        """The risk with this ID (IDs are unique across registers), case-insensitively."""
        wanted = risk_id.casefold()
        return next(((reg, lr) for reg, lr in self.risks() if lr.risk_id.casefold() == wanted), None)

    @property
    def has_errors(self) -> bool:
        """True when any unsuppressed finding is an error."""
        return any(f.level is Level.ERROR and f.suppressed is None for f in self.findings)


# ---------------------------------------------------------------------------
# The workspace
# ---------------------------------------------------------------------------


#: Below this many files to parse, worker processes cost more than they save.
PARALLEL_MIN_FILES = 200


def _workers(jobs: int, wanted: int = 0) -> int:
    """Worker processes for a cold load (:func:`bafctl.load.jobs.workers_for`).

    Below :data:`PARALLEL_MIN_FILES` files to parse, starting workers costs more than it
    saves; ``wanted`` is :attr:`LoadOptions.workers` (0: one per core, 1: none).
    Figures: benchmarks/README.md.
    """
    return workers_for(jobs, PARALLEL_MIN_FILES, wanted)


def _settings_context(settings_digest: str) -> str:
    # A risk's validation includes its references to the register's themes, committees,
    # roles and appetite levels, so it is keyed by the register.yaml it was checked against.
    return f"risk\0{settings_digest}"


def _analysis_context(settings_digest: str, analysis: RiskAnalysis) -> str:
    return f"analysis\0{settings_digest}\0{analysis.key}"


def _compute_settings(data: bytes) -> _Validated:
    """Parse and validate a register.yaml, path-free."""
    parsed = parse_yaml(data)
    findings = yaml_findings(parsed, "", None)
    validated: Any = None
    if parsed.ok:
        validated, errors = validate(RegisterSettings, parsed, "", None)
        findings += errors
        if isinstance(validated, RegisterSettings):
            findings += check_settings(validated, parsed.source, "")
    return _Validated(None, validated, parsed.source, tuple(findings), parsed.ok)


def _compute_risk(data: bytes, settings: RegisterSettings | None) -> _Validated:
    """Parse and validate one risk file against its register's settings, path-free."""
    parsed = parse_yaml(data)
    # The parse is not kept: it holds the whole value tree and text (about 100 KB a
    # risk); the few commands that need one (rescore, diff) parse that file again.
    risk_id = risk_id_of(parsed)
    findings = yaml_findings(parsed, "", risk_id)
    model: Risk | None = None
    facts: RiskFacts | None = None
    if parsed.ok:
        model, errors = validate(Risk, parsed, "", risk_id)
        findings += errors
        if model is not None:
            facts = facts_of(model, parsed.source)
            if settings is not None:
                findings += settings_references(settings, model, parsed.source, "")
    return _Validated(risk_id, model, parsed.source, tuple(findings), parsed.ok, facts)


def load_workspace(
    files: Mapping[str, bytes],
    *,
    cache: ValidationStore | None = None,
    analysis: RiskAnalysis | None = None,
    workers: int = 0,
) -> Workspace:
    """Validate every register in ``files`` (POSIX path -> bytes) and check references.

    Pure apart from the optional ``cache`` of validated files: no file system,
    no git. Returns every finding, not just the first. With or without the cache the
    result is the same (tested on the whole bad-input corpus). ``analysis`` adds
    per-risk findings (the quality rules), computed and cached beside validation and
    kept on each :class:`LoadedRisk` for :func:`bafctl.checks.run_checks`. ``workers``:
    worker processes for a large cold load (0: one per core, 1: none).
    """
    register_dirs = register_folders(files)
    risk_files, findings = _risk_files_by_register(files, register_dirs)
    # Register settings first: every risk is validated against its register's.
    settings_by_folder: SettingsByFolder = {}
    registers = _load_settings(files, register_dirs, cache, findings, settings_by_folder)
    jobs, cached, analyses = _plan(files, risk_files, cache, analysis, settings_by_folder)
    # The validation and the number of workers are this module's, read at each call: the
    # worker processes fork with whatever stands here (tests/test_cache_integration.py).
    computed = run_jobs(jobs, settings_by_folder, analysis, compute=_compute_risk, workers=_workers(len(jobs), workers))
    for path, (result, found) in computed.items():
        job = jobs[path]
        settings_digest = settings_by_folder[job.folder][1]
        if job.cached is None and result is not None:
            cached[path] = result
            if cache is not None:
                context = _settings_context(settings_digest)
                cache.put(job.data, context, _packed_for_cache(result), digest=job.digest)
        if found is not None and analysis is not None:
            analyses[path] = found
            if cache is not None:
                cache.put(job.data, _analysis_context(settings_digest, analysis), found, digest=job.digest)

    for folder, paths in sorted(risk_files.items()):
        for path in paths:
            result = cached[path]
            findings += _at(result.findings, path)
            reg = registers.get(folder)
            if result.model is None or reg is None:
                continue
            found = analyses.get(path)
            reg.risks.append(
                LoadedRisk(
                    path,
                    result.model,
                    result.source or SourceFromText(files[path]),
                    reg.id,
                    risk_id=result.risk_id,
                    facts=result.facts,
                    content=jobs[path].digest if path in jobs else content_digest(files[path]),
                    analysis=(analysis.key, _at(found, path)) if found is not None and analysis else None,
                )
            )
    ordered = [registers[d] for d in sorted(registers)]
    findings += _check_links(ordered)
    return Workspace(ordered, sorted(findings), ParsedFiles(files))


def _risk_files_by_register(
    files: Mapping[str, bytes], register_dirs: list[str]
) -> tuple[dict[str, list[str]], list[Finding]]:
    """Each register folder's risk files (the deepest register owns a file), and strays."""
    risk_files: dict[str, list[str]] = {d: [] for d in register_dirs}
    findings: list[Finding] = []
    owner_of = owners(register_dirs)
    for path in sorted(files):
        if PurePosixPath(path).name == REGISTER_FILE:
            continue
        owner = owner_of(path)
        if owner is None:
            findings.append(
                Finding(
                    path,
                    1,
                    1,
                    "register-missing",
                    f"not inside a register: no {REGISTER_FILE} in this folder or above",
                    hint="move the risk file into a register folder, or run `bafctl init`",
                )
            )
            continue
        risk_files[owner].append(path)
    return risk_files, findings


def _load_settings(
    files: Mapping[str, bytes],
    register_dirs: list[str],
    cache: ValidationStore | None,
    findings: list[Finding],
    settings_by_folder: SettingsByFolder,
) -> dict[str, LoadedRegister]:
    """Validate every register.yaml (adding to ``findings`` and ``settings_by_folder``)."""
    registers: dict[str, LoadedRegister] = {}
    for folder in sorted(register_dirs):
        settings_path = REGISTER_FILE if folder == "." else f"{folder}/{REGISTER_FILE}"
        data = files[settings_path]
        result = cache.get(data, "register") if cache is not None else None
        if not isinstance(result, _Validated):
            result = _compute_settings(data)
            if cache is not None:
                cache.put(data, "register", _packed_for_cache(result))
        findings += _at(result.findings, settings_path)
        settings = result.model if isinstance(result.model, RegisterSettings) else None
        settings_by_folder[folder] = (settings, content_digest(data).hex() if settings is not None else "-")
        if settings is not None:
            registers[folder] = LoadedRegister(folder, settings, settings_path, result.source or SourceFromText(data))
    return registers


def _plan(
    files: Mapping[str, bytes],
    risk_files: dict[str, list[str]],
    cache: ValidationStore | None,
    analysis: RiskAnalysis | None,
    settings_by_folder: SettingsByFolder,
) -> tuple[dict[str, Job], dict[str, _Validated], dict[str, tuple[Finding, ...]]]:
    """What the cache already holds for each risk file, and the jobs for the rest."""
    jobs: dict[str, Job] = {}
    cached: dict[str, _Validated] = {}
    analyses: dict[str, tuple[Finding, ...]] = {}
    for folder, paths in risk_files.items():
        settings, settings_digest = settings_by_folder[folder]
        for path in paths:
            data = files[path]
            digest = content_digest(data)
            hit = cache.get(data, _settings_context(settings_digest), digest=digest) if cache is not None else None
            if not isinstance(hit, _Validated):
                need = analysis is not None and settings is not None
                jobs[path] = Job(data, digest, folder, need_analysis=need)
                continue
            cached[path] = hit
            if analysis is None or settings is None or hit.model is None:
                continue
            assert cache is not None
            found = cache.get(data, _analysis_context(settings_digest, analysis), digest=digest)
            if isinstance(found, tuple):
                analyses[path] = found
            else:
                jobs[path] = Job(data, digest, folder, need_analysis=True, cached=hit)
    return jobs, cached, analyses


def _at(findings: Iterable[Finding], path: str) -> list[Finding]:
    return [dataclasses.replace(f, path=path) for f in findings]


def _packed_for_cache(result: _Validated) -> _Validated:
    """The form a result is cached in: model and positions stay packed until read."""
    model = result.model
    if model is not None and not isinstance(model, LazyModel) and not isinstance(model, RegisterSettings):
        model = LazyModel.of(model)
    return dataclasses.replace(result, model=model, source=None)


# What the cache stores is plain data (bafctl.cache: JSON, models as their own JSON),
# never pickles: a validated file and a risk's rule findings are encoded here, field by
# field, and decoded to equal objects (tests/test_cache.py).


def _finding_row(finding: Finding) -> list[Any]:
    f = finding
    return [f.path, f.line, f.col, f.rule, f.message, f.level.value, f.risk_id, f.hint, f.suppressed]


def _finding_of(row: list[Any]) -> Finding:
    path, line, col, rule, message, level, risk_id, hint, suppressed = row
    return Finding(path, line, col, rule, message, Level(level), risk_id, hint, suppressed)


def _encode_validated(result: _Validated, encode: Callable[[Any], Any]) -> list[Any]:
    # Positions (``source``) are never cached: they are rebuilt from the bytes.
    facts = result.facts
    return [
        result.risk_id,
        encode(result.model),
        [_finding_row(f) for f in result.findings],
        result.parsed_ok,
        None
        if facts is None
        else [
            list(facts.id_position),
            [list(ref) for ref in facts.references],
            [due.isoformat() for due in facts.open_action_dues],
        ],
    ]


def _decode_validated(row: list[Any]) -> _Validated:
    risk_id, model, findings, parsed_ok, facts = row
    return _Validated(
        risk_id,
        model,
        None,
        tuple(_finding_of(f) for f in findings),
        parsed_ok,
        None
        if facts is None
        else RiskFacts(
            (facts[0][0], facts[0][1]),
            tuple((line, col, ref) for line, col, ref in facts[1]),
            tuple(dt.date.fromisoformat(due) for due in facts[2]),
        ),
    )


register_model(Risk)
register_model(RegisterSettings)
register_codec(Finding, "Finding", lambda finding, _encode: _finding_row(finding), _finding_of)
register_codec(_Validated, "Validated", _encode_validated, _decode_validated)


def cache_enabled(use_cache: bool | None = None, options: LoadOptions = DEFAULT_LOAD_OPTIONS) -> bool:
    """Whether to use the validation cache: ``use_cache`` when given, else the options'."""
    return options.use_cache if use_cache is None else use_cache


def entry_cache(use_cache: bool | None = None, options: LoadOptions = DEFAULT_LOAD_OPTIONS) -> ValidationStore | None:
    """The cache for files read one by one (git blobs), or None when it is bypassed."""
    if not cache_enabled(use_cache, options):
        return None
    return open_cache(options)


def open_cache(options: LoadOptions = DEFAULT_LOAD_OPTIONS) -> ValidationCache[Any]:
    """The cache of validated files in the folder and with the bound the options name."""
    return ValidationCache[Any](options.cache_dir, max_bytes=options.cache_max_bytes)


def load_paths(
    paths: Iterable[Path],
    cwd: Path | None = None,
    *,
    use_cache: bool | None = None,
    analysis: RiskAnalysis | None = None,
    options: LoadOptions = DEFAULT_LOAD_OPTIONS,
) -> Workspace:
    """Read the registers named by ``paths`` from disk and load them.

    Files that were not read (symbolic links, unreadable files) are findings too.
    Validated files are cached by content (one pack per set of registers), so an
    unchanged file is never parsed twice; ``use_cache=False`` (or
    ``options.use_cache``) bypasses the cache. ``analysis``: see :func:`load_workspace`.
    """
    files, findings = scan_files(paths, cwd)
    # The collector is paused during the load and given back as it was (load/jobs.py).
    with collector_paused(freeze=options.freeze_loaded):
        workspace = _load_files(files, cwd, cache_enabled(use_cache, options), analysis, options)
    workspace.findings = sorted(workspace.findings + findings)
    return workspace


def _load_files(
    files: Mapping[str, bytes], cwd: Path | None, use_cache: bool, analysis: RiskAnalysis | None, options: LoadOptions
) -> Workspace:
    if use_cache and files:
        folders = sorted({str(PurePosixPath(p).parent) for p in files if PurePosixPath(p).name == REGISTER_FILE})
        group = "\0".join([str((cwd or Path.cwd()).resolve()), *folders])
        with open_cache(options).pack(group) as pack:
            return load_workspace(files, cache=pack, analysis=analysis, workers=options.workers)
    return load_workspace(files, analysis=analysis, workers=options.workers)
