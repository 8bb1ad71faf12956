"""Vehicle routing with time windows (VRPTW) for VRP-REP XML instances, solved with PyVRP.

The objective is total Euclidean distance (not rounded). PyVRP works on integers, so coordinates are
scaled by ``SCALE``: distances are rounded and travel durations rounded *up*, which makes every route that
is time-feasible in integers also time-feasible with the true floating-point travel times. The distance of
the final routes is then recomputed in floating point.
"""

from __future__ import annotations

import math
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from radhus.core.errors import InvalidInput

SCALE = 10_000
MODEL_BUILD_MARGIN_S = 0.3


@dataclass(frozen=True)
class VrptwInstance:
    """A VRPTW instance: node 0 is the depot, customers are the other node ids."""

    name: str
    coords: dict[int, tuple[float, float]]
    demand: dict[int, float]
    service: dict[int, float]
    tw: dict[int, tuple[float, float]]
    capacity: float
    fleet_size: int
    horizon: float
    depot: int = 0

    @property
    def customers(self) -> list[int]:
        """Customer node ids in file order."""
        return [n for n in self.coords if n != self.depot]

    def dist(self, a: int, b: int) -> float:
        """Euclidean distance between two nodes."""
        (xa, ya), (xb, yb) = self.coords[a], self.coords[b]
        return math.hypot(xa - xb, ya - yb)


def check_time_limit(time_limit: float) -> float:
    """Return the time limit as float, or raise InvalidInput when it is not a positive number."""
    try:
        value = float(time_limit)
    except (TypeError, ValueError):
        raise InvalidInput("Tidsgränsen måste vara ett tal i sekunder.") from None
    if not math.isfinite(value) or value <= 0:
        raise InvalidInput("Tidsgränsen måste vara större än 0 sekunder.")
    return value


def _number(elem: ET.Element | None, what: str) -> float:
    """Read a finite float from an XML element or raise a Swedish InvalidInput."""
    if elem is None or elem.text is None:
        raise InvalidInput(f"Instansfilen saknar värdet {what}.")
    try:
        value = float(elem.text.strip())
    except ValueError:
        raise InvalidInput(f"Ogiltigt tal för {what}: {elem.text.strip()!r}.") from None
    if not math.isfinite(value):
        raise InvalidInput(f"Ogiltigt tal för {what}.")
    return value


def parse_vrprep(path: Path) -> VrptwInstance:
    """Parse a VRP-REP XML VRPTW instance (Solomon style) with Swedish errors for bad files."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"Instansfilen {path} finns inte.")
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise InvalidInput(f"Instansfilen är inte giltig XML: {exc}.") from None
    name = (root.findtext("info/name") or path.stem).strip()
    coords: dict[int, tuple[float, float]] = {}
    depot = None
    for node in root.iterfind("network/nodes/node"):
        nid = _node_id(node.get("id"))
        coords[nid] = (
            _number(node.find("cx"), f"cx för nod {nid}"),
            _number(node.find("cy"), f"cy för nod {nid}"),
        )
        if node.get("type") == "0":
            depot = nid
    if depot is None or len(coords) < 2:
        raise InvalidInput("Instansfilen saknar depå (nod av typ 0) eller kunder.")
    profile = root.find("fleet/vehicle_profile")
    if profile is None:
        raise InvalidInput("Instansfilen saknar fordonsprofil (fleet/vehicle_profile).")
    fleet_size = int(_number_attr(profile.get("number"), "antal fordon"))
    capacity = _number(profile.find("capacity"), "kapacitet")
    horizon = _number(profile.find("max_travel_time"), "max_travel_time")
    demand, service, tw = _parse_requests(root, coords, depot)
    if fleet_size < 1 or capacity <= 0 or horizon <= 0:
        raise InvalidInput("Antal fordon, kapacitet och tidshorisont måste vara positiva.")
    return VrptwInstance(name, coords, demand, service, tw, capacity, fleet_size, horizon, depot)


def _node_id(raw: str | None) -> int:
    """Parse a node id attribute."""
    try:
        return int(raw or "")
    except ValueError:
        raise InvalidInput(f"Ogiltigt nod-id i instansfilen: {raw!r}.") from None


def _number_attr(raw: str | None, what: str) -> float:
    """Parse a numeric attribute."""
    try:
        return float(raw or "")
    except ValueError:
        raise InvalidInput(f"Ogiltigt värde för {what}: {raw!r}.") from None


def _parse_requests(root: ET.Element, coords: dict, depot: int) -> tuple[dict, dict, dict]:
    """Read demand, service time and time window of every customer request."""
    demand, service, tw = {}, {}, {}
    for req in root.iterfind("requests/request"):
        node = _node_id(req.get("node"))
        if node not in coords or node == depot:
            raise InvalidInput(f"Förfrågan hänvisar till okänd nod {node}.")
        start = _number(req.find("tw/start"), f"tidsfönstrets start för nod {node}")
        end = _number(req.find("tw/end"), f"tidsfönstrets slut för nod {node}")
        if end < start:
            raise InvalidInput(f"Tidsfönstret för nod {node} slutar före det börjar.")
        demand[node] = _number(req.find("quantity"), f"kvantitet för nod {node}")
        service[node] = _number(req.find("service_time"), f"servicetid för nod {node}")
        tw[node] = (start, end)
    missing = [n for n in coords if n != depot and n not in tw]
    if missing:
        raise InvalidInput(f"Kunderna {missing[:5]} saknar förfrågan (tidsfönster och kvantitet).")
    return demand, service, tw


def route_distance(instance: VrptwInstance, route: list[int]) -> float:
    """Floating-point length of a depot-to-depot route."""
    path = [instance.depot, *route, instance.depot]
    return sum(instance.dist(a, b) for a, b in zip(path, path[1:], strict=False))


def _build_model(instance: VrptwInstance):
    """Build the scaled integer PyVRP model; returns the model and the PyVRP index -> node id map."""
    from pyvrp import Model

    model = Model()
    depot_xy = instance.coords[instance.depot]
    horizon = int(round(instance.horizon * SCALE))
    model.add_depot(model.add_location(*depot_xy), tw_early=0, tw_late=horizon)
    model.add_vehicle_type(
        num_available=instance.fleet_size,
        capacity=int(round(instance.capacity * SCALE)),
        tw_early=0,
        tw_late=horizon,
    )
    node_of_index = [instance.depot]
    for node in instance.customers:
        early, late = instance.tw[node]
        model.add_client(
            model.add_location(*instance.coords[node]),
            delivery=int(round(instance.demand[node] * SCALE)),
            service_duration=int(math.ceil(instance.service[node] * SCALE)),
            tw_early=int(math.ceil(early * SCALE)),
            tw_late=int(math.floor(late * SCALE)),
        )
        node_of_index.append(node)
    _add_edges(model, instance, node_of_index)
    return model, node_of_index


def _add_edges(model, instance: VrptwInstance, node_of_index: list[int]) -> None:
    """Add scaled distance (rounded) and duration (rounded up) for every ordered pair of locations."""
    locations = model.locations
    for i, frm in enumerate(locations):
        for j, to in enumerate(locations):
            d = instance.dist(node_of_index[i], node_of_index[j]) * SCALE if i != j else 0.0
            model.add_edge(frm, to, distance=int(round(d)), duration=int(math.ceil(d - 1e-9)))


def _route_nodes(route, node_of_index: list[int]) -> list[int]:
    """Customer node ids of a PyVRP route in visit order (activity idx counts clients from 0)."""
    return [node_of_index[1 + act.idx] for act in route if _is_client(act)]


def _is_client(activity) -> bool:
    """Whether a scheduled PyVRP activity is a client visit (property or method across versions)."""
    flag = activity.is_client
    return bool(flag() if callable(flag) else flag)


def solve_instance(instance: VrptwInstance, *, time_limit: float, seed: int = 0) -> dict:
    """Minimise total distance within the wall-clock limit; returns routes, distance and vehicles."""
    from pyvrp.stop import MaxRuntime

    time_limit = check_time_limit(time_limit)
    started = time.monotonic()
    model, node_of_index = _build_model(instance)
    remaining = max(0.05, time_limit - (time.monotonic() - started) - MODEL_BUILD_MARGIN_S)
    result = model.solve(stop=MaxRuntime(remaining), seed=seed, display=False, collect_stats=False)
    if not result.best.is_feasible():
        raise InvalidInput(
            "Ingen tillåten ruttplan hittades inom tidsgränsen; öka tidsgränsen eller kontrollera "
            "tidsfönster, kapacitet och antal fordon."
        )
    routes = [_route_nodes(r, node_of_index) for r in result.best.routes()]
    routes = [r for r in routes if r]
    distance = sum(route_distance(instance, r) for r in routes)
    return {"routes": routes, "distance": distance, "vehicles": len(routes)}


def solve_file(path: Path, *, time_limit: float) -> dict:
    """Solve a VRP-REP XML VRPTW file: ``{"routes": [[node ids]], "distance": D, "vehicles": K}``."""
    check_time_limit(time_limit)
    return solve_instance(parse_vrprep(Path(path)), time_limit=time_limit)
