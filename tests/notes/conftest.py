"""Shared fixtures for the notes tests: audio made with PyAV, Swedish speech made with espeak-ng."""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EVAL_DIR = FIXTURES / "notes_eval"
sys.path.insert(0, str(FIXTURES))

CODECS = {
    ".wav": ("wav", "pcm_s16le", "s16"),
    ".mp3": ("mp3", "libmp3lame", "fltp"),
    ".m4a": ("ipod", "aac", "fltp"),
    ".ogg": ("ogg", "libopus", "flt"),
    ".webm": ("webm", "libopus", "flt"),
    ".mp4": ("mp4", "aac", "fltp"),
}


def write_audio(path: Path, samples: np.ndarray, rate: int = 44_100) -> Path:
    """Encode mono float samples in [-1, 1] into the container given by the file suffix."""
    import av

    fmt, codec, sample_fmt = CODECS[path.suffix]
    if codec == "libopus":  # opus only takes 48 kHz
        target = np.arange(int(len(samples) * 48_000 / rate)) * rate / 48_000
        samples, rate = np.interp(target, np.arange(len(samples)), samples).astype(np.float32), 48_000
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.layout = "mono"
        stream.time_base = Fraction(1, rate)
        block = 1024
        for pos in range(0, len(samples), block):
            chunk = samples[pos : pos + block].astype(np.float32)
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate = rate
            frame.pts = pos
            for packet in stream.encode(frame if sample_fmt == "flt" else _convert(frame, sample_fmt, rate)):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def _convert(frame, sample_fmt: str, rate: int):
    import av

    resampler = av.AudioResampler(format=sample_fmt, layout="mono", rate=rate)
    out = resampler.resample(frame)
    return out[0] if out else None


def tone_with_gaps(
    seconds: float, rate: int = 44_100, *, bursts: list[tuple[float, float]] | None = None
) -> np.ndarray:
    """A 440 Hz tone during each (start, end) burst, silence elsewhere."""
    t = np.arange(int(seconds * rate)) / rate
    signal = np.zeros_like(t)
    for start, end in bursts or [(0.0, seconds)]:
        mask = (t >= start) & (t < end)
        signal[mask] = 0.3 * np.sin(2 * np.pi * 440 * t[mask])
    return signal.astype(np.float32)


@pytest.fixture
def eval_dir() -> Path:
    return EVAL_DIR
