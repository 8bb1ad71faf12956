"""Notes on the database: encrypted content per organisation, tracked edits, approval, export, recordings.

Routes, commands, jobs and the demo call these functions; the pure logic lives in service.py and review.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from radhus.core import audit, jobs
from radhus.core.audit import AuditKind
from radhus.core.auth import Principal, Role
from radhus.core.db import utcnow
from radhus.core.errors import Conflict, InvalidInput, NotFound, ProviderError
from radhus.core.privacy import find_personal_data, redact
from radhus.notes import review
from radhus.notes.audio import DEFAULT_MAX_DURATION_S, SUPPORTED_SUFFIXES
from radhus.notes.crypto import decrypt_bytes, encrypt_bytes, encrypt_file, key_from_setting, new_key
from radhus.notes.diarise import MAX_SPEAKERS
from radhus.notes.export import export_note
from radhus.notes.models import Draft, DraftSection, Edit, Note, NoteState, Segment, Transcript
from radhus.notes.org_templates import list_templates, resolve
from radhus.notes.privacy import BuiltinPrivacy, PersonalSpan, _non_overlapping, pseudonymise_draft
from radhus.notes.service import draft_note, label_speakers
from radhus.notes.tables import NoteEdit, NoteRow, Recording, RecordingStatus
from radhus.notes.transcribe import TranscriptionState

if TYPE_CHECKING:
    from radhus.providers.routing import ProviderHub
    from radhus.settings import Settings

log = logging.getLogger(__name__)

DATA_CLASS = "kanslig"
NOT_FOUND = "Anteckningen finns inte."
STATUS_SV = {
    NoteState.DRAFT.value: "utkast",
    NoteState.EDITED.value: "redigerad",
    NoteState.APPROVED.value: "godkänd",
    NoteState.EXPORTED.value: "exporterad",
}
MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "json": "application/json",
    "txt": "text/plain; charset=utf-8",
}


# --- keys and encryption -----------------------------------------------------------------------------


def notes_key(settings: Settings) -> bytes:
    """The notes key from the notes_key setting, else a key file generated once under data_dir/keys."""
    configured = settings.notes_key.get_secret_value()
    if configured:
        return key_from_setting(configured)
    key_file = Path(settings.data_dir) / "keys" / "notes.key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key_file.write_bytes(new_key())
        key_file.chmod(0o600)
    return key_file.read_bytes()


def _seal(data: Any, *, key: bytes, context: str) -> bytes:
    return encrypt_bytes(json.dumps(data, ensure_ascii=False).encode("utf-8"), key=key, context=context)


def _open(blob: bytes, *, key: bytes, context: str) -> Any:
    return json.loads(decrypt_bytes(bytes(blob), key=key, context=context))


def _note_context(row: NoteRow) -> str:
    return f"{row.org_id}/note/{row.id}"


# --- loading and saving ------------------------------------------------------------------------------


@dataclass
class LoadedNote:
    """A note row with its decrypted content: the review-domain note and the transcript segments."""

    row: NoteRow
    note: Note
    segments: list[Segment] = field(default_factory=list)
    speakers_labelled: bool = False
    diarisation: dict[str, Any] | None = None  # how speakers were labelled automatically, or why not


def get_row(session: Session, *, org_id: int, note_id: int) -> NoteRow:
    """The organisation's note row; another organisation's id answers exactly like a missing one."""
    row = session.get(NoteRow, note_id)
    if row is None or row.org_id != org_id:
        raise NotFound(NOT_FOUND)
    return row


def list_notes(session: Session, *, org_id: int) -> list[NoteRow]:
    """The organisation's notes, newest first (metadata only; content stays encrypted)."""
    stmt = select(NoteRow).where(NoteRow.org_id == org_id).order_by(NoteRow.id.desc())
    return list(session.scalars(stmt))


def load(session: Session, *, org_id: int, note_id: int, key: bytes) -> LoadedNote:
    """Decrypt one of the organisation's notes."""
    row = get_row(session, org_id=org_id, note_id=note_id)
    data = _open(row.content, key=key, context=_note_context(row))
    note = Note(
        id=str(row.id),
        org=str(row.org_id),
        draft=Draft.from_dict(data["draft"]),
        state=NoteState(row.status),
        data_class=row.data_class,
        created_at=row.created_at.isoformat(timespec="seconds"),
        approved_by=row.approved_by_name,
        approved_at=row.approved_at.isoformat(timespec="seconds") if row.approved_at else None,
    )
    edits = session.scalars(select(NoteEdit).where(NoteEdit.note_id == row.id).order_by(NoteEdit.id))
    for edit in edits:
        diff = decrypt_bytes(bytes(edit.diff), key=key, context=f"{row.org_id}/edit/{row.id}").decode("utf-8")
        note.edits.append(
            Edit(user=edit.username, at=edit.at.isoformat(timespec="seconds"), diff=diff, target=edit.target)
        )
    segments = [Segment.from_dict(s) for s in data.get("segments", [])]
    return LoadedNote(
        row=row,
        note=note,
        segments=segments,
        speakers_labelled=bool(data.get("speakers_labelled")),
        diarisation=data.get("diarisation"),
    )


def _store(loaded: LoadedNote, *, key: bytes) -> None:
    row = loaded.row
    content = {
        "draft": loaded.note.draft.to_dict(),
        "segments": [s.to_dict() for s in loaded.segments],
        "speakers_labelled": loaded.speakers_labelled,
        "diarisation": loaded.diarisation,
    }
    row.content = _seal(content, key=key, context=_note_context(row))
    row.status = loaded.note.state.value
    row.method = loaded.note.draft.method


def _add_edit(session: Session, loaded: LoadedNote, who: Principal, edit: Edit, *, key: bytes) -> None:
    row = loaded.row
    session.add(
        NoteEdit(
            org_id=row.org_id,
            note_id=row.id,
            user_id=who.user_id,
            username=who.username,
            target=edit.target,
            diff=encrypt_bytes(edit.diff.encode("utf-8"), key=key, context=f"{row.org_id}/edit/{row.id}"),
        )
    )


# --- creating and drafting ---------------------------------------------------------------------------


def templates(session: Session, *, org_id: int) -> list[tuple[str, str]]:
    """(name, title) of the templates the organisation can choose: its own first, then the shipped ones."""
    return [(t.name, t.title) for t in list_templates(session, org_id=org_id)]


def create_empty(
    session: Session, *, who: Principal, key: bytes, template: str, title: str, segments: list[Segment] | None = None
) -> LoadedNote:
    """A note row with an empty draft of the template (filled when its recording has been transcribed)."""
    tpl = resolve(session, org_id=who.org_id, name=template)
    draft = Draft(
        template=tpl.name,
        fields={f.key: ([] if f.type.value in ("names", "list") else "") for f in tpl.fields},
        sections=[DraftSection(key=s.key, title=s.title, text="") for s in tpl.sections],
    )
    return _insert(session, who=who, key=key, draft=draft, title=title, segments=segments or [])


def _insert(
    session: Session, *, who: Principal, key: bytes, draft: Draft, title: str, segments: list[Segment]
) -> LoadedNote:
    title = (title or "").strip()[:300] or resolve(session, org_id=who.org_id, name=draft.template).title
    row = NoteRow(
        org_id=who.org_id,
        template=draft.template,
        title=title,
        status=NoteState.DRAFT.value,
        data_class=DATA_CLASS,
        method=draft.method,
        content=b"",
        created_by=who.user_id,
        created_by_name=who.username,
    )
    session.add(row)
    session.flush()
    note = Note(id=str(row.id), org=str(row.org_id), draft=draft, data_class=DATA_CLASS)
    loaded = LoadedNote(row=row, note=note, segments=segments)
    _store(loaded, key=key)
    session.flush()
    return loaded


def chat_for(hub: ProviderHub | None, *, provider: str | None = None):  # type: ignore[no-untyped-def]
    """A chat callable through the hub at data class känslig, or None when no chat model is configured."""
    if hub is None:
        if provider:
            raise ProviderError(f'Chattleverantören "{provider}" är inte konfigurerad.')
        return None
    try:
        hub.resolve("chat", provider)
    except ProviderError as exc:
        if (exc.detail or {}).get("reason") == "not_configured" and not provider:
            return None
        raise

    def chat(messages: list[dict[str, str]]) -> str:
        return hub.chat(messages, data_class=DATA_CLASS, provider=provider, function="notes.draft").text

    return chat


def make_draft(
    session: Session,
    *,
    who: Principal,
    segments: list[Segment],
    template: str,
    hub: ProviderHub | None = None,
    provider: str | None = None,
) -> Draft:
    """Draft the template from a transcript: through the hub's chat model, else the audited built-in extract."""
    if not segments:
        raise InvalidInput("Transkriptionen är tom – klistra in text eller ladda upp en fil.")
    tpl = resolve(session, org_id=who.org_id, name=template)
    chat = chat_for(hub, provider=provider)
    draft = draft_note(segments=segments, template=tpl, chat=chat)
    if chat is None:  # the hub audits model calls; the built-in default is audited here
        text_in = "\n".join(s.text for s in segments)
        text_out = "\n".join(s.text for s in draft.sections)
        audit.append(
            session,
            kind=AuditKind.AI_CALL,
            action="chat",
            org_id=who.org_id,
            user_id=who.user_id,
            username=who.username,
            function="notes.draft",
            provider="inbyggd",
            model="extraktiv",
            data_class=DATA_CLASS,
            input_text=text_in,
            output_text=text_out,
            excerpt=redact(text_out[:400]).text[:200],
            detail={"template": tpl.name, "segments": len(segments)},
        )
    return draft


def create_from_transcript(
    session: Session,
    *,
    who: Principal,
    key: bytes,
    segments: list[Segment],
    template: str,
    title: str = "",
    hub: ProviderHub | None = None,
    provider: str | None = None,
) -> LoadedNote:
    """Draft a note from a transcript and store it (encrypted) as an utkast."""
    draft = make_draft(session, who=who, segments=segments, template=template, hub=hub, provider=provider)
    return _insert(session, who=who, key=key, draft=draft, title=title, segments=segments)


# --- review ------------------------------------------------------------------------------------------


def edit_section(
    session: Session, *, who: Principal, key: bytes, note_id: int, section_key: str, text: str
) -> LoadedNote:
    """Replace a section's text as `who`; the edit is tracked."""
    loaded = load(session, org_id=who.org_id, note_id=note_id, key=key)
    edit = review.edit_section(note=loaded.note, user=who.username, section_key=section_key, text=text)
    _add_edit(session, loaded, who, edit, key=key)
    _store(loaded, key=key)
    return loaded


def edit_field(session: Session, *, who: Principal, key: bytes, note_id: int, field_key: str, value: Any) -> LoadedNote:
    """Set a field's value as `who`; list fields take one item per line."""
    loaded = load(session, org_id=who.org_id, note_id=note_id, key=key)
    current = loaded.note.draft.fields.get(field_key)
    if isinstance(current, list) and isinstance(value, str):
        value = [line.strip() for line in value.splitlines() if line.strip()]
    edit = review.edit_field(note=loaded.note, user=who.username, field_key=field_key, value=value)
    _add_edit(session, loaded, who, edit, key=key)
    _store(loaded, key=key)
    return loaded


def set_speakers(
    session: Session,
    *,
    who: Principal,
    key: bytes,
    note_id: int,
    by_index: dict[int, str] | None = None,
    rename: dict[str, str] | None = None,
    texts: dict[int, str] | None = None,
) -> LoadedNote:
    """Speaker labelling and transcript correction: names per segment index, a new name for a label on all its
    segments (e.g. "Talare 1" -> "Anna Berg"), and corrected segment texts; each kind tracked as an edit."""
    loaded = load(session, org_id=who.org_id, note_id=note_id, key=key)
    if loaded.note.state in (NoteState.APPROVED, NoteState.EXPORTED):
        raise Conflict("Anteckningen är redan godkänd och kan inte ändras.")
    rename = {old: new.strip() for old, new in (rename or {}).items() if old and new.strip() and new.strip() != old}
    before = [s.speaker for s in loaded.segments]
    loaded.segments = label_speakers(segments=loaded.segments, by_index=by_index, rename=rename)
    changed = [i for i, s in enumerate(loaded.segments) if s.speaker != before[i]]
    loaded.speakers_labelled = True
    if changed:
        diff = "\n".join(f"segment {i}: {before[i] or '-'} -> {loaded.segments[i].speaker or '-'}" for i in changed)
        edit = Edit(user=who.username, at=utcnow().isoformat(timespec="seconds"), diff=diff, target="speakers")
        _add_edit(session, loaded, who, edit, key=key)
    _correct_texts(session, loaded, who, texts or {}, key=key)
    _store(loaded, key=key)
    return loaded


def _correct_texts(session: Session, loaded: LoadedNote, who: Principal, texts: dict[int, str], *, key: bytes) -> None:
    """Replace segment texts a person corrected (while listening); tracked as one "transcript" edit."""
    lines = []
    for i, text in sorted(texts.items()):
        if not 0 <= i < len(loaded.segments):
            raise InvalidInput(f"Segment {i} finns inte i transkriptionen.")
        text = " ".join(text.split())
        if not text:
            raise InvalidInput(f"Texten i segment {i} får inte vara tom; skriv det som sades, t.ex. (ohörbart).")
        if text != loaded.segments[i].text:
            lines.append(f"segment {i}: {loaded.segments[i].text} -> {text}")
            loaded.segments[i].text = text
    if lines:
        edit = Edit(
            user=who.username, at=utcnow().isoformat(timespec="seconds"), diff="\n".join(lines), target="transcript"
        )
        _add_edit(session, loaded, who, edit, key=key)


def redraft(
    session: Session, *, who: Principal, key: bytes, note_id: int, hub: ProviderHub | None = None
) -> LoadedNote:
    """Draft the note again from its (relabelled) transcript; only while nobody has edited it."""
    loaded = load(session, org_id=who.org_id, note_id=note_id, key=key)
    if loaded.note.state is not NoteState.DRAFT:
        raise Conflict("Anteckningen har redigerats eller godkänts; ett nytt utkast skulle skriva över ändringarna.")
    loaded.note.draft = make_draft(session, who=who, segments=loaded.segments, template=loaded.row.template, hub=hub)
    _store(loaded, key=key)
    return loaded


def approve(session: Session, *, who: Principal, key: bytes, note_id: int, settings: Settings) -> dict[str, Any]:
    """Approve as a named user holding the granskare role; audited (APPROVAL); the audio is then deleted."""
    who.require_role(Role.REVIEWER)
    loaded = load(session, org_id=who.org_id, note_id=note_id, key=key)
    event = review.approve(note=loaded.note, user=who.username, roles={review.REVIEWER_ROLE})
    loaded.row.approved_by = who.user_id
    loaded.row.approved_by_name = who.username
    loaded.row.approved_at = utcnow()
    _store(loaded, key=key)
    audit.append(
        session,
        kind=AuditKind.APPROVAL,
        action="notes.approve",
        org_id=who.org_id,
        user_id=who.user_id,
        username=who.username,
        function="notes.draft",
        data_class=loaded.row.data_class,
        detail={"note_id": loaded.row.id, **{k: event[k] for k in ("template", "method", "edits")}},
    )
    for recording in recordings(session, org_id=who.org_id, note_id=loaded.row.id):
        delete_audio(recording, settings=settings)
    return event


def export(session: Session, *, who: Principal, key: bytes, note_id: int, fmt: str) -> tuple[bytes, str, str]:
    """The note as docx/pdf/json/txt: (bytes, file name, media type); audited as a personal-data read."""
    loaded = load(session, org_id=who.org_id, note_id=note_id, key=key)
    fmt = fmt.lower()
    data = export_note(note=loaded.note, fmt=fmt)
    event = review.mark_exported(note=loaded.note, user=who.username, fmt=fmt)
    _store(loaded, key=key)
    audit.append(
        session,
        kind=AuditKind.PERSONAL_DATA_READ,
        action="notes.export",
        org_id=who.org_id,
        user_id=who.user_id,
        username=who.username,
        data_class=loaded.row.data_class,
        detail={"note_id": loaded.row.id, "format": fmt, "final": bool(event and event["final"])},
    )
    return data, f"anteckning-{loaded.row.id}.{fmt}", MEDIA_TYPES[fmt]


def record_read(session: Session, *, who: Principal, note_id: int, action: str = "notes.show") -> None:
    """Audit that `who` was shown the note's personal data."""
    audit.append(
        session,
        kind=AuditKind.PERSONAL_DATA_READ,
        action=action,
        org_id=who.org_id,
        user_id=who.user_id,
        username=who.username,
        data_class=DATA_CLASS,
        detail={"note_id": note_id},
    )


# --- privacy -----------------------------------------------------------------------------------------


class CorePrivacy:
    """The platform's personal-data detection (radhus.core.privacy) plus the names the note itself lists."""

    def __init__(self, names: list[str] | None = None):
        self.known = BuiltinPrivacy(names)

    def find(self, text: str) -> list[PersonalSpan]:
        """Personal-data spans from core detection and the known names, non-overlapping."""
        spans = [
            PersonalSpan(span.kind.value, span.start, span.end, span.text)
            for span in find_personal_data(text, include_warnings=False)
        ]
        return _non_overlapping(spans + self.known.find(text))


def _names(draft: Draft) -> list[str]:
    found = []
    for value in draft.fields.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and 0 < len(item) < 60 and item[:1].isupper():
                found.append(item)
    return found


def marked_pieces(text: str, *, names: list[str]) -> list[tuple[str, str | None]]:
    """The text cut into (piece, kind-or-None) for highlighting personal data."""
    pieces: list[tuple[str, str | None]] = []
    cursor = 0
    for span in CorePrivacy(names).find(text):
        pieces.append((text[cursor : span.start], None))
        pieces.append((text[span.start : span.end], span.kind))
        cursor = span.end
    pieces.append((text[cursor:], None))
    return [p for p in pieces if p[0]]


def names_in(draft: Draft) -> list[str]:
    """Names the draft's fields list (attendees, justerare), for highlighting and pseudonymising."""
    return _names(draft)


def pseudonymised(loaded: LoadedNote) -> Draft:
    """A pseudonymised copy of the draft, for sharing outside the case."""
    return pseudonymise_draft(loaded.note.draft, hook=CorePrivacy(_names(loaded.note.draft)))


# --- recordings --------------------------------------------------------------------------------------


def recordings(session: Session, *, org_id: int, note_id: int) -> list[Recording]:
    """The note's recordings."""
    stmt = select(Recording).where(Recording.org_id == org_id, Recording.note_id == note_id).order_by(Recording.id)
    return list(session.scalars(stmt))


def audio_path(recording: Recording, *, settings: Settings) -> Path:
    """Where the encrypted audio lies."""
    return Path(settings.data_dir) / recording.path


def audio_context(recording: Recording) -> str:
    """The authenticated context the audio is encrypted under (binds it to organisation and note)."""
    return f"{recording.org_id}/audio/{recording.note_id}"


def add_recording(
    session: Session,
    *,
    who: Principal,
    key: bytes,
    settings: Settings,
    source: Path,
    filename: str,
    template: str,
    title: str = "",
    speakers: int | None = None,
) -> tuple[LoadedNote, Recording]:
    """Encrypt an uploaded recording, create its note and queue the transcription job (`speakers`: how many
    people speak, when the user knows it; it steers the automatic speaker labelling)."""
    suffix = Path(filename).suffix.lower()
    if speakers is not None and not 1 <= speakers <= MAX_SPEAKERS:
        raise InvalidInput(f"Antal talare ska vara ett heltal mellan 1 och {MAX_SPEAKERS}, eller lämnas tomt.")
    if suffix not in SUPPORTED_SUFFIXES:
        allowed = ", ".join(s.lstrip(".") for s in SUPPORTED_SUFFIXES)
        raise InvalidInput(f"Filformatet {suffix or '(inget)'} stöds inte. Använd något av: {allowed}.")
    if source.stat().st_size == 0:
        raise InvalidInput(f"Filen {filename} är tom.")
    loaded = create_empty(session, who=who, key=key, template=template, title=title or Path(filename).stem)
    relative = Path("notes-audio") / str(who.org_id) / f"{loaded.row.id}{suffix}.enc"
    target = Path(settings.data_dir) / relative
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    recording = Recording(
        org_id=who.org_id,
        note_id=loaded.row.id,
        path=str(relative),
        filename=Path(filename).name[:300],
        suffix=suffix,
        status=RecordingStatus.QUEUED.value,
        state={},
        delete_after=utcnow() + dt.timedelta(days=settings.notes_retention_days),
    )
    session.add(recording)
    session.flush()
    encrypt_file(source, target, key=key, context=audio_context(recording))
    job = jobs.enqueue(
        session,
        org_id=who.org_id,
        kind="notes.transcribe",
        title=f"Transkribering av {recording.filename}",
        payload={"recording_id": recording.id, "user_id": who.user_id, "username": who.username, "speakers": speakers},
        user_id=who.user_id,
    )
    recording.job_id = job.id
    return loaded, recording


def seal_state(state: TranscriptionState, *, key: bytes, recording: Recording) -> dict[str, Any]:
    """The resumable state for the database, with the transcribed text encrypted."""
    data = state.to_dict()
    done = data.pop("done")
    data["windows_done"] = len(done)
    sealed = _seal(done, key=key, context=f"{audio_context(recording)}/state")
    data["done_sealed"] = base64.b64encode(sealed).decode("ascii")
    return data


def open_state(data: dict[str, Any], *, key: bytes, recording: Recording) -> TranscriptionState:
    """Rebuild the resumable state stored by seal_state (empty when none)."""
    if not data:
        return TranscriptionState()
    done = {}
    if data.get("done_sealed"):
        done = _open(base64.b64decode(data["done_sealed"]), key=key, context=f"{audio_context(recording)}/state")
    return TranscriptionState.from_dict({**data, "done": done})


def finish_transcription(
    session: Session,
    *,
    recording: Recording,
    transcript: Transcript,
    key: bytes,
    who: Principal,
    hub: ProviderHub | None = None,
    diarisation: dict[str, Any] | None = None,
) -> LoadedNote:
    """Store the transcript (speakers labelled when diarised) in the note and draft it (the draft waits for a
    person)."""
    loaded = load(session, org_id=recording.org_id, note_id=recording.note_id, key=key)
    loaded.segments = transcript.segments
    loaded.diarisation = diarisation
    if loaded.note.state is NoteState.DRAFT:
        try:
            loaded.note.draft = make_draft(
                session, who=who, segments=transcript.segments, template=loaded.row.template, hub=hub
            )
        except InvalidInput as exc:  # e.g. another language: keep the transcript, say why there is no draft
            loaded.note.draft.notice = f"Inget utkast: {exc.message}"
    _store(loaded, key=key)
    recording.status = RecordingStatus.DONE.value
    recording.error = None
    return loaded


def max_duration_s(settings: Settings) -> float:
    """Longest recording accepted, from the notes_max_audio_minutes setting."""
    return float(settings.notes_max_audio_minutes) * 60 if settings.notes_max_audio_minutes else DEFAULT_MAX_DURATION_S


def delete_audio(recording: Recording, *, settings: Settings) -> bool:
    """Delete a recording's encrypted audio (and its partial transcription state); True when it existed."""
    path = audio_path(recording, settings=settings)
    existed = path.exists()
    path.unlink(missing_ok=True)
    if recording.status != RecordingStatus.DELETED.value:
        recording.status = RecordingStatus.DELETED.value
        recording.deleted_at = utcnow()
        recording.state = {}
    return existed


def apply_retention(
    session: Session, *, settings: Settings, now: dt.datetime | None = None, org_id: int | None = None
) -> list[int]:
    """Delete audio whose note is approved or whose retention period has passed (one organisation, or all when
    org_id is None); returns the recording ids."""
    now = now or utcnow()
    stmt = (
        select(Recording, NoteRow.status)
        .join(NoteRow, NoteRow.id == Recording.note_id)
        .where(Recording.status != RecordingStatus.DELETED.value)
    )
    if org_id is not None:
        stmt = stmt.where(Recording.org_id == org_id)
    removed = []
    for recording, status in session.execute(stmt).all():
        approved = status in (NoteState.APPROVED.value, NoteState.EXPORTED.value)
        if approved or recording.delete_after <= now:
            delete_audio(recording, settings=settings)
            removed.append(recording.id)
    return removed
