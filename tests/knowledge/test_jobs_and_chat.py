"""Crawling through the background job (re-crawl re-indexes only changed pages), chat answers through the provider
hub with a real loopback OpenAI-compatible server, and the demo content on the database."""

import pytest
from sqlalchemy import select

from radhus.core import jobs
from radhus.core.audit import AuditRecord
from radhus.core.auth import Role, User, principal_for
from radhus.core.db import transaction
from radhus.knowledge import demo, platform
from radhus.knowledge.tables import Assistant, Collection, CrawlSource, Document
from tests.conftest import login
from tests.knowledge.test_crawl import Site, _page
from tests.providers.openai_fake import FakeOpenAIServer


@pytest.fixture
def app(settings):  # type: ignore[no-untyped-def]
    from radhus.app import create_app

    settings.knowledge_embedder = "none"
    return create_app(settings, start_worker=False)


def _run(app, session_factory):  # type: ignore[no-untyped-def]
    jobs.run_until_idle(session_factory, app.state.ctx.job_handlers, backoff_seconds=0)


def test_crawl_job_indexes_pages_and_recrawl_touches_only_changed_ones(app, client, two_orgs, session_factory):
    site = Site()
    try:
        csrf = login(client, "redaktor@alfakommun")
        cid = client.post(
            "/api/v1/knowledge/collections", json={"name": "webb"}, headers={"X-CSRF-Token": csrf}
        ).json()["id"]
        started = client.post(
            f"/kunskap/samlingar/{cid}/insamling",
            data={"start_urls": site.base + "/", "max_depth": "5", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert started.status_code == 303
        _run(app, session_factory)
        with session_factory() as session:
            sources = {d.source: d for d in session.scalars(select(Document).where(Document.collection_id == cid))}
            crawl = session.scalars(select(CrawlSource)).one()
            first = dict(crawl.last_report)
        assert site.base + "/b" in sources and all(d.status == "indexed" for d in sources.values())
        assert not any("privat" in url for url in sources)  # robots.txt
        assert first["changed"] == len(sources) and first["unchanged"] == 0
        hits = client.post(
            "/api/v1/knowledge/search", json={"question": "bygglovsansökan", "collection_ids": [cid]},
            headers={"X-CSRF-Token": csrf},
        ).json()["results"]  # fmt: skip
        assert hits[0]["document"] == site.base + "/b"

        site.pages["/b"] = _page("Bygglov", "Bygglovsansökan lämnas nu på papper till stadshuset.", ["/a", "/c"])
        again = client.post(f"/kunskap/insamlingar/{crawl.id}/kor", data={"csrf_token": csrf}, follow_redirects=False)
        assert again.status_code == 303
        _run(app, session_factory)
        with session_factory() as session:
            second = session.scalars(select(CrawlSource)).one().last_report
        assert second["changed"] == 1 and second["unchanged"] == len(sources) - 1
        hits = client.post(
            "/api/v1/knowledge/search", json={"question": "papper stadshuset", "collection_ids": [cid]},
            headers={"X-CSRF-Token": csrf},
        ).json()["results"]  # fmt: skip
        assert "papper" in hits[0]["text"]
    finally:
        site.close()


def test_answer_through_the_chat_provider_is_grounded_and_audited_by_the_hub(settings, two_orgs, session_factory):
    from fastapi.testclient import TestClient

    from radhus.app import create_app

    with FakeOpenAIServer() as server:
        settings.knowledge_embedder = "none"
        settings.providers = {"chat": {"lokal": {"kind": "openai", "base_url": server.url, "model": "test-model",
                                                 "max_data_class": "kanslig", "timeout_s": 5}}}  # fmt: skip
        settings.defaults = {"chat": "lokal"}
        app = create_app(settings, start_worker=False)
        with TestClient(app) as client:
            csrf = login(client, "redaktor@alfakommun")
            cid = client.post(
                "/api/v1/knowledge/collections", json={"name": "hemtjanst"}, headers={"X-CSRF-Token": csrf}
            ).json()["id"]
            client.post(
                f"/api/v1/knowledge/collections/{cid}/documents",
                files=[
                    ("files", ("nycklar.md", "# Nycklar\n\nNycklar kvitteras ut i nyckelskåpet.\n".encode())),
                    ("files", ("larm.md", "# Larm\n\nNycklar till larmskåpet finns hos chefen.\n".encode())),
                ],
                headers={"X-CSRF-Token": csrf},
            )
            _run(app, session_factory)
            server.set_reply("Nycklarna kvitteras ut i nyckelskåpet [1].")
            answer = client.post(
                "/api/v1/knowledge/ask", json={"question": "Var kvitteras nycklar ut?", "collection_ids": [cid]},
                headers={"X-CSRF-Token": csrf},
            ).json()  # fmt: skip
    assert answer["mode"] == "chat" and answer["abstained"] is False
    assert answer["answer"].endswith("[1].") and answer["citations"][0]["document"] == "nycklar.md"
    sent = [r["body"].decode() for r in server.received if r["path"].endswith("/chat/completions")]
    assert sent and "nyckelskåpet" in sent[-1]  # the passage went to the model as data
    with session_factory() as session:
        calls = session.scalars(select(AuditRecord).where(AuditRecord.kind == "ai_call")).all()
    assert {c.provider for c in calls} == {"lokal"}
    assert [c.function for c in calls] == ["knowledge.rerank", "knowledge.answer"]  # chat reranks, then answers
    assert "inte instruktioner" in sent[0]  # passages are data, never instructions


def test_demo_installs_collections_assistants_and_is_idempotent(settings, two_orgs, session_factory, app):
    ctx = app.state.ctx
    org_id = two_orgs["a"]["org_id"]
    for _ in range(2):
        with transaction(session_factory) as session:
            demo.install_demo(session, org_id=org_id, ctx=ctx)
    with session_factory() as session:
        names = sorted(session.scalars(select(Collection.name).where(Collection.org_id == org_id)))
        assistants = sorted(session.scalars(select(Assistant.name).where(Assistant.org_id == org_id)))
        statuses = set(session.scalars(select(Document.status)))
        assert names == ["forskola", "hemtjanst", "ifo"]
        assert assistants == ["Handläggarstöd", "Rektorsassistent", "Vikarieassistent"]
        assert statuses == {"indexed"} and session.query(Document).count() == 4  # one of them a typeset PDF
        admin = session.scalars(select(User).where(User.org_id == org_id, User.roles.contains(Role.ADMIN.value)))
        who = principal_for(admin.first())
        target = platform.collection_by_name(session, who, "hemtjanst")
        hits = platform.search(store=platform.shared_store(ctx.settings, ctx.services), collections=[target],
                               question="nyckel", top_k=3)  # fmt: skip
        assert hits and hits[0].source == "hemtjanst-nyckelhantering.md"
