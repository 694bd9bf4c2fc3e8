"""Stable JSON for every command's `--format json` (docs/reliability.md R21)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from enum import Enum
from typing import Any

# A lone surrogate cannot be written as UTF-8: os.fsdecode makes one of each byte of a
# file name that is not UTF-8. It can only be inside a string of the JSON text.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _surrogate_text(match: re.Match[str]) -> str:
    # As bafctl.escaping.display_path shows it (``\xff``), the backslash escaped for JSON.
    code = ord(match.group())
    return f"\\\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else "\ufffd"


def _valid_utf8(text: str) -> str:
    return _SURROGATE.sub(_surrogate_text, text)


def dump_json(data: Any) -> str:
    """Sorted keys, UTF-8 text, two-space indent, and never NaN or Infinity.

    The text is always valid UTF-8: a byte of a file name that is not UTF-8 is written
    as the four characters ``\\xNN`` (as every other format shows it).
    """
    return _valid_utf8(
        json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2, allow_nan=False, default=_default)
    )


def dump_json_chunks(data: Any, size: int = 1 << 16) -> Iterator[str]:
    """:func:`dump_json` in pieces of about ``size`` characters, joined exactly equal to it.

    An export of thousands of risks is tens of megabytes of JSON: written in pieces it is
    never a whole string in memory. (With an indent, ``json.dumps`` runs this same encoder.)
    """
    encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=True, indent=2, allow_nan=False, default=_default)
    pending: list[str] = []
    length = 0
    for token in encoder.iterencode(data):
        pending.append(token)
        length += len(token)
        if length >= size:
            yield _valid_utf8("".join(pending))
            pending, length = [], 0
    if pending:
        yield _valid_utf8("".join(pending))


def _default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot serialise {type(value).__name__}")
