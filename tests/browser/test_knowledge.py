"""Knowledge base in headless Chromium: upload → indexed (HTMX polling) → ask in the chat → citation chip →
highlighted passage → thumbs down with a comment → visible in the editor view; the answer streamed from a real
OpenAI-compatible server; follow-up questions; access by unit and user; axe checks on the way."""

import json
import time

import pytest
from sqlalchemy import select

from radhus.core import jobs
from radhus.core.auth import User, principal_for
from radhus.core.db import transaction
from radhus.knowledge import platform
from tests.browser.conftest import axe_violations, log_in
from tests.providers.openai_fake import FakeOpenAIServer

pytestmark = pytest.mark.browser

ROUTINE = """# Rutin för larm i särskilt boende

## Nattlarm

Larm från brukarens rum besvaras av nattpersonalen inom fem minuter och dokumenteras i larmloggen.

## Fel på larmet

Fel på trygghetslarmet anmäls till larmcentralen på telefon 010-100 10 10.
"""


HEMTJANST = """# Hemtjänst i Exempelkommun

## Vem kan få hemtjänst?

Du som bor i kommunen och behöver stöd i vardagen får ansöka om hemtjänst hos biståndshandläggaren.

## Avgift

Hemtjänsten kostar högst 2 540 kronor i månaden enligt maxtaxan. Avgiften beror på din inkomst.
"""
FARDTJANST = """# Färdtjänst

## Resor

En enkel resa med färdtjänst kostar 40 kronor inom kommunen.
"""
STREAMED = "Hemtjänsten kostar högst 2 540 kronor i månaden enligt maxtaxan [1]."
WORD_DELAY_S = 0.4


@pytest.fixture
def model():  # type: ignore[no-untyped-def]
    """A real OpenAI-compatible server on loopback that streams its answer a word at a time, slowly."""

    def slow(handler, request) -> None:  # type: ignore[no-untyped-def]
        if not request.get("stream"):
            handler._reply_ok(request)
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for index, word in enumerate(STREAMED.split(" ")):
            delta = {"choices": [{"index": 0, "delta": {"content": (" " if index else "") + word}}]}
            handler._chunk(f"data: {json.dumps(delta)}\n\n".encode())
            time.sleep(WORD_DELAY_S)
        handler._chunk(b"data: [DONE]\n\n")
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()

    with FakeOpenAIServer() as server:
        server.set_reply("1")
        server.script(*[slow] * 10)
        yield server


@pytest.fixture
def app(settings, request):  # type: ignore[no-untyped-def]
    from radhus.app import create_app

    settings.knowledge_embedder = "none"
    if "model" in request.fixturenames:
        server = request.getfixturevalue("model")
        settings.providers = {"chat": {"lokal": {"kind": "openai", "base_url": server.url, "model": "test-model",
                                                 "max_data_class": "kanslig", "timeout_s": 20}}}  # fmt: skip
        settings.defaults = {"chat": "lokal"}
    return create_app(settings, start_worker=False)


def _collection(app, session_factory, tmp_path, documents: dict[str, str], **access) -> int:  # type: ignore[no-untyped-def]
    """A collection of Exempelkommun with the documents indexed, made by its administrator."""
    ctx = app.state.ctx
    with transaction(session_factory) as session:
        admin = session.scalars(select(User).where(User.username == "administrator@exempelkommun")).one()
        who = principal_for(admin)
        collection = platform.create_collection(session, who, name="omsorg", **access)
        ids = []
        for name, text in documents.items():
            path = tmp_path / name
            path.write_text(text, encoding="utf-8")
            document = platform.add_local_file(session, who, settings=ctx.settings, collection=collection, path=path)
            ids.append(document.id)
        jobs.enqueue(session, org_id=who.org_id, kind="knowledge.ingest", title="t", payload={"document_ids": ids})
        collection_id = collection.id
    jobs.run_until_idle(session_factory, ctx.job_handlers, backoff_seconds=0)
    return collection_id


def _ask(page, question: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("Din fråga").fill(question)
    page.get_by_role("button", name="Fråga", exact=True).click()


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
    answer = page.locator("article.answer:not(.pending)")
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
    answer = page.locator("article.answer:not(.pending)").first
    if answer.count() == 0:  # the page came back without the swapped-in answer: ask again
        page.get_by_label("Din fråga").fill("Hur snabbt ska nattlarm besvaras?")
        page.get_by_role("button", name="Fråga", exact=True).click()
        answer = page.locator("article.answer:not(.pending)").first
        answer.wait_for()
    answer.get_by_label("Kommentar om svaret (frivilligt)").fill("Vem ringer man på natten?")
    answer.get_by_role("button", name="Dåligt svar").click()
    page.get_by_text("Du gav tumme ned").wait_for()

    page.goto(live_server + "/kunskap/redaktor")
    row = page.get_by_role("row").filter(has_text="Vem ringer man på natten?")
    assert "Hur snabbt ska nattlarm besvaras?" in row.inner_text() and "Tumme ned" in row.inner_text()
    assert not axe_violations(page)


def test_the_answer_streams_into_the_page_then_shows_citation_chips(
    model, page, live_server, app, session_factory, tmp_path
):
    cid = _collection(app, session_factory, tmp_path, {"hemtjanst.md": HEMTJANST, "fardtjanst.md": FARDTJANST})
    log_in(page, live_server, "medarbetare@exempelkommun")
    page.goto(f"{live_server}/kunskap/samlingar/{cid}/chatt")
    _ask(page, "Vad kostar hemtjänsten i månaden?")
    streaming = page.locator("article.answer.pending .answer-text")
    page.wait_for_function(
        "() => { const p = document.querySelector('article.answer.pending .answer-text');"
        " return p && p.textContent.split(' ').length >= 2; }"
    )
    partial = streaming.inner_text()
    assert partial and STREAMED.startswith(partial.strip()) and len(partial.strip()) < len(STREAMED)
    assert page.locator("article.answer a.chip").count() == 0  # no chips while the text is still coming
    final = page.locator("article.answer:not(.pending)")
    final.locator("a.chip").first.wait_for()
    assert final.locator(".answer-text").inner_text() == STREAMED
    assert final.locator("a.chip").first.inner_text().startswith("[1] Hemtjänst i Exempelkommun")
    assert page.locator("article.answer.pending").count() == 0
    assert page.get_by_label("Din fråga").input_value() == ""
    assert not axe_violations(page)
    final.get_by_role("button", name="Bra svar").click()  # the finished answer's form works (htmx processed)
    page.get_by_text("Du gav tumme upp").wait_for()


def test_a_follow_up_question_uses_the_conversation(page, live_server, app, session_factory, tmp_path):
    cid = _collection(app, session_factory, tmp_path, {"hemtjanst.md": HEMTJANST, "fardtjanst.md": FARDTJANST})
    log_in(page, live_server, "medarbetare@exempelkommun")
    page.goto(f"{live_server}/kunskap/samlingar/{cid}/chatt")
    _ask(page, "Vem får ansöka om hemtjänst?")
    page.locator("article.answer:not(.pending)").first.wait_for()
    _ask(page, "Vad kostar den?")
    second = page.locator("article.answer:not(.pending)").nth(1)
    second.wait_for()
    text = second.locator(".answer-text").inner_text()
    assert "2 540 kronor" in text and "färdtjänst" not in text.lower()

    page.goto(f"{live_server}/kunskap/samlingar/{cid}/chatt")  # a new conversation: the same words mean otherwise
    _ask(page, "Vad kostar den?")
    alone = page.locator("article.answer:not(.pending)").first
    alone.wait_for()
    assert "färdtjänst" in alone.locator(".answer-text").inner_text().lower()


def test_access_by_unit_is_set_on_the_collection_page(page, live_server, app, session_factory, tmp_path):
    from radhus.core import orgs

    with transaction(session_factory) as session:
        org_id = session.scalars(select(User.org_id).where(User.username == "redaktor@exempelkommun")).one()
        north = orgs.create_unit(session, org_id=org_id, name="Hemtjänst Norr")
        orgs.create_unit(session, org_id=org_id, name="Hemtjänst Söder")
        reviewer = session.scalars(select(User).where(User.username == "granskare@exempelkommun")).one()
        reviewer.unit_id = north.id
    cid = _collection(app, session_factory, tmp_path, {"hemtjanst.md": HEMTJANST})
    log_in(page, live_server, "redaktor@exempelkommun")
    page.goto(f"{live_server}/kunskap/samlingar/{cid}")
    assert "Alla i organisationen kan använda samlingen." in page.locator("#atkomst-nu").inner_text()
    page.get_by_label("Hemtjänst Norr").check()
    page.get_by_label("Enskilda användare (håll Ctrl för att välja flera)").select_option(  # the editor too:
        label=["Medarbetare Testsson (medarbetare@exempelkommun)", "Redaktör Testsson (redaktor@exempelkommun)"]
    )  # the collection was made by the administrator, so an editor not chosen would lose access
    page.get_by_role("button", name="Spara åtkomst").click()
    page.wait_for_url("**#atkomst")
    summary = page.locator("#atkomst-nu").inner_text()
    assert "Hemtjänst Norr" in summary and "Medarbetare Testsson" in summary and "Söder" not in summary
    assert page.get_by_label("Hemtjänst Norr").is_checked() and not page.get_by_label("Hemtjänst Söder").is_checked()
    assert not axe_violations(page)

    log_in(page, live_server, "revisor@exempelkommun")  # in no unit, not chosen
    page.goto(f"{live_server}/kunskap")
    assert page.get_by_role("link", name="omsorg", exact=True).count() == 0
    response = page.goto(f"{live_server}/kunskap/samlingar/{cid}/chatt")
    assert response is not None and response.status == 404
    log_in(page, live_server, "granskare@exempelkommun")  # in Hemtjänst Norr
    page.goto(f"{live_server}/kunskap/samlingar/{cid}/chatt")
    _ask(page, "Vad kostar hemtjänsten i månaden?")
    assert "2 540 kronor" in page.locator("article.answer:not(.pending) .answer-text").inner_text()
