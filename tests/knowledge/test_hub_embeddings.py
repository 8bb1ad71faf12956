"""Knowledge vectors go through the provider hub: a configured OpenAI-compatible embeddings server (real, on loopback)
gets passages and queries, every call is audited, a känslig collection never reaches an öppen provider, and a
changed embedder makes the index drop its old vectors and re-embed them in a job."""

import json
from pathlib import Path

import numpy as np
from sqlalchemy import select
from typer.testing import CliRunner

from radhus.core import jobs
from radhus.core.audit import AuditRecord
from radhus.core.auth import Principal, User, principal_for
from radhus.core.db import transaction
from radhus.core.orgs import Organisation
from radhus.knowledge import jobs as knowledge_jobs
from radhus.knowledge import platform
from radhus.knowledge.embed import BUILTIN_IDENTITY, EmbedderIdentity
from radhus.knowledge.index import EmbeddedIndex
from radhus.knowledge.models import Chunk
from radhus.web.deps import AppContext
from tests.knowledge.embeddings_server import EmbeddingsServer

OPEN_DOC = """# Parkering i centrum

Boendeparkering kostar 300 kronor i månaden. Ansökan om boendeparkering görs i e-tjänsten zebrakod.
"""
SECRET_DOC = """# Ärende om bistånd

Sekretessmarkering hemligord gäller för personen med personnummer 19121212-1212 som söker hemtjänst.
"""


def _provider(url: str, *, model: str, max_class: str = "intern") -> dict:
    return {"kind": "openai", "base_url": url, "model": model, "max_data_class": max_class, "timeout_s": 5.0,
            "max_retries": 0}  # fmt: skip


def _context(settings, session_factory, **providers: dict) -> AppContext:
    """An app context whose settings configure the given embeddings providers (the first one is the default)."""
    updates: dict = {"providers": {"embeddings": providers}} if providers else {}
    if providers:
        updates["defaults"] = {"embeddings": next(iter(providers))}
    return AppContext(settings=settings.model_copy(update=updates), session_factory=session_factory)


def _admin(session_factory, slug: str = "alfakommun") -> Principal:
    with session_factory() as session:
        return principal_for(session.scalars(select(User).where(User.username == f"administrator@{slug}")).one())


def _ingest(ctx: AppContext, tmp_path: Path, who: Principal, *, collection: str, data_class: str, text: str) -> int:
    """Add one Markdown file to a collection and run the jobs (ingest, then embedding) until idle."""
    path = tmp_path / f"{collection}.md"
    path.write_text(text, encoding="utf-8")
    with transaction(ctx.session_factory) as session:
        target = platform.ensure_collection(session, who, name=collection, data_class=data_class)
        document = platform.add_local_file(session, who, settings=ctx.settings, collection=target, path=path)
        jobs.enqueue(session, org_id=who.org_id, kind=knowledge_jobs.INGEST, title="Läs in",
                     payload={"document_ids": [document.id]})  # fmt: skip
        collection_id = target.id
    _run_jobs(ctx)
    return collection_id


def _run_jobs(ctx: AppContext) -> None:
    jobs.run_until_idle(ctx.session_factory, knowledge_jobs.handlers(ctx), backoff_seconds=0)


def _search(ctx: AppContext, who: Principal, collection_ids: list[int], question: str):
    store = platform.shared_store(ctx.settings, ctx.services)
    with ctx.session_factory() as session:
        targets = [platform.get_collection(session, who, c) for c in collection_ids]
        return platform.search(store=store, collections=targets, question=question, top_k=5, who=who)


def _embedding_audits(session_factory) -> list[AuditRecord]:
    with session_factory() as session:
        return list(
            session.scalars(select(AuditRecord).where(AuditRecord.action == "embeddings").order_by(AuditRecord.seq))
        )


def test_configured_provider_embeds_passages_and_queries_and_every_call_is_audited(
    settings, session_factory, two_orgs, tmp_path
):
    with EmbeddingsServer(dim=32) as server:
        ctx = _context(settings, session_factory, moln=_provider(server.url, model="emb-a"))
        who = _admin(session_factory)
        try:
            cid = _ingest(ctx, tmp_path, who, collection="parkering", data_class="intern", text=OPEN_DOC)
            assert any("zebrakod" in text for text in server.inputs), "passages are embedded by the provider"
            hits = _search(ctx, who, [cid], "Vad kostar boendeparkering?")
        finally:
            platform.shared_store(ctx.settings, ctx.services).close()
        assert "Vad kostar boendeparkering?" in server.inputs, "the query is embedded by the provider"
        assert hits and "300 kronor" in hits[0].text and hits[0].dense_rank == 1
        records = _embedding_audits(session_factory)
        assert [(r.provider, r.model, r.data_class, r.status, r.function) for r in records] == [
            ("moln", "emb-a", "intern", "ok", "knowledge.search"),  # one batch of passages: one call
            ("moln", "emb-a", "intern", "ok", "knowledge.search"),  # the query
        ]
        assert records[-1].username == who.username and records[-1].org_id == who.org_id
        assert records[0].user_id is None  # the background job embeds on nobody's behalf


def test_kanslig_passages_and_queries_never_reach_an_oppen_provider(settings, session_factory, two_orgs, tmp_path):
    with EmbeddingsServer(dim=32) as server:
        ctx = _context(settings, session_factory, moln=_provider(server.url, model="emb-a", max_class="oppen"))
        who = _admin(session_factory)
        try:
            open_id = _ingest(ctx, tmp_path, who, collection="webb", data_class="oppen", text=OPEN_DOC)
            secret_id = _ingest(ctx, tmp_path, who, collection="arenden", data_class="kanslig", text=SECRET_DOC)
            secret_hits = _search(ctx, who, [secret_id], "hemligord sekretessmarkering")
            both_hits = _search(ctx, who, [open_id, secret_id], "boendeparkering hemligord")
            open_hits = _search(ctx, who, [open_id], "boendeparkering")
        finally:
            platform.shared_store(ctx.settings, ctx.services).close()
        sent = server.received_bytes
        assert b"zebrakod" in sent and b"boendeparkering" in sent  # the öppen collection and its query
        for secret in (b"hemligord", b"19121212", b"sekretessmarkering"):
            assert secret not in sent, "nothing of the känslig collection or of queries over it left the process"
        assert secret_hits and "hemligord" in secret_hits[0].text and secret_hits[0].dense_rank is None  # lexical
        assert {h.collection_id for h in both_hits} == {f"c{open_id}", f"c{secret_id}"}
        assert open_hits[0].dense_rank is not None
        refused = [r for r in _embedding_audits(session_factory) if r.status == "refused"]
        assert {r.data_class for r in refused} == {"kanslig"} and len(refused) == 3  # the passages and two queries
        with session_factory() as session:
            job = session.scalars(
                select(jobs.Job).where(jobs.Job.kind == knowledge_jobs.EMBED).order_by(jobs.Job.id.desc())
            ).first()
            assert job is not None and job.status == "done" and job.result["lexical_only"] == ["arenden"]


def test_redact_then_send_sends_kanslig_passages_without_personal_data(settings, session_factory, two_orgs, tmp_path):
    with transaction(session_factory) as session:
        session.scalars(select(Organisation).where(Organisation.slug == "alfakommun")).one().redact_then_send = True
    with EmbeddingsServer(dim=32) as server:
        ctx = _context(settings, session_factory, moln=_provider(server.url, model="emb-a", max_class="oppen"))
        who = _admin(session_factory)
        try:
            _ingest(ctx, tmp_path, who, collection="arenden", data_class="kanslig", text=SECRET_DOC)
        finally:
            platform.shared_store(ctx.settings, ctx.services).close()
        assert b"hemtj" in server.received_bytes and b"19121212" not in server.received_bytes
        assert [r.status for r in _embedding_audits(session_factory)] == ["redacted"]


def test_switching_embedder_drops_old_vectors_and_reembeds_in_a_job(settings, session_factory, two_orgs, tmp_path):
    who = _admin(session_factory)
    with EmbeddingsServer(dim=32) as first, EmbeddingsServer(dim=16) as second:
        ctx = _context(settings, session_factory, a=_provider(first.url, model="emb-a"))
        try:
            cid = _ingest(ctx, tmp_path, who, collection="parkering", data_class="intern", text=OPEN_DOC)
            assert _search(ctx, who, [cid], "boendeparkering kronor")[0].dense_rank == 1
        finally:
            platform.shared_store(ctx.settings, ctx.services).close()

        ctx = _context(settings, session_factory, b=_provider(second.url, model="emb-b"))  # configuration changed
        store = platform.shared_store(ctx.settings, ctx.services)
        try:
            during = _search(ctx, who, [cid], "boendeparkering kronor")
            assert during and during[0].dense_rank is None, "old vectors are never compared with the new model's"
            with session_factory() as session:
                queued = session.scalars(select(jobs.Job).where(jobs.Job.status == "queued")).all()
            assert [j.kind for j in queued] == [knowledge_jobs.EMBED]
            _run_jobs(ctx)
            with session_factory() as session:
                job = session.get(jobs.Job, queued[0].id)
                assert job is not None and job.status == "done" and job.progress == 1.0
                assert job.result["embedded"] >= 1 and "stycken har fått vektorer" in job.message
            assert any("zebrakod" in text for text in second.inputs)
            after = _search(ctx, who, [cid], "boendeparkering kronor")
            assert after[0].dense_rank == 1 and "300 kronor" in after[0].text
            index = store.index(org=platform.org_key(who.org_id))
            assert index.vectors_by == EmbedderIdentity("b", "emb-b", 16) and index.dim == 16
            assert index.pending_count() == 0
        finally:
            store.close()


def test_builtin_default_keeps_vectors_of_indexes_made_before_identities(settings, tmp_path):
    """Nothing configured: the built-in model through the hub; an index from before keeps its vectors."""
    path = Path(settings.data_dir) / "knowledge" / "org1" / "index"
    old = EmbeddedIndex(path)
    vector = np.ones((1, 384), dtype=np.float32) / np.sqrt(384)
    chunk = Chunk(chunk_id="x1", text="Boendeparkering kostar 300 kronor.", title="P", content_hash="h1")
    old.add_chunks("c1", "d1", [chunk], vectors=vector)
    old.close()
    store = platform.make_store(settings)
    try:
        assert store.embeddings is not None and store.embeddings.is_builtin
        assert store.embeddings.identity() == BUILTIN_IDENTITY
        index = store.index(org="org1")
        assert index.vectors_by == BUILTIN_IDENTITY and index.pending_count() == 0 and not index.vectors_reset
    finally:
        store.close()


def test_builtin_default_search_is_audited_as_the_builtin(settings, session_factory, two_orgs, tmp_path):
    ctx = _context(settings, session_factory)
    who = _admin(session_factory)
    try:
        cid = _ingest(ctx, tmp_path, who, collection="parkering", data_class="kanslig", text=OPEN_DOC)
        hits = _search(ctx, who, [cid], "Vad kostar boendeparkering?")
    finally:
        platform.shared_store(ctx.settings, ctx.services).close()
    assert hits[0].dense_rank == 1
    records = _embedding_audits(session_factory)
    assert {(r.provider, r.data_class, r.status) for r in records} == {("builtin", "kanslig", "ok")}
    assert len(records) == 2


def test_cli_search_reembeds_after_the_provider_changed(settings, two_orgs, tmp_path, monkeypatch):
    monkeypatch.setenv("RADHUS_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("RADHUS_DATA_DIR", str(settings.data_dir))
    (tmp_path / "parkering.md").write_text(OPEN_DOC, encoding="utf-8")
    runner = CliRunner()
    from radhus.cli import app

    with EmbeddingsServer(dim=32) as first, EmbeddingsServer(dim=16) as second:
        for name, server in (("a", first), ("b", second)):
            providers = {"embeddings": {name: _provider(server.url, model=name)}}
            monkeypatch.setenv("RADHUS_PROVIDERS", json.dumps(providers))
            monkeypatch.setenv("RADHUS_DEFAULTS", json.dumps({"embeddings": name}))
            if name == "a":
                ingest = ["ingest", "--org", "alfakommun", "--collection", "p", str(tmp_path / "parkering.md")]
                assert runner.invoke(app, ingest).exit_code == 0
            result = runner.invoke(app, ["search", "--org", "alfakommun", "--collection", "p", "--json", "kronor"])
            assert result.exit_code == 0, result.output
            results = json.loads(result.stdout)["results"]
            assert set(results[0]) == {"rank", "document", "title", "chunk_id", "text", "score"}
            assert "300 kronor" in results[0]["text"]
            assert any("zebrakod" in text for text in server.inputs) and "kronor" in server.inputs


def test_same_configuration_after_a_restart_keeps_the_vectors(settings, session_factory, two_orgs, tmp_path):
    who = _admin(session_factory)
    with EmbeddingsServer(dim=32) as server:
        for attempt in range(2):
            ctx = _context(settings, session_factory, moln=_provider(server.url, model="emb-a"))
            store = platform.shared_store(ctx.settings, ctx.services)
            try:
                if attempt == 0:
                    _ingest(ctx, tmp_path, who, collection="parkering", data_class="intern", text=OPEN_DOC)
                index = store.index(org=platform.org_key(who.org_id))
                assert not index.vectors_reset and index.pending_count() == 0
                assert index.vectors_by == EmbedderIdentity("moln", "emb-a", 32)
            finally:
                store.close()
        passages = [text for text in server.inputs if "zebrakod" in text]
        assert len(passages) == 1, "a restart with the same embedder embeds nothing again"


def test_unreachable_provider_leaves_search_lexical_and_the_job_failed(settings, session_factory, two_orgs, tmp_path):
    from tests.providers.openai_fake import free_port

    who = _admin(session_factory)
    ctx = _context(settings, session_factory, moln=_provider(f"http://127.0.0.1:{free_port()}/v1", model="emb-a"))
    try:
        cid = _ingest(ctx, tmp_path, who, collection="parkering", data_class="intern", text=OPEN_DOC)
        hits = _search(ctx, who, [cid], "boendeparkering kronor")
    finally:
        platform.shared_store(ctx.settings, ctx.services).close()
    assert hits and "300 kronor" in hits[0].text and hits[0].dense_rank is None
    with session_factory() as session:
        job = session.scalars(select(jobs.Job).where(jobs.Job.kind == knowledge_jobs.EMBED)).one()
        assert job.status == "failed" and "moln" in (job.error or "")
    assert {r.status for r in _embedding_audits(session_factory)} == {"failed"}


def test_an_answer_embeds_its_question_under_the_answer_function(settings, session_factory, two_orgs, tmp_path):
    who = _admin(session_factory)
    with EmbeddingsServer(dim=32) as server:
        ctx = _context(settings, session_factory, moln=_provider(server.url, model="emb-a"))
        store = platform.shared_store(ctx.settings, ctx.services)
        try:
            cid = _ingest(ctx, tmp_path, who, collection="parkering", data_class="intern", text=OPEN_DOC)
            with transaction(session_factory) as session:
                target = platform.get_collection(session, who, cid)
                result = platform.ask(session, who, store=store, collections=[target],
                                      question="Vad kostar boendeparkering?")  # fmt: skip
            lexical = platform.searcher(store=store, collections=[target], session_factory=session_factory)
            calls_before = len(server.inputs)
            assert lexical.search("boendeparkering", [target.index_key], 3, mode="lexical")
            assert len(server.inputs) == calls_before, "a lexical-only search makes no model call"
        finally:
            store.close()
    assert not result.answer.abstained and "300 kronor" in result.answer.citations[0].text
    assert "Vad kostar boendeparkering?" in server.inputs
    functions = [r.function for r in _embedding_audits(session_factory)]
    assert functions == ["knowledge.search", "knowledge.answer"]


def test_web_search_embeds_the_query_through_the_provider(settings, session_factory, two_orgs, tmp_path):
    from fastapi.testclient import TestClient

    from radhus.app import create_app
    from tests.conftest import login

    who = _admin(session_factory)
    with EmbeddingsServer(dim=32) as server:
        ctx = _context(settings, session_factory, moln=_provider(server.url, model="emb-a"))
        app = create_app(ctx.settings, start_worker=False)
        with TestClient(app) as client:
            app_ctx = app.state.ctx
            try:
                cid = _ingest(app_ctx, tmp_path, who, collection="parkering", data_class="intern", text=OPEN_DOC)
                csrf = login(client, who.username)
                body = {"question": "Vad kostar boendeparkering?", "collection_ids": [cid]}
                response = client.post("/api/v1/knowledge/search", headers={"X-CSRF-Token": csrf}, json=body)
            finally:
                platform.shared_store(app_ctx.settings, app_ctx.services).close()
    assert response.status_code == 200, response.text
    assert "300 kronor" in response.json()["results"][0]["text"]
    assert "Vad kostar boendeparkering?" in server.inputs
    query_audit = _embedding_audits(session_factory)[-1]
    assert query_audit.org_id == who.org_id and query_audit.status == "ok" and query_audit.provider == "moln"
    assert query_audit.username == who.username  # the query is audited under the person who searched


def test_cli_provider_option_chooses_the_embeddings_provider(settings, two_orgs, tmp_path, monkeypatch):
    monkeypatch.setenv("RADHUS_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("RADHUS_DATA_DIR", str(settings.data_dir))
    (tmp_path / "parkering.md").write_text(OPEN_DOC, encoding="utf-8")
    runner = CliRunner()
    from radhus.cli import app

    with EmbeddingsServer(dim=32) as server:
        monkeypatch.setenv("RADHUS_PROVIDERS", json.dumps({"embeddings": {"lokal": _provider(server.url, model="x")}}))
        base = ["--org", "alfakommun", "--collection", "p"]
        ingest = runner.invoke(app, ["ingest", *base, "--provider", "lokal", str(tmp_path / "parkering.md")])
        assert ingest.exit_code == 0, ingest.output
        assert any("zebrakod" in text for text in server.inputs)  # not the default: nothing configures it
        search = runner.invoke(app, ["search", *base, "--provider", "lokal", "--json", "kronor"])
        assert search.exit_code == 0, search.output
        assert "kronor" in server.inputs and "300 kronor" in json.loads(search.stdout)["results"][0]["text"]
        unknown = runner.invoke(app, ["search", *base, "--provider", "finns-ej", "--json", "kronor"])
    assert unknown.exit_code == 2 and "finns-ej" in unknown.output
