"""A small routing engine for staff routes with skills, time windows and synchronised visits.

Used by the HHC benchmark solver (``hhc.py``) and the municipal home-care planner (``homecare.py``).
Tasks are grouped: a group (a patient's services, or a double-staffed visit) is planned completely or
not at all. Synchronisation constraints ``min_gap <= start[b] - start[a] <= max_gap`` link tasks on
different routes; start times are found by a fixpoint over all difference constraints (earliest
schedule). Search: greedy insertion, then ruin-and-recreate (large-neighbourhood search) with a
simulated-annealing acceptance, bounded by a wall-clock limit and an iteration cap.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field

INFEASIBLE = math.inf
MAX_ITERATIONS = 2_000_000


@dataclass(frozen=True)
class Task:
    """One unit of work for one worker: a service at a location (loc None = a break, no travel)."""

    id: str
    group: str
    loc: int | None
    duration: float
    windows: tuple[tuple[float, float], ...]
    skills: frozenset[str] = frozenset()
    allowed_workers: frozenset[str] | None = None
    preferred_workers: frozenset[str] | None = None
    previous_worker: str | None = None
    is_break: bool = False


@dataclass(frozen=True)
class Worker:
    """A caregiver: start/end location, shift (start hard, end soft with overtime cost), skills."""

    id: str
    start_loc: int
    end_loc: int
    shift_start: float = 0.0
    shift_end: float = math.inf
    skills: frozenset[str] = frozenset()
    hard_shift_end: bool = False
    hard_shift_start: bool = True


@dataclass(frozen=True)
class Sync:
    """start[b] - start[a] must lie in [min_gap, max_gap]."""

    a: str
    b: str
    min_gap: float
    max_gap: float


@dataclass
class Weights:
    """Objective weights; tardiness may be hard (``tardiness_hard``)."""

    travel: float = 1.0
    total_tardiness: float = 0.0
    max_tardiness: float = 0.0
    tardiness_hard: bool = True
    waiting: float = 0.0
    overtime: float = 0.0
    max_idle: float = 0.0
    preference: float = 0.0
    change: float = 0.0
    balance: float = 0.0
    window_at_end: bool = False


@dataclass
class Problem:
    """Everything the engine needs: travel matrix, workers, tasks, sync constraints, penalties."""

    travel: list[list[float]]
    workers: list[Worker]
    tasks: list[Task]
    syncs: list[Sync] = field(default_factory=list)
    group_penalty: dict[str, float] = field(default_factory=dict)
    weights: Weights = field(default_factory=Weights)

    def __post_init__(self) -> None:
        self.task_by_id = {t.id: t for t in self.tasks}
        self.groups: dict[str, list[Task]] = {}
        for t in self.tasks:
            self.groups.setdefault(t.group, []).append(t)
        self.syncs_of: dict[str, list[Sync]] = {}
        for s in self.syncs:
            self.syncs_of.setdefault(s.a, []).append(s)
            self.syncs_of.setdefault(s.b, []).append(s)
        self.worker_by_id = {w.id: w for w in self.workers}

    def can_do(self, worker: Worker, task: Task) -> bool:
        """Whether the worker is qualified and allowed for the task."""
        if task.allowed_workers is not None and worker.id not in task.allowed_workers:
            return False
        return task.skills <= worker.skills


@dataclass
class Evaluation:
    """Schedule and objective of a set of routes."""

    cost: float
    start: dict[str, float]
    components: dict[str, float]
    unassigned: list[str]


Routes = dict[str, list[str]]


def _snap(task: Task, t: float, at_end: bool) -> float:
    """Earliest start >= t inside one of the task's windows; past the last window t stays (tardy)."""
    for lo, hi in task.windows:
        latest = hi - task.duration if at_end else hi
        if t <= latest:
            return max(t, lo)
    return t


def _tardiness(task: Task, s: float, at_end: bool) -> float:
    """Lateness against the window the start falls in (the last one starting at or before s)."""
    if task.is_break or not task.windows:
        return 0.0
    chosen = task.windows[0]
    for lo, hi in task.windows:
        if lo <= s + 1e-9:
            chosen = (lo, hi)
    point = s + task.duration if at_end else s
    return max(0.0, point - chosen[1])


def schedule(problem: Problem, routes: Routes) -> dict[str, float] | None:
    """Earliest start times satisfying route order, windows, shifts and synchronisation; None if none."""
    at_end = problem.weights.window_at_end
    tasks = problem.task_by_id
    assigned = {tid for r in routes.values() for tid in r}
    syncs = [s for s in problem.syncs if s.a in assigned and s.b in assigned]
    start = {tid: -math.inf for tid in assigned}
    n_rounds = 2 * len(assigned) + 4
    for _ in range(n_rounds):
        changed = _propagate_routes(problem, routes, start, tasks, at_end)
        for s in syncs:
            if start[s.b] < start[s.a] + s.min_gap - 1e-9:
                start[s.b] = _snap(tasks[s.b], start[s.a] + s.min_gap, at_end)
                changed = True
            if start[s.a] < start[s.b] - s.max_gap - 1e-9:
                start[s.a] = _snap(tasks[s.a], start[s.b] - s.max_gap, at_end)
                changed = True
        if not changed:
            return start
    return None


def _propagate_routes(problem: Problem, routes: Routes, start: dict, tasks: dict, at_end: bool) -> bool:
    """One forward pass over every route; returns whether any start time moved later."""
    changed = False
    travel = problem.travel
    for wid, route in routes.items():
        w = problem.worker_by_id[wid]
        loc, t = w.start_loc, (w.shift_start if w.hard_shift_start else -math.inf)
        for tid in route:
            task = tasks[tid]
            nxt = task.loc if task.loc is not None else loc
            earliest = _snap(task, t + travel[loc][nxt], at_end)
            if start[tid] < earliest - 1e-9:
                start[tid] = earliest
                changed = True
            t, loc = start[tid] + task.duration, nxt
    return changed


def evaluate(problem: Problem, routes: Routes) -> Evaluation:
    """Schedule the routes and compute every objective component; cost is inf if a hard rule breaks."""
    start = schedule(problem, routes)
    assigned_groups = {problem.task_by_id[t].group for r in routes.values() for t in r}
    unassigned = [g for g in problem.groups if g not in assigned_groups]
    if start is None:
        return Evaluation(INFEASIBLE, {}, {}, unassigned)
    comp = _components(problem, routes, start)
    if comp is None:
        return Evaluation(INFEASIBLE, start, {}, unassigned)
    comp["unassigned_penalty"] = sum(problem.group_penalty.get(g, 0.0) for g in unassigned)
    comp["unassigned"] = float(len(unassigned))
    wt = problem.weights
    cost = (
        wt.travel * comp["travel"]
        + wt.total_tardiness * comp["total_tardiness"]
        + wt.max_tardiness * comp["max_tardiness"]
        + wt.waiting * comp["waiting"]
        + wt.overtime * comp["overtime"]
        + wt.max_idle * comp["max_idle"]
        + wt.preference * comp["preference"]
        + wt.change * comp["changes"]
        + wt.balance * comp["balance"]
        + comp["unassigned_penalty"]
    )
    return Evaluation(cost, start, comp, unassigned)


def _components(problem: Problem, routes: Routes, start: dict[str, float]) -> dict[str, float] | None:
    """Objective components of a scheduled solution; None when a hard constraint is broken."""
    wt, tasks, travel = problem.weights, problem.task_by_id, problem.travel
    c = dict.fromkeys(
        ("travel", "total_tardiness", "max_tardiness", "waiting", "overtime", "preference", "changes"), 0.0
    )
    idle, workload = [], []
    for w in problem.workers:
        route = routes.get(w.id, [])
        stats = _route_stats(problem, w, route, start, tasks, travel)
        if stats is None:
            return None
        for key in ("travel", "waiting", "overtime", "total_tardiness", "preference", "changes"):
            c[key] += stats[key]
        c["max_tardiness"] = max(c["max_tardiness"], stats["max_tardiness"])
        idle.append(stats["idle"])
        workload.append(stats["workload"])
    if wt.tardiness_hard and c["max_tardiness"] > 1e-6:
        return None
    c["max_idle"] = max(idle, default=0.0)
    mean = sum(workload) / len(workload) if workload else 0.0
    c["balance"] = sum(abs(x - mean) for x in workload)
    return c


def _route_stats(problem, w: Worker, route: list[str], start, tasks, travel) -> dict[str, float] | None:
    """Travel, waiting, overtime, idle, tardiness and preference figures of one worker's route."""
    at_end = problem.weights.window_at_end
    s = dict(travel=0.0, waiting=0.0, overtime=0.0, total_tardiness=0.0, max_tardiness=0.0)
    s.update(preference=0.0, changes=0.0, idle=0.0, workload=0.0)
    shift_len = 0.0 if math.isinf(w.shift_end) else w.shift_end - w.shift_start
    if not route:
        s["idle"] = shift_len
        return s
    loc, t, prev_break = w.start_loc, None, False
    for tid in route:
        task = tasks[tid]
        nxt = task.loc if task.loc is not None else loc
        leg = travel[loc][nxt]
        if t is None:
            s["idle"] += max(0.0, start[tid] - leg - w.shift_start) if shift_len else 0.0
            s["start"] = start[tid] - leg
        else:
            wait = start[tid] - (t + leg)
            if wait < -1e-6:
                return None
            if not prev_break and not task.is_break:
                s["waiting"] += wait
            s["idle"] += wait
        s["travel"] += leg
        tard = _tardiness(task, start[tid], at_end)
        s["total_tardiness"] += tard
        s["max_tardiness"] = max(s["max_tardiness"], tard)
        if not task.is_break:
            s["workload"] += task.duration + leg
            if task.preferred_workers is not None and w.id not in task.preferred_workers:
                s["preference"] += 1
            if task.previous_worker is not None and task.previous_worker != w.id:
                s["changes"] += 1
        t, loc, prev_break = start[tid] + task.duration, nxt, task.is_break
    back = t + travel[loc][w.end_loc]
    s["travel"] += travel[loc][w.end_loc]
    s["workload"] += travel[loc][w.end_loc]
    if back > w.shift_end + 1e-6:
        if w.hard_shift_end:
            return None
        s["overtime"] = back - w.shift_end
    elif shift_len:
        s["idle"] += w.shift_end - back
    return s


# --------------------------------------------------------------------------------------------- search


class Search:
    """Greedy insertion plus ruin-and-recreate LNS over a Problem."""

    def __init__(self, problem: Problem, *, seed: int = 0):
        self.p = problem
        self.rng = random.Random(seed)
        self.group_ids = list(problem.groups)
        self.deadline = math.inf

    def _empty(self) -> Routes:
        """Routes with no tasks."""
        return {w.id: [] for w in self.p.workers}

    def insert_group(self, routes: Routes, group: str, *, top_k: int = 2) -> tuple[Routes, float] | None:
        """Cheapest feasible insertion of all tasks of a group (beam of top_k per task); None if none."""
        beam: list[tuple[float, Routes]] = [(0.0, routes)]
        for task in self.p.groups[group]:
            candidates: list[tuple[float, Routes]] = []
            for _, base in beam:
                candidates += self._task_insertions(base, task)
            if not candidates:
                return None
            candidates.sort(key=lambda c: c[0])
            beam = candidates[:top_k]
        return beam[0][1], beam[0][0]

    def _task_insertions(self, routes: Routes, task: Task) -> list[tuple[float, Routes]]:
        """All feasible single-task insertions with their total cost."""
        out: list[tuple[float, Routes]] = []
        for w in self.p.workers:
            if not self.p.can_do(w, task):
                continue
            route = routes[w.id]
            if any(self.p.task_by_id[t].group == task.group for t in route) and task.loc is not None:
                same_group_sync = True
            else:
                same_group_sync = False
            for pos in range(len(route) + 1):
                if time.monotonic() > self.deadline:
                    return out
                trial = dict(routes)
                trial[w.id] = route[:pos] + [task.id] + route[pos:]
                if same_group_sync and not self._same_worker_ok(task, trial[w.id]):
                    continue
                cost = evaluate(self.p, trial).cost
                if cost < INFEASIBLE:
                    out.append((cost, trial))
        return out

    def _same_worker_ok(self, task: Task, route: list[str]) -> bool:
        """Two tasks of one group on the same worker only when no simultaneous sync links them."""
        for s in self.p.syncs_of.get(task.id, []):
            other = s.b if s.a == task.id else s.a
            if other in route and s.max_gap <= 0:
                return False
        return True

    def recreate(self, routes: Routes, groups: list[str], deadline: float) -> Routes:
        """Insert the given groups one by one where cheapest; skip those not worth their penalty."""
        for g in groups:
            if time.monotonic() > deadline:
                break
            base = evaluate(self.p, routes).cost
            found = self.insert_group(routes, g)
            if found is not None and found[1] < base:
                routes = found[0]
        return routes

    def _order(self, groups: list[str]) -> list[str]:
        """Hardest groups first: most tasks, fewest qualified workers, tightest window."""

        def key(g: str) -> tuple:
            tasks = self.p.groups[g]
            n_workers = min(sum(self.p.can_do(w, t) for w in self.p.workers) for t in tasks)
            width = min((t.windows[-1][1] - t.windows[0][0]) if t.windows else 1e9 for t in tasks)
            return (-len(tasks), n_workers, width + self.rng.random())

        return sorted(groups, key=key)

    def ruin(self, routes: Routes) -> tuple[Routes, list[str]]:
        """Remove a random or related subset of assigned groups."""
        assigned = sorted({self.p.task_by_id[t].group for r in routes.values() for t in r})
        if not assigned:
            return routes, []
        k = self.rng.randint(1, max(1, min(len(assigned), 2 + len(assigned) // 4)))
        if self.rng.random() < 0.5:
            removed = set(self.rng.sample(assigned, k))
        else:
            removed = self._related(assigned, k)
        new = {w: [t for t in r if self.p.task_by_id[t].group not in removed] for w, r in routes.items()}
        return new, list(removed)

    def _related(self, assigned: list[str], k: int) -> set[str]:
        """Groups close to a random seed group in space and time."""
        seed = self.rng.choice(assigned)
        t0 = self.p.groups[seed][0]

        def dist(g: str) -> float:
            t = self.p.groups[g][0]
            d = self.p.travel[t0.loc][t.loc] if t0.loc is not None and t.loc is not None else 0.0
            w0 = t0.windows[0][0] if t0.windows else 0.0
            w1 = t.windows[0][0] if t.windows else 0.0
            return d + 0.5 * abs(w0 - w1)

        return set(sorted(assigned, key=dist)[:k])

    def run(self, *, time_limit: float, initial: Routes | None = None) -> tuple[Routes, Evaluation]:
        """Construct and improve within time_limit seconds; returns the best routes found."""
        deadline = time.monotonic() + time_limit
        self.deadline = deadline
        routes = initial if initial is not None else self._empty()
        routes = {w.id: list(routes.get(w.id, [])) for w in self.p.workers}
        if evaluate(self.p, routes).cost >= INFEASIBLE:
            routes = self._empty()
        missing = [g for g in self.group_ids if g not in self._assigned(routes)]
        routes = self.recreate(routes, self._order(missing), deadline)
        current = best = routes
        cur_ev = best_ev = evaluate(self.p, routes)
        temp0 = max(1.0, 0.02 * cur_ev.cost if cur_ev.cost < INFEASIBLE else 1.0)
        started, it = time.monotonic(), 0
        while time.monotonic() < deadline and it < MAX_ITERATIONS:
            it += 1
            partial, removed = self.ruin(current)
            missing = [g for g in self.group_ids if g not in self._assigned(partial)]
            self.rng.shuffle(missing)
            order = missing if self.rng.random() < 0.5 else self._order(missing)
            cand = self.recreate(partial, order, deadline)
            ev = evaluate(self.p, cand)
            frac = min(1.0, (time.monotonic() - started) / max(1e-3, time_limit))
            temp = temp0 * (1.0 - frac) + 1e-9
            delta = ev.cost - cur_ev.cost
            if delta <= 0 or self.rng.random() < math.exp(-delta / temp):
                current, cur_ev = cand, ev
                if ev.cost < best_ev.cost - 1e-9:
                    best, best_ev = cand, ev
        return best, best_ev

    def _assigned(self, routes: Routes) -> set[str]:
        """Groups with at least one task in the routes."""
        return {self.p.task_by_id[t].group for r in routes.values() for t in r}
