"""The fast paths of :mod:`bafctl.yamlio` decide exactly as the general code they skip.

``parse_yaml`` takes shortcuts for the usual file (issue 7): a quick test before the
character pre-checks, plain keys and values composed without the general event handler,
a first-character test before the number and date rules. Each shortcut is only taken
when the general code could not have decided otherwise; these tests hold that promise.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bafctl import yamlio
from bafctl.yamlio import (
    _BAD_CHAR,
    _BAD_CHARS,
    _BOOLS,
    _DATE,
    _FLOAT,
    _INT,
    _NBSP_SYNTAX,
    _NULLS,
    _NUMBER_START,
    _SPECIAL_FLOAT,
    ParsedYaml,
    SourceMap,
    Span,
    _Composer,
    _PathCache,
    _surely_clean,
    escape_problem,
    parse_yaml,
    resolve_plain,
)

PARSERS = ["c", "pure"] if yamlio.DEFAULT_PARSER == "c" else ["pure"]
CORPUS = Path(__file__).resolve().parent / "corpus"

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


# ---------------------------------------------------------------------------
# Composition: the hot loop decides as feed() alone does
# ---------------------------------------------------------------------------


def _canonical(value: Any) -> Any:
    """``value`` with every type spelled out (True is not 1, 1.0 is not 1), order kept."""
    if isinstance(value, dict):
        return ("dict", [(_canonical(k), _canonical(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_canonical(v) for v in value])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, value)


def _result(parsed: ParsedYaml) -> Any:
    return (
        _canonical(parsed.value),
        _canonical(parsed.partial),
        [(path, tuple(span), type(span)) for path, span in parsed.source.values.items()],
        [(path, tuple(span), type(span)) for path, span in parsed.source.keys.items()],
        parsed.problems,
        parsed.warnings,
    )


def _feed_every_event(self: _Composer, next_event: Callable[[], Any]) -> None:
    while (event := next_event()) is not None:
        self.feed(event)
        if self.stopped:
            return


def _both_ways(data: bytes, parser: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    yield _result(parse_yaml(data, parser=parser))
    with monkeypatch.context() as patch:
        patch.setattr(_Composer, "compose", _feed_every_event)
        yield _result(parse_yaml(data, parser=parser))


CORPUS_FILES = sorted(CORPUS.rglob("*.yaml"))


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("file", CORPUS_FILES, ids=[f.name for f in CORPUS_FILES])
def test_composing_the_corpus_matches_feeding_every_event(
    file: Path, parser: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, general = _both_ways(file.read_bytes(), parser, monkeypatch)
    assert fast == general


YAML_PIECES = st.sampled_from(
    ["a", "b", "id", ": ", ":", "- ", "  ", "\n", "#", " #x", "'", '"', "\\n", "&x ", "*x", "!t ", "<<", "? ",
     "[", "]", "{", "}", ", ", "|", ">", "0", "010", "1.5", "1e3", ".inf", "2026-01-15", "2026-02-30", "~",
     "null", "true", "No", "\u00e9", "---\n"]
)  # fmt: skip


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(st.lists(YAML_PIECES, max_size=40).map("".join))
def test_composing_yaml_like_text_matches_feeding_every_event(text: str) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        for parser in PARSERS:
            fast, general = _both_ways(text.encode(), parser, monkeypatch)
            assert fast == general


def test_paths_are_shared_between_files_and_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"a:\n  b: [1, 2]\nc: 3\n"
    first, second = parse_yaml(data).source, parse_yaml(data).source
    assert all(p is q for p, q in zip(first.values, second.values, strict=True))
    monkeypatch.setattr(yamlio, "_PATHS", _PathCache(limit=2))
    bounded = parse_yaml(data)
    assert list(bounded.source.values) == [(), ("a",), ("a", "b"), ("a", "b", 0), ("a", "b", 1), ("c",)]
    assert _result(bounded) == _result(parse_yaml(data))
    assert yamlio._PATHS._room == 0


# ---------------------------------------------------------------------------
# Scalars: the first-character test and the backslash test
# ---------------------------------------------------------------------------


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet=st.sampled_from(list("+-.0123456789eE_:xoTtrueFfalsNnI~ a\u00e9\uff11")), max_size=12))
def test_only_a_number_start_can_be_a_number_or_a_date(text: str) -> None:
    if text[:1] in _NUMBER_START:
        return
    assert not any(p.fullmatch(text) for p in (_INT, _FLOAT, _SPECIAL_FLOAT, _DATE))
    expected = None if text in _NULLS else _BOOLS.get(text, text)
    assert _canonical(resolve_plain(text)) == _canonical(expected)


@pytest.mark.parametrize(
    ("written", "value"),
    [("12", 12), ("-0.5", -0.5), ("+1e3", 1000.0), ("2026-01-15", dt.date(2026, 1, 15)), ("1.2.3", "1.2.3")],
)
def test_numbers_and_dates_still_take_the_full_rules(written: str, value: Any) -> None:
    assert _canonical(resolve_plain(written)) == _canonical(value)


@pytest.mark.parametrize("year", [0, 1, 1900, 2000, 2024, 2100, 9999])
def test_a_date_is_read_as_date_of_its_three_parts_would(year: int) -> None:
    for month, day in itertools.product(range(100), range(100)):
        written = f"{year:04d}-{month:02d}-{day:02d}"
        try:
            expected: Any = dt.date(year, month, day)
        except ValueError:
            expected = "not a real date"
        try:
            got = resolve_plain(written)
        except ValueError as exc:
            got = "not a real date" if str(exc) == f"{written} is not a real date" else exc
        assert got == expected, written


def test_unsigned_integers_keep_the_integer_rules() -> None:
    assert _canonical([resolve_plain(w) for w in ("0", "7", "25", "+25", "-0")]) == _canonical([0, 7, 25, 25, 0])
    for written, message in [("007", "leading zero"), ("1" * 19, "19 digits"), ("-01", "leading zero")]:
        with pytest.raises(ValueError, match=message):
            resolve_plain(written)
    assert resolve_plain("\u00b2") == "\u00b2"  # a digit to str.isdigit, text to YAML
    assert resolve_plain("\uff11\uff12") == "\uff11\uff12"


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(
    st.lists(
        st.sampled_from(["k: ", '"', "\\", "n", "x41", '\\"', "! ", "&a ", "\n", "  ", "- ", "a"]), max_size=16
    ).map("".join)
)
def test_a_double_quoted_scalar_without_backslash_has_no_escape_problem(text: str) -> None:
    from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]

    parser = CParser(text)
    try:
        while (event := parser.get_event()) is not None:
            if getattr(event, "style", None) == '"':
                start, end = event.start_mark.index, event.end_mark.index
                if text.find("\\", start, end) < 0:
                    assert escape_problem(text, start) is None
    except Exception:  # noqa: BLE001 - a parser error ends the events; the scalars before it count
        pass
    finally:
        parser.dispose()


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize(
    ("data", "col"),
    [(b'k: "\\q"\n', 5), (b'k: "ab\\q"\n', 7), (b'"\\q": 1\n', 2), (b'k: ["\\q"]\n', 6), (b'k: "\\x07"\n', 5)],
)
def test_an_escape_next_to_either_quote_is_found(data: bytes, col: int, parser: str) -> None:
    problems = parse_yaml(data, parser=parser).problems
    assert [(p.line, p.col, p.rule) for p in problems] == [(1, col, "yaml-escape")]
