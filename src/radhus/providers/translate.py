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
    "OPUS-MT-modell i CTranslate2-format (model.bin, source.spm, target.spm, shared_vocabulary.json), "
    "och/eller en undermapp med en flerspråkig MADLAD-400-modell i CTranslate2-format (model.bin, "
    "sentencepiece.model)"
)
MULTILINGUAL_TOKENIZER = "sentencepiece.model"  # MADLAD-400: one model, the target chosen by a <2xx> token
TARGET_TOKEN = re.compile(r"<2([a-z]{2,3})>")
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


def _import_ctranslate2(provider: str):  # type: ignore[no-untyped-def]
    try:
        import ctranslate2
        import sentencepiece
    except ImportError as exc:
        raise ProviderError(
            "Paketen ctranslate2 och sentencepiece behövs för översättning med lokala modeller.",
            detail={"provider": provider, "reason": "not_installed"},
        ) from exc
    return ctranslate2, sentencepiece


class CTranslate2Translator:
    """CTranslate2 models: OPUS-MT (or similar), one folder per language pair, and multilingual MADLAD-400."""

    def __init__(self, name: str, config: ProviderConfig):
        self.name = name
        self.config = config
        root = Path(config.model_dir) if config.model_dir else None
        self.pair_dirs = {}
        self.multilingual_dirs: list[Path] = []
        if root and root.is_dir():
            for child in sorted(root.iterdir()):
                if not (child.is_dir() and (child / "model.bin").is_file()):
                    continue
                if re.fullmatch(r"[a-z]{2,3}-[a-z]{2,3}", child.name):
                    self.pair_dirs[tuple(child.name.split("-"))] = child
                elif (child / MULTILINGUAL_TOKENIZER).is_file():
                    self.multilingual_dirs.append(child)
        if not self.pair_dirs and not self.multilingual_dirs:
            raise ProviderError(
                f"Översättningsmodellerna för {name} hittades inte. Ange model_dir under "
                f"[providers.translation.{name}] till {CT2_LAYOUT_SV}.",
                detail={"provider": name, "setting": "model_dir", "path": str(root)},
            )
        self.model = config.model or "opus-mt (ctranslate2)"
        self._loaded: dict[tuple[str, str], tuple] = {}
        self._multilingual: dict[Path, tuple] = {}
        self._targets: dict[Path, set[str]] = {}

    def supports(self, source: str, target: str) -> bool:
        return (source, target) in self.pair_dirs or self._multilingual_for(target) is not None

    def target_languages(self, folder: Path) -> set[str]:
        """Languages a multilingual model writes: its <2xx> tokens (read once from sentencepiece.model)."""
        if folder not in self._targets:
            _, sentencepiece = _import_ctranslate2(self.name)
            processor = self._tokenizer(folder, sentencepiece)
            pieces = (processor.id_to_piece(i) for i in range(processor.get_piece_size()))
            self._targets[folder] = {m.group(1) for p in pieces if (m := TARGET_TOKEN.fullmatch(p))}
        return self._targets[folder]

    def _multilingual_for(self, target: str) -> Path | None:
        return next((f for f in self.multilingual_dirs if target in self.target_languages(f)), None)

    def _unreadable(self, folder: Path) -> ProviderError:
        return ProviderError(
            f"Översättningsmodellen i {folder} kunde inte läsas. Mappen ska innehålla {CT2_LAYOUT_SV}.",
            detail={"provider": self.name, "reason": "model_unreadable", "path": str(folder)},
        )

    def _tokenizer(self, folder: Path, sentencepiece):  # type: ignore[no-untyped-def]
        try:
            return sentencepiece.SentencePieceProcessor(model_file=str(folder / MULTILINGUAL_TOKENIZER))
        except (RuntimeError, OSError, ValueError) as exc:
            raise self._unreadable(folder) from exc

    def _load_multilingual(self, folder: Path) -> tuple:
        if folder not in self._multilingual:
            ctranslate2, sentencepiece = _import_ctranslate2(self.name)
            try:
                translator = ctranslate2.Translator(
                    str(folder), device=self.config.device, compute_type=self.config.compute_type
                )
            except (RuntimeError, OSError, ValueError) as exc:
                raise self._unreadable(folder) from exc
            eos = [] if _config_flag(folder, "add_source_eos") else ["</s>"]
            self._multilingual[folder] = (translator, self._tokenizer(folder, sentencepiece), eos)
        return self._multilingual[folder]

    def multilingual_tokens(self, sentence: str, *, target: str) -> list[str]:
        """Source pieces for a multilingual model: the target token <2xx> first, </s> last unless CT2 adds it."""
        folder = self._multilingual_for(target)
        assert folder is not None
        _, processor, eos = self._load_multilingual(folder)
        return [f"<2{target}>", *processor.encode(sentence, out_type=str), *eos]

    def _load(self, pair: tuple[str, str]):
        if pair not in self._loaded:
            ctranslate2, sentencepiece = _import_ctranslate2(self.name)
            folder = self.pair_dirs[pair]
            try:
                translator = ctranslate2.Translator(
                    str(folder), device=self.config.device, compute_type=self.config.compute_type
                )
                source_sp = sentencepiece.SentencePieceProcessor(model_file=str(folder / "source.spm"))
                target_sp = sentencepiece.SentencePieceProcessor(model_file=str(folder / "target.spm"))
            except (RuntimeError, OSError, ValueError) as exc:
                raise self._unreadable(folder) from exc
            # Models converted by ct2-opus-mt-converter / ct2-marian-converter add </s> themselves.
            eos = [] if _config_flag(folder, "add_source_eos") else ["</s>"]
            self._loaded[pair] = (translator, source_sp, target_sp, eos)
        return self._loaded[pair]

    def translate(self, text: str, *, source: str, target: str) -> TranslationResult:
        """Translate sentence by sentence with beam search (a pair model when there is one, else MADLAD-400)."""
        started = time.perf_counter()
        sentences = _split_sentences(text)
        if (source, target) in self.pair_dirs:
            translator, source_sp, target_sp, eos = self._load((source, target))
            tokens = [source_sp.encode(sentence, out_type=str) + eos for sentence in sentences]
            model = self.model
        else:
            folder = self._multilingual_for(target)
            if folder is None:
                raise no_translation_path_error(source, target)
            translator, target_sp, _ = self._load_multilingual(folder)
            tokens = [self.multilingual_tokens(sentence, target=target) for sentence in sentences]
            model = self.config.model or folder.name
        results = translator.translate_batch(tokens, beam_size=4, max_decoding_length=512) if tokens else []
        translated = [target_sp.decode([t for t in r.hypotheses[0] if t != "</s>"]) for r in results]
        return TranslationResult(
            provider=self.name,
            model=f"{model}/{source}-{target}",
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
