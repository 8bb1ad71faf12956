"""Background jobs of the notes domain: chunked, resumable transcription and audio retention."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from radhus.core import audit
from radhus.core.audit import AuditKind
from radhus.core.auth import Principal, User, principal_for
from radhus.core.errors import InvalidInput, RadhusError
from radhus.core.jobs import JobCancelled, JobContext, PeriodicJob, PermanentJobError
from radhus.core.privacy import redact
from radhus.notes import diarise, workflow
from radhus.notes.service import decrypted_audio, transcribe_recording
from radhus.notes.tables import Recording, RecordingStatus
from radhus.notes.transcribe import MODEL_DIR_SETTING, ChunkTranscriber, TranscriptionState, WhisperTranscriber

log = logging.getLogger(__name__)
DIARISATION_SHARE = 0.1  # of the job's progress bar: decoding the audio again is fast next to transcription

# Audio past its retention time (notes_retention_days) or of an approved note is deleted by this daily job too,
# not only when someone runs `radhus notes retention`.
PERIODIC = [PeriodicJob(kind="notes.retention", every=dt.timedelta(days=1), title="Gallring av inspelat ljud")]

NO_MODEL = (
    "Ingen taltolkningsmodell är konfigurerad, så inspelningen kan inte transkriberas. Ange mappen med en "
    f"Whisper-modell i CTranslate2-format (t.ex. KB-Whisper) med inställningen {MODEL_DIR_SETTING} och kör "
    "jobbet igen, eller klistra in en transkription i stället."
)


def _principal(session, recording: Recording, payload: dict[str, Any]) -> Principal:  # type: ignore[no-untyped-def]
    """Whoever queued the job (or, if that user is gone, the organisation's first user) acts in the job."""
    user = session.get(User, payload.get("user_id")) if payload.get("user_id") else None
    if user is None or user.org_id != recording.org_id:
        user = session.scalar(select(User).where(User.org_id == recording.org_id).order_by(User.id))
    if user is None:
        raise PermanentJobError("Organisationen har inga användare som jobbet kan utföras för.")
    return principal_for(user, via="job")


def handlers(ctx: Any) -> dict[str, Callable[[JobContext], dict | None]]:
    """Job handlers bound to the app context."""
    settings = ctx.settings

    def transcribe(job: JobContext) -> dict | None:
        key = workflow.notes_key(settings)
        with job.session_factory() as session:
            recording = session.get(Recording, job.payload.get("recording_id"))
            if recording is None or recording.org_id != job.org_id:
                raise PermanentJobError("Inspelningen finns inte längre.")
            if recording.status == RecordingStatus.DELETED.value:
                raise PermanentJobError("Ljudet är redan raderat enligt gallringsregeln.")
            if not settings.whisper_model_dir:
                recording.status, recording.error = RecordingStatus.FAILED.value, NO_MODEL
                session.commit()
                raise PermanentJobError(NO_MODEL)
            state = workflow.open_state(recording.state, key=key, recording=recording)
            recording.status = RecordingStatus.RUNNING.value
            session.commit()
            encrypted = workflow.audio_path(recording, settings=settings)
            context, suffix, rec_id = workflow.audio_context(recording), recording.suffix, recording.id
        try:
            transcriber: ChunkTranscriber = WhisperTranscriber(settings.whisper_model_dir)
        except RadhusError as exc:
            _failed(job, rec_id, exc.message)
            raise PermanentJobError(exc.message) from exc
        model = getattr(transcriber, "name", "whisper")

        def checkpoint(current: TranscriptionState) -> None:
            with job.session_factory() as session:
                row = session.get(Recording, rec_id)
                assert row is not None
                row.state = workflow.seal_state(current, key=key, recording=row)
                session.commit()

        diarising = settings.notes_diarisation == "builtin"
        share = DIARISATION_SHARE if diarising else 0.0

        def progress(done_s: float, total_s: float | None) -> None:
            fraction = (done_s / total_s if total_s else 0.5) * (1 - share)
            job.progress(min(fraction, 0.99), f"Transkriberat {done_s / 60:.1f} av {(total_s or 0) / 60:.1f} minuter")

        started = time.perf_counter()
        diarisation: diarise.Diarisation | None = None
        try:
            with decrypted_audio(path=encrypted, key=key, context=context, suffix=suffix) as plain:
                transcript = transcribe_recording(
                    path=plain, transcriber=transcriber, model=model, state=state, progress=progress,
                    checkpoint=checkpoint, max_duration_s=workflow.max_duration_s(settings),
                )  # fmt: skip
                if diarising:
                    diarisation = run_diarisation(
                        job, path=plain, segments=transcript.segments, speakers=job.payload.get("speakers"),
                        max_duration_s=workflow.max_duration_s(settings), share=share,
                    )  # fmt: skip
        except InvalidInput as exc:  # silent, corrupt, too long: retrying cannot help
            _failed(job, rec_id, exc.message)
            raise PermanentJobError(exc.message) from exc
        except RadhusError as exc:  # a chunk failed: the finished windows are kept for the retry
            _failed(job, rec_id, exc.message)
            raise
        with job.session_factory() as session:
            recording = session.get(Recording, rec_id)
            assert recording is not None
            who = _principal(session, recording, job.payload)
            hub = ctx.provider_hub(session, who) if hasattr(ctx, "provider_hub") else None
            text = "\n".join(s.text for s in transcript.segments)
            audit.append(
                session, kind=AuditKind.AI_CALL, action="speech", org_id=recording.org_id, user_id=who.user_id,
                username=who.username, function="notes.transcribe", provider="faster-whisper", model=model,
                data_class=workflow.DATA_CLASS, output_text=text, excerpt=redact(text[:400]).text[:200],
                detail={"segments": len(transcript.segments), "seconds": round(time.perf_counter() - started, 2)},
            )  # fmt: skip
            if diarisation is not None:
                transcript.segments = diarise.apply(transcript.segments, diarisation)
                _audit_diarisation(session, recording=recording, who=who, diarisation=diarisation)
            session.commit()  # the hub audits a drafting model call in its own transaction
            workflow.finish_transcription(
                session, recording=recording, transcript=transcript, key=key, who=who, hub=hub,
                diarisation=diarisation.to_dict() if diarisation else None,
            )  # fmt: skip
            recording.duration_s = max((s.end or 0.0 for s in transcript.segments), default=0.0)
            session.commit()
            result = {"note_id": recording.note_id, "segments": len(transcript.segments), "model": model}
            if diarisation is not None:
                result["speakers"] = diarisation.speakers
                if diarisation.error:
                    result["diarisation_error"] = diarisation.error
            return result

    def retention(job: JobContext) -> dict | None:
        with job.session_factory() as session:
            removed = workflow.apply_retention(session, settings=settings, org_id=job.org_id)
            session.commit()
        return {"deleted": removed}

    return {"notes.transcribe": transcribe, "notes.retention": retention}


def run_diarisation(
    job: JobContext,
    *,
    path: Any,
    segments: list,
    speakers: int | None,
    max_duration_s: float,
    share: float = DIARISATION_SHARE,
) -> diarise.Diarisation:
    """Label the segments' speakers with the built-in diariser; never raises (except on cancellation): a failure
    leaves the transcript unlabelled and says why."""

    def progress(done: int, total: int) -> None:
        job.progress(
            min(1 - share + share * done / max(total, 1), 0.99), f"Känner igen talare: {done} av {total} segment"
        )

    started = time.perf_counter()
    try:
        result = diarise.diarise_file(
            path, segments, speakers=speakers, progress=progress, max_duration_s=max_duration_s
        )
    except JobCancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - labelling speakers must never cost the user the transcript
        reason = exc.message if isinstance(exc, RadhusError) else f"{type(exc).__name__}: {exc}"
        log.warning("diarisation failed for job %s: %s", job.job_id, reason)
        result = diarise.Diarisation(labels=[None] * len(segments), speakers=0, error=f"Talarna kunde inte kännas "
                                     f"igen automatiskt ({reason}). Ange talarna för hand.")  # fmt: skip
    result.details["seconds"] = round(time.perf_counter() - started, 2)
    return result


def _audit_diarisation(session, *, recording: Recording, who: Principal, diarisation: diarise.Diarisation) -> None:  # type: ignore[no-untyped-def]
    audit.append(
        session, kind=AuditKind.AI_CALL, action="speech", org_id=recording.org_id, user_id=who.user_id,
        username=who.username, function="notes.diarise", provider=diarisation.method, model=diarisation.model,
        data_class=workflow.DATA_CLASS, status="failed" if diarisation.error else "ok",
        excerpt=(diarisation.error or f"{diarisation.speakers} talare")[:200],
        detail={"recording_id": recording.id, **diarisation.to_dict()},
    )  # fmt: skip


def _failed(job: JobContext, recording_id: int, message: str) -> None:
    with job.session_factory() as session:
        row = session.get(Recording, recording_id)
        if row is not None:
            row.status, row.error = RecordingStatus.FAILED.value, message
            session.commit()
