"""The chat page's streaming endpoint over real HTTP (Uvicorn on loopback) with a real OpenAI-compatible server
that streams its answer slowly: the text arrives in pieces before the finished answer with its citations; one
audited model call for the answer; abstention and the extractive default use the same endpoint."""

import json
import re
import socket
import threading
import time

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from radhus.core import jobs
from radhus.core.audit import AuditRecord
from radhus.knowledge.tables import QuestionLog
from tests.conftest import PASSWORD
from tests.providers.openai_fake import FakeOpenAIServer

REPLY = "Trygghetslarm kostar 250 kronor i månaden [1]."
WORD_DELAY_S = 0.15
DOCS = [
    ("avgifter.md", "# Avgifter\n\n## Trygghetslarm\n\nAvgiften för trygghetslarm är 250 kronor i månaden.\n"),
    ("nycklar.md", "# Nycklar\n\nNycklar kvitteras ut i nyckelskåpet på kontoret.\n"),
]


def slow_stream(handler, request) -> None:  # type: ignore[no-untyped-def]
    """A streamed reply one word at a time with a pause between words (non-streamed calls answer at once)."""
    if not request.get("stream"):
        handler._reply_ok(request)
        return
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    for index, word in enumerate(handler._answer_text(request).split(" ")):
        delta = {"choices": [{"index": 0, "delta": {"content": (" " if index else "") + word}}]}
        handler._chunk(f"data: {json.dumps(delta)}\n\n".encode())
        time.sleep(WORD_DELAY_S)
    handler._chunk(b'data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n')
    handler._chunk(b"data: [DONE]\n\n")
    handler.wfile.write(b"0\r\n\r\n")
    handler.wfile.flush()


def serve(app):  # type: ignore[no-untyped-def]
    """Run the app with Uvicorn on a free loopback port; returns (base URL, stop function)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started

    def stop() -> None:
        server.should_exit = True
        thread.join(10)

    return f"http://127.0.0.1:{port}", stop


def log_in(http: httpx.Client, username: str) -> str:
    page = http.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    done = http.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/"})
    assert done.status_code == 303, done.text[:500]
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', http.get("/konto").text)
    assert found, "the login did not take effect"
    return found.group(1)


def read_events(http: httpx.Client, data: dict) -> list[tuple[float, str, str]]:
    """POST to the streaming endpoint and read the events as they arrive: (seconds since start, kind, data)."""
    started = time.monotonic()
    events, kind = [], ""
    with http.stream("POST", "/kunskap/fraga/strom", data=data, headers={"Accept": "text/event-stream"}) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                events.append((time.monotonic() - started, kind, json.loads(line[5:])))
    return events


def _collection_with_docs(http, app, session_factory) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    """Log in as an editor, create the collection "omsorg" with DOCS, index them; (CSRF token, collection id)."""
    csrf = log_in(http, "redaktor@alfakommun")
    headers = {"X-CSRF-Token": csrf}
    cid = http.post("/api/v1/knowledge/collections", json={"name": "omsorg"}, headers=headers).json()["id"]
    files = [("files", (name, text.encode())) for name, text in DOCS]
    http.post(f"/api/v1/knowledge/collections/{cid}/documents", files=files, headers=headers)
    jobs.run_until_idle(session_factory, app.state.ctx.job_handlers, backoff_seconds=0)
    return csrf, cid


@pytest.fixture
def site(settings, two_orgs, session_factory):  # type: ignore[no-untyped-def]
    """The app with a chat provider (a slow streaming loopback server), a collection with two documents."""
    from radhus.app import create_app

    with FakeOpenAIServer() as model:
        settings.knowledge_embedder = "none"
        settings.providers = {"chat": {"lokal": {"kind": "openai", "base_url": model.url, "model": "test-model",
                                                 "max_data_class": "kanslig", "timeout_s": 10}}}  # fmt: skip
        settings.defaults = {"chat": "lokal"}
        app = create_app(settings, start_worker=False)
        base, stop = serve(app)
        try:
            with httpx.Client(base_url=base, timeout=30) as http:
                csrf, cid = _collection_with_docs(http, app, session_factory)
                yield {"http": http, "csrf": csrf, "cid": cid, "model": model, "settings": settings}
        finally:
            stop()


def _streamed(request: dict) -> bool:
    return request["method"] == "POST" and bool(json.loads(request["body"] or b"{}").get("stream"))


def _ai_calls(session_factory) -> list[AuditRecord]:  # type: ignore[no-untyped-def]
    with session_factory() as session:
        return list(session.scalars(select(AuditRecord).where(AuditRecord.kind == "ai_call").order_by(AuditRecord.seq)))


def test_the_answer_streams_in_pieces_then_arrives_with_citation_chips(site, session_factory):
    model = site["model"]
    model.set_reply(REPLY)
    model.script(*[slow_stream] * 4)
    before = len(_ai_calls(session_factory))
    events = read_events(site["http"], {"question": "Vad kostar trygghetslarm?", "collection_id": site["cid"],
                                        "csrf_token": site["csrf"]})  # fmt: skip
    deltas = [e for e in events if e[1] == "delta"]
    done = [e for e in events if e[1] == "done"]
    assert len(deltas) >= 5 and len(done) == 1 and events[-1][1] == "done"
    assert "".join(e[2] for e in deltas) == REPLY
    # pieces arrive while the model is still writing, well before the finished answer
    assert done[0][0] - deltas[0][0] >= (len(deltas) - 2) * WORD_DELAY_S * 0.8
    html = done[0][2]
    assert 'class="chip"' in html and "/kunskap/dokument/" in html and "[1] Avgifter" in html
    assert "250 kronor i månaden" in html and 'name="history" value="Vad kostar trygghetslarm?"' in html

    calls = _ai_calls(session_factory)[before:]
    assert [c.function for c in calls if c.function != "knowledge.rerank"] == ["knowledge.answer"]  # one call
    assert calls[-1].status == "ok" and calls[-1].provider == "lokal" and calls[-1].function == "knowledge.answer"
    with session_factory() as session:
        logged = session.scalars(select(QuestionLog).order_by(QuestionLog.id.desc())).first()
    assert logged.answer == REPLY and logged.citations[0]["document"] == "avgifter.md" and not logged.abstained
    streamed = [r for r in model.received if _streamed(r)]
    assert len(streamed) == 1 and "Avgiften för trygghetslarm" in streamed[0]["body"].decode()


def test_weak_evidence_abstains_without_asking_the_model_for_an_answer(site, session_factory):
    model = site["model"]
    model.set_reply(REPLY)
    asked = len(model.received)
    events = read_events(site["http"], {"question": "Hur bokar man konferensrum i stadshuset?",
                                        "collection_id": site["cid"], "csrf_token": site["csrf"]})  # fmt: skip
    assert [e[1] for e in events] == ["done"]
    assert "Jag hittar inget stöd för det i dokumenten." in events[0][2] and 'class="chip"' not in events[0][2]
    assert not any(_streamed(r) for r in model.received[asked:])


def test_errors_before_and_during_the_stream_are_clear(site):
    http = site["http"]
    empty = http.post("/kunskap/fraga/strom", data={"question": " ", "collection_id": site["cid"],
                                                    "csrf_token": site["csrf"]})  # fmt: skip
    assert empty.status_code == 422 and "Skriv en fråga" in empty.json()["detail"]
    missing = http.post("/kunskap/fraga/strom", data={"question": "x", "collection_id": 999999,
                                                      "csrf_token": site["csrf"]})  # fmt: skip
    assert missing.status_code == 404 and "finns inte" in missing.json()["detail"]
    no_csrf = http.post("/kunskap/fraga/strom", data={"question": "x", "collection_id": site["cid"]})
    assert no_csrf.status_code == 403
    site["model"].script("status:400")  # the model server refuses the answer request
    events = read_events(http, {"question": "Vad kostar trygghetslarm?", "collection_id": site["cid"],
                                "csrf_token": site["csrf"]})  # fmt: skip
    assert [e[1] for e in events] == ["error"]
    assert "lokal" in events[0][2] and "Traceback" not in events[0][2]  # the hub's Swedish message names it


def test_without_a_chat_model_the_same_endpoint_gives_the_extractive_answer(settings, two_orgs, session_factory):
    from radhus.app import create_app

    settings.knowledge_embedder = "none"
    app = create_app(settings, start_worker=False)
    base, stop = serve(app)
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            csrf, cid = _collection_with_docs(http, app, session_factory)
            events = read_events(http, {"question": "Vad kostar trygghetslarm?", "collection_id": cid,
                                        "csrf_token": csrf})  # fmt: skip
    finally:
        stop()
    assert [e[1] for e in events] == ["done"]
    assert re.search(r"250 kronor i månaden\.? \[1\]", events[0][2]) and 'class="chip"' in events[0][2]
    calls = _ai_calls(session_factory)
    assert [(c.function, c.provider, c.model) for c in calls] == [("knowledge.answer", "inbyggd", "extraktiv")]


def test_an_assistant_streams_under_its_own_registered_function(site, session_factory):
    http, csrf, model = site["http"], site["csrf"], site["model"]
    saved = http.post("/kunskap/assistenter", data={"slug": "omsorgsstod", "name": "Omsorgsstöd",
                                                    "instructions": "Svara kort.", "collection_ids": [str(site["cid"])],
                                                    "allowed_roles": ["redaktor"], "csrf_token": csrf})  # fmt: skip
    assert saved.status_code == 303
    assistant_id = http.get("/api/v1/knowledge/assistants").json()[0]["id"]
    model.set_reply(REPLY)
    model.script(*[slow_stream] * 4)
    before = len(_ai_calls(session_factory))
    events = read_events(http, {"question": "Vad kostar trygghetslarm?", "assistant_id": assistant_id,
                                "csrf_token": csrf})  # fmt: skip
    assert [e[1] for e in events][-1] == "done" and "".join(e[2] for e in events if e[1] == "delta") == REPLY
    calls = [c for c in _ai_calls(session_factory)[before:] if c.function != "knowledge.rerank"]
    assert [c.function for c in calls] == ["assistant.omsorgsstod"]
    sent = [r for r in model.received if _streamed(r)][-1]["body"].decode()
    assert "Svara kort." in sent  # the assistant's instructions reach the model
    with session_factory() as session:
        logged = session.scalars(select(QuestionLog).order_by(QuestionLog.id.desc())).first()
    assert logged.assistant_id == assistant_id and logged.answer == REPLY
