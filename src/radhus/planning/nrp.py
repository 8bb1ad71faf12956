"""Curtois & Qu nurse-rostering benchmark (instances 1-24): parser, CP-SAT model and large-neighbourhood search.

The solver works in phases, all inside one wall-clock budget:
1. construction: every hard rule concerns one employee, so a roster is feasible when each row is; a randomised
   greedy (nrp_construct.RowBuilder) builds each row against the cover left by the ones before in milliseconds, even
   over a year, and CP-SAT solves only the rows it cannot build; row rebuilding (the best of greedy rows and, on
   large instances, a Lagrangian DP's optimal-or-near row against all the others, until a pass stalls, then block
   swaps between two rows that meet more requests and keep the cover, nrp_swap) and, on smaller ones, a CP-SAT
   descent over single employees then improve it for the rest of the construction budget;
2. instances up to DIVE_MAX_CELLS cells and DIVE_MAX_DAYS days: column generation with diving
   (nrp_colgen) for DIVE_SHARE of the time left (small models: a short whole-model CP-SAT solve first, which proves
   the smallest optimal, and SMALL_DIVE_SHARE): the master LP over whole rows is tight on this benchmark, and the
   dive's roster was at the best known value on Instances 9-12 at 60 s where the LNS alone stayed 4-30 % above;
   longer horizons: the same dive over windows of WINDOW_DAYS days with the rest of the roster fixed (nrp_window),
   window after window, for WINDOW_SHARE of the time left (narrower windows, then row rebuilding and block swaps in
   turn, when a window's LP does not converge in its time); a window pays a price for each weekend it gives an
   employee who works every weekend allowed (weekend_prices), so that a weekend goes where it covers most, not to
   the first window met.
   The dives are single-threaded, so a helper process (nrp_helper) uses the second core meanwhile: it dives the
   whole instance again with other tie-breaking, or a second window whose sub-horizon does not meet the first;
3. small models (up to FULL_SOLVE_MAX_CELLS assignment variables): a whole-model CP-SAT solve warm-started from that
   roster for most of the time left, which also gives a lower bound and proves optimality on the smallest instances;
   larger ones: a short descent that re-optimises each employee alone against all the others;
4. large-neighbourhood search: re-optimise a random subset of employees, a window of days, both, or the employees
   able to fill an under-covered shift around its day, with the rest fixed as constants, accepting equal or better
   rosters; the neighbourhood size adapts to how quickly sub-problems close and the kind to how often it gains.
Every CP-SAT solve of more than a few hundred variables runs the full portfolio (PORTFOLIO_WORKERS threads, even
on two cores): measured on Instance7 at 40 s, eight workers per sub-solve reached 1069-1182 against 1686-1797 with
one worker and 1281-1375 with sixteen.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import statistics
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ortools.sat.python import cp_model

from radhus.core.errors import InvalidInput
from radhus.planning.nrp_colgen import Diver, best_combination, least_objective, sat_solver
from radhus.planning.nrp_construct import EXACT_STATES, RowBuilder, mean_under_weight, row_violation, worked_weekends
from radhus.planning.nrp_helper import Helper
from radhus.planning.nrp_swap import swap_descent
from radhus.planning.nrp_window import Window, group_instance, merge, window_instance, window_span

OFF = -1
# Models up to FULL_SOLVE_MAX_CELLS (employee x day x shift) cells are solved whole by CP-SAT, warm-started from the
# constructed roster, for the time left (CP-SAT's own portfolio does best on them and proves optimality on the
# smallest); larger ones (the long horizons and big staffs of the held-out instances) go to our own
# large-neighbourhood search, whose sub-problems are again solved by the CP-SAT portfolio.
FULL_SOLVE_MAX_CELLS = 2000
FULL_SHARE = 0.8  # share of the time after construction for that whole-model solve; LNS gets the rest
# CP-SAT's portfolio (LNS, feasibility jump, core-based search...) needs about eight workers to be complete; the
# threads share the cores, so this is the right count even on a two-core machine.
PORTFOLIO_WORKERS = 8
DESCENT_SHARE = 0.05  # at most this share of the limit for one-employee-at-a-time descent after construction
LARGE_STAFF_DAYS = 5000  # above this (employees x days), construction may use LARGE_CONSTRUCT_SHARE of the time
REBUILD_SHARE = 0.1  # share of the construction budget for greedy row rebuilding on smaller instances
# construction budget of large instances (staff x days > LARGE_STAFF_DAYS) over six weeks or more: the row DP's
# rebuilding gained more than LNS there (60 x 364 before windows: 78 900 against 86 200); it stops when a pass gains
# little (CONSTRUCT_STALL). Large instances under six weeks dive by groups of staff instead (GROUP_CELLS).
LARGE_CONSTRUCT_SHARE = 0.7
DIVE_SHARE = 0.85  # share of the time left after construction for column generation with diving
# Instances up to DIVE_MAX_CELLS cells and DIVE_MAX_DAYS days (and not large) dive. With the compiled row DP
# (nrp_kernels) the root LP of Instance12 (10 452 cells) converges in about 7 s (48 s before); at 120 s, Instance12
# widened to 120 staff (20 904 cells) reached 8 093 with the dive against 10 172 without, Instance8 over 56 days
# 2 726 against 3 304, but Instance9 over 84 days 413 against 344 (its dive barely ends in time).
# Above WIDE_DIVE_CELLS cells (many staff and shift types, like held-out Instance13: 120 staff, 18 shift types) the
# master LP has many cover rows and GLOP takes about 0.5 s a solve, so a dive fixing one employee a step ran out of
# time with 26 of 120 unfixed; those dives fix at least WIDE_FIX_SHARE of the free employees a step. At 120 s,
# Instance12 with staff and shift types copied twice (41 808 cells): 8 710 against 12 062 without the dive (best known
# x 2: 8 080); Instance11 with staff copied three times and shift types twice (31 824 cells): 10 341 against 11 738
# (10 329). With shift types copied three times (62 712 cells) the root LP does not converge in its time: 19 358
# against 13 840 without the dive, hence DIVE_MAX_CELLS.
DIVE_MAX_CELLS = 45000
WIDE_DIVE_CELLS = 30000
WIDE_FIX_SHARE = 0.3
DIVE_MAX_DAYS = 56
# Wider instances (and large ones) under six weeks dive by groups of employees of about GROUP_CELLS cells, the
# others fixed (`_Search.group_dives`), for GROUP_SHARE of the time left after a construction like the windows'.
# Instance12 with staff x2 and shift types x3 (62 712 cells) at 120 s: 9 141 (seed 2: 9 413, 8 950) against
# 12 265 with the row DP's rebuilding for LARGE_CONSTRUCT_SHARE of the limit; in scratch runs, groups of 15 000
# cells 10 061 / 10 883, of 10 000 12 435, of 21 000 11 010, of 31 000 12 604, and fixing WINDOW_FIX_SHARE a step
# instead 11 436
GROUP_CELLS = 15000
GROUP_SHARE = 0.9
GROUP_MIN_SECONDS = 3.0
# Small models (FULL_SOLVE_MAX_CELLS) first get a short whole-model CP-SAT solve (PROOF_SHARE of the limit) that
# proves the smallest optimal (Instance1 in 0.3 s), then dive again and again for SMALL_DIVE_SHARE of the time left,
# then the long CP-SAT solve. They used to dive once: its roster varies from run to run, and at 60 s the CP-SAT solve
# after it ended at 2 043, 2 049, 1 951, 1 952 on Instance6 (best known 1 950) and 1 061 four times on Instance7
# (1 056); now 1 951 in three runs and 1 057, 1 057, 1 058, 1 061. Diving again before any CP-SAT solve reached
# 1 950 in two of five runs, but spent 18 s on Instance1 before CP-SAT proved it optimal. The last third of the dives'
# time (SMALL_COMBINE_SHARE) goes to the best combination of the columns they met (nrp_colgen.best_combination).
PROOF_SHARE = 0.05
SMALL_DIVE_SHARE = 0.45
SMALL_COMBINE_SHARE = 1 / 3
REST_SHARE = 0.3  # CP-SAT time for the employees a dive leaves free, as a share of the dive's own time
REDIVE_NOISE = 0.3  # random tie-breaking added to LP values when diving again
# Longer horizons (and large instances) dive over windows of WINDOW_DAYS days (NARROW_WINDOW_DAYS when those do not
# converge) with the rest of the roster fixed (nrp_window), after a construction of WINDOW_CONSTRUCT_SHARE of the
# limit (large instances: LARGE_CONSTRUCT_SHARE; both see CONSTRUCT_STALL), for WINDOW_SHARE of the time left; a
# window gets an equal share of what is left, at least WINDOW_MIN_SECONDS, and its dive fixes at least
# WINDOW_FIX_SHARE of the free employees per step.
WINDOW_DAYS = 14
NARROW_WINDOW_DAYS = 7
# on the window path, construction's rebuilding passes stop when one gains less than this share of the objective;
# large instances get LARGE_CONSTRUCT_SHARE of the limit for their row-DP passes: on 150 staff x 364 days x 30
# shift types a pass takes 30 s and gains 9 %, and 14-day windows do not converge in the time they get (at 120 s:
# 239 135 after 12 s of construction, 163 360 after 84 s); on Instance12 x 13 a pass takes 4.5 s and the windows
# gain more after the fifth
CONSTRUCT_STALL = 0.03
# Long-row construction may price each weekend worked on one day only at this x the mean under-cover weight. Where
# the weekend limit binds and the cover is short on weekends, the rebuilding otherwise settles with many such weekends,
# each a weekend of the yearly budget spent on one day (Instance11 x 13 with 100 staff: 100 of them, the excess over
# the four-week optimum's under-cover exactly); priced, the rows move them to whole weekends (construction 103 550 ->
# 94 383). Where single days are what the cover needs (Instance12 x 13: 79 146 -> 85 908) a first pass shows it, and
# the construction goes on unpriced (`_Search.shaped_rebuild`). Shares 1.0 / 1.5 / 2 / 3, priced throughout: 97 027 /
# 94 687 / 94 184 / 94 383 on Instance11 x 13
SINGLE_WEEKEND_SHARE = 3.0
WINDOW_CONSTRUCT_SHARE = 0.1
WINDOW_SHARE = 0.9
WINDOW_MIN_SECONDS = 3.0
WINDOW_FIX_SHARE = 0.15
# two windows dived at once (by the helper process) each get PAIR_TIME x the time of a window dived alone, so a
# pass takes as long as without the helper: 120 s, one run each, Instance8 x 3 4 079 and 4 157 at 2 against 4 196
# and 4 295 at 1; Instance12 x 7 29 278 / 29 370; Instance12 x 13 56 806 / 56 138 -- all within the spread between
# runs of the same code (docs/benchmarks.md)
PAIR_TIME = 2.0
# a window (or pair) gets at least WINDOW_NEED x the mean time of the last 8: a dive cut short leaves a poor roster
WINDOW_NEED = 1.25
HELPER_GRACE_SECONDS = 5.0  # how long past a window's deadline the helper process may take before it is dropped
# after STALLED_PASSES passes in a row that gain nothing the windows widen to WIDE_WINDOW_DAYS days (0: never),
# and when those stall too, the rest of the time goes to the descent and LNS: on Instance8 x 3 at 120 s the 14-day
# passes stalled after 40-55 s and gained nothing until the time was up (4 142, 4 213, 4 402, 4 755 in four runs);
# ending there gave 4 095-4 388 (mean 4 230), widening first 4 132, 4 165, 4 195; Instance9 x 3: 233 against 278
STALLED_PASSES = 2
WIDE_WINDOW_DAYS = 28
# the price of a weekend worked, in a window, for an employee who works every weekend allowed, as a share of the
# mean under-cover weight: without it a window keeps every weekend it is given, also where it covers nothing, and
# the windows cannot pass weekends to one another (Instance12 x 13 at 120 s: 59 872 at 0, 57 401 at 0.75,
# 58 271 at 0.5, 68 454 at 1.0: priced at the gain of one under-covered day, weekends are given up and not used
# again); Instance8 x 3: 4 706 at 0, 4 195 at 0.75, 4 588 at 1.0; Instance12 x 7: 29 168-29 795 in four runs at
# 0.75 against 30 586-31 424 in three at 0 (docs/benchmarks.md)
WEEKEND_PRICE_SHARE = 0.75
# the row DP keeps minutes and the tightest shift maximum exactly in a window up to this many states (EXACT_STATES
# over whole instances): on a 14-day window of Instance12 x 13 the dive took 4-5 s instead of 6 s, same rosters
WINDOW_EXACT_STATES = 1_000_000
LONG_HORIZON = 56  # longer horizons never free an employee's whole horizon at once
LNS_START_CELLS = 1500.0  # first size of an LNS sub-problem in free cells; adapts to how quickly they close
LNS_MIN_CELLS = 200.0
LNS_SUB_SHARE = 1 / 60  # time limit of one LNS sub-solve as a share of the whole limit (0.5 to 10 s)
SECTIONS = (
    "SECTION_HORIZON",
    "SECTION_SHIFTS",
    "SECTION_STAFF",
    "SECTION_DAYS_OFF",
    "SECTION_SHIFT_ON_REQUESTS",
    "SECTION_SHIFT_OFF_REQUESTS",
    "SECTION_COVER",
)


@dataclass(frozen=True)
class NrpShift:
    """One shift type: id, length in minutes and the shift ids that may not follow it the next day."""

    id: str
    minutes: int
    cannot_follow: tuple[str, ...]


@dataclass(frozen=True)
class NrpStaff:
    """One employee's hard limits as the benchmark defines them."""

    id: str
    max_shifts: dict[str, int]
    max_minutes: int
    min_minutes: int
    max_consecutive: int
    min_consecutive: int
    min_days_off: int
    max_weekends: int


@dataclass(frozen=True)
class NrpRequest:
    """A shift-on or shift-off request with its penalty weight."""

    employee: int
    day: int
    shift: int
    weight: int


@dataclass(frozen=True)
class NrpCover:
    """Cover requirement for one day and shift with under/over penalty weights."""

    requirement: int
    under_weight: int
    over_weight: int


@dataclass
class NrpInstance:
    """A parsed instance; employees and shifts are referred to by index everywhere else."""

    name: str
    horizon: int
    shifts: list[NrpShift]
    staff: list[NrpStaff]
    days_off: list[set[int]]
    on_requests: list[NrpRequest]
    off_requests: list[NrpRequest]
    cover: dict[tuple[int, int], NrpCover]
    forbidden_pairs: list[tuple[int, int]] = field(default_factory=list)
    # (employee, day) -> shift kept fixed; only a window's frame (nrp_window), which also carries them as on-requests
    pinned: dict[tuple[int, int], int] = field(default_factory=dict)
    # a price per weekend worked, per employee (empty: none); only a window's sub-instance (nrp_window) sets it, so
    # that the window spends an employee's scarce yearly weekends only where they gain more
    weekend_prices: list[int] = field(default_factory=list)

    @property
    def n_staff(self) -> int:
        return len(self.staff)

    @property
    def n_shifts(self) -> int:
        return len(self.shifts)

    def shift_index(self, shift_id: str) -> int:
        """Index of a shift id (raises InvalidInput when unknown)."""
        for index, shift in enumerate(self.shifts):
            if shift.id == shift_id:
                return index
        raise InvalidInput(f"Okänt pass '{shift_id}' i instansen {self.name}.")


# --------------------------------------------------------------------------------------------------- parsing


def _int(value: str, where: str) -> int:
    try:
        return int(value.strip())
    except ValueError as exc:
        raise InvalidInput(f"Felaktigt heltal '{value.strip()}' i {where}.") from exc


def _split_sections(text: str, name: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("SECTION_"):
            if line not in SECTIONS:
                raise InvalidInput(f"Okänd sektion '{line}' i {name}.")
            current = line
            sections[current] = []
            continue
        if current is None:
            raise InvalidInput(f"Text före första sektionen i {name}: '{line[:40]}'.")
        sections[current].append(line)
    missing = [s for s in ("SECTION_HORIZON", "SECTION_SHIFTS", "SECTION_STAFF", "SECTION_COVER") if s not in sections]
    if missing:
        raise InvalidInput(f"Instansfilen {name} saknar sektionerna: {', '.join(missing)}.")
    return sections


def _fields(line: str, count: int, where: str) -> list[str]:
    parts = [p.strip() for p in line.split(",")]
    if len(parts) < count:
        raise InvalidInput(f"För få fält på raden '{line}' i {where} (väntade {count}).")
    return parts


def _parse_shifts(lines: list[str]) -> list[NrpShift]:
    shifts = []
    for line in lines:
        parts = _fields(line, 2, "SECTION_SHIFTS")
        follow = tuple(p for p in (parts[2].split("|") if len(parts) > 2 else []) if p)
        shifts.append(NrpShift(parts[0], _int(parts[1], "SECTION_SHIFTS"), follow))
    if not shifts:
        raise InvalidInput("Instansen har inga passtyper.")
    return shifts


def _parse_staff(lines: list[str], shift_ids: set[str]) -> list[NrpStaff]:
    staff = []
    for line in lines:
        p = _fields(line, 8, "SECTION_STAFF")
        max_shifts = {}
        for item in (x for x in p[1].split("|") if x):
            sid, _, limit = item.partition("=")
            if sid not in shift_ids:
                raise InvalidInput(f"Personal {p[0]} har gräns för okänt pass '{sid}'.")
            max_shifts[sid] = _int(limit, "SECTION_STAFF")
        numbers = [_int(v, "SECTION_STAFF") for v in p[2:8]]
        staff.append(NrpStaff(p[0], max_shifts, *numbers))
    if not staff:
        raise InvalidInput("Instansen har ingen personal.")
    return staff


def parse_nrp_text(text: str, *, name: str = "instans") -> NrpInstance:
    """Parse the schedulingbenchmarks.org text format into an NrpInstance."""
    sections = _split_sections(text, name)
    if len(sections["SECTION_HORIZON"]) != 1:
        raise InvalidInput(f"SECTION_HORIZON i {name} ska innehålla exakt ett tal.")
    horizon = _int(sections["SECTION_HORIZON"][0], "SECTION_HORIZON")
    if horizon <= 0:
        raise InvalidInput(f"Planeringshorisonten i {name} måste vara minst en dag.")
    shifts = _parse_shifts(sections["SECTION_SHIFTS"])
    shift_pos = {s.id: i for i, s in enumerate(shifts)}
    staff = _parse_staff(sections["SECTION_STAFF"], set(shift_pos))
    staff_pos = {s.id: i for i, s in enumerate(staff)}

    def employee(eid: str, where: str) -> int:
        if eid not in staff_pos:
            raise InvalidInput(f"Okänd personal '{eid}' i {where}.")
        return staff_pos[eid]

    def day(value: str, where: str) -> int:
        d = _int(value, where)
        if not 0 <= d < horizon:
            raise InvalidInput(f"Dag {d} i {where} ligger utanför horisonten 0–{horizon - 1}.")
        return d

    def shift(sid: str, where: str) -> int:
        if sid not in shift_pos:
            raise InvalidInput(f"Okänt pass '{sid}' i {where}.")
        return shift_pos[sid]

    days_off: list[set[int]] = [set() for _ in staff]
    for line in sections.get("SECTION_DAYS_OFF", []):
        parts = _fields(line, 1, "SECTION_DAYS_OFF")
        e = employee(parts[0], "SECTION_DAYS_OFF")
        days_off[e].update(day(v, "SECTION_DAYS_OFF") for v in parts[1:] if v)

    def requests(section: str) -> list[NrpRequest]:
        out = []
        for line in sections.get(section, []):
            p = _fields(line, 4, section)
            out.append(
                NrpRequest(employee(p[0], section), day(p[1], section), shift(p[2], section), _int(p[3], section))
            )
        return out

    cover: dict[tuple[int, int], NrpCover] = {}
    for line in sections["SECTION_COVER"]:
        p = _fields(line, 5, "SECTION_COVER")
        key = (day(p[0], "SECTION_COVER"), shift(p[1], "SECTION_COVER"))
        cover[key] = NrpCover(*(_int(v, "SECTION_COVER") for v in p[2:5]))
    if not cover:
        raise InvalidInput(f"Instansen {name} har inget bemanningsbehov (SECTION_COVER är tom).")
    forbidden = [(shift_pos[s.id], shift(t, "SECTION_SHIFTS")) for s in shifts for t in s.cannot_follow]
    return NrpInstance(
        name=name,
        horizon=horizon,
        shifts=shifts,
        staff=staff,
        days_off=days_off,
        on_requests=requests("SECTION_SHIFT_ON_REQUESTS"),
        off_requests=requests("SECTION_SHIFT_OFF_REQUESTS"),
        cover=cover,
        forbidden_pairs=forbidden,
    )


def parse_nrp_file(path: Path) -> NrpInstance:
    """Read and parse an instance file; Swedish InvalidInput on any problem."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise InvalidInput(f"Instansfilen {path} finns inte.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"Instansfilen {path} kan inte läsas: {exc}") from exc
    return parse_nrp_text(text, name=Path(path).stem)


# --------------------------------------------------------------------------------------------------- objective


def roster_objective(inst: NrpInstance, roster: list[list[int]]) -> int:
    """Objective of an index roster (roster[e][d] = shift index or OFF); hard rules are not checked here."""
    total = 0
    for r in inst.on_requests:
        if roster[r.employee][r.day] != r.shift:
            total += r.weight
    for r in inst.off_requests:
        if roster[r.employee][r.day] == r.shift:
            total += r.weight
    counts = [[0] * inst.n_shifts for _ in range(inst.horizon)]
    for row in roster:
        for d, s in enumerate(row):
            if s != OFF:
                counts[d][s] += 1
    for (d, s), c in inst.cover.items():
        diff = counts[d][s] - c.requirement
        total += diff * c.over_weight if diff > 0 else -diff * c.under_weight
    for price, row in zip(inst.weekend_prices, roster, strict=False):
        total += price * len(worked_weekends(row))
    return total


def _cover_cost_per_day(inst: NrpInstance, roster: list[list[int]]) -> list[int]:
    """Under/over-cover penalty of each day."""
    counts = [[0] * inst.n_shifts for _ in range(inst.horizon)]
    for row in roster:
        for d, s in enumerate(row):
            if s != OFF:
                counts[d][s] += 1
    cost = [0] * inst.horizon
    for (d, s), c in inst.cover.items():
        diff = counts[d][s] - c.requirement
        cost[d] += diff * c.over_weight if diff > 0 else -diff * c.under_weight
    return cost


# --------------------------------------------------------------------------------------------------- sub-model


class _SubModel:
    """CP-SAT model over free cells (employees x contiguous days); all other cells are constants."""

    def __init__(
        self,
        inst: NrpInstance,
        current: list[list[int]],
        free_emps: list[int],
        first: int,
        last: int,
        *,
        objective: bool = True,
    ):
        self.inst = inst
        self.current = current
        self.free = set(free_emps)
        self.free_emps = sorted(free_emps)
        self.first, self.last = first, last
        self.model = cp_model.CpModel()
        self.x: dict[tuple[int, int, int], cp_model.IntVar] = {}
        self.w: dict[tuple[int, int], cp_model.IntVar] = {}
        self.weekends: dict[int, list] = {}  # per free employee: whether each weekend is worked (variable or 0/1)
        self.hints: dict[cp_model.IntVar, int] = {}
        self.costs: list = []
        self._make_cells()
        for e in self.free_emps:
            self._employee_rules(e)
        if objective:
            self._cover()
            self._requests()
            self.model.minimize(sum(self.costs))
        for var, value in self.hints.items():
            self.model.add_hint(var, value)

    def _is_free(self, e: int, d: int) -> bool:
        return e in self.free and self.first <= d <= self.last

    def _make_cells(self) -> None:
        inst = self.inst
        for e in self.free_emps:
            limits = inst.staff[e].max_shifts
            for d in range(self.first, self.last + 1):
                if d in inst.days_off[e]:
                    continue
                cell = []
                for s, shift in enumerate(inst.shifts):
                    if limits.get(shift.id, 0) <= 0:
                        continue
                    var = self.model.new_bool_var(f"x{e}_{d}_{s}")
                    self.x[e, d, s] = var
                    self.hints[var] = int(self.current[e][d] == s)
                    cell.append(var)
                if cell:
                    work = self.model.new_bool_var(f"w{e}_{d}")
                    self.model.add(work == sum(cell))
                    self.w[e, d] = work
                    self.hints[work] = int(self.current[e][d] != OFF)

    def xs(self, e: int, d: int, s: int):
        """Assignment of shift s to employee e on day d: a variable or a constant 0/1."""
        if self._is_free(e, d):
            return self.x.get((e, d, s), 0)
        return int(self.current[e][d] == s)

    def work(self, e: int, d: int):
        """Whether e works on day d (days outside the horizon are off)."""
        if d < 0 or d >= self.inst.horizon:
            return 0
        if self._is_free(e, d):
            return self.w.get((e, d), 0)
        return int(self.current[e][d] != OFF)

    def _add(self, expr, lo: int | None, hi: int | None) -> None:
        if isinstance(expr, int):
            return  # constant: already satisfied by the current (feasible) roster
        if lo is not None and hi is not None:
            self.model.add_linear_constraint(expr, lo, hi)
        elif hi is not None:
            self.model.add(expr <= hi)
        elif lo is not None:
            self.model.add(expr >= lo)

    def _employee_rules(self, e: int) -> None:
        inst, st = self.inst, self.inst.staff[e]
        horizon, a, b = inst.horizon, self.first, self.last
        for s_idx, t_idx in inst.forbidden_pairs:
            for d in range(max(0, a - 1), min(horizon - 1, b + 1)):
                self._add(self.xs(e, d, s_idx) + self.xs(e, d + 1, t_idx), None, 1)
        outside = [s for d, s in enumerate(self.current[e]) if s != OFF and not a <= d <= b]
        fixed_minutes = sum(inst.shifts[s].minutes for s in outside)
        window = range(a, b + 1)
        for s, shift in enumerate(inst.shifts):
            limit = st.max_shifts.get(shift.id, 0)
            self._add(outside.count(s) + sum(self.xs(e, d, s) for d in window), None, limit)
        minutes = fixed_minutes + sum(
            shift.minutes * self.xs(e, d, s) for d in window for s, shift in enumerate(inst.shifts)
        )
        self._add(minutes, st.min_minutes, st.max_minutes)
        span = st.max_consecutive + 1
        for start in range(max(0, a - span + 1), min(b, horizon - span) + 1):
            self._add(sum(self.work(e, d) for d in range(start, start + span)), None, st.max_consecutive)
        self._min_blocks(e, st.min_consecutive, working=True)
        self._min_blocks(e, st.min_days_off, working=False)
        self._weekends(e, st.max_weekends)

    def _min_blocks(self, e: int, length: int, *, working: bool) -> None:
        horizon, a, b = self.inst.horizon, self.first, self.last
        for d in range(max(1, a - length + 1), min(horizon - 1, b + 1) + 1):
            for i in range(1, length):
                if d + i >= horizon:
                    break
                if working:  # block of work starting at d must cover d+i
                    expr = self.work(e, d) - self.work(e, d - 1) - self.work(e, d + i)
                    self._add(expr, None, 0)
                else:  # block of days off starting at d must cover d+i
                    expr = self.work(e, d - 1) - self.work(e, d) + self.work(e, d + i)
                    self._add(expr, None, 1)

    def _weekends(self, e: int, limit: int) -> None:
        horizon = self.inst.horizon
        worked = []
        for sat in range(5, horizon, 7):
            days = [d for d in (sat, sat + 1) if d < horizon]
            works = [self.work(e, d) for d in days]
            if all(isinstance(v, int) for v in works):
                worked.append(max(works))
                continue
            flag = self.model.new_bool_var(f"wk{e}_{sat}")
            for v in works:
                self.model.add(flag >= v)
            self.hints[flag] = max(int(self.current[e][d] != OFF) for d in days)
            worked.append(flag)
        self._add(sum(worked), None, limit)
        self.weekends[e] = worked
        if self.inst.weekend_prices and self.inst.weekend_prices[e]:
            self.costs.append(self.inst.weekend_prices[e] * sum(worked))

    def _cover(self) -> None:
        inst = self.inst
        counts = [[0] * inst.n_shifts for _ in range(inst.horizon)]
        for row in self.current:
            for d in range(self.first, self.last + 1):
                if row[d] != OFF:
                    counts[d][row[d]] += 1
        for (d, s), c in inst.cover.items():
            if not self.first <= d <= self.last:
                continue
            free_vars = [self.x[e, d, s] for e in self.free_emps if (e, d, s) in self.x]
            if not free_vars:
                continue
            current = counts[d][s]
            fixed = current - sum(1 for e in self.free_emps if self.current[e][d] == s)
            under = self.model.new_int_var(0, c.requirement, f"u{d}_{s}")
            over = self.model.new_int_var(0, inst.n_staff, f"o{d}_{s}")
            self.model.add(fixed + sum(free_vars) - c.requirement == over - under)
            self.hints[under] = max(0, c.requirement - current)
            self.hints[over] = max(0, current - c.requirement)
            self.costs.append(c.under_weight * under + c.over_weight * over)

    def _requests(self) -> None:
        for r in self.inst.on_requests:
            v = self.xs(r.employee, r.day, r.shift)
            if not isinstance(v, int):
                self.costs.append(r.weight * (1 - v))
        for r in self.inst.off_requests:
            v = self.xs(r.employee, r.day, r.shift)
            if not isinstance(v, int):
                self.costs.append(r.weight * v)

    def solve(
        self, *, time_limit: float, workers: int, seed: int
    ) -> tuple[cp_model.CpSolverStatus, list[list[int]] | None, float]:
        """Solve; returns (status, new roster or None, best bound of the sub-objective)."""
        solver = sat_solver(time_limit, workers, seed)
        status = solver.solve(self.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return status, None, 0.0
        roster = [row[:] for row in self.current]
        for e in self.free_emps:
            for d in range(self.first, self.last + 1):
                roster[e][d] = OFF
        for (e, d, s), var in self.x.items():
            if solver.boolean_value(var):
                roster[e][d] = s
        return status, roster, solver.best_objective_bound

    @property
    def size(self) -> int:
        return len(self.x)


# --------------------------------------------------------------------------------------------------- search


@dataclass
class NrpResult:
    """Outcome of a solve: index roster, objective, lower bound and timing figures."""

    roster: list[list[int]]
    objective: int
    lower_bound: float
    optimal: bool
    time_to_first: float
    elapsed: float
    iterations: int
    history: list[tuple[float, int]]


class _Search:
    """Bookkeeping of the incumbent and the adaptive neighbourhood size."""

    def __init__(self, inst: NrpInstance, deadline: float, started: float, workers: int, seed: int):
        self.inst, self.deadline, self.started = inst, deadline, started
        self.workers = workers
        self.rng = random.Random(seed)
        self.roster: list[list[int]] = [[OFF] * inst.horizon for _ in range(inst.n_staff)]
        self.objective: int | None = None
        self.bound = 0.0
        self.optimal = False
        self.first_time = 0.0
        self.history: list[tuple[float, int]] = []
        self.iterations = 0
        self.sub_limit = 0.4
        self.kind_stats: dict[int, list[int]] = {}
        self.helper: Helper | None = None  # a second process for dives (nrp_helper)
        self.window_seconds: list[float] = []  # how long each window dive (or pair) took

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def offer(self, roster: list[list[int]]) -> bool:
        """Take a roster if it is at least as good as the incumbent."""
        value = roster_objective(self.inst, roster)
        if self.objective is None or value <= self.objective:
            improved = self.objective is None or value < self.objective
            self.roster, self.objective = roster, value
            if improved:
                self.history.append((round(time.monotonic() - self.started, 2), value))
            return True
        return False

    def construct(self, budget: float, *, long_rows: bool, stall: float = 0.0) -> None:
        """Feasible start within about a second, then better rows until `budget` is spent.

        Every hard rule concerns one employee, so a roster is feasible when each row is: the rows come from the
        greedy builder of nrp_construct (milliseconds each, guided by the cover of the rows before), and a row it
        cannot build from a CP-SAT feasibility solve, which also proves an employee's rules contradictory. Then the
        rows are rebuilt greedily against all the others while that helps, then re-optimised one by one by CP-SAT.
        With `long_rows` (large instances) the rebuilding also takes the row DP's rows and runs until a pass gains
        nothing (or less than `stall` of the objective): it gains far more there than CP-SAT over year-long rows; on
        short horizons, paired runs were worse with it (Instance8 at 60 s: 2269/2062/2351 against 2046/1935/1943), so
        they keep the greedy rebuilding and the CP-SAT descent. Long rows are rebuilt with weekends worked on one day
        priced where a first pass shows that this helps (`shaped_rebuild`) and end with block swaps (`swap`)."""
        inst = self.inst
        stop = time.monotonic() + budget
        builder = RowBuilder(inst)
        order = list(range(inst.n_staff))
        self.rng.shuffle(order)
        roster, failed = builder.roster(order, self.rng)
        self.roster = roster
        for e in failed:
            self.roster = self._feasible_row(e)
        self.offer(self.roster)
        self.first_time = time.monotonic() - self.started
        if long_rows:
            self.shaped_rebuild(builder, stop, stall)
            self.swap(stop)
            return
        self.rebuild(
            builder, time.monotonic() + REBUILD_SHARE * max(0.0, stop - time.monotonic()), dp=False, stall=stall
        )
        self.descend(max(0.0, stop - time.monotonic()))

    def shaped_rebuild(self, builder: RowBuilder, deadline: float, stall: float) -> None:
        """Rebuild rows by the row DP until a pass gains less than `stall`; offer the result. Where a first pass with
        weekends worked on one day priced (SINGLE_WEEKEND_SHARE) beats a first pass without, the passes go on priced,
        then end at the real objective."""

        def rebuild(rows: list[list[int]], single_cost: int, **limit: Any) -> None:
            builder.single_weekend_cost = single_cost
            builder.improve(rows, self.rng, deadline, dp=True, **limit)
            builder.single_weekend_cost = 0

        rows = [row[:] for row in self.roster]
        price = round(SINGLE_WEEKEND_SHARE * mean_under_weight(self.inst))
        if price:  # without under-cover weights there is nothing to price
            priced = [row[:] for row in rows]
            rebuild(priced, price, passes=1)
            rebuild(rows, 0, passes=1)
            if roster_objective(self.inst, priced) < roster_objective(self.inst, rows):
                rows = priced
                rebuild(rows, price, stall=stall)
        rebuild(rows, 0, stall=stall)
        self.offer(rows)

    def polish(self, deadline: float) -> None:
        """Rebuild rows (until a pass gains less than CONSTRUCT_STALL) and swap blocks between them in turn until
        `deadline` or neither gains: each opens moves for the other."""
        builder = RowBuilder(self.inst)
        while time.monotonic() < deadline:
            before = self.objective
            self.rebuild(builder, deadline, dp=True, stall=CONSTRUCT_STALL)
            self.swap(deadline)
            if self.objective == before:
                return

    def swap(self, deadline: float) -> None:
        """Swap blocks of days between two employees where that meets more requests (nrp_swap); offer the result."""
        swapped = [row[:] for row in self.roster]
        if swap_descent(self.inst, swapped, self.rng, deadline):
            self.offer(swapped)

    def rebuild(self, builder: RowBuilder, deadline: float, *, dp: bool, stall: float = 0.0) -> None:
        """Rebuild the incumbent's rows against all the others until `deadline` (RowBuilder.improve); offer it."""
        improved = [row[:] for row in self.roster]
        builder.improve(improved, self.rng, deadline, dp=dp, stall=stall)
        self.offer(improved)

    def dive(self, budget: float, combine: float = 0.0) -> None:
        """Column generation with diving over the whole instance from the incumbent's rows, again and again while
        time is left, the last `combine` share of it for the best combination of the columns met (see `_dived`); the
        helper process, where there is one (not on small models), dives meanwhile too (`helper_dives`)."""
        seed = self.rng.randrange(1 << 20)
        stop = time.monotonic() + budget
        future = self._submit(helper_dives, self.inst, self.roster, stop, seed + 1)
        results = [_dived(self.inst, self.roster, stop, self.workers, seed, combine=combine)]
        if future is not None:
            results.append(self._collect(future, stop, (None, None)))
        for roster, bound in results:
            if roster is not None:
                self.offer(roster)
            if bound is not None and self.objective is not None:  # a root LP's proof ends the search
                self.bound = max(self.bound, bound)
                self.optimal = self.objective <= least_objective(self.bound)

    def window_dives(self, budget: float) -> None:
        """Column generation with diving over windows of WINDOW_DAYS days, the rest of the roster fixed (nrp_window),
        the costliest windows first, each for an equal share of the time left (at least WINDOW_MIN_SECONDS, and
        WINDOW_NEED x what the last ones took); then again over windows shifted by half their width, so that the
        edges of the last pass lie inside, while time is left. A window's rows are kept when the merged roster is
        feasible and no worse at the weekend prices (`weekend_prices`). When a window's root LP does not converge in
        its time, the windows narrow to NARROW_WINDOW_DAYS days; when those do not either, the rest of the time goes
        to rebuilding rows and swapping blocks (`polish`). After STALLED_PASSES passes in a row that gained nothing,
        WINDOW_DAYS windows widen to WIDE_WINDOW_DAYS days; when those stall too (or do not converge), or narrow
        ones stall, the passes end."""
        stop = time.monotonic() + budget
        priced = replace(self.inst, weekend_prices=weekend_prices(self.inst, self.roster))
        working = [row[:] for row in self.roster]
        width, idle = WINDOW_DAYS, 0
        for offset in itertools.cycle((0, 1)):
            before = roster_objective(priced, working)
            converged = self._window_pass(priced, working, width, offset * (width // 2), stop)
            if converged is None:
                return
            idle = idle + 1 if roster_objective(priced, working) >= before else 0
            if not converged and width == WINDOW_DAYS:
                width = NARROW_WINDOW_DAYS
            elif not converged and width == NARROW_WINDOW_DAYS:
                self.polish(stop)
                return
            elif not converged:
                return  # wide windows that do not converge: the narrower ones had stalled already
            elif idle >= STALLED_PASSES and WIDE_WINDOW_DAYS and width == WINDOW_DAYS:
                width, idle = WIDE_WINDOW_DAYS, 0
            elif idle >= STALLED_PASSES:
                return

    def group_dives(self, budget: float) -> None:
        """Column generation with diving over groups of employees, the others fixed (nrp_window.group_instance), for
        instances too wide for one master LP: each pass splits the staff at random into groups of about GROUP_CELLS
        cells, each group dives once for an equal share of the pass's time left, at least GROUP_MIN_SECONDS, and the
        roster takes its rows when it gets no worse. No helper process: two groups dived at once each see the other
        as it was, and at 120 s on Instance12 with staff x2 and shift types x3 that gave 9 308 and 9 864 (seeds 1, 2)
        against 9 141 and 8 950 one group at a time."""
        stop = time.monotonic() + budget
        n = self.inst.n_staff
        size = max(1, round(n * GROUP_CELLS / cell_count(self.inst)))  # employees per group
        count = max(1, round(n / size))
        while True:
            order = list(range(n))
            self.rng.shuffle(order)
            for k in range(count):
                left = stop - time.monotonic()
                if left < GROUP_MIN_SECONDS:
                    return
                group = sorted(order[k::count])
                sub = group_instance(self.inst, self.roster, group)
                deadline = time.monotonic() + max(GROUP_MIN_SECONDS, left / (count - k))
                seed = self.rng.randrange(1 << 20)
                rows = [self.roster[e] for e in group]
                dived, _ = _dived(sub, rows, deadline, self.workers, seed, again=False, fix_share=WIDE_FIX_SHARE)
                if dived is not None:
                    merged = [row[:] for row in self.roster]
                    for e, row in zip(group, dived, strict=True):
                        merged[e] = row
                    self.offer(merged)

    def _window_pass(
        self, priced: NrpInstance, working: list[list[int]], width: int, offset: int, stop: float
    ) -> bool | None:
        """One pass of window dives over `working` (see `window_dives`), which takes every merge no worse at the
        weekend prices; the incumbent takes those no worse. With a helper process, two windows whose sub-horizons
        are disjoint dive at once, each for the time one would get alone times two. False as soon as a window's root
        LP did not converge, None when the time is up."""
        windows = [(a, min(self.inst.horizon, a + width) - 1) for a in range(offset, self.inst.horizon, width)]
        day_cost = _cover_cost_per_day(self.inst, working)
        windows.sort(key=lambda w: -sum(day_cost[w[0] : w[1] + 1]))
        while windows:
            left = stop - time.monotonic()
            if left < WINDOW_MIN_SECONDS:
                return None
            batch = [window_instance(priced, working, *windows.pop(0))]
            partner = self._partner(batch[0], windows)
            if partner is not None:
                windows.remove(partner)
                batch.append(window_instance(priced, working, *partner))
            share = PAIR_TIME if len(batch) > 1 else 1.0
            fair = share * left / (len(windows) + len(batch))
            need = WINDOW_NEED * statistics.fmean(self.window_seconds[-8:]) if self.window_seconds else 0.0
            started = time.monotonic()
            deadline = started + max(WINDOW_MIN_SECONDS, fair, need)
            seeds = [self.rng.randrange(1 << 20) for _ in batch]
            # one dive per window: on Instance8 x 3 at 120 s, more passes gained more (4 405, 4 781) than diving
            # again inside each window (5 716)
            dived = [rows for rows in self._window_rows(batch, deadline, seeds) if rows is not None]
            self.window_seconds.append(time.monotonic() - started)
            if len(dived) < len(batch):
                return False
            for window, rows in zip(batch, dived, strict=True):
                self._take_window(priced, working, window, rows)
        return True

    def _partner(self, window: Window, windows: list[tuple[int, int]]) -> tuple[int, int] | None:
        """The costliest of `windows` whose sub-horizon does not meet `window`'s, when a helper process can dive it."""
        if self.helper is None:
            return None
        span = range(window.lo, window.lo + window.inst.horizon)
        for first, last in windows:
            lo, hi = window_span(self.inst, first, last)
            if hi < span.start or lo >= span.stop:
                return first, last
        return None

    def _window_rows(self, batch: list[Window], deadline: float, seeds: list[int]) -> list[list[list[int]] | None]:
        """The dived rows of each window in `batch`: the first here, a second one in the helper process at the same
        time (one CP-SAT worker each, as the two share the cores). A helper that fails is not asked again."""
        if len(batch) == 1:
            return [window_dive(batch[0], deadline, seeds[0], self.workers)]
        future = self._submit(window_dive, batch[1], deadline, seeds[1])
        here = window_dive(batch[0], deadline, seeds[0], 1 if future else self.workers)
        return [here, self._collect(future, deadline, batch[1].roster) if future else batch[1].roster]

    def _submit(self, function: Callable, *args: Any) -> Future | None:
        """function(*args) started in the helper process; None without a helper (or when it cannot take it)."""
        if self.helper is None:
            return None
        try:
            return self.helper.submit(function, *args)
        except OSError:
            self.close_helper()
            return None

    def _collect(self, future: Future, stop: float, default: Any) -> Any:
        """The helper's result, or `default` when it fails or takes more than HELPER_GRACE_SECONDS past `stop` (the
        helper is then not asked again: a broken or stuck helper costs only its own work)."""
        try:
            return future.result(timeout=max(0.0, stop - time.monotonic()) + HELPER_GRACE_SECONDS)
        except Exception:  # noqa: BLE001
            self.close_helper()
            return default

    def _take_window(
        self, priced: NrpInstance, working: list[list[int]], window: Window, rows: list[list[int]]
    ) -> None:
        """Merge a window's rows into `working` when the roster stays no worse at the weekend prices. An employee
        whose merged row breaks a rule keeps the old row: two windows dived at once each saw the other's days as they
        were, so together they may overrun a limit over the whole horizon (minutes, weekends, shift counts)."""
        merged = merge(working, window, rows)
        if merged is None:
            return
        for e, row in enumerate(merged):
            if row != working[e] and row_violation(self.inst, e, row) is not None:
                merged[e] = working[e][:]
        if roster_objective(priced, merged) <= roster_objective(priced, working):
            working[:] = merged
            self.offer(merged)

    def close_helper(self) -> None:
        if self.helper is not None:
            self.helper.close()
            self.helper = None

    def _feasible_row(self, e: int) -> list[list[int]]:
        """The roster with employee e's row from a CP-SAT feasibility solve (the portfolio, until the deadline)."""
        inst = self.inst
        status, roster, retry = cp_model.UNKNOWN, None, 1.0
        while roster is None and status != cp_model.INFEASIBLE and self.left() > 0.1:
            plain = _SubModel(inst, self.roster, [e], 0, inst.horizon - 1, objective=False)
            status, roster, _ = plain.solve(
                time_limit=min(retry, self.left() - 0.1), workers=self.workers, seed=self.rng.randrange(1 << 20)
            )
            retry *= 2
        if roster is None:
            if status == cp_model.INFEASIBLE:
                raise InvalidInput(
                    f"Personal {inst.staff[e].id} kan inte schemaläggas utan att bryta de hårda reglerna "
                    "(min/max arbetstid, lediga dagar, följdregler)."
                )
            raise InvalidInput("Tidsgränsen räckte inte för att hitta ett första giltigt schema.")
        return roster

    def descend(self, budget: float) -> None:
        """Re-optimise one employee at a time against all the others until a pass improves nothing."""
        inst = self.inst
        stop = time.monotonic() + budget
        while time.monotonic() < stop and not self.optimal:
            before = self.objective
            for e in self.rng.sample(range(inst.n_staff), inst.n_staff):
                left = stop - time.monotonic()
                if left <= 0.05:
                    return
                sub = _SubModel(inst, self.roster, [e], 0, inst.horizon - 1)
                workers = self.workers if sub.size > 300 else 1  # a year-long row needs the portfolio
                _, roster, _ = sub.solve(time_limit=min(1.0, left), workers=workers, seed=self.rng.randrange(1 << 20))
                if roster is not None:
                    self.offer(roster)
            if self.objective == before:
                return

    def full_solve(self, budget: float) -> None:
        """Warm-started CP-SAT over the whole instance; gives a bound and often the optimum on small cases."""
        inst = self.inst
        sub = _SubModel(inst, self.roster, list(range(inst.n_staff)), 0, inst.horizon - 1)
        status, roster, bound = sub.solve(time_limit=budget, workers=self.workers, seed=self.rng.randrange(1 << 20))
        if roster is not None:
            self.offer(roster)
            self.bound = max(self.bound, bound)
            self.optimal = status == cp_model.OPTIMAL and roster_objective(inst, roster) == self.objective

    def neighbourhood(self, kind: int, target: float) -> tuple[list[int], int, int]:
        """Free employees and a day window of about `target` free cells for neighbourhood `kind`."""
        inst, rng, horizon = self.inst, self.rng, self.inst.horizon
        per_cell = max(1.0, sum(len(s.max_shifts) for s in inst.staff) / inst.n_staff)
        if kind == 0:  # a few employees over the whole horizon
            k = max(2, min(inst.n_staff, round(target / (horizon * per_cell))))
            return rng.sample(range(inst.n_staff), k), 0, horizon - 1
        if kind == 1:  # a window of days, all employees
            width = max(2, min(horizon, round(target / (inst.n_staff * per_cell))))
            start = self._window_start(width)
            return list(range(inst.n_staff)), start, start + width - 1
        if kind == 2:  # many employees over one to two weeks
            width = min(horizon, rng.choice([7, 10, 14]))
            start = self._window_start(width)
            k = max(2, min(inst.n_staff, round(target / (width * per_cell))))
            return rng.sample(range(inst.n_staff), k), start, start + width - 1
        return self._repair_neighbourhood(target, per_cell)

    def _repair_neighbourhood(self, target: float, per_cell: float) -> tuple[list[int], int, int]:
        """Around one under-covered day and shift: employees able to work that shift, over a window of days."""
        inst, rng, horizon = self.inst, self.rng, self.inst.horizon
        counts = [[0] * inst.n_shifts for _ in range(horizon)]
        for row in self.roster:
            for d, s in enumerate(row):
                if s != OFF:
                    counts[d][s] += 1
        short = [(d, s) for (d, s), c in inst.cover.items() if counts[d][s] < c.requirement and c.under_weight > 0]
        if not short:
            short = [(d, s) for (d, s), c in inst.cover.items() if counts[d][s] != c.requirement] or list(inst.cover)
        d, s = rng.choice(short)
        width = min(horizon, rng.choice([5, 7, 10, 14, 21]))
        start = max(0, min(horizon - width, d - rng.randrange(width)))
        sid = inst.shifts[s].id
        able = [
            e for e in range(inst.n_staff) if inst.staff[e].max_shifts.get(sid, 0) > 0 and d not in inst.days_off[e]
        ]
        others = [e for e in range(inst.n_staff) if e not in set(able)]
        rng.shuffle(able)
        rng.shuffle(others)
        k = max(2, min(inst.n_staff, round(target / (width * per_cell))))
        chosen = able[: max(1, (2 * k) // 3)]
        chosen += others[: k - len(chosen)]
        chosen += able[len(chosen) : k] if len(chosen) < k else []
        return sorted(set(chosen)), start, start + width - 1

    def _window_start(self, width: int) -> int:
        """Start day of a window: half the time uniform, half weighted by the cover penalty inside it."""
        horizon = self.inst.horizon
        starts = range(0, horizon - width + 1)
        if self.rng.random() < 0.5:
            return self.rng.choice(starts)
        day_cost = _cover_cost_per_day(self.inst, self.roster)
        weights = [1 + sum(day_cost[start : start + width]) for start in starts]
        return self.rng.choices(starts, weights=weights)[0]

    def lns(self) -> None:
        """Large-neighbourhood search until the deadline or a proven optimum."""
        inst = self.inst
        cells = float(cell_count(inst))
        kinds = [0, 1, 2, 3] if inst.horizon <= LONG_HORIZON else [1, 2, 3]
        targets = dict.fromkeys(kinds, min(LNS_START_CELLS, cells))
        score = dict.fromkeys(kinds, 1.0)
        while self.left() > 0.3 and not self.optimal:
            self.iterations += 1
            kind = self.rng.choices(kinds, weights=[score[k] for k in kinds])[0]
            before = self.objective
            emps, first, last = self.neighbourhood(kind, targets[kind])
            sub = _SubModel(inst, self.roster, emps, first, last)
            budget = min(self.left() - 0.2, self.sub_limit)
            if budget <= 0.05:
                break
            workers = self.workers if sub.size > 300 else 1  # tiny ones close at once on one worker
            status, roster, _ = sub.solve(time_limit=budget, workers=workers, seed=self.rng.randrange(1 << 20))
            if roster is not None:
                self.offer(roster)
            gained = self.objective is not None and before is not None and self.objective < before
            self.kind_stats.setdefault(kind, [0, 0])
            self.kind_stats[kind][0] += 1
            self.kind_stats[kind][1] += int(gained)
            score[kind] = max(0.2, min(5.0, 0.9 * score[kind] + (0.5 if gained else 0.0)))
            if status == cp_model.OPTIMAL:
                targets[kind] = min(cells, targets[kind] * 1.15)
            else:
                targets[kind] = max(LNS_MIN_CELLS, targets[kind] * 0.85)
            if self.objective is not None and self.objective <= self.bound:
                self.optimal = True


def _dived(
    inst: NrpInstance,
    roster: list[list[int]],
    stop: float,
    workers: int,
    seed: int,
    *,
    window: bool = False,
    again: bool = True,
    combine: float = 0.0,
    noise: float = 0.0,
    fix_share: float | None = None,
) -> tuple[list[list[int]] | None, float | None]:
    """The best roster of column-generation dives (nrp_colgen) from `roster`'s rows until `stop`, each with the
    employees it leaves free solved together by CP-SAT against the fixed ones; None when the root LP does not
    converge in time. After the first dive (the only one unless `again`), the next ones start from every column met
    so far and break ties at random (REDIVE_NOISE), until one reaches the root LP's value or the time left is
    shorter than the last dive took: on Instance8 the first dive's roster cost 1 514-2 327 and the next ones
    1 307-1 314 (root LP 1 298). A `window` dive (nrp_window) fixes faster and keeps fewer DP states exact.
    The last `combine` share of the time goes to the best combination of all the columns met (best_combination);
    `noise` is the first dive's tie-breaking; `fix_share` overrides the share of the free employees a dive step fixes
    at least (`_dives`).
    Also returns a lower bound of the instance's optimum when a root LP gave one (Diver.lower_bound)."""
    diver = Diver.from_roster(inst, roster, WINDOW_EXACT_STATES if window else EXACT_STATES)
    dives_stop = stop - combine * max(0.0, stop - time.monotonic())
    if fix_share is None:
        fix_share = WINDOW_FIX_SHARE if window else WIDE_FIX_SHARE if cell_count(inst) > WIDE_DIVE_CELLS else 0.0
    best = _dives(inst, diver, dives_stop, workers, seed, fix_share=fix_share, again=again, noise=noise)
    if best is None or combine <= 0.0:
        return best, diver.lower_bound
    cost = roster_objective(inst, best)
    if _at_bound(diver, cost) or time.monotonic() >= stop:
        return best, diver.lower_bound
    combined = best_combination(inst, diver.promising(best, cost), best, stop - time.monotonic(), workers, seed)
    if combined is not None and roster_objective(inst, combined) < cost:
        best = combined
    return best, diver.lower_bound


def helper_dives(
    inst: NrpInstance, roster: list[list[int]], stop: float, seed: int
) -> tuple[list[list[int]] | None, float | None]:
    """The helper process's dives over the whole instance beside the caller's (`_Search.dive`): like `_dived`'s,
    but the first one already breaks ties at random (REDIVE_NOISE), so that it differs from the caller's."""
    return _dived(inst, roster, stop, 1, seed, noise=REDIVE_NOISE)


def window_dive(window: Window, deadline: float, seed: int, workers: int = 1) -> list[list[int]] | None:
    """The rows of one dive over a window (None when its root LP does not converge in time); also what the helper
    process runs (`_Search._window_rows`: the deadline is on the monotonic clock, which processes share)."""
    return _dived(window.inst, window.roster, deadline, workers, seed, window=True, again=False)[0]


def start_helper(workers: int) -> Helper | None:
    """A helper process for dives (nrp_helper) where two CP-SAT workers and two cores are there, started at once (a
    fresh interpreter, about a second) so that it is ready when construction ends; None where it cannot start."""
    if workers < 2 or (os.cpu_count() or 1) < 2:
        return None
    try:
        return Helper()
    except OSError:
        return None


def _dives(
    inst: NrpInstance,
    diver: Diver,
    stop: float,
    workers: int,
    seed: int,
    *,
    fix_share: float,
    again: bool,
    noise: float,
) -> list[list[int]] | None:
    """The dives of `_dived`; the rows CP-SAT gives the employees a dive leaves free join the pool."""
    best: list[list[int]] | None = None
    best_cost = math.inf
    while True:
        started = time.monotonic()
        dived = diver.dive(stop, fix_share, noise)
        if dived is None:
            return best
        cost = roster_objective(inst, dived)
        free = [e for e in range(inst.n_staff) if e not in diver.fixed]
        if free:
            rest = _SubModel(inst, dived, free, 0, inst.horizon - 1)
            limit = min(max(0.5, REST_SHARE * (time.monotonic() - started)), stop - time.monotonic())
            _, solved, _ = rest.solve(time_limit=max(0.1, limit), workers=workers, seed=seed)
            if solved is not None and roster_objective(inst, solved) <= cost:
                dived, cost = solved, roster_objective(inst, solved)
                for e in free:
                    diver.add(e, dived[e])
        if cost < best_cost:
            best, best_cost = dived, cost
        if not again or _at_bound(diver, best_cost) or stop - time.monotonic() < time.monotonic() - started:
            return best
        diver.release()
        noise = REDIVE_NOISE


def _at_bound(diver: Diver, cost: float) -> bool:
    """Whether a roster of this cost is proven optimal by a dive's root LP. Only a root LP where no column priced out
    is a bound: on Instance4 one that stopped early read 1 722 and 1 726 (optimum 1 716), and diving stopped there."""
    bound = diver.lower_bound
    return bound is not None and cost <= least_objective(bound)


def weekend_prices(inst: NrpInstance, roster: list[list[int]]) -> list[int]:
    """WEEKEND_PRICE_SHARE of the mean under-cover weight for each employee who works every weekend allowed in
    `roster`, 0 for the others: what a window pays for each weekend it gives such an employee."""
    price = round(WEEKEND_PRICE_SHARE * mean_under_weight(inst))
    return [
        price if len(worked_weekends(row)) >= st.max_weekends else 0 for st, row in zip(inst.staff, roster, strict=True)
    ]


def cell_count(inst: NrpInstance) -> int:
    """Number of assignment variables of the whole model (employee, day, allowed shift)."""
    allowed = [sum(1 for s in inst.shifts if st.max_shifts.get(s.id, 0) > 0) for st in inst.staff]
    return sum(n * (inst.horizon - len(inst.days_off[e])) for e, n in enumerate(allowed))


def solve_instance(
    inst: NrpInstance, *, time_limit: float, workers: int = PORTFOLIO_WORKERS, seed: int = 1
) -> NrpResult:
    """Solve an instance within `time_limit` seconds of wall clock."""
    if time_limit <= 0:
        raise InvalidInput("Tidsgränsen måste vara större än 0 sekunder.")
    started = time.monotonic()
    search = _Search(inst, started + time_limit, started, workers, seed)
    search.sub_limit = min(10.0, max(0.5, time_limit * LNS_SUB_SHARE))
    try:
        large = inst.n_staff * inst.horizon > LARGE_STAFF_DAYS
        cells = cell_count(inst)
        small = cells <= FULL_SOLVE_MAX_CELLS
        if cells <= DIVE_MAX_CELLS and inst.horizon <= DIVE_MAX_DAYS and not large:
            search.helper = None if small else start_helper(workers)
            search.construct(min(1.0, 0.1 * time_limit), long_rows=False)
            if small:
                search.full_solve(PROOF_SHARE * time_limit)  # proves the smallest optimal at once
            if not search.optimal:
                if small:
                    search.dive(SMALL_DIVE_SHARE * search.left(), combine=SMALL_COMBINE_SHARE)
                else:
                    search.dive(DIVE_SHARE * search.left())
            search.close_helper()
        elif inst.horizon >= 3 * WINDOW_DAYS:
            search.helper = start_helper(workers)
            budget = (LARGE_CONSTRUCT_SHARE if large else WINDOW_CONSTRUCT_SHARE) * time_limit
            search.construct(budget, long_rows=large, stall=CONSTRUCT_STALL)
            search.window_dives(WINDOW_SHARE * search.left())
            search.close_helper()
        elif large or cells > DIVE_MAX_CELLS:
            search.construct(WINDOW_CONSTRUCT_SHARE * time_limit, long_rows=True, stall=CONSTRUCT_STALL)
            search.group_dives(GROUP_SHARE * search.left())
        else:
            search.construct(min(3.0 if small else 8.0, 0.3 * time_limit), long_rows=False)
        if small:
            if not search.optimal:
                search.full_solve(max(0.5, (search.left() - 0.3) * FULL_SHARE))  # then LNS unless proven optimal
        else:
            search.descend(min(DESCENT_SHARE * time_limit, max(0.0, search.left() - 1.0)))
        search.lns()
    finally:
        search.close_helper()  # after an error too
    assert search.objective is not None
    return NrpResult(
        roster=search.roster,
        objective=search.objective,
        lower_bound=search.bound,
        optimal=search.optimal,
        time_to_first=round(search.first_time, 3),
        elapsed=round(time.monotonic() - started, 3),
        iterations=search.iterations,
        history=search.history,
    )


def roster_to_json(inst: NrpInstance, result: NrpResult) -> dict:
    """The output shape required by the CLI: instance, objective and roster of shift ids per employee."""
    roster = {
        inst.staff[e].id: [inst.shifts[s].id if s != OFF else "" for s in row] for e, row in enumerate(result.roster)
    }
    return {"instance": inst.name, "objective": result.objective, "roster": roster}


def solve_file(
    path: Path, *, time_limit: float, workers: int = PORTFOLIO_WORKERS, seed: int = 1
) -> tuple[dict, NrpResult]:
    """Parse, solve and return the JSON-ready dict plus the full result."""
    if time_limit <= 0:
        raise InvalidInput("Tidsgränsen måste vara större än 0 sekunder.")
    inst = parse_nrp_file(path)
    result = solve_instance(inst, time_limit=time_limit, workers=workers, seed=seed)
    return roster_to_json(inst, result), result


def write_json(data: dict, out: Path) -> None:
    """Write a dict as UTF-8 JSON."""
    Path(out).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
