"""Documentation templates: shipped Swedish templates and validation of administrator-defined ones."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

from radhus.core.errors import InvalidInput, NotFound
from radhus.notes.models import FieldType, Template, TemplateField, TemplateSection

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
SHIPPED = ("protokoll", "minnesanteckningar", "journalanteckning", "utvecklingssamtal", "notiser")


def _require(data: dict, key: str, where: str) -> Any:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput(f'Mallen saknar {where} "{key}".')
    return value


def _checked_key(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _KEY.match(value):
        raise InvalidInput(f"Ogiltig nyckel {value!r} för {where}: använd små bokstäver a–z, siffror och understreck.")
    return value


def _parse_field(raw: Any) -> TemplateField:
    if not isinstance(raw, dict):
        raise InvalidInput("Varje fält i mallen ska vara ett objekt med key, label och type.")
    key = _checked_key(_require(raw, "key", "fältets"), "fält")
    raw_type = raw.get("type")
    try:
        if not isinstance(raw_type, str):
            raise ValueError(f"{raw_type!r} is not a valid FieldType")
        field_type = FieldType(raw_type)
    except ValueError as exc:
        allowed = ", ".join(t.value for t in FieldType)
        raise InvalidInput(
            f'Fältet "{key}" har en okänd fälttyp {raw_type!r}. Tillåtna typer: {allowed}.',
            detail={"field": key, "type": raw_type},
        ) from exc
    return TemplateField(
        key=key,
        label=str(raw.get("label") or key),
        type=field_type,
        instruction=str(raw.get("instruction", "")),
    )


def _parse_section(raw: Any) -> TemplateSection:
    if not isinstance(raw, dict):
        raise InvalidInput("Varje avsnitt i mallen ska vara ett objekt med key, title och instruction.")
    key = _checked_key(_require(raw, "key", "avsnittets"), "avsnitt")
    cues = raw.get("cues", [])
    if not isinstance(cues, list) or not all(isinstance(c, str) for c in cues):
        raise InvalidInput(f'Avsnittet "{key}": cues ska vara en lista av ord.')
    return TemplateSection(
        key=key,
        title=str(_require(raw, "title", "avsnittets")),
        instruction=str(raw.get("instruction", "")),
        cues=tuple(c.lower() for c in cues),
        numbered=bool(raw.get("numbered", False)),
        staff_only=bool(raw.get("staff_only", False)),
    )


def _unique(keys: list[str], what: str) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise InvalidInput(f'Mallen har {what} "{key}" mer än en gång.')
        seen.add(key)


def validate_template(data: Any) -> Template:
    """Validate an administrator-defined template (parsed JSON) and return it; Swedish errors on faults."""
    if not isinstance(data, dict):
        raise InvalidInput("En mall ska vara ett JSON-objekt med name, title, sections och fields.")
    name = _checked_key(_require(data, "name", "namnet"), "mallens namn")
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        raise InvalidInput("Mallen måste ha minst ett avsnitt (sections).")
    raw_fields = data.get("fields", [])
    if not isinstance(raw_fields, list):
        raise InvalidInput("Mallens fält (fields) ska vara en lista.")
    sections = tuple(_parse_section(s) for s in raw_sections)
    fields = tuple(_parse_field(f) for f in raw_fields)
    _unique([s.key for s in sections], "avsnittet")
    _unique([f.key for f in fields], "fältet")
    return Template(
        name=name,
        title=str(data.get("title") or name),
        description=str(data.get("description", "")),
        sections=sections,
        fields=fields,
    )


def template_from_json(text: str) -> Template:
    """Parse and validate a template given as JSON text."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"Mallen är inte giltig JSON (rad {exc.lineno}, kolumn {exc.colno}).") from exc
    return validate_template(data)


def template_to_dict(template: Template) -> dict[str, Any]:
    """A template as JSON-ready data (the same shape validate_template reads)."""
    return {
        "name": template.name,
        "title": template.title,
        "description": template.description,
        "fields": [
            {"key": f.key, "label": f.label, "type": f.type.value, "instruction": f.instruction}
            for f in template.fields
        ],
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "instruction": s.instruction,
                "cues": list(s.cues),
                "numbered": s.numbered,
                "staff_only": s.staff_only,
            }
            for s in template.sections
        ],
    }


def shipped_template(name: str) -> Template:
    """A template shipped with Rådhus, by name."""
    if name not in SHIPPED:
        raise NotFound(f'Mallen "{name}" finns inte. Tillgängliga mallar: {", ".join(SHIPPED)}.')
    text = resources.files("radhus.notes").joinpath("templates", f"{name}.json").read_text(encoding="utf-8")
    return template_from_json(text)


def get_template(name: str, *, custom: dict[str, Template] | None = None) -> Template:
    """Look a template up among an organisation's own templates first, then the shipped ones."""
    if custom and name in custom:
        return custom[name]
    return shipped_template(name)
