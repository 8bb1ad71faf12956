"""The review workflow: draft -> edited -> approved (by a granskare) -> exported; every edit tracked."""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from radhus.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from radhus.notes.models import Draft, Edit, Note, NoteState

REVIEWER_ROLE = "granskare"
Audit = Callable[[dict[str, Any]], None]


def _now(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).isoformat(timespec="seconds")


def create_note(
    *, org: str, draft: Draft, note_id: str | None = None, now: datetime | None = None, data_class: str = "kanslig"
) -> Note:
    """A new note in state utkast (draft); data class känslig unless the caller says otherwise."""
    if not org:
        raise InvalidInput("Organisation saknas.")
    return Note(id=note_id or uuid.uuid4().hex[:12], org=org, draft=draft, data_class=data_class, created_at=_now(now))


def _require_editable(note: Note) -> None:
    if note.state in (NoteState.APPROVED, NoteState.EXPORTED):
        raise Conflict("Anteckningen är redan godkänd och kan inte ändras.")


def _diff(before: str, after: str, target: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), fromfile=f"{target} (före)", tofile=f"{target} (efter)", lineterm=""
    )
    return "\n".join(lines)


def edit_section(*, note: Note, user: str, section_key: str, text: str, now: datetime | None = None) -> Edit:
    """Replace a section's text; the edit (who, when, diff) is recorded and the note becomes redigerad."""
    _require_editable(note)
    _require_user(user)
    section = next((s for s in note.draft.sections if s.key == section_key), None)
    if section is None:
        raise NotFound(f'Avsnittet "{section_key}" finns inte i anteckningen.')
    edit = Edit(user=user, at=_now(now), diff=_diff(section.text, text, section.title), target=f"section:{section_key}")
    section.text = text
    section.sentences = []  # the person's text replaces the drafted sentences and their sources
    return _record(note, edit)


def edit_field(*, note: Note, user: str, field_key: str, value: Any, now: datetime | None = None) -> Edit:
    """Set a field's value; recorded like a section edit."""
    _require_editable(note)
    _require_user(user)
    if field_key not in note.draft.fields:
        raise NotFound(f'Fältet "{field_key}" finns inte i anteckningen.')
    before, after = _as_text(note.draft.fields[field_key]), _as_text(value)
    edit = Edit(user=user, at=_now(now), diff=_diff(before, after, field_key), target=f"field:{field_key}")
    note.draft.fields[field_key] = value
    return _record(note, edit)


def _as_text(value: Any) -> str:
    return "\n".join(map(str, value)) if isinstance(value, list) else str(value or "")


def _record(note: Note, edit: Edit) -> Edit:
    note.edits.append(edit)
    note.state = NoteState.EDITED
    return edit


def _require_user(user: str) -> None:
    if not user or not user.strip():
        raise InvalidInput("Ange vem som gör ändringen.")


def approve(
    *, note: Note, user: str, roles: set[str] | list[str], now: datetime | None = None, audit: Audit | None = None
) -> dict[str, Any]:
    """Approve the note as a named granskare; returns (and emits) the audit event."""
    _require_user(user)
    if REVIEWER_ROLE not in set(roles):
        raise Forbidden(f"Bara en användare med rollen {REVIEWER_ROLE} kan godkänna en anteckning.")
    if note.state not in (NoteState.DRAFT, NoteState.EDITED):
        raise Conflict("Anteckningen är redan godkänd.")
    note.state, note.approved_by, note.approved_at = NoteState.APPROVED, user, _now(now)
    event = {
        "action": "notes.approve",
        "org": note.org,
        "note_id": note.id,
        "user": user,
        "at": note.approved_at,
        "template": note.draft.template,
        "method": note.draft.method,
        "edits": len(note.edits),
        "data_class": note.data_class,
    }
    if audit:
        audit(event)
    return event


def mark_exported(
    *, note: Note, user: str, fmt: str, now: datetime | None = None, audit: Audit | None = None
) -> dict[str, Any] | None:
    """Record an export; an approved note moves to exporterad. Drafts may be exported, marked as drafts."""
    event = {
        "action": "notes.export",
        "org": note.org,
        "note_id": note.id,
        "user": user,
        "at": _now(now),
        "format": fmt,
        "final": note.state in (NoteState.APPROVED, NoteState.EXPORTED),
    }
    if note.state is NoteState.APPROVED:
        note.state = NoteState.EXPORTED
    if audit:
        audit(event)
    return event


def is_final(note: Note) -> bool:
    """True once a granskare has approved the note."""
    return note.state in (NoteState.APPROVED, NoteState.EXPORTED)
