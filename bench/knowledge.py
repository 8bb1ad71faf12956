"""Knowledge performance: search latency at 100k/1M passages, index size, RAM, PDF ingestion speed.

Usage:
  .venv/bin/python bench/knowledge.py --sizes 100000            # search latency at 100k passages
  .venv/bin/python bench/knowledge.py --sizes 1000000 --queries 100
  .venv/bin/python bench/knowledge.py --pdf-only                # PDF pages/s and upload -> searchable
  .venv/bin/python bench/knowledge.py --platform sqlite,postgresql+psycopg://radhus:radhus@127.0.0.1:5432/postgres \
      --sizes 100000                                             # the web/API search path on each database

With --platform, each search is timed as a request runs it: a fresh database session, the collection looked up with
its access check (restricted to a unit, the costliest check), then the hybrid search of the organisation's embedded
index. The passages always live in the embedded index beside the data directory, whichever database holds the
platform's rows, so the databases differ only in those lookups. PostgreSQL gets a throw-away database.
It also times how a loaded process sees another process's writes: catching up from the change log versus a reload.

Passages are synthesised from corpus sentences (kommun-ai reports + SweFAQ answers), 3-7 sentences each.
Dense vectors for the synthetic passages are RANDOM unit vectors (timing only; quality is measured by
bench/knowledge_eval.py). Query latency is measured with precomputed query vectors; the built-in embedder's
per-query time is reported separately.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from radhus.core.text import sentences
from radhus.knowledge.chunking import content_hash
from radhus.knowledge.index import EmbeddedIndex
from radhus.knowledge.models import Chunk

SHARED = Path("/work/shared")


def corpus_sentences() -> list[str]:
    """Sentences of the shared corpus (source material for synthetic passages)."""
    out: list[str] = []
    for path in sorted(glob.glob(str(SHARED / "corpus/kommun-ai/*.md"))):
        out.extend(s for s in sentences(Path(path).read_text(encoding="utf-8")) if 20 < len(s) < 400)
    for line in (SHARED / "bench/swefaq/swefaq_dev.jsonl").open(encoding="utf-8"):
        for answer in json.loads(line)["candidate_answers"]:
            out.extend(s for s in sentences(answer) if 20 < len(s) < 400)
    return sorted(set(out))


def questions() -> list[str]:
    """Real questions from the dev sets."""
    qs = [json.loads(line)["question"] for line in (SHARED / "eval/qa-dev.jsonl").open(encoding="utf-8")]
    qs += [json.loads(line)["question"] for line in (SHARED / "bench/swefaq/swefaq_dev.jsonl").open(encoding="utf-8")]
    return qs


def synthetic_chunks(pool: list[str], count: int, rng: np.random.Generator, prefix: str) -> list[Chunk]:
    """`count` passages of 3-7 random corpus sentences, each tagged with a unique number."""
    chunks = []
    for i in range(count):
        picked = rng.integers(0, len(pool), size=int(rng.integers(3, 8)))
        text = " ".join(pool[j] for j in picked) + f" (avsnitt {prefix}{i})"
        chunks.append(
            Chunk(chunk_id=f"{prefix}{i}", text=text, title=f"Dokument {prefix}", content_hash=content_hash(text))
        )
    return chunks


def rss_mb() -> float:
    """Peak resident memory of this process in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def percentile_ms(samples: list[float], p: float) -> float:
    return float(np.percentile(np.array(samples) * 1000, p))


def bench_search(size: int, n_queries: int, workdir: Path) -> None:
    rng = np.random.default_rng(7)
    pool = corpus_sentences()
    index = EmbeddedIndex(workdir / f"idx-{size}")
    started = time.perf_counter()
    batch = 20_000
    for start in range(0, size, batch):
        count = min(batch, size - start)
        chunks = synthetic_chunks(pool, count, rng, prefix=f"b{start}-")
        vectors = rng.standard_normal((count, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        index.add_chunks(f"col{start % 3}", f"doc-{start}", chunks, vectors=vectors)
    build_s = time.perf_counter() - started
    print(
        f"[{size}] built in {build_s:.0f} s ({size / build_s:.0f} passages/s); index on disk {dir_mb(workdir):.0f} MB; "
        f"peak RSS {rss_mb():.0f} MB"
    )
    qs = (questions() * (n_queries // 100 + 2))[:n_queries]
    query_vectors = rng.standard_normal((len(qs), 384)).astype(np.float32)
    query_vectors /= np.linalg.norm(query_vectors, axis=1, keepdims=True)
    collections = ["col0", "col1", "col2"]
    runs = [("lexical", 10**9), ("dense", 10**9), ("hybrid", 10**9), ("dense", 0), ("hybrid", 0)]
    for mode, exhaustive_limit in runs:
        index.exhaustive_limit = exhaustive_limit
        label = mode + (" exhaustive dense" if exhaustive_limit and mode != "lexical" else "")
        label += " lexical-first + dense rerank" if not exhaustive_limit else ""
        timings = []
        for q, v in zip(qs, query_vectors, strict=True):
            t0 = time.perf_counter()
            index.search(q, collections, 10, mode=mode, query_vector=v)
            timings.append(time.perf_counter() - t0)
        print(
            f"[{size}] {label}: search p50 {percentile_ms(timings, 50):6.1f} ms  "
            f"p95 {percentile_ms(timings, 95):6.1f} ms (n={len(qs)}, top-10, 3 collections)"
        )
    index.close()
    reopen = time.perf_counter()
    EmbeddedIndex(workdir / f"idx-{size}").close()
    print(f"[{size}] reopen (load index into memory) {time.perf_counter() - reopen:.1f} s; peak RSS {rss_mb():.0f} MB")
    index = EmbeddedIndex(workdir / f"idx-{size}")
    slots_before = index._last_slot()
    started = time.perf_counter()
    deleted = [f"doc-{start}" for start in range(0, size, batch)][: max(1, (size // batch) * 6 // 10)]
    for document_id in deleted:  # more dead passages than living ones: the last deletion compacts
        index.delete_document(document_id)
    print(
        f"[{size}] deleting {len(deleted)} of {size // batch} documents took {time.perf_counter() - started:.1f} s, "
        f"compaction included ({index._meta('generation')} time(s)): slots {slots_before} -> {index._last_slot()}"
    )
    index.close()


def bench_catch_up(store, workdir: Path, size: int, pool: list[str], rng: np.random.Generator) -> None:  # type: ignore[no-untyped-def]
    """How long a loaded process takes to see another process's writes: catching up versus a full reload."""
    from radhus.knowledge import platform
    from radhus.knowledge.service import KnowledgeStore

    org = platform.org_key(1)
    loaded = store.index(org=org)
    worker = KnowledgeStore(data_dir=workdir / "data", embedder=RandomQueryEmbedder())  # type: ignore[arg-type]
    with worker.writing(org=org) as index:
        index.add_chunks("c1", "doc-new", synthetic_chunks(pool, 20, rng, prefix="new-"))
        index.delete_document("doc-0")
    worker.close()
    started = time.perf_counter()
    caught_up = store.index(org=org)
    catch_up_s = time.perf_counter() - started
    assert caught_up is loaded, "the change log should reach back"
    started = time.perf_counter()
    KnowledgeStore(data_dir=workdir / "data").index(org=org).close()
    print(
        f"[platform {size}] another process added 20 passages and deleted {min(size, 20_000)}: caught up in "
        f"{catch_up_s * 1000:.0f} ms; a full reload takes {time.perf_counter() - started:.1f} s"
    )


class RandomQueryEmbedder:
    """Random unit query vectors (timing only, like the passages' vectors)."""

    dim = 384

    def __init__(self, seed: int = 11) -> None:
        self.rng = np.random.default_rng(seed)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        vectors = self.rng.standard_normal((len(texts), self.dim)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self.embed_queries(texts)


def _platform_database(url: str, workdir: Path):  # type: ignore[no-untyped-def]
    """A migrated, empty platform database for `url` ("sqlite" = a file in workdir); returns (url, drop)."""
    import uuid

    from sqlalchemy import create_engine, make_url, text

    if url == "sqlite":
        return f"sqlite:///{workdir / f'platform-{uuid.uuid4().hex[:6]}.sqlite3'}", lambda: None
    name = f"radhus_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(url).set(database=name).render_as_string(hide_password=False), drop


def bench_platform(size: int, n_queries: int, urls: list[str], workdir: Path) -> None:
    """Search latency through the platform (session, access check, embedded index) on each database."""
    from radhus.catalog import load_all_models
    from radhus.core import orgs
    from radhus.core.auth import Role, create_user, principal_for
    from radhus.core.db import make_engine, make_session_factory, migrate, transaction
    from radhus.knowledge import platform
    from radhus.knowledge.service import KnowledgeStore

    load_all_models()
    rng = np.random.default_rng(7)
    store = KnowledgeStore(data_dir=workdir / "data", embedder=RandomQueryEmbedder())  # type: ignore[arg-type]
    started = time.perf_counter()
    pool = corpus_sentences()
    with store.writing(org=platform.org_key(1)) as index:
        for start in range(0, size, 20_000):
            count = min(20_000, size - start)
            vectors = rng.standard_normal((count, 384)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            chunks = synthetic_chunks(pool, count, rng, prefix=f"p{start}-")
            index.add_chunks("c1", f"doc-{start}", chunks, vectors=vectors)
    print(f"[platform {size}] index built in {time.perf_counter() - started:.0f} s; peak RSS {rss_mb():.0f} MB")
    bench_catch_up(store, workdir, size, pool, rng)
    qs = (questions() * (n_queries // 100 + 2))[:n_queries]
    for url in urls:
        db_url, drop = _platform_database(url, workdir)
        engine = make_engine(db_url)
        try:
            migrate(engine)
            factory = make_session_factory(engine)
            with transaction(factory) as session:
                org = orgs.create_organisation(session, slug="benchkommun", name="Benchkommun")
                unit = orgs.create_unit(session, org_id=org.id, name="Hemtjänst")
                owner = create_user(session, org_id=org.id, username="a@bench", display_name="A", roles=[Role.EDITOR])
                staff = create_user(session, org_id=org.id, username="b@bench", display_name="B", roles=[Role.STAFF])
                staff.unit_id = unit.id
                collection = platform.create_collection(session, principal_for(owner), name="samling",
                                                        allowed_units=[unit.id])  # fmt: skip
                assert org.id == 1 and collection.index_key == "c1", "a fresh database numbers from 1"
                who, collection_id = principal_for(staff), collection.id
            lookups, totals = [], []
            for question in qs:
                t0 = time.perf_counter()
                with factory() as session:
                    target = platform.get_collection(session, who, collection_id)
                    t1 = time.perf_counter()
                    hits = platform.search(store=store, collections=[target], question=question, top_k=10)
                t2 = time.perf_counter()
                assert hits
                lookups.append(t1 - t0)
                totals.append(t2 - t0)
            print(
                f"[platform {size}] {engine.dialect.name}: request search p50 {percentile_ms(totals, 50):6.1f} ms  "
                f"p95 {percentile_ms(totals, 95):6.1f} ms; of which session + access check p50 "
                f"{percentile_ms(lookups, 50):.2f} ms p95 {percentile_ms(lookups, 95):.2f} ms (n={len(qs)}, hybrid)"
            )
        finally:
            engine.dispose()
            drop()
    store.close()


def make_pdf(pages: int, path: Path) -> None:
    """A text PDF of `pages` pages filled with corpus sentences."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pool = corpus_sentences()
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for page in range(pages):
        y = 800
        for line_no in range(45):
            sentence = pool[(page * 45 + line_no) % len(pool)]
            pdf.drawString(40, y, sentence[:95])
            y -= 17
        pdf.showPage()
    pdf.save()


def bench_pdf(workdir: Path) -> None:
    from radhus.knowledge.parsers import parse_path
    from radhus.knowledge.service import index_document

    path = workdir / "hundra-sidor.pdf"
    make_pdf(100, path)
    index = EmbeddedIndex(workdir / "pdf-idx")
    t0 = time.perf_counter()
    document = parse_path(path)
    parsed = time.perf_counter()
    index_document(index=index, collection_id="c", document=document, source=path.name)
    hits = index.search("kompetensförsörjning", ["c"], 5, mode="lexical")
    done = time.perf_counter()
    assert hits, "the PDF must be searchable"
    print(
        f"[pdf] 100 pages ({path.stat().st_size / 1e6:.1f} MB): parse {parsed - t0:.2f} s "
        f"({100 / (parsed - t0):.0f} pages/s); upload -> lexically searchable {done - t0:.2f} s"
    )


def bench_embedder() -> None:
    from radhus.knowledge.embed import default_embedder

    embedder = default_embedder()
    qs = questions()[:10]
    embedder.embed_queries(qs[:1])
    t0 = time.perf_counter()
    for q in qs:
        embedder.embed_queries([q])
    print(f"[embed] built-in query embedding {1000 * (time.perf_counter() - t0) / len(qs):.0f} ms per question")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--pdf-only", action="store_true")
    parser.add_argument("--workdir", default="")
    parser.add_argument("--platform", default="", help="comma-separated: sqlite and/or PostgreSQL URLs")
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="radhus-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"cores: {os.cpu_count()}; workdir {workdir}")
    try:
        if args.platform:
            for size in (int(s) for s in args.sizes.split(",")):
                bench_platform(size, args.queries, args.platform.split(","), workdir)
            return
        bench_pdf(workdir)
        if not args.pdf_only:
            bench_embedder()
            for size in (int(s) for s in args.sizes.split(",")):
                bench_search(size, args.queries, workdir)
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
