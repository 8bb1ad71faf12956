"""Swedish text processing: normalisation (keeping å/ä/ö), tokens, stemming, compounds, stopwords, dates, LIX."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import Stemmer

_WORD_RE = re.compile(r"[^\W_]+(?:[-'’:][^\W_]+)*", re.UNICODE)
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+(?=[\"'»”(]?[A-ZÅÄÖÉ0-9])")
_WHITESPACE_RE = re.compile(r"\s+")
_LINE_HYPHEN_RE = re.compile(r"-\n(?=[a-zåäö])")
_SOFT_HYPHEN = "\u00ad"

# Swedish function words; written for this project (not copied from a list), lower case.
STOPWORDS: frozenset[str] = frozenset(
    """
    alla allt att av blev bli blir blivit de dem den denna deras dess dessa det detta dig din dina ditt du
    där då efter ej eller en er era ert ett från för ha hade han hans har henne hennes hon honom hur här i
    icke ingen inom inte jag ju kan kunde man med mellan men mig min mina mitt mot mycket ni nu när någon
    något några och om oss på samma sedan sig sin sina sitta själv skulle som så sådan sådana sådant till
    under upp ut utan vad var vara varför varit varje vars vart vem vi vid vilka vilken vilket vår våra vårt
    än är åt över också bara redan ska skall finns få får fick göra gör gjorde gäller kommer kan även hos
    dessutom via the and of to is in for what which how who when where does do are a an
    """.split()
)

# Common Swedish word parts seen in municipal texts; the index adds its own vocabulary at run time.
_BUILTIN_LEXICON: frozenset[str] = frozenset(
    """
    ansökan arbete arbets avgift barn beslut bidrag bil bostad bostäder bygg bygglov byggnad del dag data
    ekonomi ersättning fall familj förskola förskolan förvaltning grund grupp handläggare handling hem hemtjänst
    hjälp hus insats insatser intelligens jobb kommun kompetens kontor kost kultur ledning lov lärare mat miljö
    möte nämnd omsorg park personal plan plats program projekt rapport region regler resurs rätt schema skola
    skolan skydd social stad stöd system tid tjänst tjänster tillstånd trafik utbildning utveckling vatten vård
    verksamhet äldre år ålder tandvård sjukvård hälsa avfall vaccin vaccination skatt tillsyn anställd anställda
    förening föreningar bibliotek idrott ansvar kvalitet säkerhet verktyg assistent assistenter förmåga
    """.split()
)

_LINKING_LETTERS = ("s", "e", "")
_MIN_PART = 3  # parts from the built-in lexicon ("lov", "bil")
_MIN_LEARNED_PART = 4  # parts learned from a collection's own words: shorter ones are mostly noise ("ing", "ger")
_MIN_COMPOUND = 7

_MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "mars": 3, "mar": 3, "april": 4, "apr": 4, "maj": 5,
    "juni": 6, "jun": 6, "juli": 7, "jul": 7, "augusti": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_PATTERNS = [
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), ("y", "m", "d")),
    (re.compile(r"\b(\d{1,2})/(\d{1,2})[ -](\d{4})\b"), ("d", "m", "y")),
    (re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b"), ("d", "m", "y")),
    (
        re.compile(rf"\b(\d{{1,2}})(?::[ae])?\s+({_MONTH_ALT})\.?\s+(\d{{4}})\b", re.IGNORECASE),
        ("d", "M", "y"),
    ),
]


def normalise(text: str) -> str:
    """NFC-normalise, drop soft hyphens and collapse whitespace; å/ä/ö are kept as they are."""
    text = unicodedata.normalize("NFC", text).replace(_SOFT_HYPHEN, "")
    return _WHITESPACE_RE.sub(" ", text).strip()


def unwrap_lines(text: str) -> str:
    """A paragraph's lines as one normalised line; a word hyphenated at a line break ("ut-\\ntag") is joined."""
    return normalise(_LINE_HYPHEN_RE.sub("", text))


def normalise_for_hash(text: str) -> str:
    """Lower-cased, whitespace- and punctuation-insensitive form used to detect identical passages."""
    return " ".join(tokenize(text))


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens; hyphenated words are kept together and also split later by `index_terms`."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return _WORD_RE.findall(text.lower())


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("swedish")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Swedish Snowball stem; a second pass after a long ending so "insatsen" and "insats" agree."""
    stemmer = _stemmer()
    once = stemmer.stemWord(word)
    return stemmer.stemWord(once) if len(word) - len(once) >= 2 and len(once) > 4 else once


def split_compound(word: str, *, vocabulary: Iterable[str] | frozenset[str] = ()) -> list[str]:
    """Split a Swedish compound into known parts ("bygglovsansökan" -> ["bygglov", "ansökan"]); [] if none."""
    word = word.lower()
    if len(word) < _MIN_COMPOUND:
        return []
    extra = vocabulary if isinstance(vocabulary, (frozenset, set)) else frozenset(vocabulary)
    return _split(word, _Known(extra), depth=0)


class _Known:
    """Membership in the built-in lexicon or the caller's vocabulary, without copying either."""

    __slots__ = ("extra",)

    def __init__(self, extra: frozenset[str] | set[str]) -> None:
        self.extra = extra

    def __contains__(self, word: str) -> bool:
        return word in _BUILTIN_LEXICON or word in self.extra


def _split(word: str, known: _Known, *, depth: int) -> list[str]:
    """Longest-head-first split with optional linking letter; recursion bounded to three levels."""
    if depth > 2:
        return []
    for cut in range(len(word) - _MIN_PART, _MIN_PART - 1, -1):
        head, tail = word[:cut], word[cut:]
        if len(tail) < _MIN_PART or not _is_known(tail, known):
            continue
        for link in _LINKING_LETTERS:
            base = head[: len(head) - len(link)] if link and head.endswith(link) else (head if not link else "")
            if not base or len(base) < _MIN_PART:
                continue
            if _is_known(base, known):
                return [base, tail]
            deeper = _split(base, known, depth=depth + 1)
            if deeper:
                return [*deeper, tail]
    return []


def _is_known(part: str, known: _Known) -> bool:
    """A compound part must be a content word: never a function word ("för", "genom" in "genomför", "föreningen").

    Three-letter parts are accepted only from the built-in lexicon: a collection's vocabulary holds every short
    word it contains, and letting those split words ("del" + "egeras") added misleading index terms.
    """
    if part in STOPWORDS:
        return False
    stemmed = _stemmer().stemWord(part)
    if part in _BUILTIN_LEXICON or stemmed in _BUILTIN_LEXICON:
        return True
    if len(part) < _MIN_LEARNED_PART:
        return False
    return part in known.extra or (len(stemmed) >= _MIN_LEARNED_PART and stemmed in known.extra)


def is_stopword(word: str) -> bool:
    """True for Swedish (and a few English) function words."""
    return word.lower() in STOPWORDS


def index_terms(
    text: str,
    *,
    vocabulary: frozenset[str] = frozenset(),
    compounds: bool = True,
    keep_stopwords: bool = False,
) -> list[str]:
    """Search terms of a text: stems of its words plus stems of their compound parts (no å/ä/ö folding)."""
    terms: list[str] = []
    for token in tokenize(text):
        pieces = [p for p in re.split(r"[-'’:]", token) if p] if any(c in token for c in "-'’:") else [token]
        for piece in pieces:
            if not keep_stopwords and piece in STOPWORDS:
                continue
            terms.append(stem(piece))
            if compounds and piece.isalpha():
                terms.extend(stem(part) for part in split_compound(piece, vocabulary=vocabulary))
    return terms


def sentences(text: str) -> list[str]:
    """Split text into sentences at ., ! or ? followed by an upper-case letter or digit."""
    text = normalise(text)
    return [s.strip() for s in _SENTENCE_END_RE.split(text) if s.strip()] if text else []


def parse_swedish_date(text: str) -> dt.date | None:
    """Parse the first Swedish date in a text ("3 mars 2024", "2024-03-03", "3/3 2024") into a date."""
    found = find_dates(text)
    return found[0][1] if found else None


def find_dates(text: str) -> list[tuple[tuple[int, int], dt.date]]:
    """All valid dates in a text as ((start, end), date), in order of appearance."""
    hits: list[tuple[tuple[int, int], dt.date]] = []
    for pattern, order in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            value = _date_from_groups(match.groups(), order)
            if value and not any(s <= match.start() < e for (s, e), _ in hits):
                hits.append(((match.start(), match.end()), value))
    return sorted(hits, key=lambda hit: hit[0][0])


def _date_from_groups(groups: tuple[str, ...], order: tuple[str, ...]) -> dt.date | None:
    parts = dict(zip(order, groups, strict=True))
    month = _MONTHS.get(parts["M"].lower()) if "M" in parts else int(parts["m"])
    try:
        return dt.date(int(parts["y"]), month or 0, int(parts["d"]))
    except ValueError:
        return None


def normalise_dates(text: str) -> str:
    """Rewrite every recognised Swedish date in a text to ISO 8601 (YYYY-MM-DD)."""
    out, last = [], 0
    for (start, end), value in find_dates(text):
        out.extend([text[last:start], value.isoformat()])
        last = end
    out.append(text[last:])
    return "".join(out)


def lix(text: str) -> float:
    """LIX readability: words/sentences + 100 * long words (>6 letters)/words; 0.0 for empty text."""
    words = [w for w in tokenize(text) if any(c.isalpha() for c in w)]
    if not words:
        return 0.0
    sentence_count = max(1, len(re.findall(r"[.!?:]+(?:\s|$)", text)))
    long_words = sum(1 for w in words if len(w) > 6)
    return round(len(words) / sentence_count + 100 * long_words / len(words), 1)
