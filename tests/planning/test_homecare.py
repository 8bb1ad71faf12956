"""Home-care day planning and re-planning on the shipped example, checked independently."""

import copy
import json
import math
from pathlib import Path

import pytest

from radhus.core.errors import InvalidInput
from radhus.planning.homecare import plan_day, replan_day
from radhus.planning.routing_check import check_homecare

EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "radhus" / "planning" / "examples" / "homecare_example.json"


def _request() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def _travel(request: dict):
    """Independent travel-time function: spherical law of cosines x detour / speed."""
    cfg = request["travel"]

    def minutes(a: dict, b: dict) -> float:
        la1, lo1, la2, lo2 = map(math.radians, (a["lat"], a["lon"], b["lat"], b["lon"]))
        c = math.sin(la1) * math.sin(la2) + math.cos(la1) * math.cos(la2) * math.cos(lo2 - lo1)
        km = 6371.0088 * math.acos(min(1.0, max(-1.0, c)))
        return km * cfg["detour_factor"] / cfg["speed_kmh"] * 60.0 - 1e-6

    return minutes


@pytest.fixture(scope="module")
def plan():
    return plan_day(request=_request(), time_limit=3)


def test_example_plan_is_valid_and_complete(plan):
    req = _request()
    assert check_homecare(req, plan, travel_minutes=_travel(req))["violations"] == []
    assert plan["unplanned"] == []
    assert plan["figures"]["visits_planned"] == len(req["visits"])
    assert plan["missed_breaks"] == []


def test_double_visit_has_two_staff_at_the_same_time(plan):
    double = [v["id"] for v in _request()["visits"] if v["staff_count"] == 2]
    items = [(sid, i["start"]) for sid, its in plan["routes"].items() for i in its if i.get("visit_id") in double]
    assert len(items) == 2 and items[0][0] != items[1][0] and items[0][1] == items[1][1]


def test_staff_illness_replans_the_rest(plan):
    req = _request()
    new = replan_day(
        request=req, previous=plan, event={"type": "staff_ill", "at": "10:00", "staff_id": "p2"}, time_limit=3
    )
    assert all(i["start_min"] < 600 for i in new["routes"]["p2"])
    before = {i["task"]: i["start"] for sid, its in plan["routes"].items() for i in its if i["start_min"] < 600}
    after = {i["task"]: i["start"] for sid, its in new["routes"].items() for i in its}
    assert all(after.get(t) == s for t, s in before.items())
    assert check_homecare(req, new, travel_minutes=_travel(req))["violations"] == []
    moved_from_p2 = {m["task"] for m in new["changes"]["moved_to_other_staff"]}
    p2_later = {i["task"] for i in plan["routes"]["p2"] if i["type"] == "visit" and i["start_min"] >= 600}
    assert p2_later <= moved_from_p2 | set(new["changes"]["newly_unplanned"])


def test_added_visit_is_planned_with_few_changes(plan):
    req = _request()
    visit = {
        "id": "extra",
        "client": "Tore Ölund",
        "lat": 63.18,
        "lon": 14.64,
        "window": {"start": "13:30", "end": "15:00"},
        "minutes": 20,
        "competence": None,
        "staff_count": 1,
    }
    new = replan_day(
        request=req, previous=plan, event={"type": "visit_added", "at": "11:00", "visit": visit}, time_limit=3
    )
    assert "extra#0" in new["changes"]["newly_planned"]
    req["visits"].append(visit)
    assert check_homecare(req, new, travel_minutes=_travel(req))["violations"] == []


def test_unplannable_visit_gets_swedish_reason():
    req = _request()
    req["visits"][1]["competence"] = "sondmatning"
    out = plan_day(request=req, time_limit=1)
    reasons = {u["visit_id"]: u["reason"] for u in out["unplanned"]}
    assert "kompetensen sondmatning" in reasons[req["visits"][1]["id"]]


def test_imported_matrix_mode(plan):
    req = _request()
    travel = _travel(req)
    places = [s["start"] for s in req["staff"]] + req["visits"]
    ids = [f"pt{i}" for i in range(len(places))]
    secs = [[max(0.0, travel(a, b)) * 60 for b in places] for a in places]
    m = copy.deepcopy(req)
    m["travel"] = {"mode": "matrix", "points": ids, "durations": secs}
    for i, s in enumerate(m["staff"]):
        s["start"] = s["end"] = {"point": ids[i]}
    for i, v in enumerate(m["visits"]):
        v["point"] = ids[len(req["staff"]) + i]
    out = plan_day(request=m, time_limit=2)
    assert out["unplanned"] == []
    assert out["figures"]["travel_minutes"] == pytest.approx(plan["figures"]["travel_minutes"], rel=0.5)


@pytest.mark.parametrize(
    "mutate,match",
    [
        (lambda r: r.update(staff=[]), "ingen personal"),
        (lambda r: r["visits"][0].update(minutes=0), "positiv längd"),
        (lambda r: r["visits"][0]["window"].update(start="25:99"), "Ogiltig tid"),
        (lambda r: r["staff"][0].update(shift={"start": "16:00", "end": "07:00"}), "slutar före"),
    ],
)
def test_bad_requests(mutate, match):
    req = _request()
    mutate(req)
    with pytest.raises(InvalidInput, match=match):
        plan_day(request=req, time_limit=1)
    with pytest.raises(InvalidInput, match="större än 0"):
        plan_day(request=_request(), time_limit=0)


def test_regular_staff_are_preferred_and_reported(plan):
    marta = next(c for c in plan["clients"] if c["client"] == "Märta Öberg")
    assert marta["regular_staff"] == ["p1"] and marta["staff"] == ["p1"] and marta["by_regular_pct"] == 100.0
    assert next(c for c in plan["clients"] if c["client"] == "Bo Ek")["by_regular_pct"] is None
    # Everyone prefers p1, who cannot do every visit: the continuity weight in the objective moves visits to p1.
    req = _request()
    for v in req["visits"]:
        v["regular_staff"] = ["p1"]
    req["weights"] = {"continuity": 0}
    indifferent = plan_day(request=req, time_limit=2)["figures"]["continuity_percent"]
    req["weights"] = {"continuity": 15}
    preferring = plan_day(request=req, time_limit=2)
    assert preferring["unplanned"] == []
    assert preferring["figures"]["continuity_percent"] > indifferent
