"""Reading roster input from JSON or an Excel workbook (format documented in examples/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

from radhus.core.errors import InvalidInput
from radhus.planning.models import RosterInput, load_roster_input

SHEETS = {
    "Pass": ["id", "name", "start", "end", "break_minutes", "unpopular", "recipient", "competence"],
    "Personal": [
        "id",
        "name",
        "employment_pct",
        "competences",
        "night_worker",
        "dygnsbryt",
        "rotating",
        "available_weekdays",
    ],
    "Behov": ["shift", "competence", "minimum", "ideal", "weekdays"],
    "Frånvaro": ["employee", "first_day", "last_day", "reason"],
    "Önskemål": ["employee", "day", "shift", "want", "weight"],
    "Låsta": ["employee", "day", "shift"],
    "Brukare": ["id", "name", "preferred_staff"],
}
LISTS = {"competences", "weekdays", "preferred_staff", "available_weekdays"}
KEYS = {
    "Pass": "shift_types",
    "Personal": "employees",
    "Behov": "demand",
    "Frånvaro": "absences",
    "Önskemål": "wishes",
    "Låsta": "pins",
    "Brukare": "recipients",
}


def _cell(column: str, value):
    if value is None or value == "":
        return None
    if column in LISTS:
        items = [v.strip() for v in str(value).split(",") if v.strip()]
        return [int(v) for v in items] if column in ("weekdays", "available_weekdays") else items
    if column in ("night_worker", "want", "unpopular", "rotating"):
        return str(value).strip().lower() in ("ja", "1", "true", "x")
    if column in ("start", "end", "dygnsbryt") and hasattr(value, "strftime"):
        return value.strftime("%H:%M")
    return value if not isinstance(value, str) else value.strip()


def _setting(value):  # type: ignore[no-untyped-def]
    """A rule or weight cell: ja/nej as booleans, everything else as written."""
    if isinstance(value, str) and value.strip().lower() in ("ja", "nej", "true", "false"):
        return value.strip().lower() in ("ja", "true")
    return value


def _read_xlsx(path: Path) -> dict:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise InvalidInput(f"Excelfilen {path.name} kan inte läsas: {exc}") from exc
    data: dict = {}
    if "Inställningar" not in wb.sheetnames:
        raise InvalidInput("Excelfilen saknar bladet 'Inställningar' (enhet, startdatum, veckor).")
    for row in wb["Inställningar"].iter_rows(min_row=2, values_only=True):
        if row and row[0]:
            value = row[1].date().isoformat() if hasattr(row[1], "date") else row[1]
            key = str(row[0]).strip()
            section, dot, name = key.partition(".")
            if dot and section in ("rules", "weights"):  # e.g. rules.dygnsvila_hours, weights.wish
                data.setdefault(section, {})[name] = _setting(value)
            else:
                data[key] = value
    for sheet, columns in SHEETS.items():
        if sheet not in wb.sheetnames:
            continue
        items = []
        for row in wb[sheet].iter_rows(min_row=2, values_only=True):
            if not row or all(v in (None, "") for v in row):
                continue
            item = {c: _cell(c, v) for c, v in zip(columns, row, strict=False)}
            items.append({k: v for k, v in item.items() if v is not None})
        data[KEYS[sheet]] = items
    return data


def read_roster_input(path: Path) -> RosterInput:
    """Load a roster problem from .json or .xlsx."""
    path = Path(path)
    if not path.exists():
        raise InvalidInput(f"Filen {path} finns inte.")
    if path.suffix.lower() == ".xlsx":
        return load_roster_input(_read_xlsx(path))
    if path.suffix.lower() != ".json":
        raise InvalidInput("Indata måste vara en .json- eller .xlsx-fil.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"Filen {path.name} är inte giltig JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidInput("JSON-filen ska innehålla ett objekt med schemats indata.")
    return load_roster_input(data)
