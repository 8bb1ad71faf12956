"""Chunked transcription: a resumable driver over audio windows, and a faster-whisper transcriber."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from radhus.core.errors import InvalidInput, ProviderError, RadhusError
from radhus.notes.audio import DEFAULT_MAX_DURATION_S, SAMPLE_RATE, AudioWindow, iter_windows, probe_duration
from radhus.notes.models import Segment, Transcript

# A chunk transcriber takes 16 kHz mono float32 samples and returns segments timed from the chunk's start.
ChunkTranscriber = Callable[[np.ndarray], list[Segment]]
# Progress: seconds of audio done, total seconds (None when unknown).
ProgressCallback = Callable[[float, float | None], None]

MODEL_DIR_SETTING = "RADHUS_WHISPER_MODEL_DIR"


@dataclass
class TranscriptionState:
    """Resumable progress: segments of every finished window, keyed by window index."""

    window_s: float = 30.0
    overlap_s: float = 2.0
    done: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    failed_at: int | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, for storing with the job."""
        return {
            "window_s": self.window_s,
            "overlap_s": self.overlap_s,
            "done": {str(k): v for k, v in self.done.items()},
            "failed_at": self.failed_at,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TranscriptionState:
        """Rebuild a state stored with `to_dict`."""
        return cls(
            window_s=float(data.get("window_s", 30.0)),
            overlap_s=float(data.get("overlap_s", 2.0)),
            done={int(k): list(v) for k, v in data.get("done", {}).items()},
            failed_at=data.get("failed_at"),
            error=data.get("error"),
        )

    def segments(self) -> list[Segment]:
        """All segments transcribed so far, in time order (the partial result)."""
        found = [Segment.from_dict(s) for index in sorted(self.done) for s in self.done[index]]
        return sorted(found, key=lambda s: s.start or 0.0)


def _with_last_flag(windows: Iterator[AudioWindow]) -> Iterator[tuple[AudioWindow, bool]]:
    previous = next(windows, None)
    if previous is None:
        return
    for window in windows:
        yield previous, False
        previous = window
    yield previous, True


def _owned_segments(segments: list[Segment], window: AudioWindow, *, is_last: bool, overlap_s: float):
    """Segments (made absolute) whose midpoint falls in the part of the window this window owns."""
    own_from = window.start + (overlap_s / 2 if window.index > 0 else 0.0)
    own_to = float("inf") if is_last else window.end - overlap_s / 2
    kept = []
    for seg in segments:
        start = window.start + (seg.start or 0.0)
        end = window.start + (seg.end if seg.end is not None else (seg.start or 0.0))
        if own_from <= (start + end) / 2 < own_to and seg.text.strip():
            kept.append(Segment(text=seg.text.strip(), start=round(start, 2), end=round(end, 2)))
    return kept


def transcribe_file(
    *,
    path: Path,
    transcribe: ChunkTranscriber,
    state: TranscriptionState | None = None,
    progress: ProgressCallback | None = None,
    checkpoint: Callable[[TranscriptionState], None] | None = None,
    max_duration_s: float = DEFAULT_MAX_DURATION_S,
    model: str | None = None,
    language: str = "sv",
) -> Transcript:
    """Transcribe a recording window by window; on failure the state keeps the partial result for a retry."""
    state = state or TranscriptionState()
    state.failed_at = state.error = None
    total = probe_duration(path)
    windows = iter_windows(path, window_s=state.window_s, overlap_s=state.overlap_s, max_duration_s=max_duration_s)
    heard_anything = any(state.done.values())
    for window, is_last in _with_last_flag(windows):
        if window.index not in state.done:
            segments = [] if window.silent else _run_chunk(transcribe, window, state)
            owned = _owned_segments(segments, window, is_last=is_last, overlap_s=state.overlap_s)
            state.done[window.index] = [s.to_dict() for s in owned]
            if checkpoint:
                checkpoint(state)
        heard_anything = heard_anything or not window.silent
        if progress:
            progress(round(min(window.end, total or window.end), 2), total)
    if not heard_anything:
        raise InvalidInput(f"Inspelningen {path.name} är tyst – inget tal att transkribera.")
    return Transcript(segments=state.segments(), language=language, model=model)


def _run_chunk(transcribe: ChunkTranscriber, window: AudioWindow, state: TranscriptionState) -> list[Segment]:
    try:
        return list(transcribe(window.samples))
    except Exception as exc:  # noqa: BLE001 - any provider failure is kept as a retryable state
        state.failed_at = window.index
        state.error = str(exc) or type(exc).__name__
        minute = window.start / 60
        message = (
            f"Transkriberingen avbröts vid minut {minute:.0f}. Det som redan är klart är sparat; "
            "försök igen för att fortsätta där det slutade."
        )
        if isinstance(exc, RadhusError):
            message = f"{exc.message} {message}"
        raise ProviderError(message, detail={"state": state.to_dict()}) from exc


class WhisperTranscriber:
    """faster-whisper on a local CTranslate2 model directory; callable as a ChunkTranscriber."""

    def __init__(
        self,
        model_dir: str | Path | None,
        *,
        language: str = "sv",
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 2,
        beam_size: int = 5,
        no_repeat_ngram_size: int = 3,
    ):
        self.model_dir = _checked_model_dir(model_dir)
        self.language = language
        self.beam_size = beam_size
        # With temperature fixed at 0 there is no sampling fallback, so block repetition loops directly.
        self.no_repeat_ngram_size = no_repeat_ngram_size
        self.name = f"faster-whisper:{self.model_dir.name}"
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise ProviderError(
                "Taltolkning kräver paketet faster-whisper. Installera det med 'pip install radhus[speech]'."
            ) from exc
        try:
            self._model = WhisperModel(
                str(self.model_dir), device=device, compute_type=compute_type, cpu_threads=cpu_threads
            )
        except Exception as exc:  # noqa: BLE001 - a broken model folder must give a clear message
            raise ProviderError(
                f"Whisper-modellen i {self.model_dir} kunde inte läsas ({exc}). Mappen ska innehålla "
                "model.bin, config.json, tokenizer.json och vocabulary.json i CTranslate2-format."
            ) from exc

    def __call__(self, audio: np.ndarray) -> list[Segment]:
        """Transcribe 16 kHz mono float32 samples; times are relative to the samples' start."""
        segments, _info = self._model.transcribe(
            np.asarray(audio, dtype=np.float32),
            language=self.language,
            task="transcribe",
            beam_size=self.beam_size,
            no_repeat_ngram_size=self.no_repeat_ngram_size,
            temperature=0.0,
            condition_on_previous_text=False,
            vad_filter=True,
        )
        return [Segment(text=s.text.strip(), start=float(s.start), end=float(s.end)) for s in segments]


def _checked_model_dir(model_dir: str | Path | None) -> Path:
    if not model_dir:
        raise ProviderError(
            f"Ingen taltolkningsmodell är konfigurerad. Ange sökvägen till en Whisper-modell i "
            f"CTranslate2-format (t.ex. KB-Whisper) med inställningen {MODEL_DIR_SETTING}."
        )
    path = Path(model_dir)
    if not (path / "model.bin").is_file():
        raise ProviderError(
            f"Mappen {path} innehåller ingen Whisper-modell (model.bin saknas). Kontrollera inställningen "
            f"{MODEL_DIR_SETTING}; mappen ska innehålla model.bin, config.json, tokenizer.json och "
            "vocabulary.json."
        )
    return path


def wav_bytes(samples: np.ndarray) -> bytes:
    """16-bit PCM WAV bytes of 16 kHz mono float samples, for providers that take whole files."""
    import io
    import wave

    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm)
    return buffer.getvalue()


def from_provider(stt: Any, *, language: str = "sv") -> ChunkTranscriber:
    """Adapt a radhus.providers speech-to-text (`transcribe(bytes, language=...)` -> result.segments)."""

    def transcribe_chunk(audio: np.ndarray) -> list[Segment]:
        result = stt.transcribe(wav_bytes(audio), language=language)
        return [Segment(text=s.text, start=float(s.start), end=float(s.end)) for s in result.segments]

    return transcribe_chunk


def measure_rtf(*, seconds_audio: float, started: float) -> float:
    """Real-time factor: processing seconds per second of audio."""
    return (time.perf_counter() - started) / max(seconds_audio, 1e-9)


__all__ = [
    "ChunkTranscriber",
    "MODEL_DIR_SETTING",
    "SAMPLE_RATE",
    "TranscriptionState",
    "WhisperTranscriber",
    "from_provider",
    "transcribe_file",
    "wav_bytes",
]
