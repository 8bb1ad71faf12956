"""The planning basis ("planeringsunderlag") of a roster plan: show its input in Swedish and let a planner change
rules, staff, absences, wishes and demand before asking for a new proposal, or start next period's plan from it.

Every change is validated through the same pydantic model as an uploaded file, saved to `plan.input` and audited
(`planning.roster.input`); the stored proposal no longer matches the input, so the plan waits as "ej beräknat"
until the planner re-queues the solver job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from radhus.core import jobs
from radhus.core.auth import Principal
from radhus.core.errors import Conflict, InvalidInput
from radhus.planning import workflow
from radhus.planning.models import RosterInput, Rules, load_roster_input
from radhus.planning.tables import PlanStatus, RosterPlan

Form = dict[str, list[str]]  # a submitted form: every field's values (check boxes give several)
WEEKDAYS = ["måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"]
LOCKED = {
    PlanStatus.QUEUED.value: "Förslaget beräknas just nu – vänta tills det är klart innan du ändrar underlaget.",
    PlanStatus.APPROVED.value: "Schemat är godkänt och underlaget kan inte längre ändras. Skapa ett nytt schema "
    "från det här om något ska ändras.",
    PlanStatus.PUBLISHED.value: "Schemat är publicerat och underlaget kan inte längre ändras. Planera om vid "
    "sjukfrånvaro eller ändrat behov, eller skapa ett nytt schema från det här.",
}


# --- reading --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleRow:
    """One rule setting as the page shows it: Swedish label, value, unit, kind and default from the model."""

    key: str
    label: str
    value: Any
    default: Any
    unit: str
    kind: str
    is_bool: bool

    @property
    def changed(self) -> bool:
        return self.value != self.default


def _extra(field: Any) -> dict:
    return field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}


def rule_texts() -> set[str]:
    """The Swedish labels and units of the rule settings (shown through gettext: for the interface catalog)."""
    return {text for f in Rules.model_fields.values() for text in (f.title, str(_extra(f).get("unit", ""))) if text}


def rule_rows(inp: RosterInput) -> list[RuleRow]:
    """The unit's rule settings, described by the metadata of `Rules`' fields."""
    rows = []
    for key, field in Rules.model_fields.items():
        extra = _extra(field)
        rows.append(
            RuleRow(
                key=key,
                label=field.title or key,
                value=getattr(inp.rules, key),
                default=field.get_default(call_default_factory=True),
                unit=str(extra.get("unit", "")),
                kind=str(extra.get("kind", "")),
                is_bool=field.annotation is bool,
            )
        )
    return rows


def weekday_names(weekdays: list[int] | None) -> list[str]:
    """["alla dagar"] or the weekdays' names (each translated on the page)."""
    if weekdays is None or sorted(weekdays) == list(range(7)):
        return ["alla dagar"]
    return [WEEKDAYS[d] for d in sorted(weekdays)]


def demand_matrix(inp: RosterInput) -> list[dict[str, Any]]:
    """Demand given per weekday as rows (shift, competence) with "min/ideal" per weekday ("" = none)."""
    rows: dict[tuple[str, str], list[str]] = {}
    for line in inp.demand:
        if line.days is not None:
            continue
        cells = rows.setdefault((line.shift, line.competence), [""] * 7)
        ideal = line.minimum if line.ideal is None else line.ideal
        for d in range(7) if line.weekdays is None else line.weekdays:
            cells[d] = f"{line.minimum}/{ideal}"
    return [
        {"shift": inp.shift(shift).label, "competence": competence, "cells": cells}
        for (shift, competence), cells in rows.items()
    ]


def competences(inp: RosterInput) -> list[str]:
    """Every competence named by the staff or the demand."""
    return sorted({c for e in inp.employees for c in e.competences} | {d.competence for d in inp.demand} - {""})


def is_editable(plan: RosterPlan) -> bool:
    return plan.status not in LOCKED


def _require_editable(plan: RosterPlan) -> None:
    if plan.status in LOCKED:
        raise Conflict(LOCKED[plan.status])


# --- changing -------------------------------------------------------------------------------------------------


def _one(form: Form, name: str) -> str:
    return (form.get(name) or [""])[0].strip()


def _int(form: Form, name: str, label: str) -> int:
    try:
        return int(_one(form, name))
    except ValueError:
        raise InvalidInput(f"{label} måste vara ett heltal.") from None


def _number(value: str) -> str:
    return value.replace(",", ".").replace(" ", "")


def _choices(form: Form, name: str, every: list[str]) -> list[str] | None:
    """Ticked boxes; all of them (or the field missing) means no restriction (None)."""
    chosen = [v for v in every if v in form.get(name, [])]
    if not chosen:
        raise InvalidInput("Välj minst ett alternativ bland " + ("veckodagarna." if name == "weekdays" else "passen."))
    return None if len(chosen) == len(every) else chosen


def _weekdays(form: Form) -> list[int] | None:
    chosen = _choices(form, "weekdays", [str(d) for d in range(7)])
    return None if chosen is None else [int(d) for d in chosen]


def _employee(form: Form, old: dict[str, Any] | None, inp: RosterInput) -> dict[str, Any]:
    person_id = old["id"] if old else _one(form, "id")
    if not person_id:
        raise InvalidInput("Ange ett id för personen (t.ex. e9).")
    shifts = _choices(form, "shifts", [s.id for s in inp.shift_types])
    return {
        **(old or {}),
        "id": person_id,
        "name": _one(form, "name"),
        "employment_pct": _number(_one(form, "employment_pct")),
        "competences": [c.strip() for c in _one(form, "competences").split(",") if c.strip()],
        "night_worker": _one(form, "night_worker") or "false",
        "contract": _one(form, "contract"),
        "available_weekdays": _weekdays(form),
        "shifts": shifts,
    }


def _absence(form: Form, old: dict[str, Any] | None, inp: RosterInput) -> dict[str, Any]:
    first, last = _int(form, "first_day", "Första dagen"), _int(form, "last_day", "Sista dagen")
    if last < first:
        raise InvalidInput("Sista frånvarodagen ligger före den första.")
    reason = _one(form, "reason") or "frånvaro"
    return {"employee": _one(form, "employee"), "first_day": first, "last_day": last, "reason": reason[:100]}


def _wish(form: Form, old: dict[str, Any] | None, inp: RosterInput) -> dict[str, Any]:
    return {
        "employee": _one(form, "employee"),
        "day": _int(form, "day", "Dagen"),
        "shift": _one(form, "shift"),
        "want": _one(form, "want") or "true",
        "weight": _int(form, "weight", "Vikten"),
    }


def _demand(form: Form, old: dict[str, Any] | None, inp: RosterInput) -> dict[str, Any]:
    ideal = _one(form, "ideal")
    line: dict[str, Any] = {
        "shift": _one(form, "shift"),
        "competence": _one(form, "competence"),
        "minimum": _int(form, "minimum", "Minimum"),
        "ideal": None if not ideal else _int(form, "ideal", "Önskat"),
    }
    if old and old.get("days") is not None:  # a changed demand for given days keeps its days
        return {**line, "days": old["days"]}
    return {**line, "weekdays": _weekdays(form)}


@dataclass(frozen=True)
class Part:
    """A list in the input that the page edits: its key in `RosterInput`, its Swedish name and its form parser."""

    key: str
    name: str
    parse: Callable[[Form, dict[str, Any] | None, RosterInput], dict[str, Any]]


PARTS = {
    "personal": Part("employees", "personal", _employee),
    "franvaro": Part("absences", "frånvaro", _absence),
    "onskemal": Part("wishes", "önskemål", _wish),
    "behov": Part("demand", "bemanningsbehov", _demand),
}


def _part(name: str) -> Part:
    if name not in PARTS:
        raise InvalidInput("Okänd del av planeringsunderlaget.")
    return PARTS[name]


def _editable_plan(session: Session, who: Principal, plan_id: int) -> RosterPlan:
    workflow.require_planner(who)
    plan = workflow.get_roster(session, who=who, plan_id=plan_id)
    _require_editable(plan)
    return plan


def _store(session: Session, who: Principal, plan: RosterPlan, data: dict[str, Any], detail: dict) -> RosterPlan:
    """Validate the changed input like an uploaded file, save it and audit the change; the old proposal no longer
    matches the input, so the plan waits for a new computation."""
    inp = load_roster_input(data)
    plan.input = inp.model_dump(mode="json")
    plan.status, plan.proposal, plan.conflict, plan.error = PlanStatus.NOT_COMPUTED.value, None, None, None
    plan.manual_changes = 0
    workflow.audit_roster_change(session, who=who, plan=plan, step="input", detail=detail)
    session.flush()
    return plan


def _row(index: int | None, items: list[Any]) -> int | None:
    if index is not None and not 0 <= index < len(items):
        raise InvalidInput("Raden finns inte längre i underlaget. Ladda om sidan.")
    return index


def change_rules(session: Session, *, who: Principal, plan_id: int, form: Form) -> RosterPlan:
    """Set the unit's rule settings from the form (validated by `Rules`; nothing is saved when a value is wrong)."""
    plan = _editable_plan(session, who, plan_id)
    current = dict(plan.input.get("rules") or {})
    old = Rules.model_validate(current).model_dump()
    sent = {key: _number(_one(form, key)) for key in Rules.model_fields if key in form}
    data = {**plan.input, "rules": {**current, **sent}}
    new = load_roster_input(data).rules.model_dump()
    changes = {key: [old[key], new[key]] for key in new if new[key] != old[key]}
    if not changes:
        return plan
    return _store(session, who, plan, data, {"part": "rules", "changes": changes})


def save_item(
    session: Session, *, who: Principal, plan_id: int, part: str, index: int | None, form: Form
) -> RosterPlan:
    """Add (index None) or replace one employee, absence, wish or demand line."""
    what = _part(part)
    plan = _editable_plan(session, who, plan_id)
    items = list(plan.input.get(what.key) or [])
    index = _row(index, items)
    item = what.parse(form, None if index is None else items[index], workflow.roster_input(plan))
    if index is None:
        items.append(item)
    else:
        items[index] = item
    detail = {"part": what.key, "op": "add" if index is None else "edit", "index": index}
    if "employee" in item or what.key == "employees":
        detail["employee"] = item.get("employee", item.get("id"))
    return _store(session, who, plan, {**plan.input, what.key: items}, detail)


def remove_item(session: Session, *, who: Principal, plan_id: int, part: str, index: int) -> RosterPlan:
    """Remove one employee (with their absences, wishes, pins and regular-staff mentions), absence, wish or demand
    line."""
    what = _part(part)
    plan = _editable_plan(session, who, plan_id)
    data = dict(plan.input)
    items = list(data.get(what.key) or [])
    _row(index, items)
    removed = items.pop(index)
    data[what.key] = items
    detail: dict[str, Any] = {"part": what.key, "op": "remove", "index": index}
    if what.key == "employees":
        data = _without_person(data, removed["id"])
        detail["employee"] = removed["id"]
    elif "employee" in removed:
        detail["employee"] = removed["employee"]
    return _store(session, who, plan, data, detail)


def _without_person(data: dict[str, Any], person: str) -> dict[str, Any]:
    out = dict(data)
    for key in ("absences", "wishes", "pins"):
        out[key] = [x for x in data.get(key) or [] if x.get("employee") != person]
    out["recipients"] = [
        {**r, "preferred_staff": [e for e in r.get("preferred_staff", []) if e != person]}
        for r in data.get("recipients") or []
    ]
    return out


def recompute(session: Session, *, who: Principal, plan_id: int, workers: int = 2) -> jobs.Job:
    """Re-queue the solver job on the plan's current input ("Beräkna nytt förslag")."""
    plan = _editable_plan(session, who, plan_id)
    load_roster_input(plan.input)
    plan.proposal, plan.conflict, plan.error, plan.manual_changes = None, None, None, 0
    workflow.audit_roster_change(session, who=who, plan=plan, step="recompute", detail={})
    return workflow.queue_solve(session, who=who, plan=plan, workers=workers)


def copy_roster(session: Session, *, who: Principal, plan_id: int, start_date: str) -> RosterPlan:
    """A new plan for another period from this plan's input: staff, shift types, weekday demand, recipients and
    rules are kept; absences, wishes, pins and demand for given days belong to the old period and are left out."""
    workflow.require_planner(who)
    source = workflow.get_roster(session, who=who, plan_id=plan_id)
    try:
        start = dt.date.fromisoformat(start_date.strip())
    except ValueError:
        raise InvalidInput("Ange periodens första dag som ett datum (ÅÅÅÅ-MM-DD).") from None
    data = {
        **source.input,
        "start_date": start.isoformat(),
        "absences": [],
        "wishes": [],
        "pins": [],
        "demand": [d for d in source.input.get("demand", []) if d.get("days") is None],
    }
    plan = workflow.new_roster(session, who=who, inp=load_roster_input(data), time_limit=source.time_limit)
    workflow.audit_roster_change(session, who=who, plan=plan, step="copy", detail={"from_plan": source.id})
    return plan


# --- form values ------------------------------------------------------------------------------------------------

LIST_FIELDS = {"weekdays", "shifts"}


def _item_values(part: str, item: dict[str, Any], inp: RosterInput) -> dict[str, Any]:
    """A stored item as the strings (and lists) its form shows."""
    every_day = [str(d) for d in range(7)]
    if part == "personal":
        weekdays = item.get("available_weekdays")
        return {
            **{k: str(item.get(k) or "") for k in ("id", "name", "contract")},
            "employment_pct": f"{item.get('employment_pct', 100):g}",
            "competences": ", ".join(item.get("competences") or []),
            "night_worker": "true" if item.get("night_worker") else "false",
            "weekdays": every_day if weekdays is None else [str(d) for d in weekdays],
            "shifts": [s.id for s in inp.shift_types] if item.get("shifts") is None else item["shifts"],
        }
    if part == "behov":
        weekdays = item.get("weekdays")
        ideal = item.get("ideal")
        return {
            "shift": item.get("shift", ""),
            "competence": item.get("competence", ""),
            "minimum": str(item.get("minimum", 1)),
            "ideal": "" if ideal is None else str(ideal),
            "weekdays": every_day if weekdays is None else [str(d) for d in weekdays],
            "days": item.get("days"),
        }
    values = {k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v) for k, v in item.items()}
    if part == "franvaro" and not values.get("last_day"):
        values["last_day"] = values.get("first_day", "0")
    return values


NEW_ITEMS: dict[str, dict[str, Any]] = {
    "personal": {"employment_pct": 100, "night_worker": False},
    "franvaro": {"first_day": 0, "last_day": 0, "reason": "semester"},
    "onskemal": {"day": 0, "want": True, "weight": 1},
    "behov": {"minimum": 1},
}


def form_values(inp: RosterInput, *, part: str, index: int | None, sent: Form | None = None) -> dict[str, Any]:
    """What a part's form shows: the values just sent (after a refusal), the item being edited, or a new item."""
    if sent is not None:
        values = {k: (v if k in LIST_FIELDS else (v or [""])[0]) for k, v in sent.items()}
        return {**dict.fromkeys(LIST_FIELDS, []), **values}
    items = getattr(inp, PARTS[part].key)
    if index is not None and 0 <= index < len(items):
        return _item_values(part, items[index].model_dump(mode="json"), inp)
    return _item_values(part, NEW_ITEMS[part], inp)
