"""Notes services: transcribe a recording, draft a note from a transcript, pseudonymise for sharing."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from radhus.core.errors import InvalidInput
from radhus.notes.audio import DEFAULT_MAX_DURATION_S, check_audio_path
from radhus.notes.crypto import decrypt_file, encrypt_file
from radhus.notes.drafter import draft_extractive
from radhus.notes.llm import Chat, draft_with_chat
from radhus.notes.models import Draft, Segment, Template, Transcript
from radhus.notes.privacy import BuiltinPrivacy, PrivacyHook, pseudonymise_draft
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


def label_speakers(
    *, segments: list[Segment], by_index: dict[int, str] | None = None, rename: dict[str, str] | None = None
) -> list[Segment]:
    """Manual speaker labelling: set names on given segment indexes and/or rename labels (e.g. "Talare 1")."""
    by_index, rename = by_index or {}, rename or {}
    bad = [i for i in by_index if not 0 <= i < len(segments)]
    if bad:
        raise InvalidInput(f"Segment {bad[0]} finns inte i transkriptionen.")
    labelled = []
    for i, seg in enumerate(segments):
        speaker = by_index.get(i, rename.get(seg.speaker or "", seg.speaker))
        labelled.append(Segment(text=seg.text, start=seg.start, end=seg.end, speaker=speaker or None))
    return labelled


def personal_data_marks(*, draft: Draft, hook: PrivacyHook | None = None) -> dict[str, list[dict[str, Any]]]:
    """Personal-data spans per section, for highlighting in the editor."""
    names = [n for n in draft.fields.get("narvarande", []) if isinstance(n, str)]
    finder = hook or BuiltinPrivacy(names)
    return {
        section.key: [
            {"kind": span.kind, "start": span.start, "end": span.end, "text": span.text}
            for span in finder.find(section.text)
        ]
        for section in draft.sections
    }


@contextmanager
def decrypted_audio(*, path: Path, key: bytes, context: str, suffix: str) -> Iterator[Path]:
    """A temporary plaintext copy of an encrypted recording for the decoder; removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="radhus-ljud-") as folder:
        plain = Path(folder) / f"ljud{suffix}"
        decrypt_file(path, plain, key=key, context=context)
        yield plain


def store_audio_encrypted(*, source: Path, folder: Path, key: bytes, org: str, note_id: str) -> Path:
    """Encrypt an uploaded recording into folder/<org>/<id><suffix>.enc; the caller deletes the upload."""
    check_audio_path(source)
    target = folder / org / f"{note_id}{source.suffix.lower()}.enc"
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    encrypt_file(source, target, key=key, context=f"{org}/{note_id}")
    return target
