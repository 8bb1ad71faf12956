"""Knowledge base in headless Chromium: upload → indexed (HTMX polling) → ask in the chat → citation chip →
highlighted passage → thumbs down with a comment → visible in the editor view; axe checks on the way."""

import pytest

from radhus.core import jobs
from tests.browser.conftest import axe_violations, log_in

pytestmark = pytest.mark.browser

ROUTINE = """# Rutin för larm i särskilt boende

## Nattlarm

Larm från brukarens rum besvaras av nattpersonalen inom fem minuter och dokumenteras i larmloggen.

## Fel på larmet

Fel på trygghetslarmet anmäls till larmcentralen på telefon 010-100 10 10.
"""


@pytest.fixture
def app(settings):  # type: ignore[no-untyped-def]
    from radhus.app import create_app

    settings.knowledge_embedder = "none"
    return create_app(settings, start_worker=False)


def test_upload_ask_cite_and_rate(page, live_server, app, session_factory, tmp_path):
    log_in(page, live_server, "redaktor@exempelkommun")
    page.goto(live_server + "/kunskap")
    page.get_by_label("Namn").fill("boende")
    page.get_by_role("button", name="Skapa samling").click()
    page.wait_for_url("**/kunskap/samlingar/*")
    file = tmp_path / "larmrutin.md"
    file.write_text(ROUTINE, encoding="utf-8")
    page.get_by_label("Filer (PDF, DOCX, HTML, Markdown eller text, högst 100 MB)").set_input_files(str(file))
    page.get_by_role("button", name="Ladda upp").click()
    page.get_by_text("I kö").wait_for()
    assert not axe_violations(page)
    jobs.run_until_idle(session_factory, app.state.ctx.job_handlers, backoff_seconds=0)
    page.locator("tr[data-status=indexed]").get_by_text("Sökbar").wait_for(timeout=10_000)

    page.get_by_role("link", name="Ställ en fråga till samlingen").click()
    page.get_by_label("Din fråga").fill("Hur snabbt ska nattlarm besvaras?")
    page.get_by_role("button", name="Fråga", exact=True).click()
    answer = page.locator("article.answer")
    answer.wait_for()
    assert "fem minuter" in answer.locator(".answer-text").inner_text()
    assert not axe_violations(page)

    chip = answer.locator("a.chip").first
    assert chip.inner_text().startswith("[1]")
    chip.click()
    page.wait_for_url("**/kunskap/dokument/*")
    highlighted = page.locator(".passage.highlighted mark")
    assert "fem minuter" in highlighted.inner_text()
    assert "Nattlarm" in page.locator(".passage.highlighted .passage-place").inner_text()
    assert not axe_violations(page)

    page.go_back()
    answer = page.locator("article.answer").first
    if answer.count() == 0:  # the page came back without the swapped-in answer: ask again
        page.get_by_label("Din fråga").fill("Hur snabbt ska nattlarm besvaras?")
        page.get_by_role("button", name="Fråga", exact=True).click()
        answer = page.locator("article.answer").first
        answer.wait_for()
    answer.get_by_label("Kommentar om svaret (frivilligt)").fill("Vem ringer man på natten?")
    answer.get_by_role("button", name="Dåligt svar").click()
    page.get_by_text("Du gav tumme ned").wait_for()

    page.goto(live_server + "/kunskap/redaktor")
    row = page.get_by_role("row").filter(has_text="Vem ringer man på natten?")
    assert "Hur snabbt ska nattlarm besvaras?" in row.inner_text() and "Tumme ned" in row.inner_text()
    assert not axe_violations(page)
