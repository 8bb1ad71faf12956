"""Plain data types of the notes domain: segments, transcripts, templates, drafts and notes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


@dataclass
class Segment:
    """One piece of a transcript; times in seconds (None when the source had none)."""

    text: str
    start: float | None = None
    end: float | None = None
    speaker: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The segment as the JSON shape used by the CLI and web layer."""
        return {"start": self.start, "end": self.end, "speaker": self.speaker, "text": self.text}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Segment:
        """Build a segment from its JSON shape."""
        return cls(
            text=str(data.get("text", "")),
            start=_optional_float(data.get("start")),
            end=_optional_float(data.get("end")),
            speaker=data.get("speaker") or None,
        )


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass
class Transcript:
    """An ordered list of segments plus what produced them."""

    segments: list[Segment]
    language: str = "sv"
    model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The transcript as the JSON shape of `radhus notes transcribe --json`."""
        return {
            "segments": [segment.to_dict() for segment in self.segments],
            "language": self.language,
            "model": self.model,
        }


class FieldType(StrEnum):
    """Types an administrator may give a template field."""

    TEXT = "text"
    NAME = "name"
    NAMES = "names"
    LIST = "list"
    DATE = "date"
    NUMBER = "number"


@dataclass(frozen=True)
class TemplateField:
    """A typed field of a template, e.g. `justerare` of type name."""

    key: str
    label: str
    type: FieldType
    instruction: str = ""


@dataclass(frozen=True)
class TemplateSection:
    """A section of a template with the instruction for whoever (or whatever) drafts it."""

    key: str
    title: str
    instruction: str
    cues: tuple[str, ...] = ()  # words that mark sentences belonging to this section
    numbered: bool = False  # numbered paragraphs (§ 1, § 2 ...)
    staff_only: bool = False  # never drafted by a model; left for the staff member


@dataclass(frozen=True)
class Template:
    """A documentation template: sections plus typed fields."""

    name: str
    title: str
    description: str
    sections: tuple[TemplateSection, ...]
    fields: tuple[TemplateField, ...] = ()


@dataclass
class DraftSection:
    """A drafted section; `sources` are the indexes of the transcript segments it came from."""

    key: str
    title: str
    text: str
    sources: list[int] = field(default_factory=list)
    sentences: list[dict[str, Any]] = field(default_factory=list)  # [{"text": ..., "sources": [...]}]

    def to_dict(self) -> dict[str, Any]:
        """The section in the CLI JSON shape (key and per-sentence sources added for the web layer)."""
        return {
            "key": self.key,
            "title": self.title,
            "text": self.text,
            "sources": list(self.sources),
            "sentences": [dict(s) for s in self.sentences],
        }


@dataclass
class Draft:
    """A drafted note: field values and sections, always a draft until a person approves it."""

    template: str
    fields: dict[str, Any]
    sections: list[DraftSection]
    method: str = "extraktiv"  # "extraktiv" or "sprakmodell"
    notice: str = "UTKAST – skapat automatiskt och måste granskas av en människa."
    field_sources: dict[str, list[int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The draft in the JSON shape of `radhus notes draft --json`."""
        return {
            "template": self.template,
            "fields": self.fields,
            "sections": [section.to_dict() for section in self.sections],
            "method": self.method,
            "notice": self.notice,
            "field_sources": self.field_sources,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Draft:
        """Rebuild a draft from its JSON shape."""
        return cls(
            template=data["template"],
            fields=dict(data.get("fields", {})),
            sections=[
                DraftSection(
                    key=s.get("key", f"avsnitt{i}"),
                    title=s["title"],
                    text=s["text"],
                    sources=list(s.get("sources", [])),
                    sentences=list(s.get("sentences", [])),
                )
                for i, s in enumerate(data.get("sections", []))
            ],
            method=data.get("method", "extraktiv"),
            notice=data.get("notice", cls.notice),
            field_sources={k: list(v) for k, v in data.get("field_sources", {}).items()},
        )


class NoteState(StrEnum):
    """Review states; nothing is final without a person."""

    DRAFT = "utkast"
    EDITED = "redigerad"
    APPROVED = "godkand"
    EXPORTED = "exporterad"


@dataclass
class Edit:
    """One tracked edit: who, when, and a unified diff of the change."""

    user: str
    at: str  # ISO 8601, UTC
    diff: str
    target: str  # "section:<key>" or "field:<key>"


@dataclass
class Note:
    """A note under review, owned by one organisation."""

    id: str
    org: str
    draft: Draft
    state: NoteState = NoteState.DRAFT
    data_class: str = "kanslig"
    created_at: str = ""
    edits: list[Edit] = field(default_factory=list)
    approved_by: str | None = None
    approved_at: str | None = None
    audio_path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The full note as JSON-ready data."""
        data = asdict(self)
        data["draft"] = self.draft.to_dict()
        data["state"] = self.state.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Note:
        """Rebuild a note from `to_dict` output."""
        return cls(
            id=data["id"],
            org=data["org"],
            draft=Draft.from_dict(data["draft"]),
            state=NoteState(data.get("state", NoteState.DRAFT)),
            data_class=data.get("data_class", "kanslig"),
            created_at=data.get("created_at", ""),
            edits=[Edit(**e) for e in data.get("edits", [])],
            approved_by=data.get("approved_by"),
            approved_at=data.get("approved_at"),
            audio_path=data.get("audio_path"),
        )
