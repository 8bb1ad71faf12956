"""Export a note as DOCX (python-docx), PDF (reportlab), JSON or plain text."""

from __future__ import annotations

import io
import json
from xml.sax.saxutils import escape

from radhus.core.errors import InvalidInput
from radhus.notes.models import Note
from radhus.notes.review import is_final

FORMATS = ("docx", "pdf", "json", "txt")
_DRAFT_MARK = "UTKAST – ej godkänt av granskare"


def _title(note: Note) -> str:
    return note.draft.template.replace("_", " ").capitalize()


def _status_line(note: Note) -> str:
    if is_final(note):
        return f"Godkänd av {note.approved_by} {note.approved_at}"
    return f"{_DRAFT_MARK}. {note.draft.notice}"


def _field_lines(note: Note) -> list[str]:
    lines = []
    for key, value in note.draft.fields.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value or "")
        lines.append(f"{key}: {shown}")
    return lines


def to_txt(note: Note) -> bytes:
    """Plain text for pasting into a case system."""
    parts = [_title(note), _status_line(note), "", *_field_lines(note), ""]
    for section in note.draft.sections:
        parts += [section.title, section.text, ""]
    return "\n".join(parts).encode("utf-8")


def to_json(note: Note) -> bytes:
    """The whole note, edits and approval included, as UTF-8 JSON."""
    data = note.to_dict()
    data["final"] = is_final(note)
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def to_docx(note: Note) -> bytes:
    """A Word document with title, status, fields and sections."""
    from docx import Document

    doc = Document()
    doc.add_heading(_title(note), level=1)
    doc.add_paragraph(_status_line(note)).runs[0].italic = True
    for line in _field_lines(note):
        doc.add_paragraph(line)
    for section in note.draft.sections:
        doc.add_heading(section.title, level=2)
        for paragraph in section.text.split("\n"):
            doc.add_paragraph(paragraph)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def to_pdf(note: Note) -> bytes:
    """A PDF with the same content as the DOCX."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    story = [Paragraph(escape(_title(note)), styles["Title"]), Paragraph(escape(_status_line(note)), styles["Italic"])]
    story += [Paragraph(escape(line), styles["Normal"]) for line in _field_lines(note)]
    for section in note.draft.sections:
        story += [Spacer(1, 8), Paragraph(escape(section.title), styles["Heading2"])]
        story += [Paragraph(escape(p), styles["Normal"]) for p in section.text.split("\n") if p.strip()]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title=_title(note)).build(story)
    return buffer.getvalue()


_WRITERS = {"docx": to_docx, "pdf": to_pdf, "json": to_json, "txt": to_txt}


def export_note(*, note: Note, fmt: str) -> bytes:
    """The note in the given format (docx, pdf, json, txt)."""
    writer = _WRITERS.get(fmt.lower())
    if writer is None:
        raise InvalidInput(f'Formatet "{fmt}" stöds inte. Välj något av: {", ".join(FORMATS)}.')
    return writer(note)
