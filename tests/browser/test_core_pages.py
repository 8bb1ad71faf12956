"""Core pages in headless Chromium: login, navigation, language switch, audit viewer, transparency page,
keyboard use, and zero serious or critical axe-core violations on every page."""

import pytest

from radhus.app import registered_routes
from tests.browser.conftest import axe_violations, log_in

pytestmark = pytest.mark.browser


def test_login_navigation_and_logout(page, live_server):
    page.goto(live_server + "/")
    assert page.url.endswith("/login")
    page.get_by_label("Användarnamn").fill("medarbetare@exempelkommun")
    page.get_by_label("Lösenord", exact=True).fill("fel lösenord")
    page.get_by_role("button", name="Logga in").click()
    assert "Fel användarnamn eller lösenord" in page.get_by_role("alert").inner_text()
    log_in(page, live_server, "medarbetare@exempelkommun")
    assert "Välkommen" in page.get_by_role("heading", level=1).inner_text()
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="AI-register").click()
    page.wait_for_url("**/ai-register")
    assert page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Granskningslogg").count() == 0
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/login")


def test_language_switch(page, live_server):
    log_in(page, live_server, "medarbetare@exempelkommun")
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Log out").is_visible()
    page.get_by_role("link", name="Svenska").click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="Logga ut").is_visible()


def test_audit_viewer_filters_and_exports(page, live_server):
    log_in(page, live_server, "revisor@exempelkommun")
    page.goto(live_server + "/granskning")
    rows = page.locator("#audit-table tbody tr")
    assert "login" in rows.first.inner_text()
    page.get_by_label("Typ").select_option("admin_change")
    page.get_by_role("button", name="Filtrera").click()
    page.wait_for_url("**kind=admin_change**")
    assert "Inga poster matchar" in page.locator("#audit-table").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Exportera CSV").click()
    assert download.value.suggested_filename == "granskningslogg.csv"


def test_transparency_page_without_login(page, live_server):
    page.goto(live_server + "/transparens/exempelkommun")
    assert "Så använder Exempelkommun AI" in page.get_by_role("heading", level=1).inner_text()


def test_keyboard_skip_link_and_visible_focus(page, live_server):
    page.goto(live_server + "/login")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert "Hoppa till innehållet" in focused
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_every_page_has_no_serious_accessibility_violations(page, live_server, app):
    """Every HTML page without path parameters, for a user holding every role, plus login and transparency."""
    log_in(page, live_server, "administrator@exempelkommun")
    pages = [
        path
        for method, path in registered_routes(app)
        if method == "GET" and "{" not in path and not path.startswith(("/api/", "/sprak", "/login/oidc"))
    ]
    pages += ["/transparens/exempelkommun"]
    problems = {}
    for path in pages:
        response = page.goto(live_server + path)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        violations = axe_violations(page)
        if violations:
            problems[path] = violations
    page.context.clear_cookies()
    page.goto(live_server + "/login")
    if violations := axe_violations(page):
        problems["/login (utloggad)"] = violations
    assert len(pages) >= 6
    assert not problems, problems


def test_the_accessibility_check_catches_a_broken_page(page):
    """The checker itself works: an unlabeled input and low contrast are reported."""
    page.set_content(
        '<html lang="sv"><body><main><input type="text">'
        '<p style="color:#ccc;background:#fff">svag kontrast</p></main></body></html>'
    )
    found = {v["id"] for v in axe_violations(page)}
    assert {"label", "color-contrast"} <= found
