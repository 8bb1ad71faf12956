"""Planning on the database: roster plans and home-care day plans per organisation, approval and publication.

Routes, jobs, the CLI and the demo call these functions; every lookup filters by the caller's organisation and
answers another organisation's id exactly like a missing one.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from radhus.core import audit, jobs
from radhus.core.audit import AuditKind
from radhus.core.auth import Principal, Role
from radhus.core.db import utcnow
from radhus.core.errors import Conflict, InvalidInput, NotFound
from radhus.planning.export import roster_csv, roster_ics, roster_xlsx, routes_csv, routes_ics, routes_xlsx
from radhus.planning.models import RosterInput, load_roster_input
from radhus.planning.replan import open_shift_candidates
from radhus.planning.roster import report
from radhus.planning.rules import absent_days, check_assignment_change
from radhus.planning.tables import PlanStatus, RosterPlan, RoutePlan

PLANNER_ROLES = (Role.EDITOR,)  # redaktör (and administrators, who pass every role check) plan and approve
NOT_FOUND = "Schemat finns inte."
ROUTE_NOT_FOUND = "Ruttplanen finns inte."
EXAMPLE = Path(__file__).parent / "examples" / "avdelning.json"
HOMECARE_EXAMPLE = Path(__file__).parent / "examples" / "homecare_example.json"
MAX_TIME_LIMIT = 300.0


@dataclass(frozen=True)
class _PlanAudit:
    """How a kind of plan is named in the audit trail: its actions are `<prefix>.approve`, `.publish`, `.view`
    (and the roster's `.change`); approvals name the AI function whose proposal was approved; `id_key` holds the
    plan's id in the detail."""

    prefix: str
    function: str
    id_key: str


ROSTER_AUDIT = _PlanAudit("planning.roster", function="planning.roster_proposal", id_key="plan_id")
ROUTES_AUDIT = _PlanAudit("planning.routes", function="planning.homecare_routes", id_key="route_id")


def _audit_plan(
    session: Session, who: Principal, plan: RosterPlan | RoutePlan, *, kind: AuditKind, step: str, detail: dict
) -> None:
    """One audit record of the caller's `step` on a roster or a day plan, the plan's id first in the detail."""
    names = ROSTER_AUDIT if isinstance(plan, RosterPlan) else ROUTES_AUDIT
    audit.append(
        session,
        kind=kind,
        action=f"{names.prefix}.{step}",
        org_id=who.org_id,
        user_id=who.user_id,
        username=who.username,
        function=names.function if kind == AuditKind.APPROVAL else None,
        detail={names.id_key: plan.id, **detail},
    )


def _mark_approved(session: Session, who: Principal, plan: RosterPlan | RoutePlan, *, detail: dict) -> None:
    """The named planner approves the plan (AI proposes, a person decides; audited as an approval)."""
    plan.status = PlanStatus.APPROVED.value
    plan.approved_by, plan.approved_by_name = who.user_id, who.display_name or who.username
    plan.approved_at = utcnow()
    _audit_plan(session, who, plan, kind=AuditKind.APPROVAL, step="approve", detail=detail)
    session.flush()


def _mark_published(session: Session, who: Principal, plan: RosterPlan | RoutePlan) -> None:
    """A new published version (the caller has stored what the staff see), audited as an approval."""
    plan.status = PlanStatus.PUBLISHED.value
    plan.published_version += 1
    plan.published_at = utcnow()
    _audit_plan(session, who, plan, kind=AuditKind.APPROVAL, step="publish", detail={"version": plan.published_version})
    session.flush()


def personal_data_read(session: Session, *, who: Principal, plan: RosterPlan | RoutePlan, via: str) -> None:
    """Showing a roster (staff names, absences, wishes) or a day plan (clients' visits, staff routes) is a
    personal-data read."""
    _audit_plan(session, who, plan, kind=AuditKind.PERSONAL_DATA_READ, step="view", detail={"via": via})


def is_planner(who: Principal) -> bool:
    return who.has_role(*PLANNER_ROLES)


def require_planner(who: Principal) -> None:
    who.require_role(*PLANNER_ROLES)


def example_input() -> dict[str, Any]:
    """The bundled example unit (Äldreboendet Solrosen, two weeks)."""
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def example_homecare() -> dict[str, Any]:
    """The bundled example home-care day."""
    return json.loads(HOMECARE_EXAMPLE.read_text(encoding="utf-8"))


def _check_limit(time_limit: float) -> float:
    if not time_limit or time_limit <= 0:
        raise InvalidInput("Tidsgränsen måste vara större än 0 sekunder.")
    if time_limit > MAX_TIME_LIMIT:
        raise InvalidInput(f"Tidsgränsen får vara högst {MAX_TIME_LIMIT:g} sekunder.")
    return float(time_limit)


# --- rosters -------------------------------------------------------------------------------------------------


def create_roster(
    session: Session, *, who: Principal, data: dict[str, Any], time_limit: float = 10.0, workers: int = 2
) -> tuple[RosterPlan, jobs.Job]:
    """Validate the input, store a roster plan and queue the solver job."""
    require_planner(who)
    plan = new_roster(session, who=who, inp=load_roster_input(data), time_limit=time_limit)
    return plan, queue_solve(session, who=who, plan=plan, workers=workers)


def new_roster(
    session: Session, *, who: Principal, inp: RosterInput, time_limit: float, proposal: dict[str, Any] | None = None
) -> RosterPlan:
    """Store a roster plan of the caller's organisation for a validated input: a draft when a proposal is given,
    otherwise not yet computed."""
    plan = RosterPlan(
        org_id=who.org_id,
        unit=inp.unit,
        period_start=inp.start_date,
        weeks=inp.weeks,
        time_limit=_check_limit(time_limit),
        input=inp.model_dump(mode="json"),
        proposal=proposal,
        status=(PlanStatus.NOT_COMPUTED if proposal is None else PlanStatus.DRAFT).value,
        created_by_name=who.display_name or who.username,
    )
    session.add(plan)
    session.flush()
    return plan


def _queue(
    session: Session, who: Principal, plan: RosterPlan | RoutePlan, kind: str, title: str, payload: dict
) -> jobs.Job:
    """Mark the plan as being computed and queue its job (run once, on behalf of the caller)."""
    plan.status = PlanStatus.QUEUED.value
    return jobs.enqueue(
        session,
        org_id=who.org_id,
        kind=kind,
        title=title,
        payload={**payload, "user_id": who.user_id},
        user_id=who.user_id,
        max_attempts=1,
    )


def queue_solve(session: Session, *, who: Principal, plan: RosterPlan, workers: int = 2) -> jobs.Job:
    """Queue the solver job that computes a proposal from the plan's stored input."""
    payload = {"plan_id": plan.id, "workers": workers, "username": who.username}
    return _queue(session, who, plan, "planning.roster", f"Schemaförslag för {plan.unit}", payload)


def audit_roster_change(session: Session, *, who: Principal, plan: RosterPlan, step: str, detail: dict) -> None:
    """Audit a planner's change of a roster plan (`planning.roster.<step>`), like a changed cell."""
    _audit_plan(session, who, plan, kind=AuditKind.ADMIN_CHANGE, step=step, detail=detail)


def list_rosters(session: Session, *, who: Principal) -> list[RosterPlan]:
    """The organisation's roster plans, newest first (only published ones for non-planners)."""
    stmt = select(RosterPlan).where(RosterPlan.org_id == who.org_id).order_by(RosterPlan.id.desc())
    if not is_planner(who):
        stmt = stmt.where(RosterPlan.status == PlanStatus.PUBLISHED.value)
    return list(session.scalars(stmt))


def get_roster(session: Session, *, who: Principal, plan_id: int) -> RosterPlan:
    """One roster plan of the caller's organisation; non-planners see only published rosters."""
    plan = session.get(RosterPlan, plan_id)
    if plan is None or plan.org_id != who.org_id:
        raise NotFound(NOT_FOUND)
    if not is_planner(who) and plan.status != PlanStatus.PUBLISHED.value:
        raise NotFound(NOT_FOUND)
    return plan


def roster_input(plan: RosterPlan) -> RosterInput:
    return load_roster_input(plan.input)


def shown_roster(plan: RosterPlan, who: Principal) -> dict[str, list[str]] | None:
    """The roster a caller sees: the working proposal for planners, the published one for everyone else."""
    if not is_planner(who):
        return plan.published_roster
    return (plan.proposal or {}).get("roster")


def _working_roster(plan: RosterPlan) -> dict[str, list[str]]:
    roster = (plan.proposal or {}).get("roster")
    if plan.status == PlanStatus.NOT_COMPUTED.value:
        raise Conflict("Planeringsunderlaget har ändrats – beräkna ett nytt förslag först.")
    if not roster:
        raise Conflict("Schemat har inget förslag ännu – vänta tills beräkningen är klar.")
    return {k: list(v) for k, v in roster.items()}


def check_change(session: Session, *, who: Principal, plan_id: int, employee: str, day: int, shift: str) -> list[str]:
    """Swedish messages for the hard rules that putting `shift` ("" = free) in the cell would break."""
    require_planner(who)
    plan = get_roster(session, who=who, plan_id=plan_id)
    inp = roster_input(plan)
    roster = _working_roster(plan)
    problems = check_assignment_change(inp=inp, roster=roster, employee_id=employee, day=day, shift_id=shift)
    if shift and day in absent_days(inp, employee):
        problems.insert(0, f"{inp.employee(employee).label} är frånvarande {inp.day_label(day)}.")
    return problems


def change_cell(session: Session, *, who: Principal, plan_id: int, employee: str, day: int, shift: str) -> RosterPlan:
    """Change one cell of the proposal; refused with the Swedish rule violations if it breaks a hard rule."""
    problems = check_change(session, who=who, plan_id=plan_id, employee=employee, day=day, shift=shift)
    plan = get_roster(session, who=who, plan_id=plan_id)
    if plan.status == PlanStatus.PUBLISHED.value:
        raise Conflict("Schemat är publicerat. Ändra det genom omplanering (sjukfrånvaro) eller ett nytt förslag.")
    if problems:
        raise InvalidInput("Ändringen bryter mot reglerna: " + " ".join(problems), detail={"violations": problems})
    inp = roster_input(plan)
    roster = _working_roster(plan)
    before = roster[employee][day]
    roster[employee][day] = shift
    _store_proposal(plan, inp, roster, status=(plan.proposal or {}).get("status", "manuellt ändrat"))
    plan.manual_changes += 1
    if plan.status == PlanStatus.APPROVED.value:  # a changed roster must be approved again
        plan.status, plan.approved_by, plan.approved_by_name, plan.approved_at = (
            PlanStatus.DRAFT.value,
            None,
            None,
            None,
        )
    change = {"employee": employee, "day": day, "from": before, "to": shift}
    _audit_plan(session, who, plan, kind=AuditKind.ADMIN_CHANGE, step="change", detail=change)
    session.flush()
    return plan


def _store_proposal(plan: RosterPlan, inp: RosterInput, roster: dict[str, list[str]], *, status: str) -> None:
    previous = plan.proposal or {}
    result = report(inp, roster)
    result.status = status
    result.objective = previous.get("objective", 0)
    if previous.get("changes") is not None:
        result.changes = previous["changes"]
    plan.proposal = result.to_dict(inp)


def candidates(session: Session, *, who: Principal, plan_id: int, day: int, shift: str, competence: str = "") -> list:
    """Ranked staff who can take the open shift without breaking a hard rule."""
    require_planner(who)
    plan = get_roster(session, who=who, plan_id=plan_id)
    inp = roster_input(plan)
    if not 0 <= day < inp.days:
        raise InvalidInput(f"Dag {day} ligger utanför perioden.")
    return open_shift_candidates(inp=inp, roster=_working_roster(plan), day=day, shift_id=shift, competence=competence)


def approve(session: Session, *, who: Principal, plan_id: int) -> RosterPlan:
    """A named planner approves the proposal (audited as an approval)."""
    require_planner(who)
    plan = get_roster(session, who=who, plan_id=plan_id)
    if plan.status != PlanStatus.DRAFT.value:
        raise Conflict("Bara ett färdigt förslag som inte redan är godkänt kan godkännas.")
    _mark_approved(session, who, plan, detail={"unit": plan.unit, "manual_changes": plan.manual_changes})
    return plan


def publish(session: Session, *, who: Principal, plan_id: int) -> RosterPlan:
    """Publish an approved roster to the staff; it becomes the basis for re-planning."""
    require_planner(who)
    plan = get_roster(session, who=who, plan_id=plan_id)
    if plan.status != PlanStatus.APPROVED.value:
        raise Conflict("Schemat måste godkännas av en schemaläggare innan det publiceras.")
    plan.published_roster = _working_roster(plan)
    _mark_published(session, who, plan)
    return plan


def request_replan(
    session: Session,
    *,
    who: Principal,
    plan_id: int,
    employee: str | None = None,
    first_day: int | None = None,
    last_day: int | None = None,
    demand: list[dict] | None = None,
    from_day: int | None = None,
    workers: int = 2,
) -> jobs.Job:
    """Queue a minimal repair of the published roster after sick leave (or changed demand; days before
    `from_day` are kept as published)."""
    require_planner(who)
    plan = get_roster(session, who=who, plan_id=plan_id)
    if not plan.published_roster:
        raise Conflict("Bara ett publicerat schema kan planeras om.")
    inp = roster_input(plan)
    payload: dict[str, Any] = {"plan_id": plan.id, "workers": workers}
    if employee:
        inp.employee(employee)
        if first_day is None or not 0 <= first_day < inp.days:
            raise InvalidInput(f"Första sjukdagen måste ligga inom perioden (0–{inp.days - 1}).")
        if last_day is not None and not first_day <= last_day < inp.days:
            raise InvalidInput("Sista sjukdagen måste ligga mellan första sjukdagen och periodens slut.")
        payload["absence"] = {"employee": employee, "first_day": first_day, "last_day": last_day, "reason": "sjuk"}
    if demand is not None:
        load_roster_input({**plan.input, "demand": demand})  # validated now, not in the job
        payload["demand"] = demand
        if from_day is not None:
            if not 0 <= from_day < inp.days:
                raise InvalidInput(f"Dagen måste ligga inom perioden (0–{inp.days - 1}).")
            payload["from_day"] = from_day
    if "absence" not in payload and "demand" not in payload:
        raise InvalidInput("Ange sjukfrånvaro eller ett ändrat bemanningsbehov att planera om efter.")
    return _queue(session, who, plan, "planning.roster_replan", f"Omplanering av schemat för {plan.unit}", payload)


def demand_changed_on(
    plan: RosterPlan, *, day: int, shift: str, competence: str, minimum: int, ideal: int | None
) -> list[dict]:
    """The plan's demand with one day's need for a shift (and competence) set to new numbers: an explicit line for
    that day, which overrides the weekday lines."""
    inp = roster_input(plan)
    inp.shift(shift)
    if not 0 <= day < inp.days:
        raise InvalidInput(f"Dagen måste ligga inom perioden (0–{inp.days - 1}).")
    if minimum < 0 or (ideal is not None and ideal < minimum):
        raise InvalidInput("Minimum får inte vara negativt och önskat inte mindre än minimum.")
    out = []
    for line in plan.input["demand"]:
        same = (line["shift"], line.get("competence", "")) == (shift, competence)
        if same and line.get("days") is not None and day in line["days"]:
            rest = [d for d in line["days"] if d != day]
            if not rest:
                continue
            line = {**line, "days": rest}
        out.append(line)
    out.append({"shift": shift, "competence": competence, "minimum": minimum, "ideal": ideal, "days": [day]})
    return out


EXPORTS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "ics": ("text/calendar; charset=utf-8", "ics"),
}


def export(
    session: Session, *, who: Principal, plan_id: int, fmt: str, employee: str | None = None
) -> tuple[bytes, str, str]:
    """(content, file name, media type) of the roster as CSV, Excel or iCalendar (one employee, or everyone)."""
    if fmt not in EXPORTS:
        raise InvalidInput("Okänt exportformat – välj csv, xlsx eller ics.")
    plan = get_roster(session, who=who, plan_id=plan_id)
    roster = shown_roster(plan, who)
    if not roster:
        raise Conflict("Schemat har inget förslag ännu.")
    inp = roster_input(plan)
    media, suffix = EXPORTS[fmt]
    name = f"schema-{plan.id}.{suffix}"
    if fmt == "csv":
        return roster_csv(inp, roster).encode("utf-8"), name, media
    if fmt == "xlsx":
        with tempfile.TemporaryDirectory(prefix="radhus-schema-") as folder:
            path = Path(folder) / name
            roster_xlsx(inp, roster, path)
            return path.read_bytes(), name, media
    if employee:
        inp.employee(employee)
        return roster_ics(inp, roster, employee).encode("utf-8"), f"schema-{plan.id}-{employee}.ics", media
    return _ics_all(inp, roster).encode("utf-8"), name, media


def _ics_all(inp: RosterInput, roster: dict[str, list[str]]) -> str:
    """One calendar with everyone's shifts (events of each employee's feed)."""
    head, events = None, []
    for emp in inp.employees:
        lines = roster_ics(inp, roster, emp.id).split("\r\n")
        begin = lines.index("BEGIN:VEVENT") if "BEGIN:VEVENT" in lines else len(lines) - 2
        head = head or lines[:begin]
        events += [line for line in lines[begin:] if line not in ("END:VCALENDAR", "")]
    return "\r\n".join([*(head or []), *events, "END:VCALENDAR"]) + "\r\n"


def ai_output(
    session: Session,
    *,
    org_id: int,
    user_id: int | None,
    username: str | None,
    function: str,
    model: str,
    action: str,
    summary: str,
    detail: dict,
) -> None:
    """Audit a built-in (no language model) AI output."""
    audit.append(
        session,
        kind=AuditKind.AI_CALL,
        action=action,
        org_id=org_id,
        user_id=user_id,
        username=username,
        function=function,
        provider="inbyggd",
        model=model,
        data_class="intern",
        output_text=summary,
        excerpt=summary[:200],
        detail=detail,
    )


# --- home-care routes ----------------------------------------------------------------------------------------


def create_route_plan(
    session: Session, *, who: Principal, request: dict[str, Any], time_limit: float = 5.0
) -> tuple[RoutePlan, jobs.Job]:
    """Store a home-care day request and queue the route planning job."""
    require_planner(who)
    if not isinstance(request, dict) or not request.get("staff") or not request.get("visits"):
        raise InvalidInput("Dagsplanen behöver både personal och besök.")
    from radhus.planning.homecare import build_problem

    build_problem(request)  # validates with Swedish messages before anything is stored
    try:
        day = dt.date.fromisoformat(str(request.get("date") or dt.date.today().isoformat()))
    except ValueError as exc:
        raise InvalidInput("Datumet för dagsplanen är ogiltigt (använd ÅÅÅÅ-MM-DD).") from exc
    plan = RoutePlan(
        org_id=who.org_id,
        unit=str(request.get("unit", ""))[:300],
        date=day,
        time_limit=_check_limit(time_limit),
        request=request,
        created_by_name=who.display_name or who.username,
    )
    session.add(plan)
    session.flush()
    title = f"Ruttförslag för {plan.unit or 'hemtjänsten'} {day.isoformat()}"
    return plan, _queue(session, who, plan, "planning.routes", title, {"route_id": plan.id})


def list_route_plans(session: Session, *, who: Principal) -> list[RoutePlan]:
    """The organisation's day plans, newest first (only published ones for non-planners)."""
    stmt = select(RoutePlan).where(RoutePlan.org_id == who.org_id).order_by(RoutePlan.id.desc())
    if not is_planner(who):
        stmt = stmt.where(RoutePlan.published_version > 0)
    return list(session.scalars(stmt))


def get_route_plan(session: Session, *, who: Principal, route_id: int) -> RoutePlan:
    """One day plan of the caller's organisation; non-planners see only day plans published at least once."""
    plan = session.get(RoutePlan, route_id)
    if plan is None or plan.org_id != who.org_id:
        raise NotFound(ROUTE_NOT_FOUND)
    if not is_planner(who) and not plan.published_plan:
        raise NotFound(ROUTE_NOT_FOUND)
    return plan


def shown_routes(plan: RoutePlan, who: Principal) -> dict[str, Any]:
    """The routes a caller sees: the working proposal for planners, the published routes for everyone else."""
    return (plan.plan if is_planner(who) else plan.published_plan) or {}


def approve_routes(session: Session, *, who: Principal, route_id: int) -> RoutePlan:
    """A named planner approves the proposed routes (AI proposes, a person decides; audited as an approval)."""
    require_planner(who)
    plan = get_route_plan(session, who=who, route_id=route_id)
    if plan.status != PlanStatus.DRAFT.value or not plan.plan:
        raise Conflict("Bara ett färdigt ruttförslag som inte redan är godkänt kan godkännas.")
    _mark_approved(
        session, who, plan, detail={"date": plan.date.isoformat(), "unplanned": len(plan.plan.get("unplanned", []))}
    )
    return plan


def publish_routes(session: Session, *, who: Principal, route_id: int) -> RoutePlan:
    """Publish approved routes to the staff (audited); a later re-plan makes a new draft to approve again."""
    require_planner(who)
    plan = get_route_plan(session, who=who, route_id=route_id)
    if plan.status != PlanStatus.APPROVED.value:
        raise Conflict("Rutterna måste godkännas av en planerare innan de publiceras.")
    plan.published_plan = plan.plan
    _mark_published(session, who, plan)
    return plan


def export_routes(
    session: Session, *, who: Principal, route_id: int, fmt: str, staff: str | None = None
) -> tuple[bytes, str, str]:
    """(content, file name, media type) of the day's routes as CSV, Excel or iCalendar (one staff member, or all)."""
    if fmt not in EXPORTS:
        raise InvalidInput("Okänt exportformat – välj csv, xlsx eller ics.")
    plan = get_route_plan(session, who=who, route_id=route_id)
    routes = shown_routes(plan, who)
    if not routes.get("routes"):
        raise Conflict("Dagsplanen har inga rutter ännu.")
    people = {s["id"]: s for s in plan.request.get("staff", [])}
    media, suffix = EXPORTS[fmt]
    name = f"rutter-{plan.date.isoformat()}-{plan.id}.{suffix}"
    if fmt == "csv":
        return routes_csv(routes, people).encode("utf-8"), name, media
    if fmt == "xlsx":
        with tempfile.TemporaryDirectory(prefix="radhus-rutter-") as folder:
            path = Path(folder) / name
            routes_xlsx(routes, people, path)
            return path.read_bytes(), name, media
    if staff and staff not in routes["routes"]:
        raise InvalidInput("Okänd personal i dagsplanen.")
    chosen = [staff] if staff else list(routes["routes"])
    text = routes_ics(routes, people, plan.date, chosen, unit=plan.unit or "Hemtjänst")
    return text.encode("utf-8"), name if not staff else f"rutter-{plan.date.isoformat()}-{staff}.ics", media


def request_route_replan(session: Session, *, who: Principal, route_id: int, event: dict[str, Any]) -> jobs.Job:
    """Queue a re-plan of the day after a staff member falls ill or a visit is added."""
    require_planner(who)
    plan = get_route_plan(session, who=who, route_id=route_id)
    if not plan.plan:
        raise Conflict("Dagsplanen har inga rutter ännu – vänta tills beräkningen är klar.")
    from radhus.planning.homecare import parse_hhmm

    parse_hhmm(event.get("at", ""), "händelsens tidpunkt")
    if event.get("type") == "staff_ill":
        if event.get("staff_id") not in {s.get("id") for s in plan.request.get("staff", [])}:
            raise InvalidInput("Okänd personal i dagsplanen.")
    elif event.get("type") == "visit_added":
        visit = event.get("visit") or {}
        if not visit.get("id") or not visit.get("client"):
            raise InvalidInput("Det nya besöket behöver ett id och en brukare.")
        if visit["id"] in {v.get("id") for v in plan.request.get("visits", [])}:
            raise InvalidInput(f"Det finns redan ett besök med id {visit['id']}.")
    else:
        raise InvalidInput("Okänd händelse – välj personal sjuk eller nytt besök.")
    payload = {"route_id": plan.id, "event": event}
    return _queue(
        session, who, plan, "planning.routes_replan", f"Omplanering av rutter {plan.date.isoformat()}", payload
    )


def store_solved_roster(
    session: Session, *, who: Principal, inp: RosterInput, proposal: dict[str, Any], time_limit: float
) -> RosterPlan:
    """Store a proposal solved outside the job queue (the CLI's `--org`) as a draft, audited as an AI output."""
    require_planner(who)
    plan = new_roster(session, who=who, inp=inp, time_limit=time_limit, proposal=proposal)
    ai_output(
        session,
        org_id=who.org_id,
        user_id=who.user_id,
        username=who.username,
        function="planning.roster_proposal",
        model="cp-sat",
        action="planning.roster.solve",
        summary=f"Schemaförslag för {inp.unit}: {proposal.get('status')}, "
        f"önskemål uppfyllda {proposal.get('wishes_granted_pct')} %.",
        detail={"plan_id": plan.id, "objective": proposal.get("objective"), "via": "cli"},
    )
    return plan
