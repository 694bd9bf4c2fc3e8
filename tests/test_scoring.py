"""Scoring core: C x L on the 5x5 matrix, bands, tolerance and appetite status (pure)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bafctl.models import Assessment, Band, Matrix, RegisterSettings, Risk
from bafctl.scoring import (
    ACHIEVABLE_SCORES,
    AppetiteFlag,
    appetite_status,
    band_for,
    band_rank,
    compute_score,
    derived_values,
    format_cxl,
    format_pair,
    parse_cxl,
    tolerance_for,
)

ratings = st.integers(min_value=1, max_value=5)
TODAY = dt.date(2026, 3, 2)

SETTINGS = RegisterSettings.model_validate(
    {
        "register": {"id": "T", "name": "Test BAF", "organisation": "Test Trust"},
        "themes": [{"id": "V", "name": "Valuing everyone"}],
        "sections": [{"number": 1, "title": "People", "themes": ["V"], "committee": "PCC"}],
        "committees": [{"id": "PCC", "name": "People and Culture Committee"}],
        "roles": [{"id": "CPO", "title": "Chief People Officer"}],
        "appetite_levels": [
            {"id": "cautious", "name": "Cautious", "tolerance": 12},
            {"id": "open", "name": "Open", "tolerance": 16},
        ],
    }
)


def make_risk(
    current: tuple[int, int],
    target: tuple[int, int],
    *,
    level: str = "open",
    status: str = "approved",
    target_date: dt.date | None = None,
    override: int | None = None,
) -> Risk:
    appetite: dict[str, Any] = {"level": level}
    if override is not None:
        appetite |= {"tolerance": override, "reason": "the board accepted a higher limit for this winter"}
    return Risk.model_validate(
        {
            "id": "R1",
            "title": "If staff leave, then wards close",
            "status": status,
            "merged_into": "R2" if status == "merged" else None,
            "strategic_link": "V",
            "oversight": ["PCC"],
            "executive_lead": "CPO",
            "date_included": dt.date(2025, 4, 1),
            "last_updated": dt.date(2026, 1, 19),
            "assessments": {
                "initial": {"consequence": 5, "likelihood": 5},
                "current": {"consequence": current[0], "likelihood": current[1]},
                "target": {"consequence": target[0], "likelihood": target[1], "date": target_date},
            },
            "appetite": appetite,
        }
    )


@given(ratings, ratings)
def test_every_score_is_a_product_of_the_matrix(consequence: int, likelihood: int) -> None:
    score = compute_score(consequence, likelihood)
    assert score == consequence * likelihood
    assert score in ACHIEVABLE_SCORES
    assert 1 <= score <= 25


def test_achievable_scores_are_the_fourteen_npsa_values() -> None:
    # docs/domain.md 1.4: 7, 11, 13, 14, 17-19 and 21-24 cannot occur.
    assert sorted(ACHIEVABLE_SCORES) == [1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16, 20, 25]


@pytest.mark.parametrize(("consequence", "likelihood"), [(0, 3), (6, 1), (3, 0), (1, 6), (-1, -1)])
def test_compute_score_refuses_ratings_off_the_matrix(consequence: int, likelihood: int) -> None:
    with pytest.raises(ValueError, match="must be 1-5"):
        compute_score(consequence, likelihood)


@pytest.mark.parametrize(
    ("text", "expected"), [("4x3", (4, 3)), ("4X3", (4, 3)), (" 5 x 1 ", (5, 1)), ("2×5", (2, 5)), ("1*1", (1, 1))]
)
def test_parse_cxl_reads_consequence_then_likelihood(text: str, expected: tuple[int, int]) -> None:
    assert parse_cxl(text) == expected


@pytest.mark.parametrize("text", ["6x1", "4*", "0x3", "43", "4x3x2", "", "x", "four x three", "4x6", "12"])
def test_parse_cxl_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="expected consequence x likelihood such as 4x3"):
        parse_cxl(text)


@given(ratings, ratings)
def test_format_and_parse_round_trip(consequence: int, likelihood: int) -> None:
    text = format_pair(consequence, likelihood)
    assert text == f"{consequence}x{likelihood}={consequence * likelihood}"
    assert parse_cxl(text.split("=")[0]) == (consequence, likelihood)
    assert format_cxl(Assessment(consequence=consequence, likelihood=likelihood)) == text


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (1, "Low"),
        (3, "Low"),
        (4, "Moderate"),
        (6, "Moderate"),
        (8, "High"),
        (12, "High"),
        (15, "Extreme"),
        (25, "Extreme"),
    ],
)
def test_nhs_default_bands(score: int, band: str) -> None:
    # docs/domain.md 1.5: NPSA 1-3 low, 4-6 moderate, 8-12 high, 15-25 extreme.
    assert band_for(score, Matrix().bands).name == band


@st.composite
def band_tables(draw: st.DrawFn) -> list[Band]:
    """A valid local band table: cut points over the achievable scores, any names."""
    scores = sorted(ACHIEVABLE_SCORES)
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=len(scores) - 1), max_size=5)))
    edges = [0, *cuts, len(scores)]
    bands = [
        Band(name=f"Band {i}", min=scores[lo], max=scores[hi - 1], colour="#000000")
        for i, (lo, hi) in enumerate(itertools.pairwise(edges))
    ]
    return draw(st.permutations(bands))


@given(band_tables(), ratings, ratings, ratings, ratings)
def test_bands_are_monotonic_in_score(bands: list[Band], c1: int, l1: int, c2: int, l2: int) -> None:
    Matrix(bands=bands)  # the register would accept this table
    low, high = sorted((c1 * l1, c2 * l2))
    assert band_rank(low, bands) <= band_rank(high, bands)


@given(ratings, ratings)
def test_derived_values_agree_with_score_and_band(consequence: int, likelihood: int) -> None:
    derived = derived_values(consequence, likelihood, Matrix().bands)
    assert derived.score == consequence * likelihood
    assert derived.band == band_for(derived.score, Matrix().bands).name


def test_tolerance_comes_from_the_level_or_the_override() -> None:
    assert tolerance_for(make_risk((4, 4), (4, 2)), SETTINGS) == 16
    assert tolerance_for(make_risk((4, 4), (4, 2), level="cautious"), SETTINGS) == 12
    assert tolerance_for(make_risk((4, 4), (4, 2), override=20), SETTINGS) == 20
    assert tolerance_for(make_risk((4, 4), (4, 2), level="unknown"), SETTINGS) is None


def test_breach_is_current_above_tolerance_not_at_it() -> None:
    at = appetite_status(make_risk((4, 4), (4, 2)), SETTINGS, TODAY)
    above = appetite_status(make_risk((5, 4), (4, 2)), SETTINGS, TODAY)
    assert (at.flags, at.over_by) == (frozenset(), 0)
    assert (above.flags, above.over_by, above.in_breach) == (frozenset({AppetiteFlag.BREACH}), 4, True)


def test_target_outside_appetite() -> None:
    status = appetite_status(make_risk((5, 4), (5, 4), level="cautious"), SETTINGS, TODAY)
    assert status.flags == {AppetiteFlag.BREACH, AppetiteFlag.TARGET_OUTSIDE}


def test_off_track_needs_a_passed_date_and_current_above_target() -> None:
    passed = dt.date(2026, 3, 1)
    assert appetite_status(make_risk((4, 3), (4, 2), target_date=passed), SETTINGS, TODAY).flags == {
        AppetiteFlag.OFF_TRACK
    }
    assert appetite_status(make_risk((4, 2), (4, 2), target_date=passed), SETTINGS, TODAY).flags == frozenset()
    assert appetite_status(make_risk((4, 3), (4, 2), target_date=TODAY), SETTINGS, TODAY).flags == frozenset()


@pytest.mark.parametrize("status", ["closed", "merged"])
def test_closed_and_merged_risks_are_never_flagged(status: str) -> None:
    risk = make_risk((5, 5), (5, 5), status=status, target_date=dt.date(2020, 1, 1))
    assert appetite_status(risk, SETTINGS, TODAY).flags == frozenset()


@given(ratings, ratings, ratings, ratings, st.sampled_from(["cautious", "open"]))
def test_status_flags_follow_the_definitions(c: int, lk: int, tc: int, tl: int, level: str) -> None:
    tolerance = 12 if level == "cautious" else 16
    status = appetite_status(make_risk((c, lk), (tc, tl), level=level), SETTINGS, TODAY)
    assert status.in_breach == (c * lk > tolerance)
    assert (AppetiteFlag.TARGET_OUTSIDE in status.flags) == (tc * tl > tolerance)
    assert status.over_by == max(0, c * lk - tolerance)
