"""Planning data for the organisation-isolation test: roster plans and route plans (draft, approved, published)
carrying the marker."""

from __future__ import annotations

import datetime as dt

from radhus.planning import workflow
from radhus.planning.models import load_roster_input
from radhus.planning.roster import report
from radhus.planning.tables import RosterPlan, RoutePlan


def seed(session, *, org_id: int, marker: str, settings) -> None:  # type: ignore[no-untyped-def]
    data = workflow.example_input()
    data["unit"] = f"Avdelning {marker}"
    data["employees"][0]["name"] = f"Anna {marker}"
    inp = load_roster_input(data)
    roster = {e.id: [""] * inp.days for e in inp.employees}
    roster[inp.employees[0].id][0] = "D"
    proposal = report(inp, roster).to_dict(inp)
    for status in ("utkast", "publicerad"):
        session.add(
            RosterPlan(
                org_id=org_id,
                unit=inp.unit,
                period_start=inp.start_date,
                weeks=inp.weeks,
                input=inp.model_dump(mode="json"),
                proposal=proposal,
                published_roster=roster if status == "publicerad" else None,
                published_version=1 if status == "publicerad" else 0,
                status=status,
                created_by_name=marker,
            )
        )
    request = workflow.example_homecare()
    request["unit"] = f"Hemtjänst {marker}"
    request["staff"][0]["name"] = f"Lena {marker}"
    plan = {
        "routes": {
            "p1": [
                {
                    "type": "visit",
                    "task": "b1#0",
                    "start": "08:00",
                    "end": "08:30",
                    "start_min": 480,
                    "end_min": 510,
                    "visit_id": "b1",
                    "client": f"Brukare {marker}",
                    "travel_min": 5,
                    "double": False,
                }
            ]
        },
        "unplanned": [{"visit_id": "b2", "reason": f"Skäl {marker}"}],
        "missed_breaks": [],
        "figures": {"travel_minutes": 5, "visits_planned": 1, "continuity_percent": 100.0},
    }
    for status in ("utkast", "godkand", "publicerad"):  # approval, publication and exports are tried on each
        published = status == "publicerad"
        session.add(
            RoutePlan(
                org_id=org_id,
                unit=request["unit"],
                date=dt.date(2026, 3, 12),
                request=request,
                plan=plan,
                status=status,
                created_by_name=marker,
                approved_by_name=marker if status != "utkast" else None,
                published_plan=plan if published else None,
                published_version=1 if published else 0,
            )
        )
    session.flush()
