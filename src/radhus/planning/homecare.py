"""Municipal home-care day plan (hemtjänst): visits, staff, travel times, continuity and re-planning.

Request (JSON-able dict; times "HH:MM", minutes for durations):
    {"travel": {"mode": "haversine", "speed_kmh": 30, "detour_factor": 1.3}
              | {"mode": "matrix", "points": ["<point id>", ...], "durations": [[seconds]]}
                (the "durations" of an OSRM /table response),
     "staff": [{"id", "name", "start": {"lat", "lon"}, "end": {...}, "shift": {"start", "end"},
                "competences": [...], "breaks": [{"earliest", "latest", "minutes"}], "point": "<id>"}],
     "visits": [{"id", "client", "lat", "lon", "point", "window": {"start", "end"}, "minutes",
                 "competence": str | null, "staff_count": 1 | 2, "regular_staff": [...]}],
     "weights": {"travel": 1, "continuity": 15, "balance": 0.2, "waiting": 0.1}}
With mode "matrix" every staff member and visit names its ``point`` (an id in ``points``).
"""

from __future__ import annotations

import math
import time

from radhus.core.errors import InvalidInput
from radhus.planning.routing_engine import Problem, Search, Sync, Task, Weights, Worker, evaluate
from radhus.planning.vrptw import check_time_limit

EARTH_RADIUS_KM = 6371.0088
UNPLANNED_PENALTY = 100_000.0
DEFAULT_WEIGHTS = {"travel": 1.0, "continuity": 15.0, "balance": 0.2, "waiting": 0.1, "change": 30.0}


def parse_hhmm(value: str, what: str) -> float:
    """'HH:MM' -> minutes after midnight, with a Swedish error for bad input."""
    try:
        hours, minutes = str(value).split(":")
        h, m = int(hours), int(minutes)
    except (ValueError, AttributeError):
        raise InvalidInput(f"Ogiltig tid för {what}: {value!r} (använd TT:MM).") from None
    if not (0 <= h <= 24 and 0 <= m < 60):
        raise InvalidInput(f"Ogiltig tid för {what}: {value!r}.")
    return float(h * 60 + m)


def fmt_hhmm(minutes: float) -> str:
    """Minutes after midnight -> 'HH:MM' (rounded to the minute)."""
    total = int(round(minutes))
    return f"{total // 60:02d}:{total % 60:02d}"


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def travel_matrix_minutes(*, points: list[tuple[float, float]], speed_kmh: float, detour_factor: float) -> list:
    """Travel minutes between coordinates: haversine x detour factor / speed."""
    if speed_kmh <= 0 or detour_factor < 1:
        raise InvalidInput("Hastigheten måste vara positiv och omvägsfaktorn minst 1.")
    return [[haversine_km(a, b) * detour_factor / speed_kmh * 60.0 for b in points] for a in points]


def _latlon(obj: dict, what: str) -> tuple[float, float]:
    """Validated (lat, lon) of a place."""
    try:
        lat, lon = float(obj["lat"]), float(obj["lon"])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(f"{what} saknar giltiga koordinater (lat, lon).") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput(f"{what} har koordinater utanför giltigt intervall.")
    return lat, lon


class _Places:
    """Collects the places of a request and builds the travel-time matrix (minutes)."""

    def __init__(self, travel: dict):
        self.travel = travel or {"mode": "haversine"}
        self.mode = self.travel.get("mode", "haversine")
        if self.mode not in ("haversine", "matrix"):
            raise InvalidInput("Restidsläget måste vara 'haversine' eller 'matrix'.")
        self.coords: list[tuple[float, float]] = []
        self.point_ids: list[str] = []

    def add(self, obj: dict, what: str) -> int:
        """Register a place; returns its matrix index."""
        if self.mode == "matrix":
            points = self.travel.get("points") or []
            if obj.get("point") not in points:
                raise InvalidInput(f"{what} anger ingen känd punkt ('point') i restidsmatrisen.")
            return points.index(obj["point"])
        self.coords.append(_latlon(obj, what))
        return len(self.coords) - 1

    def matrix(self) -> list[list[float]]:
        """Travel minutes between all registered places."""
        if self.mode == "haversine":
            return travel_matrix_minutes(
                points=self.coords,
                speed_kmh=float(self.travel.get("speed_kmh", 30.0)),
                detour_factor=float(self.travel.get("detour_factor", 1.3)),
            )
        return _imported_matrix(self.travel)


def _imported_matrix(travel: dict) -> list[list[float]]:
    """Travel minutes from an imported matrix of seconds (OSRM table 'durations' layout)."""
    durations = travel.get("durations")
    n = len(travel.get("points") or [])
    if not isinstance(durations, list) or len(durations) != n or any(len(r) != n for r in durations):
        raise InvalidInput("Restidsmatrisen ('durations') måste vara kvadratisk med en rad per punkt.")
    out = []
    for row in durations:
        if any(x is None for x in row):
            raise InvalidInput("Restidsmatrisen saknar värden (null); vägnätet når inte alla punkter.")
        out.append([float(x) / 60.0 for x in row])
    return out


def build_problem(request: dict, *, previous: dict | None = None) -> tuple[Problem, dict]:
    """Translate a home-care request into an engine problem; returns it with lookup metadata."""
    if not isinstance(request, dict):
        raise InvalidInput("Planeringsunderlaget måste vara ett JSON-objekt.")
    staff, visits = request.get("staff") or [], request.get("visits") or []
    if not staff:
        raise InvalidInput("Det finns ingen personal i underlaget.")
    places = _Places(request.get("travel") or {})
    workers = [_staff_worker(s, places) for s in staff]
    if len({w.id for w in workers}) != len(workers):
        raise InvalidInput("Personalens id måste vara unika.")
    prev_worker = _previous_assignment(previous)
    tasks, syncs = [], []
    for v in visits:
        v_tasks = _visit_tasks(v, places, prev_worker)
        tasks += v_tasks
        if len(v_tasks) == 2:
            syncs.append(Sync(v_tasks[0].id, v_tasks[1].id, 0.0, 0.0))
    if len({t.group for t in tasks}) != len(visits):
        raise InvalidInput("Besökens id måste vara unika.")
    tasks += [t for s in staff for t in _break_tasks(s)]
    weights = {**DEFAULT_WEIGHTS, **(request.get("weights") or {})}
    penalty = {t.group: UNPLANNED_PENALTY for t in tasks if not t.is_break}
    penalty.update({t.group: UNPLANNED_PENALTY / 10 for t in tasks if t.is_break})
    eng_weights = Weights(
        travel=weights["travel"],
        tardiness_hard=True,
        waiting=weights["waiting"],
        preference=weights["continuity"],
        balance=weights["balance"],
        change=weights["change"] if previous else 0.0,
    )
    problem = Problem(places.matrix(), workers, tasks, syncs, penalty, eng_weights)
    meta = {"staff": {s["id"]: s for s in staff}, "visits": {v["id"]: v for v in visits}}
    return problem, meta


def _staff_worker(s: dict, places: _Places) -> Worker:
    """Engine worker for a staff member (hard working hours)."""
    if "id" not in s:
        raise InvalidInput("En personal saknar id.")
    name = f"Personalen {s.get('name', s['id'])}"
    start = places.add(s.get("start") or s, f"{name} (startplats)")
    end = places.add(s.get("end") or s.get("start") or s, f"{name} (slutplats)")
    shift = s.get("shift") or {}
    t0 = parse_hhmm(shift.get("start", ""), f"{name}s arbetstid (start)")
    t1 = parse_hhmm(shift.get("end", ""), f"{name}s arbetstid (slut)")
    if t1 <= t0:
        raise InvalidInput(f"{name} har en arbetstid som slutar före den börjar.")
    return Worker(
        id=str(s["id"]),
        start_loc=start,
        end_loc=end,
        shift_start=max(t0, float(s.get("_available_from", t0))),
        shift_end=t1,
        skills=frozenset(s.get("competences") or []),
        hard_shift_end=True,
    )


def _visit_tasks(v: dict, places: _Places, prev_worker: dict[str, str]) -> list[Task]:
    """One task per staff member needed by the visit (two for double-staffed visits)."""
    if "id" not in v:
        raise InvalidInput("Ett besök saknar id.")
    what = f"Besöket {v['id']}"
    loc = places.add(v, what)
    window = v.get("window") or {}
    lo = parse_hhmm(window.get("start", ""), f"{what} (fönstrets start)")
    hi = parse_hhmm(window.get("end", ""), f"{what} (fönstrets slut)")
    minutes = v.get("minutes")
    if not isinstance(minutes, int | float) or minutes <= 0:
        raise InvalidInput(f"{what} måste ha en positiv längd i minuter.")
    if hi < lo:
        raise InvalidInput(f"{what} har ett tidsfönster som slutar före det börjar.")
    count = v.get("staff_count", 1)
    if count not in (1, 2):
        raise InvalidInput(f"{what}: antal personal måste vara 1 eller 2.")
    regular = v.get("regular_staff")
    return [
        Task(
            id=f"{v['id']}#{k}",
            group=str(v["id"]),
            loc=loc,
            duration=float(minutes),
            windows=((lo, hi),),
            skills=frozenset([v["competence"]]) if v.get("competence") else frozenset(),
            preferred_workers=frozenset(regular) if regular else None,
            previous_worker=prev_worker.get(f"{v['id']}#{k}"),
        )
        for k in range(count)
    ]


def _break_tasks(s: dict) -> list[Task]:
    """Break tasks bound to one staff member (taken where the staff member is, no travel)."""
    out = []
    for i, b in enumerate(s.get("breaks") or []):
        lo = parse_hhmm(b.get("earliest", ""), "rastens tidigaste start")
        hi = parse_hhmm(b.get("latest", ""), "rastens senaste start")
        gid = f"rast:{s['id']}:{i}"
        only = frozenset([s["id"]])
        out.append(Task(gid, gid, None, float(b.get("minutes", 30)), ((lo, hi),), allowed_workers=only, is_break=True))
    return out


def _previous_assignment(previous: dict | None) -> dict[str, str]:
    """task id -> staff id from a previous plan (for minimal-change re-planning)."""
    if not previous:
        return {}
    out = {}
    for staff_id, items in (previous.get("routes") or {}).items():
        for item in items:
            if item.get("type") == "visit":
                out[item["task"]] = staff_id
    return out


def plan_day(*, request: dict, time_limit: float) -> dict:
    """Plan the day's routes; returns routes per staff, unplanned visits with Swedish reasons, figures."""
    time_limit = check_time_limit(time_limit)
    deadline = time.monotonic() + time_limit
    problem, meta = build_problem(request)
    routes, ev = Search(problem, seed=0).run(time_limit=max(0.05, time_limit * 0.9))
    return _render(problem, meta, routes, ev, deadline)


def _render(problem: Problem, meta: dict, routes: dict, ev, deadline: float) -> dict:
    """Plan dict with timelines, unplanned visits (explained) and key figures."""
    out_routes: dict[str, list[dict]] = {}
    for w in problem.workers:
        items, loc = [], w.start_loc
        for tid in routes.get(w.id, []):
            task = problem.task_by_id[tid]
            nxt = task.loc if task.loc is not None else loc
            s = ev.start[tid]
            item = {"type": "break" if task.is_break else "visit", "task": tid, "start": fmt_hhmm(s)}
            item.update(end=fmt_hhmm(s + task.duration), start_min=s, end_min=s + task.duration)
            if not task.is_break:
                visit = meta["visits"][task.group]
                item.update(visit_id=task.group, client=visit.get("client"), travel_min=problem.travel[loc][nxt])
                item["double"] = visit.get("staff_count", 1) == 2
            items.append(item)
            loc = nxt
        out_routes[w.id] = items
    unplanned = [g for g in ev.unassigned if not g.startswith("rast:")]
    return {
        "routes": out_routes,
        "unplanned": [{"visit_id": g, "reason": explain_unplanned(problem, meta, routes, g)} for g in unplanned],
        "missed_breaks": [g for g in ev.unassigned if g.startswith("rast:")],
        "figures": _figures(problem, routes, ev),
        "clients": client_continuity(problem, meta, routes),
    }


def client_continuity(problem: Problem, meta: dict, routes: dict) -> list[dict]:
    """Per client: the staff who visit today, the client's regular staff and how many visits they make."""
    by_client: dict[str, dict] = {}
    for staff_id, tasks in routes.items():
        for tid in tasks:
            task = problem.task_by_id[tid]
            if task.is_break:
                continue
            visit = meta["visits"][task.group]
            entry = by_client.setdefault(
                str(visit.get("client", task.group)), {"staff": set(), "regular": set(), "tasks": 0, "by_regular": 0}
            )
            regular = set(visit.get("regular_staff") or [])
            entry["staff"].add(staff_id)
            entry["regular"] |= regular
            entry["tasks"] += bool(regular)  # only visits that name regular staff count in the share
            entry["by_regular"] += staff_id in regular
    out = []
    for client, e in sorted(by_client.items()):
        share = round(100.0 * e["by_regular"] / e["tasks"], 1) if e["tasks"] else None
        out.append(
            {
                "client": client,
                "staff": sorted(e["staff"]),
                "regular_staff": sorted(e["regular"]),
                "by_regular_pct": share,
            }
        )
    return out


def _figures(problem: Problem, routes: dict, ev) -> dict:
    """Travel, continuity and workload figures of a plan."""
    visits = [problem.task_by_id[t] for r in routes.values() for t in r if not problem.task_by_id[t].is_break]
    with_regular = [t for t in visits if t.preferred_workers is not None]
    by_regular = sum(
        1 for w, r in routes.items() for t in r if (pw := problem.task_by_id[t].preferred_workers) and w in pw
    )
    workload = {
        w: sum(problem.task_by_id[t].duration for t in r if not problem.task_by_id[t].is_break)
        for w, r in routes.items()
    }
    return {
        "travel_minutes": round(ev.components.get("travel", 0.0), 1),
        "visits_planned": len({t.group for t in visits}),
        "continuity_percent": round(100.0 * by_regular / len(with_regular), 1) if with_regular else 100.0,
        "care_minutes_per_staff": workload,
        "objective": round(ev.cost, 2),
    }


def explain_unplanned(problem: Problem, meta: dict, routes: dict, group: str) -> str:
    """Swedish explanation of why a visit could not be planned."""
    tasks = problem.groups[group]
    visit = meta["visits"][group]
    qualified = [w for w in problem.workers if problem.can_do(w, tasks[0])]
    label = f"Besöket {group} hos {visit.get('client', 'okänd brukare')}"
    if not qualified:
        return f"{label} kräver kompetensen {visit.get('competence')}, som ingen i personalen har."
    if len(tasks) == 2 and len(qualified) < 2:
        return f"{label} kräver två personal samtidigt, men bara {len(qualified)} har rätt kompetens."
    search = Search(problem)
    alone = [w for w in qualified if _fits_alone(search, w, tasks)]
    if not alone:
        window = f"{fmt_hhmm(tasks[0].windows[0][0])}–{fmt_hhmm(tasks[0].windows[0][1])}"
        return (
            f"{label} kan inte nås inom tidsfönstret {window} av någon behörig personal inom arbetstiden "
            "(restid, besökslängd och arbetstidens slut räcker inte)."
        )
    names = ", ".join(meta["staff"][w.id].get("name", w.id) for w in alone)
    return (
        f"{label} ryms inte: behörig personal ({names}) är upptagen med andra besök under tidsfönstret. "
        "Överväg att flytta ett besök, förlänga tidsfönstret eller ta in extra personal."
    )


def _fits_alone(search: Search, worker: Worker, tasks: list[Task]) -> bool:
    """Whether the visit fits an otherwise empty day of this worker (ignoring the double-staff partner)."""
    routes: dict[str, list[str]] = {w.id: [] for w in search.p.workers}
    routes[worker.id] = [tasks[0].id]
    sub = {worker.id: [tasks[0].id]}
    return evaluate(search.p, {**routes, **sub}).cost < math.inf


# ------------------------------------------------------------------------------------------ re-planning


def replan_day(*, request: dict, previous: dict, event: dict, time_limit: float) -> dict:
    """Re-plan after an event at time T; keeps visits started before T and reports the changes.

    event: {"type": "visit_added", "at": "HH:MM", "visit": {...}}
           | {"type": "staff_ill", "at": "HH:MM", "staff_id": "..."}
    """
    time_limit = check_time_limit(time_limit)
    if not isinstance(previous, dict) or "routes" not in previous:
        raise InvalidInput("Den tidigare planen saknas eller saknar rutter.")
    at = parse_hhmm((event or {}).get("at", ""), "händelsens tidpunkt")
    kept, frozen_visits = _kept_items(previous, at)
    new_request = _request_after(request, previous, event, kept, frozen_visits, at)
    deadline = time.monotonic() + time_limit
    problem, meta = build_problem(new_request, previous=previous)
    initial = _initial_routes(previous, problem)
    routes, ev = Search(problem, seed=0).run(time_limit=max(0.05, time_limit * 0.9), initial=initial)
    plan = _render(problem, meta, routes, ev, deadline)
    for staff_id, items in kept.items():
        plan["routes"][staff_id] = items + plan["routes"].get(staff_id, [])
    plan["changes"] = _changes(previous, plan, frozen_visits)
    return plan


def _kept_items(previous: dict, at: float) -> tuple[dict[str, list[dict]], set[str]]:
    """Items already started (start < T) per staff member, and the visit ids they belong to."""
    kept: dict[str, list[dict]] = {}
    visits = set()
    for staff_id, items in previous["routes"].items():
        kept[staff_id] = [i for i in items if i["start_min"] < at]
        visits |= {i["visit_id"] for i in kept[staff_id] if i["type"] == "visit"}
    return kept, visits


def _request_after(request: dict, previous: dict, event: dict, kept: dict, frozen: set, at: float) -> dict:
    """The remaining problem: unstarted visits, staff available from T (or from their last kept visit)."""
    etype = event.get("type")
    visits = [v for v in request.get("visits") or [] if v["id"] not in frozen]
    if etype == "visit_added":
        if not isinstance(event.get("visit"), dict):
            raise InvalidInput("Händelsen 'visit_added' måste innehålla ett besök.")
        visits.append(event["visit"])
    elif etype != "staff_ill":
        raise InvalidInput("Okänd händelse; använd 'visit_added' eller 'staff_ill'.")
    staff = []
    ids = {s["id"] for s in request["staff"]}
    if etype == "staff_ill" and event.get("staff_id") not in ids:
        raise InvalidInput(f"Okänd personal {event.get('staff_id')!r} i händelsen.")
    for s in request["staff"]:
        if etype == "staff_ill" and s["id"] == event["staff_id"]:
            continue
        s2 = dict(s)
        done = kept.get(s["id"]) or []
        last_end = max((i["end_min"] for i in done), default=at)
        s2["_available_from"] = max(at, last_end)
        last_visit = next((i for i in reversed(done) if i["type"] == "visit"), None)
        if last_visit is not None:
            place = next(v for v in request["visits"] if v["id"] == last_visit["visit_id"])
            s2["start"] = {k: place[k] for k in ("lat", "lon", "point") if k in place}
        s2["breaks"] = [] if any(i["type"] == "break" for i in done) else s.get("breaks")
        staff.append(s2)
    return {**request, "visits": visits, "staff": staff}


def _initial_routes(previous: dict, problem: Problem) -> dict[str, list[str]]:
    """Warm start: the previous plan's unstarted visits on the same staff members, where still valid."""
    out: dict[str, list[str]] = {w.id: [] for w in problem.workers}
    for staff_id, items in previous["routes"].items():
        if staff_id in out:
            out[staff_id] = [i["task"] for i in items if i["type"] == "visit" and i["task"] in problem.task_by_id]
    groups = {problem.task_by_id[t].group for r in out.values() for t in r}
    complete = {g for g in groups if all(any(t.id in r for r in out.values()) for t in problem.groups[g])}
    return {w: [t for t in r if problem.task_by_id[t].group in complete] for w, r in out.items()}


def _changes(previous: dict, plan: dict, frozen: set[str]) -> dict:
    """Visits moved to another staff member, re-timed, newly unplanned or newly planned."""

    def index(p: dict) -> dict[str, tuple[str, str]]:
        return {
            i["task"]: (sid, i["start"]) for sid, items in p["routes"].items() for i in items if i["type"] == "visit"
        }

    before, after = index(previous), index(plan)
    moved = sorted(t for t in before if t in after and before[t][0] != after[t][0])
    retimed = sorted(t for t in before if t in after and before[t][0] == after[t][0] and before[t][1] != after[t][1])
    return {
        "kept_started": sorted(frozen),
        "moved_to_other_staff": [{"task": t, "from": before[t][0], "to": after[t][0]} for t in moved],
        "retimed": [{"task": t, "from": before[t][1], "to": after[t][1]} for t in retimed],
        "newly_unplanned": sorted(t for t in before if t not in after),
        "newly_planned": sorted(t for t in after if t not in before),
        "changed_assignments": len(moved),
    }
