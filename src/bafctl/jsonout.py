"""Stable JSON for every command's `--format json` (reliability.md R21)."""

from __future__ import annotations

import datetime as dt
import json
from enum import Enum
from typing import Any


def dump_json(data: Any) -> str:
    """Sorted keys, UTF-8 text, two-space indent, and never NaN or Infinity."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2, allow_nan=False, default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot serialise {type(value).__name__}")
