"""Data classes and personal-data handling."""

import bisect
import calendar
import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path


class DataClass(StrEnum):
    """How sensitive a piece of data is; ordered öppen < intern < känslig."""

    OPPEN = "oppen"
    INTERN = "intern"
    KANSLIG = "kanslig"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, other: "DataClass") -> bool:
        """True when data of class `other` may go where this class is the ceiling."""
        return other.rank <= self.rank

    @property
    def label_sv(self) -> str:
        return {"oppen": "öppen", "intern": "intern", "kanslig": "känslig"}[self.value]


_RANK = {DataClass.OPPEN: 0, DataClass.INTERN: 1, DataClass.KANSLIG: 2}


# --- Personal-data detection, redaction and pseudonymisation ---


class PiiKind(StrEnum):
    """Kinds of personal data the detector finds; the value is the placeholder label."""

    PERSONNUMMER = "PERSONNUMMER"
    SAMORDNINGSNUMMER = "SAMORDNINGSNUMMER"
    NAMN = "NAMN"
    ADRESS = "ADRESS"
    POSTNUMMER = "POSTNUMMER"
    TELEFON = "TELEFON"
    EPOST = "EPOST"
    BANKKONTO = "BANKKONTO"
    HALSA_SOCIAL = "HALSA_SOCIAL"  # warning only: health and social-care terms

    @property
    def placeholder(self) -> str:
        return f"[{self.value}]"


WARNING_KINDS = frozenset({PiiKind.HALSA_SOCIAL})


@dataclass(frozen=True, order=True)
class Span:
    """One finding: character offsets into the text, its kind and the matched text."""

    start: int
    end: int
    kind: PiiKind
    text: str

    @property
    def is_warning(self) -> bool:
        return self.kind in WARNING_KINDS


@dataclass
class RedactionResult:
    """Redacted text plus what was replaced and which sensitive terms were only flagged."""

    text: str
    spans: list[Span] = field(default_factory=list)
    warnings: list[Span] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for span in self.spans:
            out[span.kind.value] = out.get(span.kind.value, 0) + 1
        return out

    @property
    def changed(self) -> bool:
        return bool(self.spans)


@dataclass
class PseudonymisationResult:
    """Text with consistent pseudonyms; `mapping` goes from original to pseudonym (keep it secret)."""

    text: str
    mapping: dict[str, str] = field(default_factory=dict)
    spans: list[Span] = field(default_factory=list)


# Lower number wins when two findings overlap.
_PRIORITY = {
    PiiKind.EPOST: 0,
    PiiKind.BANKKONTO: 1,
    PiiKind.PERSONNUMMER: 2,
    PiiKind.SAMORDNINGSNUMMER: 2,
    PiiKind.TELEFON: 3,
    PiiKind.ADRESS: 4,
    PiiKind.POSTNUMMER: 5,
    PiiKind.NAMN: 6,
    PiiKind.HALSA_SOCIAL: 9,
}

_UPPER = "A-ZÅÄÖÉÜÆØ"
_LOWER = "a-zåäöéüæøèáí"
_CAP_WORD = rf"[{_UPPER}][{_LOWER}]+(?:-[{_UPPER}][{_LOWER}]+)?"

_PNR_RE = re.compile(r"\b(?<![+-])(\d{2})?(\d{6})([-+]?)(\d{4})(?![\d\w])")
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")
_IBAN_RE = re.compile(r"(?<![A-Z0-9])([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)(?![A-Z0-9])")
_GIRO_RE = re.compile(
    r"\b(?:[Bb]ankgiro(?:nummer)?|BG|[Bb]g|[Pp]lusgiro(?:nummer)?|PG|[Pp]g)\s*(?:nr\.?)?[:.]?\s*(\d{1,8}-\d{1,4})(?!\d)"
)
_ACCOUNT_RE = re.compile(
    r"(?i)\b(?:bankkonto(?:nummer)?|kontonummer|kontonr\.?|konto|clearingnummer|clearingnr\.?)"
    r"\s*(?:nr\.?)?[:.]?\s*(\d{4}(?:-\d)?(?:[ ,-]{1,2}\d{1,10}){1,4})(?!\d)"
)
_PHONE_RE = re.compile(r"(?<![\w+])(?:\+46\s?(?:\(0\)\s?)?|0046\s?|0)\d{1,3}(?:(?:\s|-|\s-\s)?\d{2,4}){1,4}(?![\d\w])")
_STREET_SUFFIX = (
    r"(?:gatan|gata|vägen|väg|stigen|stig|gränd|gränden|torget|torg|allén|allé|backen|backe|"
    r"platsen|plan|leden|led|stråket|liden|slingan|vallen|kajen|esplanaden|parken|promenaden|gången|"
    r"strand|stranden|hagen|ringen|svängen)"
)
_STREET_RE = re.compile(
    rf"(?<![\w])(?:(?:{_CAP_WORD}) )*[{_UPPER}][{_LOWER}]*{_STREET_SUFFIX}"
    rf"(?: {_STREET_SUFFIX})?\s\d{{1,4}}(?:\s?[A-Za-z](?![\w]))?(?:,? (?:lgh|lägenhet) \d{{3,4}})?"
)
_STREET_SEPARATE_RE = re.compile(
    rf"(?<![\w])(?:{_CAP_WORD} ){{1,3}}{_STREET_SUFFIX}\s\d{{1,4}}(?:\s?[A-Za-z](?![\w]))?"
)
_POSTCODE_RE = re.compile(rf"(?<![\d\w-])(?:SE-?)?\d{{3}} ?\d{{2}}(?:\s+|,\s*)(?:{_CAP_WORD})(?: {_CAP_WORD})?")
_CAPWORD_RE = re.compile(_CAP_WORD)

_NAME_TITLES = frozenset(
    "fru herr hr dr doktor handläggare socialsekreterare biståndshandläggare kontaktperson "
    "sjuksköterska undersköterska läkare brukaren brukare klienten klient patienten patient "
    "mamma pappa modern fadern mor far son dotter make maka sambo".split()
)
# Names in the list that are also ordinary words when capitalised at a sentence start.
_NAME_STOPWORDS = frozenset(
    "Per Bo Maj Ros Alla Under Sten Berg Lund Holm Ström Björk Dal Lind Ek Sjö Strand Sol Ingen Hans "
    "Dag Tor Vilja Liv Fred Mark Saga Klara Signe Vide".split()
)
_SENTENCE_START_WORDS = frozenset({"Hans"})  # "hans" = his


@lru_cache(maxsize=1)
def _name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """First and last names shipped with the package (from Faker sv_SE, MIT)."""
    first: set[str] = set()
    last: set[str] = set()
    target = first
    path = Path(__file__).with_name("privacy_names_sv.txt")
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line == "[first]":
            target = first
        elif line == "[last]":
            target = last
        else:
            target.add(line)
    return frozenset(first), frozenset(last)


_HEALTH_SOCIAL_STEMS = (
    "diagnos", "sjukdom", "sjuk", "depression", "deprimerad", "ångest", "psykos", "psykisk", "psykiatri",
    "schizofren", "bipolär", "adhd", "autism", "demens", "alzheimer", "cancer", "diabetes", "epilepsi",
    "hiv", "hepatit", "missbruk", "alkohol", "narkotika", "abstinens", "självmord", "suicid", "självskad",
    "medicin", "läkemedel", "vårdintyg", "sjukskriv", "funktionsnedsättning", "funktionshinder",
    "rehabilitering", "graviditet", "gravid", "abort", "lss", "lvu", "lvm", "orosanmälan", "omhändertag",
    "familjehem", "hvb", "försörjningsstöd", "misshandel", "hemtjänst", "kriminalvård", "brott",
    "sekretessmarkering", "religion", "etnisk", "fackförening", "smittskydd", "tvångsvård", "journal",
)  # fmt: skip
_HEALTH_SOCIAL_PHRASES = (
    "ekonomiskt bistånd", "skyddat boende", "våld i nära relation", "särskilt boende", "skyddad identitet",
    "sexuell läggning", "sociala insatser",
)  # fmt: skip
_WORD_RE = re.compile(r"\w+")
_HEALTH_STEM_RE = re.compile("|".join(re.escape(stem) for stem in _HEALTH_SOCIAL_STEMS))
_HEALTH_PHRASE_RE = re.compile(r"(?i)\b(?:" + "|".join(re.escape(p) for p in _HEALTH_SOCIAL_PHRASES) + r")\w*")


def luhn_ok(digits: str) -> bool:
    """True when the digit string passes the Luhn (mod 10) check."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _valid_date(year2: int, month: int, day: int, century: int | None) -> bool:
    """True when year/month/day make a real calendar date (two-digit year guessed if no century)."""
    if not 1 <= month <= 12 or day < 1:
        return False
    year = century * 100 + year2 if century is not None else 2000 + year2
    return day <= calendar.monthrange(year, month)[1]


def classify_personnummer(text: str) -> PiiKind | None:
    """PERSONNUMMER or SAMORDNINGSNUMMER when `text` is a valid one (Luhn + date), else None."""
    match = _PNR_RE.fullmatch(text.strip())
    return _classify_pnr_match(match) if match else None


def _classify_pnr_match(match: re.Match) -> PiiKind | None:
    century_str, date6, separator, last4 = match.groups()
    if century_str is not None and (separator == "+" or century_str not in ("18", "19", "20")):
        return None
    if century_str is None and not separator and date6.startswith("0") and last4[0] in "0":
        pass  # still possible; Luhn decides
    if not luhn_ok(date6 + last4):
        return None
    year2, month, day = int(date6[:2]), int(date6[2:4]), int(date6[4:6])
    century = int(century_str) if century_str else None
    if day > 60 and _valid_date(year2, month, day - 60, century):
        return PiiKind.SAMORDNINGSNUMMER
    if _valid_date(year2, month, day, century):
        return PiiKind.PERSONNUMMER
    return None


def iban_ok(text: str) -> bool:
    """True when `text` (spaces allowed) is an IBAN with a valid mod-97 checksum."""
    compact = text.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    if compact.startswith("SE") and len(compact) != 24:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return int(number) % 97 == 1


def _phone_digits_ok(raw: str) -> bool:
    """True when a phone candidate has a plausible Swedish national number length."""
    digits = re.sub(r"\D", "", raw.replace("(0)", ""))
    if digits.startswith("0046"):
        digits = digits[4:]
    elif digits.startswith("46") and raw.lstrip().startswith("+"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = digits[1:]
    else:
        return False
    return 7 <= len(digits) <= 9 and not digits.startswith("0")


def _find_regex_spans(text: str) -> list[Span]:
    """All findings of the pattern-based detectors (numbers, e-mail, addresses)."""
    spans: list[Span] = []
    for match in _EMAIL_RE.finditer(text):
        spans.append(Span(match.start(), match.end(), PiiKind.EPOST, match.group()))
    for match in _PNR_RE.finditer(text):
        kind = _classify_pnr_match(match)
        if kind:
            spans.append(Span(match.start(), match.end(), kind, match.group()))
    for match in _IBAN_RE.finditer(text):
        candidate = match.group(1)
        if iban_ok(candidate):
            spans.append(Span(match.start(1), match.end(1), PiiKind.BANKKONTO, candidate))
    for regex in (_GIRO_RE, _ACCOUNT_RE):
        for match in regex.finditer(text):
            spans.append(Span(match.start(1), match.end(1), PiiKind.BANKKONTO, match.group(1)))
    for match in _PHONE_RE.finditer(text):
        if _phone_digits_ok(match.group()):
            spans.append(Span(match.start(), match.end(), PiiKind.TELEFON, match.group()))
    for regex in (_STREET_RE, _STREET_SEPARATE_RE):
        for match in regex.finditer(text):
            spans.append(Span(match.start(), match.end(), PiiKind.ADRESS, match.group()))
    for match in _POSTCODE_RE.finditer(text):
        spans.append(Span(match.start(), match.end(), PiiKind.POSTNUMMER, match.group()))
    return spans


def _is_sentence_start(text: str, index: int) -> bool:
    """True when position `index` begins a sentence or line."""
    before = text[max(0, index - 3) : index].rstrip(" \t\"'(")
    return not before or before[-1] in ".!?:\n•-–"


def _previous_word(text: str, index: int) -> str:
    """The lower-cased word just before `index`, or ''."""
    match = re.search(r"([\wåäö]+)\.?\s+$", text[max(0, index - 40) : index])
    return match.group(1).lower() if match else ""


def _find_name_spans(text: str) -> list[Span]:
    """Person names: runs of capitalised words anchored on the shipped first/last-name lists."""
    first_names, last_names = _name_lists()
    words = list(_CAPWORD_RE.finditer(text))
    spans: list[Span] = []
    index = 0
    while index < len(words):
        run = [words[index]]
        while index + len(run) < len(words):
            nxt = words[index + len(run)]
            gap = text[run[-1].end() : nxt.start()]
            if gap != " " or len(run) >= 4:
                break
            run.append(nxt)
        index += _consume_name_run(text, run, first_names, last_names, spans)
    return spans


def _consume_name_run(text, run, first_names, last_names, spans) -> int:
    """Turn one run of capitalised words into name spans; returns how many words were consumed."""
    tokens = [word.group() for word in run]
    head = tokens[0]
    parts = head.split("-")
    head_is_first = all(part in first_names for part in parts)
    if head_is_first and len(run) > 1:
        end = 1
        while end < len(run) and (tokens[end] in first_names or tokens[end] in last_names or end == 1):
            end += 1
            if tokens[end - 1] in last_names or tokens[end - 1] not in first_names:
                break
        spans.append(Span(run[0].start(), run[end - 1].end(), PiiKind.NAMN, text[run[0].start() : run[end - 1].end()]))
        return end
    context = _previous_word(text, run[0].start()) in _NAME_TITLES
    if head_is_first and (
        context
        or (
            head not in _NAME_STOPWORDS
            and not (head in _SENTENCE_START_WORDS and _is_sentence_start(text, run[0].start()))
        )
    ):
        spans.append(Span(run[0].start(), run[0].end(), PiiKind.NAMN, head))
    elif head in last_names and context:
        spans.append(Span(run[0].start(), run[0].end(), PiiKind.NAMN, head))
    return 1


def _find_health_social_terms(text: str) -> list[Span]:
    """Warning spans for health and social-care vocabulary (compounds included, e.g. 'alkoholmissbruk')."""
    spans = [
        Span(match.start(), match.end(), PiiKind.HALSA_SOCIAL, match.group())
        for match in _HEALTH_PHRASE_RE.finditer(text)
    ]
    stem_search = _HEALTH_STEM_RE.search
    for match in _WORD_RE.finditer(text.lower()):
        if stem_search(match.group()):
            spans.append(Span(match.start(), match.end(), PiiKind.HALSA_SOCIAL, text[match.start() : match.end()]))
    return _drop_overlapping(spans, [])


class _IntervalSet:
    """Non-overlapping [start, end) intervals with O(log n) overlap checks."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        index = bisect.bisect_right(self.starts, start)
        if index > 0 and self.ends[index - 1] > start:
            return True
        return index < len(self.starts) and self.starts[index] < end

    def add(self, start: int, end: int) -> None:
        index = bisect.bisect_right(self.starts, start)
        self.starts.insert(index, start)
        self.ends.insert(index, end)


def _drop_overlapping(candidates: list[Span], occupied: list[Span]) -> list[Span]:
    """Candidates (in the given order of preference) that overlap neither `occupied` nor an earlier pick."""
    intervals = _IntervalSet()
    for span in occupied:
        intervals.add(span.start, span.end)
    kept = []
    for span in candidates:
        if not intervals.overlaps(span.start, span.end):
            intervals.add(span.start, span.end)
            kept.append(span)
    return kept


def _resolve_overlaps(spans: list[Span]) -> list[Span]:
    """Keep the higher-priority (then longer) finding where two overlap; return in text order."""
    ranked = sorted(spans, key=lambda s: (_PRIORITY[s.kind], -(s.end - s.start), s.start))
    return sorted(_drop_overlapping(ranked, []))


def find_personal_data(text: str, *, include_warnings: bool = True) -> list[Span]:
    """All personal data in `text`, in order; health/social-care terms are included as warning spans."""
    if not text:
        return []
    spans = _resolve_overlaps(_find_regex_spans(text) + _find_name_spans(text))
    if include_warnings:
        warnings = _drop_overlapping(_find_health_social_terms(text), spans)
        spans = sorted(spans + warnings)
    return spans


def contains_personal_data(text: str) -> bool:
    """True when `text` holds at least one identifying finding (warnings excluded)."""
    return any(not span.is_warning for span in find_personal_data(text, include_warnings=False))


def _replace_spans(text: str, spans: list[Span], replacement_for) -> str:
    """Rebuild `text` with every span replaced by `replacement_for(span)`."""
    pieces: list[str] = []
    cursor = 0
    for span in spans:
        pieces.append(text[cursor : span.start])
        pieces.append(replacement_for(span))
        cursor = span.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def redact(text: str) -> RedactionResult:
    """Replace personal data by typed placeholders such as [PERSONNUMMER] and [NAMN]; flag health terms."""
    findings = find_personal_data(text)
    identifying = [span for span in findings if not span.is_warning]
    warnings = [span for span in findings if span.is_warning]
    redacted = _replace_spans(text, identifying, lambda span: span.kind.placeholder)
    return RedactionResult(text=redacted, spans=identifying, warnings=warnings)


def _pseudonym_key(span: Span) -> str:
    """Normalised identity of a finding, so that the same person/number maps to one pseudonym."""
    if span.kind in (PiiKind.PERSONNUMMER, PiiKind.SAMORDNINGSNUMMER):
        digits = re.sub(r"\D", "", span.text)
        return f"{span.kind}:{digits[-10:]}"
    if span.kind in (PiiKind.TELEFON, PiiKind.BANKKONTO):
        digits = re.sub(r"\D", "", span.text.replace("+46", "0"))
        return f"{span.kind}:{digits}"
    return f"{span.kind}:{' '.join(span.text.lower().split())}"


def pseudonymise(text: str, *, mapping: dict[str, str] | None = None) -> PseudonymisationResult:
    """Replace personal data by numbered pseudonyms; the same person or number always gets the same one."""
    mapping = dict(mapping or {})
    key_to_pseudonym: dict[str, str] = {}
    counters: dict[PiiKind, int] = {}
    for original, pseudonym in mapping.items():
        key_to_pseudonym[original] = pseudonym
    findings = [span for span in find_personal_data(text) if not span.is_warning]
    name_parts: dict[str, str] = {}

    def pseudonym_for(span: Span) -> str:
        key = _pseudonym_key(span)
        if key not in key_to_pseudonym and span.kind is PiiKind.NAMN:
            key = next((name_parts[p] for p in span.text.split() if p in name_parts), key)
        if key not in key_to_pseudonym:
            counters[span.kind] = counters.get(span.kind, 0) + 1
            used = sum(1 for p in key_to_pseudonym.values() if p.startswith(f"[{span.kind.value} "))
            key_to_pseudonym[key] = f"[{span.kind.value} {used + 1}]"
        if span.kind is PiiKind.NAMN:
            for part in span.text.split():
                name_parts.setdefault(part, key)
        return key_to_pseudonym[key]

    new_text = _replace_spans(text, findings, pseudonym_for)
    return PseudonymisationResult(text=new_text, mapping=key_to_pseudonym, spans=findings)
