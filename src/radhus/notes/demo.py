"""Demo content: a pensionärsråd protokoll drafted from a bundled transcript, waiting for review."""

from __future__ import annotations

from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from radhus.core.auth import Role, User, principal_for
from radhus.notes import workflow
from radhus.notes.tables import NoteRow
from radhus.notes.transcript import parse_transcript

DEMO_TITLE = "Kommunala pensionärsrådet 12 februari 2026"


def install_demo(session: Session, *, org_id: int, ctx: Any) -> None:
    """Add the demo note (once) as an utkast drafted by the built-in extractive drafter."""
    if session.scalar(select(NoteRow.id).where(NoteRow.org_id == org_id, NoteRow.title == DEMO_TITLE)):
        return
    users = list(session.scalars(select(User).where(User.org_id == org_id).order_by(User.id)))
    author = next((u for u in users if Role.STAFF in u.role_set), users[0] if users else None)
    if author is None:
        return
    text = resources.files("radhus.notes").joinpath("demo_data", "pensionarsrad.txt").read_text(encoding="utf-8")
    workflow.create_from_transcript(
        session,
        who=principal_for(author, via="demo"),
        key=workflow.notes_key(ctx.settings),
        segments=parse_transcript(text, filename="pensionarsrad.txt"),
        template="protokoll",
        title=DEMO_TITLE,
    )
