"""Drafting with a chat model: section by section, JSON answers validated, extractive fallback on garbage."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from radhus.core.errors import DataClassRefused
from radhus.notes.drafter import STAFF_ONLY_TEXT, draft_extractive
from radhus.notes.models import Draft, DraftSection, FieldType, Segment, Template, TemplateSection

# A chat callable takes OpenAI-style messages and returns the assistant's text.
Chat = Callable[[list[dict[str, str]]], str]

SYSTEM_PROMPT = (
    "Du hjälper kommunal personal att skriva dokumentation utifrån en transkription. Skriv sakligt på "
    "svenska och bara sådant som sägs i transkriptionen. Varje mening ska ange numren på de segment den "
    "bygger på. Gör aldrig egna bedömningar av personer. Svara endast med JSON."
)
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)


def numbered_transcript(segments: list[Segment], *, limit_chars: int = 60_000) -> str:
    """The transcript as numbered lines "[i] Namn: text" for the model to cite."""
    lines, used = [], 0
    for i, seg in enumerate(segments):
        line = f"[{i}] {seg.speaker + ': ' if seg.speaker else ''}{seg.text}"
        used += len(line)
        if used > limit_chars:
            break
        lines.append(line)
    return "\n".join(lines)


def parse_json_answer(answer: str) -> Any:
    """Parse a model's JSON answer, tolerating code fences and text around one JSON object."""
    text = _FENCE.sub("", answer.strip())
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end <= start:
            return None
        try:
            return json.loads(text[start : end + 1])
        except json.JSONDecodeError:
            return None


def _valid_sources(value: Any, count: int) -> list[int] | None:
    if not isinstance(value, list) or not value:
        return None
    if not all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < count for i in value):
        return None
    return sorted(set(value))


def validate_section_answer(data: Any, *, count: int) -> list[dict[str, Any]] | None:
    """Sentences with valid text and sources, or None when the answer does not follow the format."""
    if not isinstance(data, dict) or not isinstance(data.get("sentences"), list):
        return None
    sentences = []
    for item in data["sentences"]:
        if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item["text"].strip():
            return None
        sources = _valid_sources(item.get("sources"), count)
        if sources is None:
            return None
        sentences.append({"text": item["text"].strip(), "sources": sources})
    return sentences


def _section_messages(section: TemplateSection, transcript: str) -> list[dict[str, str]]:
    task = (
        f"Avsnitt: {section.title}\nInstruktion: {section.instruction}\n\n"
        'Svara med JSON: {"sentences": [{"text": "...", "sources": [segmentnummer]}]}. '
        "Tom lista om transkriptionen inte innehåller något för avsnittet.\n\nTranskription:\n"
        f"{transcript}"
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": task}]


def _fields_messages(template: Template, transcript: str) -> list[dict[str, str]]:
    described = "\n".join(f"- {f.key} ({f.type.value}): {f.label}. {f.instruction}" for f in template.fields)
    task = (
        "Fyll i fälten utifrån transkriptionen. Typer: names = lista av namn, name = ett namn, list = lista "
        "av texter, date = datum i formatet ÅÅÅÅ-MM-DD, text = text, number = tal.\n"
        f"{described}\n\n"
        'Svara med JSON: {"fields": {...}, "sources": {"fältnyckel": [segmentnummer]}}.\n\nTranskription:\n'
        f"{transcript}"
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": task}]


_TYPE_CHECKS: dict[FieldType, Callable[[Any], bool]] = {
    FieldType.TEXT: lambda v: isinstance(v, str),
    FieldType.NAME: lambda v: isinstance(v, str),
    FieldType.DATE: lambda v: isinstance(v, str),
    FieldType.NAMES: lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    FieldType.LIST: lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    FieldType.NUMBER: lambda v: isinstance(v, int | float) and not isinstance(v, bool),
}


def validate_fields_answer(data: Any, *, template: Template, count: int) -> tuple[dict, dict] | None:
    """Field values with the template's types (and their sources), or None on any mismatch."""
    if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
        return None
    values, sources = {}, {}
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, dict):
        raw_sources = {}
    for spec in template.fields:
        value = data["fields"].get(spec.key)
        if value is None or not _TYPE_CHECKS[spec.type](value):
            return None
        values[spec.key] = value
        sources[spec.key] = _valid_sources(raw_sources.get(spec.key), count) or []
    return values, sources


def draft_with_chat(*, segments: list[Segment], template: Template, chat: Chat) -> Draft:
    """Fill the template with a chat model; every section or field set it gets wrong falls back to extractive."""
    fallback = draft_extractive(segments=segments, template=template)
    transcript = numbered_transcript(segments)
    sections, fell_back = [], []
    for section, extractive in zip(template.sections, fallback.sections, strict=True):
        if section.staff_only:
            sections.append(DraftSection(key=section.key, title=section.title, text=STAFF_ONLY_TEXT))
            continue
        sentences = _ask(chat, _section_messages(section, transcript), segments)
        if sentences is None:
            sections.append(extractive)
            fell_back.append(section.key)
            continue
        sections.append(
            DraftSection(
                key=section.key,
                title=section.title,
                text=" ".join(s["text"] for s in sentences),
                sources=sorted({i for s in sentences for i in s["sources"]}),
                sentences=sentences,
            )
        )
    fields, field_sources = fallback.fields, fallback.field_sources
    if template.fields:
        answer = parse_json_answer(_safe_chat(chat, _fields_messages(template, transcript)) or "")
        checked = validate_fields_answer(answer, template=template, count=len(segments))
        if checked:
            fields, field_sources = checked
        else:
            fell_back.append("fält")
    notice = fallback.notice
    if fell_back:
        notice += f" Språkmodellens svar kunde inte användas för: {', '.join(fell_back)}; där används utdrag."
    return Draft(
        template=template.name,
        fields=fields,
        sections=sections,
        method="sprakmodell",
        notice=notice,
        field_sources=field_sources,
    )


def _safe_chat(chat: Chat, messages: list[dict[str, str]]) -> str | None:
    try:
        return chat(messages)
    except DataClassRefused:
        raise  # a refusal must reach the user, not be hidden behind a fallback
    except Exception:  # noqa: BLE001 - a failing model falls back to the extractive draft
        return None


def _ask(chat: Chat, messages: list[dict[str, str]], segments: list[Segment]) -> list[dict] | None:
    answer = _safe_chat(chat, messages)
    if answer is None:
        return None
    return validate_section_answer(parse_json_answer(answer), count=len(segments))
