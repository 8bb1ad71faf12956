"""Notes jobs on the database: retention of encrypted audio, and (with the Whisper fixture) the transcription job
resuming from its stored state and drafting the note."""

import datetime as dt

import pytest
from sqlalchemy import select

from radhus.core import jobs
from radhus.core.audit import AuditRecord
from radhus.core.auth import User, principal_for
from radhus.core.db import transaction
from radhus.notes import workflow
from radhus.notes.tables import Recording
from radhus.notes.transcribe import TranscriptionState

from .conftest import tone_with_gaps, write_audio


def _upload(session, settings, tmp_path, username: str, name: str = "mote.wav", seconds: float = 1.0):  # type: ignore[no-untyped-def]
    user = session.scalars(select(User).where(User.username == username)).one()
    who = principal_for(user)
    audio = write_audio(tmp_path / name, tone_with_gaps(seconds))
    loaded, recording = workflow.add_recording(
        session, who=who, key=workflow.notes_key(settings), settings=settings, source=audio, filename=name,
        template="minnesanteckningar",
    )  # fmt: skip
    return who, loaded, recording


def test_retention_deletes_old_and_approved_audio_per_organisation(settings, session_factory, two_orgs, tmp_path):
    with transaction(session_factory) as session:
        _, _, old = _upload(session, settings, tmp_path, "medarbetare@alfakommun", "gammal.wav")
        _, _, fresh = _upload(session, settings, tmp_path, "medarbetare@alfakommun", "ny.wav")
        _, _, other = _upload(session, settings, tmp_path, "medarbetare@betakommun", "annan.wav")
        old.delete_after = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        other.delete_after = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        paths = {r.id: settings.data_dir / r.path for r in (old, fresh, other)}
        ids = (old.id, fresh.id, other.id)
        session.execute(jobs.Job.__table__.delete())  # only the retention job below
        jobs.enqueue(session, org_id=two_orgs["a"]["org_id"], kind="notes.retention", title="Gallring", payload={})
    from radhus.app import create_app

    handlers = create_app(settings, start_worker=False).state.ctx.job_handlers
    jobs.run_until_idle(session_factory, handlers, backoff_seconds=0)
    assert not paths[ids[0]].exists() and paths[ids[1]].exists() and paths[ids[2]].exists()
    with session_factory() as session:
        statuses = [session.get(Recording, i).status for i in ids]
        assert statuses == ["raderad", "i_ko", "i_ko"]
    with transaction(session_factory) as session:  # approval deletes the audio at once
        reviewer = principal_for(session.scalars(select(User).where(User.username == "granskare@alfakommun")).one())
        fresh_row = session.get(Recording, ids[1])
        workflow.approve(
            session, who=reviewer, key=workflow.notes_key(settings), note_id=fresh_row.note_id, settings=settings
        )
    assert not paths[ids[1]].exists() and paths[ids[2]].exists()


@pytest.mark.whisper
def test_transcription_job_resumes_from_stored_state_and_drafts(settings, session_factory, two_orgs, tmp_path):
    from notes_whisper import build_whisper_base, espeak_wav

    model_dir = build_whisper_base(tmp_path / "whisper-base")
    speech = espeak_wav(
        "Välkomna till mötet. Nämnden beslutar att bevilja bidraget till föreningen. Nästa möte är den tredje mars.",
        tmp_path / "tal.wav",
    )
    if model_dir is None or speech is None:
        pytest.skip("Whisper-fixturen eller espeak-ng saknas")
    current = settings.model_copy(update={"whisper_model_dir": str(model_dir)})
    key = workflow.notes_key(current)
    with transaction(session_factory) as session:
        user = session.scalars(select(User).where(User.username == "medarbetare@alfakommun")).one()
        loaded, recording = workflow.add_recording(
            session, who=principal_for(user), key=key, settings=current, source=speech, filename="tal.wav",
            template="minnesanteckningar",
        )  # fmt: skip
        sentinel = {"start": 0.0, "end": 1.0, "speaker": None, "text": "REDAN-TRANSKRIBERAT"}
        state = TranscriptionState(window_s=4.0, overlap_s=1.0, done={0: [sentinel]})
        recording.state = workflow.seal_state(state, key=key, recording=recording)
        note_id = loaded.row.id
    from radhus.app import create_app

    handlers = create_app(current, start_worker=False).state.ctx.job_handlers
    jobs.run_until_idle(session_factory, handlers, backoff_seconds=0)
    with session_factory() as session:
        job = session.scalars(select(jobs.Job).where(jobs.Job.kind == "notes.transcribe")).one()
        assert job.status == "done", job.error
        result = workflow.load(session, org_id=two_orgs["a"]["org_id"], note_id=note_id, key=key)
        texts = [s.text for s in result.segments]
        assert texts[0] == "REDAN-TRANSKRIBERAT" and len(texts) > 1  # window 0 was not transcribed again
        assert "nästa" in " ".join(texts).lower()  # real speech recognised in the later windows
        calls = session.scalars(select(AuditRecord).where(AuditRecord.function == "notes.transcribe")).all()
        assert calls and calls[0].provider == "faster-whisper"
        assert session.get(jobs.Job, job.id).progress > 0
