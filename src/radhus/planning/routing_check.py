"""Independent solution checkers for VRPTW, HHC and home-care plans.

They recompute everything from the output (distances, arrival times, loads) and share no scheduling
code with the solvers, so a solver bug cannot hide itself. Each returns a list of violation strings
(empty when the solution is valid) plus recomputed figures.
"""

from __future__ import annotations

import math

EPS = 1e-6


def check_vrptw(instance, solution: dict) -> dict:
    """Check a VRPTW solution dict against a parsed instance (radhus.planning.vrptw.VrptwInstance)."""
    violations: list[str] = []
    routes = solution.get("routes", [])
    seen = [n for r in routes for n in r]
    customers = set(instance.customers)
    if sorted(seen) != sorted(customers):
        missing = customers - set(seen)
        dup = {n for n in seen if seen.count(n) > 1}
        violations.append(f"customers not served exactly once: missing={sorted(missing)} dup={sorted(dup)}")
    if len(routes) > instance.fleet_size:
        violations.append(f"{len(routes)} routes > fleet {instance.fleet_size}")
    total = 0.0
    for k, route in enumerate(routes):
        total += _check_vrptw_route(instance, k, route, violations)
    if abs(total - solution.get("distance", math.nan)) > 1e-6 * max(1.0, total):
        violations.append(f"reported distance {solution.get('distance')} != recomputed {total}")
    if solution.get("vehicles") != len([r for r in routes if r]):
        violations.append("reported vehicle count differs from the number of non-empty routes")
    return {"violations": violations, "distance": total}


def _euclid(instance, a: int, b: int) -> float:
    """Euclidean distance recomputed from the raw coordinates."""
    (xa, ya), (xb, yb) = instance.coords[a], instance.coords[b]
    return math.sqrt((xa - xb) ** 2 + (ya - yb) ** 2)


def _check_vrptw_route(instance, k: int, route: list[int], violations: list[str]) -> float:
    """Check load, time windows and horizon of one route; return its length."""
    load = sum(instance.demand.get(n, 0.0) for n in route)
    if load > instance.capacity + EPS:
        violations.append(f"route {k}: load {load} > capacity {instance.capacity}")
    t, prev, length = 0.0, instance.depot, 0.0
    for node in route:
        if node not in instance.tw:
            violations.append(f"route {k}: unknown customer {node}")
            return length
        leg = _euclid(instance, prev, node)
        length += leg
        t = max(t + leg, instance.tw[node][0])
        if t > instance.tw[node][1] + EPS:
            violations.append(f"route {k}: customer {node} starts {t:.3f} after window end {instance.tw[node][1]}")
        t += instance.service[node]
        prev = node
    leg = _euclid(instance, prev, instance.depot)
    length += leg
    if t + leg > instance.horizon + EPS:
        violations.append(f"route {k}: back at depot {t + leg:.3f} after horizon {instance.horizon}")
    return length


def check_hhc(raw: dict, solution: dict) -> dict:
    """Check a UHHC-style HHC solution against the raw instance dict; recomputes travel and tardiness."""
    violations: list[str] = []
    dist = raw["distances"]
    terminals = {t["id"]: t["distance_matrix_index"] for t in raw["terminal_points"]}
    caregivers = {c["id"]: c for c in raw["caregivers"]}
    patients = {p["id"]: p for p in raw["patients"]}
    at_end = (raw.get("metadata") or {}).get("time_window_met") == "at_service_end"
    served: dict[tuple[str, str], list[tuple[str, float]]] = {}
    travel, tardiness = 0.0, []
    for route in solution["routes"]:
        cg = caregivers[route["caregiver_id"]]
        visits = [v for v in route["locations"] if v["service"] != "lunch_break"]
        loc, t = terminals[cg["departing_point"]], None
        for v in route["locations"]:
            if v["service"] == "lunch_break":
                t = v["end_service_time"] if t is None else max(t, v["end_service_time"])
                continue
            p = patients[v["patient"]]
            nxt = p["distance_matrix_index"]
            leg = dist[loc][nxt]
            travel += leg
            if t is not None and v["start_service_time"] < t + leg - EPS:
                violations.append(f"{cg['id']}: {p['id']} starts before arrival")
            if v["service"] not in cg["abilities"]:
                violations.append(f"{cg['id']} lacks skill {v['service']} for {p['id']}")
            tardiness.append(_hhc_tardiness(p, v, at_end))
            served.setdefault((p["id"], v["service"]), []).append((cg["id"], v["start_service_time"]))
            t, loc = v["end_service_time"], nxt
        if visits:
            travel += dist[loc][terminals[cg["arrival_point"]]]
    violations += _hhc_coverage(raw, served)
    if (raw.get("metadata") or {}).get("cost_components", {}).get("total_tardiness") == "HARD":
        if any(x > EPS for x in tardiness):
            violations.append("hard time window violated")
    reported = solution.get("components", {})
    if abs(reported.get("travel_time", travel) - travel) > 1e-3:
        violations.append(f"reported travel {reported.get('travel_time')} != recomputed {travel}")
    if abs(reported.get("total_tardiness", sum(tardiness)) - sum(tardiness)) > 1e-3:
        violations.append(f"reported tardiness {reported.get('total_tardiness')} != recomputed {sum(tardiness)}")
    return {"violations": violations, "travel_time": travel, "total_tardiness": sum(tardiness)}


def _hhc_tardiness(p: dict, v: dict, at_end: bool) -> float:
    """Lateness of a visit against the window its start falls in."""
    windows = sorted(p.get("time_windows") or [], key=lambda w: w["start"])
    if not windows:
        return 0.0
    chosen = windows[0]
    for w in windows:
        if w["start"] <= v["start_service_time"] + EPS:
            chosen = w
    if v["start_service_time"] < windows[0]["start"] - EPS:
        return math.inf
    point = v["end_service_time"] if at_end else v["start_service_time"]
    return max(0.0, point - chosen["end"])


def _hhc_coverage(raw: dict, served: dict) -> list[str]:
    """Every required service once, by one caregiver; synchronisation of double services respected."""
    out = []
    for p in raw["patients"]:
        services = [s["service"] for s in p["required_services"]]
        got = [served.get((p["id"], s), []) for s in services]
        if not any(got):
            if not p.get("optional"):
                out.append(f"required patient {p['id']} not visited")
            continue
        if any(len(g) != 1 for g in got):
            out.append(f"patient {p['id']}: each service must be given exactly once")
            continue
        sync = p.get("synchronization") or {}
        if len(services) == 2 and sync.get("type") in ("simultaneous", "sequential"):
            (c1, s1), (c2, s2) = got[0][0], got[1][0]
            lo, hi = (0, 0) if sync["type"] == "simultaneous" else (sync["distance"]["min"], sync["distance"]["max"])
            if not (lo - EPS <= s2 - s1 <= hi + EPS):
                out.append(f"patient {p['id']}: gap {s2 - s1} outside [{lo}, {hi}]")
            if sync["type"] == "simultaneous" and c1 == c2:
                out.append(f"patient {p['id']}: simultaneous services by the same caregiver")
    return out


def check_homecare(request: dict, plan: dict, *, travel_minutes) -> dict:
    """Check a home-care plan: coverage, competence, windows, double-visit synchrony, travel, shifts.

    ``travel_minutes(a, b)`` gives minutes between two place dicts (visits or staff start/end).
    """
    violations: list[str] = []
    visits = {v["id"]: v for v in request["visits"]}
    staff = {s["id"]: s for s in request["staff"]}
    starts: dict[str, list[tuple[str, float]]] = {}
    for sid, items in plan["routes"].items():
        violations += _check_staff_day(staff[sid], items, visits, travel_minutes, starts)
    unplanned = {u["visit_id"] for u in plan["unplanned"]}
    for vid, v in visits.items():
        got = starts.get(vid, [])
        need = v.get("staff_count", 1)
        if vid in unplanned:
            if got:
                violations.append(f"{vid} both planned and unplanned")
            continue
        if len(got) != need or len({s for s, _ in got}) != need:
            violations.append(f"{vid}: needs {need} different staff, got {got}")
        elif need == 2 and abs(got[0][1] - got[1][1]) > EPS:
            violations.append(f"{vid}: double visit not simultaneous")
    return {"violations": violations}


def _hm(value: str) -> float:
    """'HH:MM' -> minutes."""
    h, m = value.split(":")
    return int(h) * 60 + int(m)


def _check_staff_day(s: dict, items: list[dict], visits: dict, travel_minutes, starts: dict) -> list[str]:
    """One staff member's day: order, travel, windows, competence and working hours."""
    out = []
    place, t = s.get("start") or s, _hm(s["shift"]["start"])
    for item in items:
        start, end = item["start_min"], item["end_min"]
        if item["type"] == "visit":
            v = visits[item["visit_id"]]
            arrive = t + travel_minutes(place, v)
            if start < arrive - 1e-6:
                out.append(f"{s['id']}: {v['id']} starts {start:.1f} before arrival {arrive:.1f}")
            if not (_hm(v["window"]["start"]) - EPS <= start <= _hm(v["window"]["end"]) + EPS):
                out.append(f"{s['id']}: {v['id']} starts outside its window")
            if v.get("competence") and v["competence"] not in (s.get("competences") or []):
                out.append(f"{s['id']} lacks {v['competence']} for {v['id']}")
            if abs(end - start - v["minutes"]) > EPS:
                out.append(f"{v['id']}: wrong duration")
            starts.setdefault(v["id"], []).append((s["id"], start))
            place = v
        elif start < t - EPS:
            out.append(f"{s['id']}: break overlaps previous work")
        t = end
    back = t + travel_minutes(place, s.get("end") or s.get("start") or s)
    if items and back > _hm(s["shift"]["end"]) + 1e-6:
        out.append(f"{s['id']}: back {back:.1f} after shift end")
    return out
