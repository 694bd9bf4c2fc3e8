"""Validation: parsed YAML against the models, every pydantic error as a positioned finding.

Path-free: findings carry an empty path, which the loader sets (:mod:`bafctl.loader`).
Hints follow docs/format.md; the messages are tested in tests/test_loader.py.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from bafctl.findings import Finding, Level
from bafctl.yamlio import ParsedYaml, SourceMap, Span, value_at

if TYPE_CHECKING:
    from bafctl.load.integrity import RiskFacts

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class _Validated:
    """What the cache keeps for one file: independent of its path.

    Private to the loader (bafctl.loader and bafctl.load), under the name it always had.
    """

    risk_id: str | None
    model: Any
    """RegisterSettings, a Risk, a :class:`~bafctl.cache.LazyModel` of one, or None when invalid."""
    source: SourceMap | None
    """None once cached or sent from a worker: rebuilt from the bytes (:class:`SourceFromText`)."""
    findings: tuple[Finding, ...]
    parsed_ok: bool
    facts: RiskFacts | None = None


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


#: Other trusts' names for bafctl's keys (their BAF templates' column headings), each
#: with the keys it may mean, in order: the first one that exists where it was written
#: is suggested (`lead:` is an action's `owner` but a risk's `executive_lead`).
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "impact": ("consequence",),
    "severity": ("consequence",),
    "probability": ("likelihood",),
    "owner": ("executive_lead",),
    "lead": ("executive_lead", "owner"),
    "risk_owner": ("executive_lead",),
    "risk_lead": ("executive_lead",),
    "lead_director": ("executive_lead",),
    "executive_owner": ("executive_lead",),
    "responsible_director": ("executive_lead",),
    "accountable_executive": ("executive_lead",),
    "action_owner": ("owner",),
    "responsible": ("owner",),
    "due_date": ("due", "date"),
    "deadline": ("due", "date"),
    "target_date": ("due", "date"),
    "inherent": ("initial",),
    "residual": ("current",),
    "committee": ("oversight",),  # not `committees`: that is register.yaml's own key
    "theme": ("strategic_link",),
    "strategic_objective": ("strategic_link",),
    "objective": ("strategic_link",),
    "risk_appetite": ("appetite",),
    "gaps_in_control": ("control_gaps",),
    "gaps_in_controls": ("control_gaps",),
    "gaps_in_assurance": ("assurance_gaps",),
    "sources_of_assurance": ("assurances",),
    "risk_id": ("id",),
    "date_added": ("date_included",),
    "date_opened": ("date_included",),
    "review_date": ("last_updated",),
    "last_reviewed": ("last_updated",),
    "date_updated": ("last_updated",),
}


def _unknown_key_hint(model: type[BaseModel], where: tuple[str | int, ...], key: str) -> str:
    """Suggest the key meant (another trust's name for it, a typo), or where it belongs (an indentation slip)."""
    here = _models_at(model, where)
    keys = sorted({k for m in here for k in _field_keys(m)})
    meant = _SYNONYMS.get(key.casefold().replace(" ", "_").replace("-", "_"), ())
    synonym = next((k for k in meant if k in keys), None)
    if synonym is not None:
        return f"did you mean `{synonym}`?"
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


def _flow_comma_hint(parsed: ParsedYaml, where: tuple[str | int, ...]) -> str | None:
    """The hint for a key that is really the rest of a value cut at a comma inside ``{...}``.

    ``{title: Safe, responsive care}`` reads as ``title: Safe`` and a key ``responsive
    care`` with no value: a key written without a colon, after a plain value followed by
    a comma, in a flow mapping. The hint quotes the value as the author wrote it.
    """
    source, text = parsed.source, parsed.text
    parent = source.values.get(where[:-1])
    mapping = value_at(parsed.value, where[:-1])
    if parent is None or not isinstance(mapping, dict) or not text.startswith("{", parent.start):
        return None
    keys = list(mapping)

    def after(index: int) -> str:
        while index < len(text) and text[index] in " \r\n":
            index += 1
        return text[index : index + 1]

    def cut_piece(index: int) -> bool:
        span = source.keys.get((*where[:-1], keys[index]))
        return (
            span is not None and span.style is None and mapping[keys[index]] is None and after(span.end) in (",", "}")
        )

    at = keys.index(where[-1])
    if not cut_piece(at):
        return None
    first = at
    while first > 0 and cut_piece(first - 1):
        first -= 1
    last = at
    while last + 1 < len(keys) and cut_piece(last + 1):
        last += 1
    if first == 0:
        return None
    value = source.values.get((*where[:-1], keys[first - 1]))
    end = source.keys[(*where[:-1], keys[last])].end
    if value is None or value.style is not None or not isinstance(mapping[keys[first - 1]], str):
        return None
    if after(value.end) != ",":
        return None
    # As one line (a plain value folds its line breaks into spaces), in the quotes it can take.
    whole = " ".join(text[value.start : end].split())
    quoted = f"'{whole}'" if '"' in whole else f'"{whole}"'
    return f"a comma inside {{...}} starts a new key: quote the value ({quoted}) or use block style"


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


#: The three lines of assurance (docs/domain.md 3.3), for a `line` that is not 1, 2 or 3.
_LINE_HINT = (
    "write the line of assurance as 1 (management), 2 (oversight) or 3 (independent): "
    "external and independent sources are line 3"
)
#: For an ID that refers to a role but cannot be one (it has spaces): a person's name.
_ROLE_ID_HINT = (
    "must be a role ID from register.yaml's `roles`, not a person's name (a role's `holder` records who holds it)"
)
_ROLE_FIELDS = frozenset({"executive_lead", "owner"})


def _field_hint(
    error: Mapping[str, Any], where: tuple[str | int, ...], hint: str | None, written: str | None
) -> str | None:
    """A hint for what this field holds, where the general one for its kind of error misleads."""
    kind = error["type"]
    value = error.get("input")
    field_name = where[-1] if where else None
    if field_name == "line" and "assurances" in where and hint == "write a number":
        return _LINE_HINT
    if field_name == "id" and kind == "string_type" and isinstance(value, dt.date) and hint != _COMMENT_HINT:
        # `id: 2018-01-01` is read as a date: an ID is text, so it needs quotes.
        return f'an ID is text, not a date: quote it (id: "{written or value}")'
    if field_name in _ROLE_FIELDS and kind == "string_pattern_mismatch":
        return _ROLE_ID_HINT
    return hint


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


def validate(
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
            hint: str | None = _flow_comma_hint(parsed, where) or _unknown_key_hint(model, where[:-1], field_name)
        else:
            written = None
            if span is not None and span.style is None and not isinstance(error.get("input"), str):
                written = parsed.text[span.start : span.end] or None
            message, hint = _message_for(error, field_name, span, written)
            hint = _field_hint(error, where, hint, written)
        shown = located[:-1] if kind == "extra_forbidden" else located
        dotted = ".".join(str(p) for p in shown) or "(file)"
        findings.append(Finding(path, line, col, "schema", f"{dotted}: {message}", Level.ERROR, risk_id, hint))
    return None, findings


def yaml_findings(parsed: ParsedYaml, path: str, risk_id: str | None) -> list[Finding]:
    findings = [Finding(path, p.line, p.col, p.rule, p.message, Level.ERROR, risk_id, p.hint) for p in parsed.problems]
    findings += [
        Finding(path, w.line, w.col, w.rule, w.message, Level.WARNING, risk_id, w.hint) for w in parsed.warnings
    ]
    return findings


_ID_LINE = re.compile(r"^id:[ ]*([A-Za-z0-9][A-Za-z0-9._-]{0,39})[ ]*$", re.MULTILINE)


def risk_id_of(parsed: ParsedYaml) -> str | None:
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
