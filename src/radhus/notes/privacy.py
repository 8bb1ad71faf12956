"""Privacy hooks for notes: personal-data spans and pseudonymisation, with a small built-in default."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from radhus.notes.models import Draft, DraftSection


@dataclass(frozen=True)
class PersonalSpan:
    """A piece of personal data in a text: kind (e.g. "personnummer") and character span."""

    kind: str
    start: int
    end: int
    text: str


class PrivacyHook(Protocol):
    """What the notes domain needs from personal-data detection (core.privacy provides the real one)."""

    def find(self, text: str) -> list[PersonalSpan]: ...


_PATTERNS = {
    "personnummer": re.compile(r"\b(?:19|20)?\d{6}[-+]?\d{4}\b"),
    "epost": re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),
    "telefon": re.compile(r"(?<!\d)(?:\+46\s?|0)(?:\d[\s-]?){6,11}\d(?!\d)"),
    "postnummer": re.compile(r"\b\d{3}\s\d{2}\b"),
    "adress": re.compile(r"\b[A-ZÅÄÖ][a-zåäö]+(?:gatan|vägen|gränd|stigen|torget|allén|backen)\s+\d+[A-Z]?\b"),
}


class BuiltinPrivacy:
    """Regex detection of identity numbers, contact details and addresses, plus names the caller knows."""

    def __init__(self, names: list[str] | None = None):
        self.names = sorted({n for n in names or [] if n.strip()}, key=len, reverse=True)

    def find(self, text: str) -> list[PersonalSpan]:
        """All personal-data spans in the text, non-overlapping, in order."""
        spans = [
            PersonalSpan(kind, m.start(), m.end(), m.group(0))
            for kind, p in _PATTERNS.items()
            for m in p.finditer(text)
        ]
        for name in self.names:
            for m in re.finditer(rf"\b{re.escape(name)}\b", text):
                spans.append(PersonalSpan("namn", m.start(), m.end(), m.group(0)))
        return _non_overlapping(spans)


def _non_overlapping(spans: list[PersonalSpan]) -> list[PersonalSpan]:
    kept: list[PersonalSpan] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
    return kept


_LABELS = {
    "personnummer": "PERSONNUMMER",
    "epost": "E-POST",
    "telefon": "TELEFON",
    "postnummer": "POSTNUMMER",
    "adress": "ADRESS",
}


class Pseudonymiser:
    """Replaces personal data consistently: the same name gets the same "Person A" everywhere."""

    def __init__(self, hook: PrivacyHook):
        self.hook = hook
        self.mapping: dict[str, str] = {}

    def _replacement(self, span: PersonalSpan) -> str:
        if span.kind != "namn":
            return f"[{_LABELS.get(span.kind, span.kind.upper())}]"
        if span.text not in self.mapping:
            self.mapping[span.text] = f"Person {_letters(len(self.mapping))}"
        return self.mapping[span.text]

    def text(self, text: str) -> str:
        """The text with every personal-data span replaced."""
        out, last = [], 0
        for span in self.hook.find(text):
            out.append(text[last : span.start])
            out.append(self._replacement(span))
            last = span.end
        out.append(text[last:])
        return "".join(out)


def _letters(n: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖ"
    return letters[n % len(letters)] + (str(n // len(letters) + 1) if n >= len(letters) else "")


def _first_names(names: list[str]) -> list[str]:
    return [n.split()[0] for n in names if " " in n]


def pseudonymise_draft(draft: Draft, *, hook: PrivacyHook | None = None) -> Draft:
    """A copy of the draft for sharing, with names and identifiers replaced consistently."""
    names = [n for v in draft.fields.values() for n in (v if isinstance(v, list) else [v]) if isinstance(n, str)]
    known = [n for n in names if re.fullmatch(r"[A-ZÅÄÖ][\wåäö-]+(?:\s+[A-ZÅÄÖ][\wåäö-]+)+", n)]
    pseudo = Pseudonymiser(hook or BuiltinPrivacy(known + _first_names(known)))
    fields = {
        key: [pseudo.text(v) if isinstance(v, str) else v for v in value]
        if isinstance(value, list)
        else pseudo.text(value)
        if isinstance(value, str)
        else value
        for key, value in draft.fields.items()
    }
    sections = [
        DraftSection(
            key=s.key,
            title=s.title,
            text=pseudo.text(s.text),
            sources=list(s.sources),
            sentences=[{**x, "text": pseudo.text(x["text"])} for x in s.sentences],
        )
        for s in draft.sections
    ]
    return Draft(
        template=draft.template,
        fields=fields,
        sections=sections,
        method=draft.method,
        notice=draft.notice + " Pseudonymiserad kopia.",
        field_sources=dict(draft.field_sources),
    )
