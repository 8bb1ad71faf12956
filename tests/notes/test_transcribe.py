"""The chunked driver, with a small real transcriber: an energy detector that reports each tone burst."""

import numpy as np
import pytest

from radhus.core.errors import InvalidInput, ProviderError
from radhus.notes.audio import SAMPLE_RATE
from radhus.notes.models import Segment
from radhus.notes.transcribe import TranscriptionState, WhisperTranscriber, transcribe_file

from .conftest import tone_with_gaps, write_audio


class BurstDetector:
    """Reports every run of loud 100 ms frames as a segment "ton"; counts its calls; can fail once."""

    def __init__(self, fail_on_call: int | None = None):
        self.calls = 0
        self.fail_on_call = fail_on_call

    def __call__(self, audio: np.ndarray) -> list[Segment]:
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise RuntimeError("modellen svarade inte")
        frame = SAMPLE_RATE // 10
        loud = [np.sqrt(np.mean(audio[i : i + frame] ** 2)) > 0.05 for i in range(0, len(audio), frame)]
        segments, start = [], None
        for i, is_loud in enumerate([*loud, False]):
            if is_loud and start is None:
                start = i
            elif not is_loud and start is not None:
                segments.append(Segment(text="ton", start=start / 10, end=i / 10))
                start = None
        return segments


BURSTS = [(1.0, 3.0), (9.0, 11.0), (20.0, 22.5), (33.0, 35.0)]


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    return write_audio(tmp_path_factory.mktemp("ljud") / "mote.mp3", tone_with_gaps(40.0, bursts=BURSTS))


def _state():
    return TranscriptionState(window_s=12.0, overlap_s=3.0)


def test_each_burst_is_found_once_with_absolute_times(recording):
    transcript = transcribe_file(path=recording, transcribe=BurstDetector(), state=_state(), model="energi")
    starts = [s.start for s in transcript.segments]
    assert len(starts) == len(BURSTS)  # the 9–11 s burst lies in an overlap but is kept exactly once
    for (expected, _), found in zip(BURSTS, starts, strict=True):
        assert abs(found - expected) < 0.25


def test_progress_reaches_the_total(recording):
    seen = []
    transcribe_file(
        path=recording, transcribe=BurstDetector(), state=_state(), progress=lambda d, t: seen.append((d, t))
    )
    assert seen == sorted(seen) and seen[-1][0] == pytest.approx(seen[-1][1], abs=0.2)


def test_failure_keeps_partial_result_and_retry_continues(recording):
    state, checkpoints = _state(), []
    failing = BurstDetector(fail_on_call=3)
    with pytest.raises(ProviderError, match="avbröts vid minut") as info:
        transcribe_file(
            path=recording, transcribe=failing, state=state, checkpoint=lambda s: checkpoints.append(s.to_dict())
        )
    assert info.value.detail["state"]["failed_at"] is not None
    partial = state.segments()
    assert 1 <= len(partial) < len(BURSTS)
    resumed_state = TranscriptionState.from_dict(checkpoints[-1])
    retry = BurstDetector()
    transcript = transcribe_file(path=recording, transcribe=retry, state=resumed_state)
    assert len(transcript.segments) == len(BURSTS)
    assert retry.calls < failing.calls + 3  # finished windows were not transcribed again


def test_silent_recording_is_refused(tmp_path):
    path = write_audio(tmp_path / "tyst.wav", np.zeros(44_100 * 3, dtype=np.float32))
    with pytest.raises(InvalidInput, match="tyst"):
        transcribe_file(path=path, transcribe=BurstDetector())


def test_silent_windows_are_not_sent_to_the_model(tmp_path):
    path = write_audio(tmp_path / "mest-tyst.wav", tone_with_gaps(30.0, bursts=[(1.0, 2.0)]))
    detector = BurstDetector()
    transcribe_file(path=path, transcribe=detector, state=_state())
    assert detector.calls == 1


def test_whisper_without_model_dir_names_the_setting(tmp_path):
    with pytest.raises(ProviderError, match="RADHUS_WHISPER_MODEL_DIR"):
        WhisperTranscriber(None)
    with pytest.raises(ProviderError, match="model.bin saknas"):
        WhisperTranscriber(tmp_path)


class FileProvider:
    """A provider-shaped speech-to-text that takes WAV bytes, as radhus.providers does."""

    name, model = "energi", "energi"

    def __init__(self):
        self.detector = BurstDetector()

    def transcribe(self, audio, *, language=None):
        import io
        import wave
        from types import SimpleNamespace

        with wave.open(io.BytesIO(audio)) as wav:
            assert (wav.getframerate(), wav.getnchannels()) == (SAMPLE_RATE, 1)
            samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float32) / 32767
        return SimpleNamespace(segments=self.detector(samples), language=language)


def test_provider_adapter_round_trips_wav(recording):
    from radhus.notes.transcribe import from_provider

    transcript = transcribe_file(path=recording, transcribe=from_provider(FileProvider()), state=_state())
    assert [round(s.start) for s in transcript.segments] == [round(b[0]) for b in BURSTS]
