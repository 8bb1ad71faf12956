"""Templates defined by an organisation's administrators, stored per organisation beside the shipped ones.

Drafting resolves a template name through the organisation's own templates first, then the shipped ones;
another organisation's templates are never visible.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from radhus.core import audit
from radhus.core.audit import AuditKind
from radhus.core.auth import Principal
from radhus.core.errors import Conflict, InvalidInput, NotFound
from radhus.notes.models import Template
from radhus.notes.tables import NoteTemplate
from radhus.notes.templates import SHIPPED, get_template, template_from_json, template_to_dict, validate_template

NOT_FOUND = "Mallen finns inte."
MAX_JSON_CHARS = 100_000

EXAMPLE = json.dumps(
    {
        "name": "arbetsplatstraff",
        "title": "Arbetsplatsträff",
        "description": "Minnesanteckningar från en arbetsplatsträff.",
        "fields": [
            {"key": "narvarande", "label": "Närvarande", "type": "names", "instruction": "Alla som deltog."},
            {"key": "nasta_mote", "label": "Nästa möte", "type": "date", "instruction": "Datum för nästa träff."},
        ],
        "sections": [
            {"key": "information", "title": "Information", "instruction": "Vad som togs upp.", "cues": ["informerar"]},
            {
                "key": "beslut",
                "title": "Beslut",
                "instruction": "Ett beslut per punkt.",
                "cues": ["beslutar", "beslut"],
            },
        ],
    },
    ensure_ascii=False,
    indent=2,
)


@dataclass(frozen=True)
class TemplateInfo:
    """A template that can be chosen: the organisation's own (`id` set) or shipped with Rådhus (`id` None)."""

    name: str
    title: str
    description: str
    id: int | None = None

    @property
    def own(self) -> bool:
        return self.id is not None


def _rows(session: Session, *, org_id: int) -> list[NoteTemplate]:
    return list(session.scalars(select(NoteTemplate).where(NoteTemplate.org_id == org_id).order_by(NoteTemplate.name)))


def _row_by_name(session: Session, *, org_id: int, name: str) -> NoteTemplate | None:
    return session.scalar(select(NoteTemplate).where(NoteTemplate.org_id == org_id, NoteTemplate.name == name))


def get_row(session: Session, *, org_id: int, template_id: int) -> NoteTemplate:
    """One of the organisation's own templates; another organisation's id reads like a missing one."""
    row = session.scalar(select(NoteTemplate).where(NoteTemplate.id == template_id, NoteTemplate.org_id == org_id))
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


def definition_json(row: NoteTemplate) -> str:
    """The stored template as indented JSON, for the edit form."""
    return json.dumps(row.definition, ensure_ascii=False, indent=2)


def list_templates(session: Session, *, org_id: int) -> list[TemplateInfo]:
    """The organisation's own templates (by name), then the shipped ones."""
    own = [
        TemplateInfo(name=r.name, title=str(r.definition.get("title") or r.name),
                     description=str(r.definition.get("description", "")), id=r.id)
        for r in _rows(session, org_id=org_id)
    ]  # fmt: skip
    shipped = [TemplateInfo(name=t.name, title=t.title, description=t.description)
               for t in (get_template(n) for n in SHIPPED)]  # fmt: skip
    return own + shipped


def resolve(session: Session, *, org_id: int, name: str) -> Template:
    """The template called `name`: the organisation's own first, then the shipped ones."""
    row = _row_by_name(session, org_id=org_id, name=name)
    custom = {name: validate_template(row.definition)} if row is not None else None
    return get_template(name, custom=custom)


def _parse(text: str) -> Template:
    if not text.strip():
        raise InvalidInput("Skriv mallen som JSON i textrutan.")
    if len(text) > MAX_JSON_CHARS:
        raise InvalidInput(f"Mallen är för lång (högst {MAX_JSON_CHARS} tecken).")
    template = template_from_json(text)
    if template.name in SHIPPED:
        raise InvalidInput(
            f'Namnet "{template.name}" används redan av en inbyggd mall. Välj ett annat namn.',
            detail={"name": template.name},
        )
    return template


def _audit(session: Session, *, who: Principal, action: str, row: NoteTemplate) -> None:
    audit.append(
        session,
        kind=AuditKind.ADMIN_CHANGE,
        action=action,
        org_id=who.org_id,
        user_id=who.user_id,
        username=who.username,
        function="notes.templates",
        detail={"template_id": row.id, "name": row.name},
    )


def save(session: Session, *, who: Principal, text: str, template_id: int | None = None) -> NoteTemplate:
    """Create (or, with `template_id`, replace) an organisation template from JSON text; validated and audited."""
    template = _parse(text)
    row = get_row(session, org_id=who.org_id, template_id=template_id) if template_id is not None else None
    clash = _row_by_name(session, org_id=who.org_id, name=template.name)
    if clash is not None and (row is None or clash.id != row.id):
        raise Conflict(f'Organisationen har redan en mall som heter "{template.name}".', detail={"name": template.name})
    if row is None:
        row = NoteTemplate(org_id=who.org_id, name=template.name, definition=template_to_dict(template),
                           created_by=who.user_id)  # fmt: skip
        session.add(row)
        session.flush()
        _audit(session, who=who, action="notes.template_create", row=row)
    else:
        row.name = template.name
        row.definition = template_to_dict(template)
        session.flush()
        _audit(session, who=who, action="notes.template_update", row=row)
    return row


def delete(session: Session, *, who: Principal, template_id: int) -> None:
    """Delete one of the organisation's own templates (audited); notes drafted with it keep their content."""
    row = get_row(session, org_id=who.org_id, template_id=template_id)
    _audit(session, who=who, action="notes.template_delete", row=row)
    session.delete(row)
    session.flush()
