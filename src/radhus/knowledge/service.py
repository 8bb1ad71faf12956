"""Knowledge services: collections, ingestion of files and folders, search and answers over an embedded store.

For now collections live in a JSON file per organisation under the data directory; the lead will move them
into the database. Every function takes its inputs as arguments (no global state).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from radhus.core.errors import InvalidInput, NotFound
from radhus.core.privacy import DataClass
from radhus.knowledge.answer import ChatFn, answer_question
from radhus.knowledge.chunking import chunk_document
from radhus.knowledge.embed import BUILTIN_DIM, BUILTIN_IDENTITY, Embedder, EmbedderIdentity, HubEmbeddings
from radhus.knowledge.evaluation import evaluate, load_qa
from radhus.knowledge.index import EmbeddedIndex, passage_text
from radhus.knowledge.models import Answer, Hit, ParsedDocument
from radhus.knowledge.parsers import DEFAULT_MAX_BYTES, SUFFIX_TYPES, DocumentError, parse_bytes, parse_path

Audit = Callable[[dict], None]
_NAME_RE = re.compile(r"^[\w åäöÅÄÖ.-]{1,100}$")


@dataclass
class Collection:
    """A named set of documents of one organisation, with the data class of its content."""

    collection_id: str
    org: str
    name: str
    data_class: str
    created_at: float


@dataclass
class FileResult:
    """Outcome of ingesting one file."""

    path: str
    ok: bool
    document_id: str = ""
    chunks: int = 0
    new_passages: int = 0
    pages: int | None = None
    warnings: list[str] = field(default_factory=list)
    error: str = ""


@dataclass
class IngestReport:
    """Outcome of an ingestion job: one result per file."""

    collection_id: str
    files: list[FileResult]
    embedded: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> list[FileResult]:
        """Files that could not be ingested."""
        return [f for f in self.files if not f.ok]

    def as_dict(self) -> dict:
        """JSON-safe form."""
        return {**asdict(self), "failed": len(self.failed)}


_IDENTITY_TABLE = (
    "CREATE TABLE IF NOT EXISTS embedder_identity (id INTEGER PRIMARY KEY CHECK (id = 1), provider TEXT NOT NULL, "
    "model TEXT NOT NULL, dim INTEGER)"
)


# Every write logs the slots it touched, so another process catches up with a few rows instead of reloading the
# whole index (seconds at 100 000 passages). The log keeps this many entries; a reader further behind reloads.
_CHANGES_TABLE = "CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, slot INTEGER NOT NULL)"
CHANGE_LOG_KEEP = 200_000
RESET_ALL = -1  # logged when every slot may have changed (a new embedder, a compaction): readers must reload


class SharedIndex(EmbeddedIndex):
    """An embedded index that notices when another process (e.g. `radhus ingest` beside `radhus serve`) wrote,
    and that remembers which embedder made its vectors.

    SQLite's `PRAGMA data_version` changes on a connection only when *another* connection commits, so this
    index's own writes never count as a change.

    With an `identity` (the embedder now configured), opening compares it with the one recorded in the index: when
    they differ, every stored vector is dropped at once (dense search is then off for those passages until a
    re-embedding job has filled them again), so vectors of two models are never mixed. The vector length comes
    from the recorded identity, so an index made with a provider of another dimension still loads.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        embedder: Embedder | None = None,
        identity: EmbedderIdentity | None = None,
        answer_similarity: float | None = None,
    ) -> None:
        self.expected = identity
        self.vectors_by: EmbedderIdentity | None = None
        self.vectors_reset = False
        super().__init__(path, embedder=embedder, answer_similarity=answer_similarity)

    def _load(self) -> None:
        self._seen_version = self._data_version()  # read before loading: a commit during the load is noticed
        self._db.execute(_CHANGES_TABLE)
        self._reconcile_identity()
        # Read before loading too: catching up replays what was committed during the load, which is harmless.
        self._seen_change = int(self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0])
        self._seen_word = int(self._db.execute("SELECT COALESCE(MAX(rowid), 0) FROM words").fetchone()[0])
        super()._load()

    def _log_change(self, slots: Iterable[int]) -> None:
        rows = [(int(slot),) for slot in slots]
        if not rows:
            return
        self._db.executemany("INSERT INTO changes (slot) VALUES (?)", rows)
        last = int(self._db.execute("SELECT MAX(seq) FROM changes").fetchone()[0])
        self._db.execute("DELETE FROM changes WHERE seq <= ?", (last - CHANGE_LOG_KEEP,))
        if self._data_version() == self._seen_version:
            self._seen_change = last  # nobody else wrote since this index caught up: its own changes are known

    def _log_renumbering(self) -> None:
        self._db.execute("INSERT INTO changes (slot) VALUES (?)", (RESET_ALL,))

    def catch_up(self) -> bool:
        """Apply what other connections changed since this index was loaded or last caught up, without reloading
        it all. False when that cannot be done (the change log was trimmed past this point, or another process
        dropped the vectors): then the index must be reopened."""
        with self._lock:
            version = self._data_version()
            first = self._db.execute("SELECT MIN(seq) FROM changes").fetchone()[0]
            changes = self._db.execute(
                "SELECT seq, slot FROM changes WHERE seq > ? ORDER BY seq", (self._seen_change,)
            ).fetchall()
            if not changes:
                self._seen_version = version
                return True
            if first > self._seen_change + 1 or any(slot == RESET_ALL for _seq, slot in changes):
                return False
            self._seen_word = self._refresh_words(words_after=self._seen_word)
            self._refresh_slots([slot for _seq, slot in changes])
            self._seen_change = changes[-1][0]
            self._seen_version = version
            return True

    def _reconcile_identity(self) -> None:
        """Record the configured embedder; drop vectors another embedder made; take the recorded vector length."""
        self._db.execute(_IDENTITY_TABLE)
        row = self._db.execute("SELECT provider, model, dim FROM embedder_identity WHERE id = 1").fetchone()
        stored = EmbedderIdentity(*row) if row else None
        if stored is None and self._db.execute("SELECT 1 FROM chunks WHERE vector IS NOT NULL LIMIT 1").fetchone():
            stored = BUILTIN_IDENTITY  # indexes from before identities were recorded were made by the built-in
        expected = self.expected
        if expected is not None:
            if stored is not None and not stored.same_model(expected):
                self._db.execute("UPDATE chunks SET vector = NULL WHERE vector IS NOT NULL")
                self.vectors_reset = True
                stored = None
            recorded = expected if expected.dim is not None or stored is None else expected.with_dim(stored.dim)
            if row is None or EmbedderIdentity(*row) != recorded:
                self._db.execute(
                    "INSERT OR REPLACE INTO embedder_identity VALUES (1, ?, ?, ?)",
                    (recorded.provider, recorded.model, recorded.dim),
                )
                self._db.execute("INSERT INTO changes (slot) VALUES (?)", (RESET_ALL,))
            self._db.commit()
            stored = recorded
        self.vectors_by = stored
        dim = stored.dim if stored is not None and stored.dim else BUILTIN_DIM
        if dim != self.dim:
            self.dim = dim
            self._reset_memory()

    def _data_version(self) -> int:
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def changed_elsewhere(self) -> bool:
        """Whether another connection has committed to the index since it was loaded."""
        with self._lock:
            return self._data_version() != self._seen_version

    def pending_passages(self, collection_id: str, *, limit: int) -> list[tuple[int, str]]:
        """(slot, text to embed) of a collection's passages that have no vector yet, in stored order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT slot, title, section_path, text FROM chunks WHERE vector IS NULL AND collection_id = ? "
                "ORDER BY slot LIMIT ?",
                (collection_id, limit),
            ).fetchall()
        return [(int(r[0]), passage_text(r[1], json.loads(r[2]), r[3])) for r in rows]

    def pending_count(self, collection_ids: Sequence[str] | None = None) -> int:
        """Passages without a vector (optionally only in some collections)."""
        with self._lock:
            if collection_ids is None:
                return int(self._db.execute("SELECT COUNT(*) FROM chunks WHERE vector IS NULL").fetchone()[0])
            keys = list(collection_ids)
            if not keys:
                return 0
            marks = ",".join("?" * len(keys))
            query = f"SELECT COUNT(*) FROM chunks WHERE vector IS NULL AND collection_id IN ({marks})"
            return int(self._db.execute(query, keys).fetchone()[0])


class KnowledgeStore:
    """File-based embedded store: `<data_dir>/knowledge/<org>/collections.json` and one search index per org.

    Several processes may share a data directory (the web app, `radhus worker`, the command line). Writers hold
    an exclusive file lock per organisation and reload the index first when another process changed it; readers
    reload (under a shared lock) when they notice a change, so every process searches the current passages.

    Vectors come from `embeddings` (the provider hub; the platform's way) or, for benchmarks and index tests, from
    a plain `embedder` called directly. With `embeddings`, each index records the embedder identity and drops
    vectors of another one when opened (see `SharedIndex`); `take_vector_work` then tells the platform to queue
    re-embedding.
    """

    def __init__(
        self, *, data_dir: Path | str, embedder: Embedder | None = None, embeddings: HubEmbeddings | None = None
    ) -> None:
        self.root = Path(data_dir) / "knowledge"
        self._embedder = embedder
        self.embeddings = embeddings
        self._indexes: dict[str, SharedIndex] = {}
        self._vector_work: set[str] = set()
        self._lock = threading.Lock()  # web requests and the job worker share one index per organisation

    @property
    def embedder(self) -> Embedder | HubEmbeddings | None:
        """What makes the vectors (None: lexical search only): the hub-backed embeddings or a plain embedder."""
        return self.embeddings if self.embeddings is not None else self._embedder

    @property
    def dense_enabled(self) -> bool:
        """Whether passages get vectors at all (False: lexical search only)."""
        return self.embedder is not None

    def _org_dir(self, org: str) -> Path:
        _check_name(org, what="Organisationens namn")
        return self.root / org

    def collections(self, *, org: str) -> dict[str, Collection]:
        """All collections of an organisation by name."""
        path = self._org_dir(org) / "collections.json"
        if not path.exists():
            return {}
        return {name: Collection(**data) for name, data in json.loads(path.read_text(encoding="utf-8")).items()}

    def _save_collections(self, org: str, collections: dict[str, Collection]) -> None:
        path = self._org_dir(org) / "collections.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {name: asdict(c) for name, c in collections.items()}
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")

    @contextmanager
    def _file_lock(self, org: str, *, exclusive: bool, wait: bool = True) -> Iterator[bool]:
        """A lock on the organisation's index shared by every process on this data directory.

        Yields whether it was taken (always, unless `wait` is False and another process holds it).
        """
        path = self._org_dir(org) / "index" / ".write-lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a+b") as handle:
            mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | (0 if wait else fcntl.LOCK_NB)
            try:
                fcntl.flock(handle.fileno(), mode)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _expected_identity(self) -> EmbedderIdentity | None:
        return self.embeddings.identity() if self.embeddings is not None else None

    def _identity_changed(self, index: SharedIndex) -> bool:
        return self.embeddings is not None and index.expected != self._expected_identity()

    def _needs_reopen(self, index: SharedIndex) -> bool:
        return index.changed_elsewhere() or self._identity_changed(index)

    def _open(self, org: str) -> tuple[SharedIndex | None, bool]:
        """The open index (None if not opened yet) and whether it must be reopened (another process wrote, or
        the embedder identity changed, e.g. a provider's vector length became known)."""
        with self._lock:
            index = self._indexes.get(org)
            return index, index is not None and self._needs_reopen(index)

    def _reload_if_needed(self, org: str) -> SharedIndex:
        """Open the index; when another process wrote, catch up with its changes or else reopen (caller holds the
        file lock)."""
        with self._lock:
            index = self._indexes.get(org)
            if index is not None and not self._identity_changed(index):
                if not index.changed_elsewhere() or index.catch_up():
                    return index
            if index is None or self._needs_reopen(index):
                # The old object is not closed: a search running on it in another thread may still finish.
                first = index is None
                index = self._indexes[org] = SharedIndex(
                    self._org_dir(org) / "index", embedder=self._embedder, identity=self._expected_identity(),
                    answer_similarity=self.embeddings.answer_similarity if self.embeddings is not None else None,
                )  # fmt: skip
                if index.vectors_reset or (first and self.embeddings is not None and index.pending_count()):
                    self._vector_work.add(org)
            return index

    def index(self, *, org: str) -> SharedIndex:
        """The organisation's search index for reading (opened once, reloaded after other processes' writes).

        While another process is writing, the index as last loaded keeps answering; it is reloaded on the first
        search after that writer is done. Opening with a changed embedder writes (drops old vectors), so that
        happens under the exclusive lock.
        """
        index, stale = self._open(org)
        if index is not None and not stale:
            return index
        exclusive = self.embeddings is not None and (index is None or index.expected != self._expected_identity())
        with self._file_lock(org, exclusive=exclusive, wait=index is None or exclusive) as locked:
            if locked or index is None:
                return self._reload_if_needed(org)
            return index

    @contextmanager
    def writing(self, *, org: str) -> Iterator[SharedIndex]:
        """The organisation's index for changing, under the exclusive lock shared by every process."""
        with self._file_lock(org, exclusive=True):
            yield self._reload_if_needed(org)

    def current(self, *, org: str) -> SharedIndex:
        """Inside `writing`: the index again, reopened if the embedder identity changed meanwhile (e.g. the first
        call told a provider's vector length)."""
        return self._reload_if_needed(org)

    def take_vector_work(self, *, org: str) -> bool:
        """Whether opening found passages to (re-)embed since last asked: vectors of another embedder were dropped,
        or passages were waiting for vectors when this process first opened the index."""
        with self._lock:
            if org in self._vector_work:
                self._vector_work.discard(org)
                return True
            return False

    def close(self) -> None:
        """Close every open index and the embedding adapters."""
        with self._lock:
            for index in self._indexes.values():
                index.close()
            self._indexes.clear()
        if self.embeddings is not None:
            self.embeddings.close()


def _check_name(value: str, *, what: str) -> None:
    if not value or not _NAME_RE.match(value) or value.strip(".") == "":
        raise InvalidInput(
            f'{what} "{value}" är ogiltigt: använd bokstäver, siffror, mellanslag, punkt eller bindestreck.'
        )


def ensure_collection(*, store: KnowledgeStore, org: str, name: str, data_class: str | None = None) -> Collection:
    """Return the named collection, creating it (default data class "intern") when missing."""
    _check_name(name, what="Samlingens namn")
    collections = store.collections(org=org)
    if name in collections:
        existing = collections[name]
        if data_class and DataClass(data_class) != DataClass(existing.data_class):
            raise InvalidInput(
                f"Samlingen {name} har dataklass {DataClass(existing.data_class).label_sv}, inte "
                f"{DataClass(data_class).label_sv}."
            )
        return existing
    try:
        klass = DataClass(data_class or DataClass.INTERN)
    except ValueError as exc:
        raise InvalidInput(f'Okänd dataklass "{data_class}"; välj oppen, intern eller kanslig.') from exc
    collection = Collection(
        collection_id=f"{org}/{name}", org=org, name=name, data_class=klass.value, created_at=time.time()
    )
    collections[name] = collection
    store._save_collections(org, collections)
    return collection


def get_collection(*, store: KnowledgeStore, org: str, name: str) -> Collection:
    """The named collection or a Swedish NotFound error."""
    collection = store.collections(org=org).get(name)
    if collection is None:
        raise NotFound(f"Samlingen {name} finns inte hos {org}.")
    return collection


def document_id_for(collection_id: str, source: str) -> str:
    """Stable id of a document within a collection, so re-ingesting a file replaces it."""
    return "doc-" + hashlib.sha1(f"{collection_id}\n{source}".encode()).hexdigest()[:16]


def index_document(
    *, index: EmbeddedIndex, collection_id: str, document: ParsedDocument, source: str | None = None
) -> FileResult:
    """Chunk a parsed document and make it lexically searchable at once (vectors come later)."""
    source = source or document.source
    document_id = document_id_for(collection_id, source)
    chunks = chunk_document(document, document_id=document_id)
    new = index.add_chunks(collection_id, document_id, chunks, source=source)
    return FileResult(
        path=source, ok=True, document_id=document_id, chunks=len(chunks), new_passages=new,
        pages=document.page_count, warnings=document.warnings,
    )  # fmt: skip


def ingest_bytes(
    *,
    index: EmbeddedIndex,
    collection_id: str,
    data: bytes,
    filename: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> FileResult:
    """Parse and index one uploaded file; a bad file gives a failed result with the Swedish reason."""
    try:
        document = parse_bytes(data, filename=filename, max_bytes=max_bytes)
    except DocumentError as exc:
        return FileResult(path=filename, ok=False, error=exc.message)
    return index_document(index=index, collection_id=collection_id, document=document, source=filename)


def expand_paths(paths: Sequence[Path | str]) -> list[Path]:
    """Files given directly plus supported files found (recursively) in given folders."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(p for p in sorted(path.rglob("*")) if p.is_file() and p.suffix.lower() in SUFFIX_TYPES)
        else:
            out.append(path)
    return out


def ingest_paths(
    *,
    store: KnowledgeStore,
    org: str,
    collection: str,
    paths: Sequence[Path | str],
    data_class: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    embed: bool = True,
    audit: Audit | None = None,
) -> IngestReport:
    """Ingest files and folders into a collection (created if missing); failures are reported, the rest kept."""
    started = time.perf_counter()
    target = ensure_collection(store=store, org=org, name=collection, data_class=data_class)
    results = []
    for path in expand_paths(paths):
        try:
            document = parse_path(path, max_bytes=max_bytes)
            with store.writing(org=org) as index:
                result = index_document(
                    index=index, collection_id=target.collection_id, document=document, source=path.name
                )
        except DocumentError as exc:
            result = FileResult(path=str(path), ok=False, error=exc.message)
        results.append(result)
        if audit is not None:
            audit({"action": "knowledge.ingest", "collection": target.collection_id, "file": str(path),
                   "ok": result.ok, "error": result.error})  # fmt: skip
    embedded = 0
    if embed and store.embedder is not None:
        with store.writing(org=org) as index:
            embedded = index.fill_vectors()
    return IngestReport(
        collection_id=target.collection_id,
        files=results,
        embedded=embedded,
        seconds=time.perf_counter() - started,
    )


def search_collection(
    *,
    store: KnowledgeStore,
    org: str,
    collection: str,
    question: str,
    top_k: int = 10,
    audit: Audit | None = None,
) -> list[Hit]:
    """Hybrid search in one collection of an organisation."""
    target = get_collection(store=store, org=org, name=collection)
    hits = store.index(org=org).search(question, [target.collection_id], top_k)
    if audit is not None:
        audit({"action": "knowledge.search", "collection": target.collection_id, "question": question,
               "chunk_ids": [h.chunk_id for h in hits]})  # fmt: skip
    return hits


def ask_collection(
    *,
    store: KnowledgeStore,
    org: str,
    collection: str,
    question: str,
    chat: ChatFn | None = None,
    history: Sequence[str] = (),
    audit: Audit | None = None,
) -> Answer:
    """Answer a question from one collection (extractive without a chat model), or abstain."""
    target = get_collection(store=store, org=org, name=collection)
    return answer_question(
        question=question, index=store.index(org=org), collection_ids=[target.collection_id], chat=chat,
        history=history, audit=audit,
    )  # fmt: skip


def evaluate_collection(
    *, store: KnowledgeStore, org: str, collection: str, qa_path: Path | str, with_answers: bool = True
) -> dict:
    """Recall@1/5/10, MRR@10 and abstention figures of a QA file against a collection."""
    target = get_collection(store=store, org=org, name=collection)
    index = store.index(org=org)
    qa = load_qa(qa_path)
    return evaluate(
        qa=qa,
        search=lambda q: index.search(q, [target.collection_id], 10),
        answer=(lambda q: answer_question(question=q, index=index, collection_ids=[target.collection_id]))
        if with_answers
        else None,
    )


def hit_json(hit: Hit, *, rank: int) -> dict:
    """The CLI/API result shape of one hit."""
    return {
        "rank": rank,
        "document": hit.source or hit.document_id,
        "title": hit.title,
        "chunk_id": hit.chunk_id,
        "text": hit.text,
        "score": hit.score,
    }
