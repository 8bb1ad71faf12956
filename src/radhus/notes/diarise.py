"""Built-in speaker diarisation: who speaks in which transcript segment, without any model download.

Each segment's decoded audio gets a voice vector (mean MFCCs scaled by the recording's own frame spread, plus
the median pitch in semitones); the vectors are clustered agglomeratively (average linkage) with a distance
threshold, or into the number of speakers the user gave. Segments are labelled "Talare 1", "Talare 2", ... in
order of first appearance; a person renames the labels in the speaker view. Audio is streamed segment by
segment, so memory stays bounded by the longest segment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from radhus.core.errors import InvalidInput
from radhus.notes.audio import DEFAULT_MAX_DURATION_S, SAMPLE_RATE, iter_pcm
from radhus.notes.models import Segment

METHOD = "inbyggd"
MODEL = "mfcc-tonhöjd-klustring"
LABEL = "Talare {n}"
MAX_SPEAKERS = 20

FRAME = 400  # 25 ms
HOP = 160  # 10 ms
N_FFT = 512
N_MELS = 40
N_MFCC = 20  # coefficient 0 (loudness) is dropped: it says more about the microphone than the voice
PITCH_FRAME = 640  # 40 ms: two periods of a 50 Hz voice
PITCH_MIN_HZ, PITCH_MAX_HZ = 60.0, 400.0
VOICED_CORRELATION = 0.5  # normalised autocorrelation peak above which a frame counts as voiced
ACTIVE_DB_BELOW_PEAK = 30.0  # frames quieter than this below the segment's loudest frame are pauses
SILENCE_RMS = 1e-3  # absolute floor (-60 dBFS), as for silent transcription windows
MIN_ACTIVE_FRAMES = 10  # 0.1 s of speech: less than this gives no voice vector at all
RELIABLE_ACTIVE_FRAMES = 40  # 0.4 s of speech: shorter segments are labelled after clustering, not by it
PITCH_SCALE_ST = 8.0  # semitones that count like one unit of spectral distance
DISTANCE_THRESHOLD = 0.6  # average-linkage distance above which two groups are different voices
MIN_SPEAKER_S = 2.0  # a voice heard for less than this in total is merged into its nearest voice

Progress = Callable[[int, int], None]


@dataclass
class Diarisation:
    """Speaker labels per segment (None where the audio held no usable speech) and what produced them."""

    labels: list[str | None]
    speakers: int
    method: str = METHOD
    model: str = MODEL
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (without the labels, which live on the segments)."""
        return {
            "method": self.method,
            "model": self.model,
            "speakers": self.speakers,
            "error": self.error,
            **self.details,
        }


# --- audio per segment --------------------------------------------------------------------------------------


def iter_segment_audio(
    path: Path, segments: list[Segment], *, max_duration_s: float = DEFAULT_MAX_DURATION_S
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (segment index, samples) in time order, decoding the file once; segments without times are skipped."""
    timed = sorted(
        (i for i, s in enumerate(segments) if s.start is not None and s.end is not None and s.end > s.start),
        key=lambda i: segments[i].start or 0.0,
    )
    if not timed:
        return
    spans = [(i, int((segments[i].start or 0.0) * SAMPLE_RATE), int((segments[i].end or 0.0) * SAMPLE_RATE))
             for i in timed]  # fmt: skip
    buffer = np.zeros(0, dtype=np.float32)
    buffer_start = 0  # absolute sample index of buffer[0]
    pending = 0  # next span to yield
    blocks = iter_pcm(path, max_duration_s=max_duration_s)
    exhausted = False
    while pending < len(spans):
        index, start, end = spans[pending]
        while not exhausted and buffer_start + len(buffer) < end:
            block = next(blocks, None)
            if block is None:
                exhausted = True
            else:
                buffer = np.concatenate([buffer, block])
        yield index, buffer[max(start - buffer_start, 0) : max(end - buffer_start, 0)].copy()
        pending += 1
        keep_from = spans[pending][1] if pending < len(spans) else buffer_start + len(buffer)  # sorted by start
        drop = max(0, min(keep_from - buffer_start, len(buffer)))
        if drop:
            buffer = buffer[drop:]
            buffer_start += drop


# --- voice features ------------------------------------------------------------------------------------------


def _mel_filterbank() -> np.ndarray:
    def hz_to_mel(hz: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    def mel_to_hz(mel: np.ndarray) -> np.ndarray:
        return 700.0 * (10 ** (mel / 2595.0) - 1.0)

    edges = mel_to_hz(np.linspace(hz_to_mel(np.array(60.0)), hz_to_mel(np.array(7600.0)), N_MELS + 2))
    bins = np.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE)
    bank = np.zeros((N_MELS, len(bins)))
    for m in range(N_MELS):
        left, centre, right = edges[m], edges[m + 1], edges[m + 2]
        rising = (bins - left) / (centre - left)
        falling = (right - bins) / (right - centre)
        bank[m] = np.clip(np.minimum(rising, falling), 0.0, None)
    return bank


def _dct_matrix() -> np.ndarray:
    n = np.arange(N_MELS)
    k = np.arange(N_MFCC)[:, None]
    matrix = np.cos(np.pi * k * (2 * n + 1) / (2 * N_MELS)) * np.sqrt(2.0 / N_MELS)
    matrix[0] /= np.sqrt(2.0)
    return matrix


MEL_BANK = _mel_filterbank()
DCT = _dct_matrix()
WINDOW = np.hamming(FRAME)


def _frames(samples: np.ndarray, length: int) -> np.ndarray:
    count = 1 + (len(samples) - length) // HOP
    if count <= 0:
        return np.zeros((0, length), dtype=np.float32)
    strides = (samples.strides[0] * HOP, samples.strides[0])
    return np.lib.stride_tricks.as_strided(samples, shape=(count, length), strides=strides)


@dataclass
class VoiceFrames:
    """Per-frame MFCCs (speech frames only) and the pitch of the voiced ones, of one segment."""

    mfcc: np.ndarray  # (frames, N_MFCC - 1)
    pitch_st: np.ndarray  # semitones above 55 Hz, voiced frames only


def voice_frames(samples: np.ndarray) -> VoiceFrames:
    """MFCCs and pitch of the frames that carry speech (not pauses or silence)."""
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    empty = VoiceFrames(np.zeros((0, N_MFCC - 1)), np.zeros(0))
    if len(samples) < PITCH_FRAME:
        return empty
    emphasised = np.append(samples[0], samples[1:] - 0.97 * samples[:-1]).astype(np.float32)
    frames = _frames(emphasised, FRAME)
    raw = _frames(samples, FRAME)
    rms = np.sqrt(np.mean(np.square(raw, dtype=np.float64), axis=1))
    level_db = 20 * np.log10(rms + 1e-12)
    active = (rms > SILENCE_RMS) & (level_db > level_db.max() - ACTIVE_DB_BELOW_PEAK)
    if active.sum() < MIN_ACTIVE_FRAMES:
        return empty
    spectrum = np.abs(np.fft.rfft(frames[active] * WINDOW, n=N_FFT)) ** 2
    log_mel = np.log(spectrum @ MEL_BANK.T + 1e-10)
    mfcc = log_mel @ DCT.T
    return VoiceFrames(mfcc=mfcc[:, 1:], pitch_st=_pitch(samples, active))


def _pitch(samples: np.ndarray, active: np.ndarray) -> np.ndarray:
    frames = _frames(samples, PITCH_FRAME)
    chosen = active[: len(frames)]
    frames = frames[chosen] - frames[chosen].mean(axis=1, keepdims=True)
    if not len(frames):
        return np.zeros(0)
    spectrum = np.fft.rfft(frames * np.hanning(PITCH_FRAME), n=2 * PITCH_FRAME)
    acf = np.fft.irfft(np.abs(spectrum) ** 2)[:, :PITCH_FRAME]
    acf = acf / np.maximum(acf[:, :1], 1e-12)
    low, high = int(SAMPLE_RATE / PITCH_MAX_HZ), int(SAMPLE_RATE / PITCH_MIN_HZ)
    lag = low + np.argmax(acf[:, low:high], axis=1)
    peak = acf[np.arange(len(acf)), lag]
    voiced = peak > VOICED_CORRELATION
    hz = SAMPLE_RATE / lag[voiced]
    return 12.0 * np.log2(hz / 55.0)


# --- clustering ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VoiceSummary:
    """What clustering needs of one segment, kept instead of its frames so that memory stays small."""

    frames: int
    mfcc_sum: np.ndarray
    mfcc_square_sum: np.ndarray
    pitch_st: float | None  # median over voiced frames; None when too few were voiced

    @classmethod
    def of(cls, voice: VoiceFrames) -> VoiceSummary:
        """Sums and median pitch of a segment's speech frames."""
        return cls(
            frames=len(voice.mfcc),
            mfcc_sum=voice.mfcc.sum(axis=0),
            mfcc_square_sum=np.square(voice.mfcc).sum(axis=0),
            pitch_st=float(np.median(voice.pitch_st)) if len(voice.pitch_st) >= 3 else None,
        )


def voice_vectors(found: dict[int, VoiceSummary]) -> dict[int, np.ndarray]:
    """One vector per segment: mean MFCCs in units of the recording's frame spread, then scaled median pitch
    (NaN when the segment has too few voiced frames to tell)."""
    usable = {i: f for i, f in found.items() if f.frames >= MIN_ACTIVE_FRAMES}
    if not usable:
        return {}
    count = sum(f.frames for f in usable.values())
    mean = sum(f.mfcc_sum for f in usable.values()) / count
    variance = sum(f.mfcc_square_sum for f in usable.values()) / count - np.square(mean)
    spread = np.sqrt(np.clip(variance, 0.0, None)) + 1e-6
    vectors = {}
    for i, summary in usable.items():
        spectral = (summary.mfcc_sum / summary.frames / spread) / np.sqrt(len(spread))
        pitch = summary.pitch_st / PITCH_SCALE_ST if summary.pitch_st is not None else np.nan
        vectors[i] = np.append(spectral, pitch)
    return vectors


def _with_pitch_filled(vectors: np.ndarray) -> np.ndarray:
    """Unknown pitch replaced by the median of the known ones, so it pulls towards no voice in particular."""
    filled = vectors.copy()
    known = ~np.isnan(filled[:, -1])
    filled[~known, -1] = np.median(filled[known, -1]) if known.any() else 0.0
    return filled


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance over the dimensions both vectors know (pitch may be unknown)."""
    both = ~(np.isnan(a) | np.isnan(b))
    return float(np.linalg.norm(a[both] - b[both]))


def cluster_vectors(vectors: np.ndarray, *, speakers: int | None = None) -> np.ndarray:
    """Cluster ids per row: agglomerative (average linkage) into `speakers` groups, else by distance threshold."""
    if len(vectors) == 0:
        return np.zeros(0, dtype=int)
    if len(vectors) == 1 or speakers == 1:
        return np.zeros(len(vectors), dtype=int)
    from sklearn.cluster import AgglomerativeClustering

    if speakers:
        model = AgglomerativeClustering(n_clusters=min(speakers, len(vectors)), linkage="average")
    else:
        model = AgglomerativeClustering(n_clusters=None, distance_threshold=DISTANCE_THRESHOLD, linkage="average")
    return np.asarray(model.fit_predict(vectors), dtype=int)


def _centroids(vectors: np.ndarray, ids: np.ndarray) -> dict[int, np.ndarray]:
    return {int(c): vectors[ids == c].mean(axis=0) for c in np.unique(ids)}


def _merge_brief_voices(vectors: np.ndarray, ids: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """Fold voices heard for less than MIN_SPEAKER_S into the nearest other voice (one at a time, briefest first)."""
    ids = ids.copy()
    for _ in range(len(np.unique(ids))):
        totals = {int(c): float(seconds[ids == c].sum()) for c in np.unique(ids)}
        if len(totals) < 2:
            break
        briefest = min(totals, key=lambda c: totals[c])
        if totals[briefest] >= MIN_SPEAKER_S:
            break
        centres = _centroids(vectors, ids)
        others = [c for c in centres if c != briefest]
        nearest = min(others, key=lambda c: float(np.linalg.norm(centres[c] - centres[briefest])))
        ids[ids == briefest] = nearest
    return ids


# --- the whole recording --------------------------------------------------------------------------------------


def diarise_file(
    path: Path,
    segments: list[Segment],
    *,
    speakers: int | None = None,
    progress: Progress | None = None,
    max_duration_s: float = DEFAULT_MAX_DURATION_S,
) -> Diarisation:
    """Speaker labels for the transcript segments of a recording (`speakers`: the number, when the user knows it)."""
    if speakers is not None and not 1 <= speakers <= MAX_SPEAKERS:
        raise InvalidInput(f"Antalet talare ska vara mellan 1 och {MAX_SPEAKERS}.")
    found: dict[int, VoiceSummary] = {}
    total = len(segments)
    for done, (index, samples) in enumerate(iter_segment_audio(path, segments, max_duration_s=max_duration_s), 1):
        found[index] = VoiceSummary.of(voice_frames(samples))
        if progress and (done % 20 == 0 or done == total):
            progress(done, total)
    return label_segments(segments, found, speakers=speakers)


def label_segments(
    segments: list[Segment], found: dict[int, VoiceSummary], *, speakers: int | None = None
) -> Diarisation:
    """Cluster the segments' voices and name the clusters "Talare 1", "Talare 2", ... by first appearance."""
    vectors = voice_vectors(found)
    labels: list[str | None] = [None] * len(segments)
    if not vectors:
        return Diarisation(labels=labels, speakers=0, error="Inget tal hittades i ljudet att känna igen talare i.")
    reliable = [i for i in sorted(vectors) if found[i].frames >= RELIABLE_ACTIVE_FRAMES] or sorted(vectors)
    matrix = _with_pitch_filled(np.array([vectors[i] for i in reliable]))
    ids = cluster_vectors(matrix, speakers=speakers)
    if speakers is None:
        seconds = np.array([found[i].frames * HOP / SAMPLE_RATE for i in reliable])
        ids = _merge_brief_voices(matrix, ids, seconds)
    cluster_of = dict(zip(reliable, (int(c) for c in ids), strict=True))
    centres = _centroids(matrix, ids)
    for i in sorted(vectors):  # short segments: the nearest voice heard in the reliable ones
        if i not in cluster_of:
            cluster_of[i] = min(centres, key=lambda c: _distance(centres[c], vectors[i]))
    names: dict[int, str] = {}
    for i in sorted(cluster_of, key=lambda i: (segments[i].start or 0.0, i)):
        names.setdefault(cluster_of[i], LABEL.format(n=len(names) + 1))
        labels[i] = names[cluster_of[i]]
    details = {"segments_labelled": sum(1 for label in labels if label), "segments": len(segments)}
    return Diarisation(labels=labels, speakers=len(names), details=details)


def apply(segments: list[Segment], diarisation: Diarisation) -> list[Segment]:
    """The segments with the diarisation's labels; segments it could not label keep their old speaker."""
    return [
        Segment(text=s.text, start=s.start, end=s.end, speaker=label or s.speaker)
        for s, label in zip(segments, diarisation.labels, strict=True)
    ]
