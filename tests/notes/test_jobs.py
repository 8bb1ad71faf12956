"""Notes jobs on the database: retention of encrypted audio, and (with the Whisper fixture) the transcription job
resuming from its stored state and drafting the note."""

import datetime as dt
import time

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


def test_embedded_worker_runs_retention_daily_by_itself(settings, session_factory, two_orgs, tmp_path):
    """No command needed: the web process's worker finds the daily retention due, runs it for every organisation,
    and audio past its time is gone; fresh audio stays."""
    from fastapi.testclient import TestClient

    from radhus.app import create_app
    from radhus.catalog import periodic_jobs

    assert ("notes.retention", dt.timedelta(days=1)) in {(p.kind, p.every) for p in periodic_jobs()}
    with transaction(session_factory) as session:
        _, _, old = _upload(session, settings, tmp_path, "medarbetare@alfakommun", "gammal.wav")
        _, _, fresh = _upload(session, settings, tmp_path, "medarbetare@betakommun", "ny.wav")
        old.delete_after = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        old_path, fresh_path = settings.data_dir / old.path, settings.data_dir / fresh.path
        old_id = old.id
        session.execute(jobs.Job.__table__.delete())  # no transcription jobs: only what the worker schedules
    app = create_app(settings.model_copy(update={"embedded_worker": True}))
    with TestClient(app):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _retention_done(session_factory) < 2:
            time.sleep(0.1)
    assert _retention_done(session_factory) == 2  # one run per organisation, not more
    assert not old_path.exists() and fresh_path.exists()
    with session_factory() as session:
        assert session.get(Recording, old_id).status == "raderad"
        results = session.scalars(select(jobs.Job.result).where(jobs.Job.kind == "notes.retention")).all()
        assert sorted(len(r["deleted"]) for r in results) == [0, 1]


def _retention_done(session_factory) -> int:  # type: ignore[no-untyped-def]
    with session_factory() as session:
        return len(
            session.scalars(
                select(jobs.Job).where(jobs.Job.kind == "notes.retention", jobs.Job.status == jobs.JobStatus.DONE)
            ).all()
        )


def test_worker_command_once_applies_retention(settings, session_factory, two_orgs, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from radhus.cli import app as cli_app

    with transaction(session_factory) as session:
        _, _, old = _upload(session, settings, tmp_path, "medarbetare@alfakommun", "gammal.wav")
        old.delete_after = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
        old_path = settings.data_dir / old.path
        session.execute(jobs.Job.__table__.delete())
    monkeypatch.setenv("RADHUS_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("RADHUS_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("RADHUS_CONFIG", raising=False)
    result = CliRunner().invoke(cli_app, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "2 jobb kördes" in result.output and not old_path.exists()
    again = CliRunner().invoke(cli_app, ["worker", "--once"])  # not due again until tomorrow
    assert again.exit_code == 0 and "0 jobb kördes" in again.output


def test_approval_on_the_page_deletes_the_audio_at_once(settings, session_factory, two_orgs, tmp_path, client):
    from tests.conftest import login

    with transaction(session_factory) as session:
        _, loaded, recording = _upload(session, settings, tmp_path, "medarbetare@alfakommun")
        note_id, path, recording_id = loaded.row.id, settings.data_dir / recording.path, recording.id
    assert path.exists()
    csrf = login(client, "granskare@alfakommun")
    response = client.post(f"/anteckningar/{note_id}/godkann", headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert not path.exists()
    with session_factory() as session:
        row = session.get(Recording, recording_id)
        assert row.status == "raderad" and row.deleted_at is not None
    assert client.get(f"/anteckningar/{note_id}/ljud").status_code == 404
