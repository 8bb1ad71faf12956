"""Audio input: decode common audio/video formats with PyAV to 16 kHz mono float32, streamed in windows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from radhus.core.errors import InvalidInput

SAMPLE_RATE = 16_000
SUPPORTED_SUFFIXES = (".wav", ".mp3", ".m4a", ".ogg", ".oga", ".opus", ".webm", ".mp4")
DEFAULT_MAX_DURATION_S = 150 * 60.0  # 2.5 hours: a two-hour meeting fits, a three-hour one is refused
SILENCE_RMS = 1e-3  # below this a window counts as silent (-60 dBFS)


@dataclass(frozen=True)
class AudioWindow:
    """A window of decoded audio: absolute start time, samples, and whether it is (near) silent."""

    index: int
    start: float
    samples: np.ndarray

    @property
    def end(self) -> float:
        """Absolute end time in seconds."""
        return self.start + len(self.samples) / SAMPLE_RATE

    @property
    def rms(self) -> float:
        """Root-mean-square level of the window."""
        if len(self.samples) == 0:
            return 0.0
        return float(np.sqrt(np.mean(np.square(self.samples, dtype=np.float64))))

    @property
    def silent(self) -> bool:
        """True when the window holds no audible signal."""
        return self.rms < SILENCE_RMS


def check_audio_path(path: Path) -> None:
    """Raise a Swedish error when the file is missing or of an unsupported format."""
    if not path.is_file():
        raise InvalidInput(f"Ljudfilen {path.name} finns inte.")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        allowed = ", ".join(s.lstrip(".") for s in SUPPORTED_SUFFIXES)
        raise InvalidInput(
            f"Filformatet {path.suffix or '(inget)'} stöds inte. Använd något av: {allowed}.",
            detail={"format": path.suffix},
        )


def probe_duration(path: Path) -> float | None:
    """Duration in seconds as declared by the container, or None when unknown."""
    import av

    check_audio_path(path)
    try:
        with av.open(str(path)) as container:
            stream = _audio_stream(container, path)
            if stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
            if container.duration is not None:
                return container.duration / 1_000_000
    except av.error.FFmpegError as exc:
        raise _corrupt(path) from exc
    return None


def _audio_stream(container, path: Path):
    if not container.streams.audio:
        raise InvalidInput(f"Filen {path.name} innehåller inget ljudspår.")
    return container.streams.audio[0]


def _corrupt(path: Path) -> InvalidInput:
    return InvalidInput(
        f"Ljudfilen {path.name} kunde inte avkodas. Den kan vara skadad eller i ett format som inte stöds."
    )


def _too_long(seconds: float, max_duration_s: float) -> InvalidInput:
    return InvalidInput(
        f"Inspelningen är {seconds / 60:.0f} minuter lång; den längsta tillåtna är "
        f"{max_duration_s / 60:.0f} minuter. Dela upp inspelningen eller höj gränsen i inställningarna.",
        detail={"duration_s": seconds, "max_duration_s": max_duration_s},
    )


def iter_pcm(path: Path, *, max_duration_s: float = DEFAULT_MAX_DURATION_S) -> Iterator[np.ndarray]:
    """Yield 16 kHz mono float32 blocks of the file, decoding lazily (bounded memory)."""
    import av

    check_audio_path(path)
    declared = probe_duration(path)
    if declared is not None and declared > max_duration_s:
        raise _too_long(declared, max_duration_s)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    decoded_samples = 0
    max_samples = int(max_duration_s * SAMPLE_RATE)
    try:
        with av.open(str(path)) as container:
            stream = _audio_stream(container, path)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    block = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                    decoded_samples += len(block)
                    if decoded_samples > max_samples:
                        raise _too_long(decoded_samples / SAMPLE_RATE, max_duration_s)
                    yield block
            for out in resampler.resample(None):
                yield out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
    except av.error.FFmpegError as exc:
        raise _corrupt(path) from exc


def iter_windows(
    path: Path,
    *,
    window_s: float = 30.0,
    overlap_s: float = 2.0,
    max_duration_s: float = DEFAULT_MAX_DURATION_S,
) -> Iterator[AudioWindow]:
    """Yield overlapping windows of decoded audio; holds at most one window plus one block in memory."""
    if not 0 <= overlap_s < window_s:
        raise InvalidInput("Överlappet måste vara kortare än fönstret.")
    window_n = int(window_s * SAMPLE_RATE)
    hop_n = window_n - int(overlap_s * SAMPLE_RATE)
    buffer = np.zeros(0, dtype=np.float32)
    buffer_start_n = 0  # absolute sample index of buffer[0]
    pending: list[np.ndarray] = []
    pending_n = 0
    index = 0
    for block in iter_pcm(path, max_duration_s=max_duration_s):
        pending.append(block)
        pending_n += len(block)
        if len(buffer) + pending_n < window_n:
            continue
        buffer = np.concatenate([buffer, *pending])
        pending, pending_n = [], 0
        while len(buffer) >= window_n:
            yield AudioWindow(index, buffer_start_n / SAMPLE_RATE, buffer[:window_n].copy())
            index += 1
            buffer = buffer[hop_n:].copy()
            buffer_start_n += hop_n
    if pending:
        buffer = np.concatenate([buffer, *pending])
    tail_is_new = index == 0 or len(buffer) > window_n - hop_n
    if len(buffer) and tail_is_new:
        yield AudioWindow(index, buffer_start_n / SAMPLE_RATE, buffer.copy())
    elif index == 0:
        raise InvalidInput(f"Ljudfilen {path.name} innehåller inget ljud.")


def decode_all(path: Path, *, max_duration_s: float = 600.0) -> np.ndarray:
    """Decode a short file completely (for tests and short clips only)."""
    blocks = list(iter_pcm(path, max_duration_s=max_duration_s))
    if not blocks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(blocks)
