"""Documentation support pages and API: notes from audio or transcripts, review, approval and export."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from radhus.core.auth import Principal, Role
from radhus.core.errors import InvalidInput, NotFound, RadhusError
from radhus.notes import org_templates, workflow
from radhus.notes.crypto import decrypt_file
from radhus.notes.diarise import MAX_SPEAKERS
from radhus.notes.export import FORMATS
from radhus.notes.models import NoteState
from radhus.notes.tables import RecordingStatus
from radhus.notes.transcript import parse_transcript
from radhus.web.deps import DbSession, context, render, role_required
from radhus.web.uploads import save_upload

router = APIRouter()
api = APIRouter(prefix="/api/v1")

Writer = Annotated[Principal, Depends(role_required(Role.STAFF, Role.REVIEWER))]
Reviewer = Annotated[Principal, Depends(role_required(Role.REVIEWER))]
TemplateAdmin = Annotated[Principal, Depends(role_required(Role.ADMIN, Role.EDITOR))]
TemplateReader = Annotated[Principal, Depends(role_required(Role.STAFF, Role.REVIEWER, Role.EDITOR))]

NAV = [
    {
        "path": "/anteckningar",
        "label": "Dokumentationsstöd",
        "description": "Från inspelning eller transkription till granskat protokoll eller journalanteckning.",
        "roles": ["medarbetare", "granskare"],
    }
]
TRANSCRIPT_SUFFIXES = (".txt", ".vtt", ".srt", ".json")


def _key(request: Request) -> bytes:
    return workflow.notes_key(context(request).settings)


def _hub(request: Request, session: Session, who: Principal):  # type: ignore[no-untyped-def]
    return context(request).provider_hub(session, who)


def _fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return ""
    total = int(seconds)
    return (
        f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"
        if total >= 3600
        else f"{total // 60:02d}:{total % 60:02d}"
    )


# --- pages ---------------------------------------------------------------------------------------------


def _list_page(request: Request, session: Session, who: Principal, status_code: int = 200, **values: Any):
    return render(
        request,
        "notes/list.html",
        status_code=status_code,
        notes=workflow.list_notes(session, org_id=who.org_id),
        templates=workflow.templates(session, org_id=who.org_id),
        status_sv=workflow.STATUS_SV,
        max_mb=context(request).settings.max_upload_mb,
        diarising=context(request).settings.notes_diarisation == "builtin",
        can_manage_templates=who.has_role(Role.ADMIN) or who.has_role(Role.EDITOR),
        **values,
    )


@router.get("/anteckningar", include_in_schema=False)
def notes_page(request: Request, session: DbSession, who: Writer):
    """Notes of the organisation, and a form for a new note from audio or a transcript."""
    return _list_page(request, session, who, form={})


@router.post("/anteckningar", include_in_schema=False)
async def notes_create(
    request: Request,
    session: DbSession,
    who: Writer,
    template: Annotated[str, Form()],
    title: Annotated[str, Form()] = "",
    transcript: Annotated[str, Form()] = "",
    transcript_file: Annotated[UploadFile | None, File()] = None,
    audio: Annotated[UploadFile | None, File()] = None,
    speakers: Annotated[str, Form()] = "",
):
    """Create a note: draft from a pasted or uploaded transcript, or queue an uploaded recording for transcription."""
    settings = context(request).settings
    form = {"template": template, "title": title, "transcript": transcript, "speakers": speakers}
    saved: Path | None = None
    try:
        if audio is not None and audio.filename:
            count = _speaker_count(speakers)
            saved = await save_upload(audio, limit_mb=settings.max_upload_mb)
            loaded, _ = workflow.add_recording(
                session, who=who, key=_key(request), settings=settings, source=saved, filename=audio.filename,
                template=template, title=title, speakers=count,
            )  # fmt: skip
            if context(request).worker:
                context(request).worker.wake()  # type: ignore[union-attr]
        else:
            text, name = transcript, None
            if transcript_file is not None and transcript_file.filename:
                name = transcript_file.filename
                if Path(name).suffix.lower() not in TRANSCRIPT_SUFFIXES:
                    raise InvalidInput("Transkriptionen ska vara en textfil: txt, vtt, srt eller json.")
                raw = await transcript_file.read(settings.max_upload_mb * 1024 * 1024 + 1)
                if len(raw) > settings.max_upload_mb * 1024 * 1024:
                    raise InvalidInput(f"Filen är större än {settings.max_upload_mb} MB.")
                try:
                    text = raw.decode("utf-8-sig")
                except UnicodeDecodeError as exc:
                    raise InvalidInput("Transkriptionen måste vara text i UTF-8.") from exc
            if not text.strip():
                raise InvalidInput("Klistra in en transkription, eller välj en ljud- eller textfil.")
            segments = parse_transcript(text, filename=name)
            session.commit()  # the hub audits model calls in its own transaction: hold no write lock meanwhile
            loaded = workflow.create_from_transcript(
                session, who=who, key=_key(request), segments=segments, template=template, title=title,
                hub=_hub(request, session, who),
            )  # fmt: skip
    except RadhusError as exc:
        session.rollback()
        return _list_page(request, session, who, status_code=exc.status_code, form=form, error=exc.message)
    finally:
        if saved is not None:
            shutil.rmtree(saved.parent, ignore_errors=True)
    return RedirectResponse(f"/anteckningar/{loaded.row.id}", status_code=303)


def _speaker_count(text: str) -> int | None:
    """The optional "antal talare" of the upload form."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_SPEAKERS:
        raise InvalidInput(f"Antal talare ska vara ett heltal mellan 1 och {MAX_SPEAKERS}, eller lämnas tomt.")
    return int(text)


# --- templates defined by the organisation (registered before /anteckningar/{note_id}) ------------------


def _templates_page(
    request: Request, session: Session, who: Principal, *, status_code: int = 200, **values: Any
) -> Response:
    values.setdefault("text", "")
    values.setdefault("editing", None)
    return render(
        request,
        "notes/templates.html",
        status_code=status_code,
        templates=org_templates.list_templates(session, org_id=who.org_id),
        example=org_templates.EXAMPLE,
        **values,
    )


@router.get("/anteckningar/mallar", include_in_schema=False)
def templates_page(request: Request, session: DbSession, who: TemplateAdmin, sparad: str = ""):
    """The organisation's own note templates beside the shipped ones, and a form to add a template as JSON."""
    return _templates_page(request, session, who, saved=sparad)


@router.post("/anteckningar/mallar", include_in_schema=False)
def templates_create(request: Request, session: DbSession, who: TemplateAdmin, definition: Annotated[str, Form()] = ""):
    """Add a template from JSON (validated; audited as an administrative change)."""
    try:
        row = org_templates.save(session, who=who, text=definition)
    except RadhusError as exc:
        session.rollback()
        return _templates_page(request, session, who, status_code=exc.status_code, text=definition, error=exc.message)
    return RedirectResponse(f"/anteckningar/mallar?sparad={row.name}", status_code=303)


@router.get("/anteckningar/mallar/{template_id}", include_in_schema=False)
def template_edit_page(request: Request, session: DbSession, who: TemplateAdmin, template_id: int):
    """Edit one of the organisation's own templates as JSON."""
    row = org_templates.get_row(session, org_id=who.org_id, template_id=template_id)
    return _templates_page(request, session, who, editing=row, text=org_templates.definition_json(row))


@router.post("/anteckningar/mallar/{template_id}", include_in_schema=False)
def template_update(
    request: Request, session: DbSession, who: TemplateAdmin, template_id: int, definition: Annotated[str, Form()] = ""
):
    """Replace one of the organisation's own templates (validated; audited)."""
    editing = org_templates.get_row(session, org_id=who.org_id, template_id=template_id)
    try:
        row = org_templates.save(session, who=who, text=definition, template_id=template_id)
    except RadhusError as exc:
        session.rollback()
        editing = org_templates.get_row(session, org_id=who.org_id, template_id=template_id)
        return _templates_page(
            request, session, who, status_code=exc.status_code, text=definition, error=exc.message, editing=editing
        )
    return RedirectResponse(f"/anteckningar/mallar?sparad={row.name}", status_code=303)


@router.post("/anteckningar/mallar/{template_id}/radera", include_in_schema=False)
def template_delete(request: Request, session: DbSession, who: TemplateAdmin, template_id: int):
    """Delete one of the organisation's own templates (audited); existing notes keep their content."""
    org_templates.delete(session, who=who, template_id=template_id)
    return RedirectResponse("/anteckningar/mallar", status_code=303)


def _sections_view(loaded: workflow.LoadedNote) -> list[dict[str, Any]]:
    names = workflow.names_in(loaded.note.draft)
    segments = loaded.segments
    view = []
    for section in loaded.note.draft.sections:
        sentences = section.sentences or []
        sources = sorted({i for s in sentences for i in s.get("sources", [])} or set(section.sources))
        view.append(
            {
                "key": section.key,
                "title": section.title,
                "text": section.text,
                "pieces": workflow.marked_pieces(section.text, names=names),
                "sources": [
                    {"index": i, "start": segments[i].start, "time": _fmt_time(segments[i].start)}
                    for i in sources
                    if 0 <= i < len(segments)
                ],
            }
        )
    return view


def _note_values(request: Request, session: Session, who: Principal, note_id: int) -> dict[str, Any]:
    loaded = workflow.load(session, org_id=who.org_id, note_id=note_id, key=_key(request))
    recordings = workflow.recordings(session, org_id=who.org_id, note_id=note_id)
    recording = recordings[-1] if recordings else None
    return {
        "row": loaded.row,
        "note": loaded.note,
        "draft": loaded.note.draft,
        "sections": _sections_view(loaded),
        "segments": [dict(s.to_dict(), time=_fmt_time(s.start)) for s in loaded.segments],
        "recording": recording,
        "recording_status": RecordingStatus(recording.status).label_sv if recording else "",
        "has_audio": bool(recording and recording.status != RecordingStatus.DELETED.value),
        "busy": bool(recording and recording.status in (RecordingStatus.QUEUED.value, RecordingStatus.RUNNING.value)),
        "editable": loaded.note.state in (NoteState.DRAFT, NoteState.EDITED),
        "can_approve": who.has_role(Role.REVIEWER) and loaded.note.state in (NoteState.DRAFT, NoteState.EDITED),
        "status_sv": workflow.STATUS_SV,
        "formats": FORMATS,
        "edits": loaded.note.edits,
        "speaker_labels": list(dict.fromkeys(s.speaker for s in loaded.segments if s.speaker)),
        "diarisation": loaded.diarisation,
    }


@router.get("/anteckningar/{note_id}", include_in_schema=False)
def note_page(request: Request, session: DbSession, who: Writer, note_id: int, saved: str = ""):
    """The note editor: fields, sections with their sources, personal data marked, transcript and actions."""
    values = _note_values(request, session, who, note_id)
    workflow.record_read(session, who=who, note_id=note_id)
    return render(request, "notes/note.html", saved=saved, **values)


@router.get("/anteckningar/{note_id}/status", include_in_schema=False)
def note_status(request: Request, session: DbSession, who: Writer, note_id: int):
    """Transcription progress of the note's recording (polled by the editor)."""
    from radhus.core import jobs

    workflow.get_row(session, org_id=who.org_id, note_id=note_id)
    recordings = workflow.recordings(session, org_id=who.org_id, note_id=note_id)
    recording = recordings[-1] if recordings else None
    if recording is None:
        raise NotFound(workflow.NOT_FOUND)
    job = jobs.get_job(session, org_id=who.org_id, job_id=recording.job_id) if recording.job_id else None
    busy = recording.status in (RecordingStatus.QUEUED.value, RecordingStatus.RUNNING.value)
    response = render(
        request, "notes/_status.html", row_id=note_id, recording=recording, job=job, busy=busy,
        recording_status=RecordingStatus(recording.status).label_sv,
    )  # fmt: skip
    if request.headers.get("hx-request") and recording.status == RecordingStatus.DONE.value:
        response.headers["HX-Refresh"] = "true"
    return response


@router.post("/anteckningar/{note_id}/avsnitt/{section_key}", include_in_schema=False)
def note_edit_section(
    request: Request, session: DbSession, who: Writer, note_id: int, section_key: str, text: Annotated[str, Form()] = ""
):
    """Save a person's text for one section (tracked)."""
    workflow.edit_section(session, who=who, key=_key(request), note_id=note_id, section_key=section_key, text=text)
    return RedirectResponse(f"/anteckningar/{note_id}?saved=1#avsnitt-{section_key}", status_code=303)


@router.post("/anteckningar/{note_id}/falt/{field_key}", include_in_schema=False)
def note_edit_field(
    request: Request, session: DbSession, who: Writer, note_id: int, field_key: str, value: Annotated[str, Form()] = ""
):
    """Save a field's value (tracked); list fields take one item per line."""
    workflow.edit_field(session, who=who, key=_key(request), note_id=note_id, field_key=field_key, value=value)
    return RedirectResponse(f"/anteckningar/{note_id}?saved=1#falt-{field_key}", status_code=303)


@router.get("/anteckningar/{note_id}/talare", include_in_schema=False)
def speakers_page(request: Request, session: DbSession, who: Writer, note_id: int):
    """Speakers and transcript text per segment, with playback: rename a label everywhere, correct a segment."""
    values = _note_values(request, session, who, note_id)
    workflow.record_read(session, who=who, note_id=note_id, action="notes.speakers")
    return render(request, "notes/speakers.html", **values)


@router.post("/anteckningar/{note_id}/talare", include_in_schema=False)
async def speakers_save(request: Request, session: DbSession, who: Writer, note_id: int):
    """Save speaker names and corrected texts per segment, or rename a speaker label on all its segments (tracked)."""
    form = await request.form()
    by_index, rename, texts = {}, {}, {}
    for name, value in form.items():
        if name.startswith("speaker_") and name[8:].isdigit():
            by_index[int(name[8:])] = str(value).strip()
        elif name.startswith("text_") and name[5:].isdigit():
            texts[int(name[5:])] = str(value)
        elif name.startswith("rename_to_") and name[10:].isdigit():
            rename[str(form.get(f"rename_from_{name[10:]}", ""))] = str(value)
    workflow.set_speakers(
        session, who=who, key=_key(request), note_id=note_id, by_index=by_index, rename=rename, texts=texts
    )
    return RedirectResponse(f"/anteckningar/{note_id}/talare?saved=1", status_code=303)


@router.post("/anteckningar/{note_id}/nytt-utkast", include_in_schema=False)
def note_redraft(request: Request, session: DbSession, who: Writer, note_id: int):
    """Draft the note again from its transcript (only before anyone has edited it)."""
    session.commit()  # the hub audits model calls in its own transaction: hold no write lock meanwhile
    workflow.redraft(session, who=who, key=_key(request), note_id=note_id, hub=_hub(request, session, who))
    return RedirectResponse(f"/anteckningar/{note_id}", status_code=303)


@router.get("/anteckningar/{note_id}/pseudonymiserad", include_in_schema=False)
def note_pseudonymised(request: Request, session: DbSession, who: Writer, note_id: int):
    """A pseudonymised copy of the note for sharing (names and identifiers replaced)."""
    loaded = workflow.load(session, org_id=who.org_id, note_id=note_id, key=_key(request))
    return render(request, "notes/pseudonymised.html", row=loaded.row, draft=workflow.pseudonymised(loaded))


@router.post("/anteckningar/{note_id}/godkann", include_in_schema=False)
def note_approve(request: Request, session: DbSession, who: Reviewer, note_id: int):
    """Approve the note as the logged-in granskare (audited); the audio is deleted."""
    settings = context(request).settings
    workflow.approve(session, who=who, key=_key(request), note_id=note_id, settings=settings)
    return RedirectResponse(f"/anteckningar/{note_id}", status_code=303)


@router.get("/anteckningar/{note_id}/export/{fmt}", include_in_schema=False)
def note_export(request: Request, session: DbSession, who: Writer, note_id: int, fmt: str):
    """Download the note as DOCX, PDF, JSON or plain text."""
    data, name, media = workflow.export(session, who=who, key=_key(request), note_id=note_id, fmt=fmt)
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/anteckningar/{note_id}/ljud", include_in_schema=False)
def note_audio(request: Request, session: DbSession, who: Writer, note_id: int):
    """The note's recording, decrypted for playback."""
    settings = context(request).settings
    workflow.get_row(session, org_id=who.org_id, note_id=note_id)
    recordings = [r for r in workflow.recordings(session, org_id=who.org_id, note_id=note_id)
                  if r.status != RecordingStatus.DELETED.value]  # fmt: skip
    if not recordings or not workflow.audio_path(recordings[-1], settings=settings).exists():
        raise NotFound("Anteckningen har inget ljud (det kan ha raderats enligt gallringsregeln).")
    recording = recordings[-1]
    folder = Path(tempfile.mkdtemp(prefix="radhus-ljud-"))
    plain = folder / f"ljud{recording.suffix}"
    decrypt_file(
        workflow.audio_path(recording, settings=settings), plain, key=_key(request),
        context=workflow.audio_context(recording),
    )  # fmt: skip
    workflow.record_read(session, who=who, note_id=note_id, action="notes.audio")
    media = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".mp4": "video/mp4",
             ".webm": "audio/webm"}.get(recording.suffix, "audio/ogg")  # fmt: skip
    return FileResponse(plain, media_type=media, background=BackgroundTask(shutil.rmtree, folder, True))


# --- API -----------------------------------------------------------------------------------------------


class NoteRequest(BaseModel):
    template: str = Field(description="Template name, e.g. protokoll, journalanteckning.")
    transcript: str = Field(description="Transcript text; lines may carry [hh:mm:ss] Namn: prefixes.")
    title: str = Field(default="", description="Title in the note list.")


def _row_json(row: Any) -> dict:
    return {
        "id": row.id,
        "title": row.title,
        "template": row.template,
        "status": row.status,
        "data_class": row.data_class,
        "method": row.method,
        "created_at": row.created_at.isoformat(),
        "approved_by": row.approved_by_name,
        "approved_at": row.approved_at.isoformat() if row.approved_at else None,
    }


@api.get("/notes", summary="Notes of the caller's organisation (metadata)")
def api_notes(session: DbSession, who: Writer) -> list[dict]:
    return [_row_json(r) for r in workflow.list_notes(session, org_id=who.org_id)]


@api.post("/notes", summary="Draft a note from a transcript")
def api_create(request: Request, session: DbSession, who: Writer, body: NoteRequest) -> dict:
    segments = parse_transcript(body.transcript)
    session.commit()  # the hub audits model calls in its own transaction: hold no write lock meanwhile
    loaded = workflow.create_from_transcript(
        session, who=who, key=_key(request), segments=segments, template=body.template, title=body.title,
        hub=_hub(request, session, who),
    )  # fmt: skip
    return {**_row_json(loaded.row), "draft": loaded.note.draft.to_dict()}


def _template_json(info: org_templates.TemplateInfo) -> dict:
    return {"name": info.name, "title": info.title, "description": info.description, "id": info.id, "own": info.own}


@api.get("/notes/templates", summary="Templates the organisation can draft with: its own, then the shipped ones")
def api_templates(session: DbSession, who: TemplateReader) -> list[dict]:
    """Templates the organisation can draft with: its own first, then the shipped ones."""
    return [_template_json(t) for t in org_templates.list_templates(session, org_id=who.org_id)]


@api.post("/notes/templates", summary="Add an organisation template (administrator or redaktör; validated, audited)")
def api_template_create(
    session: DbSession,
    who: TemplateAdmin,
    definition: Annotated[
        dict[str, Any], Body(description="The template: name, title, description, fields, sections.")
    ],
) -> dict:
    """Add an organisation template from a JSON object (validated; audited as an administrative change)."""
    row = org_templates.save(session, who=who, text=json.dumps(definition, ensure_ascii=False))
    return {"id": row.id, "name": row.name, "own": True, "definition": row.definition}


@api.get("/notes/{note_id}", summary="One note with its draft and transcript (audited as a personal-data read)")
def api_note(request: Request, session: DbSession, who: Writer, note_id: int) -> dict:
    loaded = workflow.load(session, org_id=who.org_id, note_id=note_id, key=_key(request))
    workflow.record_read(session, who=who, note_id=note_id, action="notes.api_read")
    return {
        **_row_json(loaded.row),
        "draft": loaded.note.draft.to_dict(),
        "segments": [s.to_dict() for s in loaded.segments],
        "edits": [{"user": e.user, "at": e.at, "target": e.target} for e in loaded.note.edits],
    }


@api.post("/notes/{note_id}/approve", summary="Approve a note (granskare; audited)")
def api_approve(request: Request, session: DbSession, who: Reviewer, note_id: int) -> dict:
    workflow.approve(session, who=who, key=_key(request), note_id=note_id, settings=context(request).settings)
    return _row_json(workflow.get_row(session, org_id=who.org_id, note_id=note_id))


@api.get("/notes/{note_id}/export/{fmt}", summary="Export a note as docx, pdf, json or txt")
def api_export(request: Request, session: DbSession, who: Writer, note_id: int, fmt: str) -> Response:
    data, name, media = workflow.export(session, who=who, key=_key(request), note_id=note_id, fmt=fmt)
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
