"""Knowledge commands: `radhus ingest`, `radhus search`, `radhus ask`, `radhus eval` (file-based embedded store)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from radhus.core.errors import InvalidInput, RadhusError
from radhus.knowledge import service
from radhus.knowledge.evaluation import load_qa

ENV_DATA_DIR = "RADHUS_DATA_DIR"
ENV_EMBEDDER = "RADHUS_KNOWLEDGE_EMBEDDER"  # "builtin" (default) or "none" for lexical-only


def _store() -> service.KnowledgeStore:
    data_dir = Path(os.environ.get(ENV_DATA_DIR, "./radhus-data"))
    embedder = None
    if os.environ.get(ENV_EMBEDDER, "builtin").lower() != "none":
        from radhus.knowledge.embed import default_embedder

        embedder = default_embedder()
    return service.KnowledgeStore(data_dir=data_dir, embedder=embedder)


def _fail(message: str) -> None:
    typer.echo(f"Fel: {message}", err=True)
    raise typer.Exit(code=2)


def _print(data: dict) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False))


def _check_provider(provider: str | None) -> None:
    if provider:
        raise InvalidInput(
            f'Leverantören "{provider}" kan inte användas här ännu: chattleverantörer är inte kopplade till '
            "kunskapsbanken. Utelämna --provider för ett extraktivt svar."
        )


def ingest(
    paths: list[Path] = typer.Argument(..., help="Filer eller mappar att läsa in."),
    org: str = typer.Option(..., "--org", help="Organisation."),
    collection: str = typer.Option(..., "--collection", help="Samlingens namn (skapas om den saknas)."),
    data_class: str = typer.Option(None, "--data-class", help="oppen, intern eller kanslig."),
    json_output: bool = typer.Option(False, "--json", help="Skriv rapporten som JSON."),
) -> None:
    """Läs in dokument i en samling; avslutar med felkod om någon fil inte kunde läsas in."""
    store = _store()
    try:
        report = service.ingest_paths(store=store, org=org, collection=collection, paths=paths, data_class=data_class)
    except RadhusError as exc:
        _fail(exc.message)
    finally:
        store.close()
    if json_output:
        _print(report.as_dict())
    else:
        ok = len(report.files) - len(report.failed)
        typer.echo(f"{ok} av {len(report.files)} filer inlästa i {report.collection_id} ({report.seconds:.1f} s).")
        for result in report.files:
            for warning in result.warnings:
                typer.echo(f"Varning: {warning}", err=True)
    for result in report.failed:
        typer.echo(f"Misslyckades: {result.path}: {result.error}", err=True)
    if report.failed or not report.files:
        if not report.files:
            typer.echo("Fel: inga filer att läsa in.", err=True)
        raise typer.Exit(code=1)


def search(
    question: str = typer.Argument(None, help="Frågan."),
    org: str = typer.Option(..., "--org"),
    collection: str = typer.Option(..., "--collection"),
    top_k: int = typer.Option(10, "--top-k", min=1, max=1000),
    json_output: bool = typer.Option(False, "--json"),
    batch: Path = typer.Option(None, "--batch", help='JSONL-fil med {"id":..., "question":...} per rad.'),
) -> None:
    """Sök i en samling."""
    store = _store()
    try:
        for row in _questions(question, batch):
            hits = service.search_collection(
                store=store, org=org, collection=collection, question=row["question"], top_k=top_k
            )
            results = [service.hit_json(h, rank=i) for i, h in enumerate(hits, start=1)]
            if json_output or batch:
                _print({"id": row["id"], "results": results} if batch else {"results": results})
            else:
                for r in results:
                    typer.echo(f"{r['rank']}. {r['document']} ({r['score']:.4f})\n   {r['text'][:200]}")
    except RadhusError as exc:
        _fail(exc.message)
    finally:
        store.close()


def ask(
    question: str = typer.Argument(None, help="Frågan."),
    org: str = typer.Option(..., "--org"),
    collection: str = typer.Option(None, "--collection"),
    assistant: str = typer.Option(None, "--assistant"),
    provider: str = typer.Option(None, "--provider"),
    json_output: bool = typer.Option(False, "--json"),
    batch: Path = typer.Option(None, "--batch"),
) -> None:
    """Ställ en fråga till en samling och få ett svar med källor."""
    store = _store()
    try:
        if assistant:
            raise InvalidInput("Assistenter är inte kopplade ännu; använd --collection.")
        if not collection:
            raise InvalidInput("Ange --collection eller --assistant.")
        _check_provider(provider)
        for row in _questions(question, batch):
            answer = service.ask_collection(store=store, org=org, collection=collection, question=row["question"])
            data = answer.as_json()
            if json_output or batch:
                _print({"id": row["id"], **data} if batch else data)
            else:
                typer.echo(answer.answer)
                for c in answer.citations:
                    typer.echo(f"[{c.number}] {c.document} {c.location}".rstrip())
    except RadhusError as exc:
        _fail(exc.message)
    finally:
        store.close()


def eval_command(
    org: str = typer.Option(..., "--org"),
    collection: str = typer.Option(..., "--collection"),
    qa: Path = typer.Option(..., "--qa", help="JSONL med question och evidence (null = ska avstå)."),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """Utvärdera sökning och avståenden: recall@1/5/10, MRR@10."""
    store = _store()
    try:
        report = service.evaluate_collection(store=store, org=org, collection=collection, qa_path=qa)
    except RadhusError as exc:
        _fail(exc.message)
    finally:
        store.close()
    if json_output:
        _print(report)
        return
    for key in (
        "recall@1",
        "recall@5",
        "recall@10",
        "mrr@10",
        "unanswerable_abstained",
        "answerable_answered",
    ):
        if key in report:
            typer.echo(f"{key}: {report[key]:.3f}")
    typer.echo(f"frågor: {report['questions']}, besvarbara: {report['answerable']}")


def _questions(question: str | None, batch: Path | None) -> list[dict]:
    if batch is not None:
        rows = load_qa(batch)
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
