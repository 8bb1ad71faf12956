"""Independent checker for Curtois & Qu rosters: recomputes hard-rule validity and the objective from the output.

Written separately from the solver's model (plain loops over the roster, no CP-SAT) so that tests and benchmarks
can verify every solution the solver writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from radhus.core.errors import InvalidInput
from radhus.planning.nrp import NrpInstance, parse_nrp_file


@dataclass
class NrpCheck:
    """Result of a check: hard-rule violations (Swedish) and the recomputed objective."""

    objective: int
    violations: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.violations


def _blocks(flags: list[bool], value: bool) -> list[tuple[int, int]]:
    """Maximal runs (start, length) of `value` in flags."""
    runs, start = [], None
    for d, f in enumerate(flags + [not value]):
        if f == value and start is None:
            start = d
        elif f != value and start is not None:
            runs.append((start, d - start))
            start = None
    return runs


def _check_employee(inst: NrpInstance, e: int, row: list[str]) -> list[str]:
    st = inst.staff[e]
    lengths = {s.id: s.minutes for s in inst.shifts}
    follow = {s.id: set(s.cannot_follow) for s in inst.shifts}
    out: list[str] = []
    horizon = inst.horizon
    for d, sid in enumerate(row):
        if sid and sid not in lengths:
            out.append(f"{st.id}: okänt pass '{sid}' dag {d}.")
        if sid and d in inst.days_off[e]:
            out.append(f"{st.id}: arbetar dag {d} som är ledig dag.")
        if sid and d > 0 and row[d - 1] and sid in follow.get(row[d - 1], set()):
            out.append(f"{st.id}: pass {sid} dag {d} får inte följa {row[d - 1]}.")
    for sid in lengths:
        used = sum(1 for v in row if v == sid)
        if used > st.max_shifts.get(sid, 0):
            out.append(f"{st.id}: {used} pass {sid}, max {st.max_shifts.get(sid, 0)}.")
    minutes = sum(lengths.get(v, 0) for v in row if v)
    if not st.min_minutes <= minutes <= st.max_minutes:
        out.append(f"{st.id}: {minutes} minuter, tillåtet {st.min_minutes}–{st.max_minutes}.")
    working = [bool(v) for v in row]
    for start, length in _blocks(working, True):
        if length > st.max_consecutive:
            out.append(f"{st.id}: {length} arbetsdagar i följd från dag {start}, max {st.max_consecutive}.")
        if start > 0 and start + length < horizon and length < st.min_consecutive:
            out.append(f"{st.id}: bara {length} arbetsdagar i följd från dag {start}, min {st.min_consecutive}.")
    for start, length in _blocks(working, False):
        if start > 0 and start + length < horizon and length < st.min_days_off:
            out.append(f"{st.id}: bara {length} lediga dagar i följd från dag {start}, min {st.min_days_off}.")
    weekends = sum(1 for sat in range(5, horizon, 7) if working[sat] or (sat + 1 < horizon and working[sat + 1]))
    if weekends > st.max_weekends:
        out.append(f"{st.id}: {weekends} arbetshelger, max {st.max_weekends}.")
    return out


def _objective(inst: NrpInstance, roster: dict[str, list[str]]) -> int:
    ids = [s.id for s in inst.staff]
    shift_ids = [s.id for s in inst.shifts]
    total = 0
    for r in inst.on_requests:
        total += r.weight if roster[ids[r.employee]][r.day] != shift_ids[r.shift] else 0
    for r in inst.off_requests:
        total += r.weight if roster[ids[r.employee]][r.day] == shift_ids[r.shift] else 0
    for (d, s), c in inst.cover.items():
        staffed = sum(1 for row in roster.values() if row[d] == shift_ids[s])
        total += max(0, c.requirement - staffed) * c.under_weight + max(0, staffed - c.requirement) * c.over_weight
    return total


def check_roster(inst: NrpInstance, roster: dict[str, list[str]]) -> NrpCheck:
    """Check a roster {employee id: [shift id or "", one per day]} against an instance."""
    violations: list[str] = []
    for e, st in enumerate(inst.staff):
        row = roster.get(st.id)
        if row is None or len(row) != inst.horizon:
            violations.append(f"{st.id}: saknas eller har fel antal dagar.")
            roster = {**roster, st.id: [""] * inst.horizon}
            continue
        violations += _check_employee(inst, e, row)
    return NrpCheck(objective=_objective(inst, roster), violations=violations)


def nrp_check(instance_path: Path, roster_path: Path) -> NrpCheck:
    """Check an output file written by `radhus plan nrp`; also compares the stated objective."""
    inst = parse_nrp_file(instance_path)
    try:
        data = json.loads(Path(roster_path).read_text(encoding="utf-8"))
        roster = data["roster"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"Schemafilen {roster_path} kan inte läsas: {exc}") from exc
    result = check_roster(inst, roster)
    if data.get("objective") != result.objective:
        result.violations.append(f"Angivet målvärde {data.get('objective')} men omräknat {result.objective}.")
    return result
