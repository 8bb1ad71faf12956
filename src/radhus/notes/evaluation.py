"""Field-level precision/recall of a drafter against expected attendees, justerare, decisions and dates."""

from __future__ import annotations

from dataclasses import dataclass, field

from radhus.notes.drafter import overlap

DECISION_MATCH = 0.5  # share of content words two decision texts must share to count as the same decision


@dataclass
class Counts:
    """True positives, false positives and false negatives of one field."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        """Accumulate another count."""
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    @property
    def precision(self) -> float:
        """Share of predicted items that were right (1.0 when nothing was predicted)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """Share of expected items that were found (1.0 when nothing was expected)."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def _norm(name: str) -> str:
    return " ".join(name.lower().split())


def score_set(expected: list[str], predicted: list[str]) -> Counts:
    """Exact (case-insensitive) set matching, for names."""
    e, p = {_norm(x) for x in expected}, {_norm(x) for x in predicted}
    return Counts(tp=len(e & p), fp=len(p - e), fn=len(e - p))


def score_decisions(expected: list[str], predicted: list[str]) -> Counts:
    """One-to-one greedy matching of decisions by shared content words."""
    unmatched = list(predicted)
    tp = 0
    for item in expected:
        best = max(unmatched, key=lambda p: overlap(item, p), default=None)
        if best is not None and overlap(item, best) >= DECISION_MATCH:
            unmatched.remove(best)
            tp += 1
    return Counts(tp=tp, fp=len(unmatched), fn=len(expected) - tp)


def score_single(expected: str | None, predicted: str | None) -> Counts:
    """A single value (justerare, date): right, wrong, missing or spurious."""
    if not expected:
        return Counts(fp=1 if predicted else 0)
    if not predicted:
        return Counts(fn=1)
    if _norm(expected) == _norm(predicted):
        return Counts(tp=1)
    return Counts(fp=1, fn=1)


@dataclass
class Report:
    """Per-field counts over an evaluation set."""

    fields: dict[str, Counts] = field(default_factory=dict)

    def add(self, name: str, counts: Counts) -> None:
        """Accumulate counts of one field."""
        self.fields.setdefault(name, Counts()).add(counts)


def score_case(expected: dict, predicted: dict) -> dict[str, Counts]:
    """Score one transcript's predicted fields against the expected ones."""
    return {
        "narvarande": score_set(expected.get("narvarande", []), predicted.get("narvarande", [])),
        "justerare": score_single(expected.get("justerare"), predicted.get("justerare")),
        "beslut": score_decisions(expected.get("beslut", []), predicted.get("beslut", [])),
        "nasta_mote": score_single(expected.get("nasta_mote"), predicted.get("nasta_mote")),
    }
