"""Knowledge pages and API: collections, uploads, crawling, sharing, chat with citations, feedback, assistants."""

import hashlib
import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from radhus.core import jobs, orgs
from radhus.core.auth import Principal, Role, list_users
from radhus.core.errors import InvalidInput, NotFound, RadhusError
from radhus.core.privacy import DataClass
from radhus.knowledge import jobs as knowledge_jobs
from radhus.knowledge import pdfview, platform, service
from radhus.knowledge.tables import Assistant, Collection, CrawlSource, Document, QuestionLog
from radhus.web import i18n
from radhus.web.deps import DbSession, context, principal, render, role_required

log = logging.getLogger(__name__)
router = APIRouter()
api = APIRouter(prefix="/api/v1")

NAV = [
    {
        "path": "/kunskap",
        "label": "Kunskapsbank",
        "description": "Fråga assistenterna och sök i organisationens styrdokument och rutiner, med källor.",
        "roles": [],
    },
]

Caller = Annotated[Principal, Depends(principal)]
Editor = Annotated[Principal, Depends(role_required(Role.EDITOR))]
Admin = Annotated[Principal, Depends(role_required(Role.ADMIN))]
DATA_CLASSES = [(d.value, d.label_sv) for d in DataClass]
STATUS_SV = {"queued": "I kö", "indexed": "Sökbar", "failed": "Misslyckades"}
MULTIPART_OVERHEAD = 64 * 1024


def _store(request: Request) -> service.KnowledgeStore:
    ctx = context(request)
    return platform.shared_store(ctx.settings, ctx.services)


def _wake(request: Request) -> None:
    worker = context(request).worker
    if worker is not None:
        worker.wake()


def _is_htmx(request: Request) -> bool:
    return bool(request.headers.get("hx-request"))


def upload_limit(request: Request) -> None:
    """Refuse an upload larger than the limit before its body is read (Content-Length)."""
    limit = context(request).settings.max_upload_mb * 1024 * 1024
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit + MULTIPART_OVERHEAD:
        raise InvalidInput(
            f"Uppladdningen är för stor: högst {context(request).settings.max_upload_mb} MB per uppladdning.",
            status_code=413,
        )


# --- overview and collections ---------------------------------------------------------------------------


@router.get("/kunskap", include_in_schema=False)
def overview(request: Request, session: DbSession, who: Caller):
    """The knowledge base: assistants the caller may use and the collections they may search."""
    return render(
        request,
        "knowledge/index.html",
        assistants=platform.list_assistants(session, who, usable_only=True),
        collections=platform.list_collections(session, who),
        data_classes=DATA_CLASSES,
        is_editor=who.has_role(Role.EDITOR),
        roles=list(Role),
    )


def _roles(values: list[str]) -> list[str]:
    return [v for v in values if v]


@router.post("/kunskap/samlingar", include_in_schema=False)
def create_collection_form(
    session: DbSession,
    who: Editor,
    name: Annotated[str, Form()],
    data_class: Annotated[str, Form()] = "intern",
    description: Annotated[str, Form()] = "",
    allowed_roles: Annotated[list[str], Form()] = [],  # noqa: B006
):
    """Create a collection (redaktör)."""
    collection = platform.create_collection(session, who, name=name, data_class=data_class,
                                            description=description, allowed_roles=_roles(allowed_roles))  # fmt: skip
    return RedirectResponse(f"/kunskap/samlingar/{collection.id}", status_code=303)


def _collection_values(session: Session, who: Principal, collection: Collection) -> dict[str, Any]:
    own = collection.org_id == who.org_id
    owner = session.get(orgs.Organisation, collection.org_id)
    return {
        "collection": collection,
        "documents": platform.list_documents(session, collection),
        "statuses": STATUS_SV,
        "own": own,
        "owner_org": owner.name if owner and not own else "",
        "can_manage": own and who.has_role(Role.EDITOR),
        "is_admin": own and who.has_role(Role.ADMIN),
        "shares": platform.shares_of(session, collection) if own else [],
        "crawls": list(session.query(CrawlSource).filter_by(collection_id=collection.id, org_id=who.org_id))
        if own
        else [],
        "data_class_label": DataClass(collection.data_class).label_sv,
        **(_access_values(session, collection) if own and who.has_role(Role.EDITOR) else {}),
    }


def _access_values(session: Session, collection: Collection) -> dict[str, Any]:
    """The organisation's roles, units and users for the collection's access form."""
    units = orgs.list_units(session, org_id=collection.org_id)
    users = list_users(session, org_id=collection.org_id)
    chosen_units = set(collection.allowed_units or [])
    chosen_users = set(collection.allowed_users or [])
    return {
        "roles": list(Role),
        "units": units,
        "users": users,
        "chosen_roles": set(collection.allowed_roles or []),
        "chosen_units": chosen_units,
        "chosen_users": chosen_users,
        "access_summary": {
            "roles": [Role(r).label_sv for r in collection.allowed_roles or [] if r in platform.ROLE_VALUES],
            "units": [u.name for u in units if u.id in chosen_units],
            "users": [u.display_name for u in users if u.id in chosen_users],
        },
    }


@router.get("/kunskap/samlingar/{collection_id}", include_in_schema=False)
def collection_page(request: Request, session: DbSession, who: Caller, collection_id: int):
    """A collection: documents with status and errors, upload, crawl setup and sharing."""
    collection = platform.get_collection(session, who, collection_id)
    values = _collection_values(session, who, collection)
    jobs_list = [j for j in jobs.list_jobs(session, org_id=who.org_id, limit=20) if j.kind.startswith("knowledge.")]
    return render(request, "knowledge/collection.html", jobs=jobs_list[:5],
                  max_upload_mb=context(request).settings.max_upload_mb, **values)  # fmt: skip


@router.get("/kunskap/samlingar/{collection_id}/dokumentlista", include_in_schema=False)
def documents_partial(request: Request, session: DbSession, who: Caller, collection_id: int):
    """The collection's document table and knowledge jobs (refreshed by HTMX while work is queued)."""
    collection = platform.get_collection(session, who, collection_id)
    values = _collection_values(session, who, collection)
    jobs_list = [j for j in jobs.list_jobs(session, org_id=who.org_id, limit=20) if j.kind.startswith("knowledge.")]
    return render(request, "knowledge/_documents.html", jobs=jobs_list[:5], **values)


async def _save_uploads(request: Request, session: Session, who: Principal, collection: Collection) -> list[int]:
    """Stream the uploaded files to disk within the size limit and register them as queued documents."""
    settings = context(request).settings
    limit = settings.max_upload_mb * 1024 * 1024
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidInput("Välj en eller flera filer att ladda upp.")
    form = await request.form(max_files=100)
    uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    if not uploads:
        raise InvalidInput("Välj en eller flera filer att ladda upp.")
    incoming = platform.files_dir(settings, collection.org_id)
    incoming.mkdir(parents=True, exist_ok=True)
    ids = []
    for upload in uploads:
        tmp = incoming / f".upload-{uuid.uuid4().hex}"
        digest, size = hashlib.sha256(), 0
        try:
            with tmp.open("wb") as out:
                while block := await upload.read(1 << 20):
                    size += len(block)
                    if size > limit:
                        raise InvalidInput(
                            f"Filen {upload.filename} är större än {settings.max_upload_mb} MB och togs inte emot.",
                            status_code=413,
                        )
                    digest.update(block)
                    out.write(block)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        document = platform.add_document(session, who, settings=settings, collection=collection,
                                         filename=str(upload.filename), source_path=tmp, size=size,
                                         sha256=digest.hexdigest())  # fmt: skip
        ids.append(document.id)
    jobs.enqueue(session, org_id=who.org_id, kind=knowledge_jobs.INGEST, user_id=who.user_id,
                 title=f"Läs in {len(ids)} dokument i {collection.name}", payload={"document_ids": ids})  # fmt: skip
    return ids


@router.post(
    "/kunskap/samlingar/{collection_id}/uppladdning", include_in_schema=False, dependencies=[Depends(upload_limit)]
)
async def upload_form(request: Request, session: DbSession, who: Caller, collection_id: int):
    """Upload documents to a collection (redaktör); they are indexed by a background job."""
    collection = platform.get_collection(session, who, collection_id, manage=True)
    await _save_uploads(request, session, who, collection)
    session.commit()
    _wake(request)
    if _is_htmx(request):
        return render(request, "knowledge/_documents.html", jobs=[], **_collection_values(session, who, collection))
    return RedirectResponse(f"/kunskap/samlingar/{collection.id}", status_code=303)


@router.post("/kunskap/samlingar/{collection_id}/insamling", include_in_schema=False)
def crawl_form(
    request: Request,
    session: DbSession,
    who: Caller,
    collection_id: int,
    start_urls: Annotated[str, Form()],
    allowed_domains: Annotated[str, Form()] = "",
    max_depth: Annotated[int, Form()] = 3,
    max_pages: Annotated[int, Form()] = 200,
):
    """Set up a website crawl into the collection and start it (redaktör)."""
    collection = platform.get_collection(session, who, collection_id, manage=True)
    source = _crawl_source(session, who, collection, start_urls, allowed_domains, max_depth, max_pages)
    session.commit()  # the worker must see the job when it wakes
    _wake(request)
    return RedirectResponse(f"/kunskap/samlingar/{collection.id}#insamling-{source.id}", status_code=303)


def _crawl_source(
    session: Session, who: Principal, collection: Collection, start_urls: str, domains: str, depth: int, pages: int
) -> CrawlSource:
    urls = [u.strip() for u in start_urls.split() if u.strip()]
    if not urls or not all(u.startswith(("http://", "https://")) for u in urls):
        raise InvalidInput("Ange en eller flera start-URL:er som börjar med http:// eller https://.")
    if not 0 <= depth <= 10 or not 1 <= pages <= 10000:
        raise InvalidInput("Djupet ska vara 0–10 och antalet sidor 1–10 000.")
    source = CrawlSource(org_id=who.org_id, collection_id=collection.id, start_urls=urls,
                         allowed_domains=[d.strip().lower() for d in domains.replace(",", " ").split() if d.strip()],
                         max_depth=depth, max_pages=pages)  # fmt: skip
    session.add(source)
    session.flush()
    jobs.enqueue(session, org_id=who.org_id, kind=knowledge_jobs.CRAWL, user_id=who.user_id,
                 title=f"Webbinsamling till {collection.name}", payload={"source_id": source.id})  # fmt: skip
    return source


@router.post("/kunskap/insamlingar/{source_id}/kor", include_in_schema=False)
def crawl_again(request: Request, session: DbSession, who: Editor, source_id: int):
    """Crawl a website again; only new or changed pages are re-indexed (redaktör)."""
    source = session.get(CrawlSource, source_id)
    if source is None or source.org_id != who.org_id:
        raise NotFound(f"Webbinsamlingen {source_id} finns inte.")
    jobs.enqueue(session, org_id=who.org_id, kind=knowledge_jobs.CRAWL, user_id=who.user_id,
                 title="Webbinsamling igen", payload={"source_id": source.id})  # fmt: skip
    session.commit()  # the worker must see the job when it wakes
    _wake(request)
    return RedirectResponse(f"/kunskap/samlingar/{source.collection_id}", status_code=303)


@router.post("/kunskap/samlingar/{collection_id}/atkomst", include_in_schema=False)
def access_form(
    session: DbSession,
    who: Editor,
    collection_id: int,
    allowed_roles: Annotated[list[str], Form()] = [],  # noqa: B006
    allowed_units: Annotated[list[int], Form()] = [],  # noqa: B006
    allowed_users: Annotated[list[int], Form()] = [],  # noqa: B006
):
    """Choose who may use the collection: roles, units and named users (redaktör); nothing chosen: everyone."""
    collection = platform.set_access(session, who, collection_id=collection_id, allowed_roles=_roles(allowed_roles),
                                     allowed_units=allowed_units, allowed_users=allowed_users)  # fmt: skip
    still = platform.may_use(session, who, collection)
    return RedirectResponse(f"/kunskap/samlingar/{collection.id}#atkomst" if still else "/kunskap", status_code=303)


@router.post("/kunskap/samlingar/{collection_id}/delning", include_in_schema=False)
def share_form(session: DbSession, who: Admin, collection_id: int, org_slug: Annotated[str, Form()]):
    """Share the collection read-only with another organisation (administrator)."""
    platform.share_collection(session, who, collection_id=collection_id, org_slug=org_slug)
    return RedirectResponse(f"/kunskap/samlingar/{collection_id}", status_code=303)


@router.get("/kunskap/dokument/{document_id}", include_in_schema=False)
def document_page(
    request: Request, session: DbSession, who: Caller, document_id: int, stycke: str = "", sida: int | None = None
):
    """A document's passages, with the cited passage highlighted; a PDF also shows the page (sida) as an image."""
    document, collection = platform.get_document(session, who, document_id)
    passages = platform.document_passages(_store(request), document)
    original = bool(document.stored_path) and Path(document.stored_path).is_file()
    is_pdf = original and document.source.lower().endswith(".pdf")
    viewer = None
    if is_pdf:
        cache = pdfview.page_cache(context(request).services)
        viewer = pdfview.page_view(path=Path(document.stored_path), source=document.source, passages=passages,
                                   chunk_id=stycke, page=sida, cache=cache)  # fmt: skip
    return render(request, "knowledge/document.html", document=document, collection=collection,
                  passages=passages, highlight=stycke, statuses=STATUS_SV, original=original,
                  is_pdf=is_pdf, viewer=viewer,
                  can_manage=collection.org_id == who.org_id and who.has_role(Role.EDITOR))  # fmt: skip


@router.get("/kunskap/dokument/{document_id}/original", include_in_schema=False)
def document_original(session: DbSession, who: Caller, document_id: int):
    """The uploaded original: a PDF opens in the browser (add #page=N for a page), other types are downloaded."""
    document, _collection = platform.get_document(session, who, document_id)
    path = Path(document.stored_path) if document.stored_path else None
    if path is None or not path.is_file():
        raise NotFound(f"Originalfilen till {document.source} finns inte här; ladda upp dokumentet igen.")
    if path.suffix.lower() == ".pdf":
        return FileResponse(path, media_type="application/pdf", filename=document.source,
                            content_disposition_type="inline")  # fmt: skip
    # Never shown inline: an uploaded HTML file must not run as a page of this site.
    return FileResponse(path, media_type="application/octet-stream", filename=document.source)


@router.get("/kunskap/dokument/{document_id}/sidor/{page}.png", include_in_schema=False)
def document_page_image(request: Request, session: DbSession, who: Caller, document_id: int, page: int,
                        chunk: str = ""):  # fmt: skip
    """A page of a PDF as a PNG image, about 1200 pixels wide; with ?chunk= the passage is marked on it."""
    document, _collection = platform.get_document(session, who, document_id)
    path = Path(document.stored_path) if document.stored_path else None
    if path is None or not path.is_file() or path.suffix.lower() != ".pdf":
        raise NotFound(f"{document.source} är ingen uppladdad PDF, så det finns inga sidor att visa.")
    stat = path.stat()
    tag = hashlib.sha256(f"{document.sha256}|{stat.st_size}|{stat.st_mtime_ns}|{page}|{chunk}".encode()).hexdigest()
    headers = {"ETag": f'"{tag[:32]}"', "Cache-Control": "private, no-cache"}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    cache = pdfview.page_cache(context(request).services)
    marks: list[pdfview.Box] = []
    if chunk:
        passage = next((p for p in platform.document_passages(_store(request), document) if p["chunk_id"] == chunk),
                       None)  # fmt: skip
        if passage is None:
            raise NotFound(f"Stycket {chunk} finns inte i {document.source}.")
        marks = pdfview.passage_boxes(path=path, source=document.source, page=page, text=passage["text"], cache=cache)
    png, _size = pdfview.render_page(path=path, source=document.source, page=page, cache=cache, marks=marks)
    return Response(png, media_type="image/png", headers=headers)


@router.post("/kunskap/dokument/{document_id}/ta-bort", include_in_schema=False)
def document_delete(request: Request, session: DbSession, who: Editor, document_id: int):
    """Delete a document and all its passages (redaktör)."""
    document, collection = platform.get_document(session, who, document_id)
    platform.delete_document(session, who, store=_store(request), document_id=document.id)
    return RedirectResponse(f"/kunskap/samlingar/{collection.id}", status_code=303)


# --- chat -----------------------------------------------------------------------------------------------


@router.get("/kunskap/samlingar/{collection_id}/chatt", include_in_schema=False)
def collection_chat(request: Request, session: DbSession, who: Caller, collection_id: int):
    """Ask questions of one collection."""
    collection = platform.get_collection(session, who, collection_id)
    return render(request, "knowledge/chat.html", heading=collection.name, collection_id=collection.id,
                  assistant_id=None, intro=collection.description)  # fmt: skip


@router.get("/kunskap/assistenter/{assistant_id}/chatt", include_in_schema=False)
def assistant_chat(request: Request, session: DbSession, who: Caller, assistant_id: int):
    """Chat with an assistant (only roles it is open to)."""
    assistant = platform.get_assistant(session, who, assistant_id)
    return render(request, "knowledge/chat.html", heading=assistant.name, collection_id=None,
                  assistant_id=assistant.id, intro=assistant.instructions)  # fmt: skip


def _targets(
    session: Session, who: Principal, collection_id: int | None, assistant_id: int | None
) -> tuple[list[Collection], Assistant | None]:
    if assistant_id:
        assistant = platform.get_assistant(session, who, assistant_id)
        return [platform.get_collection(session, who, int(c)) for c in assistant.collection_ids], assistant
    if collection_id:
        return [platform.get_collection(session, who, collection_id)], None
    raise InvalidInput("Välj en samling eller en assistent.")


def _ask(
    request: Request,
    session: Session,
    who: Principal,
    *,
    question: str,
    collection_ids: list[int],
    assistant_id: int | None,
    provider: str | None = None,
    history: list[str] | None = None,
    on_delta: Callable[[str], None] | None = None,
) -> tuple[platform.AskResult, list[Collection]]:
    if assistant_id:
        collections, assistant = _targets(session, who, None, assistant_id)
    else:
        if not collection_ids:
            raise InvalidInput("Välj en samling eller en assistent.")
        collections, assistant = [platform.get_collection(session, who, c) for c in collection_ids], None
    hub = context(request).provider_hub(session, who)
    result = platform.ask(session, who, store=_store(request), collections=collections, question=question,
                          hub=hub, provider=provider, assistant=assistant, history=history or [],
                          on_delta=on_delta)  # fmt: skip
    return result, collections


def _answer_values(session: Session, result: platform.AskResult, collections: list[Collection]) -> dict[str, Any]:
    """What the answer fragment needs: the answer, its question-log row and a link per citation."""
    links = {}
    for citation in result.answer.citations:
        document = platform.document_for_chunk(session, collections, citation.document)
        links[citation.number] = f"/kunskap/dokument/{document.id}?stycke={citation.chunk_id}" if document else ""
    return {"result": result, "log": result.log, "links": links}


def _chat_history(history: list[str]) -> list[str]:
    """The conversation's last three questions (each as long as a question may be)."""
    return [h.strip()[:4000] for h in history if h.strip()][-3:]


@router.post("/kunskap/fraga", include_in_schema=False)
def ask_form(
    request: Request,
    session: DbSession,
    who: Caller,
    question: Annotated[str, Form()],
    collection_id: Annotated[int | None, Form()] = None,
    assistant_id: Annotated[int | None, Form()] = None,
    history: Annotated[list[str], Form()] = [],  # noqa: B006
):
    """Answer a chat question with numbered citations (an HTMX fragment, or the whole chat page)."""
    result, collections = _ask(request, session, who, question=question,
                               collection_ids=[collection_id] if collection_id else [], assistant_id=assistant_id,
                               history=_chat_history(history))  # fmt: skip
    values = _answer_values(session, result, collections)
    if _is_htmx(request):
        return render(request, "knowledge/_answer.html", **values)
    helper = session.get(Assistant, assistant_id) if assistant_id else None
    heading = helper.name if helper else collections[0].name
    return render(request, "knowledge/chat.html", heading=heading, collection_id=collection_id,
                  assistant_id=assistant_id, intro="", first=values)  # fmt: skip


STREAM_LIMIT_S = 600.0
UNEXPECTED_SV = "Ett oväntat fel inträffade när svaret togs fram. Försök igen."


@router.post("/kunskap/fraga/strom", include_in_schema=False)
def ask_stream(
    request: Request,
    session: DbSession,
    who: Caller,
    question: Annotated[str, Form()],
    collection_id: Annotated[int | None, Form()] = None,
    assistant_id: Annotated[int | None, Form()] = None,
    history: Annotated[list[str], Form()] = [],  # noqa: B006
):
    """Answer a chat question as server-sent events, the text streamed as the chat model writes it.

    Events: `delta` (a piece of the model's text), then `done` (the answer with its citation chips, HTML) or
    `error` (a Swedish message)."""
    if not question.strip():
        raise InvalidInput("Skriv en fråga.")
    _targets(session, who, collection_id, assistant_id)  # unknown or forbidden targets fail before streaming
    session.commit()
    events: queue.Queue[tuple[str, str]] = queue.Queue()
    language = i18n.current_language.get()

    def answer() -> None:
        i18n.current_language.set(language)  # a fresh thread: the request's language does not follow by itself
        try:
            with context(request).session_factory() as own:
                result, collections = _ask(request, own, who, question=question,
                                           collection_ids=[collection_id] if collection_id else [],
                                           assistant_id=assistant_id, history=_chat_history(history),
                                           on_delta=lambda text: events.put(("delta", text)))  # fmt: skip
                fragment = render(request, "knowledge/_answer.html", **_answer_values(own, result, collections))
                own.commit()
            events.put(("done", bytes(fragment.body).decode()))
        except RadhusError as exc:
            events.put(("error", exc.message))
        except Exception:  # the page must hear that it failed; the details go to the log
            log.exception("streamed answer failed")
            events.put(("error", UNEXPECTED_SV))

    # The answer is produced to the end in its own thread even if the page goes away: it is logged and audited.
    threading.Thread(target=answer, name="radhus-answer", daemon=True).start()
    return StreamingResponse(_server_sent(events), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})  # fmt: skip


def _server_sent(events: "queue.Queue[tuple[str, str]]") -> Iterator[str]:
    """Server-sent events from the queue until `done` or `error`; a comment each second keeps proxies open."""
    deadline = time.monotonic() + STREAM_LIMIT_S
    while time.monotonic() < deadline:
        try:
            kind, data = events.get(timeout=1.0)
        except queue.Empty:
            yield ": väntar\n\n"
            continue
        yield f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
        if kind in ("done", "error"):
            return
    yield f"event: error\ndata: {json.dumps('Svaret tog för lång tid. Försök igen.', ensure_ascii=False)}\n\n"


@router.post("/kunskap/fragor/{question_id}/betyg", include_in_schema=False)
def feedback_form(
    request: Request,
    session: DbSession,
    who: Caller,
    question_id: int,
    rating: Annotated[int, Form()],
    comment: Annotated[str, Form()] = "",
):
    """Thumbs up or down with an optional comment on an answer."""
    log = platform.feedback(session, who, question_id=question_id, rating=rating, comment=comment)
    if _is_htmx(request):
        return render(request, "knowledge/_feedback_done.html", log=log)
    return RedirectResponse("/kunskap", status_code=303)


@router.get("/kunskap/redaktor", include_in_schema=False)
def editor_page(request: Request, session: DbSession, who: Editor):
    """Unanswered and low-rated questions, to close the gaps in the documents (redaktör)."""
    questions = platform.gaps(session, who)
    names = {a.id: a.name for a in platform.list_assistants(session, who)}
    collections = {c.id: c.name for c in platform.list_collections(session, who)}
    return render(request, "knowledge/editor.html", questions=questions, assistants=names, collections=collections)


# --- assistants -----------------------------------------------------------------------------------------


@router.get("/kunskap/assistenter", include_in_schema=False)
def assistants_page(request: Request, session: DbSession, who: Editor, andra: int | None = None):
    """Assistants of the organisation: create, change and remove (redaktör)."""
    assistants = platform.list_assistants(session, who)
    editing = next((a for a in assistants if a.id == andra), None)
    own = [c for c in platform.list_collections(session, who) if c.org_id == who.org_id]
    return render(request, "knowledge/assistants.html", assistants=assistants, collections=own, roles=list(Role),
                  editing=editing, names={c.id: c.name for c in own})  # fmt: skip


@router.post("/kunskap/assistenter", include_in_schema=False)
def assistants_save(
    session: DbSession,
    who: Editor,
    slug: Annotated[str, Form()],
    name: Annotated[str, Form()],
    instructions: Annotated[str, Form()] = "",
    collection_ids: Annotated[list[int], Form()] = [],  # noqa: B006
    provider: Annotated[str, Form()] = "",
    allowed_roles: Annotated[list[str], Form()] = [],  # noqa: B006
    assistant_id: Annotated[int | None, Form()] = None,
):
    """Create or change an assistant (redaktör); it is entered in the AI register."""
    platform.save_assistant(session, who, slug=slug, name=name, instructions=instructions,
                            collection_ids=collection_ids, provider=provider or None,
                            allowed_roles=_roles(allowed_roles), assistant_id=assistant_id)  # fmt: skip
    return RedirectResponse("/kunskap/assistenter", status_code=303)


@router.post("/kunskap/assistenter/{assistant_id}/ta-bort", include_in_schema=False)
def assistants_delete(session: DbSession, who: Editor, assistant_id: int):
    """Remove an assistant (redaktör)."""
    platform.delete_assistant(session, who, assistant_id=assistant_id)
    return RedirectResponse("/kunskap/assistenter", status_code=303)


# --- REST API -------------------------------------------------------------------------------------------


class CollectionRequest(BaseModel):
    name: str = Field(description="Unique within the organisation.")
    data_class: str = Field(default="intern", description="oppen, intern or kanslig.")
    description: str = ""
    allowed_roles: list[str] = Field(default=[], description="Roles that may use it; empty: everyone.")
    allowed_units: list[int] = []
    allowed_users: list[int] = []


class SearchRequest(BaseModel):
    question: str
    collection_ids: list[int] = Field(description="Collections to search (own or shared with the organisation).")
    top_k: int = Field(default=10, ge=1, le=100)


class AskRequest(BaseModel):
    question: str
    collection_ids: list[int] = []
    assistant_id: int | None = None
    provider: str | None = Field(default=None, description="Chat provider name; default: the configured one.")
    history: list[str] = Field(default=[], description="Earlier questions of the conversation, oldest first.")


class FeedbackRequest(BaseModel):
    rating: int = Field(description="1 thumbs up, -1 thumbs down, 0 none.")
    comment: str = ""


def _collection_json(session: Session, who: Principal, collection: Collection) -> dict:
    return {
        "id": collection.id,
        "name": collection.name,
        "data_class": collection.data_class,
        "description": collection.description,
        "shared_with_us": collection.org_id != who.org_id,
        "allowed_roles": collection.allowed_roles,
        "allowed_units": collection.allowed_units,
        "allowed_users": collection.allowed_users,
        "documents": len(platform.list_documents(session, collection)),
    }


def _document_json(document: Document) -> dict:
    return {
        "id": document.id,
        "source": document.source,
        "title": document.title,
        "status": document.status,
        "error": document.error,
        "pages": document.pages,
        "chunks": document.chunks,
        "bytes": document.bytes,
        "sha256": document.sha256,
        "created_at": document.created_at.isoformat(),
    }


@api.get("/knowledge/collections", summary="Collections the caller may search")
def api_collections(session: DbSession, who: Caller) -> list[dict]:
    return [_collection_json(session, who, c) for c in platform.list_collections(session, who)]


@api.post("/knowledge/collections", summary="Create a collection (redaktör)")
def api_create_collection(session: DbSession, who: Editor, body: CollectionRequest) -> dict:
    collection = platform.create_collection(session, who, name=body.name, data_class=body.data_class,
                                            description=body.description, allowed_roles=body.allowed_roles,
                                            allowed_units=body.allowed_units,
                                            allowed_users=body.allowed_users)  # fmt: skip
    return _collection_json(session, who, collection)


class AccessRequest(BaseModel):
    allowed_roles: list[str] = Field(default=[], description="Roles that may use the collection.")
    allowed_units: list[int] = Field(default=[], description="Units (ids) whose members may use it.")
    allowed_users: list[int] = Field(default=[], description="Users (ids) who may use it; all three empty: everyone.")


@api.put("/knowledge/collections/{collection_id}/access", summary="Who may use a collection (redaktör)")
def api_set_access(session: DbSession, who: Editor, collection_id: int, body: AccessRequest) -> dict:
    collection = platform.set_access(session, who, collection_id=collection_id, allowed_roles=body.allowed_roles,
                                     allowed_units=body.allowed_units, allowed_users=body.allowed_users)  # fmt: skip
    return {"id": collection.id, "allowed_roles": collection.allowed_roles,
            "allowed_units": collection.allowed_units, "allowed_users": collection.allowed_users}  # fmt: skip


@api.get("/knowledge/collections/{collection_id}/documents", summary="Documents of a collection with status")
def api_documents(session: DbSession, who: Caller, collection_id: int) -> list[dict]:
    collection = platform.get_collection(session, who, collection_id)
    return [_document_json(d) for d in platform.list_documents(session, collection)]


@api.post(
    "/knowledge/collections/{collection_id}/documents",
    summary="Upload files (multipart field 'files'); indexed by a background job",
    dependencies=[Depends(upload_limit)],
)
async def api_upload(request: Request, session: DbSession, who: Caller, collection_id: int) -> dict:
    collection = platform.get_collection(session, who, collection_id, manage=True)
    ids = await _save_uploads(request, session, who, collection)
    session.commit()
    _wake(request)
    return {"document_ids": ids, "status": "queued"}


@api.delete("/knowledge/documents/{document_id}", summary="Delete a document and all its passages (redaktör)")
def api_delete_document(request: Request, session: DbSession, who: Editor, document_id: int) -> dict:
    platform.delete_document(session, who, store=_store(request), document_id=document_id)
    return {"deleted": document_id}


@api.post("/knowledge/search", summary="Hybrid search in collections")
def api_search(request: Request, session: DbSession, who: Caller, body: SearchRequest) -> dict:
    if not body.collection_ids:
        raise InvalidInput("Ange minst en samling (collection_ids).")
    collections = [platform.get_collection(session, who, c) for c in body.collection_ids]
    hits = platform.search(store=_store(request), collections=collections, question=body.question, top_k=body.top_k,
                           who=who, session_factory=context(request).session_factory)  # fmt: skip
    return {"results": [service.hit_json(h, rank=i) for i, h in enumerate(hits, start=1)]}


@api.post("/knowledge/ask", summary="Answer with citations, or abstain")
def api_ask(request: Request, session: DbSession, who: Caller, body: AskRequest) -> dict:
    result, _c = _ask(request, session, who, question=body.question, collection_ids=body.collection_ids,
                      assistant_id=body.assistant_id, provider=body.provider, history=body.history)  # fmt: skip
    return {**result.answer.as_json(), "question_id": result.log.id, "mode": result.mode}


@api.post("/knowledge/questions/{question_id}/feedback", summary="Thumbs up/down with a comment on an answer")
def api_feedback(session: DbSession, who: Caller, question_id: int, body: FeedbackRequest) -> dict:
    log = platform.feedback(session, who, question_id=question_id, rating=body.rating, comment=body.comment)
    return {"question_id": log.id, "rating": log.rating, "comment": log.comment}


@api.get("/knowledge/assistants", summary="Assistants the caller may use")
def api_assistants(session: DbSession, who: Caller) -> list[dict]:
    return [
        {"id": a.id, "slug": a.slug, "name": a.name, "collection_ids": a.collection_ids, "provider": a.provider}
        for a in platform.list_assistants(session, who, usable_only=True)
    ]


@api.get("/knowledge/gaps", summary="Unanswered and thumbs-down questions (redaktör)")
def api_gaps(session: DbSession, who: Editor) -> list[dict]:
    return [_question_json(q) for q in platform.gaps(session, who)]


def _question_json(log: QuestionLog) -> dict:
    return {
        "id": log.id,
        "question": log.question,
        "answer": log.answer,
        "abstained": log.abstained,
        "rating": log.rating,
        "comment": log.comment,
        "assistant_id": log.assistant_id,
        "collection_id": log.collection_id,
        "created_at": log.created_at.isoformat(),
    }
