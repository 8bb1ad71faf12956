"""Swedish dates in running text: "den 3 mars", "tredje mars 2026", "3/3", "2026-03-03" -> ISO."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MONTHS = {
    "januari": 1, "februari": 2, "mars": 3, "april": 4, "maj": 5, "juni": 6, "juli": 7,
    "augusti": 8, "september": 9, "oktober": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "okt": 10, "nov": 11, "dec": 12,
}  # fmt: skip
MONTH_NAMES = [
    "januari", "februari", "mars", "april", "maj", "juni", "juli",
    "augusti", "september", "oktober", "november", "december",
]  # fmt: skip
ORDINALS = {
    "första": 1, "andra": 2, "tredje": 3, "fjärde": 4, "femte": 5, "sjätte": 6, "sjunde": 7,
    "åttonde": 8, "nionde": 9, "tionde": 10, "elfte": 11, "tolfte": 12, "trettonde": 13,
    "fjortonde": 14, "femtonde": 15, "sextonde": 16, "sjuttonde": 17, "artonde": 18,
    "nittonde": 19, "tjugonde": 20, "tjugoförsta": 21, "tjugoandra": 22, "tjugotredje": 23,
    "tjugofjärde": 24, "tjugofemte": 25, "tjugosjätte": 26, "tjugosjunde": 27,
    "tjugoåttonde": 28, "tjugonionde": 29, "trettionde": 30, "trettioförsta": 31,
}  # fmt: skip

_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_ORD_RE = "|".join(sorted(ORDINALS, key=len, reverse=True))
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_WRITTEN = re.compile(
    rf"\b(?P<day>\d{{1,2}}|{_ORD_RE})(?::e|:a)?\s+(?P<month>{_MONTH_RE})\.?(?:\s+(?P<year>\d{{4}}))?\b",
    re.IGNORECASE,
)
_SLASH = re.compile(r"\b(\d{1,2})/(\d{1,2})(?:[/-](\d{2,4}))?\b")
_TIME = re.compile(r"\b(?:kl(?:ockan|\.)?\s*)(\d{1,2})(?:[.:](\d{2}))?\b", re.IGNORECASE)


@dataclass(frozen=True)
class FoundDate:
    """A date found in text; `year_known` is False when the year was inferred or is missing."""

    day: int
    month: int
    year: int | None
    span: tuple[int, int]

    def iso(self) -> str | None:
        """ISO 8601 form when the year is known."""
        if self.year is None:
            return None
        return date(self.year, self.month, self.day).isoformat()

    def written(self) -> str:
        """Written-out Swedish form, e.g. "3 mars 2026"."""
        text = f"{self.day} {MONTH_NAMES[self.month - 1]}"
        return f"{text} {self.year}" if self.year else text


def _valid(year: int | None, month: int, day: int) -> bool:
    try:
        date(year or 2000, month, day)
    except ValueError:
        return False
    return True


def find_dates(text: str) -> list[FoundDate]:
    """All dates in the text, in order of appearance."""
    found: list[FoundDate] = []
    y: int | None
    for m in _ISO.finditer(text):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
        if _valid(y, mo, d):
            found.append(FoundDate(d, mo, y, m.span()))
    for m in _WRITTEN.finditer(text):
        raw_day = m["day"].lower()
        d = int(raw_day) if raw_day.isdigit() else ORDINALS[raw_day]
        mo = MONTHS[m["month"].lower()]
        y = int(m["year"]) if m["year"] else None
        if _valid(y, mo, d):
            found.append(FoundDate(d, mo, y, m.span()))
    for m in _SLASH.finditer(text):
        d, mo = int(m[1]), int(m[2])
        y = _full_year(m[3]) if m[3] else None
        if _valid(y, mo, d) and not _overlaps(m.span(), found):
            found.append(FoundDate(d, mo, y, m.span()))
    return sorted(found, key=lambda f: f.span[0])


def _full_year(raw: str) -> int:
    year = int(raw)
    return year + 2000 if year < 100 else year


def _overlaps(span: tuple[int, int], found: list[FoundDate]) -> bool:
    return any(span[0] < f.span[1] and f.span[0] < span[1] for f in found)


def find_time(text: str) -> str | None:
    """A clock time such as "kl. 14" or "klockan 9.30", as "HH.MM"."""
    m = _TIME.search(text)
    if not m or int(m[1]) > 23:
        return None
    return f"{int(m[1]):02d}.{m[2] or '00'}"


def with_year(found: FoundDate, *, reference: date | None) -> FoundDate:
    """Infer a missing year from a reference date: the first such date on or after the reference."""
    if found.year is not None or reference is None:
        return found
    year = reference.year
    if (found.month, found.day) < (reference.month, reference.day):
        year += 1
    if not _valid(year, found.month, found.day):
        return found
    return FoundDate(found.day, found.month, year, found.span)


def normalise_date(found: FoundDate, *, reference: date | None = None) -> str:
    """ISO when the year is known or can be inferred, otherwise written out ("3 mars")."""
    completed = with_year(found, reference=reference)
    return completed.iso() or completed.written()
