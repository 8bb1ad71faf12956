import numpy as np
import pytest

from radhus.core.errors import InvalidInput
from radhus.notes.audio import SAMPLE_RATE, decode_all, iter_windows, probe_duration

from .conftest import CODECS, tone_with_gaps, write_audio


@pytest.mark.parametrize("suffix", sorted(CODECS))
def test_every_supported_format_decodes_to_16k_mono_float(tmp_path, suffix):
    path = write_audio(tmp_path / f"ton{suffix}", tone_with_gaps(2.0))
    samples = decode_all(path)
    assert samples.dtype == np.float32
    assert abs(len(samples) / SAMPLE_RATE - 2.0) < 0.15
    assert 0.15 < float(np.sqrt(np.mean(samples[4000:-4000] ** 2))) < 0.3  # the tone survived (rms of 0.3 sine)


def test_windows_overlap_and_cover_the_recording(tmp_path):
    path = write_audio(tmp_path / "lang.wav", tone_with_gaps(25.0))
    windows = list(iter_windows(path, window_s=10.0, overlap_s=2.0))
    assert [w.start for w in windows] == [0.0, 8.0, 16.0]
    assert all(len(w.samples) == 10 * SAMPLE_RATE for w in windows[:-1])
    assert abs(windows[-1].end - 25.0) < 0.05


def test_silent_window_is_flagged(tmp_path):
    path = write_audio(tmp_path / "gap.wav", tone_with_gaps(20.0, bursts=[(0.0, 5.0)]))
    windows = list(iter_windows(path, window_s=8.0, overlap_s=1.0))
    assert not windows[0].silent and windows[-1].silent


def test_unsupported_format_gets_swedish_message(tmp_path):
    path = tmp_path / "inspelning.flac"
    path.write_bytes(b"fLaC")
    with pytest.raises(InvalidInput, match="stöds inte"):
        list(iter_windows(path))


def test_corrupt_file_gets_swedish_message(tmp_path):
    path = tmp_path / "trasig.mp3"
    path.write_bytes(b"\x00\x01garbage" * 200)
    with pytest.raises(InvalidInput, match="kunde inte avkodas|inget ljudspår"):
        list(iter_windows(path))


def test_recording_over_the_limit_is_refused_before_decoding(tmp_path):
    path = write_audio(tmp_path / "lang.ogg", tone_with_gaps(6.0))
    assert probe_duration(path) == pytest.approx(6.0, abs=0.2)
    with pytest.raises(InvalidInput, match="längsta tillåtna"):
        list(iter_windows(path, max_duration_s=3.0))


def test_missing_file(tmp_path):
    with pytest.raises(InvalidInput, match="finns inte"):
        list(iter_windows(tmp_path / "saknas.wav"))


def test_limit_holds_while_decoding_when_the_container_has_no_duration(tmp_path, monkeypatch):
    import radhus.notes.audio as audio

    path = write_audio(tmp_path / "webbinspelning.webm", tone_with_gaps(6.0))
    monkeypatch.setattr(audio, "probe_duration", lambda p: None)  # as in a browser recording without duration
    with pytest.raises(InvalidInput, match="längsta tillåtna"):
        list(iter_windows(path, max_duration_s=3.0))


def test_default_limit_admits_two_hours_and_refuses_three():
    from radhus.notes.audio import DEFAULT_MAX_DURATION_S

    assert 2 * 3600 < DEFAULT_MAX_DURATION_S < 3 * 3600
