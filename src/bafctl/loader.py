"""The one loader: files (from disk or from git) in, validated registers and findings out.

:func:`load_workspace` is pure: it takes a mapping of POSIX paths to bytes, so the same
code reads the working tree (:func:`read_files`) and git blobs (``bafctl.history``).
Every problem becomes a :class:`~bafctl.findings.Finding` with ``path:line:col``; a
file that fails is left out of the workspace, the others still load.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bafctl.errors import RegisterNotFoundError
from bafctl.findings import Finding, Level
from bafctl.models import Gap, RegisterSettings, Risk
from bafctl.yamlio import MAX_FILE_BYTES, ParsedYaml, SourceMap, Span, parse_yaml

REGISTER_FILE = "register.yaml"
YAML_SUFFIXES = (".yaml", ".yml")
#: Folders never searched for registers.
SKIPPED_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", "build", "dist"})

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class LoadedRisk:
    """A validated risk with where it came from."""

    path: str
    risk: Risk
    source: SourceMap
    register_id: str


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


@dataclass
class Workspace:
    """Everything loaded for one command: registers, their risks, and every finding."""

    registers: list[LoadedRegister]
    findings: list[Finding]
    files: dict[str, ParsedYaml] = field(default_factory=dict)
    """The parsed text of every file read, by path (for rescore and exact positions)."""

    def risks(self) -> list[tuple[LoadedRegister, LoadedRisk]]:
        """Every loaded risk with its register, in register then file order."""
        return [(reg, lr) for reg in self.registers for lr in reg.risks]

    def find_risk(self, risk_id: str) -> tuple[LoadedRegister, LoadedRisk] | None:
        """The risk with this ID (IDs are unique across registers), case-insensitively."""
        wanted = risk_id.casefold()
        return next(((reg, lr) for reg, lr in self.risks() if lr.risk.id.casefold() == wanted), None)

    @property
    def has_errors(self) -> bool:
        """True when any unsuppressed finding is an error."""
        return any(f.level is Level.ERROR and f.suppressed is None for f in self.findings)


# ---------------------------------------------------------------------------
# Reading files from disk
# ---------------------------------------------------------------------------


def find_repository_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds ``.git``."""
    current = start.resolve()
    for folder in (current, *current.parents):
        if (folder / ".git").exists():
            return folder
    return None


def _register_root_of(path: Path) -> Path | None:
    for folder in (path if path.is_dir() else path.parent, *path.resolve().parents):
        if (folder / REGISTER_FILE).is_file():
            return folder
    return None


def _walk_registers(folder: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith("."))
        if REGISTER_FILE in filenames:
            found.append(Path(dirpath))
    return found


def _register_files(root: Path) -> list[Path]:
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        if here != root and REGISTER_FILE in filenames:
            dirnames[:] = []  # a nested register is loaded on its own
            continue
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith("."))
        files.extend(
            here / name for name in sorted(filenames) if name.endswith(YAML_SUFFIXES) and not name.startswith(".")
        )
    return files


def _display(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def discover_register_roots(paths: Iterable[Path], cwd: Path | None = None) -> list[Path]:
    """The register folders that the given paths name, in a stable order.

    A file or folder inside a register names that register; a folder above registers
    names every register below it. With no paths, the current repository (or folder)
    is searched. Raises :class:`RegisterNotFoundError` when a path holds no register.
    """
    cwd = cwd or Path.cwd()
    roots: list[Path] = []
    given = list(paths)
    if not given:
        base = find_repository_root(cwd) or cwd
        roots = _walk_registers(base)
        if not roots:
            raise RegisterNotFoundError(
                f"no register found under {base} (a register is a folder with a {REGISTER_FILE}); "
                "pass a path, or run `bafctl init` to start one"
            )
    for path in given:
        if not path.exists():
            raise RegisterNotFoundError(f"{path}: no such file or folder")
        if path.is_symlink():
            raise RegisterNotFoundError(f"{path}: is a symbolic link; bafctl reads only real files")
        inside = _register_root_of(path)
        below = _walk_registers(path) if path.is_dir() and inside is None else []
        if inside is not None:
            roots.append(inside)
        elif below:
            roots.extend(below)
        else:
            raise RegisterNotFoundError(
                f"{path}: not inside a register (no {REGISTER_FILE} here or above) and none below it"
            )
    unique: dict[Path, None] = {}
    for root in roots:
        unique.setdefault(root.resolve(), None)
    return list(unique)


def read_files(paths: Iterable[Path], cwd: Path | None = None) -> dict[str, bytes]:
    """Read every file of the registers that ``paths`` name, keyed by display path.

    Symbolic links and files outside the register folders are never read (reliability.md R16).
    Oversized files are not read in full: the loader reports them from their size.
    """
    cwd = (cwd or Path.cwd()).resolve()
    files: dict[str, bytes] = {}
    for root in discover_register_roots(paths, cwd):
        for file in _register_files(root):
            display = _display(file, cwd)
            if file.is_symlink() or not file.is_file():
                continue
            with file.open("rb") as handle:
                files[display] = handle.read(MAX_FILE_BYTES + 1)
    return files


# ---------------------------------------------------------------------------
# Validation: pydantic errors to positioned findings
# ---------------------------------------------------------------------------

_ALL_KEYS: frozenset[str] = frozenset()


def _known_keys() -> frozenset[str]:
    global _ALL_KEYS  # noqa: PLW0603 - computed once, lazily
    if not _ALL_KEYS:
        from bafctl import models

        keys: set[str] = set()
        for obj in vars(models).values():
            if isinstance(obj, type) and issubclass(obj, BaseModel):
                for name, info in obj.model_fields.items():
                    keys.add(info.alias or name)
        _ALL_KEYS = frozenset(keys)
    return _ALL_KEYS


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, float):
        return f"the number {value!r}"
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


def _date_hint(value: Any) -> str:
    if isinstance(value, str):
        match = _DMY.fullmatch(value)
        if match:
            day, month, year = (int(g) for g in match.groups())
            year = year + 2000 if year < 100 else year
            try:
                return f"write {dt.date(year, month, day).isoformat()} (YYYY-MM-DD, unquoted)"
            except ValueError:
                pass
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            return "remove the quotes around the date"
    return "write dates as YYYY-MM-DD, e.g. 2026-01-15"


def _message_for(error: Mapping[str, Any], field_name: str, span: Span | None) -> tuple[str, str | None]:  # noqa: C901, PLR0911
    kind = error["type"]
    value = error.get("input")
    empty_comment = span is not None and span.style == "empty-before-comment"
    comment_hint = "everything after ' #' is a comment: put the whole value in double quotes"
    if kind == "missing":
        return f"missing required key `{field_name}`", None
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(field_name, _known_keys(), n=1)
        return f"unknown key `{field_name}`", (
            f"did you mean `{close[0]}`?" if close else "check the spelling, or the indentation"
        )
    if kind in ("int_type", "int_parsing", "int_from_float"):
        hint: str | None = comment_hint if empty_comment else None
        if isinstance(value, str) and value.strip().isdigit():
            hint = "remove the quotes"
        elif isinstance(value, bool) or value in ("yes", "no", "on", "off"):
            hint = "write a number"
        return f"must be a whole number, got {_describe(value)}", hint
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing"):
        return f"must be a date, got {_describe(value)}", _date_hint(value)
    if kind == "string_type":
        hint = comment_hint if empty_comment else "put the value in double quotes"
        return f"must be text, got {_describe(value)}", hint
    if kind == "bool_type":
        return f"must be true or false, got {_describe(value)}", "write true or false"
    if kind in ("enum", "literal_error"):
        expected = error.get("ctx", {}).get("expected", "")
        return f"must be one of {expected}, got {_describe(value)}", None
    if kind in ("less_than_equal", "greater_than_equal", "less_than", "greater_than"):
        return f"{error['msg'].lower().replace('input should be', 'must be')}, got {value!r}", None
    if kind == "string_pattern_mismatch":
        return (
            f"is not a valid ID: {_describe(value)}",
            "use letters, digits, '.', '_' and '-' only (no spaces), at most 40 characters",
        )
    if kind == "string_too_short":
        return "must not be empty", comment_hint if empty_comment else None
    if kind == "string_too_long":
        return f"is too long ({len(str(value))} characters)", "shorten it or split it into items"
    if kind in ("too_short", "too_long"):
        return f"{error['msg'].lower()}", None
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be a mapping of keys, got {_describe(value)}", "write `key: value` lines, indented"
    if kind == "list_type":
        return f"must be a list, got {_describe(value)}", "write each item on its own line starting with '- '"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, "), None
    return f"{error['msg']}", None


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
        loc: tuple[str | int, ...] = tuple(error["loc"])
        located: list[str | int] = []
        tags: list[str] = []
        missing: str | None = None
        for index, part in enumerate(loc):
            candidate = (*located, part)
            if candidate in source.values or candidate in source.keys:
                located.append(part)
            elif index == len(loc) - 1 and error["type"] == "missing":
                missing = str(part)
            else:
                tags.append(str(part))
        if tags:
            # A union such as `text | Gap`: report only the branch matching what the
            # author wrote (a mapping is a Gap; anything else was meant as text).
            wrote_mapping = isinstance(_value_at(parsed.value, tuple(located)), dict)
            if wrote_mapping != tags[0][:1].isupper():
                continue
        line, col = source.locate(tuple(located), key=error["type"] == "extra_forbidden")
        if (line, col) in seen and error["type"] not in ("missing", "extra_forbidden"):
            continue
        seen.add((line, col))
        named = [*located, missing] if missing else located
        field_name = next((str(p) for p in reversed(named) if isinstance(p, str)), "value")
        message, hint = _message_for(error, field_name, source.values.get(tuple(located)))
        shown = located[:-1] if error["type"] == "extra_forbidden" else located
        dotted = ".".join(str(p) for p in shown) or "(file)"
        findings.append(Finding(path, line, col, "schema", f"{dotted}: {message}", Level.ERROR, risk_id, hint))
    return None, findings


def _value_at(value: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _yaml_findings(parsed: ParsedYaml, path: str) -> list[Finding]:
    findings = [Finding(path, p.line, p.col, p.rule, p.message, Level.ERROR, None, p.hint) for p in parsed.problems]
    findings += [Finding(path, w.line, w.col, w.rule, w.message, Level.WARNING, None, w.hint) for w in parsed.warnings]
    return findings


def _risk_id_of(value: Any) -> str | None:
    if isinstance(value, dict):
        raw = value.get("id")
        if isinstance(raw, str) and len(raw) <= 40:
            return raw
    return None


# ---------------------------------------------------------------------------
# The workspace
# ---------------------------------------------------------------------------


def load_workspace(files: Mapping[str, bytes]) -> Workspace:
    """Validate every register in ``files`` (POSIX path -> bytes) and check references.

    Pure: no file system, no git. Returns every finding, not just the first.
    """
    findings: list[Finding] = []
    parsed_files: dict[str, ParsedYaml] = {}
    register_dirs = sorted(
        {str(PurePosixPath(p).parent) for p in files if PurePosixPath(p).name == REGISTER_FILE},
        key=lambda d: (-d.count("/"), d),
    )
    registers: dict[str, LoadedRegister] = {}
    broken_registers: set[str] = set()
    risk_files: dict[str, list[str]] = {d: [] for d in register_dirs}

    for path in sorted(files):
        pure = PurePosixPath(path)
        if pure.name == REGISTER_FILE:
            continue
        owner = next((d for d in register_dirs if d == "." or pure.is_relative_to(d)), None)
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

    for folder in sorted(register_dirs):
        settings_path = REGISTER_FILE if folder == "." else f"{folder}/{REGISTER_FILE}"
        parsed = parse_yaml(files[settings_path])
        parsed_files[settings_path] = parsed
        findings += _yaml_findings(parsed, settings_path)
        if not parsed.ok:
            broken_registers.add(folder)
            continue
        settings, errors = _validate(RegisterSettings, parsed, settings_path, None)
        findings += errors
        if settings is None:
            broken_registers.add(folder)
            continue
        findings += _check_settings(settings, parsed.source, settings_path)
        registers[folder] = LoadedRegister(folder, settings, settings_path, parsed.source)

    for folder in sorted(register_dirs):
        for path in risk_files[folder]:
            parsed = parse_yaml(files[path])
            parsed_files[path] = parsed
            risk_id = _risk_id_of(parsed.value)
            findings += [
                Finding(f.path, f.line, f.col, f.rule, f.message, f.level, risk_id, f.hint)
                for f in _yaml_findings(parsed, path)
            ]
            if not parsed.ok:
                continue
            risk, errors = _validate(Risk, parsed, path, risk_id)
            findings += errors
            if risk is None or folder in broken_registers:
                continue
            reg = registers[folder]
            reg.risks.append(LoadedRisk(path, risk, parsed.source, reg.id))

    ordered = [registers[d] for d in sorted(registers)]
    findings += _check_integrity(ordered)
    return Workspace(ordered, sorted(findings), parsed_files)


def load_paths(paths: Iterable[Path], cwd: Path | None = None) -> Workspace:
    """Read the registers named by ``paths`` from disk and load them."""
    return load_workspace(read_files(paths, cwd))


# ---------------------------------------------------------------------------
# Integrity: IDs and references (domain.md V03-V05, V20, V24)
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


def _check_integrity(registers: list[LoadedRegister]) -> list[Finding]:  # noqa: C901, PLR0912
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
    first_seen: dict[str, LoadedRisk] = {}
    for reg in registers:
        for lr in reg.risks:
            key = lr.risk.id.casefold()
            if key in first_seen:
                other = first_seen[key]
                line, col = lr.source.locate(("id",))
                findings.append(
                    Finding(
                        lr.path,
                        line,
                        col,
                        "duplicate-id",
                        f"risk ID {lr.risk.id!r} is also used by {other.path}",
                        risk_id=lr.risk.id,
                    )
                )
            first_seen.setdefault(key, lr)

    for reg in registers:
        settings = reg.settings
        themes = {t.id for t in settings.themes}
        committees = {c.id for c in settings.committees}
        roles = {r.id for r in settings.roles}
        levels = {a.id for a in settings.appetite_levels}
        external = {e.id for e in settings.external_registers}
        for lr in reg.risks:
            risk, src, path = lr.risk, lr.source, lr.path

            def bad(
                loc: tuple[str | int, ...],
                message: str,
                hint: str | None = None,
                _src: SourceMap = src,
                _path: str = path,
                _rid: str = risk.id,
            ) -> None:
                line, col = _src.locate(loc)
                findings.append(Finding(_path, line, col, "unknown-reference", message, Level.ERROR, _rid, hint))

            if risk.strategic_link not in themes:
                bad(
                    ("strategic_link",), f"unknown theme {risk.strategic_link!r}", _choices(risk.strategic_link, themes)
                )
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
                                    path,
                                    line,
                                    col,
                                    "duplicate-id",
                                    f"action ID {action.id!r} is used twice",
                                    risk_id=risk.id,
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
            refs: list[tuple[tuple[str | int, ...], str]] = [
                (("related_risks", i), ref) for i, ref in enumerate(risk.related_risks)
            ]
            if risk.merged_into is not None:
                refs.append((("merged_into",), risk.merged_into))
            for loc, ref in refs:
                register_id, _, local = ref.rpartition(":")
                register_id = register_id or reg.id
                if register_id in by_register:
                    target = by_register[register_id]
                    if not any(r.risk.id.casefold() == local.casefold() for r in target.risks):
                        bad(loc, f"no risk {local!r} in register {register_id!r}")
                    elif local.casefold() == risk.id.casefold() and register_id == reg.id:
                        bad(loc, "a risk cannot refer to itself")
                elif register_id not in external:
                    bad(
                        loc,
                        f"unknown register {register_id!r}",
                        "declare it under `external_registers` in register.yaml, or check both registers together",
                    )
    return findings
