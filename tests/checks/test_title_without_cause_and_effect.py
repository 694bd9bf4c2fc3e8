"""title-without-cause-and-effect: titles that state cause and effect (V22)."""

from __future__ import annotations

import pytest
from rulekit import check, findings

ID = "title-without-cause-and-effect"


@pytest.mark.parametrize(
    "title",
    [
        "If we do not continue to engage in digital transformation, we will not be digitally mature",
        "If staffing falls then care suffers",
        "Lack of on-site capacity resulting in pressure on neighbouring organisations",
        "Deterioration in safety caused by lack of compliance with standards",
        "Failure to recruit leading to reliance on agency staff",
    ],
)
def test_cause_and_effect_wording_passes(title: str) -> None:
    assert check(ID, f"title: {title}\n") == []


@pytest.mark.parametrize("title", ["Workforce", "Digital maturity of the Group", "Wildfire risk to estates"])
def test_a_bare_noun_phrase_is_reported_as_info_at_the_title(title: str) -> None:
    (finding,) = findings(ID, f"title: {title}\n")
    assert (finding.line, finding.col) == (2, 8)
    assert finding.level.value == "info"
    assert finding.message == "the title does not state cause and effect"


def test_disabled_by_config() -> None:
    assert check(ID, "title: Workforce\n", levels={ID: None}) == []
