"""Escaping for every output format (reliability.md section E, R17-R21).

Register text comes from people and from Word: nothing in it may act as markup, a
formula or a terminal control sequence in what bafctl writes.
"""

from __future__ import annotations

import html
import re

# C0/C1 controls (not TAB/LF), DEL, bidi and zero-width controls, separators.
_TERMINAL_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def terminal(text: str) -> str:
    """Text safe to print on a terminal or CI log: control and bidi characters removed."""
    return _TERMINAL_UNSAFE.sub("\ufffd", text)


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
