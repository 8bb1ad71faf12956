"""Translation: CTranslate2 folders (OPUS-MT per pair, MADLAD-400), apertium for sv↔da/nb, chat fallback."""

import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from radhus.core.errors import ProviderError
from radhus.providers.config import ProviderConfig
from radhus.providers.langid import language_name_sv
from radhus.providers.models import ChatMessage, ChatResult, TranslationResult, Usage

PIVOT = "en"
CT2_LAYOUT_SV = (
    "en mapp med en undermapp per språkpar, t.ex. sv-en/ och en-uk/, som var och en innehåller en "
    "OPUS-MT-modell i CTranslate2-format (model.bin, source.spm, target.spm, shared_vocabulary.json)"
)
APERTIUM_MODES = {
    ("sv", "da"): "swe-dan",
    ("da", "sv"): "dan-swe",
    ("sv", "nb"): "swe-nob",
    ("nb", "sv"): "nob-swe",
}
SUBPROCESS_TIMEOUT_S = 120


class Translator(Protocol):
    """Anything that translates between the language pairs it lists."""

    name: str
    model: str

    def supports(self, source: str, target: str) -> bool: ...

    def translate(self, text: str, *, source: str, target: str) -> TranslationResult: ...


def _split_sentences(text: str) -> list[str]:
    """Paragraph lines split into sentences, so that long texts fit the model's input length."""
    out: list[str] = []
    for line in text.splitlines():
        out.extend(part for part in re.split(r"(?<=[.!?])\s+", line.strip()) if part)
    return out


def _config_flag(folder: Path, key: str) -> bool:
    """A boolean from the CTranslate2 model's config.json (absent or unreadable: False)."""
    try:
        return bool(json.loads((folder / "config.json").read_text(encoding="utf-8")).get(key))
    except (OSError, ValueError, AttributeError):
        return False


class CTranslate2Translator:
    """OPUS-MT (or similar) CTranslate2 models, one folder per language pair."""

    def __init__(self, name: str, config: ProviderConfig):
        self.name = name
        self.config = config
        root = Path(config.model_dir) if config.model_dir else None
        self.pair_dirs = {}
        if root and root.is_dir():
            for child in sorted(root.iterdir()):
                if (
                    child.is_dir()
                    and (child / "model.bin").is_file()
                    and re.fullmatch(r"[a-z]{2,3}-[a-z]{2,3}", child.name)
                ):
                    self.pair_dirs[tuple(child.name.split("-"))] = child
        if not self.pair_dirs:
            raise ProviderError(
                f"Översättningsmodellerna för {name} hittades inte. Ange model_dir under "
                f"[providers.translation.{name}] till {CT2_LAYOUT_SV}.",
                detail={"provider": name, "setting": "model_dir", "path": str(root)},
            )
        self.model = config.model or "opus-mt (ctranslate2)"
        self._loaded: dict[tuple[str, str], tuple] = {}

    def supports(self, source: str, target: str) -> bool:
        return (source, target) in self.pair_dirs

    def _load(self, pair: tuple[str, str]):
        if pair not in self._loaded:
            try:
                import ctranslate2
                import sentencepiece
            except ImportError as exc:
                raise ProviderError(
                    "Paketen ctranslate2 och sentencepiece behövs för översättning med lokala modeller.",
                    detail={"provider": self.name, "reason": "not_installed"},
                ) from exc
            folder = self.pair_dirs[pair]
            try:
                translator = ctranslate2.Translator(
                    str(folder), device=self.config.device, compute_type=self.config.compute_type
                )
                source_sp = sentencepiece.SentencePieceProcessor(model_file=str(folder / "source.spm"))
                target_sp = sentencepiece.SentencePieceProcessor(model_file=str(folder / "target.spm"))
            except (RuntimeError, OSError, ValueError) as exc:
                raise ProviderError(
                    f"Översättningsmodellen i {folder} kunde inte läsas. Mappen ska innehålla {CT2_LAYOUT_SV}.",
                    detail={"provider": self.name, "reason": "model_unreadable", "path": str(folder)},
                ) from exc
            # Models converted by ct2-opus-mt-converter / ct2-marian-converter add </s> themselves.
            eos = [] if _config_flag(folder, "add_source_eos") else ["</s>"]
            self._loaded[pair] = (translator, source_sp, target_sp, eos)
        return self._loaded[pair]

    def translate(self, text: str, *, source: str, target: str) -> TranslationResult:
        """Translate sentence by sentence with beam search."""
        started = time.perf_counter()
        translator, source_sp, target_sp, eos = self._load((source, target))
        sentences = _split_sentences(text)
        tokens = [source_sp.encode(sentence, out_type=str) + eos for sentence in sentences]
        results = translator.translate_batch(tokens, beam_size=4, max_decoding_length=512) if tokens else []
        translated = [target_sp.decode([t for t in r.hypotheses[0] if t != "</s>"]) for r in results]
        return TranslationResult(
            provider=self.name,
            model=f"{self.model}/{source}-{target}",
            text=" ".join(translated),
            source_language=source,
            target_language=target,
            path=[f"{source}-{target}"],
            usage=Usage(prompt_tokens=sum(len(t) for t in tokens), duration_s=round(time.perf_counter() - started, 3)),
        )


class ApertiumTranslator:
    """Rule-based apertium (Debian apertium-swe-dan / apertium-swe-nor) for Swedish↔Danish/Norwegian."""

    def __init__(self, name: str, config: ProviderConfig):
        self.name = name
        self.config = config
        self.model = "apertium"
        binary = shutil.which("apertium")
        if not binary:
            raise ProviderError(
                f"Översättningen {name} kräver programmet apertium "
                "(apt-get install apertium apertium-swe-dan "
                "apertium-swe-nor apertium-recursive).",
                detail={"provider": name, "reason": "not_installed"},
            )
        self.binary: str = binary
        wanted = {tuple(p.split("-")) for p in config.pairs} if config.pairs else set(APERTIUM_MODES)
        self.pairs = {pair: mode for pair, mode in APERTIUM_MODES.items() if pair in wanted}

    def supports(self, source: str, target: str) -> bool:
        return (source, target) in self.pairs

    def translate(self, text: str, *, source: str, target: str) -> TranslationResult:
        """Run `apertium -u <mode>` on the text."""
        started = time.perf_counter()
        mode = self.pairs[(source, target)]
        try:
            completed = subprocess.run(
                [self.binary, "-u", mode], input=text.encode("utf-8"), capture_output=True,
                timeout=SUBPROCESS_TIMEOUT_S, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired as exc:
            raise ProviderError("Översättningen tog för lång tid och avbröts.", detail={"reason": "timeout"}) from exc
        if completed.returncode != 0:
            raise ProviderError(
                f"Översättningen med apertium ({mode}) misslyckades; är språkparet installerat?",
                detail={"provider": self.name, "reason": "process"},
            )
        return TranslationResult(
            provider=self.name,
            model=f"apertium/{mode}",
            text=completed.stdout.decode("utf-8").strip(),
            source_language=source,
            target_language=target,
            path=[f"{source}-{target}"],
            usage=Usage(duration_s=round(time.perf_counter() - started, 3)),
        )


class ChatTranslator:
    """Translation by a chat model (fallback for pairs with no dedicated model)."""

    def __init__(self, name: str, config: ProviderConfig, chat: Callable[[list[ChatMessage]], ChatResult]):
        self.name = name
        self.config = config
        self.model = f"chat/{config.chat_provider}"
        self._chat = chat

    def supports(self, source: str, target: str) -> bool:
        return not self.config.languages or (source in self.config.languages and target in self.config.languages)

    def translate(self, text: str, *, source: str, target: str) -> TranslationResult:
        """Ask the chat model for a faithful translation only."""
        started = time.perf_counter()
        instruction = (
            f"Översätt texten från {language_name_sv(source)} till {language_name_sv(target)}. "
            "Svara endast med översättningen, utan kommentarer. Behåll siffror, namn och formatering."
        )
        result = self._chat([ChatMessage(role="system", content=instruction), ChatMessage(role="user", content=text)])
        return TranslationResult(
            provider=self.name,
            model=f"{result.provider}/{result.model}",
            text=result.text.strip(),
            source_language=source,
            target_language=target,
            path=[f"{source}-{target}"],
            usage=Usage(
                prompt_tokens=result.usage.prompt_tokens,
                completion_tokens=result.usage.completion_tokens,
                duration_s=round(time.perf_counter() - started, 3),
            ),
        )


def no_translation_path_error(source: str, target: str) -> ProviderError:
    """Plain Swedish statement that no configured path exists for this pair (never guess)."""
    return ProviderError(
        f"Det finns ingen konfigurerad översättning från {language_name_sv(source)} till "
        f"{language_name_sv(target)}. Lägg till en modell för språkparet under "
        "[providers.translation.<namn>] "
        f'(kind = "ctranslate2", model_dir med undermappen {source}-{target}/ '
        f"eller {source}-en/ och en-{target}/), "
        'eller en chattmodell (kind = "chat", chat_provider = "<namn>").',
        status_code=422,
        detail={"reason": "no_path", "source": source, "target": target, "setting": "providers.translation"},
    )


def plan_translation(source: str, target: str, translators: list[Translator]) -> list[tuple[Translator, str, str]]:
    """Hops to translate source→target: a direct model, else two models via English, else a chat model."""
    dedicated = [t for t in translators if not isinstance(t, ChatTranslator)]
    for translator in dedicated:
        if translator.supports(source, target):
            return [(translator, source, target)]
    if PIVOT not in (source, target):
        first = next((t for t in dedicated if t.supports(source, PIVOT)), None)
        second = next((t for t in dedicated if t.supports(PIVOT, target)), None)
        if first and second:
            return [(first, source, PIVOT), (second, PIVOT, target)]
    for translator in translators:
        if isinstance(translator, ChatTranslator) and translator.supports(source, target):
            return [(translator, source, target)]
    raise no_translation_path_error(source, target)
