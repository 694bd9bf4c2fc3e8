"""Strict YAML reading: bytes in, plain values with a position for every node out.

This is the only module that imports ruamel.yaml. Every command reads YAML through
:func:`parse_yaml` (via :mod:`bafctl.loader`), whether the bytes come from the working
tree or from a git blob, so ``check``, ``rescore``, ``diff`` and the exports can never
disagree about a file (docs/reliability.md R1).

How it works, and why:

1. Raw-text pre-checks (size cap, UTF-8, character hygiene, tabs, directives, flow
   nesting) run first. They reject every input on which libyaml and ruamel's pure
   parser are known to disagree (tabs, ``%YAML 1.1``) or on which libyaml crashes
   (deep nesting), so the fast C event parser is safe to use (docs/reliability.md R2-R5).
2. The parser's *events* are composed into plain ``dict``/``list``/scalar values by an
   iterative composer (no recursion, so no RecursionError), which rejects anchors,
   aliases, merge keys, tags, duplicate keys, complex keys and deep nesting, and records
   the position of every key and value in a :class:`SourceMap`. Parsing is the bulk of
   ``bafctl check``, so the usual events take a fast path through one loop,
   and the pre-checks and scalar rules a quick test first; each shortcut is held to the
   general code it skips by ``tests/test_yamlio_fast_paths.py``.
3. Plain scalars are resolved by a strict YAML 1.2 core schema: ``NO``/``yes``/``on``
   stay text, ``010`` and 19-digit numbers are errors, ``2026-02-30`` is an error at its
   position, ``15.1.2026`` stays text (the schema then says "write 2026-01-15").
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

#: Default cap on one file's size (docs/reliability.md R2); a BAF entry is 5-10 KiB.
MAX_FILE_BYTES = 128 * 1024
#: Deepest nesting of mappings and sequences accepted (a risk file needs 5).
MAX_DEPTH = 10
#: Integer literals longer than this are refused (Python refuses > 4300 digits anyway).
MAX_INT_DIGITS = 18
#: At most this many character-hygiene problems are reported per file.
MAX_CHAR_PROBLEMS = 20

Path = tuple[str | int, ...]


class Span(NamedTuple):  # noqa: PLW1641 - tuple's __hash__, see the end of the class
    """Where a node is in the text: 1-based line/column and 0-based character offsets.

    A named tuple rather than a dataclass: a risk has some 500 spans, and a
    tuple is built in 0.13 us rather than 0.6 us, takes 80 bytes rather than 120 and
    unpickles faster. Equality stays a dataclass's: a span never equals a plain tuple.
    """

    line: int
    col: int
    start: int
    end: int
    style: str | None = None
    """For scalars: None when plain, else one of ``'`` ``"`` ``|`` ``>``."""

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return tuple.__eq__(self, other)
        # False, not NotImplemented, for other tuples: tuple's reflected == would compare fields.
        return False if isinstance(other, tuple) else NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    # The hash stays tuple's (NamedTuple sets __eq__ on the finished class, which keeps
    # it; mypy refuses a __hash__ line here), so it equals the dataclass's hash.


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


def value_at(value: Any, path: tuple[str | int, ...]) -> Any:
    """The value at ``path`` in a parsed document, or None when the path is not there."""
    for part in path:
        found_key = isinstance(value, dict) and isinstance(part, str) and part in value
        found_index = isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)
        if not (found_key or found_index):
            return None
        value = value[part]
    return value


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
    partial: Any = None
    """What was composed before the first problem (to name a risk by its ID in messages)."""

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
# controls, line/paragraph separators and a BOM after the start (docs/reliability.md R4).
_BAD_CHAR_CLASS = (
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb\ufffe\uffff]"
)
_BAD_CHAR = re.compile(_BAD_CHAR_CLASS)
_BAD_CHARS = re.compile(_BAD_CHAR_CLASS + "|\r(?!\n)|\t")
# Printable ASCII and a line feed: bytes that no pre-check reports.
_CLEAN_ASCII = bytes(range(0x20, 0x7F)) + b"\n"
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


def _surely_clean(text: str) -> bool:
    """True when ``text`` holds nothing :func:`_check_characters` reports.

    A quick test for the usual file: the two regular expressions below cost 0.21 ms on
    a 7.6 KB risk, this 3 us (ASCII with LF line ends) or 25 us (any other text). Every
    character they report (tab, lone CR, controls, format characters, separators,
    non-breaking space) is unprintable to ``str.isprintable``; line ends, the only
    other unprintable characters allowed, are removed before asking.
    """
    if text.isascii() and not text.encode("ascii").translate(None, _CLEAN_ASCII):
        return True
    return (text.replace("\r\n", "") if "\r" in text else text).replace("\n", "").isprintable()


def _check_characters(text: str) -> list[YamlProblem]:
    problems: list[YamlProblem] = []
    if _surely_clean(text):
        return problems
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

    libyaml segfaults on some 25 000 nested ``[`` (docs/reliability.md 2.2), so this runs
    before any parser. Quoted strings and comments are skipped; brackets in plain
    text can only over-count, which errs on the side of refusing.
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None  # exact: fewer openers than the limit cannot nest past it
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


def _size(count: int) -> str:
    return f"{count // 1024} KiB" if count % 1024 == 0 else f"{count} bytes"


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
                    f"file is over the {_size(max_bytes)} size limit",
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
    # `"%" in text` first: a memchr, where the regular expression takes 38 us a risk.
    for match in _DIRECTIVE.finditer(text) if "%" in text else ():
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
#: Every number and date starts with one of these; any other plain scalar is a null, a
#: boolean or text, told apart by one lookup in _PLAIN_WORDS when it is short enough.
_NUMBER_START = frozenset("+-.0123456789")
_PLAIN_WORDS: dict[str, Any] = {**dict.fromkeys(_NULLS), **_BOOLS}
_LONGEST_WORD = max(map(len, _PLAIN_WORDS))


class _ScalarError(ValueError):
    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def resolve_plain(text: str) -> Any:
    """The value of a plain (unquoted) scalar under bafctl's strict YAML 1.2 rules."""
    if text[:1] not in _NUMBER_START:
        # Four plain scalars in five of a risk file: no pattern below can match, and
        # only a short one can be a null or a boolean (a long one is not even hashed).
        return _PLAIN_WORDS.get(text, text) if len(text) <= _LONGEST_WORD else text
    # An unsigned integer (the commonest number) is told without the pattern; ASCII
    # because str.isdigit also takes other scripts' digits.
    if (text.isdigit() and text.isascii()) or _INT.fullmatch(text):
        digits = text.lstrip("+-")
        if len(digits) > MAX_INT_DIGITS:
            raise _ScalarError(f"number has {len(digits)} digits", "quote it if it is an ID")
        if len(digits) > 1 and digits.startswith("0"):
            raise _ScalarError(
                f"number {text} has a leading zero",
                f'quote it if it is an ID ("{text}"), else write {int(text)}',
            )
        return int(text)
    # Dates before floats, which no date matches. For text the pattern has matched,
    # fromisoformat decides as date() of the three parts would, in 0.3 us rather than 0.7.
    if _DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise _ScalarError(f"{text} is not a real date", "check the day and month") from None
    if _FLOAT.fullmatch(text):
        return float(text)
    if _SPECIAL_FLOAT.fullmatch(text):
        # YAML's infinity and not-a-number: no register value is one, and JSON cannot carry them.
        raise _ScalarError(f"{text} is YAML's infinity or not-a-number", "write a number, or put text in quotes")
    return text


# ---------------------------------------------------------------------------
# Escapes in double-quoted scalars
# ---------------------------------------------------------------------------

_ESCAPE_NAMES = {
    "0": "a NUL character",
    "a": "a bell character",
    "b": "a backspace",
    "t": "a tab",
    "n": "a line break",
    "v": "a vertical tab",
    "f": "a form feed",
    "r": "a carriage return",
    "e": "an escape character",
    "N": "a next-line character",
    "_": "a non-breaking space",
    "L": "a line separator",
    "P": "a paragraph separator",
}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
ESCAPE_HINT = (
    "inside double quotes write a backslash as \\\\, or use single quotes, which keep backslashes "
    "as typed ('C:\\new folder'); for several lines use a | block"
)


def escape_problem(text: str, quote: int) -> tuple[int, str] | None:
    """The first escape bafctl refuses in the double-quoted scalar opening at ``text[quote]``.

    In double quotes ``"C:\\new folder"`` is C, a colon, a line break and "ew folder": a
    pasted Windows path silently changes (docs/reliability.md 2.1). Only ``\\\\``, ``\\"``,
    ``\\/``, an escaped space, a line continuation and escapes of printable characters
    are accepted. Returns the backslash's index and a message, or None.
    """
    i = quote + 1
    length = len(text)
    while i < length:
        ch = text[i]
        if ch == '"':
            return None
        if ch != "\\":
            i += 1
            continue
        code = text[i + 1] if i + 1 < length else ""
        if code and code in '"\\/ \n\r':
            i += 2
            continue
        if code in _ESCAPE_NAMES:
            return i, f"`\\{code}` inside double quotes is {_ESCAPE_NAMES[code]}, not a backslash and {code!r}"
        width = _HEX_ESCAPES.get(code)
        if width is None:
            shown = code if code.isprintable() and code.strip() else _describe_char(code) if code else "nothing"
            return i, f"`\\{shown}` is not a valid escape inside double quotes"
        digits = text[i + 2 : i + 2 + width]
        if len(digits) != width or not set(digits) <= _HEX_DIGITS:
            return i, f"`\\{code}` inside double quotes must be followed by {width} hex digits"
        point = int(digits, 16)
        if point > 0x10FFFF or 0xD800 <= point <= 0xDFFF:
            return i, f"`\\{code}{digits}` inside double quotes is not a Unicode character"
        char = chr(point)
        if char in "\t\n\r" or _BAD_CHARS.match(char):
            return i, f"`\\{code}{digits}` inside double quotes makes an invisible character: {_describe_char(char)}"
        i += 2 + width
    return None


# ---------------------------------------------------------------------------
# Composition from parser events
# ---------------------------------------------------------------------------

#: Hints for the parsers' own messages, matched on their words. libyaml and ruamel's
#: pure parser word the same mistake differently; both are listed.
_HINTS = (
    ("cannot start any token", "a value cannot start with @ or `: put it in double quotes"),
    ("found undefined alias", "aliases (*name) are not allowed: write the value out"),
    ("expected ',' or ']'", "a list in [...] is not closed, or an item needs quotes"),
    ("expected ',' or '}'", "a mapping in {...} is not closed, or an item needs quotes"),
    ("did not find expected ',' or ']'", "a list in [...] is not closed, or an item needs quotes"),
    ("did not find expected ',' or '}'", "a mapping in {...} is not closed, or an item needs quotes"),
    ("quoted scalar", "a quote is not closed: check each value has its closing quote"),
    ("block scalar", "a | or > block needs its text indented under the key"),
)


def _hint_for(problem: str, context: str) -> str | None:
    text = f"{context} {problem}"
    for needle, hint in _HINTS:
        if needle in text:
            return hint
    return None


def _event_reader(text: str, parser: str) -> tuple[Callable[[], Any], Callable[[], None]]:
    """A function giving the parser's next event (None after the last), and one freeing the parser."""
    if parser == "c":
        from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]

        c_parser = CParser(text)
        # get_event alone (None after the last event), not check_event then get_event
        # through a generator: one call an event instead of two.
        return c_parser.get_event, c_parser.dispose
    from ruamel.yaml import YAML

    events = YAML(typ="rt", pure=True).parse(text)
    return functools.partial(next, events, None), events.close


def _has_c_parser() -> bool:
    # Asked of the import system, not by importing: ruamel.yaml is slow to import, and a
    # warm `bafctl check` parses nothing (its results come from the cache).
    import importlib.util

    return importlib.util.find_spec("_ruamel_yaml") is not None


DEFAULT_PARSER = "c" if _has_c_parser() else "pure"
#: Composition stops after this many problems in one file (an alias bomb has hundreds).
MAX_PROBLEMS = 50


@dataclass(slots=True)
class _Frame:
    """A mapping or list being composed, at ``path``.

    ``container`` is a dict when ``mapping`` is true, else a list (typed Any so the hot
    loop of :meth:`_Composer.compose` needs no casts). ``key``, the key waiting for its
    value, is None between entries; ``key_span`` and ``key_path`` only mean something
    while it is set.
    """

    container: Any
    path: Path
    mapping: bool
    children: dict[str | int, Path]
    """The shared child paths of ``path`` (see :class:`_PathCache`)."""
    key: str | None = None
    key_span: Span | None = None
    key_path: Path = ()


class _PathCache:
    """Paths built once and shared by every parse in the process: ``(*parent, part)``.

    A register's files repeat the same few hundred paths (426 in the 5,000 generated
    BAF risks), so each node's path is a dictionary lookup instead of a new tuple: a
    risk's source map keeps 72 KiB instead of 97 (no path tuples and key strings of
    its own) and composing it is 0.03 ms quicker. At most ``limit`` paths are kept, so
    odd files cannot grow the cache without end; past it, paths are built each time.
    """

    def __init__(self, limit: int) -> None:
        self._children: dict[Path, dict[str | int, Path]] = {}
        self._room = limit

    def children_of(self, path: Path) -> dict[str | int, Path]:
        """The known child paths of ``path``, to look a child up by its key or index."""
        children = self._children.get(path)
        if children is None:
            children = {}
            if self._room > 0:
                self._children[path] = children
        return children

    def add(self, frame: _Frame, part: str | int) -> Path:
        """The path of ``frame``'s child ``part``, not found among ``frame.children``."""
        path = (*frame.path, part)
        if self._room > 0:
            self._room -= 1
            frame.children[part] = path
        return path


_PATHS = _PathCache(limit=20_000)


def _span(event: Any, style: str | None = None) -> Span:
    start, end = event.start_mark, event.end_mark
    return Span(start.line + 1, start.column + 1, start.index, end.index, style)


def _line_rest(text: str, index: int) -> str:
    end = text.find("\n", index)
    return text[index : (len(text) if end < 0 else end)]


_COMMENT_GLUED = re.compile(r"[ ]+#\S")
_GLUED_COLON = re.compile(r"[ ]*([^\s:#'\"\[\]{},]+):(\S.*)")
_TAG = re.compile(r"![^\s,\[\]{}]*")


# Event kinds, by class: the composer dispatches on ``type(event)`` (one dict lookup per
# event rather than a chain of isinstance checks and imports).
_SCALAR, _ALIAS, _START_MAP, _START_SEQ, _END, _DOCUMENT, _OTHER = range(7)


@functools.cache
def _event_kinds() -> dict[type, int]:
    from ruamel.yaml import events as ev

    return {
        ev.ScalarEvent: _SCALAR,
        ev.AliasEvent: _ALIAS,
        ev.MappingStartEvent: _START_MAP,
        ev.SequenceStartEvent: _START_SEQ,
        ev.MappingEndEvent: _END,
        ev.SequenceEndEvent: _END,
        ev.DocumentStartEvent: _DOCUMENT,
    }


class _Composer:
    """Builds plain values from parser events, with a position for every key and value.

    Iterative (an explicit stack), so deep input cannot raise RecursionError. A refused
    node (an alias, a duplicate key's value, a complex key) is read and dropped, and
    composition goes on, so one run reports every problem in the file.
    """

    def __init__(self, text: str, source: SourceMap) -> None:
        self.text = text
        self.source = source
        self.problems: list[YamlProblem] = []
        self.warnings: list[YamlProblem] = []
        self.stack: list[_Frame] = []
        self.root: Any = None
        self.documents = 0
        self.stopped = False
        # Dropping refused nodes: how many whole nodes to drop, and how deep we are in one.
        self._drop_nodes = 0
        self._drop_depth = 0
        self._kinds = _event_kinds()
        self._paths = _PATHS

    # -- helpers -------------------------------------------------------------

    def problem(self, line: int, col: int, message: str, rule: str, hint: str | None = None) -> None:
        self.problems.append(YamlProblem(line, col, message, rule, hint))
        if len(self.problems) >= MAX_PROBLEMS:
            self.stopped = True

    def at(self, index: int, message: str, rule: str, hint: str | None = None) -> None:
        line, col = _line_col(self.text, index)
        self.problem(line, col, message, rule, hint)

    def expecting_key(self) -> bool:
        return bool(self.stack) and self.stack[-1].mapping and self.stack[-1].key is None

    def place(self, value: Any, span: Span) -> Path:
        """Put a composed node where the document is, and return its path."""
        if not self.stack:
            self.root = value
            self.source.values[()] = span
            return ()
        frame = self.stack[-1]
        if not frame.mapping:
            index = len(frame.container)
            path = frame.children.get(index) or self._paths.add(frame, index)
            frame.container.append(value)
            self.source.values[path] = span
            return path
        assert frame.key is not None and frame.key_span is not None
        path = frame.key_path
        frame.container[frame.key] = value
        self.source.values[path] = span
        self.source.keys[path] = frame.key_span
        frame.key = None
        return path

    def dropping(self, kind: int) -> bool:
        """Consume an event of ``kind`` if it belongs to a node being dropped."""
        if self._drop_depth:
            if kind in (_START_MAP, _START_SEQ):
                self._drop_depth += 1
            elif kind == _END:
                self._drop_depth -= 1
                if not self._drop_depth:
                    self._drop_nodes -= 1
            return True
        if kind in (_START_MAP, _START_SEQ):
            self._drop_depth = 1
            return True
        if kind in (_SCALAR, _ALIAS):
            self._drop_nodes -= 1
            return True
        self._drop_nodes = 0  # pragma: no cover - a mapping key always has a value node
        return False

    # -- events --------------------------------------------------------------

    def compose(self, next_event: Callable[[], Any]) -> None:  # noqa: C901, PLR0912 - one loop on purpose, see below
        """Take the parser's events until the last one, or until composition stops.

        Nine events in ten of a risk file are a plain key, a plain value, or the start
        or end of a mapping or list, without anchor or tag, while no node is being
        dropped. This loop composes those itself, with what it needs in local variables
        and no call per event (measured on 1,000 BAF risks: parse_yaml 0.86 s, against
        1.10 s with every event through :meth:`feed`). Any other event, and any
        that may have a problem, goes to :meth:`feed`, which decides every case alone.
        """
        stack = self.stack
        values = self.source.values
        keys = self.source.keys
        text = self.text
        kinds = self._kinds
        paths = self._paths
        plain_word = _PLAIN_WORDS.get
        new_tuple = tuple.__new__  # builds a Span without NamedTuple's Python-level __new__
        top: _Frame | None = None  # stack[-1], None at the top level
        dropping = False  # a refused node is being dropped (feed does that)
        while True:
            event = next_event()
            if event is None:
                return
            kind = kinds.get(event.__class__, _OTHER)
            if top is not None and not dropping:
                span: Span | None = None  # set when the node is composed here
                if kind == _SCALAR:
                    # Plain (style '' from libyaml, None from the pure parser), no anchor or tag.
                    if not event.style and event.anchor is None and event.ctag is None:
                        written = event.value
                        if top.mapping and top.key is None:
                            # A key: feed refuses an empty one, '<<' and a duplicate.
                            if written and written != "<<" and written not in top.container:
                                start = event.start_mark
                                top.key_span = new_tuple(
                                    Span, (start.line + 1, start.column + 1, start.index, event.end_mark.index, None)
                                )
                                top.key_path = top.children.get(written) or paths.add(top, written)
                                top.key = written
                                continue
                        elif written:  # feed gives an empty value its position after the colon
                            # resolve_plain's first test, inlined: most values are words.
                            if written[0] in _NUMBER_START:
                                try:
                                    node = resolve_plain(written)
                                except _ScalarError:
                                    node = None  # feed reports it
                            elif len(written) <= _LONGEST_WORD:
                                node = plain_word(written, written)
                            else:
                                node = written
                            if node is not None:  # feed looks for a comment after a null
                                start = event.start_mark
                                end = event.end_mark.index
                                span = new_tuple(Span, (start.line + 1, start.column + 1, start.index, end, None))
                                # A ' #' comment after text starts with a space: most values
                                # end at a line end, and a startswith is cheaper than a match.
                                if text.startswith(" ", end) and node.__class__ is str:
                                    self._comment_after(node, span)
                elif kind == _END:
                    stack.pop()
                    top = stack[-1] if stack else None
                    continue
                elif (
                    kind in (_START_MAP, _START_SEQ)
                    and event.anchor is None
                    and event.ctag is None
                    and not (top.mapping and top.key is None)  # feed refuses a complex key
                    and len(stack) < MAX_DEPTH
                ):
                    start = event.start_mark
                    span = new_tuple(Span, (start.line + 1, start.column + 1, start.index, event.end_mark.index, None))
                    node = {} if kind == _START_MAP else []
                if span is not None:
                    # What place() does, inline: the node goes into the open mapping or list.
                    if top.mapping:
                        path = top.key_path
                        top.container[top.key] = node
                        keys[path] = top.key_span  # type: ignore[assignment]  # set with top.key
                        top.key = None
                    else:
                        index = len(top.container)
                        path = top.children.get(index) or paths.add(top, index)
                        top.container.append(node)
                    values[path] = span
                    if kind != _SCALAR:
                        top = _Frame(node, path, kind == _START_MAP, paths.children_of(path))
                        stack.append(top)
                    continue
            self.feed(event)
            if self.stopped:
                return
            top = stack[-1] if stack else None
            dropping = bool(self._drop_nodes or self._drop_depth)

    def feed(self, event: Any) -> None:
        """Take one parser event."""
        kind = self._kinds.get(type(event), _OTHER)
        if (self._drop_nodes or self._drop_depth) and self.dropping(kind):
            return
        if kind == _SCALAR:
            span = _span(event, event.style or None)
            if event.anchor is not None or event.tag is not None:
                self._check_node_properties(event, span, scalar=True)
            if self.expecting_key():
                self._key(event, span)
            else:
                self._scalar(event, span)
        elif kind == _END:
            self.stack.pop()
        elif kind in (_START_MAP, _START_SEQ):
            span = _span(event, None)
            if event.anchor is not None or event.tag is not None:
                self._check_node_properties(event, span, scalar=False)
            self._start(kind == _START_MAP, span)
        elif kind == _ALIAS:
            span = _span(event)
            self.problem(
                span.line, span.col, f"alias *{event.anchor} is not allowed", "yaml-structure", "write the value out"
            )
            if self.expecting_key():
                self._drop_nodes = 1  # the value of an alias key
            else:
                self.place(None, span)
        elif kind == _DOCUMENT:
            self.documents += 1
            if self.documents > 1:
                span = _span(event)
                self.problem(
                    span.line,
                    span.col,
                    "more than one YAML document in the file",
                    "yaml-structure",
                    "a file holds one document: remove the '---' line or split the file",
                )
                self.stopped = True

    def _check_node_properties(self, event: Any, span: Span, *, scalar: bool) -> None:
        if event.anchor is not None:
            self.problem(
                span.line, span.col, f"anchor &{event.anchor} is not allowed", "yaml-structure", "write values out"
            )
        tag = event.tag
        # `! "text"` (the non-specific tag on a quoted scalar) means plain text: harmless.
        if tag is not None and not (scalar and tag == "!" and span.style):
            written = _TAG.match(self.text, span.start)
            self.problem(
                span.line,
                span.col,
                f"tag {written.group() if written else tag} is not allowed",
                "yaml-structure",
                "delete the tag; put text in quotes instead",
            )

    def _quoted_ok(self, span: Span, value: str) -> bool:
        """Refuse escapes and invisible characters in a quoted key or value."""
        # Without a backslash up to the closing quote, escape_problem walks to that quote
        # and finds nothing: skip its walk (a Python loop over every character).
        if span.style == '"' and self.text.find("\\", span.start, span.end) >= 0:
            found = escape_problem(self.text, span.start)
            if found is not None:
                self.at(found[0], found[1], "yaml-escape", ESCAPE_HINT)
                return False
        # Tab, LF and CR aside, _BAD_CHARS matches one character exactly when its class
        # _BAD_CHAR does: one search instead of a match per character.
        bad = _BAD_CHAR.search(value)
        if bad is not None:  # pragma: no cover - escapes are checked above, the raw text before parsing
            message = f"invisible or control character: {_describe_char(bad.group())}"
            self.problem(span.line, span.col, message, "yaml-character")
            return False
        return True

    def _key(self, event: Any, span: Span) -> None:
        frame = self.stack[-1]
        assert isinstance(frame.container, dict)
        key = event.value
        if span.style is None and not key:
            # `: value` with nothing before the colon: libyaml refuses it, the pure parser
            # reads an empty key; refuse it in both.
            self.problem(
                span.line,
                span.col,
                "a ':' with no key before it",
                "yaml-syntax",
                "write the key before the colon, or put a value containing ': ' in double quotes",
            )
            self._drop_nodes = 1
            return
        if span.style is None and key == "<<":
            self.problem(span.line, span.col, "merge keys (<<) are not allowed", "yaml-structure", "write keys out")
            self._drop_nodes = 1
            return
        if span.style is not None and not self._quoted_ok(span, key):
            self._drop_nodes = 1
            return
        path = frame.children.get(key) or self._paths.add(frame, key)
        if key in frame.container:
            first = self.source.keys[path]
            self.problem(
                span.line,
                span.col,
                f"duplicate key {key!r} (first at line {first.line})",
                "yaml-duplicate-key",
                f"keep one of lines {first.line} and {span.line}",
            )
            self._drop_nodes = 1
            return
        frame.key = key
        frame.key_span = span
        frame.key_path = path

    def _empty_value_span(self, span: Span) -> Span:
        """An empty mapping value sits just after its key's colon.

        libyaml marks it there; the pure parser at the next token, possibly lines later.
        One rule for both keeps their positions identical (docs/reliability.md R1).
        """
        key_span = self.stack[-1].key_span if self.stack else None
        if key_span is None:
            return span
        index = key_span.end
        while index < len(self.text) and self.text[index] == " ":
            index += 1
        if index >= len(self.text) or self.text[index] != ":":
            return span
        line, col = _line_col(self.text, index + 1)
        return Span(line, col, index + 1, index + 1, None)

    def _scalar(self, event: Any, span: Span) -> None:
        if span.style is None and not event.value:
            span = self._empty_value_span(span)
        if span.style is not None:
            value: Any = event.value
            if span.style == ">":
                # ruamel's pure parser marks each fold of a `>` block with U+0007 (for its
                # round trip); the raw text cannot hold one (pre-checks), so drop them all.
                value = value.replace("\x07", "")
            self.place(value if self._quoted_ok(span, value) else None, span)
            return
        try:
            value = resolve_plain(event.value)
        except _ScalarError as exc:
            hint = exc.hint
            frame = self.stack[-1] if self.stack else None
            if frame is not None and frame.mapping and frame.key == "id" and _DATE.fullmatch(event.value):
                # `id: 2018-19-01` looks like a date: an ID is text, so the fix is quotes.
                hint = f'an ID is text, not a date: quote it (id: "{event.value}")'
            self.problem(span.line, span.col, str(exc), "yaml-value", hint)
            self.place(None, span)
            return
        if value is None and "#" in _line_rest(self.text, span.end):
            # `title: #1 priority`: everything after ' #' was a comment, the value is empty.
            self.place(value, Span(span.line, span.col, span.start, span.end, "empty-before-comment"))
            return
        if isinstance(value, str):
            self._comment_after(value, span)
        self.place(value, span)

    def _comment_after(self, value: str, span: Span) -> None:
        """Warn when a plain text value is followed by a ' #' comment on its line."""
        if _COMMENT_GLUED.match(self.text, span.end):
            # `- Annual penetration testing #2 supplier` silently loses "#2 supplier".
            self.warnings.append(
                YamlProblem(
                    span.line,
                    span.col,
                    f"text after ' #' is a comment and is not part of the value {value!r}",
                    "yaml-comment-in-value",
                    "put the whole value in double quotes if '#' belongs to it",
                )
            )

    def _start(self, mapping: bool, span: Span) -> None:
        if self.expecting_key():
            self.problem(
                span.line,
                span.col,
                "a key must be plain text, not a list or mapping",
                "yaml-structure",
                "a '?' or a '[' at the start of a key makes it complex",
            )
            self._drop_nodes = 2  # this key, then its value
            self._drop_depth = 1
            return
        if len(self.stack) >= MAX_DEPTH:
            self.problem(span.line, span.col, f"nested more than {MAX_DEPTH} levels deep", "yaml-structure")
            self.stopped = True
            return
        container: dict[str, Any] | list[Any] = {} if mapping else []
        path = self.place(container, span)
        self.stack.append(_Frame(container, path, mapping, self._paths.children_of(path)))

    # -- parser errors -------------------------------------------------------

    def _syntax_message(self, problem: str, context: str, index: int) -> tuple[str, str | None]:
        """Plain words and a hint for the commonest hand-edit mistakes (docs/reliability.md 2.3, R8).

        libyaml and the pure parser word the same mistake differently ("did not find
        expected key", "expected <block end>, but found '<scalar>'"): the text at the
        error decides the message instead, so both parsers say the same thing.
        """
        words = f"{context} {problem}"
        if "simple key" in words:
            glued = _GLUED_COLON.match(_line_rest(self.text, index))
            if glued:
                key, value = glued.groups()
                return f"no space after ':' in `{key}:{value}`", f"write `{key}: {value}`"
            return (
                "expected `key: value` on this line",
                "a key needs ': ' after it (a colon then a space), or the line is mis-indented",
            )
        if any(w in words for w in ("expected key", "expected <block end>", "expected '-' indicator")):
            if self.text[:index].rstrip(" ").endswith(("'", '"')):
                return (
                    "text after a closing quote",
                    "quote the whole value, and double an apostrophe inside '...' ('')",
                )
            return (
                "this line does not line up with the lines above",
                "keys of one mapping, and the '-' of one list, start in the same column",
            )
        if "mapping values are not allowed" in words:
            # The parsers' own words lead (people search for them), the same from both.
            return "mapping values are not allowed here: a ': ' inside a value starts a new key", (
                "put the whole value in double quotes"
            )
        return (f"{context}: {problem}" if context else problem), _hint_for(problem, context)

    def parser_error(self, exc: Exception) -> None:
        """Turn an exception from the parser into one positioned problem."""
        from ruamel.yaml.error import MarkedYAMLError, YAMLError

        if isinstance(exc, MarkedYAMLError):
            problem = exc.problem or "YAML syntax error"
            context = exc.context or ""
            quote = exc.context_mark
            if quote is not None and "quoted scalar" in context and ("escape" in problem or "hex" in problem):
                # libyaml and the pure parser point at different characters of a bad
                # escape; both report the opening quote as context, so rescan from it.
                found = escape_problem(self.text, quote.index)
                if found is not None:
                    self.at(found[0], found[1], "yaml-escape", ESCAPE_HINT)
                    return
            mark = exc.problem_mark or exc.context_mark
            if "simple key" in context and exc.context_mark is not None:
                # "could not find expected ':'" is found on the line after the key: the
                # line to fix is the one the key starts on.
                mark = exc.context_mark
            # From the character index, not the mark's line: libyaml may point one line past
            # a file without a final newline; the end of the text is where the problem is.
            index = min(mark.index, len(self.text)) if mark is not None else 0
            line, col = _line_col(self.text, index)
            message, hint = self._syntax_message(problem, context, index)
            self.problem(line, col, message, "yaml-syntax", hint)
        elif isinstance(exc, YAMLError):  # ReaderError and friends: a character offset, no line
            position = getattr(exc, "position", None)
            line, col = _line_col(self.text, position) if isinstance(position, int) else (1, 1)
            self.problem(line, col, f"cannot read the file: {exc}", "yaml-syntax")
        else:
            self.problem(1, 1, f"cannot read the file: {type(exc).__name__}: {exc}", "yaml-syntax")


def parse_yaml(data: bytes, *, parser: str | None = None, max_bytes: int = MAX_FILE_BYTES) -> ParsedYaml:
    """Read one YAML document strictly. Never raises for bad input: problems are returned.

    ``parser`` is ``"c"`` (libyaml events, the default when ruamel.yaml.clib is present)
    or ``"pure"``; after the pre-checks both give the same result (tested on the corpus).
    """
    from ruamel.yaml.error import YAMLError

    text, bom, problems = decode_yaml_bytes(data, max_bytes=max_bytes)
    newline = "\r\n" if "\r" in text and "\r\n" in text else "\n"  # one memchr for LF-only text
    source = SourceMap()
    if problems:
        return ParsedYaml(None, source, problems, text, bom, newline)
    composer = _Composer(text, source)
    try:
        next_event, close = _event_reader(text, parser or DEFAULT_PARSER)
        try:
            composer.compose(next_event)
        finally:
            close()
    except (YAMLError, ValueError, OverflowError, UnicodeError, RecursionError) as exc:
        # RecursionError cannot come from the iterative composer; belt and braces for the parser.
        composer.parser_error(exc)
    else:
        # Judged once the whole text has parsed: libyaml hands over a scalar the pure
        # parser would refuse with the next token, so judging early would split them.
        root = composer.root
        if root is not None and not isinstance(root, (dict, list)):
            span = source.values[()]
            hint = "a file holds a mapping of `key: value` lines"
            composer.problem(
                span.line, span.col, "the file holds a single value, not `key: value` lines", "yaml-structure", hint
            )
    problems = composer.problems
    if not problems and composer.root is None:
        hint = "a file holds a mapping of `key: value` lines"
        problems.append(YamlProblem(1, 1, "file is empty", "yaml-structure", hint))
    value = None if problems else composer.root
    return ParsedYaml(value, source, problems, text, bom, newline, composer.warnings, composer.root)
