"""Independent rule checker for unit rosters (plain interval arithmetic, no solver).

Used by the tests to verify the solver, for explanations, and for live checking of a manual change.
A roster is {employee id: [shift id or "" per day]}.
"""

from __future__ import annotations

from dataclasses import dataclass

from radhus.core.errors import InvalidInput
from radhus.planning.models import Employee, RosterInput, ShiftType

DAY = 1440


@dataclass(frozen=True)
class Violation:
    """One broken rule: rule key, employee, day (or -1) and a Swedish message; `hard` False for soft rules."""

    rule: str
    employee: str
    day: int
    message: str
    hard: bool = True


def absent_days(inp: RosterInput, employee_id: str, *, unavailable: bool = True) -> dict[int, str]:
    """Day -> reason for every day an employee cannot work (absences, and weekdays outside the availability)."""
    return inp.days_off(employee_id, unavailable=unavailable)


def may_work(inp: RosterInput, emp: Employee, shift: ShiftType) -> bool:
    """Whether the rules and the employee's allowed shift types let this person work the shift at all."""
    if emp.shifts is not None and shift.id not in emp.shifts:
        return False
    if shift.competence and shift.competence not in emp.competences:
        return False
    return not (shift.is_night and inp.rules_for(emp.id).nights_only_night_workers and not emp.night_worker)


def _may_fill_on(inp: RosterInput, emp: Employee, days: set[int]) -> bool:
    """Whether some demand on one of `days` is for a shift and competence this employee can take."""
    for dem in inp.demand:
        if dem.competence and dem.competence not in emp.competences:
            continue
        if may_work(inp, emp, inp.shift(dem.shift)) and days.intersection(inp.demand_days(dem)):
            return True
    return False


def uses_rotating_norm(inp: RosterInput, employee_id: str) -> bool:
    """The 38.25 h week applies to staff who work nights, Sundays and holidays (AB § 13); 40 h to everyone else.

    Set per employee with `rotating`; when left out it is derived from what this person can be scheduled on: a
    night shift (unless the setting drops that condition), Sunday demand and holiday demand. A period without
    holidays judges holidays by Sundays, since holidays are staffed like Sundays.
    """
    emp = inp.employee(employee_id)
    if emp.rotating is not None:
        return emp.rotating
    nights = any(s.is_night and may_work(inp, emp, s) for s in inp.shift_types)
    if inp.rules_for(employee_id).rotating_norm_needs_nights and not nights:
        return False
    sundays = {d for d in range(inp.days) if inp.date_of(d).weekday() == 6}
    holidays = set(inp.holidays()) or sundays
    return _may_fill_on(inp, emp, sundays) and _may_fill_on(inp, emp, holidays)


def weekday_holidays(inp: RosterInput) -> list[int]:
    """Holidays falling Monday-Friday in the period: each shortens a full-time week by a fifth."""
    return [d for d in inp.holidays() if inp.date_of(d).weekday() < 5]


def target_minutes(inp: RosterInput, employee_id: str) -> int:
    """Ordinary working minutes for the period: weekly norm x employment % x weeks, less weekday holidays (the norm
    is per holiday-free week) and less absent days."""
    emp = inp.employee(employee_id)
    rules = inp.rules_for(employee_id)
    norm = rules.rotating_hours if uses_rotating_norm(inp, employee_id) else rules.full_time_hours
    weeks = inp.weeks - (len(weekday_holidays(inp)) / 5 if rules.holidays_shorten_hours else 0)
    present = inp.days - len(absent_days(inp, employee_id, unavailable=False))
    return round(norm * 60 * emp.employment_pct / 100 * weeks * present / inp.days)


def _intervals(inp: RosterInput, row: list[str]) -> list[tuple[int, int, int, str]]:
    """(start, end, day, shift id) of every worked shift, in minutes from the period start."""
    out = []
    for d, sid in enumerate(row):
        if sid:
            s = inp.shift(sid)
            out.append((d * DAY + s.start_min, d * DAY + s.start_min + s.length_min, d, sid))
    return out


def longest_free(busy: list[tuple[int, int, int, str]], lo: int, hi: int) -> int:
    """Longest stretch in [lo, hi) not covered by any busy interval."""
    cursor, best = lo, 0
    for start, end, _, _ in sorted(busy):
        if end <= cursor or start >= hi:
            continue
        best = max(best, min(start, hi) - cursor)
        cursor = max(cursor, end)
    return max(best, hi - cursor)


def shift_noun(label: str) -> str:
    """Definite Swedish compound with 'pass', e.g. Dag -> dagpasset, Kväll -> kvällspasset."""
    word = label.lower()
    return f"{word}spasset" if word.endswith(("ll", "ng")) else f"{word}passet"


def _label(inp: RosterInput, sid: str, day: int) -> str:
    return f"{shift_noun(inp.shift(sid).label)} {inp.day_label(day)}"


def _rest_rules(inp: RosterInput, emp_id: str, row: list[str]) -> list[Violation]:
    emp, rules = inp.employee(emp_id), inp.rules_for(emp_id)
    need = round(rules.dygnsvila_hours * 60)
    busy = _intervals(inp, row)
    out = []
    for (_, end, d, sid), (start, _, d2, sid2) in zip(busy, busy[1:], strict=False):
        if start - end < need:
            msg = f"{emp.label}: {_label(inp, sid2, d2)} bryter dygnsvilan efter {_label(inp, sid, d)}"
            out.append(Violation("dygnsvila", emp_id, d2, msg))
    by_day = {i[2]: i for i in busy}
    bryt = emp.dygnsbryt_min
    for k in range(inp.days):
        lo = k * DAY + bryt
        near = [by_day[x] for x in (k - 1, k, k + 1) if x in by_day]  # a shift is shorter than a day
        if longest_free(near, lo, lo + DAY) < need:
            hours = f"{rules.dygnsvila_hours:g} h"
            msg = f"{emp.label}: mindre än {hours} sammanhängande vila under dygnet från {inp.day_label(k)}"
            out.append(Violation("dygnsvila", emp_id, k, msg))
    week_need = round(rules.veckovila_hours * 60) + (0 if rules.veckovila_includes_dygnsvila else need)
    for w in range(inp.weeks):
        lo = w * 7 * DAY + bryt
        near = [by_day[x] for x in range(w * 7 - 1, w * 7 + 8) if x in by_day]
        if longest_free(near, lo, lo + 7 * DAY) < week_need:
            msg = f"{emp.label}: veckovilan ({week_need / 60:g} h) saknas vecka {w + 1}"
            out.append(Violation("veckovila", emp_id, w * 7, msg))
    return out


def _day_rules(inp: RosterInput, emp_id: str, row: list[str]) -> list[Violation]:
    emp, rules = inp.employee(emp_id), inp.rules_for(emp_id)
    absent = absent_days(inp, emp_id)
    out = []
    for d, sid in enumerate(row):
        if not sid:
            continue
        s = inp.shift(sid)
        if d in absent:
            out.append(Violation("franvaro", emp_id, d, f"{emp.label} är frånvarande {inp.day_label(d)} ({absent[d]})"))
        if emp.shifts is not None and sid not in emp.shifts:
            out.append(Violation("behorighet", emp_id, d, f"{emp.label} får inte arbeta {s.label}"))
        if s.competence and s.competence not in emp.competences:
            msg = f"{emp.label} saknar kompetensen {s.competence} som {shift_noun(s.label)} kräver"
            out.append(Violation("behorighet", emp_id, d, msg))
        if s.length_min > rules.max_shift_hours * 60:
            out.append(Violation("passlangd", emp_id, d, f"{s.label} är längre än {rules.max_shift_hours:g} h"))
        if s.is_night and rules.nights_only_night_workers and not emp.night_worker:
            out.append(Violation("natt", emp_id, d, f"{emp.label} är inte nattarbetare ({_label(inp, sid, d)})"))
    for pin in inp.pins:
        if pin.employee == emp_id and row[pin.day] != pin.shift:
            out.append(Violation("last", emp_id, pin.day, f"{emp.label}: låst pass {inp.day_label(pin.day)} är ändrat"))
    return out


def _period_rules(inp: RosterInput, emp_id: str, row: list[str]) -> list[Violation]:
    emp, rules = inp.employee(emp_id), inp.rules_for(emp_id)
    out = []
    worked = sum(inp.shift(s).work_min for s in row if s)
    target = target_minutes(inp, emp_id)
    if worked > target + rules.hours_tolerance * 60:
        out.append(
            Violation("arbetstid", emp_id, -1, f"{emp.label}: {worked / 60:.1f} h, över målet {target / 60:.1f} h")
        )
    if worked < target:
        gap = (target - worked) / 60
        msg = f"{emp.label}: {worked / 60:.1f} h schemalagt, {gap:.1f} h under målet {target / 60:.1f} h"
        out.append(Violation("arbetstid_under", emp_id, -1, msg, hard=False))
    if emp.night_worker and worked > rules.night_max_avg_hours * 60 * inp.days:
        out.append(
            Violation("nattarbete", emp_id, -1, f"{emp.label}: mer än {rules.night_max_avg_hours:g} h per dygn i snitt")
        )
    run = 0
    for d, sid in enumerate(row):
        run = run + 1 if sid else 0
        if run == rules.max_consecutive_days + 1:
            msg = f"{emp.label}: fler än {rules.max_consecutive_days} arbetsdagar i följd till {inp.day_label(d)}"
            out.append(Violation("dagar_i_rad", emp_id, d, msg))
    if rules.every_other_weekend_free:
        worked_weekends = [
            any(row[d] for d in range(week, week + 7) if inp.date_of(d).weekday() >= 5)
            for week in range(0, inp.days, 7)
        ]
        for w in range(len(worked_weekends) - 1):
            if worked_weekends[w] and worked_weekends[w + 1]:
                msg = f"{emp.label}: arbetar två helger i rad (vecka {w + 1} och {w + 2})"
                out.append(Violation("helg", emp_id, w * 7, msg, hard=rules.weekend_hard))
    return out


def employee_violations(inp: RosterInput, employee_id: str, row: list[str]) -> list[Violation]:
    """Rule violations of one employee's row (hard and soft)."""
    if len(row) != inp.days:
        raise InvalidInput(f"Schemat saknar rad med {inp.days} dagar för {employee_id}.")
    for sid in row:
        if sid:
            inp.shift(sid)
    return _day_rules(inp, employee_id, row) + _rest_rules(inp, employee_id, row) + _period_rules(inp, employee_id, row)


def check_roster_rules(inp: RosterInput, roster: dict[str, list[str]]) -> list[Violation]:
    """All rule violations of a roster, hard and soft."""
    out: list[Violation] = []
    for emp in inp.employees:
        if emp.id not in roster:
            raise InvalidInput(f"Schemat saknar rad för {emp.label}.")
        out += employee_violations(inp, emp.id, roster[emp.id])
    return out


def check_assignment_change(
    *,
    inp: RosterInput,
    roster: dict[str, list[str]],
    employee_id: str,
    day: int,
    shift_id: str,
    before_cache: dict[str, set[Violation]] | None = None,
) -> list[str]:
    """Swedish messages for the hard rules a manual change (shift_id, "" = free) would newly break.

    `before_cache` keeps each employee's current hard violations between calls on an unchanged roster."""
    inp.employee(employee_id)
    if not 0 <= day < inp.days:
        raise InvalidInput(f"Dag {day} ligger utanför perioden.")
    if shift_id:
        inp.shift(shift_id)
    if employee_id not in roster:
        raise InvalidInput(f"Schemat saknar rad för {employee_id}.")
    if before_cache is not None and employee_id in before_cache:
        before = before_cache[employee_id]
    else:
        before = {v for v in employee_violations(inp, employee_id, roster[employee_id]) if v.hard}
        if before_cache is not None:
            before_cache[employee_id] = before
    changed = [*roster[employee_id]]
    changed[day] = shift_id
    after = [v for v in employee_violations(inp, employee_id, changed) if v.hard]
    return [v.message for v in after if v not in before]
