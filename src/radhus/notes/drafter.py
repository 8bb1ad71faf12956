"""The built-in extractive drafter: attendees, justerare, decisions, dates and key sentences, with sources."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from radhus.notes.dates import FoundDate, find_dates, normalise_date
from radhus.notes.models import (
    Draft,
    DraftSection,
    FieldType,
    Segment,
    Template,
    TemplateField,
    TemplateSection,
)
from radhus.notes.transcript import split_sentences

STAFF_ONLY_TEXT = "[Fylls i av handläggaren. Bedömningen är personalens egen och skapas aldrig automatiskt.]"

_NAME_TOKEN = r"[A-ZÅÄÖÉ][a-zåäöéüë]+(?:-[A-ZÅÄÖ][a-zåäöéüë]+)?"
_FULL_NAME = re.compile(rf"\b{_NAME_TOKEN}(?:\s+(?:af\s+|von\s+|de\s+)?{_NAME_TOKEN}){{0,2}}\b")
_NOT_NAMES = set(
    """jag vi du ni han hon de det den dem då och men så nu här där idag i dag med från till för om att
    en ett som är var har hade kan ska vill får på av ja nej hej tack okej bra välkomna välkommen
    närvarande frånvarande ordförande ordföranden sekreterare sekreteraren justerare beslut förslag
    förslaget punkt ärende nästa mötet möte sammanträdet nämnden kommunen förvaltningen styrelsen
    socialtjänsten skolan rådet pensionärsrådet kommunstyrelsen protokollet alla även också dessutom
    vidare först sedan slutligen vem vad när hur varför mamma pappa elev eleven läraren mentor mentorn
    handläggare handläggaren socialsekreterare socialsekreteraren vårdnadshavare måndag tisdag onsdag
    torsdag fredag lördag söndag januari februari mars april maj juni juli augusti september oktober
    november december övrigt övriga fråga frågor bakgrund dagordningen dagordning godkänns
    perfekt toppen precis absolut självklart mm mhm aha""".split()
)
_ROLE_PREFIX = re.compile(
    r"^(?:ordförande(?:n)?|sekreterare(?:n)?|handläggare(?:n)?|socialsekreterare(?:n)?|mentor(?:n)?|"
    r"lärare(?:n)?|rektor(?:n)?|enhetschef(?:en)?|vice ordförande)\s+",
    re.IGNORECASE,
)
_GENERIC_SPEAKER = re.compile(
    r"^(?:talare|speaker|deltagare|person|röst|klient|brukare|elev|förälder|vårdnadshavare|ledamot|"
    r"ordförande(?:n)?|sekreterare(?:n)?|handläggare(?:n)?|intervjuare|moderator)[\s_-]*\d*$",
    re.IGNORECASE,
)
_PREPOSITIONS = {"i", "på", "från", "till", "vid", "hos", "inom", "för", "mot", "av", "om", "under", "över"}

_INTRO = re.compile(rf"\b(?:jag heter|mitt namn är|jag är|här är|det här är)\s+({_FULL_NAME.pattern})")
_ATTENDANCE = re.compile(
    r"\b(närvarande|deltar|deltagare|med oss|med på mötet|på plats|välkommen|välkomna|presentationsrunda|"
    r"är med|var med|sitter med|medverkar|närvarar|finns med|ansluten|anslutit|ledamöter|ledamot|upprop|"
    r"närvaro|här idag|här i dag|i rummet|tjänstgörande|ersättare)\b",
    re.IGNORECASE,
)
_ABSENT = re.compile(r"\b(frånvarande|anmält förhinder|förhinder|kunde inte komma|är sjuk|är inte med)\b", re.I)
_JUSTER = re.compile(r"\bjuster\w*", re.IGNORECASE)
_CHAIR = re.compile(rf"\bordförande(?:n)?\s+({_FULL_NAME.pattern})")

_DECISION_CUES = re.compile(
    r"\b(beslutar|beslutade|beslutat|beslutas|beslöt|beslut\s*:|får i uppdrag|ges i uppdrag|ger\b.{0,60}\bi uppdrag|"
    r"godkänner|godkänns|godkändes|fastställer|fastställs|fastställdes|läggs till handlingarna|"
    r"lägg(?:a|er|s)\b.{0,60}\btill handlingarna|beviljas|beviljar|beviljades|avslås|avslår|tillstyrker|antar|antas|"
    r"bifaller|bifalls|vi bestämmer|vi har bestämt|vi bestämde|bestämmer vi)",
    re.IGNORECASE,
)
_REFERENTIAL = re.compile(
    r"(då är det beslutat|det är beslutat|så beslutas|så beslutat|beslutar enligt förslaget|"
    r"enligt förslaget|i enlighet med förslaget|bifall till förslaget|bifaller förslaget|"
    r"godkänner förslaget|förslaget godkänns|förslaget antas|antar förslaget|enligt förvaltningens förslag|"
    r"så blir det|då bestämmer vi det|då kör vi på det)",
    re.IGNORECASE,
)
_NOT_DECIDED = re.compile(
    r"(\?\s*$|\b(?:kan|kunde|ska|skall|kommer att|behöver|bör|måste|hinner)\s+(?:inte\s+)?(?:besluta|fatta beslut)|"
    r"\binget beslut|\binte beslut|\binnan vi beslutar|\bom vi beslutar|\bvill ni besluta|\bföreslår att\b|"
    r"\bförslag till beslut|\bbeslut fattas\b.{0,30}\bnästa|\bbeslutet från förra|\bförra mötet|"
    r"\bvid förra|\btidigare beslut|\btog vi beslut|\bbeslutade vi förra)",
    re.IGNORECASE,
)
_PROPOSAL = re.compile(
    r"\b(?:föreslår|föreslås|yrkar|förslag(?:et)? är|förslag till beslut|förslaget)\b\s*(?:är\s+)?(?::\s*)?"
    r"(?:att\s+)?(?P<content>.+)",
    re.IGNORECASE,
)
_NEXT_MEETING = re.compile(
    r"\b(nästa (?:möte|sammanträde|träff|samtal|utvecklingssamtal|gång|uppföljning)|ses (?:igen|nästa gång)|"
    r"träffas (?:igen|nästa gång)|följ(?:a|er) upp|uppföljning|återses|nytt möte|ny tid)",
    re.IGNORECASE,
)
_ACTION = re.compile(
    r"\b(får i uppdrag|ges i uppdrag|ansvarar för|tar fram|återkommer|ska ta|ska kontakta|ska skicka|"
    r"kommer att|överens om|vi bestämmer|vi bestämde|lovar att|ska se till|ska boka|tar med)",
    re.IGNORECASE,
)
_FILLER = re.compile(r"^(?:ja|okej|ok|bra|då|så|och|men|jaha|precis|toppen|perfekt)\b[,.!]?\s*", re.IGNORECASE)
_WORD = re.compile(r"[a-zåäöéü0-9]+", re.IGNORECASE)
_STOP = set(
    """och att det som är en på för med inte jag har till av om vi den de ett så men kan ska från här vad
    eller när också där var mycket bara nu då skulle hade blir alla efter under sig mötet ja nej du ni
    hon han dem oss er mig dig sin sitt sina vara bli få får fick gör göra nog lite väl tack okej""".split()
)


MEETING_DATE_WINDOW = 8  # sentences at the start where the meeting's own date is looked for
PROPOSAL_HORIZON = 8  # segments after which an unconfirmed proposal is forgotten
_AGENDA = re.compile(r"\b(ärende|punkt|paragraf|dagordningens)\b", re.IGNORECASE)
_HEADING = re.compile(r"^(?:\w+\s+){0,2}(?:punkt(?:en)?|ärende(?:t)?|paragraf)(?:\s+\w+)?\s*:\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Unit:
    """One sentence of the transcript, with its segment index and speaker."""

    index: int
    speaker: str | None
    text: str


@dataclass
class Extraction:
    """What the extractive pass found, each item with its source segment indexes."""

    attendees: list[str] = field(default_factory=list)
    attendee_sources: list[int] = field(default_factory=list)
    justerare: str | None = None
    justerare_sources: list[int] = field(default_factory=list)
    decisions: list[tuple[str, list[int], str | None]] = field(default_factory=list)  # text, sources, context
    next_meeting: str | None = None
    next_meeting_sources: list[int] = field(default_factory=list)
    meeting_date: str | None = None
    actions: list[tuple[str, list[int]]] = field(default_factory=list)


def units_of(segments: list[Segment]) -> list[Unit]:
    """Split every segment into sentences, keeping the segment index."""
    return [Unit(i, seg.speaker, sentence) for i, seg in enumerate(segments) for sentence in split_sentences(seg.text)]


# --- names -----------------------------------------------------------------------------------------


def _lowercase_vocabulary(units: list[Unit]) -> set[str]:
    """Words that occur in lower case somewhere: capitalised forms of them are not names."""
    vocab: set[str] = set()
    for unit in units:
        for word in unit.text.split()[1:]:
            token = word.strip(".,:;!?()\"'")
            if token and token[0].islower():
                vocab.add(token.lower())
    return vocab


def _clean_name(candidate: str, common: set[str]) -> str | None:
    tokens = [t for t in candidate.split() if t.lower() not in _NOT_NAMES]
    while tokens and tokens[0].lower() in common:
        tokens = tokens[1:]
    while tokens and tokens[-1].lower() in common:
        tokens = tokens[:-1]
    if not tokens or any(t.lower() in common for t in tokens):
        return None
    return " ".join(tokens)


def names_in(text: str, common: set[str], *, strict_single: bool = False) -> list[str]:
    """Person names in a sentence: capitalised word runs that are not ordinary Swedish words."""
    found = []
    for m in _FULL_NAME.finditer(text):
        name = _clean_name(m.group(0), common)
        if not name or name in found:
            continue
        if strict_single and " " not in name and _doubtful_single(text, text.find(name)):
            continue
        found.append(name)
    return found


def _doubtful_single(text: str, position: int) -> bool:
    """A lone capitalised word at the sentence start or after a preposition is rarely a person."""
    before = text[:position].split()
    return not before or before[-1].lower().strip(",.:") in _PREPOSITIONS


def speaker_name(label: str | None) -> str | None:
    """A person's name from a speaker label; None for roles and generic labels."""
    if not label:
        return None
    label = re.sub(r"\s*\(.*?\)\s*", " ", label).strip()
    label = _ROLE_PREFIX.sub("", label).strip()
    if not label or _GENERIC_SPEAKER.match(label) or label.lower() in _NOT_NAMES:
        return None
    if not re.fullmatch(rf"{_NAME_TOKEN}(?:\s+{_NAME_TOKEN}\.?|\s+[A-ZÅÄÖ]\.)*", label):
        return None
    return label


def _merge_first_names(names: list[str]) -> list[str]:
    """Drop a bare first name when a full name starting with it is also known."""
    full = [n for n in names if " " in n]
    merged = []
    for name in names:
        if " " not in name and any(f.split()[0] == name for f in full):
            continue
        if name not in merged:
            merged.append(name)
    return merged


def resolve_name(name: str, known: list[str]) -> str:
    """Map a first name to the full name of a known attendee when it is unambiguous."""
    matches = [k for k in known if k.split()[0] == name.split()[0]] if " " not in name else []
    return matches[0] if len(matches) == 1 else name


def find_attendees(units: list[Unit], common: set[str]) -> tuple[list[str], list[int]]:
    """Attendees from speaker labels, introductions and attendance sentences; absentees removed."""
    names: list[str] = []
    sources: list[int] = []
    absent: set[str] = set()
    for unit in units:
        found: list[str] = []
        label = speaker_name(unit.speaker)
        if label:
            found.append(label)
        found += [_clean_name(m.group(1), common) or "" for m in _INTRO.finditer(unit.text)]
        if _ABSENT.search(unit.text):
            absent.update(_names_after_absence(unit.text, common))
        elif _ATTENDANCE.search(unit.text):
            found += names_in(unit.text, common, strict_single=True)
        for name in filter(None, found):
            if name not in names:
                names.append(name)
            if unit.index not in sources and name != label:
                sources.append(unit.index)
    merged = [n for n in _merge_first_names(names) if n not in absent and n.split()[0] not in absent]
    return merged, sorted(sources)


def _names_after_absence(text: str, common: set[str]) -> list[str]:
    m = _ABSENT.search(text)
    if m is None:
        return []
    before, after = text[: m.start()], text[m.end() :]
    if re.search(r"frånvarande", m.group(0), re.I) and names_in(after, common):
        return names_in(after, common)
    return names_in(before, common)[-2:]


# --- justerare ------------------------------------------------------------------------------------------


def find_justerare(units: list[Unit], attendees: list[str], common: set[str]) -> tuple[str | None, list[int]]:
    """The person chosen to check (justera) the minutes."""
    for pos, unit in enumerate(units):
        if not _JUSTER.search(unit.text):
            continue
        chairs = {m.group(1) for m in _CHAIR.finditer(unit.text)}
        candidates = [n for n in names_in(unit.text, common) if n not in chairs]
        if candidates:
            return resolve_name(candidates[0], attendees), [unit.index]
        me = speaker_name(unit.speaker)
        if me and re.search(r"\bjag\b", unit.text, re.I) and not unit.text.rstrip().endswith("?"):
            return me, [unit.index]
        answer = _volunteer(units[pos + 1 : pos + 4])
        if answer:
            return answer[0], [unit.index, answer[1]]
    return None, []


def _volunteer(following: list[Unit]) -> tuple[str, int] | None:
    for unit in following:
        me = speaker_name(unit.speaker)
        if me and re.search(r"\b(jag kan|jag tar|jag justerar|gärna|det kan jag|ja)\b", unit.text, re.I):
            return me, unit.index
    return None


# --- decisions --------------------------------------------------------------------------------------------


def _tidy(text: str) -> str:
    text = re.sub(r"^\s*beslut\s*:\s*", "", text, flags=re.I).strip()
    text = _HEADING.sub("", text)
    for _ in range(3):
        text = _FILLER.sub("", text).strip()
    text = re.sub(r"\s+", " ", text).strip(" ,")
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    if text and text[-1] not in ".!":
        text += "."
    return text


def _content_words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text) if w.lower() not in _STOP and len(w) > 2}


def overlap(a: str, b: str) -> float:
    """Share of the smaller text's content words that the other text also has."""
    wa, wb = _content_words(a), _content_words(b)
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


def find_decisions(units: list[Unit]) -> list[tuple[str, list[int], str | None]]:
    """Decisions from cue phrases; "då är det beslutat" resolves to the proposal before it."""
    decisions: list[tuple[str, list[int], str | None]] = []
    proposal: tuple[str, int] | None = None
    heading: str | None = None
    decided_under_heading = False
    for unit in units:
        text = unit.text.strip()
        if _AGENDA.search(text) and not _DECISION_CUES.search(text):
            heading, decided_under_heading = text, False
        elif heading and len(_content_words(_topic(heading))) < 2 and not _DECISION_CUES.search(text):
            heading = f"{heading} {text}"
        proposal_match = _PROPOSAL.search(text)
        is_proposal = proposal_match is not None and not _REFERENTIAL.search(text)
        if proposal_match is not None and is_proposal and not re.search(r"\bbeslut\s*:", text, re.I):
            content = proposal_match.group("content")
            if len(_content_words(content)) >= 2 and not _JUSTER.search(text):
                proposal = (content, unit.index)
            continue
        if proposal and unit.index - proposal[1] > PROPOSAL_HORIZON:
            proposal = None
        if not _DECISION_CUES.search(text) and not _REFERENTIAL.search(text):
            continue
        if _NOT_DECIDED.search(text) and not re.search(r"\bbeslut\s*:", text, re.I):
            continue
        referential = _REFERENTIAL.search(text) or len(_content_words(text)) < 3
        if referential and proposal:
            _add_decision(decisions, _tidy(proposal[0]), [proposal[1], unit.index], heading)
        elif not referential:
            _add_decision(decisions, _tidy(text), [unit.index], heading)
        elif heading and not decided_under_heading and _DECISION_CUES.search(text):
            topic = _tidy(_topic(heading)).rstrip(".")
            _add_decision(decisions, f"{topic}: {_tidy(text)}", [unit.index], None)
        else:
            continue
        proposal, decided_under_heading = None, True
    return decisions


def _topic(heading: str) -> str:
    """An agenda heading without its "Punkt 4." or "Ärende två:" prefix."""
    return re.sub(r"^(?:\w+\s+)?(?:punkt(?:en)?|ärende(?:t)?|paragraf)\s*[\w§]*\s*[.:,]?\s*", "", heading, flags=re.I)


def _add_decision(decisions: list, text: str, sources: list[int], context: str | None) -> None:
    for i, (existing, existing_sources, ctx) in enumerate(decisions):
        if overlap(existing, text) >= 0.7:
            merged = sorted(set(existing_sources) | set(sources))
            decisions[i] = (existing if len(existing) >= len(text) else text, merged, ctx)
            return
    decisions.append((text, sources, context))


def with_full_names(text: str, attendees: list[str]) -> str:
    """Write a known attendee's full name where the text uses only the first name."""
    for name in attendees:
        parts = name.split()
        if len(parts) < 2 or name in text:
            continue
        same_first = [a for a in attendees if a.split()[0] == parts[0]]
        if len(same_first) == 1:
            text = re.sub(rf"\b{re.escape(parts[0])}\b(?!\s+[A-ZÅÄÖ])", name, text)
    return text


# --- dates -----------------------------------------------------------------------------------------


def _reference_date(units: list[Unit]) -> date | None:
    """The meeting's own date when the opening of the transcript states it with a year."""
    for unit in units[:MEETING_DATE_WINDOW]:
        if _NEXT_MEETING.search(unit.text):
            continue
        for found in find_dates(unit.text):
            if found.year:
                return date(found.year, found.month, found.day)
    return None


def find_next_meeting(units: list[Unit], reference: date | None) -> tuple[str | None, list[int]]:
    """Date of the next meeting or follow-up, normalised (ISO when the year is known)."""
    for pos, unit in enumerate(units):
        if not _NEXT_MEETING.search(unit.text):
            continue
        for candidate in units[pos : pos + 3]:
            found = _first_future_date(candidate.text, reference)
            if found:
                return normalise_date(found, reference=reference), sorted({unit.index, candidate.index})
    return None, []


def _first_future_date(text: str, reference: date | None) -> FoundDate | None:
    for found in find_dates(text):
        if found.year and reference and date(found.year, found.month, found.day) < reference:
            continue
        return found
    return None


def find_meeting_date(units: list[Unit], reference: date | None) -> str | None:
    """The date of the meeting itself, when mentioned near its start."""
    for unit in units[:MEETING_DATE_WINDOW]:
        dates = find_dates(unit.text)
        if dates and not _NEXT_MEETING.search(unit.text):
            return normalise_date(dates[0], reference=reference)
    return None


def find_actions(units: list[Unit]) -> list[tuple[str, list[int]]]:
    """Agreed actions: who does what ("får i uppdrag", "ansvarar för", "vi är överens om ...")."""
    actions: list[tuple[str, list[int]]] = []
    for unit in units:
        if _ACTION.search(unit.text) and not unit.text.rstrip().endswith("?"):
            text = _tidy(unit.text)
            if len(_content_words(text)) >= 3 and not any(overlap(text, a) >= 0.7 for a, _ in actions):
                actions.append((text, [unit.index]))
    return actions


def extract(segments: list[Segment]) -> Extraction:
    """Run every extractor over the transcript."""
    units = units_of(segments)
    common = _lowercase_vocabulary(units) | _NOT_NAMES
    result = Extraction()
    result.attendees, result.attendee_sources = find_attendees(units, common)
    result.justerare, result.justerare_sources = find_justerare(units, result.attendees, common)
    if result.justerare and result.justerare not in result.attendees:
        result.attendees.append(result.justerare)
    result.decisions = [(with_full_names(text, result.attendees), src, ctx) for text, src, ctx in find_decisions(units)]
    reference = _reference_date(units)
    result.next_meeting, result.next_meeting_sources = find_next_meeting(units, reference)
    result.meeting_date = find_meeting_date(units, reference)
    result.actions = find_actions(units)
    return result


# --- sections -------------------------------------------------------------------------------------


def _key_sentences(units: list[Unit], section: TemplateSection, used: set[tuple[int, str]], limit: int = 4):
    scored = []
    frequencies = Counter(w for u in units for w in _content_words(u.text))
    for order, unit in enumerate(units):
        words = _content_words(unit.text)
        if len(words) < 3 or (unit.index, unit.text) in used or unit.text.rstrip().endswith("?"):
            continue
        cue_hits = sum(cue in unit.text.lower() for cue in section.cues)
        if section.cues and not cue_hits:
            continue
        salience = sum(frequencies[w] for w in words) / (len(words) ** 0.5)
        scored.append((cue_hits * 100 + salience, order, unit))
    best = sorted(scored, key=lambda item: -item[0])[:limit]
    return [unit for _score, _order, unit in sorted(best, key=lambda item: item[1])]


def _section_from_units(section: TemplateSection, chosen: list[Unit]) -> DraftSection:
    sentences: list[dict[str, Any]] = [{"text": _tidy(u.text), "sources": [u.index]} for u in chosen]
    return DraftSection(
        key=section.key,
        title=section.title,
        text=" ".join(s["text"] for s in sentences),
        sources=sorted({u.index for u in chosen}),
        sentences=sentences,
    )


def _listing(section: TemplateSection, items: list[tuple[str, list[int]]], *, numbered: bool) -> DraftSection:
    sentences: list[dict[str, Any]] = [
        {"text": f"§ {n}. {text}" if numbered else text, "sources": sorted(set(sources))}
        for n, (text, sources) in enumerate(items, start=1)
    ]
    return DraftSection(
        key=section.key,
        title=section.title,
        text="\n".join(s["text"] for s in sentences),
        sources=sorted({i for _t, sources in items for i in sources}),
        sentences=sentences,
    )


def draft_section(section: TemplateSection, facts: Extraction, units: list[Unit], used: set) -> DraftSection:
    """Draft one section from the extraction, or from key sentences when no extractor fits."""
    key = section.key
    if section.staff_only:
        return DraftSection(key=key, title=section.title, text=STAFF_ONLY_TEXT, sources=[], sentences=[])
    if key in ("narvarande", "deltagare"):
        text = ", ".join(facts.attendees) if facts.attendees else "[Inga namn hittades – fyll i.]"
        return _listing(section, [(text, facts.attendee_sources)], numbered=False)
    if key in ("justering", "justerare"):
        text = f"Till justerare valdes {facts.justerare}." if facts.justerare else "[Justerare – fyll i.]"
        return _listing(section, [(text, facts.justerare_sources)], numbered=False)
    if key in ("beslut", "notiser", "paragrafer", "beslut_atgarder"):
        return _decision_section(section, facts)
    if key in ("nasta_mote", "uppfoljning") and facts.next_meeting:
        chosen = [u for u in units if u.index in facts.next_meeting_sources and _NEXT_MEETING.search(u.text)]
        return _section_from_units(section, chosen[:2])
    chosen = _key_sentences(units, section, used)
    used.update((u.index, u.text) for u in chosen)
    return _section_from_units(section, chosen)


def _decision_section(section: TemplateSection, facts: Extraction) -> DraftSection:
    if section.key == "paragrafer":
        items = [(f"{ctx_text(ctx)}Beslut: {text}", src) for text, src, ctx in facts.decisions]
        return _listing(section, items, numbered=True)
    if section.key == "notiser":
        items = [(plain_notice(text), src) for text, src, _ctx in facts.decisions]
        return _listing(section, items, numbered=False)
    items = [(text, src) for text, src, _ctx in facts.decisions]
    if section.key == "beslut_atgarder":
        items += [a for a in facts.actions if not any(overlap(a[0], t) >= 0.7 for t, _ in items)]
    return _listing(section, items, numbered=False)


def ctx_text(context: str | None) -> str:
    """The discussed proposal in front of a paragraph's decision."""
    return f"{_tidy(context)} " if context else ""


def plain_notice(decision: str) -> str:
    """A short plain-Swedish notice of one decision."""
    text = re.sub(r"^(?:nämnden|styrelsen|rådet|kommunstyrelsen)\s+beslutar\s+(?:att\s+)?", "", decision, flags=re.I)
    text = text[0].lower() + text[1:] if text else text
    return f"Beslut: {text}" if text == decision.lower() else f"Det är beslutat att {text}"


# --- fields -------------------------------------------------------------------------------------------


def field_value(spec: TemplateField, facts: Extraction) -> tuple[object, list[int]]:
    """The value of one template field from the extraction, by key first and type second."""
    key = spec.key
    if key in ("narvarande", "deltagare") or spec.type is FieldType.NAMES:
        return list(facts.attendees), facts.attendee_sources
    if key == "justerare":
        return facts.justerare or "", facts.justerare_sources
    if key == "beslut":
        return [t for t, _s, _c in facts.decisions], sorted({i for _t, s, _c in facts.decisions for i in s})
    if key in ("atgarder", "overenskommelser"):
        return [t for t, _s in facts.actions], sorted({i for _t, s in facts.actions for i in s})
    if spec.type is FieldType.DATE and key in ("datum", "motesdatum"):
        return facts.meeting_date or "", []
    if spec.type is FieldType.DATE:
        return facts.next_meeting or "", facts.next_meeting_sources
    if spec.type is FieldType.LIST:
        return [], []
    return "", []


def draft_extractive(*, segments: list[Segment], template: Template) -> Draft:
    """A complete extractive draft of the template, every sentence with its source segments."""
    units = units_of(segments)
    facts = extract(segments)
    used: set[tuple[int, str]] = set()
    sections = [draft_section(section, facts, units, used) for section in template.sections]
    fields, field_sources = {}, {}
    for spec in template.fields:
        fields[spec.key], field_sources[spec.key] = field_value(spec, facts)
    return Draft(
        template=template.name,
        fields=fields,
        sections=sections,
        method="extraktiv",
        field_sources=field_sources,
    )
