"""Planning on the platform over real HTTP and a real database: roster job → proposal → live-checked change →
approval by a planner only → publication → sick-leave re-plan → exports; home-care day plan and re-plan."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from radhus.core import jobs
from radhus.core.audit import AuditKind, AuditRecord
from radhus.planning.models import load_roster_input
from radhus.planning.rules import check_roster_rules
from radhus.planning.tables import RosterPlan, RoutePlan
from tests.conftest import login


def _run_jobs(app, session_factory) -> None:  # type: ignore[no-untyped-def]
    jobs.run_until_idle(session_factory, app.state.ctx.job_handlers, backoff_seconds=0)


def _small_input() -> dict:
    """One week, three people: solved to proven optimality in well under a second (load-independent)."""
    return {
        "unit": "Testavdelningen",
        "start_date": "2026-03-02",
        "weeks": 1,
        "shift_types": [
            {"id": "D", "name": "Dag", "start": "07:00", "end": "15:30", "break_minutes": 30},
            {"id": "K", "name": "Kväll", "start": "14:00", "end": "21:30", "break_minutes": 30},
        ],
        "employees": [
            {"id": "a", "name": "Anna", "competences": ["sjuksköterska"]},
            {"id": "b", "name": "Bo", "competences": ["undersköterska"]},
            {"id": "c", "name": "Cecilia", "competences": ["undersköterska"]},
        ],
        "demand": [{"shift": "D", "minimum": 1, "ideal": 1}, {"shift": "K", "minimum": 1, "ideal": 1}],
        "pins": [{"employee": "a", "day": 0, "shift": "D"}],
        "rules": {"every_other_weekend_free": False},
    }


def _proposal(session_factory, plan_id: int) -> RosterPlan:  # type: ignore[no-untyped-def]
    with session_factory() as session:
        plan = session.get(RosterPlan, plan_id)
        assert plan is not None
        session.expunge(plan)
        return plan


def test_roster_workflow_over_http(app, client, two_orgs, session_factory):  # type: ignore[no-untyped-def]
    csrf = login(client, "redaktor@alfakommun")
    headers = {"X-CSRF-Token": csrf}
    created = client.post("/api/v1/planning/rosters", json={"input": _small_input(), "time_limit": 30}, headers=headers)
    assert created.status_code == 202, created.text
    plan_id = created.json()["id"]
    _run_jobs(app, session_factory)
    plan = _proposal(session_factory, plan_id)
    assert plan.status == "utkast", plan.error
    inp = load_roster_input(plan.input)
    roster = plan.proposal["roster"]
    assert [v for v in check_roster_rules(inp, roster) if v.hard] == []  # independent checker
    assert roster["a"][0] == "D"  # pin kept

    # Live check and refusal: an early shift right after an evening shift breaks dygnsvila.
    evening = next((e, d) for e, row in roster.items() for d, s in enumerate(row[:-1]) if s == "K")
    emp, day = evening
    checked = client.post(
        f"/api/v1/planning/rosters/{plan_id}/check",
        json={"employee": emp, "day": day + 1, "shift": "D"},
        headers=headers,
    )
    assert checked.status_code == 200 and not checked.json()["ok"]
    assert any("dygnsvila" in v for v in checked.json()["violations"])
    refused = client.post(
        f"/planering/scheman/{plan_id}/andra", data={"employee": emp, "day": day + 1, "shift": "D"}, headers=headers
    )
    assert refused.status_code == 422 and "dygnsvila" in refused.text
    assert _proposal(session_factory, plan_id).proposal["roster"] == roster  # nothing saved

    # Only a planner approves; a medarbetare does not even see the draft.
    with TestClient(app) as staff_client:
        staff_csrf = login(staff_client, "medarbetare@alfakommun")
        denied = staff_client.post(f"/api/v1/planning/rosters/{plan_id}/approve", headers={"X-CSRF-Token": staff_csrf})
        assert denied.status_code == 403
        assert staff_client.get(f"/api/v1/planning/rosters/{plan_id}").status_code == 404
        approved = client.post(f"/api/v1/planning/rosters/{plan_id}/approve", headers=headers)
        assert approved.status_code == 200 and approved.json()["approved_by"]
        published = client.post(f"/api/v1/planning/rosters/{plan_id}/publish", headers=headers)
        assert published.json()["status"] == "publicerad"
        assert staff_client.get(f"/api/v1/planning/rosters/{plan_id}").json()["published_roster"] == roster

    # Sick leave re-plan: few changes, pin untouched, earlier days untouched.
    sick_day = next(d for d in range(1, 7) if roster["b"][d])
    replan = client.post(
        f"/api/v1/planning/rosters/{plan_id}/replan", json={"employee": "b", "first_day": sick_day}, headers=headers
    )
    assert replan.status_code == 202, replan.text
    _run_jobs(app, session_factory)
    plan = _proposal(session_factory, plan_id)
    assert plan.status == "utkast", plan.error
    repaired = plan.proposal["roster"]
    assert repaired["b"][sick_day] == "" and repaired["a"][0] == "D"
    assert plan.proposal["status"] == "optimal"  # proven: the change count does not depend on machine load
    assert 1 <= plan.proposal["changes"] <= 6  # the sick shift, its cover and at most a short cascade
    assert all(repaired[e][d] == roster[e][d] for e in roster for d in range(sick_day))

    # Exports parse.
    text = client.get(f"/planering/scheman/{plan_id}/export/csv").text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "personal" and len(rows) == 4 and rows[1][2] == "D"
    xlsx = client.get(f"/api/v1/planning/rosters/{plan_id}/export/xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content))["Schema"]
    assert sheet.cell(row=2, column=1).value == "Anna" and sheet.cell(row=2, column=2).value == "D"
    ics = client.get(f"/planering/scheman/{plan_id}/export/ics?personal=a").text
    lines = ics.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and "DTSTART;TZID=Europe/Stockholm:20260302T070000" in lines

    with session_factory() as session:
        records = list(
            session.scalars(select(AuditRecord).where(AuditRecord.org_id == plan.org_id).order_by(AuditRecord.seq))
        )
    ai = [r for r in records if r.kind == AuditKind.AI_CALL and r.function == "planning.roster_proposal"]
    assert {r.provider for r in ai} == {"inbyggd"} and {r.model for r in ai} == {"cp-sat"} and len(ai) == 2
    approvals = [r for r in records if r.kind == AuditKind.APPROVAL and r.action == "planning.roster.approve"]
    assert approvals and approvals[0].username == "redaktor@alfakommun"
    decisions = [(r.action, r.function, r.detail) for r in records if r.kind == AuditKind.APPROVAL]
    assert decisions == [
        (
            "planning.roster.approve",
            "planning.roster_proposal",
            {"plan_id": plan_id, "unit": "Testavdelningen", "manual_changes": 0},
        ),
        ("planning.roster.publish", "planning.roster_proposal", {"plan_id": plan_id, "version": 1}),
    ]
    reads = {(r.action, r.function, tuple(r.detail.items())) for r in records if r.kind == AuditKind.PERSONAL_DATA_READ}
    assert reads == {("planning.roster.view", None, (("plan_id", plan_id), ("via", "api")))}


def test_infeasible_and_bad_input(app, client, two_orgs, session_factory):  # type: ignore[no-untyped-def]
    csrf = login(client, "redaktor@alfakommun")
    headers = {"X-CSRF-Token": csrf}
    bad = _small_input() | {"demand": [{"shift": "D", "minimum": 0}]}
    refused = client.post("/api/v1/planning/rosters", json={"input": bad}, headers=headers)
    assert refused.status_code == 422 and "bemanningsbehovet är tomt" in refused.json()["detail"]
    with session_factory() as session:
        assert session.scalars(select(RosterPlan)).all() == []  # nothing stored
    page = client.post("/planering/scheman", data={"source": "exempel", "time_limit": "0"}, headers=headers)
    assert page.status_code == 422 and "Tidsgränsen" in page.text

    # Hard rules that cannot hold: a job that finishes with the smallest conflicting set.
    impossible = _small_input() | {
        "pins": [{"employee": "a", "day": 0, "shift": "K"}, {"employee": "a", "day": 1, "shift": "D"}]
    }
    created = client.post("/api/v1/planning/rosters", json={"input": impossible, "time_limit": 10}, headers=headers)
    _run_jobs(app, session_factory)
    plan = client.get(f"/api/v1/planning/rosters/{created.json()['id']}").json()
    assert plan["status"] == "olosbart"
    assert any("dygnsvila" in c for c in plan["conflict"]) and any("låst pass" in c for c in plan["conflict"])
    page = client.get(f"/planering/scheman/{created.json()['id']}")
    assert "Minsta motstridiga" in page.text and "dygnsvila" in page.text


def test_homecare_day_plan_and_replan(app, client, two_orgs, session_factory):  # type: ignore[no-untyped-def]
    csrf = login(client, "redaktor@alfakommun")
    headers = {"X-CSRF-Token": csrf}
    created = client.post(
        "/planering/rutter", data={"source": "exempel", "time_limit": "1"}, headers=headers, follow_redirects=False
    )
    assert created.status_code == 303
    route_id = int(created.headers["location"].rsplit("/", 1)[1])
    _run_jobs(app, session_factory)
    page = client.get(f"/planering/rutter/{route_id}")
    assert page.status_code == 200 and "Lena" in page.text and "<table" in page.text
    with session_factory() as session:
        row = session.get(RoutePlan, route_id)
        assert row is not None and row.plan is not None
        planned_for_p2 = [i for i in row.plan["routes"]["p2"] if i["type"] == "visit"]
    event = client.post(
        f"/planering/rutter/{route_id}/handelse",
        data={"kind": "staff_ill", "staff_id": "p2", "at": "10:00"},
        headers=headers,
        follow_redirects=False,
    )
    assert event.status_code == 303
    _run_jobs(app, session_factory)
    with session_factory() as session:
        row = session.get(RoutePlan, route_id)
        assert row is not None and row.plan is not None and row.status == "utkast"
        after = [i for i in row.plan["routes"]["p2"] if i["type"] == "visit"]
    assert all(i["start_min"] < 600 for i in after)  # nothing for the ill staff member after 10:00
    assert len(after) <= len(planned_for_p2)
    api = client.get(f"/api/v1/planning/routes/{route_id}").json()
    assert api["plan"]["event"]["type"] == "staff_ill"
    assert all(item["reason"] for item in api["plan"]["unplanned"])


def test_day_plan_from_an_uploaded_file(app, client, two_orgs, session_factory):  # type: ignore[no-untyped-def]
    from radhus.planning import workflow

    csrf = login(client, "redaktor@alfakommun")
    example = json.dumps(workflow.example_homecare()).encode()
    created = client.post(
        "/planering/rutter",
        data={"source": "fil", "time_limit": "1", "csrf_token": csrf},
        files={"request_file": ("dag.json", example, "application/json")},
        follow_redirects=False,
    )
    assert created.status_code == 303
    broken = client.post(
        "/planering/rutter",
        data={"source": "fil", "csrf_token": csrf},
        files={"request_file": ("dag.json", b"{inte json", "application/json")},
    )
    assert broken.status_code == 422 and "inte giltig JSON" in broken.text


def test_cli_roster_stores_draft_with_org(settings, two_orgs, session_factory, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from radhus.cli import app as cli_app

    monkeypatch.setenv("RADHUS_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("RADHUS_DATA_DIR", str(settings.data_dir))
    source = tmp_path / "enhet.json"
    source.write_text(json.dumps(_small_input(), ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "schema.json"
    args = ["plan", "roster", "--input", str(source), "--out", str(out), "--time-limit", "20", "--org", "betakommun"]
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["roster"]["a"][0] == "D" and "staffing" in written  # the file shape is unchanged
    with session_factory() as session:
        plans = session.scalars(select(RosterPlan)).all()
        assert [(p.status, p.proposal["roster"]) for p in plans] == [("utkast", written["roster"])]
        beta = plans[0].org_id
        ai = session.scalars(select(AuditRecord).where(AuditRecord.kind == AuditKind.AI_CALL)).all()
        assert [(r.org_id, r.provider, r.model) for r in ai] == [(beta, "inbyggd", "cp-sat")]
    unknown = CliRunner().invoke(cli_app, [*args[:-1], "finnsinte"])
    assert unknown.exit_code == 2


def test_demo_queues_a_roster_and_a_day_plan(app, two_orgs, session_factory, monkeypatch):  # type: ignore[no-untyped-def]
    from radhus.planning import demo
    from radhus.planning.demo import install_demo

    monkeypatch.setattr(demo, "ROSTER_SECONDS", 1.0)  # the demo's own short limit, shortened further for the test

    with session_factory() as session:
        org_id = session.scalars(select(RosterPlan.org_id)).first()  # none yet
        assert org_id is None
        from radhus.core.orgs import get_organisation

        org_id = get_organisation(session, slug="alfakommun").id
        install_demo(session, org_id=org_id, ctx=app.state.ctx)
        install_demo(session, org_id=org_id, ctx=app.state.ctx)  # idempotent
        session.commit()
    _run_jobs(app, session_factory)
    with session_factory() as session:
        rosters = session.scalars(select(RosterPlan)).all()
        routes = session.scalars(select(RoutePlan)).all()
        assert [r.status for r in rosters] == ["utkast"] and rosters[0].proposal["explanations"]
        assert [r.status for r in routes] == ["utkast"] and routes[0].plan["routes"]


def test_route_plan_is_approved_then_published_by_a_planner(app, client, two_orgs, session_factory):  # type: ignore[no-untyped-def]
    from radhus.planning import workflow

    csrf = login(client, "redaktor@alfakommun")
    headers = {"X-CSRF-Token": csrf}
    created = client.post(
        "/api/v1/planning/routes", json={"request": workflow.example_homecare(), "time_limit": 1}, headers=headers
    )
    assert created.status_code == 202, created.text
    route_id = created.json()["id"]
    early = client.post(f"/api/v1/planning/routes/{route_id}/approve", headers=headers)
    assert early.status_code == 409  # nothing to approve while it is computed
    _run_jobs(app, session_factory)

    with TestClient(app) as staff_client:
        staff_headers = {"X-CSRF-Token": login(staff_client, "medarbetare@alfakommun")}
        assert staff_client.get(f"/api/v1/planning/routes/{route_id}").status_code == 404  # a draft is not shown
        assert staff_client.get("/api/v1/planning/routes").json() == []
        denied = staff_client.post(f"/api/v1/planning/routes/{route_id}/approve", headers=staff_headers)
        assert denied.status_code == 403
        too_soon = client.post(f"/api/v1/planning/routes/{route_id}/publish", headers=headers)
        assert too_soon.status_code == 409 and "godkännas" in too_soon.json()["detail"]

        approved = client.post(f"/planering/rutter/{route_id}/godkann", headers=headers, follow_redirects=False)
        assert approved.status_code == 303
        page = client.get(f"/planering/rutter/{route_id}?meddelande=godkant").text
        assert "Rutterna är godkända." in page and "Publicera rutterna" in page
        denied = staff_client.post(f"/api/v1/planning/routes/{route_id}/publish", headers=staff_headers)
        assert denied.status_code == 403
        published = client.post(f"/api/v1/planning/routes/{route_id}/publish", headers=headers)
        assert published.status_code == 200 and published.json()["published_version"] == 1
        assert published.json()["approved_by"]

        seen = staff_client.get(f"/api/v1/planning/routes/{route_id}").json()
        assert seen["status"] == "publicerad" and seen["plan"]["routes"] == published.json()["plan"]["routes"]
        assert [r["id"] for r in staff_client.get("/api/v1/planning/routes").json()] == [route_id]
        page = staff_client.get(f"/planering/rutter/{route_id}")
        assert page.status_code == 200 and "Godkänn rutterna" not in page.text and "Planera om" not in page.text

        # A re-plan during the day is a new draft: approval is cleared and staff keep the published routes.
        event = {"type": "staff_ill", "at": "10:00", "staff_id": "p2"}
        replan = client.post(f"/api/v1/planning/routes/{route_id}/replan", json={"event": event}, headers=headers)
        assert replan.status_code == 202
        _run_jobs(app, session_factory)
        draft = client.get(f"/api/v1/planning/routes/{route_id}").json()
        assert draft["status"] == "utkast" and draft["approved_by"] is None
        assert staff_client.get(f"/api/v1/planning/routes/{route_id}").json()["plan"] == seen["plan"]

        # Exports of the published routes for staff: CSV, Excel and one person's iCalendar.
        rows = list(csv.reader(io.StringIO(staff_client.get(f"/planering/rutter/{route_id}/export/csv").text)))
        visits = [i for items in seen["plan"]["routes"].values() for i in items]
        assert rows[0][0] == "personal" and len(rows) == 1 + len(visits)
        xlsx = staff_client.get(f"/api/v1/planning/routes/{route_id}/export/xlsx")
        book = load_workbook(io.BytesIO(xlsx.content))
        assert book["Rutter"].max_row == 1 + len(visits) and book["Ej planerade"]["A1"].value == "Besök"
        ics = staff_client.get(f"/planering/rutter/{route_id}/export/ics?personal=p1").text
        p1 = seen["plan"]["routes"]["p1"]
        assert ics.split("\r\n")[0] == "BEGIN:VCALENDAR" and ics.count("BEGIN:VEVENT") == len(p1)
        first = p1[0]
        hhmm = first["start"].replace(":", "")
        assert f"DTSTART;TZID=Europe/Stockholm:{seen['date'].replace('-', '')}T{hhmm}00" in ics
        unknown = staff_client.get(f"/api/v1/planning/routes/{route_id}/export/ics?staff=nobody")
        assert unknown.status_code == 422

    with session_factory() as session:
        records = list(session.scalars(select(AuditRecord).order_by(AuditRecord.seq)))
    approvals = [(r.action, r.username, r.function, r.detail) for r in records if r.kind == AuditKind.APPROVAL]
    planner, function, unplanned = "redaktor@alfakommun", "planning.homecare_routes", len(seen["plan"]["unplanned"])
    assert approvals == [
        (
            "planning.routes.approve",
            planner,
            function,
            {"route_id": route_id, "date": seen["date"], "unplanned": unplanned},
        ),
        ("planning.routes.publish", planner, function, {"route_id": route_id, "version": 1}),
    ]
    reads = {
        (r.action, r.function, r.username, tuple(r.detail.items()))
        for r in records
        if r.kind == AuditKind.PERSONAL_DATA_READ
    }
    assert reads == {  # the planner and the staff member, on the page and over the API
        ("planning.routes.view", None, user, (("route_id", route_id), ("via", via)))
        for user in (planner, "medarbetare@alfakommun")
        for via in ("api", "webb")
    }


def test_roster_page_marks_holidays_and_offers_a_calendar_per_person(app, client, two_orgs, session_factory):  # type: ignore[no-untyped-def]
    headers = {"X-CSRF-Token": login(client, "redaktor@alfakommun")}
    easter = _small_input() | {"start_date": "2027-03-22", "pins": []}  # Monday before Easter 2027
    created = client.post("/api/v1/planning/rosters", json={"input": easter, "time_limit": 20}, headers=headers)
    plan_id = created.json()["id"]
    _run_jobs(app, session_factory)
    plan = _proposal(session_factory, plan_id)
    assert plan.status == "utkast", plan.error
    assert plan.proposal["holidays"] == {
        "2027-03-26": "långfredagen",
        "2027-03-27": "påskafton",
        "2027-03-28": "påskdagen",
    }
    page = client.get(f"/planering/scheman/{plan_id}").text
    assert '<span class="tag helgdag">påskdagen</span>' in page and 'id="helgdagar"' in page
    link = f"/planering/scheman/{plan_id}/export/ics?personal=b"
    assert link in page
    ics = client.get(link).text
    assert ics.count("BEGIN:VEVENT") == sum(1 for s in plan.proposal["roster"]["b"] if s)


def test_changed_demand_on_a_published_roster_is_repaired_from_that_day(app, client, two_orgs, session_factory):  # type: ignore[no-untyped-def]
    headers = {"X-CSRF-Token": login(client, "redaktor@alfakommun")}
    created = client.post("/api/v1/planning/rosters", json={"input": _small_input(), "time_limit": 20}, headers=headers)
    plan_id = created.json()["id"]
    _run_jobs(app, session_factory)
    client.post(f"/api/v1/planning/rosters/{plan_id}/approve", headers=headers)
    client.post(f"/api/v1/planning/rosters/{plan_id}/publish", headers=headers)
    published = _proposal(session_factory, plan_id).published_roster
    assert published is not None

    page = client.get(f"/planering/scheman/{plan_id}").text
    assert "Ändra behovet och planera om" in page
    form = {"day": "3", "shift": "K", "competence": "", "minimum": "2", "ideal": ""}
    bad = client.post(f"/planering/scheman/{plan_id}/behov", data=form | {"ideal": "1"}, headers=headers)
    assert bad.status_code == 422 and "önskat inte mindre än minimum" in bad.text
    queued = client.post(f"/planering/scheman/{plan_id}/behov", data=form, headers=headers, follow_redirects=False)
    assert queued.status_code == 303
    _run_jobs(app, session_factory)
    plan = _proposal(session_factory, plan_id)
    assert plan.status == "utkast", plan.error
    line = next(x for x in plan.proposal["staffing"] if x["day"] == 3 and x["shift"] == "K")
    assert line["minimum"] == 2 and line["staffed"] == 2  # the one-day line overrides the every-day line
    assert [x["minimum"] for x in plan.proposal["staffing"] if x["day"] == 4 and x["shift"] == "K"] == [1]
    repaired = plan.proposal["roster"]
    assert all(repaired[e][d] == published[e][d] for e in published for d in range(3))  # earlier days as published
    assert plan.proposal["changes"] >= 1
    assert plan.input["demand"][-1] == {"shift": "K", "competence": "", "minimum": 2, "ideal": None, "days": [3]}


def test_visit_added_during_the_day_from_the_form(app, client, two_orgs, session_factory):  # type: ignore[no-untyped-def]
    headers = {"X-CSRF-Token": login(client, "redaktor@alfakommun")}
    created = client.post(
        "/planering/rutter", data={"source": "exempel", "time_limit": "1"}, headers=headers, follow_redirects=False
    )
    route_id = int(created.headers["location"].rsplit("/", 1)[1])
    _run_jobs(app, session_factory)
    form = {
        "kind": "visit_added",
        "at": "10:00",
        "visit_id": "b99",
        "client": "Nya Brukaren",
        "lat": "63,1700",
        "lon": "14.6000",
        "window_start": "13:00",
        "window_end": "15:30",
        "minutes": "20",
        "competence": "läkemedelsdelegering",
        "staff_count": "1",
        "regular_staff": "p1",
    }
    bad = client.post(f"/planering/rutter/{route_id}/handelse", data=form | {"staff_count": "två"}, headers=headers)
    assert bad.status_code == 422 and "antal personal" in bad.text
    sent = client.post(f"/planering/rutter/{route_id}/handelse", data=form, headers=headers, follow_redirects=False)
    assert sent.status_code == 303
    _run_jobs(app, session_factory)
    with session_factory() as session:
        row = session.get(RoutePlan, route_id)
        assert row is not None and row.plan is not None and row.status == "utkast"
        added = next(v for v in row.request["visits"] if v["id"] == "b99")
        planned = [(sid, i) for sid, items in row.plan["routes"].items() for i in items if i.get("visit_id") == "b99"]
    assert added["competence"] == "läkemedelsdelegering" and added["regular_staff"] == ["p1"] and added["lat"] == 63.17
    assert [sid for sid, _ in planned] == ["p1"]  # the regular staff member, who holds the competence
    assert "13:00" <= planned[0][1]["start"] <= "15:30"
