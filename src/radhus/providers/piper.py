"""Piper voices (VITS models in ONNX) from a local folder, run with onnxruntime; phonemes from espeak-ng.

A Piper voice is `<voice>.onnx` plus `<voice>.onnx.json` (sample rate, espeak-ng voice, phoneme id map,
inference scales, number of speakers). Text becomes sound the way Piper does it: the espeak-ng program gives
IPA per clause, the clause's punctuation is kept, the result is split into Unicode code points (NFD); each
sentence becomes the ids ^ _ p1 _ p2 _ … $ and one model run; the sentences' audio is joined into one WAV.
Our own implementation of the documented format: the piper-tts package itself is GPL and not a dependency.
"""

import io
import json
import logging
import re
import shutil
import subprocess
import threading
import time
import unicodedata
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from radhus.core.errors import ProviderError
from radhus.providers.config import ProviderConfig
from radhus.providers.langid import language_name_sv
from radhus.providers.models import SpeechResult, Usage

log = logging.getLogger(__name__)

PIPER_LAYOUT_SV = (
    "en mapp med <röst>.onnx och <röst>.onnx.json (t.ex. sv_SE-nst-medium.onnx och sv_SE-nst-medium.onnx.json)"
)
BOS, EOS, PAD = "^", "$", "_"
SENTENCE_TERMINATORS = frozenset(".?!")
CLAUSE_MARKS = frozenset(".,;:!?")
SPACED_TERMINATORS = frozenset(",:;")  # Piper adds a space after these: the sentence goes on
# A clause ends at . , ; : ! ? followed by white space or the end (so "2.5" and "kl.8" stay whole); closing
# quotes and brackets right after the mark belong to the clause.
CLAUSE_END = re.compile(r"([.,;:!?])[.,;:!?…\"'”’»)\]]*(?=\s|$)")
LANGUAGE_SWITCH = re.compile(r"\([^)]*\)")  # espeak-ng marks words read in another language: (en)…(sv)
CLAUSE_SEPARATOR = "."  # a line espeak-ng reads as an empty clause: it prints an empty line for it
ESPEAK_TIMEOUT_S = 60


def _voice_error(name: str, message: str, model_dir: Path | None, **detail: Any) -> ProviderError:
    return ProviderError(
        f"{message} Ange model_dir (och voice om mappen har flera röster) under [providers.tts.{name}] till "
        f"{PIPER_LAYOUT_SV}.",
        detail={"provider": name, "setting": f"providers.tts.{name}.model_dir", "path": str(model_dir), **detail},
    )


# --- text to phonemes ---


@dataclass(frozen=True)
class Clause:
    """A stretch of text up to a punctuation mark; `terminator` is that mark, or "" at the end of the text."""

    text: str
    terminator: str

    @property
    def ends_sentence(self) -> bool:
        return self.terminator in SENTENCE_TERMINATORS


def split_clauses(text: str) -> list[Clause]:
    """Clauses of `text`, white space folded to single spaces."""
    text = " ".join(text.split())
    clauses, start = [], 0
    for match in CLAUSE_END.finditer(text):
        clauses.append(Clause(text[start : match.start()].strip(), match.group(1)))
        start = match.end()
    if text[start:].strip():
        clauses.append(Clause(text[start:].strip(), ""))
    return clauses


def split_sentences(clauses: Sequence[Clause]) -> list[list[Clause]]:
    """Clauses grouped into sentences (a sentence ends at . ? ! or at the end of the text)."""
    sentences: list[list[Clause]] = [[]]
    for clause in clauses:
        sentences[-1].append(clause)
        if clause.ends_sentence:
            sentences.append([])
    return [sentence for sentence in sentences if sentence]


def _run_espeak(binary: str, voice: str, text: str) -> list[str]:
    """Output lines of `espeak-ng --ipa` for `text` (one or more per clause), language-switch marks removed."""
    try:
        completed = subprocess.run(
            [binary, "-q", "--ipa", "-v", voice],
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=ESPEAK_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ProviderError("Talsyntesen tog för lång tid och avbröts.", detail={"reason": "timeout"}) from exc
    if completed.returncode != 0:
        raise ProviderError(
            f"espeak-ng kunde inte ta fram uttalet med rösten {voice!r} (espeak.voice i röstens .onnx.json).",
            detail={"reason": "phonemizer", "stderr": completed.stderr.decode("utf-8", "replace")[:200]},
        )
    lines = completed.stdout.decode("utf-8", "replace").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return [LANGUAGE_SWITCH.sub("", line).strip() for line in lines]


def _blocks(lines: list[str]) -> list[str]:
    """Lines grouped at empty lines; the lines of one block joined by a space."""
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line:
            blocks[-1].append(line)
        else:
            blocks.append([])
    return [" ".join(block) for block in blocks]


def espeak_ipa(texts: Sequence[str], voice: str) -> list[str]:
    """IPA of each text: one espeak-ng process for all, one per text when the output cannot be lined up."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise ProviderError(
            "Piper-röster behöver programmet espeak-ng för uttalet, men det är inte installerat "
            "(apt-get install espeak-ng).",
            detail={"reason": "not_installed", "program": "espeak-ng"},
        )
    if not texts:
        return []
    together = _blocks(_run_espeak(binary, voice, f"\n{CLAUSE_SEPARATOR}\n".join(texts)))
    if len(together) == len(texts) and all(together):
        return together
    # espeak-ng split or merged a clause differently than we did; ask for each clause on its own
    return [" ".join(line for line in _run_espeak(binary, voice, text) if line) for text in texts]


def _has_words(text: str) -> bool:
    return any(char.isalnum() for char in text)


def clause_phonemes(clause: Clause, ipa: str) -> list[str]:
    """Piper's phonemes of one clause: IPA code points (NFD), then the clause's punctuation."""
    phonemes = ipa + clause.terminator + (" " if clause.terminator in SPACED_TERMINATORS else "")
    return list(unicodedata.normalize("NFD", phonemes))


def phonemize_espeak(text: str, voice: str) -> list[list[str]]:
    """Phonemes per sentence, as Piper's espeak phonemiser makes them."""
    clauses = split_clauses(text)
    spoken = [clause.text for clause in clauses if _has_words(clause.text)]
    ipa = iter(espeak_ipa(spoken, voice))
    sentences = []
    for sentence in split_sentences(clauses):
        phonemes: list[str] = []
        for clause in sentence:
            phonemes += clause_phonemes(clause, next(ipa) if _has_words(clause.text) else "")
        sentences.append(phonemes)
    return sentences


def phonemize_text(text: str) -> list[list[str]]:
    """Phonemes per sentence for voices trained on letters (phoneme_type "text")."""
    sentences = []
    for sentence in split_sentences(split_clauses(text)):
        joined = "".join(clause.text + clause.terminator + " " for clause in sentence).strip()
        sentences.append(list(unicodedata.normalize("NFD", joined)))
    return sentences


def phonemes_to_ids(phonemes: Sequence[str], id_map: dict[str, list[int]]) -> tuple[list[int], list[str]]:
    """Ids ^ _ p1 _ p2 _ … $ as Piper makes them, and the phonemes the voice does not know (skipped)."""
    ids = [*id_map[BOS], *id_map[PAD]]
    missing = []
    for phoneme in phonemes:
        if phoneme not in id_map:
            missing.append(phoneme)
            continue
        ids += [*id_map[phoneme], *id_map[PAD]]
    return [*ids, *id_map[EOS]], missing


# --- the voice ---


@dataclass(frozen=True)
class PiperVoiceConfig:
    """The parts of `<voice>.onnx.json` that synthesis needs."""

    sample_rate: int
    phoneme_type: str
    espeak_voice: str
    phoneme_id_map: dict[str, list[int]]
    num_speakers: int
    noise_scale: float
    length_scale: float
    noise_w: float
    language: str | None

    @classmethod
    def parse(cls, data: dict) -> "PiperVoiceConfig":
        """From the JSON object; KeyError/TypeError/ValueError when a required part is missing or malformed."""
        inference = data.get("inference") or {}
        id_map = {str(key): [int(i) for i in value] for key, value in data["phoneme_id_map"].items()}
        for symbol in (BOS, EOS, PAD):
            if not id_map.get(symbol):
                raise KeyError(f"phoneme_id_map[{symbol!r}]")
        language = (data.get("language") or {}).get("family") or (data.get("language") or {}).get("code")
        espeak_voice = str((data.get("espeak") or {}).get("voice") or "")
        phoneme_type = str(data.get("phoneme_type") or "espeak")
        if phoneme_type == "espeak" and not espeak_voice:
            raise KeyError("espeak.voice")
        return cls(
            sample_rate=int(data["audio"]["sample_rate"]),
            phoneme_type=phoneme_type,
            espeak_voice=espeak_voice,
            phoneme_id_map=id_map,
            num_speakers=int(data.get("num_speakers") or 1),
            noise_scale=float(inference.get("noise_scale", 0.667)),
            length_scale=float(inference.get("length_scale", 1.0)),
            noise_w=float(inference.get("noise_w", 0.8)),
            language=(language or espeak_voice or "").split("-")[0].split("_")[0].lower() or None,
        )


def _find_voice(name: str, config: ProviderConfig) -> Path:
    """The voice's .onnx file in model_dir (the one named by `voice` when several are there)."""
    model_dir = Path(config.model_dir) if config.model_dir else None
    voices = sorted(model_dir.glob("*.onnx")) if model_dir and model_dir.is_dir() else []
    if config.voice:
        voices = [v for v in voices if v.stem == config.voice]
    if not voices:
        wanted = f"Piper-rösten {config.voice!r}" if config.voice else "Ingen Piper-röst"
        raise _voice_error(name, f"{wanted} hittades inte för {name} i {model_dir}.", model_dir)
    if len(voices) > 1:
        names = ", ".join(v.stem for v in voices)
        raise _voice_error(
            name, f"Mappen {model_dir} har flera Piper-röster ({names}); ange vilken med voice.", model_dir
        )
    if not Path(f"{voices[0]}.json").is_file():
        raise _voice_error(name, f"Konfigurationsfilen {voices[0].name}.json saknas för Piper-rösten.", model_dir)
    return voices[0]


def _read_voice_config(name: str, path: Path, model_dir: Path | None) -> PiperVoiceConfig:
    try:
        return PiperVoiceConfig.parse(json.loads(path.read_text(encoding="utf-8")))
    except KeyError as exc:
        problem = f"saknar {exc.args[0]}"
    except (OSError, UnicodeDecodeError, ValueError, TypeError, AttributeError):  # JSONDecodeError is a ValueError
        problem = "är trasig (ingen giltig JSON i Piper-formatet)"
    raise _voice_error(
        name,
        f"Piper-rösten kunde inte läsas: {path.name} {problem} "
        "(krävs: audio.sample_rate, espeak.voice, phoneme_id_map med ^, _ och $).",
        model_dir,
        reason="bad_config",
    )


def wav_bytes(audio: np.ndarray, sample_rate: int) -> bytes:
    """16-bit mono WAV of float audio in [-1, 1] (clipped)."""
    samples = np.rint(np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(sample_rate)
        handle.writeframes(samples.tobytes())
    return buffer.getvalue()


class PiperTextToSpeech:
    """A Piper voice (e.g. sv_SE-nst-medium) from a local folder, run in-process with onnxruntime."""

    def __init__(self, name: str, config: ProviderConfig):
        self.name = name
        self.config = config
        self.voice_path = _find_voice(name, config)
        self.voice = _read_voice_config(name, Path(f"{self.voice_path}.json"), config.model_dir)
        if self.voice.phoneme_type not in ("espeak", "text"):
            raise _voice_error(
                name,
                f"Piper-rösten {self.voice_path.stem} använder phoneme_type {self.voice.phoneme_type!r}; "
                "bara espeak och text stöds.",
                config.model_dir,
                reason="unsupported_phoneme_type",
            )
        self.model = f"piper/{self.voice_path.stem}"
        self.languages = config.languages or [self.voice.language or self.voice_path.stem[:2]]
        self._session: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            return self._session or self._open_session()

    def _open_session(self) -> Any:
        """An onnxruntime session for the voice, checked to have Piper's inputs."""
        try:
            import onnxruntime
        except ImportError as exc:
            raise ProviderError(
                f"Piper-rösten {self.name} kräver paketet onnxruntime, som inte är installerat. Installera "
                "tillägget radhus[tts-piper] eller ta bort [providers.tts."
                f"{self.name}].",
                detail={"provider": self.name, "reason": "not_installed", "setting": f"providers.tts.{self.name}"},
            ) from exc
        wanted = ["CUDAExecutionProvider"] if self.config.device == "cuda" else []
        available = set(onnxruntime.get_available_providers())
        providers = [p for p in wanted if p in available] + ["CPUExecutionProvider"]
        try:
            session = onnxruntime.InferenceSession(str(self.voice_path), providers=providers)
        except Exception as exc:  # onnxruntime raises its own exception types for unreadable models
            raise _voice_error(
                self.name,
                f"Piper-rösten {self.voice_path.name} kunde inte läsas: filen är inte en giltig ONNX-modell "
                "(trasig eller ofullständigt nedladdad).",
                self.config.model_dir,
                reason="bad_model",
            ) from exc
        inputs = {i.name for i in session.get_inputs()}
        if not {"input", "input_lengths", "scales"} <= inputs:
            raise _voice_error(
                self.name,
                f"{self.voice_path.name} är ingen Piper-röst (modellen saknar indata input, input_lengths och scales).",
                self.config.model_dir,
                reason="bad_model",
            )
        self._session = session
        return session

    def check(self) -> str:
        """For `radhus providers check`: load the model (raises ProviderError when it cannot run)."""
        self._load()
        espeak = self.voice.phoneme_type != "espeak" or shutil.which("espeak-ng")
        if not espeak:
            raise ProviderError("Piper-rösten behöver programmet espeak-ng, som inte är installerat.")
        return f"Piper-rösten {self.voice_path.stem} ({self.voice.sample_rate} Hz) kan läsas."

    def phoneme_ids(self, text: str) -> list[list[int]]:
        """Model input ids per sentence; unknown phonemes are skipped and logged."""
        if self.voice.phoneme_type == "text":
            sentences = phonemize_text(text)
        else:
            sentences = phonemize_espeak(text, self.voice.espeak_voice)
        result, missing = [], set()
        for phonemes in sentences:
            if not any(p.strip() and p not in CLAUSE_MARKS for p in phonemes):
                continue  # punctuation only: nothing to say
            ids, unknown = phonemes_to_ids(phonemes, self.voice.phoneme_id_map)
            missing.update(unknown)
            result.append(ids)
        if missing:
            log.warning("Piper voice %s has no id for phonemes %s; skipped", self.voice_path.stem, sorted(missing))
        return result

    def _run(self, session: Any, ids: list[int]) -> np.ndarray:
        feeds = {
            "input": np.array([ids], dtype=np.int64),
            "input_lengths": np.array([len(ids)], dtype=np.int64),
            "scales": np.array([self.voice.noise_scale, self.voice.length_scale, self.voice.noise_w], dtype=np.float32),
        }
        if self.voice.num_speakers > 1:
            feeds["sid"] = np.array([0], dtype=np.int64)  # the voice's first speaker
        try:
            (audio, *_) = session.run(None, feeds)
        except Exception as exc:  # onnxruntime's own errors: shapes, types, a broken graph
            raise ProviderError(
                f"Talsyntesen med Piper-rösten {self.voice_path.stem} misslyckades.",
                detail={"provider": self.name, "reason": "inference", "error": type(exc).__name__},
            ) from exc
        return np.asarray(audio, dtype=np.float32).reshape(-1)

    def synthesize(self, text: str, *, language: str = "sv") -> SpeechResult:
        """WAV bytes of `text` read aloud by the voice, at the voice's sample rate."""
        if language not in self.languages:
            raise ProviderError(
                f"Piper-rösten {self.voice_path.stem} läser inte {language_name_sv(language)}.",
                status_code=422,
                detail={"reason": "unsupported_language", "language": language},
            )
        started = time.perf_counter()
        sentences = self.phoneme_ids(text)
        if not sentences:
            raise ProviderError(
                "Texten innehåller inget som kan läsas upp.", status_code=422, detail={"reason": "empty_text"}
            )
        session = self._load()
        audio = np.concatenate([self._run(session, ids) for ids in sentences])
        rate = self.voice.sample_rate
        return SpeechResult(
            provider=self.name,
            model=self.model,
            audio_wav=wav_bytes(audio, rate),
            sample_rate=rate,
            language=language,
            usage=Usage(audio_seconds=round(len(audio) / rate, 2), duration_s=round(time.perf_counter() - started, 3)),
        )
