"""Transcript parsing (plain text, "[hh:mm:ss] Namn: text", WebVTT, SRT, JSON) and a language check."""

from __future__ import annotations

import json
import re
from pathlib import Path

from radhus.core.errors import InvalidInput
from radhus.notes.models import Segment

_TS = r"(?:(\d{1,2}):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?"
_CUE_TIME = re.compile(rf"^\s*{_TS}\s*-->\s*{_TS}")
_PREFIX = re.compile(rf"^\s*[\[(]{_TS}[\])]\s*(.*)$")
_SPEAKER = re.compile(
    r"^(?P<label>[A-ZÅÄÖÉ][\wÅÄÖåäöéü.\-]*(?:\s+[A-ZÅÄÖÉ(0-9][\wÅÄÖåäöéü.()\-]*){0,3})\s*:\s+(?P<text>.+)$"
)
_VOICE = re.compile(r"^<v(?:\.[^ >]*)?\s+([^>]+)>(.*?)(?:</v>)?$")
_TAG = re.compile(r"<[^>]+>")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9§\"'])")

# Words that end in a colon at the start of a line but are headings or cues, not speakers.
NOT_SPEAKERS = {
    "beslut", "beslutet", "förslag", "förslaget", "ärende", "punkt", "paragraf", "notering", "obs",
    "justerare", "justering", "närvarande", "frånvarande", "datum", "tid", "plats", "dagordning",
    "nästa möte", "övrigt", "övriga frågor", "sammanfattning", "åtgärd", "åtgärder", "bakgrund",
    "protokoll", "anteckningar", "kommentar", "fråga", "svar",
    "mötet", "mötets öppnande", "uppdrag", "not", "ps", "ämne", "rubrik",
}  # fmt: skip


def _seconds(h: str | None, m: str, s: str, frac: str | None) -> float:
    value = int(h or 0) * 3600 + int(m) * 60 + int(s)
    return round(value + (int(frac.ljust(3, "0")) / 1000 if frac else 0.0), 3)


def split_speaker(line: str) -> tuple[str | None, str]:
    """Split "Namn: text" into (speaker, text); headings such as "Beslut: ..." keep no speaker."""
    m = _SPEAKER.match(line.strip())
    label = m["label"].strip().lower().rstrip(".") if m else ""
    if not m or label in NOT_SPEAKERS or label.split()[0] in NOT_SPEAKERS:
        return None, line.strip()
    return m["label"].strip(), m["text"].strip()


def parse_transcript(text: str, *, filename: str | None = None) -> list[Segment]:
    """Parse a transcript in any supported format into segments; raises a Swedish error when empty."""
    body = text.lstrip("\ufeff").strip()
    if not body:
        raise InvalidInput("Transkriptionen är tom.")
    suffix = Path(filename).suffix.lower() if filename else ""
    if suffix == ".json" or body.startswith("{") or re.match(r"\[\s*[{\]]", body):
        segments = _parse_json(body)
    elif body.startswith("WEBVTT") or suffix == ".vtt":
        segments = _parse_cues(body, webvtt=True)
    elif suffix == ".srt" or _looks_like_srt(body):
        segments = _parse_cues(body, webvtt=False)
    else:
        segments = _parse_lines(body)
    segments = [s for s in segments if s.text.strip()]
    if not segments:
        raise InvalidInput("Transkriptionen innehåller ingen text.")
    return segments


def read_transcript(path: Path) -> list[Segment]:
    """Read and parse a transcript file (UTF-8)."""
    if not path.is_file():
        raise InvalidInput(f"Filen {path.name} finns inte.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"Filen {path.name} är inte en textfil i UTF-8.") from exc
    return parse_transcript(text, filename=path.name)


def _parse_json(body: str) -> list[Segment]:
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"Transkriptionen är inte giltig JSON (rad {exc.lineno}).") from exc
    items = data.get("segments") if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(i, dict) and "text" in i for i in items):
        raise InvalidInput('JSON-transkriptionen ska vara en lista av segment med fältet "text".')
    try:
        return [Segment.from_dict(item) for item in items]
    except (TypeError, ValueError) as exc:
        raise InvalidInput("Ett segment i JSON-transkriptionen har ogiltiga tider.") from exc


def _looks_like_srt(body: str) -> bool:
    lines = body.splitlines()
    return len(lines) >= 2 and lines[0].strip().isdigit() and bool(_CUE_TIME.match(lines[1]))


def _parse_cues(body: str, *, webvtt: bool) -> list[Segment]:
    segments: list[Segment] = []
    for block in re.split(r"\n\s*\n", body.replace("\r\n", "\n")):
        lines = [line for line in block.splitlines() if line.strip()]
        timing = next((i for i, line in enumerate(lines) if _CUE_TIME.match(line)), None)
        if timing is None:
            continue
        m = _CUE_TIME.match(lines[timing])
        if m is None:  # cannot happen: `timing` is the index of a line that matched
            continue
        start, end = _seconds(*m.groups()[:4]), _seconds(*m.groups()[4:])
        speaker, text = _cue_text(lines[timing + 1 :])
        segments.append(Segment(text=text, start=start, end=end, speaker=speaker))
    return segments


def _cue_text(lines: list[str]) -> tuple[str | None, str]:
    joined = " ".join(line.strip() for line in lines)
    voice = _VOICE.match(joined)
    if voice:
        return voice[1].strip(), _TAG.sub("", voice[2]).strip()
    return split_speaker(_TAG.sub("", joined))


def _parse_lines(body: str) -> list[Segment]:
    segments: list[Segment] = []
    for line in body.splitlines():
        if not line.strip():
            continue
        start = None
        prefixed = _PREFIX.match(line)
        if prefixed:
            start = _seconds(*prefixed.groups()[:4])
            line = prefixed[5]
        speaker, text = split_speaker(line)
        segments.extend(_split_long(Segment(text=text, start=start, speaker=speaker)))
    _fill_ends(segments)
    return segments


def _split_long(segment: Segment, limit: int = 600) -> list[Segment]:
    """Break a very long unlabelled paragraph into sentence segments so sources stay precise."""
    if len(segment.text) <= limit:
        return [segment]
    parts = [p for p in _SENTENCE_END.split(segment.text) if p.strip()]
    return [Segment(text=p, start=segment.start, speaker=segment.speaker) for p in parts]


def _fill_ends(segments: list[Segment]) -> None:
    for current, following in zip(segments, segments[1:], strict=False):
        if current.start is not None and following.start is not None and current.end is None:
            current.end = following.start


def split_sentences(text: str) -> list[str]:
    """Split text into sentences at ., ! or ? followed by a capital letter or digit."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


# --- language check -------------------------------------------------------------------------------

_STOPWORDS = {
    "sv": "och att det som är en på för med inte jag har till av om vi den de ett så men kan ska från här "
    "vad eller när också där var mycket bara nu då skulle hade blir alla efter under sig mötet",
    "en": "the and to of is that it in you for we on with this be are have not was but they at what "
    "so can will there from our about would",
    "de": "und der die das ist nicht ich wir sie es zu den mit auf für ein eine sich auch auf dass",
    "no": "og ikke jeg er det til av på som en for med har vi kan skal hva også fra meg deg hvordan",
    "da": "og ikke jeg er det til af på som en for med har vi kan skal hvad også fra mig dig hvordan",
    "fi": "ja on ei se että oli hän mutta kun niin myös tai ovat minä sinä me te he tämä",
    "fr": "le la les et est une un des que qui dans pour pas sur nous vous avec ce il elle",
    "es": "el la los las y es una un que de en por para con no se nosotros usted pero como",
}
LANGUAGE_NAMES_SV = {
    "sv": "svenska", "en": "engelska", "de": "tyska", "no": "norska", "da": "danska", "fi": "finska",
    "fr": "franska", "es": "spanska",
}  # fmt: skip
_WORD = re.compile(r"[a-zåäöæøéüßàèìòùç]+", re.IGNORECASE)


def guess_language(text: str) -> tuple[str, float]:
    """Best-matching language code and its share of stop-word hits (a simple stop-word vote)."""
    words = [w.lower() for w in _WORD.findall(text)][:5000]
    if not words:
        return "sv", 0.0
    scores = {lang: sum(w in set(stops.split()) for w in words) for lang, stops in _STOPWORDS.items()}
    best = max(scores, key=scores.__getitem__)
    return best, scores[best] / len(words)


def check_swedish(segments: list[Segment], *, min_words: int = 12) -> None:
    """Raise a Swedish error when the transcript is clearly in another language than Swedish."""
    text = " ".join(s.text for s in segments)
    if len(_WORD.findall(text)) < min_words:
        return
    language, share = guess_language(text)
    if language != "sv" and share > 0.08:
        name = LANGUAGE_NAMES_SV.get(language, language)
        raise InvalidInput(
            f"Transkriptionen verkar vara på {name}, inte svenska. Utkast skapas bara från svenska samtal; "
            "översätt texten först eller kontrollera att rätt fil valts.",
            detail={"language": language},
        )
