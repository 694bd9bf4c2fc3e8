"""The fast paths of :mod:`bafctl.yamlio` decide exactly as the general code they skip.

``parse_yaml`` takes shortcuts for the usual file (issue 7): a quick test before the
character pre-checks, plain keys and values composed without the general event handler,
a first-character test before the number and date rules. Each shortcut is only taken
when the general code could not have decided otherwise; these tests hold that promise.
"""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bafctl.yamlio import (
    _BAD_CHAR,
    _BAD_CHARS,
    _NBSP_SYNTAX,
    SourceMap,
    Span,
    _surely_clean,
    parse_yaml,
)

#: Every character the pre-checks report, one at a time (91 code points and NBSP).
REPORTED = [chr(code) for code in range(0x110000) if _BAD_CHAR.match(chr(code))] + ["\t", "\u00a0"]


def _reported(text: str) -> bool:
    return bool(_BAD_CHARS.search(text) or _NBSP_SYNTAX.search(text) or "\u00a0" in text)


@pytest.mark.parametrize("context", ["ascii {} text\n", "caf\u00e9 {} text\r\n"])
def test_no_reported_character_passes_the_quick_test(context: str) -> None:
    passed = [f"U+{ord(ch):04X}" for ch in REPORTED if _surely_clean(context.format(ch))]
    assert passed == []


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("a: 1\nb: 2\n", True),
        ("a: 1\r\nb: 2\r\n", True),
        ("a: caf\u00e9\r\nb: \u2014\n", True),
        ("a: 1\rb: 2\n", False),
        ("a: 1\r\r\nb: 2\n", False),
        ("a: caf\u00e9\rb\n", False),
        ("a:\t1\n", False),
    ],
)
def test_line_ends_are_judged_like_the_pre_check(text: str, clean: bool) -> None:
    assert _surely_clean(text) is clean
    assert _reported(text) is not clean


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(
    st.text(alphabet=st.sampled_from(["a", " ", ":", "\n", "\r", "\t", "\u00e9", "\u00a0", "\u200b", "\x85", "\x7f"]))
)
def test_the_quick_test_never_passes_a_reported_text(text: str) -> None:
    if _surely_clean(text):
        assert not _reported(text)


def test_span_keeps_the_dataclass_semantics() -> None:
    span = Span(3, 5, 20, 27, '"')
    assert (span.line, span.col, span.start, span.end, span.style) == (3, 5, 20, 27, '"')
    assert Span(1, 1, 0, 2) == Span(1, 1, 0, 2, None)
    assert span != Span(3, 5, 20, 27, None)
    same_fields: object = (3, 5, 20, 27, '"')
    assert span != same_fields
    assert not span == same_fields  # noqa: SIM201 - == itself is under test
    assert hash(span) == hash((3, 5, 20, 27, '"'))
    assert repr(span) == "Span(line=3, col=5, start=20, end=27, style='\"')"
    with pytest.raises(AttributeError):
        span.line = 4  # type: ignore[misc]
    restored = pickle.loads(pickle.dumps(span))
    assert restored == span and type(restored) is Span


def test_source_maps_pickle_and_compare() -> None:
    parsed = parse_yaml(b"id: BAF01\ncauses:\n  - id: C1\n    text: 'a cause'\n")
    restored = pickle.loads(pickle.dumps(parsed.source))
    assert isinstance(restored, SourceMap)
    assert restored == parsed.source
    assert restored.values[("causes", 0, "text")] == Span(4, 11, 39, 48, "'")
