"""Every rule's docstring is its documentation, and its examples are run here (style.md 8.2)."""

from __future__ import annotations

import re

import pytest

from bafctl.checks import RULES, run_checks
from bafctl.checks._base import EXAMPLE_AS_OF, Example, example_files, merge_example, parse_doc
from bafctl.findings import Level
from bafctl.loader import load_workspace

EXAMPLES = [
    pytest.param(rule_id, example, id=f"{rule_id}-{number}-{example.label}")
    for rule_id, rule in RULES.items()
    for number, example in enumerate(parse_doc(rule.__doc__).examples, start=1)
]


@pytest.mark.parametrize(("rule_id", "example"), EXAMPLES)
def test_docstring_example(rule_id: str, example: Example) -> None:
    workspace = load_workspace(example_files(example))
    assert [f.full_message for f in workspace.findings] == []
    found = run_checks(workspace, today=EXAMPLE_AS_OF, options={rule_id: example.option_values()})
    own = [f for f in found if f.rule == rule_id]
    if example.passes:
        assert own == []
    else:
        assert own, f"{rule_id}: the FAIL example found nothing"
        assert all(f.line > 1 for f in own), "a finding should point into the fragment, not at the file start"


def test_the_example_base_risk_passes_every_rule() -> None:
    workspace = load_workspace(example_files(""))
    assert workspace.findings == []
    assert run_checks(workspace, today=EXAMPLE_AS_OF) == []


@pytest.mark.parametrize("rule_id", list(RULES))
def test_rule_module_follows_the_contract(rule_id: str) -> None:
    rule = RULES[rule_id]
    assert rule_id == rule.ID
    assert re.fullmatch(r"[a-z]+(?:-[a-z]+)*", rule_id)
    assert rule.__name__ == f"bafctl.checks.{rule_id.replace('-', '_')}"  # type: ignore[attr-defined]
    assert isinstance(rule.DEFAULT_LEVEL, Level)
    doc = parse_doc(rule.__doc__)
    assert doc.summary.endswith(".")
    assert doc.body, "explain why the rule exists"
    kinds = {example.passes for example in doc.examples}
    assert kinds == {True, False}, "at least one PASS and one FAIL example"
    for name in rule.OPTIONS:
        assert re.search(rf"^{name}: .*\(default ", doc.options, re.MULTILINE), f"option {name} is undocumented"
    for example in doc.examples:
        assert set(example.option_values()) <= set(rule.OPTIONS)


def test_parse_doc_takes_a_docstring_apart() -> None:
    doc = parse_doc(
        """Summary line.

        Why it matters.

        Options:
            months: how many (default 3).

        PASS:
            title: A

        FAIL with {months: 1}:
            title: B
              continued
        """
    )
    assert doc.summary == "Summary line."
    assert doc.body == "Why it matters."
    assert doc.options == "months: how many (default 3)."
    assert doc.examples == (
        Example(True, "title: A\n"),
        Example(False, "title: B\n  continued\n", "{months: 1}"),
    )
    assert doc.examples[1].option_values() == {"months": 1}
    assert doc.examples[1].label == "FAIL with {months: 1}"


def test_parse_doc_needs_a_summary() -> None:
    with pytest.raises(ValueError, match="summary"):
        parse_doc("\n\n")


def test_example_options_must_be_a_mapping() -> None:
    with pytest.raises(ValueError, match="flow mapping"):
        Example(True, "", "[1, 2]").option_values()


def test_merge_replaces_top_level_keys_in_place_and_appends_new_ones() -> None:
    base = "# head\nid: R1\ntitle: Old\n# about notes\nnotes: keep\n"
    merged = merge_example("title: New\n  more: x\nextra: 1\n", base)
    assert merged == "# head\nid: R1\ntitle: New\n  more: x\n# about notes\nnotes: keep\nextra: 1\n"
    assert merge_example("", base) == base
