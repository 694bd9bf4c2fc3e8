"""docs/rules.md is generated from the rule docstrings and must match them (style.md 8.2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bafctl.checks import LOADER_RULES, RULES
from bafctl.docs_gen import main, rule_markdown, rules_markdown

REPO_ROOT = Path(__file__).resolve().parents[2]
RULES_MD = REPO_ROOT / "docs" / "rules.md"


def test_docs_rules_md_matches_the_generator() -> None:
    assert RULES_MD.read_text(encoding="utf-8") == rules_markdown(), (
        "docs/rules.md is out of date: run `python -m bafctl.docs_gen docs/rules.md`"
    )


def test_every_rule_and_loader_finding_is_documented() -> None:
    page = rules_markdown()
    for rule_id in [*RULES, *LOADER_RULES]:
        assert f"`{rule_id}`" in page


def test_a_rule_section_has_its_level_options_and_examples() -> None:
    from bafctl.checks import stale_review

    section = rule_markdown(stale_review)
    assert section.startswith("## `stale-review`\n\nA risk not reviewed for longer than its review period (V17).\n")
    assert "Default level: **warning**." in section
    assert "- `months`: the review period in months for other risks (default 3)." in section
    assert "PASS with {months: 6}:\n\n```yaml\nlast_updated: 2025-11-15\n```" in section


def test_the_generator_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "docs" / "rules.md"
    assert main(["--check", str(target)]) == 1
    assert "is out of date" in capsys.readouterr().err
    assert main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == rules_markdown()
    assert main(["--check", str(target)]) == 0
