"""A cited PDF in headless Chromium: ask in the chat over an uploaded PDF, click the citation chip, and the cited
page is shown as an image (loaded) with the passage marked by boxes over it; page through; axe checks."""

import pytest
from sqlalchemy import select

from radhus.core import jobs
from radhus.core.auth import User, principal_for
from radhus.core.db import transaction
from radhus.knowledge import platform
from tests.browser.conftest import axe_violations, log_in
from tests.knowledge.conftest import make_pdf

pytestmark = pytest.mark.browser

INTRO = "\n".join(f"Riktlinjen beskriver hur hemtjänsten planeras och följs upp, del {i}." for i in range(14))
FEES = "Avgiften för trygghetslarm är 250 kronor i månaden.\n" + "\n".join(
    f"Larmet testas av brukaren en gång i månaden, kontroll nummer {i}." for i in range(10)
)


@pytest.fixture
def app(settings):  # type: ignore[no-untyped-def]
    from radhus.app import create_app

    settings.knowledge_embedder = "none"
    return create_app(settings, start_worker=False)


def _pdf_collection(app, session_factory, tmp_path) -> int:  # type: ignore[no-untyped-def]
    ctx = app.state.ctx
    with transaction(session_factory) as session:
        admin = session.scalars(select(User).where(User.username == "administrator@exempelkommun")).one()
        who = principal_for(admin)
        collection = platform.create_collection(session, who, name="riktlinjer")
        path = tmp_path / "trygghetslarm.pdf"
        path.write_bytes(make_pdf([INTRO, FEES], title="Riktlinje för trygghetslarm"))
        document = platform.add_local_file(session, who, settings=ctx.settings, collection=collection, path=path)
        jobs.enqueue(session, org_id=who.org_id, kind="knowledge.ingest", title="t",
                     payload={"document_ids": [document.id]})  # fmt: skip
        collection_id = collection.id
    jobs.run_until_idle(session_factory, ctx.job_handlers, backoff_seconds=0)
    return collection_id


def _image_loaded(page) -> int:  # type: ignore[no-untyped-def]
    page.wait_for_function("() => { const i = document.querySelector('.pdf-frame img'); return i && i.complete; }")
    return page.evaluate("() => document.querySelector('.pdf-frame img').naturalWidth")


def test_a_citation_chip_opens_the_pdf_page_with_the_passage_marked(page, live_server, app, session_factory, tmp_path):
    cid = _pdf_collection(app, session_factory, tmp_path)
    log_in(page, live_server, "medarbetare@exempelkommun")
    page.goto(f"{live_server}/kunskap/samlingar/{cid}/chatt")
    page.get_by_label("Din fråga").fill("Vad kostar trygghetslarm i månaden?")
    page.get_by_role("button", name="Fråga", exact=True).click()
    answer = page.locator("article.answer:not(.pending)")
    answer.wait_for()
    assert "250 kronor" in answer.locator(".answer-text").inner_text()
    answer.locator("a.chip").first.click()
    page.wait_for_url("**/kunskap/dokument/*")

    assert page.get_by_role("heading", name="Sidan 2 av 2").is_visible()
    assert _image_loaded(page) == 1200
    image = page.locator(".pdf-frame img")
    assert "med det citerade stycket markerat" in (image.get_attribute("alt") or "")
    marks = page.locator(".pdf-frame .pdf-mark")
    assert marks.count() >= 1
    frame, first = image.bounding_box(), marks.first.bounding_box()
    assert frame and first and first["width"] > 20 and first["height"] > 5
    assert frame["x"] <= first["x"] and first["x"] + first["width"] <= frame["x"] + frame["width"]
    assert frame["y"] <= first["y"] < frame["y"] + frame["height"] * 0.1  # the passage opens page 2
    assert "250 kronor" in page.locator(".passage.highlighted mark").inner_text()  # the text stays below
    assert not axe_violations(page)

    page.get_by_role("link", name="Föregående sida").click()
    page.get_by_role("heading", name="Sidan 1 av 2").wait_for()
    assert _image_loaded(page) == 1200
    assert page.locator(".pdf-frame .pdf-mark").count() == 0
    assert "Det citerade stycket finns på sidan 2." in page.locator("#sidvisning").inner_text()
    assert page.get_by_role("link", name="Nästa sida").is_visible()
    assert not axe_violations(page)
    page.get_by_role("link", name="Visa sidan 2", exact=True).click()
    page.get_by_role("heading", name="Sidan 2 av 2").wait_for()
    assert page.locator(".pdf-frame .pdf-mark").count() == marks.count() >= 1
