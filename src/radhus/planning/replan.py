"""Re-planning a published roster: minimal repair after sick leave or changed demand, and open-shift candidates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from radhus.core.errors import InvalidInput
from radhus.planning.models import Absence, Pin, RosterInput
from radhus.planning.roster import RosterResult, solve_roster
from radhus.planning.rules import absent_days, check_assignment_change, target_minutes


def _pins_from(inp: RosterInput, published: dict[str, list[str]], frozen_days: int) -> list[Pin]:
    """Published assignments on days before `frozen_days` become pins (the past is not re-planned)."""
    pins = list(inp.pins)
    pinned = {(p.employee, p.day) for p in pins}
    for emp in inp.employees:
        absent = absent_days(inp, emp.id)
        for d in range(min(frozen_days, inp.days)):
            if (emp.id, d) not in pinned and d not in absent:
                pins.append(Pin(employee=emp.id, day=d, shift=published[emp.id][d]))
    return pins


def repair_roster(
    *,
    inp: RosterInput,
    published: dict[str, list[str]],
    new_absences: list[Absence] | None = None,
    frozen_days: int = 0,
    time_limit: float = 20.0,
    workers: int = 2,
    audit: Callable[[dict], None] | None = None,
) -> RosterResult:
    """Repaired roster changing as few assignments as possible; pins and days before `frozen_days` stay."""
    for emp in inp.employees:
        if len(published.get(emp.id, [])) != inp.days:
            raise InvalidInput(f"Det publicerade schemat saknar en full rad för {emp.label}.")
    for pin in inp.pins:
        if published[pin.employee][pin.day] != pin.shift:
            raise InvalidInput(f"Låst pass för {pin.employee} dag {pin.day} stämmer inte med det publicerade schemat.")
    updated = inp.model_copy(update={"absences": [*inp.absences, *(new_absences or [])]})
    updated = updated.model_copy(update={"pins": _pins_from(updated, published, frozen_days)})
    result = solve_roster(updated, time_limit=time_limit, workers=workers, published=published)
    if audit is not None:
        audit({"action": "planning.roster.repair", "unit": inp.unit, "changes": result.changes})
    return result


def open_shift_candidates(
    *, inp: RosterInput, roster: dict[str, list[str]], day: int, shift_id: str, competence: str = ""
) -> list[dict]:
    """Ranked staff who can take an open shift without breaking any hard rule (most hours left first)."""
    inp.shift(shift_id)
    out: list[dict[str, Any]] = []
    for emp in inp.employees:
        if competence and competence not in emp.competences:
            continue
        if roster[emp.id][day] or day in absent_days(inp, emp.id):
            continue
        if check_assignment_change(inp=inp, roster=roster, employee_id=emp.id, day=day, shift_id=shift_id):
            continue
        worked = sum(inp.shift(s).work_min for s in roster[emp.id] if s)
        left = target_minutes(inp, emp.id) + round(inp.rules_for(emp.id).hours_tolerance * 60) - worked
        wish = sum(
            (w.weight if w.want else -w.weight)
            for w in inp.wishes
            if w.employee == emp.id and w.day == day and w.shift in ("", shift_id)
        )
        out.append({"employee": emp.id, "name": emp.label, "hours_left": round(left / 60, 2), "wish": wish})
    out.sort(key=lambda c: (-c["wish"], -c["hours_left"], c["employee"]))
    for rank, c in enumerate(out, 1):
        c["rank"] = rank
    return out
