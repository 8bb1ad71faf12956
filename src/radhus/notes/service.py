"""Notes services: transcribe a recording, draft a note from a transcript, pseudonymise for sharing."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from radhus.notes.audio import DEFAULT_MAX_DURATION_S
from radhus.notes.drafter import draft_extractive
from radhus.notes.llm import Chat, draft_with_chat
from radhus.notes.models import Draft, Segment, Template, Transcript
from radhus.notes.privacy import PrivacyHook, pseudonymise_draft
from radhus.notes.transcribe import ChunkTranscriber, ProgressCallback, TranscriptionState, transcribe_file
from radhus.notes.transcript import check_swedish

Audit = Callable[[dict[str, Any]], None]


def transcribe_recording(
    *,
    path: Path,
    transcriber: ChunkTranscriber,
    model: str | None = None,
    state: TranscriptionState | None = None,
    progress: ProgressCallback | None = None,
    checkpoint: Callable[[TranscriptionState], None] | None = None,
    max_duration_s: float = DEFAULT_MAX_DURATION_S,
    audit: Audit | None = None,
) -> Transcript:
    """Transcribe a recording in resumable chunks; the model call is reported to `audit`."""
    started = time.perf_counter()
    event = {"action": "notes.transcribe", "file": path.name, "model": model}
    try:
        transcript = transcribe_file(
            path=path,
            transcribe=transcriber,
            state=state,
            progress=progress,
            checkpoint=checkpoint,
            max_duration_s=max_duration_s,
            model=model,
        )
    except Exception as exc:
        if audit:
            audit({**event, "ok": False, "error": getattr(exc, "message", str(exc))})
        raise
    if audit:
        audit({**event, "ok": True, "segments": len(transcript.segments), "seconds": time.perf_counter() - started})
    return transcript


def draft_note(
    *,
    segments: list[Segment],
    template: Template,
    chat: Chat | None = None,
    model: str | None = None,
    audit: Audit | None = None,
) -> Draft:
    """Draft the template from a Swedish transcript: with a chat model when given, else extractively."""
    check_swedish(segments)
    if chat is None:
        return draft_extractive(segments=segments, template=template)
    draft = draft_with_chat(segments=segments, template=template, chat=chat)
    if audit:
        audit({"action": "notes.draft", "template": template.name, "model": model, "notice": draft.notice})
    return draft


def pseudonymised_copy(*, draft: Draft, hook: PrivacyHook | None = None) -> Draft:
    """A copy of the draft with personal data replaced, for sharing outside the case."""
    return pseudonymise_draft(draft, hook=hook)
