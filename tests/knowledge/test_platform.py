"""Knowledge on the platform: uploads through HTTP, ingest jobs on the real database, search, answers, assistants,
sharing, feedback and the editor view (lexical-only embedder for speed; vectors are covered by test_index)."""

import re

import pytest
from sqlalchemy import func, select

from radhus.core import jobs
from radhus.core.audit import AuditRecord
from radhus.core.register import RegisteredFunction
from radhus.knowledge.tables import Document, QuestionLog
from tests.conftest import login

GUIDE = """# Rutin för nyckelhantering i hemtjänsten

## Kvittering

Nycklar till brukarens bostad kvitteras ut av undersköterskan i nyckelskåpet och lämnas tillbaka samma dag.

## Borttappad nyckel

En borttappad nyckel anmäls genast till enhetschefen, som byter låscylinder inom 24 timmar.
"""


@pytest.fixture
def app(settings):  # type: ignore[no-untyped-def]
    from radhus.app import create_app

    settings.knowledge_embedder = "none"
    return create_app(settings, start_worker=False)


def _run_jobs(app, session_factory):  # type: ignore[no-untyped-def]
    return jobs.run_until_idle(session_factory, app.state.ctx.job_handlers, backoff_seconds=0)


def _collection(client, csrf, name="hemtjanst", **extra):  # type: ignore[no-untyped-def]
    response = client.post(
        "/api/v1/knowledge/collections",
        json={"name": name, "data_class": "intern", **extra},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 200, response.text
    return response.json()["id"]


def _upload(client, csrf, collection_id, files):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/knowledge/collections/{collection_id}/documents",
        files=[("files", (name, data)) for name, data in files],
        headers={"X-CSRF-Token": csrf},
    )


def test_upload_ingest_search_ask_and_a_bad_file_keeps_the_rest(app, client, two_orgs, session_factory):
    csrf = login(client, "redaktor@alfakommun")
    cid = _collection(client, csrf)
    response = _upload(client, csrf, cid, [("nycklar.md", GUIDE.encode()), ("trasig.pdf", b"%PDF-1.4 trasig")])
    assert response.status_code == 200 and response.json()["status"] == "queued"
    before = client.get(f"/api/v1/knowledge/collections/{cid}/documents").json()
    assert {d["status"] for d in before} == {"queued"}
    _run_jobs(app, session_factory)
    docs = {d["source"]: d for d in client.get(f"/api/v1/knowledge/collections/{cid}/documents").json()}
    assert docs["nycklar.md"]["status"] == "indexed" and docs["nycklar.md"]["chunks"] >= 1
    assert docs["trasig.pdf"]["status"] == "failed" and "skadad" in docs["trasig.pdf"]["error"]
    with session_factory() as session:
        job = session.scalars(select(jobs.Job).where(jobs.Job.kind == "knowledge.ingest")).one()
        assert job.status == "failed" and "trasig.pdf" in (job.error or "")

    hits = client.post(
        "/api/v1/knowledge/search",
        json={"question": "Vem byter låscylinder?", "collection_ids": [cid]},
        headers={"X-CSRF-Token": csrf},
    ).json()["results"]
    assert hits[0]["document"] == "nycklar.md" and "låscylinder" in hits[0]["text"]

    answer = client.post(
        "/api/v1/knowledge/ask",
        json={"question": "Till vem anmäls en borttappad nyckel?", "collection_ids": [cid]},
        headers={"X-CSRF-Token": csrf},
    ).json()
    assert answer["abstained"] is False and "enhetschefen" in answer["answer"]
    assert answer["citations"][0]["document"] == "nycklar.md" and answer["mode"] == "extractive"
    none = client.post(
        "/api/v1/knowledge/ask",
        json={"question": "Hur mycket kostar bygglov för en altan?", "collection_ids": [cid]},
        headers={"X-CSRF-Token": csrf},
    ).json()
    assert none["abstained"] is True and none["citations"] == []
    with session_factory() as session:
        calls = session.scalars(select(AuditRecord).where(AuditRecord.action == "knowledge.answer")).all()
        assert [c.model for c in calls] == ["extraktiv", "extraktiv"] and calls[1].status == "abstained"


def test_chat_page_citation_opens_highlighted_passage_and_feedback_reaches_editor(
    app, client, two_orgs, session_factory
):
    csrf = login(client, "redaktor@alfakommun")
    cid = _collection(client, csrf)
    assert _upload(client, csrf, cid, [("nycklar.md", GUIDE.encode())]).status_code == 200
    _run_jobs(app, session_factory)
    page = client.get(f"/kunskap/samlingar/{cid}/chatt")
    assert page.status_code == 200 and 'name="question"' in page.text
    fragment = client.post(
        "/kunskap/fraga",
        data={"question": "Vem byter låscylinder?", "collection_id": str(cid)},
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )
    assert fragment.status_code == 200 and "[1]" in fragment.text
    link = re.search(r'class="chip" href="([^"]+)"', fragment.text).group(1)
    chunk_id = link.split("stycke=")[1]
    document = client.get(link.replace("&amp;", "&"))
    assert document.status_code == 200
    assert f'id="stycke-{chunk_id}"' in document.text and "<mark>" in document.text
    assert "låscylinder" in document.text.split("<mark>")[1].split("</mark>")[0]
    question_id = int(re.search(r"/kunskap/fragor/(\d+)/betyg", fragment.text).group(1))
    rated = client.post(
        f"/kunskap/fragor/{question_id}/betyg",
        data={"rating": "-1", "comment": "Saknar telefonnummer"},
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )
    assert rated.status_code == 200 and "tumme ned" in rated.text
    editor = client.get("/kunskap/redaktor")
    assert (
        editor.status_code == 200 and "Saknar telefonnummer" in editor.text and "Vem byter låscylinder?" in editor.text
    )
    staff = login(client, "medarbetare@alfakommun")
    assert client.get("/kunskap/redaktor").status_code == 403
    theirs = client.post(
        f"/api/v1/knowledge/questions/{question_id}/feedback", json={"rating": 1}, headers={"X-CSRF-Token": staff}
    )
    assert theirs.status_code == 404  # only the asker rates an answer


def test_other_organisation_cannot_see_and_shared_collection_is_read_only(app, client, two_orgs, session_factory):
    csrf = login(client, "administrator@alfakommun")
    cid = _collection(client, csrf, name="gemensam")
    _upload(client, csrf, cid, [("nycklar.md", GUIDE.encode())])
    _run_jobs(app, session_factory)
    with session_factory() as session:
        doc_id = session.scalars(select(Document.id)).one()

    beta = login(client, "administrator@betakommun")
    missing = client.get("/api/v1/knowledge/collections/99999/documents")
    theirs = client.get(f"/api/v1/knowledge/collections/{cid}/documents")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["detail"].replace(str(cid), "N") == missing.json()["detail"].replace("99999", "N")
    assert client.get(f"/kunskap/dokument/{doc_id}").status_code == 404
    search = client.post(
        "/api/v1/knowledge/search", json={"question": "nyckel", "collection_ids": [cid]}, headers={"X-CSRF-Token": beta}
    )
    assert search.status_code == 404 and "låscylinder" not in search.text

    csrf = login(client, "administrator@alfakommun")
    shared = client.post(
        f"/kunskap/samlingar/{cid}/delning", data={"org_slug": "betakommun", "csrf_token": csrf}, follow_redirects=False
    )
    assert shared.status_code == 303
    beta = login(client, "administrator@betakommun")
    listed = client.get("/api/v1/knowledge/collections").json()
    assert [(c["id"], c["shared_with_us"]) for c in listed] == [(cid, True)]
    hits = client.post(
        "/api/v1/knowledge/search",
        json={"question": "låscylinder", "collection_ids": [cid]},
        headers={"X-CSRF-Token": beta},
    ).json()["results"]
    assert "låscylinder" in hits[0]["text"]
    assert client.get(f"/kunskap/dokument/{doc_id}").status_code == 200
    upload = _upload(client, beta, cid, [("x.md", b"# x\n\ntext")])
    assert upload.status_code == 403
    delete = client.delete(f"/api/v1/knowledge/documents/{doc_id}", headers={"X-CSRF-Token": beta})
    assert delete.status_code in (403, 404)


def test_assistant_is_registered_and_only_allowed_roles_may_use_it(app, client, two_orgs, session_factory):
    csrf = login(client, "redaktor@alfakommun")
    cid = _collection(client, csrf)
    _upload(client, csrf, cid, [("nycklar.md", GUIDE.encode())])
    _run_jobs(app, session_factory)
    saved = client.post(
        "/kunskap/assistenter",
        data={"slug": "hemtjanststod", "name": "Hemtjänststöd", "instructions": "Svara kort.",
              "collection_ids": [str(cid)], "allowed_roles": ["redaktor"], "csrf_token": csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert saved.status_code == 303
    with session_factory() as session:
        entry = session.scalars(select(RegisteredFunction).where(RegisteredFunction.key == "assistant.hemtjanststod"))
        assert entry.one().name == "Hemtjänststöd"
    assistant_id = client.get("/api/v1/knowledge/assistants").json()[0]["id"]
    ok = client.post(
        "/api/v1/knowledge/ask",
        json={"question": "Var kvitteras nycklar ut?", "assistant_id": assistant_id},
        headers={"X-CSRF-Token": csrf},
    )
    assert ok.status_code == 200 and "nyckelskåpet" in ok.json()["answer"]
    staff = login(client, "medarbetare@alfakommun")
    assert client.get("/api/v1/knowledge/assistants").json() == []
    refused = client.post(
        "/api/v1/knowledge/ask",
        json={"question": "Var kvitteras nycklar ut?", "assistant_id": assistant_id},
        headers={"X-CSRF-Token": staff},
    )
    assert refused.status_code == 403 and "nyckelskåpet" not in refused.text
    assert client.get(f"/kunskap/assistenter/{assistant_id}/chatt").status_code == 403
    with session_factory() as session:
        logged = session.scalar(
            select(func.count()).select_from(QuestionLog).where(QuestionLog.assistant_id.isnot(None))
        )
        assert logged == 1


def test_upload_over_the_limit_is_refused_and_pages_render(app, client, two_orgs, session_factory):
    app.state.ctx.settings.max_upload_mb = 1
    csrf = login(client, "redaktor@alfakommun")
    cid = _collection(client, csrf)
    big = _upload(client, csrf, cid, [("stor.txt", b"a" * (2 * 1024 * 1024))])
    assert big.status_code == 413 and "MB" in big.json()["detail"]
    assert client.get(f"/api/v1/knowledge/collections/{cid}/documents").json() == []
    for path in ("/kunskap", f"/kunskap/samlingar/{cid}", "/kunskap/assistenter", "/kunskap/redaktor"):
        assert client.get(path).status_code == 200, path


def test_role_restricted_collection_and_reupload_replaces_passages(app, client, two_orgs, session_factory):
    csrf = login(client, "redaktor@alfakommun")
    cid = _collection(client, csrf, name="granskning", allowed_roles=["granskare"])
    _upload(client, csrf, cid, [("rutin.md", GUIDE.encode())])
    _run_jobs(app, session_factory)
    _upload(client, csrf, cid, [("rutin.md", b"# Ny rutin\n\nNycklar kvitteras nu digitalt i appen Nyckelkoll.\n")])
    _run_jobs(app, session_factory)
    docs = client.get(f"/api/v1/knowledge/collections/{cid}/documents").json()
    assert len(docs) == 1 and docs[0]["status"] == "indexed"

    def search(question, token):  # type: ignore[no-untyped-def]
        return client.post(
            "/api/v1/knowledge/search",
            json={"question": question, "collection_ids": [cid]},
            headers={"X-CSRF-Token": token},
        )

    assert "Nyckelkoll" in search("Nyckelkoll", csrf).json()["results"][0]["text"]
    assert all("låscylinder" not in r["text"] for r in search("låscylinder", csrf).json()["results"])
    staff = login(client, "medarbetare@alfakommun")
    assert search("Nyckelkoll", staff).status_code == 404
    assert client.get("/api/v1/knowledge/collections").json() == []
    reviewer = login(client, "granskare@alfakommun")
    assert search("Nyckelkoll", reviewer).status_code == 200
