"""Isolation seed: a note (with an edit and an encrypted recording) and an organisation template, whose visible
text carries the marker."""

import json

from sqlalchemy import select

from radhus.core.auth import User, principal_for
from radhus.notes import org_templates, workflow
from radhus.notes.models import Segment

from .conftest import tone_with_gaps, write_audio


def seed(session, *, org_id, marker, settings) -> None:  # type: ignore[no-untyped-def]
    user = session.scalars(select(User).where(User.org_id == org_id).order_by(User.id)).first()
    who = principal_for(user)
    key = workflow.notes_key(settings)
    text = (
        f"Välkomna till mötet om {marker}. Nämnden beslutar att godkänna {marker} enligt förslaget. "
        "Vi ses igen nästa månad och då tar vi upp frågan om budgeten igen."
    )
    segments = [Segment(text=part.strip() + ".", start=i * 5.0, end=i * 5.0 + 4) for i, part in
                enumerate(text.split(".")) if part.strip()]  # fmt: skip
    loaded = workflow.create_from_transcript(
        session, who=who, key=key, segments=segments, template="minnesanteckningar", title=marker
    )
    first = loaded.note.draft.sections[0].key
    workflow.edit_section(session, who=who, key=key, note_id=loaded.row.id, section_key=first, text=marker)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    audio = write_audio(settings.data_dir / "seed.wav", tone_with_gaps(1.0))
    workflow.add_recording(
        session, who=who, key=key, settings=settings, source=audio, filename=f"{marker}.wav", template="protokoll",
        title=marker,
    )  # fmt: skip
    audio.unlink()
    definition = json.loads(org_templates.EXAMPLE)
    definition.update(name="isoleringsmall", title=marker, description=marker)
    org_templates.save(session, who=who, text=json.dumps(definition))
