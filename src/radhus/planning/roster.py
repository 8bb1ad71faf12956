"""CP-SAT roster model for real units under Swedish working-time rules, with explanations and conflict sets.

Every hard rule group is guarded by an enforcement literal per employee (or per pin / absence / demand line):
in a normal solve they are all true; when the rules cannot all hold, the literals become assumptions and the
conflict is shrunk to a minimal set by deletion filtering.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from radhus.core.errors import InvalidInput
from radhus.planning.models import RosterInput
from radhus.planning.rules import (
    DAY,
    absent_days,
    check_assignment_change,
    check_roster_rules,
    shift_noun,
    target_minutes,
)

GROUP_LABELS = {
    "dygnsvila": "dygnsvila {h} h för {emp}",
    "veckovila": "veckovila för {emp}",
    "arbetstid": "arbetstid (mål + tolerans) för {emp}",
    "dagar_i_rad": "max arbetsdagar i följd för {emp}",
    "helg": "varannan helg ledig för {emp}",
    "natt": "nattarbete för {emp}",
    "passlangd": "max passlängd",
}


@dataclass
class RosterResult:
    """A solved roster with its reports."""

    status: str
    roster: dict[str, list[str]]
    objective: int
    staffing: list[dict] = field(default_factory=list)
    wishes_granted_pct: float = 100.0
    fairness: dict = field(default_factory=dict)
    explanations: list[str] = field(default_factory=list)
    changes: int | None = None
    continuity: list[dict] = field(default_factory=list)

    def to_dict(self, inp: RosterInput) -> dict:
        return {
            "unit": inp.unit,
            "status": self.status,
            "dates": [inp.date_of(d).isoformat() for d in range(inp.days)],
            "objective": self.objective,
            "roster": self.roster,
            "staffing": self.staffing,
            "wishes_granted_pct": self.wishes_granted_pct,
            "fairness": self.fairness,
            "explanations": self.explanations,
            "holidays": {inp.date_of(d).isoformat(): name for d, name in inp.holidays().items()},
            "continuity": self.continuity,
            **({"changes": self.changes} if self.changes is not None else {}),
        }


class RosterModel:
    """Builds the CP-SAT model for a RosterInput."""

    def __init__(self, inp: RosterInput, *, published: dict[str, list[str]] | None = None):
        self.inp, self.rules, self.weights = inp, inp.rules, inp.weights
        self.m = cp_model.CpModel()
        self.x: dict[tuple[int, int, str], cp_model.IntVar] = {}
        self.work: dict[tuple[int, int], cp_model.LinearExpr] = {}
        self.groups: dict[str, cp_model.IntVar] = {}
        self.costs: list = []
        self.published = published
        self._variables()
        for e, emp in enumerate(inp.employees):
            self._employee(e, emp)
        self._pins()
        self._demand()
        self._wishes()
        self._fairness()
        self._recipient_continuity()
        if published is not None:
            self._changes(published)
        self.m.minimize(sum(self.costs))

    def group(self, key: str) -> cp_model.IntVar:
        """Enforcement literal of one rule group / input item."""
        if key not in self.groups:
            self.groups[key] = self.m.new_bool_var(key)
        return self.groups[key]

    def _variables(self) -> None:
        inp = self.inp
        for e, emp in enumerate(inp.employees):
            allowed = [
                s.id
                for s in inp.shift_types
                if (emp.shifts is None or s.id in emp.shifts) and (not s.competence or s.competence in emp.competences)
            ]
            for d in range(inp.days):
                cell = [self.m.new_bool_var(f"x{e}_{d}_{s}") for s in allowed]
                for sid, var in zip(allowed, cell, strict=True):
                    self.x[e, d, sid] = var
                self.m.add_at_most_one(cell)
                self.work[e, d] = cp_model.LinearExpr.sum(cell)

    def xs(self, e: int, d: int, sid: str):
        return self.x.get((e, d, sid), 0)

    def _employee(self, e: int, emp) -> None:
        inp, rules = self.inp, self.inp.rules_for(emp.id)
        self._current_e = e
        absent = absent_days(inp, emp.id)
        for d in absent:
            lit = self.group(f"franvaro:{emp.id}:{d}")
            self.m.add(self.work[e, d] == 0).only_enforce_if(lit)
        for s in inp.shift_types:
            bad_length = s.length_min > rules.max_shift_hours * 60
            bad_night = s.is_night and rules.nights_only_night_workers and not emp.night_worker
            for d in range(inp.days):
                if (e, d, s.id) in self.x and bad_length:
                    self.m.add(self.x[e, d, s.id] == 0).only_enforce_if(self.group("passlangd"))
                if (e, d, s.id) in self.x and bad_night:
                    self.m.add(self.x[e, d, s.id] == 0).only_enforce_if(self.group(f"natt:{emp.id}"))
        self._rest(e, emp)
        self._week_rest(e, emp)
        self._hours(e, emp)
        window = rules.max_consecutive_days + 1
        lit = self.group(f"dagar_i_rad:{emp.id}")
        for start in range(0, inp.days - window + 1):
            self.m.add(
                sum(self.work[e, d] for d in range(start, start + window)) <= rules.max_consecutive_days
            ).only_enforce_if(lit)
        self._weekends(e, emp)
        self._continuity(e)

    def _instances(self, e: int, days) -> list[tuple[int, int, int, str]]:
        """(start, end, day, shift) intervals of the shift variables of employee e on the given days."""
        out = []
        for d in days:
            if not 0 <= d < self.inp.days:
                continue
            for s in self.inp.shift_types:
                if (e, d, s.id) in self.x:
                    out.append((d * DAY + s.start_min, d * DAY + s.start_min + s.length_min, d, s.id))
        return out

    def _rest(self, e: int, emp) -> None:
        """Dygnsvila: after every shift, and 11 h continuous inside every 24 h window from the dygnsbryt."""
        from radhus.planning.rules import longest_free

        need = round(self.inp.rules_for(emp.id).dygnsvila_hours * 60)
        lit = self.group(f"dygnsvila:{emp.id}")
        seen: set[frozenset] = set()
        for d in range(self.inp.days):
            for a in self._instances(e, [d]):
                for b in self._instances(e, [d + 1, d + 2]):
                    if b[0] - a[1] < need:
                        self._forbid(lit, [a, b], seen)
        for k in range(self.inp.days):
            lo = k * DAY + emp.dygnsbryt_min
            cand = [i for i in self._instances(e, [k - 1, k, k + 1]) if i[1] > lo and i[0] < lo + DAY]
            bad: list[frozenset] = []
            for size in (1, 2, 3):
                for combo in itertools.combinations(cand, size):
                    if len({c[2] for c in combo}) < size:
                        continue
                    key = frozenset(combo)
                    if any(b <= key for b in bad):
                        continue
                    if longest_free(list(combo), lo, lo + DAY) < need:
                        bad.append(key)
                        self._forbid(lit, list(combo), seen)

    def _forbid(self, lit, combo, seen: set) -> None:
        key = frozenset(combo)
        if key in seen:
            return
        seen.add(key)
        self.m.add_bool_or([lit.Not()] + [self.x[e_, d, s].Not() for e_, d, s in self._keys(combo)])

    def _keys(self, combo):
        e = self._current_e
        return [(e, c[2], c[3]) for c in combo]

    def _week_rest(self, e: int, emp) -> None:
        """Veckovila: some rest of the required length lies inside each 7-day period."""
        rules = self.inp.rules_for(emp.id)
        need = round(rules.veckovila_hours * 60) + (
            0 if rules.veckovila_includes_dygnsvila else round(rules.dygnsvila_hours * 60)
        )
        lit = self.group(f"veckovila:{emp.id}")
        for w in range(self.inp.weeks):
            lo, hi = w * 7 * DAY + emp.dygnsbryt_min, (w + 1) * 7 * DAY + emp.dygnsbryt_min
            inst = self._instances(e, range(w * 7 - 1, w * 7 + 8))
            starts = sorted({lo} | {i[1] for i in inst if lo <= i[1] <= hi - need})
            options = []
            for p in starts:
                blocking = [i for i in inst if i[0] < p + need and i[1] > p]
                r = self.m.new_bool_var(f"vv{e}_{w}_{p}")
                for i in blocking:
                    self.m.add_implication(r, self.x[e, i[2], i[3]].Not())
                options.append(r)
            self.m.add_bool_or([lit.Not(), *options])

    def _hours(self, e: int, emp) -> None:
        rules = self.inp.rules_for(emp.id)
        target = target_minutes(self.inp, emp.id)
        worked = sum(self.inp.shift(sid).work_min * v for (e_, _, sid), v in self.x.items() if e_ == e)
        self.m.add(worked <= target + round(rules.hours_tolerance * 60)).only_enforce_if(
            self.group(f"arbetstid:{emp.id}")
        )
        if emp.night_worker:
            limit = round(rules.night_max_avg_hours * 60 * self.inp.days)
            self.m.add(worked <= limit).only_enforce_if(self.group(f"natt:{emp.id}"))
        under = self.m.new_int_var(0, target // 60 + 1, f"under{e}")
        self.m.add(60 * under >= target - worked)
        self.costs.append(self.weights.hours_under * under)

    def _weekend_flags(self, e: int) -> list:
        flags = []
        for w in range(self.inp.weeks):
            days = [d for d in range(w * 7, w * 7 + 7) if self.inp.date_of(d).weekday() >= 5]
            flag = self.m.new_bool_var(f"wk{e}_{w}")
            for d in days:
                self.m.add(flag >= self.work[e, d])
            flags.append(flag)
        return flags

    def _weekends(self, e: int, emp) -> None:
        flags = self._weekend_flags(e)
        self.weekend_count = getattr(self, "weekend_count", {})
        self.weekend_count[e] = sum(flags)
        rules = self.inp.rules_for(emp.id)
        if not rules.every_other_weekend_free:
            return
        lit = self.group(f"helg:{emp.id}") if rules.weekend_hard else None
        for a, b in zip(flags, flags[1:], strict=False):
            if lit is not None:
                self.m.add(a + b <= 1).only_enforce_if(lit)
            else:
                both = self.m.new_bool_var("")
                self.m.add(both >= a + b - 1)
                self.costs.append(self.weights.weekend_rule * both)

    def _continuity(self, e: int) -> None:
        for d in range(self.inp.days - 1):
            for s in self.inp.shift_types:
                if (e, d, s.id) not in self.x:
                    continue
                change = self.m.new_bool_var("")
                self.m.add(change >= self.x[e, d, s.id] + self.work[e, d + 1] - self.xs(e, d + 1, s.id) - 1)
                self.costs.append(self.weights.continuity * change)

    def _pins(self) -> None:
        index = {emp.id: e for e, emp in enumerate(self.inp.employees)}
        for pin in self.inp.pins:
            e = index[pin.employee]
            lit = self.group(f"last:{pin.employee}:{pin.day}")
            if pin.shift:
                if (e, pin.day, pin.shift) not in self.x:
                    self.m.add_bool_or([lit.Not()])
                else:
                    self.m.add(self.x[e, pin.day, pin.shift] == 1).only_enforce_if(lit)
            else:
                self.m.add(self.work[e, pin.day] == 0).only_enforce_if(lit)

    def demand_lines(self) -> list[tuple[int, str, str, int, int]]:
        """(day, shift, competence, minimum, ideal) for every demand line and day."""
        out = []
        for dem in self.inp.demand:
            for d in self.inp.demand_days(dem):
                out.append(
                    (d, dem.shift, dem.competence, dem.minimum, dem.ideal if dem.ideal is not None else dem.minimum)
                )
        return out

    def _demand(self) -> None:
        w = self.weights
        for d, sid, comp, minimum, ideal in self.demand_lines():
            staffed = sum(
                self.xs(e, d, sid) for e, emp in enumerate(self.inp.employees) if not comp or comp in emp.competences
            )
            factor = w.competence.get(comp, 1)
            short_min = self.m.new_int_var(0, minimum, "")
            short_ideal = self.m.new_int_var(0, ideal, "")
            over = self.m.new_int_var(0, len(self.inp.employees), "")
            self.m.add(short_min >= minimum - staffed)
            self.m.add(short_ideal >= ideal - staffed)
            self.m.add(over >= staffed - ideal)
            if self.rules.minimum_demand_hard:
                self.m.add(short_min == 0).only_enforce_if(self.group(f"behov:{d}:{sid}:{comp}"))
            self.costs += [
                w.unmet_minimum * factor * short_min,
                w.unmet_ideal * factor * short_ideal,
                w.over_ideal * over,
            ]

    def _wishes(self) -> None:
        index = {emp.id: e for e, emp in enumerate(self.inp.employees)}
        for wish in self.inp.wishes:
            e = index[wish.employee]
            on = self.xs(e, wish.day, wish.shift) if wish.shift else self.work[e, wish.day]
            penalty = (1 - on) if wish.want else on
            self.costs.append(self.weights.wish * wish.weight * penalty)

    def _fairness(self) -> None:
        emps = self.inp.employees
        night_ids = [s.id for s in self.inp.shift_types if s.is_night]
        unpopular = [s.id for s in self.inp.shift_types if s.unpopular]
        holidays = list(self.inp.holidays())
        weekday_holidays = [d for d in holidays if self.inp.date_of(d).weekday() < 5]
        self.fair_counts = {
            # a holiday on a weekday counts like one more weekend worked
            "helger": (
                range(len(emps)),
                lambda e: self.weekend_count[e] + sum(self.work[e, d] for d in weekday_holidays),
            ),
            "nätter": ([e for e, emp in enumerate(emps) if emp.night_worker], lambda e: self._count(e, night_ids)),
            "obekväma pass": (range(len(emps)), lambda e: self._count(e, unpopular)),
        }
        if holidays:
            self.fair_counts["helgdagar"] = (range(len(emps)), lambda e: sum(self.work[e, d] for d in holidays))
        for members, count in self.fair_counts.values():
            members = list(members)
            if len(members) < 2:
                continue
            scaled = [count(e) * round(1000 / emps[e].employment_pct) for e in members]
            hi = self.m.new_int_var(0, 100000, "")
            lo = self.m.new_int_var(0, 100000, "")
            for v in scaled:
                self.m.add(hi >= v)
                self.m.add(lo <= v)
            self.costs.append(self.weights.fairness * (hi - lo))

    def _recipient_continuity(self) -> None:
        """Soft rule: each care recipient meets few distinct staff, preferably the preferred ones."""
        for r in self.inp.recipients:
            shift_ids = [s.id for s in self.inp.shift_types if s.recipient == r.id]
            if not shift_ids:
                continue
            for e, emp in enumerate(self.inp.employees):
                cells = [self.x[e, d, sid] for d in range(self.inp.days) for sid in shift_ids if (e, d, sid) in self.x]
                if not cells:
                    continue
                meets = self.m.new_bool_var(f"meets{e}_{r.id}")
                for cell in cells:
                    self.m.add_implication(cell, meets)
                outside = bool(r.preferred_staff) and emp.id not in r.preferred_staff
                self.costs.append(self.weights.recipient_continuity * (2 if outside else 1) * meets)

    def _count(self, e: int, shift_ids: list[str]):
        return sum(self.xs(e, d, sid) for d in range(self.inp.days) for sid in shift_ids)

    def _changes(self, published: dict[str, list[str]]) -> None:
        self.change_terms = []
        for e, emp in enumerate(self.inp.employees):
            row = published.get(emp.id, [""] * self.inp.days)
            for d, sid in enumerate(row):
                same = self.xs(e, d, sid) if sid else 1 - self.work[e, d]
                if sid and (e, d, sid) in self.x:
                    self.m.add_hint(self.x[e, d, sid], 1)
                self.change_terms.append(1 - same)
        self.costs.append(self.weights.change * sum(self.change_terms))


def _build(inp: RosterInput, published=None) -> RosterModel:
    """Build the model (optionally with a published roster to stay close to)."""
    return RosterModel(inp, published=published)


def _solve(model: RosterModel, *, time_limit: float, workers: int, assume: list | None = None):
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit)
    solver.parameters.num_workers = workers
    if assume is None:
        for lit in model.groups.values():
            model.m.add(lit == 1)
    status = solver.solve(model.m)
    return solver, status


def _read_roster(model: RosterModel, solver: cp_model.CpSolver) -> dict[str, list[str]]:
    inp = model.inp
    roster = {emp.id: [""] * inp.days for emp in inp.employees}
    for (e, d, sid), var in model.x.items():
        if solver.boolean_value(var):
            roster[inp.employees[e].id][d] = sid
    return roster


def _label_group(inp: RosterInput, key: str) -> str:
    kind, _, rest = key.partition(":")
    parts = rest.split(":") if rest else []
    emp = inp.employee(parts[0]).label if parts and kind not in ("behov",) else ""
    if kind == "franvaro":
        return f"frånvaro för {emp} {inp.day_label(int(parts[1]))}"
    if kind == "last":
        return f"låst pass för {emp} {inp.day_label(int(parts[1]))}"
    if kind == "behov":
        return f"minsta bemanning {parts[1]} {inp.day_label(int(parts[0]))}" + (f" ({parts[2]})" if parts[2] else "")
    hours = inp.rules_for(parts[0]).dygnsvila_hours if kind == "dygnsvila" else inp.rules.dygnsvila_hours
    return GROUP_LABELS.get(kind, kind).format(emp=emp, h=f"{hours:g}")


def conflict_set(inp: RosterInput, *, time_limit: float = 20.0, workers: int = 2) -> list[str]:
    """Smallest set of rule groups / inputs that cannot all hold (deletion filtering over CP-SAT assumptions)."""
    deadline = time.monotonic() + time_limit

    def infeasible(keys: list[str]) -> bool | None:
        model = _build(inp)
        model.costs.clear()
        model.m.clear_objective()
        model.m.add_assumptions([model.groups[k] for k in keys])
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.5, min(5.0, deadline - time.monotonic()))
        solver.parameters.num_workers = workers
        status = solver.solve(model.m)
        if status == cp_model.INFEASIBLE:
            core = [
                model.m.get_bool_var_from_proto_index(i).name for i in solver.sufficient_assumptions_for_infeasibility()
            ]
            return True if not core else core  # type: ignore[return-value]
        return False if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None

    keys = list(_build(inp).groups)
    first = infeasible(keys)
    if first is False or first is None:
        return []
    current = [k for k in first if k in keys] if isinstance(first, list) and infeasible(first) else keys
    for key in list(current):
        if time.monotonic() > deadline:
            break
        trial = [k for k in current if k != key]
        if trial and infeasible(trial):
            current = trial
    return [_label_group(inp, k) for k in current]


def solve_roster(
    inp: RosterInput,
    *,
    time_limit: float = 20.0,
    workers: int = 2,
    published: dict[str, list[str]] | None = None,
    audit: Callable[[dict], None] | None = None,
) -> RosterResult:
    """Solve a unit roster; raises InvalidInput with the minimal conflicting set when hard rules cannot hold."""
    if time_limit <= 0:
        raise InvalidInput("Tidsgränsen måste vara större än 0 sekunder.")
    model = _build(inp, published)
    solver, status = _solve(model, time_limit=time_limit, workers=workers)
    if status == cp_model.INFEASIBLE:
        conflict = conflict_set(inp, time_limit=max(5.0, time_limit), workers=workers)
        raise InvalidInput(
            "De hårda reglerna kan inte uppfyllas samtidigt. Minsta motstridiga uppsättning: " + "; ".join(conflict),
            detail={"conflict": conflict},
        )
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise InvalidInput("Inget schema hittades inom tidsgränsen – öka tidsgränsen.")
    roster = _read_roster(model, solver)
    result = report(inp, roster)
    result.status = "optimal" if status == cp_model.OPTIMAL else "tidsgräns nådd (ej bevisat optimalt)"
    result.objective = round(solver.objective_value)
    if published is not None:
        result.changes = count_changes(published, roster)
    if audit is not None:
        audit(
            {
                "action": "planning.roster.solve",
                "unit": inp.unit,
                "objective": result.objective,
                "status": result.status,
            }
        )
    return result


def count_changes(before: dict[str, list[str]], after: dict[str, list[str]]) -> int:
    """Number of (employee, day) cells that differ between two rosters."""
    return sum(
        1 for emp, row in after.items() for a, b in zip(before.get(emp, [""] * len(row)), row, strict=False) if a != b
    )


# --------------------------------------------------------------------------------------------------- reports


def staffing_report(inp: RosterInput, roster: dict[str, list[str]]) -> list[dict]:
    """Staffed vs minimum/ideal per day, shift and competence."""
    comps = {e.id: set(e.competences) for e in inp.employees}
    out = []
    for dem in inp.demand:
        ideal = dem.ideal if dem.ideal is not None else dem.minimum
        for d in inp.demand_days(dem):
            staffed = sum(
                1
                for eid, row in roster.items()
                if row[d] == dem.shift and (not dem.competence or dem.competence in comps[eid])
            )
            out.append(
                {
                    "day": d,
                    "date": inp.date_of(d).isoformat(),
                    "shift": dem.shift,
                    "competence": dem.competence,
                    "minimum": dem.minimum,
                    "ideal": ideal,
                    "staffed": staffed,
                    "under_minimum": max(0, dem.minimum - staffed),
                    "under_ideal": max(0, ideal - staffed),
                    "over_ideal": max(0, staffed - ideal),
                }
            )
    return out


def _why_not(inp: RosterInput, roster: dict[str, list[str]], emp, day: int, sid: str, cache: dict | None = None) -> str:
    """Short Swedish reason why this employee does not take the shift."""
    absent = absent_days(inp, emp.id)
    if day in absent:
        return f"{emp.label} är frånvarande ({absent[day]})"
    problems = check_assignment_change(
        inp=inp, roster=roster, employee_id=emp.id, day=day, shift_id=sid, before_cache=cache
    )
    if problems:  # a rule that would block the shift even instead of this person's current one names the cause
        return problems[0]
    current = roster[emp.id][day]
    if current:
        return f"{emp.label} arbetar redan {shift_noun(inp.shift(current).label)}"
    return f"{emp.label} kan ta passet men det skulle försämra andra mål (arbetstid, önskemål, rättvisa)"


def explain_unmet(inp: RosterInput, roster: dict[str, list[str]], line: dict, cache: dict | None = None) -> str:
    """Swedish explanation of one under-staffed line naming what prevents a better solution."""
    d, sid, comp = line["day"], line["shift"], line["competence"]
    shift = inp.shift(sid)
    who = comp or "personal"
    nobody = f"Ingen med {comp}" if comp else "Ingen i personalen"
    candidates = [e for e in inp.employees if (not comp or comp in e.competences) and roster[e.id][d] != sid]
    missing = line["under_minimum"] or line["under_ideal"]
    kind = "minimibemanningen" if line["under_minimum"] else "önskad bemanning"
    holiday = inp.holidays().get(d)
    head = f"{shift.label} {inp.day_label(d)}{f' ({holiday})' if holiday else ''}: {missing} {who} saknas ({kind})."
    if not candidates:
        return f"{head} {nobody} finns att sätta in."
    reasons = [_why_not(inp, roster, e, d, sid, cache) for e in candidates]
    blocked = [r for r in reasons if "kan ta passet" not in r]
    if len(blocked) == len(reasons):
        lead = f"{head} {nobody} kan ta {shift_noun(shift.label)} {inp.day_label(d)} utan att bryta reglerna: "
        return lead + "; ".join(reasons[:6])
    return f"{head} " + "; ".join(reasons[:6])


def _wish_granted(inp: RosterInput, roster: dict[str, list[str]], wish) -> bool:
    value = roster[wish.employee][wish.day]
    on = (value == wish.shift) if wish.shift else bool(value)
    return on == wish.want


def report(inp: RosterInput, roster: dict[str, list[str]]) -> RosterResult:
    """Staffing report, wishes granted, fairness and explanations for a roster (from the checker, not the model)."""
    staffing = staffing_report(inp, roster)
    cache: dict = {}  # each employee's current violations, computed once for all the explanations
    explanations = [explain_unmet(inp, roster, line, cache) for line in staffing if line["under_ideal"]]
    for v in check_roster_rules(inp, roster):
        explanations.append(("Regelbrott: " if v.hard else "Mjuk regel: ") + v.message)
    granted = 0
    for wish in inp.wishes:
        if _wish_granted(inp, roster, wish):
            granted += 1
            continue
        what = shift_noun(inp.shift(wish.shift).label) if wish.shift else "arbete"
        verb = "önskade" if wish.want else "ville undvika"
        explanations.append(
            f"Önskemål ej uppfyllt: {inp.employee(wish.employee).label} {verb} {what} {inp.day_label(wish.day)}."
        )
    pct = round(100.0 * granted / len(inp.wishes), 1) if inp.wishes else 100.0
    for emp in inp.employees:
        if len(absent_days(inp, emp.id)) == inp.days:
            explanations.append(f"{emp.label} är inte tillgänglig någon dag under perioden och har inga pass.")
    continuity = recipient_continuity(inp, roster, cache)
    explanations += [c["explanation"] for c in continuity if c["explanation"]]
    return RosterResult(
        status="",
        roster=roster,
        objective=0,
        staffing=staffing,
        wishes_granted_pct=pct,
        fairness=fairness_figures(inp, roster),
        explanations=explanations,
        continuity=continuity,
    )


def recipient_continuity(inp: RosterInput, roster: dict[str, list[str]], cache: dict | None = None) -> list[dict]:
    """Per care recipient: the distinct staff met, the share of shifts worked by the preferred staff, and a Swedish
    explanation naming why preferred staff did not take the shifts others worked."""
    out = []
    for r in inp.recipients:
        shift_ids = {s.id for s in inp.shift_types if s.recipient == r.id}
        worked = [(d, emp, roster[emp.id][d]) for emp in inp.employees for d in range(inp.days)]
        worked = [(d, emp, sid) for d, emp, sid in worked if sid in shift_ids]
        if not worked:
            continue
        counts: dict[str, int] = {}
        for _, emp, _ in worked:
            counts[emp.id] = counts.get(emp.id, 0) + 1
        staff = sorted(counts, key=lambda e: (-counts[e], e))
        by_others = sorted(
            (w for w in worked if r.preferred_staff and w[1].id not in r.preferred_staff), key=lambda w: w[0]
        )
        share = 100.0 * (len(worked) - len(by_others)) / len(worked) if r.preferred_staff else None
        names = ", ".join(f"{inp.employee(e).label} ({counts[e]})" for e in staff)
        summary = f"{r.label} mötte {len(staff)} olika personal under perioden: {names}."
        out.append(
            {
                "recipient": r.id,
                "name": r.label,
                "shifts": len(worked),
                "distinct_staff": len(staff),
                "staff": {e: counts[e] for e in staff},
                "preferred_staff": list(r.preferred_staff),
                "preferred_share_pct": None if share is None else round(share, 1),
                "summary": summary,
                "explanation": _continuity_explanation(inp, roster, r, by_others, cache) if by_others else "",
            }
        )
    return out


def _continuity_explanation(
    inp: RosterInput, roster: dict[str, list[str]], r, by_others: list, cache: dict | None = None
) -> str:
    """Why the preferred staff did not take the shifts that other staff worked (first three named)."""
    preferred = [inp.employee(e) for e in r.preferred_staff]
    head = (
        f"Kontinuitet för {r.label}: {len(by_others)} pass gick till annan än ordinarie personal "
        f"({', '.join(p.label for p in preferred)})."
    )
    reasons = []
    for d, emp, sid in by_others[:3]:
        why = "; ".join(_why_not(inp, roster, p, d, sid, cache) for p in preferred)
        reasons.append(f"{shift_noun(inp.shift(sid).label)} {inp.day_label(d)} ({emp.label}): {why}")
    return head + " " + " ".join(f"{x}." for x in reasons)


def fairness_figures(inp: RosterInput, roster: dict[str, list[str]]) -> dict:
    """Per-employee counts of weekends, nights and unpopular shifts, with min/max per full-time equivalent."""
    per: dict[str, dict[str, float]] = {}
    holidays = inp.holidays()
    keys = ["helger", "nätter", "obekväma pass"] + (["helgdagar"] if holidays else [])
    for emp in inp.employees:
        row = roster[emp.id]
        weekends = sum(
            1
            for w in range(inp.weeks)
            if any(row[d] and inp.date_of(d).weekday() >= 5 for d in range(w * 7, w * 7 + 7))
        )
        weekends += sum(1 for d in holidays if row[d] and inp.date_of(d).weekday() < 5)  # counts like a weekend
        nights = sum(1 for s in row if s and inp.shift(s).is_night)
        unpopular = sum(1 for s in row if s and inp.shift(s).unpopular)
        hours = sum(inp.shift(s).work_min for s in row if s) / 60
        per[emp.id] = {"helger": weekends, "nätter": nights, "obekväma pass": unpopular}
        if holidays:
            per[emp.id]["helgdagar"] = sum(1 for d in holidays if row[d])
        per[emp.id]["timmar"] = round(hours, 2)
    spread = {}
    for key in keys:
        scaled = [per[e.id][key] * 100 / e.employment_pct for e in inp.employees]
        spread[key] = {"min_per_heltid": round(min(scaled), 2), "max_per_heltid": round(max(scaled), 2)}
    return {"per_employee": per, "spread": spread}
