"""stored-band: a stored band must be the register's band for the score (V02)."""

from __future__ import annotations

from rulekit import check, findings, line_of

ID = "stored-band"
WRONG = """\
assessments:
  initial: {consequence: 4, likelihood: 4, band: High}
  current: {consequence: 4, likelihood: 3, band: high}
  target: {consequence: 4, likelihood: 2, band: Moderate}
"""


def test_agreeing_bands_pass_whatever_their_case() -> None:
    assert check(ID, WRONG.replace("band: High}", "band: EXTREME}").replace("band: Moderate", "band: High")) == []


def test_each_wrong_band_is_reported_at_the_band() -> None:
    found = findings(ID, WRONG)
    assert [(f.line, f.col) for f in found] == [
        (line_of(WRONG, "initial:"), WRONG.splitlines()[1].index("High") + 1),
        (line_of(WRONG, "target:"), WRONG.splitlines()[3].index("Moderate") + 1),
    ]
    assert found[0].message == "initial band 'High' disagrees with the register: 4x4=16 is Extreme (15-25)"
    assert found[0].hint == "write `band: Extreme`, or remove the stored band"
    assert found[0].level.value == "error"


def test_the_registers_own_bands_decide() -> None:
    register = _register_with_bands()
    assert (
        check(
            ID,
            WRONG.replace("band: High}", "band: Red}")
            .replace("band: Moderate", "band: Amber")
            .replace("band: high", "band: Amber"),
            register=register,
        )
        == []
    )


def _register_with_bands() -> str:
    from bafctl.checks._base import EXAMPLE_REGISTER

    return EXAMPLE_REGISTER + (
        "matrix:\n  bands:\n"
        "    - {name: Green, min: 1, max: 6, colour: green}\n"
        "    - {name: Amber, min: 8, max: 12, colour: orange}\n"
        "    - {name: Red, min: 15, max: 25, colour: red}\n"
    )


def test_disabled_by_config() -> None:
    assert check(ID, WRONG, levels={ID: None}) == []
