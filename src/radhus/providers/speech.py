"""Speech: faster-whisper speech-to-text (local model folder); text-to-speech with espeak-ng or Piper (piper.py)."""

import io
import shutil
import subprocess
import time
import wave
from pathlib import Path
from typing import Protocol

from radhus.core.errors import ProviderError
from radhus.providers.config import ProviderConfig
from radhus.providers.langid import language_name_sv
from radhus.providers.models import SpeechResult, TranscriptionResult, TranscriptSegment, Usage
from radhus.providers.piper import PiperTextToSpeech

__all__ = ["EspeakTextToSpeech", "PiperTextToSpeech", "WhisperSpeechToText", "wav_duration_s"]

WHISPER_LAYOUT_SV = (
    "en mapp med en Whisper-modell i CTranslate2-format (t.ex. KB-Whisper): model.bin, config.json, "
    "tokenizer.json och vocabulary.json"
)
ESPEAK_VOICES = {
    "sv": "sv", "en": "en", "de": "de", "fi": "fi", "pl": "pl", "da": "da", "nb": "nb", "fr": "fr",
    "es": "es", "ar": "ar", "fa": "fa", "uk": "uk", "ru": "ru", "tr": "tr", "am": "am", "ku": "ku",
    "bs": "bs", "el": "el",
}  # fmt: skip
SUBPROCESS_TIMEOUT_S = 120
NO_REPEAT_NGRAM = 10


class SpeechToText(Protocol):
    """Anything that transcribes audio."""

    name: str
    model: str

    def transcribe(self, audio: Path | bytes, *, language: str | None = None) -> TranscriptionResult: ...


class TextToSpeech(Protocol):
    """Anything that reads text aloud into a WAV file."""

    name: str
    model: str

    def synthesize(self, text: str, *, language: str = "sv") -> SpeechResult: ...


def wav_duration_s(data: bytes) -> tuple[float, int]:
    """Duration in seconds and sample rate of WAV bytes."""
    try:
        with wave.open(io.BytesIO(data)) as handle:
            rate = handle.getframerate()
            return handle.getnframes() / float(rate or 1), rate
    except (wave.Error, EOFError) as exc:
        raise ProviderError("Ljudet kunde inte läsas som en WAV-fil.", detail={"reason": "bad_audio"}) from exc


def _fix_wav_header(data: bytes) -> bytes:
    """espeak-ng writes streaming WAV with unknown sizes to stdout; rewrite the RIFF/data lengths."""
    if len(data) < 44 or data[:4] != b"RIFF":
        return data
    fixed = bytearray(data)
    fixed[4:8] = (len(data) - 8).to_bytes(4, "little")
    index = fixed.find(b"data", 12)
    if index != -1:
        fixed[index + 4 : index + 8] = (len(data) - index - 8).to_bytes(4, "little")
    return bytes(fixed)


class WhisperSpeechToText:
    """faster-whisper with a local CTranslate2 Whisper folder; VAD on, temperature 0, no conditioning, no loops."""

    def __init__(self, name: str, config: ProviderConfig):
        self.name = name
        self.config = config
        model_dir = config.model_dir
        if model_dir is None or not (Path(model_dir) / "model.bin").is_file():
            raise ProviderError(
                f"Taligenkänningsmodellen {name} hittades inte. Ange model_dir under "
                f"[providers.speech.{name}] "
                f"till {WHISPER_LAYOUT_SV}.",
                detail={"provider": name, "setting": "model_dir", "path": str(model_dir)},
            )
        self.model = config.model or Path(model_dir).name
        self._model = None

    def _load(self):
        if self._model is None:
            try:
                from faster_whisper import WhisperModel
            except ImportError as exc:
                raise ProviderError(
                    "Paketet faster-whisper är inte installerat; installera tillägget radhus[speech].",
                    detail={"provider": self.name, "reason": "not_installed"},
                ) from exc
            self._model = WhisperModel(
                str(self.config.model_dir),
                device=self.config.device,
                compute_type=self.config.compute_type,
                local_files_only=True,
            )
        return self._model

    def transcribe(self, audio: Path | bytes, *, language: str | None = None) -> TranscriptionResult:
        """Segments with start/end seconds; never samples at higher temperature (no stalls on noise)."""
        started = time.perf_counter()
        source = io.BytesIO(audio) if isinstance(audio, bytes) else str(audio)
        if isinstance(audio, Path) and not audio.is_file():
            raise ProviderError(f"Ljudfilen {audio} finns inte.", detail={"reason": "missing_file"})
        try:
            segments, info = self._load().transcribe(
                source,
                language=language,
                vad_filter=True,
                temperature=0.0,
                condition_on_previous_text=False,
                beam_size=5,
                # Greedy-at-temperature-0 decoding can lock into repeating one phrase until the token limit
                # (seen with Whisper base on synthetic Swedish speech); an exact 10-token repeat in one 30 s
                # window is rare in real speech.
                no_repeat_ngram_size=NO_REPEAT_NGRAM,
            )
            parts = [
                TranscriptSegment(start=round(s.start, 2), end=round(s.end, 2), text=s.text.strip()) for s in segments
            ]
        except ProviderError:
            raise
        except Exception as exc:  # decoding errors from av / ctranslate2
            raise ProviderError(
                f"Taligenkänningen med {self.name} misslyckades: ljudet kunde inte tolkas.",
                detail={"provider": self.name, "reason": "decode", "error": type(exc).__name__},
            ) from exc
        return TranscriptionResult(
            provider=self.name,
            model=self.model,
            text=" ".join(p.text for p in parts).strip(),
            language=getattr(info, "language", language),
            segments=parts,
            usage=Usage(audio_seconds=round(info.duration, 2), duration_s=round(time.perf_counter() - started, 3)),
        )


class EspeakTextToSpeech:
    """espeak-ng run as a separate process (it is GPL; we only call the program)."""

    def __init__(self, name: str = "builtin", config: ProviderConfig | None = None):
        self.name = name
        self.config = config
        self.model = "espeak-ng"
        self.binary = shutil.which("espeak-ng")

    def voice_for(self, language: str) -> str:
        """espeak-ng voice for a language code, or a Swedish error saying plainly that none exists."""
        if self.config and self.config.voice and language == (self.config.languages or ["sv"])[0]:
            return self.config.voice
        voice = ESPEAK_VOICES.get(language)
        if voice is None:
            raise ProviderError(
                f"Uppläsning på {language_name_sv(language)} finns inte: espeak-ng har ingen röst "
                "för språket. "
                'Konfigurera en Piper-röst under [providers.tts.<namn>] (kind = "piper", model_dir) '
                "om en finns.",
                status_code=422,
                detail={"reason": "unsupported_language", "language": language},
            )
        return voice

    def synthesize(self, text: str, *, language: str = "sv") -> SpeechResult:
        """WAV bytes of `text` read aloud."""
        if not self.binary:
            raise ProviderError(
                "Talsyntes saknas: programmet espeak-ng är inte installerat (apt-get install espeak-ng).",
                detail={"provider": self.name, "reason": "not_installed", "setting": "providers.tts"},
            )
        started = time.perf_counter()
        voice = self.voice_for(language)
        try:
            completed = subprocess.run(
                [self.binary, "-v", voice, "--stdout", "-b", "1"],
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=SUBPROCESS_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ProviderError("Talsyntesen tog för lång tid och avbröts.", detail={"reason": "timeout"}) from exc
        if completed.returncode != 0 or not completed.stdout:
            raise ProviderError(
                "Talsyntesen med espeak-ng misslyckades.",
                detail={"reason": "process", "stderr": completed.stderr.decode("utf-8", "replace")[:200]},
            )
        audio = _fix_wav_header(completed.stdout)
        seconds, rate = wav_duration_s(audio)
        return SpeechResult(
            provider=self.name,
            model=f"espeak-ng/{voice}",
            audio_wav=audio,
            sample_rate=rate,
            language=language,
            usage=Usage(audio_seconds=round(seconds, 2), duration_s=round(time.perf_counter() - started, 3)),
        )
