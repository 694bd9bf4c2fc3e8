"""The jobs machinery: worker processes, what crosses their pipes, and the garbage collector.

The one place in bafctl that imports :mod:`multiprocessing`, :mod:`concurrent.futures`,
:mod:`pickle` or :mod:`gc` (the ``processes-in-one-place`` contract in .importlinter).
A job validates one risk file, or runs the per-file analysis (:class:`RiskAnalysis`) over
a risk already validated; many jobs are spread over worker processes (benchmarks/README.md).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bafctl.cache import LazyModel
from bafctl.findings import Finding
from bafctl.load.positions import LoadedRisk, SourceFromText
from bafctl.load.validate import _Validated
from bafctl.models import RegisterSettings, Risk

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    #: Validates one risk file against its register's settings, path-free.
    Compute = Callable[[bytes, RegisterSettings | None], _Validated]


@dataclass(frozen=True)
class RiskAnalysis:
    """Per-risk findings computed alongside validation, and cached beside it.

    ``bafctl check`` passes its quality rules here (:func:`bafctl.checks.rule_analysis`):
    they run in the worker that validated the risk, and their findings are cached under
    ``key`` (the date, the levels and options), so a warm check restores neither the
    risk's model nor its positions.
    """

    key: str
    """Everything besides the risk file and its register's settings the findings depend on."""
    run: Callable[[RegisterSettings, LoadedRisk], tuple[Finding, ...]]
    """The findings for one risk of a valid register, path-free (the loader sets paths)."""


@dataclass(frozen=True)
class Job:
    """One risk file to validate, or to analyse: what the worker needs, path-free."""

    data: bytes
    digest: bytes
    folder: str
    """Its register folder, whose settings the job is validated against."""
    need_analysis: bool
    cached: _Validated | None = None
    """Already validated (from the cache): only the analysis is missing."""


#: Each register folder's settings (None when its register.yaml is invalid) and digest.
SettingsByFolder = dict[str, tuple[RegisterSettings | None, str]]

#: A job's result: the validated file (None from a worker when the parent has it already)
#: and the analysis findings (None when none was asked for or possible).
JobResult = tuple[_Validated | None, tuple[Finding, ...] | None]

#: What worker processes inherit when they fork (rather than receive it with every job):
#: set only while a pool runs, under :data:`_FORK_LOCK` (loads in several threads).
_FORK_STATE: list[tuple[SettingsByFolder, RiskAnalysis | None, Compute]] = []
_FORK_LOCK = threading.Lock()


def run_job(
    job: Job, settings_by_folder: SettingsByFolder, risk_analysis: RiskAnalysis | None, compute: Compute
) -> tuple[_Validated, tuple[Finding, ...] | None]:
    """Validate one risk file (unless cached) with ``compute``, then analyse it if asked."""
    settings, _digest = settings_by_folder[job.folder]
    result = job.cached if job.cached is not None else compute(job.data, settings)
    analysis: tuple[Finding, ...] | None = None
    if job.need_analysis and risk_analysis is not None and settings is not None and result.model is not None:
        # A cached model is read for the rules and not kept: the workspace keeps it packed.
        model = result.model.peek() if isinstance(result.model, LazyModel) else result.model
        source = result.source or SourceFromText(job.data)
        lr = LoadedRisk("", model, source, settings.info.id, risk_id=result.risk_id, facts=result.facts)
        analysis = risk_analysis.run(settings, lr)
    # Positions are not kept (about 70 KB a risk): the loader rebuilds them from the
    # bytes for the few risks whose findings need one (SourceFromText).
    return dataclasses.replace(result, source=None), analysis


def run_job_packed(job: Job) -> JobResult:
    """:func:`run_job` in a worker process: model and positions packed to cross the pipe.

    The parent receives the model's JSON (written here, in parallel, and cached as it is)
    and restores a model only if it reads it, so a 5,000-risk check holds about 7 KB a
    risk rather than a live model of about 150 KB.
    """
    result, analysis = run_job(job, *_FORK_STATE[0])
    if job.cached is not None:
        return None, analysis  # the parent has the validated risk already
    model = None if result.model is None else LazyModel.of(result.model)
    return dataclasses.replace(result, model=model), analysis


def workers_for(jobs: int, min_files: int, wanted: int = 0) -> int:
    """Worker processes for a cold load: ``wanted``, or one per core when it is 0 (at most 8).

    Below ``min_files`` files to parse, starting workers costs more than it saves; on a
    busy machine the CLI's ``BAFCTL_WORKERS=1`` asks for none. Figures: benchmarks/README.md.
    """
    if jobs < min_files or wanted == 1:
        return 1
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(wanted or available, available, 8))


def run_jobs(
    jobs: dict[str, Job],
    settings_by_folder: SettingsByFolder,
    analysis: RiskAnalysis | None,
    *,
    compute: Compute,
    workers: int,
) -> dict[str, JobResult]:
    """Run every job, in ``workers`` worker processes when more than one.

    A job parses and validates a file, or (on a new day, or with other rule options)
    runs the rules over a cached risk: both are worth spreading over the cores.
    """
    paths = list(jobs)
    if workers == 1:
        return {path: run_job(jobs[path], settings_by_folder, analysis, compute) for path in paths}
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Models build their validators on first use (models.py, defer_build): build the
    # risk's once here, not once in every worker.
    Risk.model_rebuild()
    context = multiprocessing.get_context("fork")
    with _FORK_LOCK:
        # fork: workers start with bafctl imported and inherit the settings and analysis.
        _FORK_STATE[:] = [(settings_by_folder, analysis, compute)]
        try:
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                results = pool.map(run_job_packed, [jobs[p] for p in paths], chunksize=32)
                return dict(zip(paths, results, strict=True))
        finally:
            _FORK_STATE.clear()


@contextlib.contextmanager
def collector_paused(*, freeze: bool = False) -> Iterator[None]:
    """Pause the cyclic garbage collector for a load, then give the caller its own back.

    Loading builds many long-lived objects and no cycles: the collector would only rescan
    them over and over (20-30 % of a large load, benchmarks/README.md). Afterwards the
    collector is exactly as the caller had it (enabled or disabled). With ``freeze`` (the
    CLI, whose process ends with the command) what was loaded is also moved out of later
    collections; a library caller's collector is never frozen.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
        else:
            gc.disable()
    if freeze:
        gc.freeze()
