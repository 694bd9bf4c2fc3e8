"""Rescoring: plan and verify byte-exact edits of risk files (pure: bytes in, bytes out).

A risk file is the board's record and is reviewed as a git diff, so a rescore changes
exactly the values asked for and nothing else: every comment, blank line, quote, key
order, BOM and CRLF stays as it was. The YAML is never re-dumped (a ruamel load+dump
round-trip is byte-identical for 2 files in 600; docs/reliability.md 0.5). Instead each
target value is *spliced*: its characters are located through the strict parser's
positions (:class:`bafctl.yamlio.Span`) and replaced in place (R9).

Guarantees, each enforced here before anything is written:

- the file loads through the one loader (:func:`bafctl.loader.load_workspace`) with no
  error-level finding, else the rescore is refused;
- only plain decimal numbers (``^[0-9]+$``), plain ISO dates and simple band names are
  replaced; anything else (``"4"``, ``+4``, a block scalar) is refused with its position;
- the new text is re-read and re-validated by the same loader, and the only data
  differences must be the requested values (R10);
- a second identical run changes nothing (R12).

Writing the result to disk is :mod:`bafctl.atomic`'s job.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from bafctl.errors import RescoreRefusedError, RiskNotFoundError, UsageError, VerificationError
from bafctl.escaping import terminal
from bafctl.findings import Finding, Level
from bafctl.loader import REGISTER_FILE, LoadedRegister, Workspace, entry_cache, load_workspace
from bafctl.models import Band
from bafctl.options import DEFAULT_LOAD_OPTIONS, LoadOptions
from bafctl.scoring import ASSESSMENT_NAMES, band_for, format_pair, tolerance_for
from bafctl.sources.layout import owner_of, owners, register_folders, settings_path
from bafctl.yamlio import ParsedYaml, Span, resolve_plain, value_at

YamlPath = tuple[str | int, ...]

#: The comment ``--reason`` writes on the ``last_updated`` line, and finds again there.
REASON_MARK = "# rescored"
#: Longest ``--reason`` accepted (it is a one-line comment, not a progress note).
MAX_REASON = 300

_PLAIN_DECIMAL = re.compile(r"[0-9]+")
_PLAIN_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A band name that is safe as a plain scalar in block and flow context: no ': ', ' #',
# no flow indicators, no leading indicator, no trailing space.
_PLAIN_SAFE_TEXT = re.compile(r"[A-Za-z](?:[A-Za-z0-9 ()/+.'-]*[A-Za-z0-9).])?")
_PREVIOUS_REASON = re.compile(r"([ ]+)" + re.escape(REASON_MARK) + r"\b.*")


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` (``old``) with ``new``; ``loc`` is None for a comment."""

    loc: YamlPath | None
    start: int
    end: int
    old: str
    new: str


@dataclass(frozen=True)
class ValueChange:
    """One data value a plan changes, as the loader reads it before and after."""

    risk_id: str
    loc: YamlPath
    old: Any
    new: Any

    @property
    def dotted(self) -> str:
        """``assessments.current.likelihood``."""
        return ".".join(str(part) for part in self.loc)


@dataclass(frozen=True)
class FilePlan:
    """The planned new content of one file, already verified by the loader."""

    path: str
    old: bytes
    new: bytes
    changes: tuple[ValueChange, ...] = ()
    comment: str | None = None
    """The ``# rescored ...`` comment written with ``--reason``, if any."""

    @property
    def changed(self) -> bool:
        """True when the new bytes differ from the old."""
        return self.old != self.new

    def diff(self) -> str:
        """The unified diff of the plan, safe to print (see :func:`unified_diff`)."""
        return unified_diff(self.path, self.old, self.new)


@dataclass(frozen=True)
class RescoreRequest:
    """What ``bafctl rescore RISK-ID`` was asked to do."""

    risk_id: str
    assessments: Mapping[str, tuple[int, int]]
    """Assessment name (``initial``, ``current``, ``target``) -> (consequence, likelihood)."""
    on: dt.date
    """The new ``last_updated`` date."""
    reason: str | None = None


@dataclass(frozen=True)
class RiskRescore:
    """The result of planning one risk's rescore."""

    risk_id: str
    plan: FilePlan
    before: Mapping[str, tuple[int, int]]
    after: Mapping[str, tuple[int, int]]
    requested: tuple[str, ...]
    tolerance: int | None
    appetite_level: str

    def summary(self) -> list[str]:
        """Plain lines saying what changed (or that nothing did), for the terminal."""
        if not self.plan.changed:
            already = ", ".join(f"{name} is already {format_pair(*self.after[name])}" for name in self.requested)
            return [terminal(f"{self.risk_id}: nothing to change ({already})")]
        parts = [
            f"{name} {format_pair(*self.before[name])} -> {format_pair(*self.after[name])}"
            for name in ASSESSMENT_NAMES
            if self.before[name] != self.after[name]
        ]
        parts += [f"last_updated {c.old} -> {c.new}" for c in self.plan.changes if c.loc == ("last_updated",)]
        lines = [f"{self.risk_id}: {'; '.join(parts)} ({self.plan.path})"]
        stored = [c for c in self.plan.changes if c.loc[-1] in ("score", "band")]
        if stored:
            lines.append(
                f"{self.risk_id}: stored values updated: " + ", ".join(f"{c.dotted} {c.old} -> {c.new}" for c in stored)
            )
        if self.tolerance is not None:
            consequence, likelihood = self.after["current"]
            current = consequence * likelihood
            if current > self.tolerance:
                where = f"above tolerance {self.tolerance} ({self.appetite_level}) by {current - self.tolerance}"
            else:
                where = f"within tolerance {self.tolerance} ({self.appetite_level})"
            lines.append(f"{self.risk_id}: current score {current} is {where}")
        return [terminal(line) for line in lines]


@dataclass(frozen=True)
class Refusal:
    """A file ``rescore --all`` left alone, and why."""

    path: str
    message: str
    findings: tuple[Finding, ...] = ()


# ---------------------------------------------------------------------------
# Text helpers
# ---------------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, bool]:
    """UTF-8 bytes -> (text without BOM, had a BOM). Only for bytes the loader accepted."""
    bom = data.startswith(b"\xef\xbb\xbf")
    return (data[3:] if bom else data).decode("utf-8"), bom


def encode_text(text: str, bom: bool) -> bytes:
    """Text -> UTF-8 bytes, with the BOM put back if the file had one (R3)."""
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def splice(text: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping edits; every character outside them is kept as it is."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    pieces: list[str] = []
    position = 0
    for edit in ordered:
        if edit.start < position or edit.end < edit.start:
            raise ValueError(f"overlapping edits at character {edit.start}")
        if text[edit.start : edit.end] != edit.old:
            raise ValueError(f"edit at character {edit.start} expected {edit.old!r}")
        pieces.append(text[position : edit.start])
        pieces.append(edit.new)
        position = edit.end
    pieces.append(text[position:])
    return "".join(pieces)


def unified_diff(path: str, old: bytes, new: bytes) -> str:
    """A unified diff between two versions of a file, safe to print on a terminal.

    CRLF line ends are shown as plain line ends and control characters are replaced
    (R20); the diff is for people and CI logs, the file keeps its own bytes.
    """
    old_text, old_bom = decode_text(old)
    new_text, new_bom = decode_text(new)
    lines: list[str] = []
    if old_bom != new_bom:  # pragma: no cover - splices never change the BOM
        lines.append(f"# byte order mark {'removed' if old_bom else 'added'}\n")
    for line in difflib.unified_diff(
        old_text.splitlines(keepends=True), new_text.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    ):
        body = line.removesuffix("\n").removesuffix("\r")
        lines.append(terminal(body) + "\n")
        if not line.endswith("\n"):
            lines.append("\\ No newline at end of file\n")
    return "".join(lines)


def _where(path: str, span: Span) -> str:
    return f"{path}:{span.line}:{span.col}"


def _dotted(loc: YamlPath) -> str:
    return ".".join(str(p) for p in loc)


def _number_edit(parsed: ParsedYaml, path: str, loc: YamlPath, new: int) -> Edit:
    span = parsed.source.values.get(loc)
    if span is None:  # pragma: no cover - callers only ask for values the file has
        raise RescoreRefusedError(f"{path}: {_dotted(loc)} is not in the file; nothing written")
    raw = parsed.text[span.start : span.end]
    if span.style is not None or not _PLAIN_DECIMAL.fullmatch(raw):
        raise RescoreRefusedError(
            f"{_where(path, span)}: {_dotted(loc)} is written {terminal(raw)!r}, not as a plain number: "
            "rescore only replaces a plain number such as 4 (edit it by hand first); nothing written"
        )
    return Edit(loc, span.start, span.end, raw, str(new))


def _date_edit(parsed: ParsedYaml, path: str, loc: YamlPath, new: dt.date) -> Edit:
    span = parsed.source.values[loc]
    raw = parsed.text[span.start : span.end]
    if span.style is not None or not _PLAIN_DATE.fullmatch(raw):  # pragma: no cover - the schema wants a date
        raise RescoreRefusedError(
            f"{_where(path, span)}: {_dotted(loc)} is written {terminal(raw)!r}, not as a plain date "
            "YYYY-MM-DD; nothing written"
        )
    return Edit(loc, span.start, span.end, raw, new.isoformat())


def _text_edit(parsed: ParsedYaml, path: str, loc: YamlPath, new: str) -> Edit:
    """Replace a one-line text value (a stored band name) in the file's own quoting style."""
    span = parsed.source.values[loc]
    raw = parsed.text[span.start : span.end]
    if span.style is None and _PLAIN_SAFE_TEXT.fullmatch(new) and resolve_plain(new) == new:
        written = new
    elif span.style == "'" and "\n" not in new:
        written = "'" + new.replace("'", "''") + "'"
    elif span.style == '"' and "\n" not in new:
        written = json.dumps(new, ensure_ascii=False)
    else:
        raise RescoreRefusedError(
            f"{_where(path, span)}: cannot write band {terminal(new)!r} in place of {terminal(raw)!r} "
            "without changing its quoting: write the value in double quotes first; nothing written"
        )
    return Edit(loc, span.start, span.end, raw, written)


def _clean_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise UsageError("--reason must not be empty")
    if len(text) > MAX_REASON:
        raise UsageError(f"--reason is {len(text)} characters long; keep it under {MAX_REASON}")
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")), None)
    if bad is not None:
        raise UsageError(f"--reason must be one line of plain text (found U+{ord(bad):04X})")
    return text


def _line_bounds(text: str, index: int) -> tuple[int, int, int]:
    """Start of the line holding ``index``, its end before CR/LF, and the start of the next line."""
    start = text.rfind("\n", 0, index) + 1
    newline = text.find("\n", index)
    following = len(text) if newline < 0 else newline + 1
    end = len(text) if newline < 0 else newline
    if end > start and text[end - 1] == "\r":
        end -= 1
    return start, end, following


def _reason_edit(parsed: ParsedYaml, path: str, reason: str, on: dt.date) -> tuple[Edit, str]:
    """Where ``--reason`` goes: a ``# rescored DATE: reason`` comment by ``last_updated``.

    At the end of the ``last_updated`` line when it has no comment (that line changes
    anyway, so the diff gains no line); when the author already commented that line,
    on a comment line of its own just below it. A previous ``# rescored`` comment in
    either place is replaced, so reruns stay idempotent; the author's comments are
    never touched.
    """
    text = parsed.text
    span = parsed.source.values[("last_updated",)]
    key = parsed.source.keys[("last_updated",)]
    comment = f"{REASON_MARK} {on.isoformat()}: {reason}"
    line_start, line_end, following = _line_bounds(text, span.end)
    rest = text[span.end : line_end]
    previous = _PREVIOUS_REASON.fullmatch(rest)
    if previous is not None:
        start = span.end + len(previous.group(1))
        return Edit(None, start, line_end, text[start:line_end], comment), comment
    if not rest.strip():
        return Edit(None, span.end, line_end, rest, "  " + comment), comment
    indent = text[line_start : key.start]
    if rest.lstrip().startswith("#") and not indent.strip(" "):
        _, next_end, _ = _line_bounds(text, following) if following < len(text) else (0, following, 0)
        below = text[following:next_end]
        if below.startswith(indent + REASON_MARK) and following < len(text):
            start = following + len(indent)
            return Edit(None, start, next_end, text[start:next_end], comment), comment
        if following == len(text) and not text.endswith("\n"):
            return Edit(None, following, following, "", parsed.newline + indent + comment), comment
        return Edit(None, following, following, "", indent + comment + parsed.newline), comment
    raise RescoreRefusedError(
        f"{_where(path, span)}: --reason is written as a comment by the last_updated line, but that line "
        f"goes on with {terminal(rest.strip())!r} (flow style); leave out --reason; nothing written"
    )


# ---------------------------------------------------------------------------
# Verification (R10)
# ---------------------------------------------------------------------------


def _leaf_differences(old: Any, new: Any, loc: YamlPath = ()) -> set[YamlPath]:
    if isinstance(old, dict) and isinstance(new, dict):
        found: set[YamlPath] = set()
        for key in old.keys() | new.keys():
            if key not in old or key not in new:
                found.add((*loc, key))
            else:
                found |= _leaf_differences(old[key], new[key], (*loc, key))
        return found
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return {loc}
        found = set()
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            found |= _leaf_differences(a, b, (*loc, index))
        return found
    if type(old) is not type(new) or old != new:
        return {loc}
    return set()


def _errors(workspace: Workspace, paths: Iterable[str]) -> list[Finding]:
    wanted = set(paths)
    return [f for f in workspace.findings if f.level is Level.ERROR and f.suppressed is None and f.path in wanted]


def _verify(
    before: Workspace, files: Mapping[str, bytes], plans: Sequence[FilePlan], options: LoadOptions
) -> tuple[Workspace, list[str]]:
    """Re-read every planned file with the one loader and check it is exactly the plan.

    Returns the workspace after the change and the paths whose new text has errors
    (those plans must not be written). Raises :class:`VerificationError` when the data
    differ in any other way than planned: that would be a bug in the splice.
    """
    changed = {plan.path: plan.new for plan in plans if plan.changed}
    if not changed:
        return before, []
    after = load_workspace({**files, **changed}, cache=entry_cache(options=options))
    failed: list[str] = []
    for plan in plans:
        if not plan.changed:
            continue
        if not plan.new:
            raise VerificationError(f"{plan.path}: the new text is empty; nothing written (please report)")
        if _errors(after, [plan.path]):
            failed.append(plan.path)
            continue
        old_value = before.files[plan.path].value
        new_value = after.files[plan.path].value
        expected = {change.loc: change.new for change in plan.changes}
        differences = _leaf_differences(old_value, new_value)
        unexpected = differences ^ {loc for loc in expected if value_at(old_value, loc) != expected[loc]}
        wrong = [
            loc
            for loc, value in expected.items()
            if type(value_at(new_value, loc)) is not type(value) or value_at(new_value, loc) != value
        ]
        if unexpected or wrong:
            where = ", ".join(sorted(_dotted(loc) for loc in (*unexpected, *wrong)))
            raise VerificationError(
                f"{plan.path}: the edited file did not re-read as the requested change ({where}); "
                "nothing written (please report)"
            )
    return after, failed


# ---------------------------------------------------------------------------
# Finding the risk and its register
# ---------------------------------------------------------------------------


def _id_of(parsed: ParsedYaml) -> str | None:
    value = parsed.value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def _find(workspace: Workspace, files: Mapping[str, bytes], risk_id: str) -> tuple[str, LoadedRegister | None]:
    """The path of the one file holding the risk, and its register when it loaded."""
    wanted = risk_id.casefold()
    # Loaded risks name themselves; only files that did not load are parsed again here
    # (parsing every file of a 5,000-risk register cost most of a rescore).
    loaded = {lr.path: lr.risk_id for _, lr in workspace.risks()}
    unloaded = [p for p in workspace.files if p not in loaded and PurePosixPath(p).name != REGISTER_FILE]
    holders = sorted(
        [path for path, ident in loaded.items() if ident.casefold() == wanted]
        + [path for path in unloaded if (_id_of(workspace.files[path]) or "").casefold() == wanted]
    )
    if not holders:
        # A file that does not parse has no data, but its `id:` line still names it.
        line = re.compile(
            r"^id:[ ]*([\"']?)" + re.escape(risk_id) + r"\1[ ]*(?:#.*)?\r?$", re.MULTILINE | re.IGNORECASE
        )
        holders = sorted(
            path
            for path in unloaded
            if not workspace.files[path].ok and line.search(files[path].decode("utf-8", errors="replace"))
        )
    if not holders:
        known = sorted(lr.risk_id for _, lr in workspace.risks())
        close = difflib.get_close_matches(risk_id, known, n=1, cutoff=0.6)
        hint = f": did you mean {close[0]}?" if close else (f" (known: {', '.join(known[:12])})" if known else "")
        raise RiskNotFoundError(f"no risk {risk_id!r} in the registers read{hint}")
    if len(holders) > 1:
        raise RescoreRefusedError(
            f"risk ID {risk_id!r} is in {len(holders)} files ({', '.join(holders)}): "
            "make the IDs unique first; nothing written"
        )
    path = holders[0]
    found = workspace.find_risk(risk_id)
    register = found[0] if found is not None and found[1].path == path else None
    return path, register


def _refuse_errors(path: str, errors: Sequence[Finding]) -> RescoreRefusedError:
    count = len(errors)
    return RescoreRefusedError(
        f"{path} has {count} error{'s' if count != 1 else ''} (listed above); nothing written: "
        f"fix {'them' if count != 1 else 'it'} first (`bafctl check` lists every problem)",
        errors,
    )


# ---------------------------------------------------------------------------
# rescore RISK-ID
# ---------------------------------------------------------------------------


def _same_value(old: Any, new: Any) -> bool:
    if isinstance(old, str) and isinstance(new, str):
        # A band written in other letters (`high`) still names the band: the
        # stored-band rule accepts it, so the author's spelling is kept.
        return old.casefold() == new.casefold()
    return type(old) is type(new) and old == new


def _derived_edits(
    parsed: ParsedYaml, path: str, risk_id: str, name: str, *, pair: tuple[int, int], bands: list[Band]
) -> tuple[list[Edit], list[ValueChange]]:
    """Edits that make assessment ``name`` read ``pair`` (C, L), with any stored score/band."""
    raw = value_at(parsed.value, ("assessments", name))
    assert isinstance(raw, dict)
    edits: list[Edit] = []
    changes: list[ValueChange] = []
    consequence, likelihood = pair
    score = consequence * likelihood
    wanted: list[tuple[str, Any]] = [("consequence", consequence), ("likelihood", likelihood)]
    if "score" in raw:
        wanted.append(("score", score))
    if "band" in raw:
        wanted.append(("band", band_for(score, bands).name))
    for key, value in wanted:
        old = raw.get(key)
        if _same_value(old, value):
            continue
        loc: YamlPath = ("assessments", name, key)
        if isinstance(value, int):
            edits.append(_number_edit(parsed, path, loc, value))
        else:
            edits.append(_text_edit(parsed, path, loc, value))
        changes.append(ValueChange(risk_id, loc, old, value))
    return edits, changes


def plan_rescore(
    files: Mapping[str, bytes], request: RescoreRequest, *, options: LoadOptions = DEFAULT_LOAD_OPTIONS
) -> RiskRescore:
    """Plan and verify the rescore of one risk; nothing is written.

    Args:
        files: Every file of the registers read (POSIX path -> bytes), as
            :func:`bafctl.loader.read_files` returns them.
        request: The risk, the new assessments, the date and the optional reason.
        options: The cache settings for the loads that plan and verify the edit.

    Returns:
        The verified plan; ``plan.changed`` is False when the risk already reads as asked.

    Raises:
        RiskNotFoundError: no file holds the risk (exit 2).
        RescoreRefusedError: the file has errors, or a value cannot be replaced safely (exit 1).
        VerificationError: the edited text did not re-read as requested (a bug; exit 3).
    """
    for name in request.assessments:
        if name not in ASSESSMENT_NAMES:
            raise UsageError(f"unknown assessment {name!r}: use initial, current or target")
    if not request.assessments:
        raise UsageError("say what to change: --initial, --current and/or --target, e.g. --current 4x3")
    reason = _clean_reason(request.reason) if request.reason is not None else None
    workspace = load_workspace(files, cache=entry_cache(options=options))
    path, register = _find(workspace, files, request.risk_id)
    # The register that governs the file, by the loader's own rule (sources/layout).
    owner = owner_of(path, register_folders(files))
    settings_paths = [settings_path(owner)] if owner is not None else []
    errors = _errors(workspace, [path, *settings_paths])
    if errors:
        raise _refuse_errors(path, errors)
    if register is None:  # pragma: no cover - a risk that did not load always has an error finding
        raise RescoreRefusedError(f"{path} did not load; nothing written (`bafctl check` says why)")
    loaded = next(lr for lr in register.risks if lr.path == path)
    risk = loaded.risk
    parsed = workspace.files[path]
    before = {
        n: (getattr(risk.assessments, n).consequence, getattr(risk.assessments, n).likelihood) for n in ASSESSMENT_NAMES
    }
    after = {**before, **request.assessments}
    edits: list[Edit] = []
    changes: list[ValueChange] = []
    for name in ASSESSMENT_NAMES:
        if name in request.assessments and after[name] != before[name]:
            more_edits, more_changes = _derived_edits(
                parsed, path, risk.id, name, pair=after[name], bands=register.settings.matrix.bands
            )
            edits += more_edits
            changes += more_changes
    comment: str | None = None
    if changes:
        if risk.last_updated != request.on:
            edits.append(_date_edit(parsed, path, ("last_updated",), request.on))
            changes.append(ValueChange(risk.id, ("last_updated",), risk.last_updated, request.on))
        if reason is not None:
            reason_edit, comment = _reason_edit(parsed, path, reason, request.on)
            edits.append(reason_edit)
    old = files[path]
    new = encode_text(splice(parsed.text, edits), parsed.bom) if edits else old
    plan = FilePlan(path, old, new, tuple(changes), comment)
    _, failed = _verify(workspace, files, [plan], options)
    if failed:
        after_ws = load_workspace({**files, path: new}, cache=entry_cache(options=options))
        raise RescoreRefusedError(
            f"{path}: the rescored file would not be valid (listed above); nothing written",
            _errors(after_ws, [path]),
        )
    requested = tuple(name for name in ASSESSMENT_NAMES if name in request.assessments)
    return RiskRescore(
        risk.id, plan, before, after, requested, tolerance_for(risk, register.settings), risk.appetite.level
    )


# ---------------------------------------------------------------------------
# rescore --all
# ---------------------------------------------------------------------------


def _all_edits(parsed: ParsedYaml, path: str, bands: list[Band]) -> tuple[list[Edit], list[ValueChange]]:
    """Edits bringing every stored score and band of one file in line with C x L."""
    risk_id = _id_of(parsed) or path
    edits: list[Edit] = []
    changes: list[ValueChange] = []
    for name in ASSESSMENT_NAMES:
        raw = value_at(parsed.value, ("assessments", name))
        if not isinstance(raw, dict):
            continue
        consequence, likelihood = raw.get("consequence"), raw.get("likelihood")
        if not (
            type(consequence) is int and type(likelihood) is int and 1 <= consequence <= 5 and 1 <= likelihood <= 5
        ):
            continue  # an invalid rating: the loader reports it, and the file is refused
        more_edits, more_changes = _derived_edits(
            parsed, path, risk_id, name, pair=(consequence, likelihood), bands=bands
        )
        edits += more_edits
        changes += more_changes
    return edits, changes


def plan_rescore_all(
    files: Mapping[str, bytes], *, options: LoadOptions = DEFAULT_LOAD_OPTIONS
) -> tuple[list[FilePlan], list[Refusal]]:
    """Plan every stored ``score`` and ``band`` recomputed from C x L and the register's matrix.

    A stored score that disagrees with C x L is an error the loader reports (docs/domain.md
    V02); this is the fix it recommends. A file is refused when it still has errors
    once its derived values are fixed (whether or not it needed a change), or when a
    value cannot be replaced safely; the other files are still planned. Plans are
    verified like single rescores.

    Returns:
        The plans (one per risk file read, ``changed`` or not) and the refusals.
    """
    workspace = load_workspace(files)
    register_dirs = register_folders(files)
    owner_dir = owners(register_dirs)
    registers = {reg.root: reg for reg in workspace.registers}
    plans: list[FilePlan] = []
    refusals: list[Refusal] = []
    usable: set[str] = set()
    for folder in sorted(register_dirs):
        settings_file = settings_path(folder)
        errors = _errors(workspace, [settings_file])
        if folder in registers and not errors:
            usable.add(folder)
            continue
        refusals.append(
            Refusal(
                settings_file,
                f"{settings_file} has errors (listed above); no file of this register was rescored",
                tuple(errors),
            )
        )
    for path in sorted(files):
        if PurePosixPath(path).name == REGISTER_FILE:
            continue
        owner = owner_dir(path)
        if owner is None:
            refusals.append(
                Refusal(path, f"{path} is not inside a register; not rescored", tuple(_errors(workspace, [path])))
            )
            continue
        if owner not in usable:
            continue
        parsed = workspace.files[path]
        if not parsed.ok:
            refusals.append(
                Refusal(path, f"{path} cannot be read (listed above); not rescored", tuple(_errors(workspace, [path])))
            )
            continue
        try:
            edits, changes = _all_edits(parsed, path, registers[owner].settings.matrix.bands)
        except RescoreRefusedError as exc:
            refusals.append(Refusal(path, str(exc)))
            continue
        new = encode_text(splice(parsed.text, edits), parsed.bom) if edits else files[path]
        plans.append(FilePlan(path, files[path], new, tuple(changes)))
    after, failed = _verify(workspace, files, plans, options)
    # A file with errors is refused even when none of its stored values is stale: it
    # cannot be vouched for, and `rescore --all --check` must fail where `check` does (R1).
    failed += [plan.path for plan in plans if not plan.changed and _errors(after, [plan.path])]
    for path in sorted(failed):
        refusals.append(
            Refusal(
                path,
                f"{path} has errors that rescoring does not fix (listed above); not rescored",
                tuple(_errors(after, [path])),
            )
        )
    failed_set = set(failed)
    kept = [plan for plan in plans if plan.path not in failed_set]
    return kept, sorted(refusals, key=lambda r: r.path)
