"""Every key of both JSON Schemas explains itself: an editor's hover shows its description.

The schemas are read by governance officers through their editor, so each key, at every
depth, must say in words what it means on the BAF and what it accepts. A key with no
description shows nothing on hover; these tests walk the generated schemas (following
``$ref`` into ``$defs``) so that a key added to the models without one fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from bafctl.checks import RULES
from bafctl.schemas import json_schema
from conftest import REPO_ROOT

KINDS = ["risk", "register"]
#: Fewest words a description may have: "Optional free text." says too little.
MIN_WORDS = 5
PLACEHOLDER = re.compile(r"\b(?:todo|tbd|fixme|xxx|lorem|ipsum|placeholder|description here)\b|\?\?|\.\.\.$", re.I)
DOMAIN = (REPO_ROOT / "docs" / "domain.md").read_text(encoding="utf-8")
#: "docs/domain.md 1.4, V02" or "docs/domain.md 1.4" or "docs/domain.md V17".
CITATION = re.compile(r"docs/domain\.md ((?:(?:\d+(?:\.\d+)?|V\d\d)(?:, )?)+)")


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    assert ref.startswith("#/$defs/"), ref
    target: dict[str, Any] = schema["$defs"][ref.removeprefix("#/$defs/")]
    return target


def _properties(schema: dict[str, Any], reached: set[str] | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every property at every depth, as (dotted path, its schema as written), each $def once.

    The names of the $defs the walk went into are added to ``reached``.
    """
    seen: set[str] = set() if reached is None else reached

    def walk(node: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
        target = _resolve(schema, node)
        if "$ref" in node:
            name = node["$ref"].removeprefix("#/$defs/")
            if name in seen:
                return
            seen.add(name)
        for key, prop in target.get("properties", {}).items():
            yield f"{path}.{key}".lstrip("."), prop
            yield from walk(prop, f"{path}.{key}")
        for branch in ("anyOf", "oneOf", "allOf", "prefixItems"):
            for option in target.get(branch, []):
                yield from walk(option, path)
        for child in ("items", "additionalProperties"):
            if isinstance(target.get(child), dict):
                yield from walk(target[child], f"{path}[]" if child == "items" else path)

    yield from walk(schema, "")


def _described(kind: str) -> list[tuple[str, str]]:
    return [(path, prop.get("description", "")) for path, prop in _properties(json_schema(kind))]


@pytest.mark.parametrize("kind", KINDS)
def test_the_walk_reaches_every_nested_mapping(kind: str) -> None:
    schema = json_schema(kind)
    reached: set[str] = set()
    paths = {path for path, _ in _properties(schema, reached)}
    assert reached == set(schema["$defs"])
    keys = len(schema["properties"]) + sum(len(d.get("properties", {})) for d in schema["$defs"].values())
    assert len(paths) == keys, sorted(paths)


@pytest.mark.parametrize("kind", KINDS)
def test_every_key_at_every_depth_has_a_description(kind: str) -> None:
    missing = [path for path, text in _described(kind) if not text.strip()]
    assert missing == [], f"keys with no description in the {kind} schema"


@pytest.mark.parametrize("kind", KINDS)
def test_descriptions_are_sentences_not_placeholders(kind: str) -> None:
    schema = json_schema(kind)
    for path, prop in _properties(schema):
        text = prop["description"]
        assert len(text.split()) >= MIN_WORDS, (path, text)
        assert not PLACEHOLDER.search(text), (path, text)
        assert text.strip().casefold() != str(prop.get("title", "")).casefold(), (path, text)
        assert text == " ".join(text.split()), f"{path}: one paragraph, no stray spaces or line breaks"
        assert text.endswith("."), (path, text)
        assert "``" not in text, f"{path}: Markdown code marks, not reStructuredText"


@pytest.mark.parametrize("kind", KINDS)
def test_descriptions_say_whether_a_key_is_required(kind: str) -> None:
    schema = json_schema(kind)
    for node in [schema, *schema["$defs"].values()]:
        required = set(node.get("required", []))
        for key, prop in node.get("properties", {}).items():
            text = prop["description"]
            if key in required:
                assert "Required" in text, (key, text)
            else:
                assert re.search(r"\b(?:Optional|optional|only)\b", text), (key, text)


@pytest.mark.parametrize("kind", KINDS)
def test_every_nested_mapping_and_choice_has_a_readable_title_and_description(kind: str) -> None:
    schema = json_schema(kind)
    assert schema["title"].startswith("bafctl ")
    assert len(schema["description"].split()) >= MIN_WORDS
    for name, definition in schema["$defs"].items():
        assert not re.search(r"[a-z][A-Z]", definition["title"]), (name, definition["title"])
        assert len(definition.get("description", "").split()) >= MIN_WORDS, name
    for path, prop in _properties(schema):
        assert prop.get("title"), path


@pytest.mark.parametrize("kind", KINDS)
def test_citations_point_at_sections_and_rules_that_exist(kind: str) -> None:
    headings = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", DOMAIN, re.MULTILINE))
    rule_ids = set(re.findall(r"^\| (V\d\d) \|", DOMAIN, re.MULTILINE))
    cited = 0
    for path, text in _described(kind):
        for group in CITATION.findall(text):
            for ref in group.split(", "):
                cited += 1
                assert ref in (rule_ids if ref.startswith("V") else headings), (path, ref)
        for rule in re.findall(r"rule `([a-z0-9-]+)`", text):
            assert rule in RULES, (path, rule)
    assert cited >= 10


def test_the_matrix_keys_cite_the_nhs_scale() -> None:
    risk = json_schema("risk")
    assessment = risk["$defs"]["Assessment"]["properties"]
    assert "1 (negligible) to 5 (catastrophic)" in assessment["consequence"]["description"]
    assert "1 (rare) to 5 (almost certain)" in assessment["likelihood"]["description"]
    assert "docs/domain.md 1.3" in assessment["consequence"]["description"]
    assert "docs/domain.md 1.2" in assessment["likelihood"]["description"]
    line = risk["$defs"]["Assurance"]["properties"]["line"]["description"]
    assert all(word in line for word in ("`1` management", "`2` oversight", "`3` independent", "3.3"))
