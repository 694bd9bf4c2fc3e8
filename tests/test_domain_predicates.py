"""The domain predicates live on the models, once: every command that asks gets one answer.

Before, "an action that counts as a plan" was written twice (``breaches`` and the
``breach-without-plan`` rule) and agreed only because the copies matched; "overdue" was
written three times. These tests pin the predicates and show the two users agree.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from bafctl.breaches import breach_row
from bafctl.checks import breach_without_plan
from bafctl.checks._base import EXAMPLE_REGISTER, EXAMPLE_RISK, CheckContext
from bafctl.loader import load_workspace
from bafctl.models import Action, ActionStatus, RegisterSettings, Risk, RiskStatus, natural_key

TODAY = dt.date(2026, 3, 1)

REGISTER = EXAMPLE_REGISTER.encode()

# The example risk, scored 4x4=16 against the Cautious tolerance of 12: in breach.
RISK_HEAD = (
    EXAMPLE_RISK.split("    actions:\n")[0].replace(
        "current: {consequence: 4, likelihood: 3}", "current: {consequence: 4, likelihood: 4}"
    )
    + "    actions:\n"
)

actions = st.lists(
    st.tuples(
        st.sampled_from(list(ActionStatus)),
        st.sampled_from([None, "CN", "MD"]),
        st.one_of(st.none(), st.integers(min_value=-40, max_value=40).map(lambda d: TODAY + dt.timedelta(days=d))),
    ),
    max_size=4,
)


def _risk_file(specs: list[tuple[ActionStatus, str | None, dt.date | None]]) -> bytes:
    lines = [RISK_HEAD]
    if not specs:
        lines[0] = RISK_HEAD.replace("    actions:\n", "    actions: []\n")
    for index, (status, owner, due) in enumerate(specs, start=1):
        item = f"      - {{id: A{index}, action: Do thing {index}, status: {status.value}"
        if owner is not None:
            item += f", owner: {owner}"
        if due is not None:
            item += f", due: {due.isoformat()}"
        if not status.is_open:
            item += f", completed: {TODAY.isoformat()}"
        lines.append(item + "}\n")
    return "".join(lines).encode()


@settings(max_examples=150, deadline=None)
@given(actions)
def test_breaches_and_breach_without_plan_agree(specs: list[tuple[ActionStatus, str | None, dt.date | None]]) -> None:
    """A risk in breach has a plan in `breaches` exactly when `breach-without-plan` stays silent."""
    workspace = load_workspace({"register.yaml": REGISTER, "risks/R1.yaml": _risk_file(specs)})
    assert workspace.findings == [], [f.full_message for f in workspace.findings]
    [(reg, lr)] = workspace.risks()
    row = breach_row(reg, lr, TODAY)
    assert row is not None and row.in_breach
    fired = list(breach_without_plan.check(CheckContext(workspace, TODAY)))
    assert row.has_plan == (not fired)
    assert row.has_plan == any(action.counts_as_plan(TODAY) for action in lr.risk.actions)


def test_overdue_and_plan_are_exclusive_for_a_dated_open_action() -> None:
    """An open action is overdue before its date passes and counts as a plan (if owned) until then."""
    due = dt.date(2026, 1, 31)
    action = Action(id="A1", action="Recruit", owner="CN", due=due, status=ActionStatus.OPEN)
    assert action.counts_as_plan(due) and not action.is_overdue(due)
    after = due + dt.timedelta(days=1)
    assert action.is_overdue(after) and not action.counts_as_plan(after)
    done = Action(id="A2", action="Recruit", owner="CN", due=due, status=ActionStatus.COMPLETE, completed=due)
    assert not done.is_overdue(after) and not done.counts_as_plan(due)
    unowned = Action(id="A3", action="Recruit", due=due)
    assert not unowned.counts_as_plan(due)


def test_role_by_id_and_active_risk() -> None:
    """One look-up of a role by ID, and one meaning of "active" (closed and merged are not)."""
    workspace = load_workspace({"register.yaml": REGISTER, "risks/R1.yaml": _risk_file([])})
    [(reg, lr)] = workspace.risks()
    settings: RegisterSettings = reg.settings
    role = settings.role("MD")
    assert role is not None and role.title == "Medical Director"
    assert settings.role("XX") is None and settings.role(None) is None
    risk: Risk = lr.risk
    assert risk.is_active
    assert not risk.model_copy(update={"status": RiskStatus.CLOSED}).is_active


def test_natural_key_orders_ids_as_people_read_them() -> None:
    """BAF2 before BAF10, case ignored (the summary, report and diff share this order)."""
    assert sorted(["BAF10", "baf2", "BAF1", "2A", "A2"], key=natural_key) == ["2A", "A2", "BAF1", "baf2", "BAF10"]
