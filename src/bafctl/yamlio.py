"""Strict YAML reading: bytes in, plain values with a position for every node out.

This is the only module that imports ruamel.yaml. Every command reads YAML through
:func:`parse_yaml` (via :mod:`bafctl.loader`), whether the bytes come from the working
tree or from a git blob, so ``check``, ``rescore``, ``diff`` and the exports can never
disagree about a file (reliability.md R1).

How it works, and why:

1. Raw-text pre-checks (size cap, UTF-8, character hygiene, tabs, directives, flow
   nesting) run first. They reject every input on which libyaml and ruamel's pure
   parser are known to disagree (tabs, ``%YAML 1.1``) or on which libyaml crashes
   (deep nesting), so the fast C event parser is safe to use (reliability.md R2-R5).
2. The parser's *events* are composed into plain ``dict``/``list``/scalar values by an
   iterative composer (no recursion, so no RecursionError), which rejects anchors,
   aliases, merge keys, tags, duplicate keys, complex keys and deep nesting, and records
   the position of every key and value in a :class:`SourceMap`.
3. Plain scalars are resolved by a strict YAML 1.2 core schema: ``NO``/``yes``/``on``
   stay text, ``010`` and 19-digit numbers are errors, ``2026-02-30`` is an error at its
   position, ``15.1.2026`` stays text (the schema then says "write 2026-01-15").
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

#: Default cap on one file's size (reliability.md R2); a BAF entry is 5-10 KiB.
MAX_FILE_BYTES = 128 * 1024
#: Deepest nesting of mappings and sequences accepted (a risk file needs 5).
MAX_DEPTH = 10
#: Integer literals longer than this are refused (Python refuses > 4300 digits anyway).
MAX_INT_DIGITS = 18
#: At most this many character-hygiene problems are reported per file.
MAX_CHAR_PROBLEMS = 20

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Span:
    """Where a node is in the text: 1-based line/column and 0-based character offsets."""

    line: int
    col: int
    start: int
    end: int
    style: str | None = None
    """For scalars: None when plain, else one of ``'`` ``"`` ``|`` ``>``."""


@dataclass
class SourceMap:
    """Positions of every key and value of one document, by path (``("causes", 0, "id")``)."""

    values: dict[Path, Span] = field(default_factory=dict)
    keys: dict[Path, Span] = field(default_factory=dict)

    def locate(self, loc: tuple[str | int, ...], *, key: bool = False) -> tuple[int, int]:
        """Best line and column for a path such as a pydantic error ``loc``.

        Components that are not part of the document (pydantic's union member names)
        are skipped; a missing field is reported at its enclosing mapping.
        """
        path: Path = ()
        for part in loc:
            candidate = (*path, part)
            if candidate in self.values or candidate in self.keys:
                path = candidate
        if key and path in self.keys:
            span = self.keys[path]
        elif path in self.values:
            span = self.values[path]
        elif path in self.keys:
            span = self.keys[path]
        else:
            return (1, 1)
        return (span.line, span.col)


@dataclass(frozen=True)
class YamlProblem:
    """A problem found while reading YAML, before any schema is applied."""

    line: int
    col: int
    message: str
    rule: str = "yaml-syntax"
    hint: str | None = None


@dataclass
class ParsedYaml:
    """The result of :func:`parse_yaml`: a value (None on failure), positions, problems."""

    value: Any
    source: SourceMap
    problems: list[YamlProblem]
    text: str = ""
    """The decoded text, without its BOM."""
    bom: bool = False
    newline: str = "\n"
    warnings: list[YamlProblem] = field(default_factory=list)
    """Problems that do not stop the file loading (e.g. text lost to a ' #' comment)."""

    @property
    def ok(self) -> bool:
        """True when the document was read without problems."""
        return not self.problems


# ---------------------------------------------------------------------------
# Raw-text pre-checks
# ---------------------------------------------------------------------------

_UTF16_32_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xfe\xff", "UTF-16"),
    (b"\xff\xfe", "UTF-16"),
)

# C0 controls but TAB/LF/CR, DEL, C1 controls (NEL included), zero-width and bidi
# controls, line/paragraph separators and a BOM after the start (reliability.md R4).
_BAD_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]|\r(?!\n)|\t"
)
# A non-breaking space where YAML needs a real space: in indentation, after the
# ':' of a key, after a '-' list marker, or before a '#' comment.
_NBSP_SYNTAX = re.compile(r"^[ ]*\u00a0|:\u00a0|^[ ]*-\u00a0|\u00a0#", re.MULTILINE)
_DIRECTIVE = re.compile(r"^%", re.MULTILINE)


def _describe_char(ch: str) -> str:
    if ch == "\t":
        return "a tab"
    if ch == "\r":
        return "a carriage return not followed by a line feed"
    name = unicodedata.name(ch, "")
    code = f"U+{ord(ch):04X}"
    return f"{code} {name}".strip() if name else f"control character {code}"


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, col


def _check_characters(text: str) -> list[YamlProblem]:
    problems: list[YamlProblem] = []
    for match in _BAD_CHARS.finditer(text):
        ch = match.group()
        line, col = _line_col(text, match.start())
        if ch == "\t":
            problems.append(YamlProblem(line, col, "tab character", "yaml-tab", "indent and separate with spaces"))
        else:
            problems.append(
                YamlProblem(
                    line,
                    col,
                    f"invisible or control character: {_describe_char(ch)}",
                    "yaml-character",
                    "delete it (often pasted from Word or a web page)",
                )
            )
        if len(problems) >= MAX_CHAR_PROBLEMS:
            break
    for match in _NBSP_SYNTAX.finditer(text):
        index = text.index("\u00a0", match.start())
        line, col = _line_col(text, index)
        problems.append(
            YamlProblem(
                line,
                col,
                "non-breaking space where YAML needs a plain space",
                "yaml-character",
                "retype the space (often pasted from Word)",
            )
        )
    return problems


def _flow_depth_problem(text: str) -> YamlProblem | None:
    """Find flow collections nested deeper than MAX_DEPTH without parsing.

    libyaml segfaults on some 25 000 nested ``[`` (reliability.md 2.2), so this runs
    before any parser. Quoted strings and comments are skipped; brackets in plain
    text can only over-count, which errs on the side of refusing.
    """
    if "[" not in text and "{" not in text:
        return None
    depth = 0
    quote = ""
    i = 0
    length = len(text)
    while i < length:
        ch = text[i]
        if quote:
            if ch == quote:
                if quote == "'" and i + 1 < length and text[i + 1] == "'":
                    i += 1
                else:
                    quote = ""
            elif ch == "\\" and quote == '"':
                i += 1
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line, col = _line_col(text, i)
                return YamlProblem(line, col, f"nested more than {MAX_DEPTH} levels deep", "yaml-structure")
        elif ch in "]}":
            depth = max(0, depth - 1)
        elif ch in "'\"" and depth and text[i - 1] in " ,[{:":
            quote = ch
        elif ch == "#" and (i == 0 or text[i - 1] in " \n"):
            newline = text.find("\n", i)
            i = length if newline < 0 else newline
            continue
        elif ch == "\n":
            depth = depth if depth else 0
        i += 1
    return None


def decode_yaml_bytes(data: bytes, *, max_bytes: int = MAX_FILE_BYTES) -> tuple[str, bool, list[YamlProblem]]:
    """Decode strict UTF-8 (a leading BOM allowed and reported) and pre-check the text.

    Returns the text without BOM, whether there was a BOM, and the problems found.
    """
    if len(data) > max_bytes:
        return (
            "",
            False,
            [
                YamlProblem(
                    1,
                    1,
                    f"file is {len(data) // 1024} KiB, over the {max_bytes // 1024} KiB limit",
                    "yaml-size",
                    "a risk file is normally under 20 KiB: split the file or check it is YAML",
                )
            ],
        )
    for marker, name in _UTF16_32_BOMS:
        if data.startswith(marker):
            return "", False, [YamlProblem(1, 1, f"file is {name}", "yaml-encoding", "save it as UTF-8")]
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = body[exc.start]
        line = body.count(b"\n", 0, exc.start) + 1
        line_start = body.rfind(b"\n", 0, exc.start) + 1
        col = len(body[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        if bom and line == 1:
            col += 0  # columns count characters after the BOM, as editors show them
        try:
            guess = bytes([bad]).decode("cp1252")
            hint = f"looks like Windows-1252 {guess!r}: save the file as UTF-8"
        except UnicodeDecodeError:
            hint = "save the file as UTF-8"
        return "", bom, [YamlProblem(line, col, f"not valid UTF-8: byte 0x{bad:02X}", "yaml-encoding", hint)]
    problems = _check_characters(text)
    for match in _DIRECTIVE.finditer(text):
        line, col = _line_col(text, match.start())
        problems.append(
            YamlProblem(
                line,
                col,
                "YAML directives (%YAML, %TAG) are not allowed",
                "yaml-structure",
                "delete the line: bafctl always reads YAML 1.2",
            )
        )
        break
    if not problems:
        depth_problem = _flow_depth_problem(text)
        if depth_problem is not None:
            problems.append(depth_problem)
    return text, bom, problems


# ---------------------------------------------------------------------------
# Scalar resolution: a strict YAML 1.2 core schema
# ---------------------------------------------------------------------------

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_SPECIAL_FLOAT = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


class _ScalarError(ValueError):
    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def resolve_plain(text: str) -> Any:
    """The value of a plain (unquoted) scalar under bafctl's strict YAML 1.2 rules."""
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if _INT.fullmatch(text):
        digits = text.lstrip("+-")
        if len(digits) > MAX_INT_DIGITS:
            raise _ScalarError(f"number has {len(digits)} digits", "quote it if it is an ID")
        if len(digits) > 1 and digits.startswith("0"):
            raise _ScalarError(
                f"number {text} has a leading zero",
                f'quote it if it is an ID ("{text}"), else write {int(text)}',
            )
        return int(text)
    if _FLOAT.fullmatch(text) or _SPECIAL_FLOAT.fullmatch(text):
        return float(text)
    date_match = _DATE.fullmatch(text)
    if date_match:
        year, month, day = (int(g) for g in date_match.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            raise _ScalarError(f"{text} is not a real date", "check the day and month") from None
    return text


# ---------------------------------------------------------------------------
# Composition from parser events
# ---------------------------------------------------------------------------

_HINTS = (
    ("mapping values are not allowed", "a ': ' inside a value starts a new key: put the whole value in double quotes"),
    ("could not find expected ':'", "a key needs ': ' after it (a colon then a space), or a line is mis-indented"),
    (
        "expected <block end>",
        "an apostrophe inside '...' must be doubled (''), or use double quotes; else check the indentation",
    ),
    ("found character that cannot start any token", "a value cannot start with @ or `: put it in double quotes"),
    ("found undefined alias", "aliases (*name) are not allowed: write the value out"),
    ("expected ',' or ']'", "a list in [...] is not closed, or an item needs quotes"),
    ("expected ',' or '}'", "a mapping in {...} is not closed, or an item needs quotes"),
    ("found unknown escape character", "inside double quotes write a backslash as \\\\ (or use single quotes)"),
    ("while scanning a quoted scalar", "a quote is not closed"),
)


def _hint_for(problem: str, context: str) -> str | None:
    text = f"{context} {problem}"
    for needle, hint in _HINTS:
        if needle in text:
            return hint
    return None


def _events(text: str, parser: str) -> Iterator[Any]:
    if parser == "c":
        from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]

        c_parser = CParser(text)
        try:
            while c_parser.check_event():
                yield c_parser.get_event()
        finally:
            c_parser.dispose()
    else:
        from ruamel.yaml import YAML

        yield from YAML(typ="rt", pure=True).parse(text)


def _has_c_parser() -> bool:
    try:
        from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]  # noqa: F401
    except ImportError:  # pragma: no cover - ruamel.yaml.clib is a dependency
        return False
    return True


DEFAULT_PARSER = "c" if _has_c_parser() else "pure"


@dataclass
class _Frame:
    container: dict[str, Any] | list[Any]
    path: Path
    key: str | None = None
    key_span: Span | None = None


def _span(event: Any, style: str | None = None) -> Span:
    start, end = event.start_mark, event.end_mark
    return Span(start.line + 1, start.column + 1, start.index, end.index, style)


def _line_rest(text: str, index: int) -> str:
    end = text.find("\n", index)
    return text[index : (len(text) if end < 0 else end)]


def parse_yaml(data: bytes, *, parser: str | None = None, max_bytes: int = MAX_FILE_BYTES) -> ParsedYaml:
    """Read one YAML document strictly. Never raises for bad input: problems are returned.

    ``parser`` is ``"c"`` (libyaml events, the default when ruamel.yaml.clib is present)
    or ``"pure"``; after the pre-checks both give the same result (tested).
    """
    text, bom, problems = decode_yaml_bytes(data, max_bytes=max_bytes)
    newline = "\r\n" if "\r\n" in text else "\n"
    source = SourceMap()
    if problems:
        return ParsedYaml(None, source, problems, text, bom, newline)
    warnings: list[YamlProblem] = []
    try:
        value = _compose(text, parser or DEFAULT_PARSER, source, problems, warnings)
    except RecursionError:  # pragma: no cover - the composer is iterative; belt and braces
        problems.append(YamlProblem(1, 1, "file is nested too deeply", "yaml-structure"))
        value = None
    if problems:
        value = None
    elif value is None:
        problems.append(YamlProblem(1, 1, "file is empty", "yaml-structure", "a risk file is a mapping of keys"))
    return ParsedYaml(value, source, problems, text, bom, newline, warnings)


_COMMENT_GLUED = re.compile(r"[ ]+#\S")


def _compose(  # noqa: C901, PLR0912, PLR0915
    text: str, parser: str, source: SourceMap, problems: list[YamlProblem], warnings: list[YamlProblem]
) -> Any:
    from ruamel.yaml import events as ev
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    stack: list[_Frame] = []
    root: Any = None
    documents = 0

    def place(value: Any, span: Span) -> None:
        nonlocal root
        if not stack:
            root = value
            source.values[()] = span
            return
        frame = stack[-1]
        if isinstance(frame.container, list):
            path = (*frame.path, len(frame.container))
            frame.container.append(value)
            source.values[path] = span
            return
        assert frame.key is not None and frame.key_span is not None
        path = (*frame.path, frame.key)
        frame.container[frame.key] = value
        source.values[path] = span
        source.keys[path] = frame.key_span
        frame.key = None
        frame.key_span = None

    def expecting_key() -> bool:
        return bool(stack) and isinstance(stack[-1].container, dict) and stack[-1].key is None

    def child_path() -> Path:
        frame = stack[-1]
        if isinstance(frame.container, list):
            return (*frame.path, len(frame.container))
        assert frame.key is not None
        return (*frame.path, frame.key)

    try:
        for event in _events(text, parser):
            if isinstance(event, ev.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    span = _span(event)
                    problems.append(
                        YamlProblem(
                            span.line,
                            span.col,
                            "more than one YAML document in the file",
                            "yaml-structure",
                            "a file holds one document: remove the '---' line or split the file",
                        )
                    )
                    return None
                continue
            if isinstance(event, ev.AliasEvent):
                span = _span(event)
                problems.append(
                    YamlProblem(
                        span.line,
                        span.col,
                        f"alias *{event.anchor} is not allowed",
                        "yaml-structure",
                        "write the value out in full",
                    )
                )
                return None
            if isinstance(event, (ev.ScalarEvent, ev.MappingStartEvent, ev.SequenceStartEvent)):
                span = _span(event, getattr(event, "style", None) or None)
                if event.anchor is not None:
                    problems.append(
                        YamlProblem(
                            span.line,
                            span.col,
                            f"anchor &{event.anchor} is not allowed",
                            "yaml-structure",
                            "write the value out in full",
                        )
                    )
                    return None
                tag = event.tag
                if tag is not None and not (isinstance(event, ev.ScalarEvent) and tag == "!" and span.style):
                    problems.append(
                        YamlProblem(
                            span.line,
                            span.col,
                            f"tag {tag} is not allowed",
                            "yaml-structure",
                            "delete the tag; put text in quotes instead",
                        )
                    )
                    return None
            if isinstance(event, ev.ScalarEvent):
                style = event.style or None
                if expecting_key():
                    key = event.value
                    frame = stack[-1]
                    assert isinstance(frame.container, dict)
                    if style is None and key == "<<":
                        problems.append(
                            YamlProblem(
                                span.line,
                                span.col,
                                "merge keys (<<) are not allowed",
                                "yaml-structure",
                                "write the keys out in full",
                            )
                        )
                        return None
                    if key in frame.container:
                        first = source.keys[(*frame.path, key)]
                        problems.append(
                            YamlProblem(
                                span.line,
                                span.col,
                                f"duplicate key {key!r} (first at line {first.line})",
                                "yaml-duplicate-key",
                                f"keep one of lines {first.line} and {span.line}",
                            )
                        )
                        return None
                    frame.key = key
                    frame.key_span = span
                    continue
                if style is None:
                    try:
                        value = resolve_plain(event.value)
                    except _ScalarError as exc:
                        problems.append(YamlProblem(span.line, span.col, str(exc), "yaml-value", exc.hint))
                        continue
                    if value is None and "#" in _line_rest(text, span.end):
                        # `title: #1 priority`: everything after ' #' was a comment.
                        place(value, Span(span.line, span.col, span.start, span.end, "empty-before-comment"))
                        continue
                    if isinstance(value, str) and _COMMENT_GLUED.match(text, span.end):
                        # `- Annual penetration testing #2 supplier` silently loses "#2 supplier".
                        warnings.append(
                            YamlProblem(
                                span.line,
                                span.col,
                                f"text after ' #' is a comment and is not part of the value {value!r}",
                                "yaml-comment-in-value",
                                "put the whole value in double quotes if '#' belongs to it",
                            )
                        )
                else:
                    value = event.value
                    bad = next(
                        (c for c in value if 0xD800 <= ord(c) <= 0xDFFF or (_BAD_CHARS.match(c) and c not in "\t\n\r")),
                        None,
                    )
                    if bad is not None:
                        problems.append(
                            YamlProblem(
                                span.line,
                                span.col,
                                f"escaped invisible or control character: {_describe_char(bad)}",
                                "yaml-character",
                                "delete the escape sequence",
                            )
                        )
                        continue
                place(value, span)
                continue
            if isinstance(event, (ev.MappingStartEvent, ev.SequenceStartEvent)):
                if expecting_key():
                    problems.append(
                        YamlProblem(
                            span.line,
                            span.col,
                            "a key must be plain text, not a list or mapping",
                            "yaml-structure",
                            "a '?' or a '[' at the start of a key makes it complex",
                        )
                    )
                    return None
                if len(stack) >= MAX_DEPTH:
                    problems.append(
                        YamlProblem(span.line, span.col, f"nested more than {MAX_DEPTH} levels deep", "yaml-structure")
                    )
                    return None
                container: dict[str, Any] | list[Any] = {} if isinstance(event, ev.MappingStartEvent) else []
                path: Path = child_path() if stack else ()
                place(container, span)
                stack.append(_Frame(container, path))
                continue
            if isinstance(event, (ev.MappingEndEvent, ev.SequenceEndEvent)):
                stack.pop()
                continue
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = exc.problem or "YAML syntax error"
        context = exc.context or ""
        message = f"{context}: {problem}" if context else problem
        problems.append(YamlProblem(line, col, message, "yaml-syntax", _hint_for(problem, context)))
        return None
    except YAMLError as exc:  # ReaderError and friends: a character offset, no line
        position = getattr(exc, "position", None)
        line, col = _line_col(text, position) if isinstance(position, int) else (1, 1)
        problems.append(YamlProblem(line, col, f"cannot read the file: {exc}", "yaml-syntax"))
        return None
    except (ValueError, OverflowError, UnicodeError) as exc:
        problems.append(YamlProblem(1, 1, f"cannot read the file: {exc}", "yaml-syntax"))
        return None
    return root
