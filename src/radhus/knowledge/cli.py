"""Knowledge commands on the platform database: `radhus ingest`, `radhus search`, `radhus ask`, `radhus eval`.

Each command acts for the organisation named with --org (as its administrator); collections are looked up in
that organisation only, so another organisation's collection answers "Samlingen X finns inte." (exit 2).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import select

from radhus.core import cli_support, jobs
from radhus.core.cli_support import echo_json, friendly_errors
from radhus.core.db import transaction
from radhus.core.errors import InvalidInput, RadhusError
from radhus.knowledge import jobs as knowledge_jobs
from radhus.knowledge import platform, service
from radhus.knowledge.answer import answer_question
from radhus.knowledge.embed import HubEmbeddings
from radhus.knowledge.evaluation import evaluate, load_qa
from radhus.knowledge.tables import Document
from radhus.web.deps import AppContext

INGEST_WAIT_S = 3600.0


EMBEDDINGS_PROVIDER_HELP = (
    "Leverantör av embeddings ur radhus.toml ([providers.embeddings.<namn>]) för den här körningen, i stället för "
    "knowledge_embedder. Byts modellen beräknas organisationens vektorer om."
)


def _context(embeddings_provider: str | None = None) -> AppContext:
    settings = cli_support.settings()
    if embeddings_provider:
        settings = settings.model_copy(update={"knowledge_embedder": embeddings_provider})
        chosen = HubEmbeddings(settings)
        if chosen.error is not None:  # named on the command line: an unusable provider is an error, not a fallback
            raise chosen.error
    return AppContext(settings=settings, session_factory=cli_support.session_factory(settings))


def _close(ctx: AppContext) -> None:
    store = ctx.services.get(platform.STORE_KEY)
    if store is not None:
        store.close()


@friendly_errors
def ingest(
    paths: list[Path] = typer.Argument(..., help="Filer eller mappar att läsa in."),
    org: str = typer.Option(..., "--org", help="Organisation."),
    collection: str = typer.Option(..., "--collection", help="Samlingens namn (skapas om den saknas)."),
    data_class: str = typer.Option(None, "--data-class", help="oppen, intern eller kanslig."),
    provider: str = typer.Option(None, "--provider", help=EMBEDDINGS_PROVIDER_HELP),
    json_output: bool = typer.Option(False, "--json", help="Skriv rapporten som JSON."),
) -> None:
    """Läs in dokument i en samling; avslutar med felkod om någon fil inte kunde läsas in."""
    ctx = _context(provider)
    unreadable: list[tuple[str, str]] = []
    try:
        with transaction(ctx.session_factory) as session:
            _, who = cli_support.cli_principal(session, org_slug=org)
            target = platform.ensure_collection(session, who, name=collection, data_class=data_class)
            ids, job_id = [], None
            for path in service.expand_paths(paths):
                try:
                    document = platform.add_local_file(session, who, settings=ctx.settings, collection=target,
                                                       path=path)  # fmt: skip
                    ids.append(document.id)
                except InvalidInput as exc:
                    unreadable.append((str(path), exc.message))
            if ids:
                job_id = jobs.enqueue(session, org_id=who.org_id, kind=knowledge_jobs.INGEST, user_id=who.user_id,
                                      title=f"Läs in {len(ids)} dokument i {target.name}",
                                      payload={"document_ids": ids}).id  # fmt: skip
            collection_id, collection_name = target.id, target.name
        jobs.run_until_idle(ctx.session_factory, knowledge_jobs.handlers(ctx), backoff_seconds=0)
        if job_id is not None:
            _wait_for_job(ctx, job_id)
        with ctx.session_factory() as session:
            rows = list(session.scalars(select(Document).where(Document.id.in_(ids)).order_by(Document.id)))
            results: list[dict[str, Any]] = [
                {"path": d.source, "ok": d.status == "indexed", "document_id": d.id, "chunks": d.chunks,
                 "pages": d.pages, "error": d.error if d.status != "indexed" else "",
                 "warnings": [d.error] if d.status == "indexed" and d.error else []}
                for d in rows
            ] + [{"path": p, "ok": False, "document_id": None, "chunks": 0, "pages": None, "error": e,
                  "warnings": []} for p, e in unreadable]  # fmt: skip
    finally:
        _close(ctx)
    failed = [r for r in results if not r["ok"]]
    if json_output:
        echo_json({"collection_id": collection_id, "collection": collection_name, "files": results,
                   "failed": len(failed)})  # fmt: skip
    else:
        typer.echo(f"{len(results) - len(failed)} av {len(results)} filer inlästa i {collection_name}.")
        for r in results:
            for warning in r["warnings"]:
                typer.echo(f"Varning: {r['path']}: {warning}", err=True)
    for r in failed:
        typer.echo(f"Misslyckades: {r['path']}: {r['error']}", err=True)
    if failed or not results:
        if not results:
            typer.echo("Fel: inga filer att läsa in.", err=True)
        raise typer.Exit(code=1)


@friendly_errors
def search(
    question: str = typer.Argument(None, help="Frågan."),
    org: str = typer.Option(..., "--org"),
    collection: str = typer.Option(..., "--collection"),
    top_k: int = typer.Option(10, "--top-k", min=1, max=1000),
    provider: str = typer.Option(None, "--provider", help=EMBEDDINGS_PROVIDER_HELP),
    json_output: bool = typer.Option(False, "--json"),
    batch: Path = typer.Option(None, "--batch", help='JSONL-fil med {"id":..., "question":...} per rad.'),
) -> None:
    """Sök i en samling."""
    ctx = _context(provider)
    try:
        rows = _questions(question, batch)
        with transaction(ctx.session_factory) as session:
            _, who = cli_support.cli_principal(session, org_slug=org)
            target = platform.collection_by_name(session, who, collection)
        store = _vectors_ready(ctx, {who.org_id, target.org_id})
        with transaction(ctx.session_factory) as session:
            target = platform.collection_by_name(session, who, collection)
            for row in rows:
                hits = platform.search(store=store, collections=[target], question=row["question"], top_k=top_k,
                                       who=who, session_factory=ctx.session_factory)  # fmt: skip
                results = [service.hit_json(h, rank=i) for i, h in enumerate(hits, start=1)]
                if json_output or batch:
                    echo_json({"id": row["id"], "results": results} if batch else {"results": results})
                else:
                    for r in results:
                        typer.echo(f"{r['rank']}. {r['document']} ({r['score']:.4f})\n   {r['text'][:200]}")
    finally:
        _close(ctx)


@friendly_errors
def ask(
    question: str = typer.Argument(None, help="Frågan."),
    org: str = typer.Option(..., "--org"),
    collection: str = typer.Option(None, "--collection"),
    assistant: str = typer.Option(None, "--assistant", help="Assistentens kortnamn eller namn."),
    provider: str = typer.Option(None, "--provider", help="Chattleverantör ur radhus.toml."),
    json_output: bool = typer.Option(False, "--json"),
    batch: Path = typer.Option(None, "--batch"),
) -> None:
    """Ställ en fråga till en samling eller assistent och få ett svar med källor."""
    ctx = _context()
    try:
        rows = _questions(question, batch)
        if bool(collection) == bool(assistant):
            raise InvalidInput("Ange antingen --collection eller --assistant.")
        with transaction(ctx.session_factory) as session:
            _, who = cli_support.cli_principal(session, org_slug=org)
        store = _vectors_ready(ctx, {who.org_id})
        with transaction(ctx.session_factory) as session:
            helper = platform.assistant_by_name(session, who, assistant) if assistant else None
            targets = (
                [platform.get_collection(session, who, int(c)) for c in helper.collection_ids]
                if helper
                else [platform.collection_by_name(session, who, collection)]
            )
            hub = ctx.provider_hub(session, who)
            for row in rows:
                result = platform.ask(session, who, store=store, collections=targets, question=row["question"],
                                      hub=hub, provider=provider, assistant=helper)  # fmt: skip
                data = result.answer.as_json()
                if json_output or batch:
                    echo_json({"id": row["id"], **data} if batch else data)
                else:
                    typer.echo(result.answer.answer)
                    for c in result.answer.citations:
                        typer.echo(f"[{c.number}] {c.document} {c.location}".rstrip())
    finally:
        _close(ctx)


@friendly_errors
def eval_command(
    org: str = typer.Option(..., "--org"),
    collection: str = typer.Option(..., "--collection"),
    qa: Path = typer.Option(..., "--qa", help="JSONL med question och evidence (null = ska avstå)."),
    provider: str = typer.Option(None, "--provider", help=EMBEDDINGS_PROVIDER_HELP),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """Utvärdera sökning och avståenden: recall@1/5/10, MRR@10."""
    ctx = _context(provider)
    try:
        with transaction(ctx.session_factory) as session:
            _, who = cli_support.cli_principal(session, org_slug=org)
            target = platform.collection_by_name(session, who, collection)
        store = _vectors_ready(ctx, {who.org_id, target.org_id})
        index = platform.searcher(store=store, collections=[target], who=who, session_factory=ctx.session_factory)
        try:
            qa_rows = load_qa(qa)
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"Frågefilen {qa} kan inte läsas: {exc}") from exc
        report = evaluate(
            qa=qa_rows,
            search=lambda q: index.search(q, [target.index_key], 10),
            answer=lambda q: answer_question(question=q, index=index, collection_ids=[target.index_key]),
        )
    except RadhusError:
        raise
    finally:
        _close(ctx)
    if json_output:
        echo_json(report)
        return
    for key in ("recall@1", "recall@5", "recall@10", "mrr@10", "unanswerable_abstained", "answerable_answered"):
        if key in report:
            typer.echo(f"{key}: {report[key]:.3f}")
    typer.echo(f"frågor: {report['questions']}, besvarbara: {report['answerable']}")


def _vectors_ready(ctx: AppContext, org_ids: set[int]) -> service.KnowledgeStore:
    """The store, after embedding what waits for vectors (e.g. the embeddings provider was changed: the index
    dropped the old model's vectors), so that a command's search is hybrid again. Progress goes to stderr."""
    store = platform.shared_store(ctx.settings, ctx.services)
    if store.embeddings is None:
        return store
    for org_id in sorted(org_ids):
        store.index(org=platform.org_key(org_id))  # opening notices a changed embedder
    platform.queue_vector_work(store=store, session_factory=ctx.session_factory, org_ids=sorted(org_ids))
    embed = {knowledge_jobs.EMBED: knowledge_jobs.handlers(ctx)[knowledge_jobs.EMBED]}
    with ctx.session_factory() as session:
        waiting = session.scalar(
            select(jobs.Job.id).where(jobs.Job.kind == knowledge_jobs.EMBED, jobs.Job.org_id.in_(org_ids),
                                      jobs.Job.status == jobs.JobStatus.QUEUED).limit(1)
        )  # fmt: skip
    if waiting is not None:
        typer.echo("Beräknar vektorer för betydelsesökning innan sökningen …", err=True)
        jobs.run_until_idle(ctx.session_factory, embed, backoff_seconds=0)
    return store


def _wait_for_job(ctx: AppContext, job_id: int, *, timeout_s: float = INGEST_WAIT_S) -> None:
    """Wait until the job has finished: a running `radhus serve` or `radhus worker` may have claimed it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with ctx.session_factory() as session:
            job = session.get(jobs.Job, job_id)
            if job is None or job.status in (jobs.JobStatus.DONE, jobs.JobStatus.FAILED, jobs.JobStatus.CANCELLED):
                return
        jobs.run_until_idle(ctx.session_factory, knowledge_jobs.handlers(ctx), backoff_seconds=0)
        time.sleep(0.2)
    raise InvalidInput(
        f"Inläsningsjobbet {job_id} blev inte klart inom {int(timeout_s)} sekunder; följ det på sidan Jobb."
    )


def _questions(question: str | None, batch: Path | None) -> list[dict]:
    if batch is not None:
        try:
            rows = load_qa(batch)
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"Frågefilen {batch} kan inte läsas: {exc}") from exc
        return [{"id": row.get("id", i), "question": row["question"]} for i, row in enumerate(rows, start=1)]
    if not question or not question.strip():
        raise InvalidInput("Ange en fråga eller --batch FIL.")
    return [{"id": None, "question": question}]


def register(root: typer.Typer) -> None:
    """Add the knowledge commands to the root CLI."""
    root.command("ingest")(ingest)
    root.command("search")(search)
    root.command("ask")(ask)
    root.command("eval")(eval_command)
