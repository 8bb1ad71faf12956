"""Several processes on one data directory (the web app beside `radhus ingest` or `radhus worker`): each one sees
the others' additions and deletions without a restart, and concurrent writers keep the index consistent."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from radhus.core import jobs
from radhus.core.db import transaction
from radhus.knowledge import cli as knowledge_cli
from radhus.knowledge import index as index_module
from radhus.knowledge import service
from radhus.knowledge.parsers import parse_bytes
from radhus.knowledge.tables import Document
from radhus.web.deps import AppContext
from tests.conftest import login

ORG = "org1"


def _write(store: service.KnowledgeStore, name: str, text: str) -> None:
    parsed = parse_bytes(text.encode(), filename=name)
    with store.writing(org=ORG) as index:
        service.index_document(index=index, collection_id="c", document=parsed, source=name)


def _sources(store: service.KnowledgeStore, query: str) -> list[str]:
    return [hit.source for hit in store.index(org=ORG).search(query, ["c"], 5)]


def test_two_stores_on_one_data_dir_see_each_others_writes_and_deletions(tmp_path):
    web = service.KnowledgeStore(data_dir=tmp_path)
    cli = service.KnowledgeStore(data_dir=tmp_path)
    try:
        assert _sources(web, "hemtjänst") == []  # the web process has its index loaded (empty)
        _write(cli, "hemtjanst.md", "# Hemtjänst\n\nHemtjänst beviljas efter en biståndsbedömning.\n")
        assert _sources(web, "hemtjänst biståndsbedömning") == ["hemtjanst.md"]

        # The web process writes next: it must reload first, or its term numbers would clash with the CLI's.
        _write(web, "fardtjanst.md", "# Färdtjänst\n\nFärdtjänst söks hos regionen med ett läkarintyg.\n")
        for store in (cli, web, service.KnowledgeStore(data_dir=tmp_path)):
            assert _sources(store, "läkarintyg regionen") == ["fardtjanst.md"]
            assert _sources(store, "biståndsbedömning") == ["hemtjanst.md"]

        with cli.writing(org=ORG) as index:
            index.delete_document(service.document_id_for("c", "hemtjanst.md"))
        assert _sources(web, "biståndsbedömning") == []
        assert _sources(web, "läkarintyg") == ["fardtjanst.md"]
    finally:
        web.close()
        cli.close()


def test_a_reader_keeps_answering_from_its_loaded_index_while_another_process_writes(tmp_path):
    web = service.KnowledgeStore(data_dir=tmp_path)
    worker = service.KnowledgeStore(data_dir=tmp_path)
    try:
        _write(web, "a.md", "# Larm\n\nTrygghetslarm installeras inom två veckor.\n")
        _write(worker, "b.md", "# Nycklar\n\nNyckelgömma monteras vid entrén.\n")
        with worker.writing(org=ORG):  # e.g. a long vector batch in `radhus worker`
            started = time.monotonic()
            assert _sources(web, "trygghetslarm") == ["a.md"]  # the loaded index, at once
            assert _sources(web, "nyckelgömma") == []  # not reloaded while the other process writes
            assert time.monotonic() - started < 2
        assert _sources(web, "nyckelgömma") == ["b.md"]  # reloaded once the writer is done
    finally:
        web.close()
        worker.close()


def _ranking(store: service.KnowledgeStore, query: str) -> list[tuple[str, float]]:
    hits = store.index(org=ORG).search(query, ["c"], 10, mode="lexical")
    return [(hit.chunk_id, round(hit.score, 5)) for hit in hits]


QUERIES = ["hemtjänst", "trygghetslarm nyckelgömma", "läkarintyg regionen", "avgift"]


@pytest.fixture
def store(tmp_path):  # type: ignore[no-untyped-def]
    """Makes stores on one data directory, as separate processes would have; all closed afterwards."""
    made: list[service.KnowledgeStore] = []

    def make() -> service.KnowledgeStore:
        made.append(service.KnowledgeStore(data_dir=tmp_path))
        return made[-1]

    yield make
    for each in made:
        each.close()


def test_a_reader_catches_up_with_another_process_without_reloading_everything(store):
    web, worker = store(), store()
    _write(web, "a.md", "# Hemtjänst\n\nHemtjänst beviljas efter en biståndsbedömning. Avgift enligt maxtaxan.\n")
    loaded = web.index(org=ORG)
    _write(worker, "b.md", "# Larm\n\nTrygghetslarm och nyckelgömma monteras vid entrén.\n")
    _write(worker, "c.md", "# Färdtjänst\n\nFärdtjänst söks hos regionen med ett läkarintyg. Ingen avgift.\n")
    with worker.writing(org=ORG) as index:
        index.delete_document(service.document_id_for("c", "a.md"))
        slots = [slot for slot, _text in index.pending_passages("c", limit=1)]
        index.set_vectors(slots, np.ones((len(slots), index.dim), dtype=np.float32))

    caught_up = web.index(org=ORG)
    assert caught_up is loaded  # the same object, brought up to date
    fresh = store()
    for query in QUERIES:
        assert _ranking(web, query) == _ranking(fresh, query)
    assert _sources(web, "trygghetslarm") == ["b.md"] and _sources(web, "biståndsbedömning") == []
    assert caught_up.pending_count() == fresh.index(org=ORG).pending_count()
    assert int(caught_up._has_vector.sum()) == len(slots) == 1


def test_a_reader_reopens_when_the_change_log_no_longer_reaches_back(store, monkeypatch):
    monkeypatch.setattr(service, "CHANGE_LOG_KEEP", 2)
    web, worker = store(), store()
    _write(web, "a.md", "# Hemtjänst\n\nHemtjänst beviljas efter en biståndsbedömning.\n")
    loaded = web.index(org=ORG)
    for name in ("b", "c", "d"):
        _write(worker, f"{name}.md", f"# Avgift {name}\n\nAvgift för trygghetslarm, del {name}.\n")
    assert web.index(org=ORG) is not loaded
    fresh = store()
    for query in QUERIES:
        assert _ranking(web, query) == _ranking(fresh, query)


def test_a_reader_reopens_after_another_process_compacted_the_index(store, monkeypatch):
    monkeypatch.setattr(index_module, "COMPACT_MIN_DEAD", 1)
    web, worker = store(), store()
    for name in ("a", "b", "c"):
        _write(web, f"{name}.md", f"# Avgift {name}\n\nAvgift för trygghetslarm, del {name}.\n\nMer om {name}.")
    loaded = web.index(org=ORG)
    with worker.writing(org=ORG) as index:
        index.delete_document(service.document_id_for("c", "a.md"))
        index.delete_document(service.document_id_for("c", "b.md"))
        assert index._meta("generation") == 1
    assert web.index(org=ORG) is not loaded
    assert _sources(web, "trygghetslarm avgift") == ["c.md"]


def test_concurrent_writers_in_two_stores_lose_nothing(tmp_path):
    stores = [service.KnowledgeStore(data_dir=tmp_path) for _ in range(2)]
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            for i in range(6):
                word = f"ord{number}x{i}"
                _write(stores[number], f"d{number}-{i}.md", f"# Dok {word}\n\nStycket handlar om {word}.\n")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert not errors
        fresh = service.KnowledgeStore(data_dir=tmp_path)
        for number in range(2):
            for i in range(6):
                assert _sources(fresh, f"ord{number}x{i}") == [f"d{number}-{i}.md"]
                assert _sources(stores[1 - number], f"ord{number}x{i}") == [f"d{number}-{i}.md"]
        fresh.close()
    finally:
        for store in stores:
            store.close()


def test_cli_ingest_beside_the_running_web_app_is_searchable_there_at_once(settings, two_orgs, tmp_path):
    from fastapi.testclient import TestClient

    from radhus.app import create_app

    settings.knowledge_embedder = "none"
    app = create_app(settings, start_worker=False)
    doc = tmp_path / "avgift.md"
    doc.write_text("# Avgifter\n\nAvgiften för trygghetslarm är 250 kronor i månaden.\n", encoding="utf-8")
    env = {**os.environ, "RADHUS_DATABASE_URL": settings.resolved_database_url,
           "RADHUS_DATA_DIR": str(settings.data_dir), "RADHUS_KNOWLEDGE_EMBEDDER": "none"}  # fmt: skip
    radhus = str(Path(sys.executable).parent / "radhus")
    with TestClient(app) as client:
        csrf = login(client, "redaktor@alfakommun")
        headers = {"X-CSRF-Token": csrf}
        cid = client.post("/api/v1/knowledge/collections", json={"name": "avgifter"}, headers=headers).json()["id"]

        def search() -> list[str]:
            body = {"question": "trygghetslarm avgift", "collection_ids": [cid]}
            found = client.post("/api/v1/knowledge/search", json=body, headers=headers).json()["results"]
            return [r["document"] for r in found]

        assert search() == []  # the web process has opened its index
        done = subprocess.run([radhus, "ingest", "--org", "alfakommun", "--collection", "avgifter", str(doc)],
                              env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert search() == ["avgift.md"]

        with app.state.ctx.session_factory() as session:
            document_id = session.scalars(select(Document.id).where(Document.collection_id == cid)).one()
        removed = client.delete(f"/api/v1/knowledge/documents/{document_id}", headers=headers)
        assert removed.status_code == 200
        found = subprocess.run([radhus, "search", "--org", "alfakommun", "--collection", "avgifter", "--json",
                                "trygghetslarm"], env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert found.returncode == 0 and '"results": []' in found.stdout.replace('"results":[]', '"results": []')


def test_cli_waits_for_its_job_when_another_process_claimed_it(settings, two_orgs, session_factory):
    ctx = AppContext(settings=settings, session_factory=session_factory)
    with transaction(session_factory) as session:
        job = jobs.enqueue(session, org_id=two_orgs["a"]["org_id"], kind="other.process", title="t", payload={})
        job.status = jobs.JobStatus.RUNNING  # claimed by e.g. the web app's worker
        job_id = job.id

    def finish_later() -> None:
        time.sleep(0.6)
        with transaction(session_factory) as session:
            claimed = session.get(jobs.Job, job_id)
            assert claimed is not None
            claimed.status = jobs.JobStatus.DONE

    other = threading.Thread(target=finish_later)
    started = time.monotonic()
    other.start()
    knowledge_cli._wait_for_job(ctx, job_id, timeout_s=30)
    other.join(10)
    assert time.monotonic() - started >= 0.5
    with session_factory() as session:
        assert session.get(jobs.Job, job_id).status == jobs.JobStatus.DONE
