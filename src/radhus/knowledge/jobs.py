"""Knowledge background jobs: ingest uploaded files (lexical at once), fill vectors later, crawl websites."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from sqlalchemy import select

from radhus.core import jobs
from radhus.core.db import utcnow
from radhus.core.jobs import JobContext, PermanentJobError
from radhus.knowledge import platform, service
from radhus.knowledge.crawl import CrawlConfig, PageRecord, crawl
from radhus.knowledge.models import ParsedDocument
from radhus.knowledge.tables import Collection, CrawlSource, Document

INGEST = "knowledge.ingest"
EMBED = platform.EMBED_JOB
CRAWL = "knowledge.crawl"


def handlers(ctx: Any) -> dict[str, Callable[[JobContext], dict | None]]:
    """The knowledge job handlers bound to the application context."""

    def store() -> service.KnowledgeStore:
        return platform.shared_store(ctx.settings, ctx.services)

    def queue_embedding(job: JobContext) -> None:
        if not store().dense_enabled:
            return
        with job.session_factory() as session:
            jobs.enqueue(session, org_id=job.org_id, kind=EMBED, title="Beräkna vektorer för betydelsesökning",
                         payload={})  # fmt: skip
            session.commit()
        if getattr(ctx, "worker", None) is not None:
            ctx.worker.wake()

    def ingest(job: JobContext) -> dict:
        ids = [int(i) for i in job.payload.get("document_ids", [])]
        max_bytes = ctx.settings.max_upload_mb * 1024 * 1024
        failed: list[str] = []
        for number, document_id in enumerate(ids, start=1):
            job.progress((number - 1) / max(len(ids), 1), f"Läser in dokument {number} av {len(ids)}")
            with job.session_factory() as session:
                document = session.get(Document, document_id)
                if document is None or document.org_id != job.org_id:
                    continue
                collection = session.get(Collection, document.collection_id)
                assert collection is not None
                platform.index_stored_document(store=store(), document=document, collection=collection,
                                               max_bytes=max_bytes)  # fmt: skip
                if document.status == "failed":
                    failed.append(f"{document.source}: {document.error}")
                session.commit()
        job.progress(1.0, f"{len(ids) - len(failed)} av {len(ids)} dokument inlästa")
        if len(failed) < len(ids):
            queue_embedding(job)
        if failed:
            raise PermanentJobError(f"{len(failed)} av {len(ids)} filer kunde inte läsas in: " + "; ".join(failed))
        return {"indexed": len(ids)}

    def embed(job: JobContext) -> dict:
        knowledge = store()
        if knowledge.embeddings is not None:  # the platform's way: through the provider hub, audited
            return platform.embed_pending(store=knowledge, session_factory=job.session_factory, org_id=job.org_id,
                                          progress=job.progress)  # fmt: skip
        total = 0
        while True:  # a plain embedder (benchmarks): bounded by the passages waiting, a batch at a time
            with knowledge.writing(org=platform.org_key(job.org_id)) as index:
                done = index.fill_vectors(limit=platform.EMBED_BATCH)
            total += done
            if done == 0:
                break
            job.progress(0.5, f"{total} stycken har fått vektorer")
        return {"embedded": total}

    def crawl_job(job: JobContext) -> dict:
        with job.session_factory() as session:
            source = session.get(CrawlSource, int(job.payload.get("source_id", 0)))
            if source is None or source.org_id != job.org_id:
                raise PermanentJobError("Webbinsamlingen finns inte längre.")
            collection = session.get(Collection, source.collection_id)
            assert collection is not None
            config = CrawlConfig(start_urls=list(source.start_urls), allowed_domains=list(source.allowed_domains),
                                 max_depth=source.max_depth, max_pages=source.max_pages)  # fmt: skip
            state = {url: PageRecord(**record) for url, record in (source.state or {}).items()}
            collection_id, index_key = collection.id, collection.index_key
        indexed: list[tuple[str, ParsedDocument, service.FileResult]] = []

        def changed(url: str, parsed: ParsedDocument) -> None:
            with store().writing(org=platform.org_key(job.org_id)) as index:
                result = service.index_document(index=index, collection_id=index_key, document=parsed, source=url)
            indexed.append((url, parsed, result))
            job.progress(min(0.9, len(indexed) / max(config.max_pages, 1)), f"Indexerade {url[:200]}")

        report = crawl(config=config, state=state, on_changed=changed)
        with job.session_factory() as session:
            for url, parsed, result in indexed:
                row = session.scalar(
                    select(Document).where(Document.collection_id == collection_id, Document.source == url[:1000])
                )
                row = row or Document(org_id=job.org_id, collection_id=collection_id, source=url[:1000])
                text = "\n".join(b.text for b in parsed.blocks)
                row.status, row.error, row.title, row.chunks = "indexed", "", parsed.title[:500], result.chunks
                row.index_id, row.bytes = result.document_id, len(text.encode())
                row.sha256 = hashlib.sha256(text.encode()).hexdigest()
                session.add(row)
            source = session.get(CrawlSource, int(job.payload["source_id"]))
            assert source is not None
            source.state = {url: asdict(record) for url, record in state.items()}
            source.last_report = {
                "fetched": report.fetched, "changed": len(report.changed), "unchanged": len(report.unchanged),
                "disallowed": len(report.disallowed), "errors": report.errors, "stopped_reason": report.stopped_reason,
            }  # fmt: skip
            source.last_run_at = utcnow()
            session.commit()
            summary = dict(source.last_report)
        if summary["changed"]:
            queue_embedding(job)
        return summary

    return {INGEST: ingest, EMBED: embed, CRAWL: crawl_job}
