"""Rosters in headless Chromium: create from the example, open the grid, pick a cell and a violating shift and see
the live rule message, approve as the planner, download iCalendar; the roster and day-plan pages pass axe-core."""

from pathlib import Path

import pytest
from sqlalchemy import select

from radhus.core import jobs
from radhus.planning.tables import RosterPlan, RoutePlan
from tests.browser.conftest import axe_violations, log_in

pytestmark = pytest.mark.browser


def _run_jobs(app, session_factory) -> None:  # type: ignore[no-untyped-def]
    jobs.run_until_idle(session_factory, app.state.ctx.job_handlers, backoff_seconds=0)


def _wait_for_the_reload_that_shows(page, selector: str, text: str = "") -> None:  # type: ignore[no-untyped-def]
    """While a plan is computed its page reloads itself every 3 s; navigating from the test would race that reload."""
    page.locator(selector, has_text=text).wait_for(timeout=20_000)
    page.wait_for_load_state()


def _plan_the_example_day(page, live_server, username: str) -> None:  # type: ignore[no-untyped-def]
    """Log in and start planning the example home-care day; the day plan page opens while it is computed."""
    log_in(page, live_server, username)
    page.goto(live_server + "/planering")
    page.get_by_label("Tidsgräns för beräkningen (sekunder)").nth(1).fill("1")
    page.get_by_role("button", name="Planera dagens rutter").click()
    page.wait_for_url("**/planering/rutter/*")


def test_roster_grid_live_check_approve_ics(page, live_server, app, session_factory, tmp_path):  # type: ignore[no-untyped-def]
    log_in(page, live_server, "redaktor@exempelkommun")
    page.goto(live_server + "/planering")
    page.get_by_label("Tidsgräns för beräkningen (sekunder)").first.fill("3")
    page.get_by_role("button", name="Beräkna schemaförslag").click()
    page.wait_for_url("**/planering/scheman/*")
    assert "beräknas" in page.locator("#schemastatus").inner_text()
    _run_jobs(app, session_factory)
    _wait_for_the_reload_that_shows(page, "#schema")
    with session_factory() as session:
        plan = session.scalars(select(RosterPlan)).one()
        roster = plan.proposal["roster"]
    emp, day = next((e, d) for e, row in roster.items() for d, s in enumerate(row[:-1]) if s == "K")
    assert page.locator("table.schema tbody tr").count() == len(roster)
    assert page.locator(f'td[data-employee="{emp}"][data-day="{day}"]').inner_text().strip().startswith("K")

    page.locator(f'td[data-employee="{emp}"][data-day="{day + 1}"]').click()  # select the cell after the evening
    page.get_by_label("Pass", exact=True).select_option("D")
    live = page.locator("#regelkontroll")
    live.get_by_text("dygnsvila", exact=False).first.wait_for()
    assert "bryter mot reglerna" in live.inner_text()
    page.get_by_label("Pass", exact=True).select_option("")
    live.get_by_text("följer reglerna").wait_for()
    violations = axe_violations(page)
    assert not violations, violations

    page.get_by_role("button", name="Godkänn schemat").click()
    page.wait_for_url("**meddelande=godkant**")
    assert "Schemat är godkänt." in page.get_by_role("status").inner_text()
    assert "Godkänt av" in page.content()
    with page.expect_download() as download:
        page.get_by_role("link", name="iCalendar (alla)").click()
    target = tmp_path / "schema.ics"
    download.value.save_as(target)
    lines = Path(target).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert sum(1 for line in lines if line == "BEGIN:VEVENT") == sum(1 for r in roster.values() for s in r if s)


def test_day_plan_page_is_a_table_per_staff(page, live_server, app, session_factory):  # type: ignore[no-untyped-def]
    _plan_the_example_day(page, live_server, "administrator@exempelkommun")
    _run_jobs(app, session_factory)
    _wait_for_the_reload_that_shows(page, "#ruttstatus", "förslag")
    assert page.get_by_role("heading", name="Lena").count() == 1
    assert page.locator("table").count() >= 2  # times as text, not only the drawing
    violations = axe_violations(page)
    assert not violations, violations


def test_day_plan_is_approved_then_published(page, live_server, app, session_factory):  # type: ignore[no-untyped-def]
    _plan_the_example_day(page, live_server, "redaktor@exempelkommun")
    assert page.get_by_role("button", name="Godkänn rutterna").count() == 0  # nothing to decide while computing
    _run_jobs(app, session_factory)
    _wait_for_the_reload_that_shows(page, "#ruttstatus", "förslag")
    assert "förslag" in page.locator("#ruttstatus").inner_text()
    page.get_by_role("button", name="Godkänn rutterna").click()
    page.wait_for_url("**meddelande=godkant**")
    assert "Rutterna är godkända." in page.get_by_role("status").inner_text()
    assert "Godkänt av" in page.content()
    violations = axe_violations(page)
    assert not violations, violations
    page.get_by_role("button", name="Publicera rutterna").click()
    page.wait_for_url("**meddelande=publicerat**")
    assert "publicerat" in page.locator("#ruttstatus").inner_text()
    assert "Publicerad version 1" in page.content()
    with session_factory() as session:
        plan = session.scalars(select(RoutePlan)).one()
        assert plan.status == "publicerad" and plan.published_plan == plan.plan and plan.approved_by_name
