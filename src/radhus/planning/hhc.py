"""Home health care routing and scheduling (UHHC JSON instances, e.g. Mankowska et al. 2014).

Caregivers with skills visit patients needing one or two services; double services are synchronised
(simultaneous, or sequential with a minimum/maximum gap). The objective components and weights come
from the instance metadata (``cost_components``); "HARD" makes a component a hard constraint.
Solved with the LNS engine in ``routing_engine``.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

from radhus.core.errors import InvalidInput
from radhus.planning.routing_engine import Problem, Search, Sync, Task, Weights, Worker, evaluate
from radhus.planning.vrptw import check_time_limit

UNVISITED_REQUIRED_PENALTY = 1_000_000.0
SAFETY_MARGIN_S = 0.2


@dataclass
class HhcInstance:
    """A parsed UHHC instance plus the engine problem built from it."""

    name: str
    raw: dict
    problem: Problem
    weights: dict[str, float | str]


def load_instance(path: Path) -> HhcInstance:
    """Read and validate a UHHC JSON instance file."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"Instansfilen {path} finns inte.")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"Instansfilen är inte giltig JSON: {exc}.") from None
    return build_instance(raw, name=path.stem)


def build_instance(raw: dict, *, name: str = "") -> HhcInstance:
    """Build the engine problem from a UHHC instance dict, with Swedish errors for malformed data."""
    if not isinstance(raw, dict):
        raise InvalidInput("Instansen måste vara ett JSON-objekt.")
    for key in ("distances", "terminal_points", "caregivers", "patients"):
        if not isinstance(raw.get(key), list) or not raw[key]:
            raise InvalidInput(f"Instansen saknar fältet '{key}' eller så är det tomt.")
    try:
        return _build(raw, name or str(raw.get("metadata", {}).get("name", "hhc")))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise InvalidInput(f"Instansfilen har fel format: {exc!r}.") from None


def _cost_components(raw: dict) -> dict[str, float | str]:
    """Objective weights from the metadata; Mankowska's 1/1/1 when absent."""
    comps = (raw.get("metadata") or {}).get("cost_components")
    return dict(comps) if comps else {"travel_time": 1, "total_tardiness": 1, "highest_tardiness": 1}


def _weight(comps: dict, key: str) -> float:
    """Numeric weight of a component (HARD counts as 1 in the total, like the UHHC validator)."""
    v = comps.get(key)
    if v is None:
        return 0.0
    return 1.0 if v == "HARD" else float(v)


def _build(raw: dict, name: str) -> HhcInstance:
    """Translate patients/caregivers/services into engine tasks, workers and sync constraints."""
    dist = [[float(x) for x in row] for row in raw["distances"]]
    n = len(dist)
    if any(len(row) != n for row in dist):
        raise InvalidInput("Avståndsmatrisen måste vara kvadratisk.")
    terminals = {t["id"]: int(t["distance_matrix_index"]) for t in raw["terminal_points"]}
    comps = _cost_components(raw)
    workers = [_worker(c, terminals) for c in raw["caregivers"]]
    tasks, syncs, penalty = [], [], {}
    opt_weight = _weight(comps, "optional_patients")
    for p in raw["patients"]:
        p_tasks = _patient_tasks(p, n)
        tasks += p_tasks
        syncs += _patient_syncs(p, p_tasks)
        penalty[p["id"]] = opt_weight if p.get("optional") else UNVISITED_REQUIRED_PENALTY
    tasks += _lunch_tasks(raw, workers)
    for w in workers:
        if f"lunch:{w.id}" in {t.group for t in tasks}:
            penalty[f"lunch:{w.id}"] = _weight(comps, "missed_lunch_break")
    weights = Weights(
        travel=_weight(comps, "travel_time"),
        total_tardiness=_weight(comps, "total_tardiness"),
        max_tardiness=_weight(comps, "highest_tardiness"),
        tardiness_hard=comps.get("total_tardiness") == "HARD",
        waiting=_weight(comps, "total_waiting_time"),
        overtime=_weight(comps, "total_extra_time"),
        max_idle=_weight(comps, "max_idle_time"),
        preference=_weight(comps, "caregiver_preferences"),
        window_at_end=(raw.get("metadata") or {}).get("time_window_met") == "at_service_end",
    )
    problem = Problem(dist, workers, tasks, syncs, penalty, weights)
    return HhcInstance(name, raw, problem, comps)


def _worker(c: dict, terminals: dict[str, int]) -> Worker:
    """Engine worker from a UHHC caregiver."""
    shift = c.get("working_shift") or {}
    if c["departing_point"] not in terminals or c["arrival_point"] not in terminals:
        raise InvalidInput(f"Vårdgivaren {c['id']} har en okänd start- eller slutpunkt.")
    return Worker(
        id=str(c["id"]),
        start_loc=terminals[c["departing_point"]],
        end_loc=terminals[c["arrival_point"]],
        shift_start=float(shift.get("start", 0.0)),
        shift_end=float(shift.get("end", math.inf)),
        skills=frozenset(c.get("abilities") or []),
        hard_shift_start=False,
    )


def _patient_tasks(p: dict, n_locations: int) -> list[Task]:
    """One task per required service of a patient."""
    loc = int(p["distance_matrix_index"])
    if not 0 <= loc < n_locations:
        raise InvalidInput(f"Patienten {p['id']} har ett avståndsindex utanför matrisen.")
    windows = tuple(sorted((float(w["start"]), float(w["end"])) for w in p.get("time_windows") or []))
    if any(hi < lo for lo, hi in windows):
        raise InvalidInput(f"Patienten {p['id']} har ett tidsfönster som slutar före det börjar.")
    pref = p.get("preferred_caregivers")
    services = p.get("required_services") or []
    if not services:
        raise InvalidInput(f"Patienten {p['id']} saknar insatser (required_services).")
    return [
        Task(
            id=f"{p['id']}|{s['service']}|{i}",
            group=str(p["id"]),
            loc=loc,
            duration=float(s["duration"]),
            windows=windows or ((0.0, math.inf),),
            skills=frozenset([s["service"]]),
            preferred_workers=frozenset(pref) if pref else None,
        )
        for i, s in enumerate(services)
    ]


def _patient_syncs(p: dict, tasks: list[Task]) -> list[Sync]:
    """Synchronisation between the two services of a double-service patient."""
    sync = p.get("synchronization") or {}
    if len(tasks) < 2 or sync.get("type") in (None, "independent"):
        return []
    a, b = tasks[0].id, tasks[1].id
    if sync["type"] == "simultaneous":
        return [Sync(a, b, 0.0, 0.0)]
    if sync["type"] == "sequential":
        gap = sync.get("distance") or {}
        return [Sync(a, b, float(gap.get("min", 0.0)), float(gap.get("max", math.inf)))]
    raise InvalidInput(f"Okänd synkroniseringstyp {sync['type']!r} för patient {p['id']}.")


def _lunch_tasks(raw: dict, workers: list[Worker]) -> list[Task]:
    """An optional lunch-break task for each caregiver entitled to one."""
    lb = raw.get("lunch_breaks")
    if not lb:
        return []
    entitled = {str(c["id"]) for c in raw["caregivers"] if c.get("lunch_break")}
    dur = float(lb.get("min_duration", 30))
    window = ((float(lb["start"]), float(lb["end"]) - dur),)
    return [
        Task(
            f"lunch:{w.id}",
            f"lunch:{w.id}",
            None,
            dur,
            window,
            allowed_workers=frozenset([w.id]),
            is_break=True,
        )
        for w in workers
        if w.id in entitled
    ]


def solve_instance(instance: HhcInstance, *, time_limit: float, seed: int = 0) -> dict:
    """Solve within the wall-clock limit; returns routes per caregiver and the objective components."""
    time_limit = check_time_limit(time_limit)
    started = time.monotonic()
    search = Search(instance.problem, seed=seed)
    budget = max(0.05, time_limit - SAFETY_MARGIN_S - (time.monotonic() - started))
    routes, ev = search.run(time_limit=budget)
    if ev.cost == math.inf:
        raise InvalidInput("Ingen tillåten plan hittades inom tidsgränsen.")
    return _solution(instance, routes, ev)


def _solution(instance: HhcInstance, routes: dict[str, list[str]], ev) -> dict:
    """Solution dict: UHHC-style routes plus objective components, weights and the weighted total."""
    p = instance.problem
    out_routes = []
    for w in p.workers:
        locations, loc, t = [], w.start_loc, None
        for tid in routes.get(w.id, []):
            task = p.task_by_id[tid]
            nxt = task.loc if task.loc is not None else loc
            arrival = (t + p.travel[loc][nxt]) if t is not None else ev.start[tid]
            patient, service = (task.group, task.id.split("|")[1]) if not task.is_break else ("", "lunch_break")
            locations.append(
                {
                    "patient": patient,
                    "service": service,
                    "arrival_at_patient": round(arrival, 6),
                    "start_service_time": round(ev.start[tid], 6),
                    "end_service_time": round(ev.start[tid] + task.duration, 6),
                }
            )
            t, loc = ev.start[tid] + task.duration, nxt
        out_routes.append({"caregiver_id": w.id, "locations": locations})
    comps = _reported_components(instance, ev)
    total = sum(_weight(instance.weights, k) * v for k, v in comps.items())
    return {
        "instance": instance.name,
        "routes": out_routes,
        "components": comps,
        "weights": instance.weights,
        "objective": total,
        "unvisited_patients": [g for g in ev.unassigned if not g.startswith("lunch:")],
    }


def _reported_components(instance: HhcInstance, ev) -> dict[str, float]:
    """Components named as in the instance metadata (only those the instance defines)."""
    c = ev.components
    unvisited = [g for g in ev.unassigned if not g.startswith("lunch:")]
    values = {
        "travel_time": c["travel"],
        "total_tardiness": c["total_tardiness"],
        "highest_tardiness": c["max_tardiness"],
        "total_waiting_time": c["waiting"],
        "total_extra_time": c["overtime"],
        "max_idle_time": c["max_idle"],
        "caregiver_preferences": c["preference"],
        "optional_patients": float(len(unvisited)),
        "missed_lunch_break": float(sum(1 for g in ev.unassigned if g.startswith("lunch:"))),
    }
    return {k: v for k, v in values.items() if k in instance.weights}


def solve_file(path: Path, *, time_limit: float) -> dict:
    """Solve a UHHC JSON instance file (see module docstring); returns routes, components and total."""
    check_time_limit(time_limit)
    return solve_instance(load_instance(Path(path)), time_limit=time_limit)


__all__ = ["HhcInstance", "build_instance", "evaluate", "load_instance", "solve_file", "solve_instance"]
