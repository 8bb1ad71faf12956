"""The planning basis on a real database: rule, staff, absence, wish and demand changes are validated by the input
model, saved to the plan, audited and refused after approval; another organisation's plan answers like a missing
one; a re-computation re-queues the solver; a new period starts from an old plan; the page renders over HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from radhus.core import jobs
from radhus.core.audit import AuditRecord
from radhus.core.auth import User, principal_for
from radhus.core.db import transaction
from radhus.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from radhus.planning import basis, workflow
from radhus.planning.models import Rules
from radhus.planning.tables import RosterPlan
from tests.conftest import login
from tests.planning.test_platform import _small_input


def _who(session, username: str):  # type: ignore[no-untyped-def]
    return principal_for(session.scalars(select(User).where(User.username == username)).one())


def _plan(session_factory, status: str = "utkast") -> int:  # type: ignore[no-untyped-def]
    with transaction(session_factory) as session:
        plan, _ = workflow.create_roster(session, who=_who(session, "redaktor@alfakommun"), data=_small_input())
        plan.status, plan.proposal = status, {"roster": {"a": [""] * 7}}
        return plan.id


def _input_audits(session) -> list[AuditRecord]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(AuditRecord).where(AuditRecord.action.like("planning.roster.%"))))


def test_rule_change_is_validated_saved_and_audited(two_orgs, session_factory):  # type: ignore[no-untyped-def]
    plan_id = _plan(session_factory)
    with transaction(session_factory) as session:
        who = _who(session, "redaktor@alfakommun")
        with pytest.raises(InvalidInput, match="Dygnsvila: får vara högst 24"):
            basis.change_rules(session, who=who, plan_id=plan_id, form={"dygnsvila_hours": ["30"]})
        with pytest.raises(InvalidInput, match="Högst arbetsdagar i följd: måste vara ett heltal"):
            basis.change_rules(session, who=who, plan_id=plan_id, form={"max_consecutive_days": ["sex"]})
    with session_factory() as session:
        plan = session.get(RosterPlan, plan_id)
        assert plan.input["rules"]["dygnsvila_hours"] == 11.0 and plan.status == "utkast"  # nothing was lost
        assert not [a for a in _input_audits(session) if a.action == "planning.roster.input"]
    with transaction(session_factory) as session:
        who = _who(session, "redaktor@alfakommun")
        form = {"dygnsvila_hours": ["12,5"], "every_other_weekend_free": ["true"]}
        basis.change_rules(session, who=who, plan_id=plan_id, form=form)
    with session_factory() as session:
        plan = session.get(RosterPlan, plan_id)
        assert plan.input["rules"]["dygnsvila_hours"] == 12.5 and plan.input["rules"]["every_other_weekend_free"]
        assert plan.status == "ej_beraknad" and plan.proposal is None  # the old proposal no longer matches
        record = next(a for a in _input_audits(session) if a.action == "planning.roster.input")
        assert record.username == "redaktor@alfakommun" and record.org_id == two_orgs["a"]["org_id"]
        assert record.detail["plan_id"] == plan_id
        assert record.detail["changes"] == {"dygnsvila_hours": [11.0, 12.5], "every_other_weekend_free": [False, True]}


def test_rule_rows_come_from_the_model():
    inp = workflow.roster_input(RosterPlan(input=_small_input()))
    rows = {r.key: r for r in basis.rule_rows(inp)}
    assert set(rows) == set(Rules.model_fields)
    assert rows["dygnsvila_hours"].label == "Dygnsvila" and rows["dygnsvila_hours"].unit == "timmar"
    assert rows["dygnsvila_hours"].kind == "hård" and rows["every_other_weekend_free"].kind == "mjuk"
    assert rows["every_other_weekend_free"].value is False and rows["every_other_weekend_free"].changed
    assert rows["max_consecutive_days"].default == 6 and not rows["max_consecutive_days"].changed


def test_staff_absence_wish_and_demand_edits(two_orgs, session_factory):  # type: ignore[no-untyped-def]
    plan_id = _plan(session_factory)
    every_day = [str(d) for d in range(7)]
    person = {
        "id": ["d"],
        "name": ["David"],
        "employment_pct": ["75"],
        "competences": ["undersköterska, läkemedelsdelegering"],
        "night_worker": ["false"],
        "contract": [""],
        "weekdays": ["0", "1", "2", "3", "4"],
        "shifts": ["D"],
    }
    with transaction(session_factory) as session:
        who = _who(session, "redaktor@alfakommun")
        basis.save_item(session, who=who, plan_id=plan_id, part="personal", index=None, form=person)
        with pytest.raises(InvalidInput, match="personal-id förekommer flera gånger"):
            basis.save_item(session, who=who, plan_id=plan_id, part="personal", index=None, form=person)
        absence = {"employee": ["d"], "first_day": ["2"], "last_day": ["3"], "reason": ["semester"]}
        basis.save_item(session, who=who, plan_id=plan_id, part="franvaro", index=None, form=absence)
        with pytest.raises(InvalidInput, match="Sista frånvarodagen ligger före den första"):
            bad = {**absence, "first_day": ["4"]}
            basis.save_item(session, who=who, plan_id=plan_id, part="franvaro", index=0, form=bad)
        wish = {"employee": ["b"], "day": ["1"], "shift": ["K"], "want": ["false"], "weight": ["3"]}
        basis.save_item(session, who=who, plan_id=plan_id, part="onskemal", index=None, form=wish)
        with pytest.raises(InvalidInput, match="önskemål 1, vikt: får vara högst 10"):
            basis.save_item(
                session, who=who, plan_id=plan_id, part="onskemal", index=0, form={**wish, "weight": ["11"]}
            )
        demand = {"shift": ["D"], "competence": [""], "minimum": ["2"], "ideal": ["1"], "weekdays": every_day}
        with pytest.raises(InvalidInput, match="ideal \\(1\\) är mindre än minimum"):
            basis.save_item(session, who=who, plan_id=plan_id, part="behov", index=0, form=demand)
        demand["ideal"] = ["2"]
        basis.save_item(session, who=who, plan_id=plan_id, part="behov", index=0, form=demand)
    with session_factory() as session:
        inp = workflow.roster_input(session.get(RosterPlan, plan_id))
        david = inp.employee("d")
        assert david.employment_pct == 75 and david.available_weekdays == [0, 1, 2, 3, 4] and david.shifts == ["D"]
        assert [(a.employee, a.first_day, a.last_day) for a in inp.absences] == [("d", 2, 3)]
        assert [(w.employee, w.shift, w.want, w.weight) for w in inp.wishes] == [("b", "K", False, 3)]
        assert (inp.demand[0].minimum, inp.demand[0].ideal, inp.demand[0].weekdays) == (2, 2, None)
        details = [a.detail for a in _input_audits(session) if a.action == "planning.roster.input"]
        assert [(d["part"], d["op"]) for d in details] == [
            ("employees", "add"),
            ("absences", "add"),
            ("wishes", "add"),
            ("demand", "edit"),
        ]
        assert details[1]["employee"] == "d" and "reason" not in details[1]  # the absence's reason stays out
    with transaction(session_factory) as session:  # removing a person removes what refers to them
        basis.remove_item(session, who=_who(session, "redaktor@alfakommun"), plan_id=plan_id, part="personal", index=3)
    with session_factory() as session:
        inp = workflow.roster_input(session.get(RosterPlan, plan_id))
        assert [e.id for e in inp.employees] == ["a", "b", "c"] and inp.absences == [] and len(inp.wishes) == 1


@pytest.mark.parametrize("status", ["godkand", "publicerad", "i_ko"])
def test_edits_are_refused_once_approved_published_or_computing(two_orgs, session_factory, status):  # type: ignore[no-untyped-def]
    plan_id = _plan(session_factory, status=status)
    with transaction(session_factory) as session:
        who = _who(session, "redaktor@alfakommun")
        with pytest.raises(Conflict):
            basis.change_rules(session, who=who, plan_id=plan_id, form={"dygnsvila_hours": ["10"]})
        with pytest.raises(Conflict):
            basis.remove_item(session, who=who, plan_id=plan_id, part="behov", index=0)
        with pytest.raises(Conflict):
            basis.recompute(session, who=who, plan_id=plan_id)
    with session_factory() as session:
        assert session.get(RosterPlan, plan_id).input["rules"]["dygnsvila_hours"] == 11.0


def test_only_the_own_organisations_planners_edit(two_orgs, session_factory):  # type: ignore[no-untyped-def]
    plan_id = _plan(session_factory)
    form = {"dygnsvila_hours": ["10"]}
    with transaction(session_factory) as session:
        with pytest.raises(NotFound):
            basis.change_rules(session, who=_who(session, "redaktor@betakommun"), plan_id=plan_id, form=form)
        with pytest.raises(NotFound):
            basis.copy_roster(
                session, who=_who(session, "redaktor@betakommun"), plan_id=plan_id, start_date="2026-04-06"
            )
        with pytest.raises(Forbidden):
            basis.change_rules(session, who=_who(session, "medarbetare@alfakommun"), plan_id=plan_id, form=form)
    with session_factory() as session:
        assert session.get(RosterPlan, plan_id).input["rules"]["dygnsvila_hours"] == 11.0
        assert session.scalar(select(RosterPlan.id).where(RosterPlan.org_id == two_orgs["b"]["org_id"])) is None


def test_recompute_requeues_the_solver_job(app, two_orgs, session_factory):  # type: ignore[no-untyped-def]
    plan_id = _plan(session_factory)
    with transaction(session_factory) as session:
        who = _who(session, "redaktor@alfakommun")
        absence = {"employee": ["b"], "first_day": ["0"], "last_day": ["6"], "reason": ["sjuk"]}
        basis.save_item(session, who=who, plan_id=plan_id, part="franvaro", index=None, form=absence)
        with pytest.raises(Conflict, match="beräkna ett nytt förslag"):
            workflow.change_cell(session, who=who, plan_id=plan_id, employee="a", day=1, shift="D")
        job = basis.recompute(session, who=who, plan_id=plan_id)
        assert job.kind == "planning.roster" and job.payload["plan_id"] == plan_id
    jobs.run_until_idle(session_factory, app.state.ctx.job_handlers, backoff_seconds=0)
    with session_factory() as session:
        plan = session.get(RosterPlan, plan_id)
        assert plan.status == "utkast", plan.error
        assert plan.proposal["roster"]["b"] == [""] * 7  # the new absence is respected
        assert any(a.action == "planning.roster.recompute" for a in _input_audits(session))


def test_copy_starts_a_new_period_without_the_old_periods_days(two_orgs, session_factory):  # type: ignore[no-untyped-def]
    plan_id = _plan(session_factory)
    with transaction(session_factory) as session:
        who = _who(session, "redaktor@alfakommun")
        with pytest.raises(InvalidInput, match="ÅÅÅÅ-MM-DD"):
            basis.copy_roster(session, who=who, plan_id=plan_id, start_date="nästa måndag")
        copy = basis.copy_roster(session, who=who, plan_id=plan_id, start_date="2026-03-30")
        copy_id = copy.id
    with session_factory() as session:
        copy = session.get(RosterPlan, copy_id)
        assert copy_id != plan_id and copy.status == "ej_beraknad" and copy.period_start.isoformat() == "2026-03-30"
        assert (
            copy.input["pins"] == [] and copy.input["employees"] == session.get(RosterPlan, plan_id).input["employees"]
        )
        record = next(a for a in _input_audits(session) if a.action == "planning.roster.copy")
        assert record.detail == {"plan_id": copy_id, "from_plan": plan_id}


def test_basis_page_over_http(client, two_orgs, session_factory):  # type: ignore[no-untyped-def]
    plan_id = _plan(session_factory)
    csrf = login(client, "redaktor@alfakommun")
    page = client.get(f"/planering/scheman/{plan_id}/underlag")
    assert page.status_code == 200 and "Dygnsvila" in page.text and "Cecilia" in page.text
    refused = client.post(
        f"/planering/scheman/{plan_id}/underlag/regler", data={"csrf_token": csrf, "veckovila_hours": "-1"}
    )
    assert refused.status_code == 422 and "Veckovila per sjudagarsperiod: måste vara minst 0" in refused.text
    assert 'value="-1"' in refused.text  # what the planner typed is shown again
    saved = client.post(
        f"/planering/scheman/{plan_id}/underlag/franvaro",
        data={"csrf_token": csrf, "employee": "c", "first_day": "1", "last_day": "2", "reason": "semester"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert "2026-03-03" in client.get(f"/planering/scheman/{plan_id}/underlag").text
    with session_factory() as session:
        assert session.get(RosterPlan, plan_id).input["absences"][0]["employee"] == "c"
    login(client, "medarbetare@alfakommun")
    assert client.get(f"/planering/scheman/{plan_id}/underlag").status_code == 403


def test_basis_page_in_english_translates_the_rules_and_weekdays(client, two_orgs, session_factory):  # type: ignore[no-untyped-def]
    plan_id = _plan(session_factory)
    login(client, "redaktor@alfakommun")
    client.get("/sprak/en")
    page = client.get(f"/planering/scheman/{plan_id}/underlag").text
    assert "Daily rest" in page and "Weekly rest per seven-day period" in page and "hours" in page
    assert ">Monday</label>" in page and "Dygnsvila" not in page and ">måndag<" not in page


def test_another_organisations_planner_gets_404_over_http(client, two_orgs, session_factory):  # type: ignore[no-untyped-def]
    plan_id = _plan(session_factory)
    csrf = login(client, "redaktor@betakommun")
    assert client.get(f"/planering/scheman/{plan_id}/underlag").status_code == 404
    response = client.post(f"/planering/scheman/{plan_id}/berakna", data={"csrf_token": csrf})
    assert response.status_code == 404


def test_copy_and_recompute_over_http(client, two_orgs, session_factory):  # type: ignore[no-untyped-def]
    plan_id = _plan(session_factory)
    csrf = login(client, "redaktor@alfakommun")
    refused = client.post(f"/planering/scheman/{plan_id}/kopiera", data={"csrf_token": csrf, "start_date": "i vår"})
    assert refused.status_code == 422 and "ÅÅÅÅ-MM-DD" in refused.text
    copied = client.post(
        f"/planering/scheman/{plan_id}/kopiera",
        data={"csrf_token": csrf, "start_date": "2026-03-16"},
        follow_redirects=False,
    )
    assert copied.status_code == 303
    copy_id = int(copied.headers["location"].split("/")[3])
    assert copy_id != plan_id
    roster = client.get(f"/planering/scheman/{copy_id}")  # a plan that was never computed still shows
    assert roster.status_code == 200 and "ej beräknat" in roster.text and "Beräkna nytt förslag" in roster.text
    assert f"/planering/scheman/{copy_id}" in client.get("/planering").text
    queued = client.post(f"/planering/scheman/{copy_id}/berakna", data={"csrf_token": csrf}, follow_redirects=False)
    assert queued.status_code == 303 and queued.headers["location"] == f"/planering/scheman/{copy_id}"
    with session_factory() as session:
        assert session.get(RosterPlan, copy_id).status == "i_ko"
        job = session.scalars(
            select(jobs.Job).where(jobs.Job.kind == "planning.roster").order_by(jobs.Job.id.desc())
        ).first()
        assert job.payload["plan_id"] == copy_id
    again = client.post(f"/planering/scheman/{copy_id}/berakna", data={"csrf_token": csrf})
    assert again.status_code == 409 and "beräknas just nu" in again.text  # no second job while computing


def test_rows_are_removed_from_the_page(client, two_orgs, session_factory):  # type: ignore[no-untyped-def]
    plan_id = _plan(session_factory)
    csrf = login(client, "redaktor@alfakommun")
    page = client.get(f"/planering/scheman/{plan_id}/underlag").text
    action = f'action="/planering/scheman/{plan_id}/underlag/personal/ta-bort"'
    assert page.count(action) == 3 and f'value="{csrf}"' in page  # one remove button per person, with the token
    assert '<th scope="row">Bo ' in page
    removed = client.post(
        f"/planering/scheman/{plan_id}/underlag/personal/ta-bort",
        data={"csrf_token": csrf, "index": "1"},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    page = client.get(f"/planering/scheman/{plan_id}/underlag").text
    table = page.split('id="personaltabell"')[1].split("</table>")[0]
    assert page.count(action) == 2 and '<th scope="row">Bo ' not in table and '<th scope="row">Cecilia ' in table
    gone = client.post(
        f"/planering/scheman/{plan_id}/underlag/personal/ta-bort", data={"csrf_token": csrf, "index": "7"}
    )
    assert gone.status_code == 422 and "Raden finns inte längre" in gone.text
