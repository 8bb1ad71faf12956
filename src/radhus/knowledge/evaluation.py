"""Retrieval and abstention evaluation: recall@k, MRR@10 and how often the assistant abstains correctly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from radhus.core.errors import InvalidInput
from radhus.knowledge.models import Answer, Hit

SearchFn = Callable[[str], list[Hit]]
AnswerFn = Callable[[str], Answer]


def load_qa(path: Path | str) -> list[dict]:
    """Read a QA file (JSON lines with at least "question"); a clear Swedish error on bad lines."""
    rows = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"Frågefilen {path} kunde inte läsas.") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"Rad {number} i {Path(path).name} är inte giltig JSON.") from exc
        if not isinstance(row, dict) or not str(row.get("question", "")).strip():
            raise InvalidInput(f'Rad {number} i {Path(path).name} saknar fältet "question".')
        rows.append(row)
    return rows


def evidence_matches(row: dict, hit: Hit) -> bool:
    """A hit counts when its passage contains the row's evidence string, or is the row's expected document."""
    if row.get("document_id"):
        return hit.document_id == row["document_id"]
    evidence = row.get("evidence")
    return isinstance(evidence, str) and bool(evidence) and evidence in hit.text


def evaluate(
    *,
    qa: list[dict],
    search: SearchFn,
    answer: AnswerFn | None = None,
    matches: Callable[[dict, Hit], bool] = evidence_matches,
) -> dict:
    """Recall@1/5/10 and MRR@10 over answerable rows; abstention rates when `answer` is given."""
    answerable = [row for row in qa if row.get("evidence") or row.get("document_id")]
    unanswerable = [row for row in qa if not (row.get("evidence") or row.get("document_id"))]
    ranks: list[int | None] = []
    failures = []
    for row in answerable:
        hits = search(row["question"])[:10]
        rank = next((i for i, hit in enumerate(hits, start=1) if matches(row, hit)), None)
        ranks.append(rank)
        if rank != 1:
            failures.append({"id": row.get("id"), "question": row["question"], "rank": rank})
    report = {
        "questions": len(qa),
        "answerable": len(answerable),
        **{f"recall@{k}": _ratio(sum(1 for r in ranks if r and r <= k), len(ranks)) for k in (1, 5, 10)},
        "mrr@10": round(sum(1.0 / r for r in ranks if r) / len(ranks), 4) if ranks else 0.0,
        "misses": failures,
        "ranks": ranks,
    }
    if answer is not None:
        report.update(_abstention(answerable=answerable, unanswerable=unanswerable, answer=answer))
    return report


def _abstention(*, answerable: list[dict], unanswerable: list[dict], answer: AnswerFn) -> dict:
    abstained_unanswerable = sum(1 for row in unanswerable if answer(row["question"]).abstained)
    answered_answerable = sum(1 for row in answerable if not answer(row["question"]).abstained)
    return {
        "unanswerable": len(unanswerable),
        "unanswerable_abstained": _ratio(abstained_unanswerable, len(unanswerable)),
        "answerable_answered": _ratio(answered_answerable, len(answerable)),
    }


def _ratio(count: int, total: int) -> float:
    return round(count / total, 4) if total else 0.0
