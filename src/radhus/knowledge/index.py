"""Embedded hybrid search index: chunks in SQLite, an in-memory BM25 inverted index and a dense vector matrix.

The interface is deliberately narrow (`add_chunks`, `delete_document`, `search`) so a PostgreSQL implementation
can replace it. Lexical search works as soon as chunks are added; vectors may be filled in later
(`fill_vectors`), and chunks without vectors are still found lexically.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from radhus.core.errors import InvalidInput
from radhus.core.text import index_terms, tokenize
from radhus.knowledge.embed import Embedder
from radhus.knowledge.models import Chunk, Hit

Reranker = Callable[[str, list[Hit]], list[Hit]]

# BM25 constants, and the share of the lexical signal in hybrid score fusion (dense gets the rest) with how many of
# each signal's best scores set its mean and spread. Chosen on the kommun-ai, SweFAQ and SweQuAD-MC dev sets together
# (bench/knowledge_eval.py); nearby values (K1 0.6-1.1, weight 0.3-0.4, depth 20-100) rank within a question or two
# of these. K1 1.0 rather than the textbook 1.2 ranks one kommun-ai and one SweFAQ question better, none worse.
K1 = 1.0
B = 0.75
LEXICAL_WEIGHT = 0.4
FUSION_DEPTH = 50
# Deleted passages keep their slot (and memory) until this many are dead and they outnumber the living ones.
COMPACT_MIN_DEAD = 50_000
TITLE_WEIGHT = 1
SECTION_WEIGHT = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
    slot INTEGER PRIMARY KEY,
    chunk_id TEXT UNIQUE NOT NULL,
    collection_id TEXT NOT NULL,
    document_id TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    section_path TEXT NOT NULL DEFAULT '[]',
    page_start INTEGER,
    page_end INTEGER,
    text TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    terms BLOB NOT NULL,
    vector BLOB
);
CREATE INDEX IF NOT EXISTS chunks_document ON chunks(document_id);
CREATE INDEX IF NOT EXISTS chunks_hash ON chunks(collection_id, content_hash);
CREATE TABLE IF NOT EXISTS chunk_refs (document_id TEXT NOT NULL, slot INTEGER NOT NULL,
    PRIMARY KEY (document_id, slot));
CREATE TABLE IF NOT EXISTS vocab (term TEXT PRIMARY KEY, id INTEGER NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS words (word TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class SearchIndex(Protocol):
    """What knowledge services need from a chunk store with search (embedded or PostgreSQL)."""

    def add_chunks(self, collection_id: str, document_id: str, chunks: Sequence[Chunk], *, source: str = "") -> int: ...

    def delete_document(self, document_id: str) -> int: ...

    def search(self, query: str, collection_ids: Sequence[str], top_k: int = 10) -> list[Hit]: ...


class EmbeddedIndex:
    """SQLite-backed chunk store with in-memory BM25 over Swedish stems and exhaustive dense search."""

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        embedder: Embedder | None = None,
        dim: int = 384,
        lexical_weight: float = LEXICAL_WEIGHT,
        candidates: int = 100,
        exhaustive_limit: int = 120_000,
        rerank_pool: int = 3000,
        answer_similarity: float | None = None,
    ) -> None:
        self.embedder = embedder
        # Dense similarity that suffices as evidence for an answer (see answer.should_abstain); it belongs to the
        # embedder that made the vectors, so by default the embedder's own calibrated value, if it has one.
        self.answer_similarity = (
            answer_similarity if answer_similarity is not None else getattr(embedder, "answer_similarity", None)
        )
        self.dim = dim
        if not 0.0 <= lexical_weight <= 1.0:
            raise InvalidInput("Vikten för ordsökning måste vara mellan 0 och 1.")
        self.lexical_weight = lexical_weight
        self.candidates = candidates
        self.exhaustive_limit = exhaustive_limit
        self.rerank_pool = rerank_pool
        self._lock = threading.RLock()
        if path is not None:
            Path(path).mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(Path(path) / "index.sqlite3"), check_same_thread=False)
        else:
            self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" + _SCHEMA)
        self._reset_memory()
        self._load()

    # -- memory layout ---------------------------------------------------------------------------------

    def _reset_memory(self) -> None:
        self._vocab: dict[str, int] = {}
        self._words: set[str] = set()
        self._frozen_words: frozenset[str] = frozenset()
        self._postings: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
        self._capacity = 0
        self._alive = np.zeros(0, dtype=bool)
        self._has_vector = np.zeros(0, dtype=bool)
        self._doc_len = np.zeros(0, dtype=np.float32)
        self._collection = np.zeros(0, dtype=np.int32)
        self._vectors = np.zeros((0, self.dim), dtype=np.float32)
        self._collection_codes: dict[str, int] = {}
        self._norm: np.ndarray | None = None
        self._term_cache: dict[str, list[str]] = {}
        self._context_cache: dict[tuple[str, tuple[str, ...]], Counter[str]] = {}

    def _grow(self, needed: int) -> None:
        if needed <= self._capacity:
            return
        capacity = max(needed, int(self._capacity * 1.5) + 1024)
        self._alive = _resize(self._alive, capacity)
        self._has_vector = _resize(self._has_vector, capacity)
        self._doc_len = _resize(self._doc_len, capacity)
        self._collection = _resize(self._collection, capacity)
        vectors = np.zeros((capacity, self.dim), dtype=np.float32)
        vectors[: self._capacity] = self._vectors
        self._vectors = vectors
        self._capacity = capacity

    def _load(self) -> None:
        self._generation = self._meta("generation")
        self._vocab = dict(self._db.execute("SELECT term, id FROM vocab"))
        self._words = {row[0] for row in self._db.execute("SELECT word FROM words")}
        self._frozen_words = frozenset(self._words)
        self._grow(self._last_slot() + 1)
        cursor = self._db.execute("SELECT slot, collection_id, terms, vector FROM chunks ORDER BY slot")
        while batch := cursor.fetchmany(20_000):
            self._put_rows(batch)

    def _put_rows(self, rows: Sequence[tuple]) -> None:
        """Bring stored rows (slot, collection_id, terms, vector) into memory: postings for slots not yet alive
        (slots are never reused and a passage's terms never change), and each row's vector as stored."""
        if not rows:
            return
        self._grow(max(row[0] for row in rows) + 1)
        fresh = [row for row in rows if not self._alive[row[0]]]
        self._register_rows(
            np.array([row[0] for row in fresh], dtype=np.int64), [row[1] for row in fresh], [row[2] for row in fresh]
        )
        for slot, _collection, _terms, vector in rows:
            if vector is not None:
                self._vectors[slot] = np.frombuffer(vector, dtype=np.float16).astype(np.float32)
            self._has_vector[slot] = vector is not None

    def _register_rows(self, slots: np.ndarray, collections: list[str], term_blobs: list[bytes]) -> None:
        """Put rows into the in-memory arrays and postings (one sort per batch, no per-term Python loops)."""
        term_ids, posting_slots, tfs = [], [], []
        for slot, collection_id, blob in zip(slots, collections, term_blobs, strict=True):
            pairs = np.frombuffer(blob, dtype=np.int32).reshape(-1, 2)
            self._alive[slot] = True
            self._doc_len[slot] = float(pairs[:, 1].sum()) if len(pairs) else 0.0
            self._collection[slot] = self._collection_code(collection_id)
            term_ids.append(pairs[:, 0])
            tfs.append(pairs[:, 1])
            posting_slots.append(np.full(len(pairs), slot, dtype=np.int32))
        if not term_ids:
            return
        all_terms = np.concatenate(term_ids)
        order = np.argsort(all_terms, kind="stable")
        all_terms = all_terms[order]
        all_slots = np.concatenate(posting_slots)[order]
        all_tfs = np.concatenate(tfs)[order].astype(np.float32)
        unique, starts = np.unique(all_terms, return_index=True)
        bounds = [*starts[1:], len(all_terms)]
        for term_id, start, end in zip(unique.tolist(), starts.tolist(), bounds, strict=True):
            self._postings.setdefault(term_id, []).append((all_slots[start:end], all_tfs[start:end]))
        self._norm = None

    def _refresh_slots(self, slots: Sequence[int]) -> None:
        """Bring these slots in memory to their stored state (another connection added, deleted or embedded them)."""
        wanted = sorted(set(slots))
        rows: list[tuple] = []
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            query = f"SELECT slot, collection_id, terms, vector FROM chunks WHERE slot IN ({marks})"
            rows += self._db.execute(query, part).fetchall()
        self._put_rows(rows)
        stored = {row[0] for row in rows}
        for slot in wanted:
            if slot not in stored and slot < self._capacity:
                self._alive[slot] = self._has_vector[slot] = False
        self._norm = None

    def _refresh_words(self, *, words_after: int) -> int:
        """Read vocabulary and compound-part words stored by another connection; returns the last words rowid."""
        for term, term_id in self._db.execute("SELECT term, id FROM vocab WHERE id >= ?", (len(self._vocab),)):
            self._vocab[term] = term_id
        last = words_after
        for rowid, word in self._db.execute("SELECT rowid, word FROM words WHERE rowid > ?", (words_after,)):
            self._words.add(word)
            last = max(last, rowid)
        self._frozen_words = frozenset(self._words)
        return last

    def _collection_code(self, collection_id: str) -> int:
        if collection_id not in self._collection_codes:
            self._collection_codes[collection_id] = len(self._collection_codes) + 1
        return self._collection_codes[collection_id]

    # -- writing ---------------------------------------------------------------------------------------

    def add_chunks(
        self,
        collection_id: str,
        document_id: str,
        chunks: Sequence[Chunk],
        *,
        source: str = "",
        vectors: np.ndarray | None = None,
    ) -> int:
        """Store and index a document's chunks; passages already in the collection are shared, not duplicated.

        Returns the number of new passages stored.
        """
        with self._lock:
            self.delete_document(document_id)
            self._learn_words(chunks)
            rows: list[tuple] = []
            refs: list[tuple[str, int]] = []
            seen: dict[str, int] = {}
            next_slot = self._last_slot() + 1
            for position, chunk in enumerate(chunks):
                existing = seen.get(chunk.content_hash) or self._existing_slot(collection_id, chunk.content_hash)
                if existing is not None:
                    refs.append((document_id, existing))
                    continue
                slot = next_slot + len(rows)
                seen[chunk.content_hash] = slot
                vector = None if vectors is None else np.asarray(vectors[position], dtype=np.float16).tobytes()
                rows.append(self._row(slot, collection_id, document_id, source, chunk, vector))
            self._write(rows, refs)
            return len(rows)

    def _row(self, slot: int, collection_id: str, document_id: str, source: str, chunk: Chunk, vector) -> tuple:
        pairs = self._term_pairs(chunk)
        return (
            slot, chunk.chunk_id, collection_id, document_id, source, chunk.title,
            json.dumps(chunk.section_path, ensure_ascii=False), chunk.page_start, chunk.page_end,
            chunk.text, chunk.content_hash, pairs.tobytes(), vector,
        )  # fmt: skip

    def _write(self, rows: list[tuple], refs: list[tuple[str, int]]) -> None:
        stored = self._stored_vocab_size()
        new_terms = [(term, term_id) for term, term_id in self._vocab.items() if term_id >= stored]
        self._db.executemany("INSERT OR IGNORE INTO vocab VALUES (?, ?)", new_terms)
        self._db.executemany("INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        self._db.executemany("INSERT OR IGNORE INTO chunk_refs VALUES (?, ?)", refs)
        if rows:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('last_slot', ?)", (max(row[0] for row in rows),))
            self._log_change(row[0] for row in rows)
        self._db.commit()
        self._put_rows([(row[0], row[2], row[11], row[12]) for row in rows])

    def _log_change(self, slots: Iterable[int]) -> None:
        """Note changed slots inside the writer's transaction, for other processes to catch up (see SharedIndex)."""

    def _meta(self, key: str) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def _last_slot(self) -> int:
        """The highest slot used since the last compaction. Slots are not reused until then: the postings of a
        deleted passage stay in memory (only its `alive` flag is cleared), so a new passage in its slot would be
        found by the old words."""
        used = self._db.execute("SELECT COALESCE(MAX(slot), 0) FROM chunks").fetchone()[0]
        return max(used, self._meta("last_slot"))

    def compact(self) -> int:
        """Renumber the stored passages 1..n, so that memory holds no deleted ones; returns the slots freed.

        Other processes notice the new generation: their next search reloads before it reads any passage."""
        with self._lock:
            db, last = self._db, self._last_slot()
            db.execute("CREATE TEMP TABLE IF NOT EXISTS renumbered (old INTEGER PRIMARY KEY, new INTEGER NOT NULL)")
            db.execute("DELETE FROM renumbered")
            db.execute("INSERT INTO renumbered SELECT slot, ROW_NUMBER() OVER (ORDER BY slot) FROM chunks")
            for table in ("chunks", "chunk_refs"):  # through negative numbers: no slot collides on the way
                db.execute(f"UPDATE {table} SET slot = -(SELECT new FROM renumbered WHERE old = {table}.slot)")
                db.execute(f"UPDATE {table} SET slot = -slot")
            count = int(db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])
            db.execute("INSERT OR REPLACE INTO meta VALUES ('last_slot', ?)", (count,))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (self._meta("generation") + 1,))
            self._log_renumbering()
            db.commit()
            self._reset_memory()
            self._load()
            return last - count

    def _log_renumbering(self) -> None:
        """Inside compaction's transaction: tell other processes that every slot changed (see SharedIndex)."""

    def _compact_if_worth_it(self) -> None:
        """Compact once deleted slots are both many and more than the passages kept."""
        alive = int(np.count_nonzero(self._alive))
        if self._last_slot() - alive > max(COMPACT_MIN_DEAD, alive):
            self.compact()

    def _stored_vocab_size(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM vocab").fetchone()[0]

    def _existing_slot(self, collection_id: str, content_hash: str) -> int | None:
        row = self._db.execute(
            "SELECT slot FROM chunks WHERE collection_id = ? AND content_hash = ? LIMIT 1",
            (collection_id, content_hash),
        ).fetchone()
        return row[0] if row else None

    def _learn_words(self, chunks: Iterable[Chunk]) -> None:
        """Remember the surface words of the collection, so compounds can be split into known parts."""
        words: set[str] = set()
        for chunk in chunks:
            words.update(tokenize(chunk.text))
        fresh = {w for w in words - self._words if 3 <= len(w) <= 12 and w.isalpha()}
        if fresh:
            self._words |= fresh
            self._frozen_words = frozenset(self._words)
            self._db.executemany("INSERT OR IGNORE INTO words VALUES (?)", [(w,) for w in fresh])

    def _term_pairs(self, chunk: Chunk) -> np.ndarray:
        counts: Counter[str] = Counter(self._terms(chunk.text))
        for term, weight in self._context_terms(chunk.title, tuple(chunk.section_path)).items():
            counts[term] += weight
        ids = [(self._term_id(term), count) for term, count in counts.items()]
        return np.array(ids, dtype=np.int32).reshape(-1, 2)

    def _context_terms(self, title: str, section_path: tuple[str, ...]) -> Counter[str]:
        """Weighted terms of a chunk's title and section path (cached: many chunks share them)."""
        key = (title, section_path)
        cached = self._context_cache.get(key)
        if cached is None:
            cached = Counter()
            for term in self._terms(" ".join(section_path)):
                cached[term] += SECTION_WEIGHT
            for term in self._terms(title):
                cached[term] += TITLE_WEIGHT
            if len(self._context_cache) > 100_000:
                self._context_cache.clear()
            self._context_cache[key] = cached
        return cached

    def _terms(self, text: str) -> list[str]:
        """Index terms, cached per word (a word's compound split is decided the first time it is seen)."""
        out: list[str] = []
        cache = self._term_cache
        for word in tokenize(text):
            cached = cache.get(word)
            if cached is None:
                cached = index_terms(word, vocabulary=self._frozen_words)
                if len(cache) < 2_000_000:
                    cache[word] = cached
            out.extend(cached)
        return out

    def _term_id(self, term: str) -> int:
        term_id = self._vocab.get(term)
        if term_id is None:
            term_id = self._vocab[term] = len(self._vocab)
        return term_id

    def delete_document(self, document_id: str) -> int:
        """Remove every chunk of a document at once; shared passages move to another document that has them."""
        with self._lock:
            slots = [
                row[0] for row in self._db.execute("SELECT slot FROM chunks WHERE document_id = ?", (document_id,))
            ]
            self._db.execute("DELETE FROM chunk_refs WHERE document_id = ?", (document_id,))
            removed = []
            for slot in slots:
                heir = self._db.execute("SELECT document_id FROM chunk_refs WHERE slot = ? LIMIT 1", (slot,)).fetchone()
                if heir:
                    self._db.execute("UPDATE chunks SET document_id = ? WHERE slot = ?", (heir[0], slot))
                    self._db.execute("DELETE FROM chunk_refs WHERE document_id = ? AND slot = ?", (heir[0], slot))
                else:
                    removed.append(slot)
            self._db.executemany("DELETE FROM chunks WHERE slot = ?", [(s,) for s in removed])
            self._log_change(removed)
            self._db.commit()
            for slot in removed:
                self._alive[slot] = False
                self._has_vector[slot] = False
            self._norm = None
            self._compact_if_worth_it()
            return len(removed)

    def fill_vectors(self, *, embedder: Embedder | None = None, batch_size: int = 64, limit: int | None = None) -> int:
        """Embed chunks that have no vector yet (in batches); returns how many were embedded."""
        embedder = embedder or self.embedder
        if embedder is None:
            return 0
        done = 0
        while limit is None or done < limit:
            size = batch_size if limit is None else min(batch_size, limit - done)
            rows = self._db.execute(
                "SELECT slot, title, section_path, text FROM chunks WHERE vector IS NULL ORDER BY slot LIMIT ?",
                (size,),
            ).fetchall()
            if not rows:
                break
            vectors = embedder.embed_passages([passage_text(r[1], json.loads(r[2]), r[3]) for r in rows])
            self.set_vectors([r[0] for r in rows], vectors)
            done += len(rows)
        return done

    def set_vectors(self, slots: Sequence[int], vectors: np.ndarray) -> None:
        """Store vectors for the given slots (e.g. computed in a background job)."""
        with self._lock:
            half = np.asarray(vectors, dtype=np.float16)
            if half.ndim != 2 or half.shape[1] != self.dim:
                raise InvalidInput(f"Vektorerna har fel dimension (väntade {self.dim}).")
            self._db.executemany(
                "UPDATE chunks SET vector = ? WHERE slot = ?",
                [(v.tobytes(), int(s)) for s, v in zip(slots, half, strict=True)],
            )
            self._log_change(int(s) for s in slots)
            self._db.commit()
            for slot, vector in zip(slots, half, strict=True):
                if slot < self._capacity and self._alive[slot]:
                    self._vectors[slot] = vector.astype(np.float32)
                    self._has_vector[slot] = True

    # -- reading ---------------------------------------------------------------------------------------

    def count(self, collection_ids: Sequence[str] | None = None) -> int:
        """Number of stored passages (optionally within some collections)."""
        return int(self._mask(collection_ids).sum())

    def search(
        self,
        query: str,
        collection_ids: Sequence[str],
        top_k: int = 10,
        *,
        mode: str = "hybrid",
        reranker: Reranker | None = None,
        query_vector: np.ndarray | None = None,
    ) -> list[Hit]:
        """Hybrid search (BM25 + dense, score-fused; see `_fuse`) within the given collections."""
        if not query or not query.strip():
            raise InvalidInput("Frågan är tom.")
        if top_k < 1 or top_k > 1000:
            raise InvalidInput("Antalet träffar måste vara mellan 1 och 1000.")
        with self._lock:
            hits = self._ranked(query, collection_ids, top_k, mode=mode, reranked=reranker is not None,
                                query_vector=query_vector)  # fmt: skip
            if hits is None:  # another process renumbered the passages since they were loaded (see `compact`)
                self._reset_memory()
                self._load()
                hits = self._ranked(query, collection_ids, top_k, mode=mode, reranked=reranker is not None,
                                    query_vector=query_vector) or []  # fmt: skip
        if reranker is not None:
            hits = reranker(query, hits)
        return hits[:top_k]

    def _ranked(
        self, query: str, collection_ids: Sequence[str], top_k: int, *, mode: str, reranked: bool,
        query_vector: np.ndarray | None,
    ) -> list[Hit] | None:  # fmt: skip
        """The fused hits, best first; None when the stored passages were renumbered meanwhile."""
        mask = self._mask(collection_ids)
        depth = max(self.candidates, top_k)
        use_dense = mode in {"hybrid", "dense"} and (self.embedder is not None or query_vector is not None)
        rerank = use_dense and self._vector_count() > self.exhaustive_limit
        pool = self.lexical_search(query, mask=mask, limit=max(depth, self.rerank_pool)) if rerank else []
        lexical: list[tuple[int, float]] = []
        if mode in {"hybrid", "lexical"}:
            lexical = pool[:depth] if rerank else self.lexical_search(query, mask=mask, limit=depth)
        dense: list[tuple[int, float]] = []
        vector: np.ndarray | None = None
        if use_dense:
            vector = query_vector if query_vector is not None else self.embedder.embed_queries([query])[0]  # type: ignore[union-attr]
            candidates = np.array([slot for slot, _ in pool], dtype=np.int64) if pool else None
            dense = self.dense_search(vector, mask=mask, limit=depth, candidates=candidates)
        pool_size = min(depth, int(np.count_nonzero(mask)))
        fused = self._fuse(lexical, dense, pool_size=pool_size)[: max(top_k, 50) if reranked else top_k]
        return self._hits(fused, lexical, dense, query_vector=vector)

    def _vector_count(self) -> int:
        return int(np.count_nonzero(self._has_vector))

    def _mask(self, collection_ids: Sequence[str] | None) -> np.ndarray:
        if collection_ids is None:
            return self._alive.copy()
        codes = [self._collection_codes[c] for c in collection_ids if c in self._collection_codes]
        return self._alive & np.isin(self._collection, codes)

    def lexical_search(self, query: str, *, mask: np.ndarray, limit: int) -> list[tuple[int, float]]:
        """BM25 over stems and compound parts; returns (slot, score) best first."""
        term_ids = {self._vocab[t] for t in index_terms(query, vocabulary=self._frozen_words) if t in self._vocab}
        if not term_ids:
            return []
        norm = self._length_norm()
        total = max(int(self._alive.sum()), 1)
        slot_parts, score_parts = [], []
        for term_id in term_ids:
            slots, tfs = self._merged_postings(term_id)
            idf = math.log(1.0 + (total - len(slots) + 0.5) / (len(slots) + 0.5))
            slot_parts.append(slots)
            score_parts.append(idf * tfs * (K1 + 1.0) / (tfs + norm[slots]))
        scores = np.bincount(np.concatenate(slot_parts), weights=np.concatenate(score_parts), minlength=self._capacity)
        scores[: len(mask)][~mask] = 0.0
        return _top(scores, limit)

    def term_weights(self, text: str) -> dict[str, float]:
        """IDF of each distinct search term of a text in this index (unseen terms get the highest IDF)."""
        total = max(int(self._alive.sum()), 1)
        weights = {}
        for term in set(index_terms(text, vocabulary=self._frozen_words)):
            term_id = self._vocab.get(term)
            df = len(self._merged_postings(term_id)[0]) if term_id is not None else 0
            weights[term] = math.log(1.0 + (total - df + 0.5) / (df + 0.5))
        return weights

    def _merged_postings(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        parts = self._postings.get(term_id)
        if not parts:  # a reloaded index knows every term ever stored, also those whose passages were all deleted
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        if len(parts) > 1:
            slots = np.concatenate([p[0] for p in parts])
            tfs = np.concatenate([p[1] for p in parts])
            keep = self._alive[slots]
            parts[:] = [(slots[keep], tfs[keep])]
        return parts[0]

    def _length_norm(self) -> np.ndarray:
        if self._norm is None or len(self._norm) != self._capacity:
            alive_lengths = self._doc_len[self._alive]
            average = float(alive_lengths.mean()) if len(alive_lengths) else 1.0
            self._norm = (K1 * (1.0 - B + B * self._doc_len / max(average, 1e-6))).astype(np.float32)
        return self._norm

    def dense_search(
        self, vector: np.ndarray, *, mask: np.ndarray, limit: int, candidates: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Cosine similarity over stored vectors (all, or only `candidates`); returns (slot, score) best first."""
        usable = mask & self._has_vector
        vector = np.asarray(vector, dtype=np.float32)
        if candidates is not None:
            candidates = candidates[usable[candidates]]
            if len(candidates) == 0:
                return []
            scores = np.einsum("ij,j->i", self._vectors[candidates], vector)
            order = np.argsort(-scores, kind="stable")[:limit]
            return [(int(candidates[i]), float(scores[i])) for i in order]
        if not usable.any():
            return []
        scores = np.full(self._capacity, -np.inf, dtype=np.float32)
        block = 65_536
        for start in range(0, self._capacity, block):
            end = min(start + block, self._capacity)
            scores[start:end] = np.einsum("ij,j->i", self._vectors[start:end], vector)
        scores[~usable] = -np.inf
        return _top(scores, limit, floor=-np.inf)

    def _fuse(
        self, lexical: list[tuple[int, float]], dense: list[tuple[int, float]], *, pool_size: int
    ) -> list[tuple[int, float]]:
        """Convex combination of standardised lexical and dense scores; ties go to the denser passage.

        Scores rather than ranks are fused, so a passage far ahead on one signal keeps that lead. Each signal is
        standardised (z-scores) with the mean and spread of its best `FUSION_DEPTH` scores; a lexical list shorter
        than that is padded with the zero scores of the passages that match no query term. A passage missing from
        a list gets the score below which that list was cut (zero for an uncut lexical list).
        """
        if not dense or not lexical:
            # One signal (no vectors yet, or a single mode) is standardised too, so that hits of indexes with and
            # without vectors can be merged by score (several organisations' indexes are).
            ranked = lexical or dense
            if not ranked:
                return []
            stats = _stats(ranked, pad_to=min(FUSION_DEPTH, pool_size) if lexical else 0)
            return [(slot, _z(score, stats)) for slot, score in ranked]
        lexical_stats = _stats(lexical, pad_to=min(FUSION_DEPTH, pool_size))
        dense_stats = _stats(dense, pad_to=0)
        lexical_cut = 0.0 if len(lexical) < pool_size else lexical[-1][1]
        weight = self.lexical_weight
        lexical_score = dict(lexical)
        dense_score = dict(dense)
        fused = {
            slot: weight * _z(lexical_score.get(slot, lexical_cut), lexical_stats)
            + (1.0 - weight) * _z(dense_score.get(slot, dense[-1][1]), dense_stats)
            for slot in lexical_score.keys() | dense_score.keys()
        }
        dense_rank = {slot: rank for rank, (slot, _) in enumerate(dense, start=1)}
        return sorted(fused.items(), key=lambda item: (-item[1], dense_rank.get(item[0], len(dense) + 1)))

    def _hits(
        self,
        fused: list[tuple[int, float]],
        lexical: list[tuple[int, float]],
        dense: list[tuple[int, float]],
        *,
        query_vector: np.ndarray | None = None,
    ) -> list[Hit] | None:
        if not fused:
            return []
        similarity = self._similarities([slot for slot, _ in fused], query_vector)
        lexical_rank = {slot: rank for rank, (slot, _) in enumerate(lexical, start=1)}
        dense_rank = {slot: rank for rank, (slot, _) in enumerate(dense, start=1)}
        slots = [slot for slot, _ in fused]
        if not self._db.in_transaction:
            self._db.execute("BEGIN")  # one snapshot: the generation checked is the one the rows belong to
        try:
            generation = self._meta("generation")
            query = (
                "SELECT slot, chunk_id, document_id, collection_id, text, title, section_path, page_start, source "
                f"FROM chunks WHERE slot IN ({','.join('?' * len(slots))})"
            )
            rows = {row[0]: row for row in self._db.execute(query, slots)}
        finally:
            self._db.commit()
        if generation != self._generation:
            return None
        hits = []
        for slot, score in fused:
            row = rows.get(slot)
            if row is None:
                continue
            hits.append(
                Hit(
                    chunk_id=row[1], document_id=row[2], collection_id=row[3], text=row[4], title=row[5],
                    section_path=json.loads(row[6]), page_start=row[7], score=round(float(score), 6),
                    lexical_rank=lexical_rank.get(slot), dense_rank=dense_rank.get(slot), source=row[8],
                    dense_similarity=similarity.get(slot),
                )
            )  # fmt: skip
        return hits

    def _similarities(self, slots: list[int], query_vector: np.ndarray | None) -> dict[int, float]:
        """Raw cosine similarity of the query to each given passage that has a vector (the hits, not the pool)."""
        if query_vector is None:
            return {}
        vector = np.asarray(query_vector, dtype=np.float32)
        with_vector = [slot for slot in slots if slot < self._capacity and self._has_vector[slot]]
        if not with_vector or vector.shape[-1] != self.dim:
            return {}
        scores = self._vectors[with_vector] @ vector
        return {slot: round(float(score), 6) for slot, score in zip(with_vector, scores, strict=True)}

    def document_ids(self, collection_id: str) -> list[str]:
        """Distinct documents holding passages in a collection."""
        rows = self._db.execute(
            "SELECT DISTINCT document_id FROM chunks WHERE collection_id = ? "
            "UNION SELECT r.document_id FROM chunk_refs r JOIN chunks c ON c.slot = r.slot WHERE c.collection_id = ?",
            (collection_id, collection_id),
        )
        return sorted(row[0] for row in rows)

    def document_chunks(self, document_id: str) -> list[dict]:
        """Passages of a document (owned or shared) in stored order, for showing the document."""
        with self._lock:
            rows = self._db.execute(
                "SELECT slot, chunk_id, text, title, section_path, page_start, page_end FROM chunks "
                "WHERE document_id = ? UNION SELECT c.slot, c.chunk_id, c.text, c.title, c.section_path, "
                "c.page_start, c.page_end FROM chunk_refs r JOIN chunks c ON c.slot = r.slot WHERE r.document_id = ? "
                "ORDER BY 1",
                (document_id, document_id),
            ).fetchall()
        return [
            {"chunk_id": r[1], "text": r[2], "title": r[3], "section_path": json.loads(r[4]), "page_start": r[5],
             "page_end": r[6]}
            for r in rows
        ]  # fmt: skip

    def chunk_count(self, document_id: str) -> int:
        """Passages owned by or shared with a document."""
        owned = self._db.execute("SELECT COUNT(*) FROM chunks WHERE document_id = ?", (document_id,)).fetchone()[0]
        shared = self._db.execute("SELECT COUNT(*) FROM chunk_refs WHERE document_id = ?", (document_id,)).fetchone()[0]
        return owned + shared

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()


def passage_text(title: str, section_path: Sequence[str], text: str) -> str:
    """The text embedded for a passage: title and section path give the model the context."""
    context = " › ".join([t for t in [title, *section_path] if t])
    return f"{context}\n{text}" if context else text


def _stats(ranked: list[tuple[int, float]], *, pad_to: int) -> tuple[float, float]:
    """Mean and standard deviation of the best `FUSION_DEPTH` scores, padded with zeros up to `pad_to` values."""
    values = np.array([score for _, score in ranked[:FUSION_DEPTH]], dtype=np.float64)
    count = max(len(values), pad_to)
    mean = float(values.sum()) / count
    variance = (float((values - mean) @ (values - mean)) + (count - len(values)) * mean * mean) / count
    return mean, max(math.sqrt(variance), 1e-9)


def _z(score: float, stats: tuple[float, float]) -> float:
    return (score - stats[0]) / stats[1]


def _top(scores: np.ndarray, limit: int, *, floor: float = 0.0) -> list[tuple[int, float]]:
    candidates = np.flatnonzero(scores > floor)
    if len(candidates) == 0:
        return []
    if len(candidates) > limit:
        part = np.argpartition(-scores[candidates], limit - 1)[:limit]
        candidates = candidates[part]
    order = candidates[np.argsort(-scores[candidates], kind="stable")]
    return [(int(slot), float(scores[slot])) for slot in order]


def _resize(array: np.ndarray, capacity: int) -> np.ndarray:
    out = np.zeros(capacity, dtype=array.dtype)
    out[: len(array)] = array
    return out
