"""Database tables of the notes domain: notes (encrypted content), tracked edits and recordings."""

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from radhus.core.db import Base, OrgScoped, Timestamps, UTCDateTime, utcnow


class RecordingStatus(StrEnum):
    """Where a recording is in its life: uploaded, transcribing, transcribed, failed or deleted."""

    QUEUED = "i_ko"
    RUNNING = "pagar"
    DONE = "klar"
    FAILED = "misslyckades"
    DELETED = "raderad"

    @property
    def label_sv(self) -> str:
        return {
            "i_ko": "väntar på transkribering",
            "pagar": "transkriberas",
            "klar": "transkriberad",
            "misslyckades": "transkriberingen misslyckades",
            "raderad": "ljudet är raderat",
        }[self.value]


class NoteRow(OrgScoped, Timestamps, Base):
    """A note under review; its draft, transcript and edits are stored encrypted in `content`."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    template: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="utkast", index=True)
    data_class: Mapped[str] = mapped_column(String(20), default="kanslig")
    method: Mapped[str] = mapped_column(String(20), default="extraktiv")
    content: Mapped[bytes] = mapped_column(LargeBinary)  # AES-GCM, context "<org_id>/<note_id>"
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_by_name: Mapped[str] = mapped_column(String(200), default="")
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    approved_by_name: Mapped[str | None] = mapped_column(String(200), default=None)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class NoteEdit(OrgScoped, Base):
    """One tracked change: who, when, which section or field, and the unified diff (encrypted)."""

    __tablename__ = "note_edits"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    username: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    target: Mapped[str] = mapped_column(String(200))  # "section:<key>", "field:<key>" or "speakers"
    diff: Mapped[bytes] = mapped_column(LargeBinary)  # encrypted unified diff


class Recording(OrgScoped, Timestamps, Base):
    """An uploaded recording, encrypted on disk, with the resumable transcription state."""

    __tablename__ = "note_recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(Text)  # encrypted file, relative to data_dir
    filename: Mapped[str] = mapped_column(String(300))
    suffix: Mapped[str] = mapped_column(String(10))
    duration_s: Mapped[float | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(20), default=RecordingStatus.QUEUED)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # TranscriptionState.to_dict()
    job_id: Mapped[int | None] = mapped_column(Integer, default=None)
    delete_after: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)


class NoteTemplate(OrgScoped, Base):
    """A template defined by an organisation's administrators; `definition` is the validated template JSON."""

    __tablename__ = "note_templates"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_note_templates_org_id_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
