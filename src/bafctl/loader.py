"""The one loader: files (from disk or from git) in, validated registers and findings out.

:func:`load_workspace` is pure: it takes a mapping of POSIX paths to bytes, so the same
code reads the working tree (:func:`bafctl.sources.disk.read_files`, also importable from here)
and git blobs (``bafctl.history``).
Every problem becomes a :class:`~bafctl.findings.Finding` with ``path:line:col``; a
file that fails is left out of the workspace, the others still load.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import gc
import os
import re
import threading
import types
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from bafctl.cache import LazyModel, ValidationCache, content_digest, register_codec, register_model
from bafctl.findings import Finding, Level
from bafctl.models import Gap, RegisterSettings, Risk
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
from bafctl.yamlio import ParsedYaml, SourceMap, Span, parse_yaml, value_at

if TYPE_CHECKING:
    from collections.abc import Callable

ModelT = TypeVar("ModelT", bound=BaseModel)


class LoadedRisk:
    """A validated risk with where it came from.

    The model may still be encoded (its JSON, from the cache or a worker process):
    :attr:`risk` restores it on first read, so commands that read few risks of a large register
    (``check`` with cached rule findings, ``diff``, ``rescore``) never restore the rest.
    """

    __slots__ = ("_facts", "_model", "_packed", "analysis", "content", "path", "register_id", "risk_id", "source")

    def __init__(
        self,
        path: str,
        risk: Risk | LazyModel,
        source: SourceMap,
        register_id: str,
        *,
        risk_id: str | None = None,
        facts: RiskFacts | None = None,
        content: bytes | None = None,
        analysis: tuple[str, list[Finding]] | None = None,
    ) -> None:
        self.path = path
        self._model: Risk | None = risk if isinstance(risk, Risk) else None
        self._packed: LazyModel | None = None if isinstance(risk, Risk) else risk
        self.source = source
        self.register_id = register_id
        #: The risk's ID (the model's, without restoring it).
        self.risk_id: str = risk_id if risk_id is not None else self.risk.id
        self._facts = facts
        #: SHA-256 of the file's bytes: equal contents, equal risks (``diff``).
        self.content = content
        #: (analysis key, findings) computed by the loader (:class:`RiskAnalysis`).
        self.analysis = analysis

    @property
    def risk(self) -> Risk:
        """The validated model (restored on first read, then kept)."""
        model = self._model
        if model is None:
            assert self._packed is not None
            model = self._model = self._packed.peek()
        return model

    @property
    def facts(self) -> RiskFacts:
        """What the checks across risks and ``diff`` read without restoring the model."""
        if self._facts is None:
            # Worked out on first read: a risk built from a model alone (a public report's
            # copy) would otherwise re-parse its file for positions nobody reads.
            self._facts = _facts_of(self.risk, self.source)
        return self._facts

    @property
    def model_in_memory(self) -> bool:
        """True once the model has been read (or when it was never packed)."""
        return self._model is not None

    def release_model(self) -> None:
        """Forget the model read from its packed form; the next read restores it again.

        A report of 5,000 risks holds every model while it builds its pages (about
        40 KB a risk), then needs none of them to write its HTML.
        """
        if self._packed is not None:
            self._model = None

    def __repr__(self) -> str:
        return f"LoadedRisk({self.path!r}, {self.risk_id!r}, register {self.register_id!r})"


@dataclass
class LoadedRegister:
    """A validated ``register.yaml`` and the risks that loaded cleanly."""

    root: str
    settings: RegisterSettings
    settings_path: str
    source: SourceMap
    risks: list[LoadedRisk] = field(default_factory=list)

    @property
    def id(self) -> str:
        """The register's ID (``register.id``)."""
        return self.settings.info.id


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


class SourceFromText(SourceMap):
    """A file's positions, rebuilt on first use by parsing its bytes again.

    The bytes are always at hand when a file loads, and :func:`parse_yaml` gives the same
    positions for the same bytes. Carrying positions instead (encoding about 900 spans in
    the worker, storing them in the cache) cost 0.4 ms and 5 KB a risk; parsing again
    costs about 1 ms, and only for the few risks whose findings need a position.
    """

    def __init__(self, data: bytes) -> None:
        # No super().__init__(): ``values`` and ``keys`` are properties here.
        self._data = data
        self._source: SourceMap | None = None

    def _parsed(self) -> SourceMap:
        if self._source is None:
            self._source = parse_yaml(self._data).source
        return self._source

    @property
    def values(self) -> dict[tuple[str | int, ...], Span]:
        """Positions of values by path."""
        return self._parsed().values

    @values.setter
    def values(self, spans: dict[tuple[str | int, ...], Span]) -> None:
        self._parsed().values = spans

    @property
    def keys(self) -> dict[tuple[str | int, ...], Span]:
        """Positions of keys by path."""
        return self._parsed().keys

    @keys.setter
    def keys(self, spans: dict[tuple[str | int, ...], Span]) -> None:
        self._parsed().keys = spans

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SourceMap):
            return (self.values, self.keys) == (other.values, other.keys)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it stands for

    def __repr__(self) -> str:
        return f"SourceFromText({len(self._data)} bytes, {'parsed' if self._source else 'not parsed'})"


class ValidationStore(Protocol):
    """Where validated files are cached (:class:`bafctl.cache.ValidationCache` or a pack)."""

    def get(self, data: bytes, context: str, *, digest: bytes | None = None) -> Any: ...  # pragma: no cover - protocol

    def put(
        self, data: bytes, context: str, value: Any, *, digest: bytes | None = None
    ) -> None: ...  # pragma: no cover - protocol


@dataclass(frozen=True)
class _Validated:
    """What the cache keeps for one file: independent of its path."""

    risk_id: str | None
    model: Any
    """RegisterSettings, a Risk, a :class:`~bafctl.cache.LazyModel` of one, or None when invalid."""
    source: SourceMap | None
    """None once cached or sent from a worker: rebuilt from the bytes (:class:`SourceFromText`)."""
    findings: tuple[Finding, ...]
    parsed_ok: bool
    facts: RiskFacts | None = None


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
# Validation: pydantic errors to positioned findings
# ---------------------------------------------------------------------------


def _branches(annotation: Any) -> list[Any]:
    """The types an annotation allows, through ``Annotated``, ``Optional`` and unions."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _branches(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [b for arg in get_args(annotation) for b in _branches(arg)]
    return [annotation]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _field_keys(model: type[BaseModel]) -> dict[str, Any]:
    """A model's keys as written in YAML (aliases where set) and their annotations."""
    return {info.alias or name: info.annotation for name, info in model.model_fields.items()}


def _models_at(model: type[BaseModel], path: tuple[str | int, ...]) -> list[type[BaseModel]]:
    """The models that can describe the mapping at ``path`` of a document of ``model``."""
    current: list[Any] = [model]
    for part in path:
        following: list[Any] = []
        for annotation in current:
            for branch in _branches(annotation):
                if isinstance(part, int) and get_origin(branch) is list:
                    following.append(get_args(branch)[0])
                elif isinstance(part, str) and _is_model(branch):
                    keys = _field_keys(branch)
                    if part in keys:
                        following.append(keys[part])
        current = following
    return [b for annotation in current for b in _branches(annotation) if _is_model(b)]


def _child_models(annotation: Any) -> list[type[BaseModel]]:
    """Models held by a field directly or as list items."""
    found: list[type[BaseModel]] = []
    for branch in _branches(annotation):
        if _is_model(branch):
            found.append(branch)
        elif get_origin(branch) is list:
            found += [b for b in _branches(get_args(branch)[0]) if _is_model(b)]
    return found


def _unknown_key_hint(model: type[BaseModel], where: tuple[str | int, ...], key: str) -> str:
    """Suggest the key meant (a typo), or where the key belongs (an indentation slip)."""
    here = _models_at(model, where)
    keys = sorted({k for m in here for k in _field_keys(m)})
    close = difflib.get_close_matches(key, keys, n=1)
    if close:
        return f"did you mean `{close[0]}`?"
    inside = sorted(
        {
            field_key
            for m in here
            for field_key, annotation in _field_keys(m).items()
            if any(key in _field_keys(child) for child in _child_models(annotation))
        }
    )
    if inside:
        names = ", ".join(f"`{k}`" for k in inside[:-1]) + (" or " if len(inside) > 1 else "") + f"`{inside[-1]}`"
        return f"`{key}` goes inside {names}: check its indentation"
    strs = [i for i, part in enumerate(where) if isinstance(part, str)]
    if strs and any(key in _field_keys(m) for m in _models_at(model, where[: strs[-1]])):
        return f"`{key}` belongs one level up, beside `{where[strs[-1]]}`: check its indentation"
    return "check the spelling, or the indentation (docs/format.md lists every key)"


def _describe(value: Any, written: str | None = None) -> str:
    """A value as the author will recognise it: numbers and booleans as written."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"{written or str(value).lower()} (true/false)"
    if isinstance(value, (int, float)):
        return f"the number {written or repr(value)}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"text {shown!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


_DMY = re.compile(r"\s*(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})\s*")
_YMD = re.compile(r"\s*(\d{4})[./-](\d{1,2})[./-](\d{1,2})\s*")


def _date_hint(value: Any) -> str:
    if isinstance(value, str):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            # A plain ISO date is read as a date: as text, it was quoted.
            return "remove the quotes around the date"
        match = _YMD.fullmatch(value)
        if match:
            year, month, day = (int(g) for g in match.groups())
        else:
            match = _DMY.fullmatch(value)
            if match:
                # NHS papers write dates day first (15/01/2026), never month first.
                day, month, year = (int(g) for g in match.groups())
                year = year + 2000 if year < 100 else year
        if match:
            try:
                return f"write {dt.date(year, month, day).isoformat()} (YYYY-MM-DD, unquoted)"
            except ValueError:
                return "write dates as YYYY-MM-DD, e.g. 2026-01-15, and check the day and month"
    return "write dates as YYYY-MM-DD, e.g. 2026-01-15"


_COMMENT_HINT = "everything after ' #' is a comment: put the whole value in double quotes"


def _number_hint(value: Any, span: Span | None) -> str | None:
    if span is not None and span.style == "empty-before-comment":
        return _COMMENT_HINT
    if isinstance(value, str):
        if value.strip().isascii() and value.strip().isdigit():
            return "remove the quotes"
        if any(ch.isdigit() and not ch.isascii() for ch in value):
            return "retype the digits: these are full-width or other non-ASCII digits"
        return "write a number"
    if isinstance(value, bool):
        return "write a number"
    if isinstance(value, float):
        return "write a whole number, e.g. 3"
    return None


def _message_for(  # noqa: PLR0911
    error: Mapping[str, Any], field_name: str, span: Span | None, written: str | None
) -> tuple[str, str | None]:
    kind = error["type"]
    value = error.get("input")
    empty_comment = span is not None and span.style == "empty-before-comment"
    got = _describe(value, written)
    if kind == "missing":
        return f"missing required key `{field_name}`", None
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be a whole number, got {got}", _number_hint(value, span)
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing"):
        return f"must be a date, got {got}", _date_hint(value)
    if kind == "string_type":
        return f"must be text, got {got}", _COMMENT_HINT if empty_comment else "put the value in double quotes"
    if kind == "bool_type":
        return f"must be true or false, got {got}", "write true or false"
    if kind in ("enum", "literal_error"):
        expected = error.get("ctx", {}).get("expected", "")
        return f"must be one of {expected}, got {got}", None
    if kind in ("less_than_equal", "greater_than_equal", "less_than", "greater_than"):
        return f"{error['msg'].lower().replace('input should be', 'must be')}, got {written or repr(value)}", None
    if kind == "string_pattern_mismatch":
        return (
            f"is not a valid ID: {got}",
            "use letters, digits, '.', '_' and '-' only (no spaces), at most 40 characters",
        )
    if kind == "string_too_short":
        return "must not be empty", _COMMENT_HINT if empty_comment else None
    if kind == "string_too_long":
        return f"is too long ({len(str(value))} characters)", "shorten it or split it into items"
    if kind in ("too_short", "too_long"):
        return f"{error['msg'].lower()}", None
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be a mapping of keys, got {got}", "write `key: value` lines, indented"
    if kind == "list_type":
        return f"must be a list, got {got}", "write each item on its own line starting with '- '"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, "), None
    return f"{error['msg']}", None


#: Model validators (models.py) report on a whole mapping; these say which key of it
#: the finding belongs to, so it is positioned on the value the author must change.
_VALIDATOR_KEYS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("stored score", ("score",)),  # docs/domain.md V02
    ("tolerance override needs", ("tolerance",)),
    ("`reason` is only for", ("reason",)),
    ("merged risk needs", ("status",)),
    ("`merged_into` is only for", ("merged_into", "status")),
    ("keyword ", ("keyword",)),
    ("`completed` is set", ("completed", "status")),
    ("falls in", ("bands",)),
    ("band ", ("bands",)),
)


def _validator_key(message: str, mapping: Any) -> str | None:
    if not isinstance(mapping, dict):
        return None
    for needle, keys in _VALIDATOR_KEYS:
        if needle in message:
            return next((k for k in keys if k in mapping), None)
    return next((k for k in re.findall(r"`([a-z_]+)`", message) if k in mapping), None)


def _validate(
    model: type[ModelT], parsed: ParsedYaml, path: str, risk_id: str | None
) -> tuple[ModelT | None, list[Finding]]:
    try:
        return model.model_validate(parsed.value), []
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    findings: list[Finding] = []
    seen: set[tuple[int, int]] = set()
    source = parsed.source
    for error in errors:
        kind = error["type"]
        loc: tuple[str | int, ...] = tuple(error["loc"])
        located: list[str | int] = []
        tags: list[str] = []
        missing: str | None = None
        for index, part in enumerate(loc):
            candidate = (*located, part)
            if candidate in source.values or candidate in source.keys:
                located.append(part)
            elif index == len(loc) - 1 and kind == "missing":
                missing = str(part)
            else:
                tags.append(str(part))
        if tags:
            # A union such as `text | Gap`: report only the branch matching what the
            # author wrote (a mapping is a Gap; anything else was meant as text).
            wrote_mapping = isinstance(value_at(parsed.value, tuple(located)), dict)
            if wrote_mapping != tags[0][:1].isupper():
                continue
        if kind == "value_error":
            key = _validator_key(str(error["msg"]), value_at(parsed.value, tuple(located)))
            if key is not None:
                located.append(key)
        where = tuple(located)
        line, col = source.locate(where, key=kind == "extra_forbidden")
        if (line, col) in seen and kind not in ("missing", "extra_forbidden"):
            continue
        seen.add((line, col))
        named = [*located, missing] if missing else located
        field_name = next((str(p) for p in reversed(named) if isinstance(p, str)), "value")
        span = source.values.get(where)
        if kind == "extra_forbidden":
            message = f"unknown key `{field_name}`"
            hint: str | None = _unknown_key_hint(model, where[:-1], field_name)
        else:
            written = None
            if span is not None and span.style is None and not isinstance(error.get("input"), str):
                written = parsed.text[span.start : span.end] or None
            message, hint = _message_for(error, field_name, span, written)
        shown = located[:-1] if kind == "extra_forbidden" else located
        dotted = ".".join(str(p) for p in shown) or "(file)"
        findings.append(Finding(path, line, col, "schema", f"{dotted}: {message}", Level.ERROR, risk_id, hint))
    return None, findings


def _yaml_findings(parsed: ParsedYaml, path: str, risk_id: str | None) -> list[Finding]:
    findings = [Finding(path, p.line, p.col, p.rule, p.message, Level.ERROR, risk_id, p.hint) for p in parsed.problems]
    findings += [
        Finding(path, w.line, w.col, w.rule, w.message, Level.WARNING, risk_id, w.hint) for w in parsed.warnings
    ]
    return findings


_ID_LINE = re.compile(r"^id:[ ]*([A-Za-z0-9][A-Za-z0-9._-]{0,39})[ ]*$", re.MULTILINE)


def _risk_id_of(parsed: ParsedYaml) -> str | None:
    """The risk's ID as written, to name it in messages even when the file is broken.

    From the parsed value, else from what was parsed before the first problem, else
    (the text failed its pre-checks) from a top-level ``id:`` line.
    """
    value = parsed.value if parsed.value is not None else parsed.partial
    if isinstance(value, dict):
        raw = value.get("id")
        if isinstance(raw, str) and 0 < len(raw) <= 40 and raw.isprintable():
            return raw
        return None
    match = _ID_LINE.search(parsed.text) if value is None else None
    return match.group(1) if match else None


# ---------------------------------------------------------------------------
# The workspace
# ---------------------------------------------------------------------------


#: Below this many files to parse, worker processes cost more than they save.
PARALLEL_MIN_FILES = 200


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
class _Job:
    """One risk file to validate, or to analyse: what the worker needs, path-free."""

    data: bytes
    digest: bytes
    folder: str
    """Its register folder, whose settings the job is validated against."""
    need_analysis: bool
    cached: _Validated | None = None
    """Already validated (from the cache): only the analysis is missing."""


#: Each register folder's settings (None when its register.yaml is invalid) and digest.
_SettingsByFolder = dict[str, tuple[RegisterSettings | None, str]]

#: What worker processes inherit when they fork (rather than receive it with every job):
#: set only while a pool runs, under :data:`_FORK_LOCK` (loads in several threads).
_FORK_STATE: list[tuple[_SettingsByFolder, RiskAnalysis | None]] = []
_FORK_LOCK = threading.Lock()


def _settings_context(settings_digest: str) -> str:
    # A risk's validation includes its references to the register's themes, committees,
    # roles and appetite levels, so it is keyed by the register.yaml it was checked against.
    return f"risk\0{settings_digest}"


def _analysis_context(settings_digest: str, analysis: RiskAnalysis) -> str:
    return f"analysis\0{settings_digest}\0{analysis.key}"


def _compute_settings(data: bytes) -> _Validated:
    """Parse and validate a register.yaml, path-free."""
    parsed = parse_yaml(data)
    findings = _yaml_findings(parsed, "", None)
    validated: Any = None
    if parsed.ok:
        validated, errors = _validate(RegisterSettings, parsed, "", None)
        findings += errors
        if isinstance(validated, RegisterSettings):
            findings += _check_settings(validated, parsed.source, "")
    return _Validated(None, validated, parsed.source, tuple(findings), parsed.ok)


def _compute_risk(data: bytes, settings: RegisterSettings | None) -> _Validated:
    """Parse and validate one risk file against its register's settings, path-free."""
    parsed = parse_yaml(data)
    # The parse is not kept: it holds the whole value tree and text (about 100 KB a
    # risk); the few commands that need one (rescore, diff) parse that file again.
    risk_id = _risk_id_of(parsed)
    findings = _yaml_findings(parsed, "", risk_id)
    model: Risk | None = None
    facts: RiskFacts | None = None
    if parsed.ok:
        model, errors = _validate(Risk, parsed, "", risk_id)
        findings += errors
        if model is not None:
            facts = _facts_of(model, parsed.source)
            if settings is not None:
                findings += _settings_references(settings, model, parsed.source, "")
    return _Validated(risk_id, model, parsed.source, tuple(findings), parsed.ok, facts)


def _run_job(
    job: _Job, settings_by_folder: _SettingsByFolder, risk_analysis: RiskAnalysis | None
) -> tuple[_Validated, tuple[Finding, ...] | None]:
    settings, _digest = settings_by_folder[job.folder]
    result = job.cached if job.cached is not None else _compute_risk(job.data, settings)
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


def _run_job_packed(job: _Job) -> tuple[_Validated | None, tuple[Finding, ...] | None]:
    """:func:`_run_job` in a worker process: model and positions packed to cross the pipe.

    The parent receives the model's JSON (written here, in parallel, and cached as it is)
    and restores a model only if it reads it, so a 5,000-risk check holds about 7 KB a
    risk rather than a live model of about 150 KB.
    """
    result, analysis = _run_job(job, *_FORK_STATE[0])
    if job.cached is not None:
        return None, analysis  # the parent has the validated risk already
    model = None if result.model is None else LazyModel.of(result.model)
    return dataclasses.replace(result, model=model), analysis


def _workers(jobs: int) -> int:
    """Worker processes for a cold load: one per core, or ``$BAFCTL_WORKERS``.

    Below :data:`PARALLEL_MIN_FILES` files to parse, starting workers costs more than it
    saves; on a busy machine set ``BAFCTL_WORKERS=1``. Figures: benchmarks/README.md.
    """
    try:
        wanted = int(os.environ.get("BAFCTL_WORKERS", "0"))
    except ValueError:
        wanted = 0
    if jobs < PARALLEL_MIN_FILES or wanted == 1:
        return 1
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(wanted or available, available, 8))


def _run_jobs(
    jobs: dict[str, _Job], settings_by_folder: _SettingsByFolder, analysis: RiskAnalysis | None
) -> dict[str, tuple[_Validated | None, tuple[Finding, ...] | None]]:
    """Run every job, in worker processes when there are many.

    A job parses and validates a file, or (on a new day, or with other rule options)
    runs the rules over a cached risk: both are worth spreading over the cores.
    """
    paths = list(jobs)
    if _workers(len(paths)) == 1:
        return {path: _run_job(jobs[path], settings_by_folder, analysis) for path in paths}
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Models build their validators on first use (models.py, defer_build): build the
    # risk's once here, not once in every worker.
    Risk.model_rebuild()
    context = multiprocessing.get_context("fork")
    with _FORK_LOCK:
        # fork: workers start with bafctl imported and inherit the settings and analysis.
        _FORK_STATE[:] = [(settings_by_folder, analysis)]
        try:
            with ProcessPoolExecutor(_workers(len(paths)), mp_context=context) as pool:
                results = pool.map(_run_job_packed, [jobs[p] for p in paths], chunksize=32)
                return dict(zip(paths, results, strict=True))
        finally:
            _FORK_STATE.clear()


def load_workspace(
    files: Mapping[str, bytes], *, cache: ValidationStore | None = None, analysis: RiskAnalysis | None = None
) -> Workspace:
    """Validate every register in ``files`` (POSIX path -> bytes) and check references.

    Pure apart from the optional ``cache`` of validated files: no file system,
    no git. Returns every finding, not just the first. With or without the cache the
    result is the same (tested on the whole bad-input corpus). ``analysis`` adds
    per-risk findings (the quality rules), computed and cached beside validation and
    kept on each :class:`LoadedRisk` for :func:`bafctl.checks.run_checks`.
    """
    register_dirs = register_folders(files)
    risk_files, findings = _risk_files_by_register(files, register_dirs)
    # Register settings first: every risk is validated against its register's.
    settings_by_folder: _SettingsByFolder = {}
    registers = _load_settings(files, register_dirs, cache, findings, settings_by_folder)
    jobs, cached, analyses = _plan(files, risk_files, cache, analysis, settings_by_folder)
    computed = _run_jobs(jobs, settings_by_folder, analysis)
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
    settings_by_folder: _SettingsByFolder,
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
    settings_by_folder: _SettingsByFolder,
) -> tuple[dict[str, _Job], dict[str, _Validated], dict[str, tuple[Finding, ...]]]:
    """What the cache already holds for each risk file, and the jobs for the rest."""
    jobs: dict[str, _Job] = {}
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
                jobs[path] = _Job(data, digest, folder, need_analysis=need)
                continue
            cached[path] = hit
            if analysis is None or settings is None or hit.model is None:
                continue
            assert cache is not None
            found = cache.get(data, _analysis_context(settings_digest, analysis), digest=digest)
            if isinstance(found, tuple):
                analyses[path] = found
            else:
                jobs[path] = _Job(data, digest, folder, need_analysis=True, cached=hit)
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


#: Set to 1 (or `bafctl --no-cache`) to bypass the cache of validated files.
NO_CACHE_ENV = "BAFCTL_NO_CACHE"


def cache_enabled(use_cache: bool | None = None) -> bool:
    """Whether to use the validation cache: the argument, else not ``$BAFCTL_NO_CACHE``."""
    if use_cache is not None:
        return use_cache
    return os.environ.get(NO_CACHE_ENV, "").strip().lower() not in ("1", "true", "yes", "on")


def entry_cache(use_cache: bool | None = None) -> ValidationStore | None:
    """The cache for files read one by one (git blobs), or None when it is bypassed."""
    if not cache_enabled(use_cache):
        return None
    return ValidationCache[Any]()


def load_paths(
    paths: Iterable[Path],
    cwd: Path | None = None,
    *,
    use_cache: bool | None = None,
    analysis: RiskAnalysis | None = None,
) -> Workspace:
    """Read the registers named by ``paths`` from disk and load them.

    Files that were not read (symbolic links, unreadable files) are findings too.
    Validated files are cached by content (one pack per set of registers), so an
    unchanged file is never parsed twice; ``use_cache=False`` bypasses the cache.
    ``analysis``: see :func:`load_workspace`.
    """
    files, findings = scan_files(paths, cwd)
    # Loading builds many long-lived objects and no cycles: the cyclic garbage collector
    # would only rescan them over and over (20-30 % of a large load, benchmarks/README.md).
    collecting = gc.isenabled()
    gc.disable()
    try:
        workspace = _load_files(files, cwd, use_cache, analysis)
    finally:
        if collecting:
            gc.enable()
    gc.freeze()  # what was loaded lives until the command ends: keep it out of later collections
    workspace.findings = sorted(workspace.findings + findings)
    return workspace


def _load_files(
    files: Mapping[str, bytes], cwd: Path | None, use_cache: bool | None, analysis: RiskAnalysis | None
) -> Workspace:
    if cache_enabled(use_cache) and files:
        folders = sorted({str(PurePosixPath(p).parent) for p in files if PurePosixPath(p).name == REGISTER_FILE})
        group = "\0".join([str((cwd or Path.cwd()).resolve()), *folders])
        with ValidationCache[Any]().pack(group) as pack:
            return load_workspace(files, cache=pack, analysis=analysis)
    return load_workspace(files, analysis=analysis)


# ---------------------------------------------------------------------------
# Integrity: IDs and references (docs/domain.md V03-V05, V20, V24)
# ---------------------------------------------------------------------------


def _ids_unique(items: Iterable[Any], what: str, key: str, source: SourceMap, path: str) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        ident = item.id
        if ident in seen:
            line, col = source.locate((key, index, "id"))
            findings.append(Finding(path, line, col, "duplicate-id", f"{what} ID {ident!r} is used twice"))
        seen.add(ident)
    return findings


def _check_settings(settings: RegisterSettings, source: SourceMap, path: str) -> list[Finding]:
    findings: list[Finding] = []
    findings += _ids_unique(settings.themes, "theme", "themes", source, path)
    findings += _ids_unique(settings.committees, "committee", "committees", source, path)
    findings += _ids_unique(settings.roles, "role", "roles", source, path)
    findings += _ids_unique(settings.appetite_levels, "appetite level", "appetite_levels", source, path)
    themes = {t.id for t in settings.themes}
    committees = {c.id for c in settings.committees}
    placed: dict[str, int] = {}
    for index, section in enumerate(settings.sections):
        if section.committee not in committees:
            line, col = source.locate(("sections", index, "committee"))
            findings.append(
                Finding(
                    path,
                    line,
                    col,
                    "unknown-reference",
                    f"section {section.number}: unknown committee {section.committee!r}",
                    hint=_choices(section.committee, committees),
                )
            )
        for t_index, theme in enumerate(section.themes):
            if theme not in themes:
                line, col = source.locate(("sections", index, "themes", t_index))
                findings.append(
                    Finding(
                        path,
                        line,
                        col,
                        "unknown-reference",
                        f"section {section.number}: unknown theme {theme!r}",
                        hint=_choices(theme, themes),
                    )
                )
            elif theme in placed:
                line, col = source.locate(("sections", index, "themes", t_index))
                findings.append(
                    Finding(
                        path,
                        line,
                        col,
                        "duplicate-id",
                        f"theme {theme!r} is in sections {placed[theme]} and {section.number}",
                    )
                )
            placed[theme] = section.number
    for theme in sorted(themes - placed.keys()):
        line, col = source.locate(("themes",))
        findings.append(
            Finding(
                path,
                line,
                col,
                "unknown-reference",
                f"theme {theme!r} is in no section",
                Level.WARNING,
                hint="add it to a section's `themes`",
            )
        )
    numbers = [s.number for s in settings.sections]
    if len(set(numbers)) != len(numbers):
        line, col = source.locate(("sections",))
        findings.append(Finding(path, line, col, "duplicate-id", "two sections have the same number"))
    return findings


def _choices(value: str, known: Iterable[str]) -> str:
    known_sorted = sorted(known)
    close = difflib.get_close_matches(value, known_sorted, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return "known: " + ", ".join(known_sorted) if known_sorted else "none are defined in register.yaml"


@dataclass(frozen=True)
class RiskFacts:
    """What is read of every risk of a large register, kept apart from its model.

    Cached with the validated file, so duplicate IDs and references between risks are
    checked, and ``diff`` passes over unchanged files, without restoring a model.
    """

    id_position: tuple[int, int]
    references: tuple[tuple[int, int, str], ...]
    """``related_risks`` then ``merged_into``: (line, column, reference as written)."""
    open_action_dues: tuple[dt.date, ...] = ()
    """Due dates of its open actions: an unchanged file's actions can still fall overdue."""


def _facts_of(risk: Risk, source: SourceMap) -> RiskFacts:
    refs: list[tuple[tuple[str | int, ...], str]] = [
        (("related_risks", i), ref) for i, ref in enumerate(risk.related_risks)
    ]
    if risk.merged_into is not None:
        refs.append((("merged_into",), risk.merged_into))
    dues = tuple(sorted({a.due for a in risk.actions if a.status.is_open and a.due is not None}))
    return RiskFacts(source.locate(("id",)), tuple((*source.locate(loc), ref) for loc, ref in refs), dues)


def _settings_references(  # noqa: C901
    settings: RegisterSettings, risk: Risk, src: SourceMap, path: str
) -> list[Finding]:
    """A risk's references to its register's themes, committees, roles and levels, and its actions."""
    findings: list[Finding] = []
    themes = {t.id for t in settings.themes}
    committees = {c.id for c in settings.committees}
    roles = {r.id for r in settings.roles}
    levels = {a.id for a in settings.appetite_levels}

    def bad(loc: tuple[str | int, ...], message: str, hint: str | None = None) -> None:
        line, col = src.locate(loc)
        findings.append(Finding(path, line, col, "unknown-reference", message, Level.ERROR, risk.id, hint))

    if risk.strategic_link not in themes:
        bad(("strategic_link",), f"unknown theme {risk.strategic_link!r}", _choices(risk.strategic_link, themes))
    for i, committee in enumerate(risk.oversight):
        if committee not in committees:
            bad(("oversight", i), f"unknown committee {committee!r}", _choices(committee, committees))
    if risk.executive_lead not in roles:
        bad(("executive_lead",), f"unknown role {risk.executive_lead!r}", _choices(risk.executive_lead, roles))
    if risk.appetite.level not in levels:
        bad(
            ("appetite", "level"),
            f"unknown appetite level {risk.appetite.level!r}",
            _choices(risk.appetite.level, levels),
        )
    action_ids: set[str] = set()
    for kind in ("causes", "effects"):
        for t_index, thread in enumerate(getattr(risk, kind)):
            for a_index, action in enumerate(thread.actions):
                if action.id in action_ids:
                    line, col = src.locate((kind, t_index, "actions", a_index, "id"))
                    findings.append(
                        Finding(
                            path, line, col, "duplicate-id", f"action ID {action.id!r} is used twice", risk_id=risk.id
                        )
                    )
                action_ids.add(action.id)
                if action.owner is not None and action.owner not in roles:
                    bad(
                        (kind, t_index, "actions", a_index, "owner"),
                        f"unknown role {action.owner!r}",
                        _choices(action.owner, roles),
                    )
    for kind in ("causes", "effects"):
        for t_index, thread in enumerate(getattr(risk, kind)):
            for gap_kind in ("control_gaps", "assurance_gaps"):
                for g_index, gap in enumerate(getattr(thread, gap_kind)):
                    if isinstance(gap, Gap):
                        for l_index, ref in enumerate(gap.actions):
                            if ref not in action_ids:
                                bad(
                                    (kind, t_index, gap_kind, g_index, "actions", l_index),
                                    f"unknown action {ref!r}",
                                    _choices(ref, action_ids),
                                )
    return findings


def _check_links(registers: list[LoadedRegister]) -> list[Finding]:
    """Duplicate register and risk IDs, and references between risks (from :class:`RiskFacts`)."""
    findings: list[Finding] = []
    by_register: dict[str, LoadedRegister] = {}
    for reg in registers:
        if reg.id in by_register:
            line, col = reg.source.locate(("register", "id"))
            findings.append(
                Finding(
                    reg.settings_path,
                    line,
                    col,
                    "duplicate-id",
                    f"register ID {reg.id!r} is also used by {by_register[reg.id].settings_path}",
                )
            )
        by_register.setdefault(reg.id, reg)
    # Risk IDs per register, for reference checks in constant time (10,000-risk registers).
    risk_ids: dict[str, set[str]] = {}
    for reg in registers:
        risk_ids.setdefault(reg.id, set()).update(lr.risk_id.casefold() for lr in reg.risks)
    first_seen: dict[str, LoadedRisk] = {}
    for reg in registers:
        for lr in reg.risks:
            key = lr.risk_id.casefold()
            if key in first_seen:
                line, col = lr.facts.id_position
                findings.append(
                    Finding(
                        lr.path,
                        line,
                        col,
                        "duplicate-id",
                        f"risk ID {lr.risk_id!r} is also used by {first_seen[key].path}",
                        risk_id=lr.risk_id,
                    )
                )
            first_seen.setdefault(key, lr)

    for reg in registers:
        external = {e.id for e in reg.settings.external_registers}
        for lr in reg.risks:
            for line, col, ref in lr.facts.references:
                register_id, _, local = ref.rpartition(":")
                register_id = register_id or reg.id
                message: str | None = None
                hint: str | None = None
                if register_id in by_register:
                    if local.casefold() not in risk_ids[register_id]:
                        message = f"no risk {local!r} in register {register_id!r}"
                    elif local.casefold() == lr.risk_id.casefold() and register_id == reg.id:
                        message = "a risk cannot refer to itself"
                elif register_id not in external:
                    message = f"unknown register {register_id!r}"
                    hint = "declare it under `external_registers` in register.yaml, or check both registers together"
                if message is not None:
                    findings.append(
                        Finding(lr.path, line, col, "unknown-reference", message, Level.ERROR, lr.risk_id, hint)
                    )
    return findings
