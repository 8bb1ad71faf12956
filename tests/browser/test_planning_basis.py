"""The planning basis in headless Chromium: a planner opens a computed roster's basis, is refused a bad rule value
with a Swedish message, lowers the longest run of working days, adds an absence, re-computes and sees the new
proposal respect both; the basis page passes axe-core."""

import pytest
from sqlalchemy import select

from radhus.core import jobs
from radhus.core.auth import User, principal_for
from radhus.core.db import transaction
from radhus.planning import workflow
from radhus.planning.models import load_roster_input
from radhus.planning.rules import check_roster_rules
from radhus.planning.tables import RosterPlan
from tests.browser.conftest import axe_violations, log_in
from tests.planning.test_platform import _small_input

pytestmark = pytest.mark.browser


def _longest_run(row: list[str]) -> int:
    best = run = 0
    for shift in row:
        run = run + 1 if shift else 0
        best = max(best, run)
    return best


def _computed_plan(app, session_factory) -> int:  # type: ignore[no-untyped-def]
    """A one-week roster of the test organisation, computed by the real job (proven optimal in well under a second)."""
    with transaction(session_factory) as session:
        planner = session.scalars(select(User).where(User.username == "redaktor@exempelkommun")).one()
        plan, _ = workflow.create_roster(session, who=principal_for(planner), data=_small_input(), time_limit=20)
        plan_id = plan.id
    jobs.run_until_idle(session_factory, app.state.ctx.job_handlers, backoff_seconds=0)
    return plan_id


def test_planner_changes_a_rule_adds_an_absence_and_recomputes(page, live_server, app, session_factory):  # type: ignore[no-untyped-def]
    plan_id = _computed_plan(app, session_factory)
    log_in(page, live_server, "redaktor@exempelkommun")
    page.goto(f"{live_server}/planering/scheman/{plan_id}")
    page.locator("#underlag-lank").click()
    page.wait_for_url(f"**/planering/scheman/{plan_id}/underlag")
    assert page.locator("#regeltabell").get_by_text("Dygnsvila", exact=True).count() == 1
    violations = axe_violations(page)
    assert not violations, violations

    page.get_by_label("Dygnsvila", exact=True).fill("30")  # refused, and what was typed stays in the form
    page.get_by_role("button", name="Spara reglerna").click()
    assert "Dygnsvila: får vara högst 24" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Dygnsvila", exact=True).input_value() == "30"
    page.get_by_label("Dygnsvila", exact=True).fill("11")
    page.get_by_label("Högst arbetsdagar i följd", exact=True).fill("3")
    page.get_by_role("button", name="Spara reglerna").click()
    page.wait_for_url("**meddelande=sparat**")
    assert "ej beräknat" in page.locator("#schemastatus").inner_text()

    page.locator("#f-personal").select_option("b")
    page.locator("#f-forsta").select_option("2")
    page.locator("#f-sista").select_option("4")
    page.locator("#f-orsak").fill("semester")
    page.get_by_role("button", name="Spara frånvaron").click()
    page.wait_for_url("**meddelande=sparat**")
    row = page.locator("#franvarotabell tbody tr").first.inner_text()
    assert "Bo" in row and "2026-03-04" in row and "2026-03-06" in row
    violations = axe_violations(page)
    assert not violations, violations

    page.get_by_role("button", name="Beräkna nytt förslag").click()
    page.wait_for_url(f"**/planering/scheman/{plan_id}")
    jobs.run_until_idle(session_factory, app.state.ctx.job_handlers, backoff_seconds=0)
    page.goto(f"{live_server}/planering/scheman/{plan_id}")
    assert "förslag" in page.locator("#schemastatus").inner_text()
    for day in (2, 3, 4):
        cell = page.locator(f'td[data-employee="b"][data-day="{day}"]')
        assert cell.get_attribute("data-shift") == "" and "frånv." in cell.inner_text()
    with session_factory() as session:
        plan = session.get(RosterPlan, plan_id)
        inp = load_roster_input(plan.input)
        roster = plan.proposal["roster"]
    assert inp.rules.max_consecutive_days == 3 and [a.employee for a in inp.absences] == ["b"]
    assert all(_longest_run(row) <= 3 for row in roster.values())
    assert not [v for v in check_roster_rules(inp, roster) if v.hard]
