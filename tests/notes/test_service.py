import pytest

from radhus.core.errors import InvalidInput
from radhus.notes.crypto import new_key
from radhus.notes.drafter import draft_extractive
from radhus.notes.service import (
    decrypted_audio,
    label_speakers,
    personal_data_marks,
    store_audio_encrypted,
    transcribe_recording,
)
from radhus.notes.templates import shipped_template
from radhus.notes.transcript import parse_transcript, read_transcript

from .conftest import tone_with_gaps, write_audio
from .test_transcribe import BurstDetector


def test_manual_speaker_labelling():
    segments = parse_transcript("Talare 1: Hej.\nTalare 2: Hej hej.\nTalare 1: Då börjar vi.")
    labelled = label_speakers(segments=segments, rename={"Talare 1": "Anna Ek"}, by_index={1: "Bo Lind"})
    assert [s.speaker for s in labelled] == ["Anna Ek", "Bo Lind", "Anna Ek"]
    assert segments[0].speaker == "Talare 1"
    with pytest.raises(InvalidInput, match="Segment 9"):
        label_speakers(segments=segments, by_index={9: "X"})


def test_personal_data_is_marked_for_the_editor(eval_dir):
    draft = draft_extractive(
        segments=read_transcript(eval_dir / "socialnamnd.txt"), template=shipped_template("protokoll")
    )
    marks = personal_data_marks(draft=draft)
    names = {m["text"] for m in marks["narvarande"]}
    assert {"Karin Lindqvist", "Eva Sandberg"} <= names
    section = next(s for s in draft.sections if s.key == "narvarande")
    assert all(section.text[m["start"] : m["end"]] == m["text"] for m in marks["narvarande"])


def test_encrypted_recording_is_transcribed_via_a_temporary_copy(tmp_path):
    upload = write_audio(tmp_path / "mote.wav", tone_with_gaps(6.0, bursts=[(1.0, 2.0), (4.0, 5.0)]))
    key = new_key()
    sealed = store_audio_encrypted(source=upload, folder=tmp_path / "ljud", key=key, org="solna", note_id="n1")
    assert b"RIFF" not in sealed.read_bytes()[:64]
    events = []
    with decrypted_audio(path=sealed, key=key, context="solna/n1", suffix=".wav") as plain:
        transcript = transcribe_recording(path=plain, transcriber=BurstDetector(), model="energi", audit=events.append)
    assert not plain.exists()
    assert [round(s.start) for s in transcript.segments] == [1, 4]
    assert events[0]["ok"] and events[0]["model"] == "energi"
