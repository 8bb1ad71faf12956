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
