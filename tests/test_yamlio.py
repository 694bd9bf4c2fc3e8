"""The strict YAML reader: scalar rules, positions, pre-checks and escapes (docs/reliability.md R2-R6)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bafctl import yamlio
from bafctl.yamlio import MAX_PROBLEMS, Span, escape_problem, parse_yaml, resolve_plain

PARSERS = ["c", "pure"] if yamlio.DEFAULT_PARSER == "c" else ["pure"]


# ---------------------------------------------------------------------------
# Plain scalars: nothing silently becomes something else (docs/reliability.md 2.1)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("NO", "NO"),  # PyYAML: False
        ("no", "no"),
        ("on", "on"),  # PyYAML: True
        ("yes", "yes"),
        ("Off", "Off"),
        ("12:30", "12:30"),  # YAML 1.1: 750
        ("1:30:00", "1:30:00"),  # YAML 1.1: 5400
        ("1_000", "1_000"),  # ruamel: 1000 even in 1.2 mode
        ("0x1F", "0x1F"),
        ("0o17", "0o17"),
        ("\uff13", "\uff13"),  # full-width 3: text (int() would accept it)
        ("15.1.2026", "15.1.2026"),
        ("15/01/2026", "15/01/2026"),
        ("2026-1-5", "2026-1-5"),
        ("2026-01-15T10:00:00", "2026-01-15T10:00:00"),
        ("true", True),
        ("False", False),
        ("", None),
        ("~", None),
        ("null", None),
        ("0", 0),
        ("3", 3),
        ("+3", 3),
        ("-12", -12),
        ("1.10", 1.1),  # the schema refuses a number where text is expected
        ("1e3", 1000.0),
        ("2026-01-15", dt.date(2026, 1, 15)),
        ("2024-02-29", dt.date(2024, 2, 29)),
        ("9" * 18, int("9" * 18)),
    ],
)
def test_plain_scalars_resolve_strictly(written: str, value: Any) -> None:
    resolved = resolve_plain(written)
    assert (type(resolved), resolved) == (type(value), value)


@pytest.mark.parametrize(
    ("written", "message", "hint"),
    [
        ("010", "number 010 has a leading zero", 'quote it if it is an ID ("010"), else write 10'),
        ("0012", "number 0012 has a leading zero", 'quote it if it is an ID ("0012"), else write 12'),
        ("08", "number 08 has a leading zero", 'quote it if it is an ID ("08"), else write 8'),
        ("-007", "number -007 has a leading zero", 'quote it if it is an ID ("-007"), else write -7'),
        ("1" * 19, "number has 19 digits", "quote it if it is an ID"),
        ("7" * 5000, "number has 5000 digits", "quote it if it is an ID"),
        ("2026-02-30", "2026-02-30 is not a real date", "check the day and month"),
        ("2025-02-29", "2025-02-29 is not a real date", "check the day and month"),
        ("2026-13-01", "2026-13-01 is not a real date", "check the day and month"),
        (".inf", ".inf is YAML's infinity or not-a-number", "write a number, or put text in quotes"),
        ("-.Inf", "-.Inf is YAML's infinity or not-a-number", "write a number, or put text in quotes"),
        (".NaN", ".NaN is YAML's infinity or not-a-number", "write a number, or put text in quotes"),
    ],
)
def test_plain_scalars_that_are_refused(written: str, message: str, hint: str) -> None:
    with pytest.raises(ValueError) as caught:
        resolve_plain(written)
    assert (str(caught.value), getattr(caught.value, "hint", None)) == (message, hint)


def test_float_overflow_is_a_float_not_a_crash() -> None:
    # 1.0e400 overflows to infinity; no field takes a float, so the schema refuses it.
    assert math.isinf(resolve_plain("1.0e400"))


# ---------------------------------------------------------------------------
# Positions
# ---------------------------------------------------------------------------

DOC = 'id: BAF01\ntitle: "Quoted title"\nnotes: |\n  Line one\nitems:\n  - a\n  - 3\nempty:\nflow: {x: 1, y: [2, 3]}\n'


@pytest.mark.parametrize("parser", PARSERS)
def test_every_key_and_value_has_a_span(parser: str) -> None:
    parsed = parse_yaml(DOC.encode(), parser=parser)
    assert parsed.ok and parsed.problems == [] and parsed.warnings == []
    assert parsed.value == {
        "id": "BAF01",
        "title": "Quoted title",
        "notes": "Line one\n",
        "items": ["a", 3],
        "empty": None,
        "flow": {"x": 1, "y": [2, 3]},
    }
    values, keys = parsed.source.values, parsed.source.keys
    assert values[("id",)] == Span(1, 5, 4, 9, None)
    assert keys[("id",)] == Span(1, 1, 0, 2, None)
    assert values[("title",)] == Span(2, 8, 17, 31, '"')
    assert DOC[17:31] == '"Quoted title"'
    assert values[("notes",)].style == "|"
    assert (values[("items", 1)].line, values[("items", 1)].col) == (7, 5)
    # An empty value sits just after its key's colon, whichever parser read it.
    assert values[("empty",)] == Span(8, 7, 77, 77, None)
    assert (values[("flow", "y", 1)].line, values[("flow", "y", 1)].col) == (9, 21)
    assert parsed.source.locate(("flow", "y", 1)) == (9, 21)
    assert parsed.source.locate(("flow", "missing")) == (9, 7)  # the enclosing mapping
    assert parsed.source.locate(("items",), key=True) == (5, 1)
    assert parsed.source.locate(("nowhere", 3)) == (1, 1)


@pytest.mark.parametrize("parser", PARSERS)
def test_bom_and_crlf_are_remembered(parser: str) -> None:
    parsed = parse_yaml(b"\xef\xbb\xbfid: BAF01\r\ntitle: x\r\n", parser=parser)
    assert parsed.ok
    assert (parsed.bom, parsed.newline, parsed.text) == (True, "\r\n", "id: BAF01\r\ntitle: x\r\n")
    # Columns count from after the BOM, as editors show them.
    assert parsed.source.locate(("title",)) == (2, 8)


def test_partial_value_names_a_broken_file() -> None:
    parsed = parse_yaml(b"id: BAF07\ntitle: 010\n")
    assert not parsed.ok and parsed.value is None
    assert parsed.partial == {"id": "BAF07", "title": None}


# ---------------------------------------------------------------------------
# Pre-checks: size, encoding, characters, directives, depth
# ---------------------------------------------------------------------------


def _first(data: bytes, **kwargs: Any) -> tuple[int, int, str, str]:
    parsed = parse_yaml(data, **kwargs)
    assert not parsed.ok
    problem = parsed.problems[0]
    return problem.line, problem.col, problem.rule, problem.message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"a: " + b"x" * 200, (1, 1, "yaml-size", "file is over the 100 bytes size limit")),
        (b"\xff\xfea\x00:\x00", (1, 1, "yaml-encoding", "file is UTF-16")),
        (b"\x00\x00\xfe\xff", (1, 1, "yaml-encoding", "file is UTF-32")),
        (b"a: 1\nb: caf\xe9\n", (2, 7, "yaml-encoding", "not valid UTF-8: byte 0xE9")),
        (b"a: 1\nb: \x93q\x94\n", (2, 4, "yaml-encoding", "not valid UTF-8: byte 0x93")),
        (b"a: 1\n\tb: 2\n", (2, 1, "yaml-tab", "tab character")),
        (b"a: 1\t# c\n", (1, 5, "yaml-tab", "tab character")),
        (
            b"a: x\ry\n",
            (1, 5, "yaml-character", "invisible or control character: a carriage return not followed by a line feed"),
        ),
        (b"a: x\xc2\x85y\n", (1, 5, "yaml-character", "invisible or control character: control character U+0085")),
        (b"a: x\xe2\x80\xa8y\n", (1, 5, "yaml-character", "invisible or control character: U+2028 LINE SEPARATOR")),
        (b"a: x\xe2\x80\x8by\n", (1, 5, "yaml-character", "invisible or control character: U+200B ZERO WIDTH SPACE")),
        (
            b"a: x\xe2\x80\xaey\n",
            (1, 5, "yaml-character", "invisible or control character: U+202E RIGHT-TO-LEFT OVERRIDE"),
        ),
        (
            b"a: 1\n\xef\xbb\xbfb: 2\n",
            (2, 1, "yaml-character", "invisible or control character: U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ),
        (b"a:\xc2\xa0x\n", (1, 3, "yaml-character", "non-breaking space where YAML needs a plain space")),
        (b"a:\n  -\xc2\xa0x\n", (2, 4, "yaml-character", "non-breaking space where YAML needs a plain space")),
        (b"# c\n%YAML 1.1\n---\na: 1\n", (2, 1, "yaml-structure", "YAML directives (%YAML, %TAG) are not allowed")),
        (b"%TAG ! tag:x,2026:\n---\na: 1\n", (1, 1, "yaml-structure", "YAML directives (%YAML, %TAG) are not allowed")),
        (b"a: " + b"[" * 11 + b"]" * 11 + b"\n", (1, 14, "yaml-structure", "nested more than 10 levels deep")),
        # Ten flow mappings inside the top-level one: eleven levels.
        (
            b"a: {b: {c: {d: {e: {f: {g: {h: {i: {j: {k: 1}}}}}}}}}}\n",
            (1, 40, "yaml-structure", "nested more than 10 levels deep"),
        ),
    ],
)
def test_pre_checks(data: bytes, expected: tuple[int, int, str, str]) -> None:
    max_bytes = 100 if expected[2] == "yaml-size" else yamlio.MAX_FILE_BYTES
    assert _first(data, max_bytes=max_bytes) == expected


def test_brackets_in_quoted_flow_items_and_comments_do_not_count_as_nesting() -> None:
    data = b'a: ["' + b"[" * 50 + b"\", '" + b"{" * 50 + b"']\n# " + b"[" * 50 + b"\nc: [1, [2]] # " + b"{" * 50 + b"\n"
    parsed = parse_yaml(data)
    assert parsed.ok, parsed.problems
    assert parsed.value == {"a": ["[" * 50, "{" * 50], "c": [1, [2]]}


def test_unclosed_brackets_in_block_text_err_on_the_side_of_refusing() -> None:
    # Outside flow collections the pre-scan cannot tell an apostrophe from a quote, so it
    # counts every bracket: better to refuse odd text than to let libyaml meet deep input.
    assert _first(b'a: "' + b"[" * 11 + b'"\n')[:3] == (1, 15, "yaml-structure")


def test_a_non_breaking_space_inside_text_is_fine() -> None:
    parsed = parse_yaml("a: 5\u00a0000 staff\n".encode())
    assert parsed.ok and parsed.value == {"a": "5\u00a0000 staff"}


# ---------------------------------------------------------------------------
# Composition: every problem, not just the first
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("parser", PARSERS)
def test_every_duplicate_and_refused_node_is_reported(parser: str) -> None:
    data = b"a: 1\nb: &x 2\na: 3\nc: *x\nd:\n  e: 010\n  e: 4\nf: !!str 5\n<<: {g: 1}\nh: 2026-02-30\n"
    parsed = parse_yaml(data, parser=parser)
    assert [(p.line, p.col, p.rule) for p in parsed.problems] == [
        (2, 4, "yaml-structure"),  # anchor
        (3, 1, "yaml-duplicate-key"),
        (4, 4, "yaml-structure"),  # alias
        (6, 6, "yaml-value"),  # 010
        (7, 3, "yaml-duplicate-key"),
        (8, 4, "yaml-structure"),  # tag
        (9, 1, "yaml-structure"),  # merge key
        (10, 4, "yaml-value"),  # impossible date
    ]
    duplicate = parsed.problems[1]
    assert duplicate.message == "duplicate key 'a' (first at line 1)"
    assert duplicate.hint == "keep one of lines 1 and 3"
    assert parsed.problems[5].message == "tag !!str is not allowed"


@pytest.mark.parametrize("parser", PARSERS)
def test_problems_are_capped(parser: str) -> None:
    data = b"a: &a [1]\n" + b"".join(b"k%d: *a\n" % i for i in range(200))
    parsed = parse_yaml(data, parser=parser)
    assert len(parsed.problems) == MAX_PROBLEMS


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", (1, 1, "yaml-structure", "file is empty")),
        (b"# only a comment\n", (1, 1, "yaml-structure", "file is empty")),
        (b"---\n...\n", (1, 1, "yaml-structure", "file is empty")),
        (b"just text\n", (1, 1, "yaml-structure", "the file holds a single value, not `key: value` lines")),
        (b"a: 1\n---\nb: 2\n", (2, 1, "yaml-structure", "more than one YAML document in the file")),
        (b": x\nb: 1\n", (1, 1, "yaml-syntax", "a ':' with no key before it")),
        (b"? [a, b]\n: c\n", (1, 3, "yaml-structure", "a key must be plain text, not a list or mapping")),
    ],
)
def test_structure_problems(parser: str, data: bytes, expected: tuple[int, int, str, str]) -> None:
    assert _first(data, parser=parser)[:3] == expected[:3]
    if expected[2] != "yaml-syntax" or parser == "pure":  # libyaml words its own syntax errors
        assert _first(data, parser=parser)[3] == expected[3]


@pytest.mark.parametrize("parser", PARSERS)
def test_a_top_level_list_is_yaml_the_schema_judges(parser: str) -> None:
    # .pre-commit-hooks.yaml and other tools' files are lists; only the register format needs a mapping.
    assert parse_yaml(b"- a\n- b\n", parser=parser).value == ["a", "b"]


@pytest.mark.parametrize("parser", PARSERS)
def test_text_lost_to_a_comment_is_a_warning(parser: str) -> None:
    parsed = parse_yaml(
        b"controls:\n  - Annual penetration testing #2 supplier\n  - Fine # a real comment\n", parser=parser
    )
    assert parsed.ok
    assert parsed.value == {"controls": ["Annual penetration testing", "Fine"]}
    assert [(w.line, w.col, w.rule) for w in parsed.warnings] == [(2, 5, "yaml-comment-in-value")]


@pytest.mark.parametrize("parser", PARSERS)
def test_folded_blocks_read_alike(parser: str) -> None:
    parsed = parse_yaml(b"a: >-\n  one\n  two\n\n  three\n", parser=parser)
    assert parsed.value == {"a": "one two\nthree"}


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            b"title: Risk: supply chain\n",
            (
                1,
                12,
                "mapping values are not allowed here: a ': ' inside a value starts a new key",
                "put the whole value in double quotes",
            ),
        ),
        (
            b"title: 'Patient's record'\n",
            (1, 17, "text after a closing quote", "quote the whole value, and double an apostrophe inside '...' ('')"),
        ),
        (
            b"id: X\nstatus:approved\ntitle: y\n",
            (2, 1, "no space after ':' in `status:approved`", "write `status: approved`"),
        ),
        (
            b"id: X\nstatus approved\nb: 1\n",
            (
                2,
                1,
                "expected `key: value` on this line",
                "a key needs ': ' after it (a colon then a space), or the line is mis-indented",
            ),
        ),
        (
            b"a:\n  b: 1\n c: 2\n",
            (
                3,
                2,
                "this line does not line up with the lines above",
                "keys of one mapping, and the '-' of one list, start in the same column",
            ),
        ),
        (
            b"a:\n  - x\n  y: 2\n",
            (
                3,
                3,
                "this line does not line up with the lines above",
                "keys of one mapping, and the '-' of one list, start in the same column",
            ),
        ),
        (
            b'title: "not closed\nb: 1\n',
            (
                3,
                1,
                "while scanning a quoted scalar: found unexpected end of stream",
                "a quote is not closed: check each value has its closing quote",
            ),
        ),
    ],
)
def test_hand_edit_mistakes_get_plain_words_and_a_hint(
    parser: str, data: bytes, expected: tuple[int, int, str, str]
) -> None:
    # The same words from both parsers: the text at the error decides them, not the parser.
    problem = parse_yaml(data, parser=parser).problems[0]
    assert (problem.line, problem.col, problem.message, problem.hint) == expected


# ---------------------------------------------------------------------------
# Escapes in double quotes (a pasted Windows path)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (r'"plain"', None),
        (r'"a \"quote\" and a \\ backslash"', None),
        (r'"caf\u00e9 \x41 \U0001F600 \/ \ "', None),
        (r'"C:\new folder"', (3, "`\\n` inside double quotes is a line break, not a backslash and 'n'")),
        (r'"C:\risk"', (3, "`\\r` inside double quotes is a carriage return, not a backslash and 'r'")),
        (r'"C:\temp"', (3, "`\\t` inside double quotes is a tab, not a backslash and 't'")),
        (r'"C:\Users\x"', (3, "`\\U` inside double quotes must be followed by 8 hex digits")),
        (r'"C:\qa"', (3, "`\\q` is not a valid escape inside double quotes")),
        (r'"\ud800"', (1, "`\\ud800` inside double quotes is not a Unicode character")),
        (r'"\u200b"', (1, "`\\u200b` inside double quotes makes an invisible character: U+200B ZERO WIDTH SPACE")),
        (r'"\x07"', (1, "`\\x07` inside double quotes makes an invisible character: control character U+0007")),
        (r'"\_"', (1, "`\\_` inside double quotes is a non-breaking space, not a backslash and '_'")),
    ],
)
def test_escape_problem(written: str, expected: tuple[int, str] | None) -> None:
    assert escape_problem(written, 0) == expected


@pytest.mark.parametrize("parser", PARSERS)
def test_escapes_are_reported_at_the_backslash(parser: str) -> None:
    for text in ('a: "C:\\new folder"\n', 'a: "C:\\Users\\me"\n', 'a: "bad \\ud800"\n', 'a: "x\\q"\n'):
        problem = parse_yaml(text.encode(), parser=parser).problems[0]
        assert (problem.rule, problem.line, problem.col) == ("yaml-escape", 1, text.index("\\") + 1), text


# ---------------------------------------------------------------------------
# Never an exception
# ---------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_a_value_or_positioned_problems(data: bytes) -> None:
    parsed = parse_yaml(data)
    assert parsed.ok or all(p.line >= 1 and p.col >= 1 and p.message for p in parsed.problems)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet=st.sampled_from(list("ab: -#'\"[]{}&*!|>?,\n\\0123")), max_size=80))
def test_yaml_like_text_never_raises(text: str) -> None:
    for parser in PARSERS:
        parsed = parse_yaml(text.encode(), parser=parser)
        assert parsed.ok or all(p.line >= 1 and p.col >= 1 for p in parsed.problems)


@pytest.mark.parametrize("parser", PARSERS)
def test_infinity_is_a_positioned_problem_not_a_crash(parser: str) -> None:
    parsed = parse_yaml(b"id: BAF1\nscore: .inf\n", parser=parser)
    assert [(p.line, p.col, p.rule) for p in parsed.problems] == [(2, 8, "yaml-value")]
