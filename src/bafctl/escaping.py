"""Escaping for every output format (docs/reliability.md section E, R17-R21).

Register text comes from people and from Word: nothing in it may act as markup, a
formula or a terminal control sequence in what bafctl writes.
"""

from __future__ import annotations

import html
import os
import re

# C0/C1 controls (not TAB/LF), DEL, bidi and zero-width controls, separators, and lone
# surrogates (a file name that is not UTF-8, as os.fsdecode gives it).
_TERMINAL_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff]"
)
# What a path may not show as it is: every control (TAB and LF too) and the rest above.
_PATH_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff]"
)
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# A line a CI log reads as a command: GitHub's runner takes `::command::` at the start of
# a line (after any spaces) and the older `##[command]` anywhere in it.
# (The runner splits lines at CR as well as LF.)
_COMMAND_AT_LINE_START = re.compile("(?:^|(?<=[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]))(\\s*)::")
_LEGACY_COMMAND = re.compile(r"##\[(?!\\)")
#: Put before each further line of a multi-line value shown under its item.
GUTTER = "| "
_CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def _surrogate_byte(char: str) -> str | None:
    """``\\xff`` for the lone surrogate os.fsdecode makes of the byte 0xff, else None."""
    code = ord(char)
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else None


def _terminal_char(match: re.Match[str]) -> str:
    return _surrogate_byte(match.group()) or "\ufffd"


def terminal(text: str) -> str:
    """Text safe to print on a terminal or CI log: control and bidi characters removed.

    A lone surrogate (a byte of a file name that is not UTF-8) is shown as ``\\xNN``, so
    the output is always valid UTF-8.
    """
    return _TERMINAL_UNSAFE.sub(_terminal_char, text)


def _path_char(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED_ESCAPES.get(char) or _surrogate_byte(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def display_path(path: str | os.PathLike[str]) -> str:
    """A file's path as every output shows it: one line, valid UTF-8, never a command.

    Control characters are shown as backslash escapes (``\\n``, ``\\t``, ``\\x1b``), bidi
    and zero-width controls as ``\\uNNNN``, and a byte of a name that is not UTF-8 (a lone
    surrogate from os.fsdecode) as ``\\xNN``. A relative path that would start a line
    with a space or a colon (which a CI log could read as a command) gets ``./`` before
    it. Only the display changes: the loader keeps the real path.
    """
    text = _PATH_UNSAFE.sub(_path_char, os.fspath(path))
    if text[:1] == ":" or text[:1].isspace():
        text = "./" + text
    return text


def hanging(text: str, indent: str = "") -> str:
    """Multi-line text under its item: each line after the first behind ``indent`` and a gutter.

    ``context: first line`` then ``  | second line``: no line of the text can begin an
    output line, so none can pass for a line of the report or for a CI command.
    """
    return ("\n" + indent + GUTTER).join(text.splitlines())


def log_safe(text: str) -> str:
    """Text no CI log reads a command from (GitHub's ``::error::`` and ``##[error]``).

    A line that starts with ``::`` (after its indentation) gets a backslash before the
    colons, and ``##[`` becomes ``##[\\`` (the runner's own escape): for plain-text
    outputs, where register text may be wrapped onto a line of its own.
    """
    if "::" in text:
        text = _COMMAND_AT_LINE_START.sub(r"\1\\::", text)
    if "##[" in text:
        text = _LEGACY_COMMAND.sub(r"##[\\", text)
    return text


def one_line(text: str) -> str:
    """Collapse line breaks and runs of spaces: for table cells and one-line outputs."""
    return " ".join(text.split())


def csv_cell(value: object) -> object:
    """A CSV cell that no spreadsheet will run as a formula (OWASP CSV injection).

    Numbers stay numbers; text starting with ``= + - @``, a tab or a line break (or
    their full-width forms) gets a leading apostrophe.
    """
    if isinstance(value, str) and value.startswith(_CSV_TRIGGERS):
        return "'" + value
    return value


def markdown_text(text: str) -> str:
    """Markdown text with every character that could start markup escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", terminal(text))


def markdown_cell(text: str) -> str:
    """A Markdown table cell: escaped, on one line, so it can never add a column."""
    return markdown_text(one_line(text))


def html_text(text: str) -> str:
    """Text for HTML element content or a quoted attribute value."""
    return html.escape(terminal(text), quote=True)
