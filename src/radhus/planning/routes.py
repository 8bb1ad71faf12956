"""Planning pages and API: unit rosters (proposal, live-checked changes, approval, publication, re-planning,
exports) and home-care day plans (timeline per staff, unplanned visits, re-planning during the day)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from radhus.core.auth import Principal, Role
from radhus.core.errors import InvalidInput, RadhusError
from radhus.planning import basis, workflow
from radhus.planning.importer import read_roster_input
from radhus.planning.rules import absent_days
from radhus.planning.tables import STATUS_LABELS, PlanStatus, RosterPlan, RoutePlan
from radhus.web.deps import DbSession, context, principal, render, role_required
from radhus.web.uploads import save_upload

router = APIRouter()
api = APIRouter(prefix="/api/v1")

Caller = Annotated[Principal, Depends(principal)]
Planner = Annotated[Principal, Depends(role_required(Role.EDITOR))]

NAV = [
    {
        "path": "/planering",
        "label": "Schema och rutter",
        "description": "Schemaförslag enligt arbetstidsreglerna och dagliga rutter i hemtjänsten.",
        "roles": ["redaktor", "medarbetare", "granskare", "revisor"],
    }
]
WEEKDAYS = ["mån", "tis", "ons", "tor", "fre", "lör", "sön"]
# Swedish strings the pages show through gettext that come from code rather than templates (for the catalog).
UI_STRINGS = [*WEEKDAYS, *basis.WEEKDAYS, "alla dagar", *STATUS_LABELS.values(), *sorted(basis.rule_texts())]


def _wake(request: Request) -> None:
    worker = context(request).worker
    if worker is not None:
        worker.wake()


def _roster_view(plan: RosterPlan, who: Principal, *, kompetens: str = "", personal: str = "") -> dict[str, Any]:
    """Everything the roster page shows, with the staff filter applied."""
    inp = workflow.roster_input(plan)
    roster = workflow.shown_roster(plan, who)
    shift_index = {s.id: i for i, s in enumerate(inp.shift_types)}
    employees = [
        e for e in inp.employees if (not kompetens or kompetens in e.competences) and (not personal or e.id == personal)
    ]
    holidays = inp.holidays()
    days = [
        {
            "index": d,
            "label": inp.day_label(d),
            "weekday": WEEKDAYS[inp.date_of(d).weekday()],
            "holiday": holidays.get(d, ""),
            "weekend": inp.is_weekend_or_holiday(d),
        }
        for d in range(inp.days)
    ]
    competences = sorted({c for e in inp.employees for c in e.competences})
    absent = {(e.id, d) for e in inp.employees for d in absent_days(inp, e.id)}  # absence or not available
    return {
        "plan": plan,
        "inp": inp,
        "roster": roster,
        "proposal": plan.proposal if workflow.is_planner(who) else None,
        "employees": employees,
        "all_employees": inp.employees,
        "days": days,
        "shift_index": shift_index,
        "competences": competences,
        "absent": absent,
        "filters": {"kompetens": kompetens, "personal": personal},
        "status_label": STATUS_LABELS.get(plan.status, plan.status),
        "planner": workflow.is_planner(who),
        "pins": {(p.employee, p.day) for p in inp.pins},
    }


async def _save_input(upload: UploadFile, *, limit_mb: int) -> Path:
    """Receive a roster input file (.json or .xlsx)."""
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in (".json", ".xlsx"):
        raise InvalidInput("Indata måste vara en .json- eller .xlsx-fil.")
    return await save_upload(upload, limit_mb=limit_mb, name=f"indata{suffix}")


async def _save_day(upload: UploadFile, *, limit_mb: int) -> Path:
    """Receive a home-care day request (.json)."""
    return await save_upload(upload, limit_mb=limit_mb, name="dag.json")


def _read_roster_input(path: Path) -> dict[str, Any]:
    return read_roster_input(path).model_dump(mode="json")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput("Filen är inte giltig JSON.") from exc


@dataclass(frozen=True)
class _Source:
    """Where a new plan's input comes from: the bundled example, or an uploaded file saved and read like this."""

    missing: str  # the message when "own file" is chosen without a file
    save: Callable[..., Awaitable[Path]]
    read: Callable[[Path], dict[str, Any]]
    example: Callable[[], dict[str, Any]]


ROSTER_SOURCE = _Source(
    "Välj en indatafil (.json eller .xlsx).", _save_input, _read_roster_input, workflow.example_input
)
ROUTES_SOURCE = _Source(
    "Välj en JSON-fil med dagens besök och personal.", _save_day, _read_json, workflow.example_homecare
)


async def _input_data(request: Request, source: _Source, from_file: bool, upload: UploadFile | None) -> dict[str, Any]:
    """The bundled example, or the uploaded file's content (its temporary copy removed)."""
    if not from_file:
        return source.example()
    if upload is None or not upload.filename:
        raise InvalidInput(source.missing)
    path = await source.save(upload, limit_mb=context(request).settings.max_upload_mb)
    try:
        return source.read(path)
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)


async def _create_plan(
    request: Request,
    session: Session,
    who: Principal,
    data: Awaitable[dict[str, Any]],
    create: Callable[[dict[str, Any]], str],
):
    """Create a plan from its input (`create` returns the plan's page), then wake the worker that computes it."""
    try:
        page = create(await data)
    except RadhusError as exc:
        session.rollback()
        return _index(request, session, who, error=exc.message, status_code=exc.status_code)
    session.commit()
    _wake(request)
    return RedirectResponse(page, status_code=303)


def _index(request: Request, session: Session, who: Principal, *, error: str | None = None, status_code: int = 200):
    return render(
        request,
        "planning/index.html",
        status_code=status_code,
        rosters=workflow.list_rosters(session, who=who),
        route_plans=workflow.list_route_plans(session, who=who),
        planner=workflow.is_planner(who),
        status_labels=STATUS_LABELS,
        error=error,
    )


def _attachment(export: tuple[bytes, str, str]) -> Response:
    """A download of (content, file name, media type)."""
    data, name, media = export
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _roster_page_after_error(
    request: Request, session: Session, who: Principal, plan_id: int, message: str, status_code: int
):
    """Roll back what failed and show the roster page again with the Swedish error."""
    session.rollback()
    plan = workflow.get_roster(session, who=who, plan_id=plan_id)
    return render(request, "planning/roster.html", status_code=status_code, error=message, **_roster_view(plan, who))


def _routes_page_after_error(request: Request, session: Session, who: Principal, route_id: int, exc: RadhusError):
    """Roll back what failed and show the day plan page again with the Swedish error."""
    session.rollback()
    values = _route_view(workflow.get_route_plan(session, who=who, route_id=route_id), who)
    return render(request, "planning/routes.html", status_code=exc.status_code, error=exc.message, **values)


# --- pages: rosters ------------------------------------------------------------------------------------------


@router.get("/planering", include_in_schema=False)
def planning_index(request: Request, session: DbSession, who: Caller):
    """Rosters and home-care day plans of the organisation."""
    return _index(request, session, who)


@router.post("/planering/scheman", include_in_schema=False)
async def roster_create(
    request: Request,
    session: DbSession,
    who: Planner,
    source: Annotated[str, Form()] = "exempel",
    time_limit: Annotated[float, Form()] = 10.0,
    input_file: Annotated[UploadFile | None, File()] = None,
):
    """Create a roster proposal from the bundled example or an uploaded JSON/Excel input (queued job)."""

    def create(data: dict[str, Any]) -> str:
        plan, _ = workflow.create_roster(session, who=who, data=data, time_limit=time_limit)
        return f"/planering/scheman/{plan.id}"

    data = _input_data(request, ROSTER_SOURCE, source == "fil", input_file)
    return await _create_plan(request, session, who, data, create)


@router.get("/planering/scheman/{plan_id}", include_in_schema=False)
def roster_page(
    request: Request,
    session: DbSession,
    who: Caller,
    plan_id: int,
    kompetens: str = "",
    personal: str = "",
    meddelande: str = "",
):
    """The roster grid (staff × days) with staffing report, wishes, fairness and explanations."""
    plan = workflow.get_roster(session, who=who, plan_id=plan_id)
    if plan.status != PlanStatus.QUEUED.value:  # not logged again for every automatic refresh while computing
        workflow.personal_data_read(session, who=who, plan=plan, via="webb")
    return render(
        request,
        "planning/roster.html",
        message=meddelande,
        **_roster_view(plan, who, kompetens=kompetens, personal=personal),
    )


@router.post("/planering/scheman/{plan_id}/kontroll", include_in_schema=False)
def roster_check(
    request: Request,
    session: DbSession,
    who: Planner,
    plan_id: int,
    employee: Annotated[str, Form()] = "",
    day: Annotated[int, Form()] = 0,
    shift: Annotated[str, Form()] = "",
):
    """Live rule check of a proposed cell change (HTML fragment with Swedish violations)."""
    try:
        problems = workflow.check_change(session, who=who, plan_id=plan_id, employee=employee, day=day, shift=shift)
        error = None
    except RadhusError as exc:
        problems, error = [], exc.message
    return render(request, "planning/_check.html", problems=problems, error=error)


@router.post("/planering/scheman/{plan_id}/andra", include_in_schema=False)
def roster_change(
    request: Request,
    session: DbSession,
    who: Planner,
    plan_id: int,
    employee: Annotated[str, Form()] = "",
    day: Annotated[int, Form()] = 0,
    shift: Annotated[str, Form()] = "",
):
    """Save a changed cell; refused (nothing saved) when it breaks a hard rule."""
    try:
        workflow.change_cell(session, who=who, plan_id=plan_id, employee=employee, day=day, shift=shift)
    except RadhusError as exc:
        return _roster_page_after_error(request, session, who, plan_id, exc.message, exc.status_code)
    return RedirectResponse(f"/planering/scheman/{plan_id}?meddelande=andrad", status_code=303)


@router.get("/planering/scheman/{plan_id}/ersattare", include_in_schema=False)
def roster_candidates(
    request: Request,
    session: DbSession,
    who: Planner,
    plan_id: int,
    day: int = 0,
    shift: str = "",
    competence: str = "",
):
    """Ranked staff who can take an open shift without breaking a rule ("Föreslå ersättare")."""
    plan = workflow.get_roster(session, who=who, plan_id=plan_id)
    try:
        ranked = workflow.candidates(session, who=who, plan_id=plan_id, day=day, shift=shift, competence=competence)
        error = None
    except RadhusError as exc:
        ranked, error = [], exc.message
    inp = workflow.roster_input(plan)
    return render(
        request,
        "planning/candidates.html",
        plan=plan,
        ranked=ranked,
        error=error,
        day_label=inp.day_label(day) if 0 <= day < inp.days else str(day),
        shift_label=next((s.label for s in inp.shift_types if s.id == shift), shift),
        day=day,
        shift=shift,
    )


@router.post("/planering/scheman/{plan_id}/godkann", include_in_schema=False)
def roster_approve(session: DbSession, who: Planner, plan_id: int):
    """Approve the proposal as the logged-in planner (audited)."""
    workflow.approve(session, who=who, plan_id=plan_id)
    return RedirectResponse(f"/planering/scheman/{plan_id}?meddelande=godkant", status_code=303)


@router.post("/planering/scheman/{plan_id}/publicera", include_in_schema=False)
def roster_publish(session: DbSession, who: Planner, plan_id: int):
    """Publish the approved roster to the staff."""
    workflow.publish(session, who=who, plan_id=plan_id)
    return RedirectResponse(f"/planering/scheman/{plan_id}?meddelande=publicerat", status_code=303)


@router.post("/planering/scheman/{plan_id}/sjuk", include_in_schema=False)
def roster_sick(
    request: Request,
    session: DbSession,
    who: Planner,
    plan_id: int,
    employee: Annotated[str, Form()] = "",
    first_day: Annotated[int, Form()] = 0,
    last_day: Annotated[str, Form()] = "",
):
    """Register sick leave on a published roster and queue a minimal re-plan."""
    try:
        last = int(last_day) if last_day.strip() else None
        workflow.request_replan(
            session, who=who, plan_id=plan_id, employee=employee, first_day=first_day, last_day=last
        )
    except (RadhusError, ValueError) as exc:
        message = exc.message if isinstance(exc, RadhusError) else "Sista sjukdagen måste vara ett dagnummer."
        status = exc.status_code if isinstance(exc, RadhusError) else 400
        return _roster_page_after_error(request, session, who, plan_id, message, status)
    session.commit()
    _wake(request)
    return RedirectResponse(f"/planering/scheman/{plan_id}?meddelande=omplaneras", status_code=303)


@router.post("/planering/scheman/{plan_id}/behov", include_in_schema=False)
def roster_demand_change(
    request: Request,
    session: DbSession,
    who: Planner,
    plan_id: int,
    day: Annotated[int, Form()] = 0,
    shift: Annotated[str, Form()] = "",
    competence: Annotated[str, Form()] = "",
    minimum: Annotated[int, Form()] = 0,
    ideal: Annotated[str, Form()] = "",
):
    """Change one day's demand on a published roster and queue a minimal re-plan from that day."""
    try:
        plan = workflow.get_roster(session, who=who, plan_id=plan_id)
        try:
            wanted = int(ideal) if ideal.strip() else None
        except ValueError as exc:
            raise InvalidInput("Önskad bemanning måste vara ett heltal.") from exc
        demand = workflow.demand_changed_on(
            plan, day=day, shift=shift, competence=competence, minimum=minimum, ideal=wanted
        )
        workflow.request_replan(session, who=who, plan_id=plan_id, demand=demand, from_day=day)
    except RadhusError as exc:
        return _roster_page_after_error(request, session, who, plan_id, exc.message, exc.status_code)
    session.commit()
    _wake(request)
    return RedirectResponse(f"/planering/scheman/{plan_id}?meddelande=omplaneras", status_code=303)


@router.get("/planering/scheman/{plan_id}/export/{fmt}", include_in_schema=False)
def roster_export(session: DbSession, who: Caller, plan_id: int, fmt: str, personal: str = ""):
    """Download the roster as CSV, Excel or iCalendar (everyone, or one person)."""
    return _attachment(workflow.export(session, who=who, plan_id=plan_id, fmt=fmt, employee=personal or None))


# --- pages: the planning basis of a roster ----------------------------------------------------------------------


def _basis_page(
    request: Request,
    plan: RosterPlan,
    *,
    edit: dict[str, int | None] | None = None,
    sent: tuple[str, basis.Form] | None = None,
    error: str | None = None,
    message: str = "",
    status_code: int = 200,
):
    """Render the planning basis: the input in Swedish, with forms when the plan can still be changed."""
    inp = workflow.roster_input(plan)
    edit = edit or {}
    fill = {
        part: basis.form_values(
            inp, part=part, index=edit.get(part), sent=sent[1] if sent and sent[0] == part else None
        )
        for part in basis.PARTS
    }
    rules_sent = sent[1] if sent and sent[0] == "regler" else {}
    return render(
        request,
        "planning/basis.html",
        status_code=status_code,
        plan=plan,
        inp=inp,
        rules=basis.rule_rows(inp),
        rules_sent={k: v[0] for k, v in rules_sent.items() if v},
        matrix=basis.demand_matrix(inp),
        weekdays=basis.WEEKDAYS,
        weekday_names=basis.weekday_names,
        days=[
            {"index": d, "label": f"{WEEKDAYS[inp.date_of(d).weekday()]} {inp.day_label(d)}"} for d in range(inp.days)
        ],
        competences=basis.competences(inp),
        editable=basis.is_editable(plan),
        locked_reason=basis.LOCKED.get(plan.status, ""),
        status_label=STATUS_LABELS.get(plan.status, plan.status),
        edit=edit,
        fill=fill,
        error=error,
        message=message,
    )


def _basis_page_after_error(
    request: Request, session: Session, who: Principal, plan_id: int, exc: RadhusError, **shown: Any
):
    """Roll back what failed and show the planning basis again with the Swedish error (nothing typed is lost)."""
    session.rollback()
    plan = workflow.get_roster(session, who=who, plan_id=plan_id)
    return _basis_page(request, plan, error=exc.message, status_code=exc.status_code, **shown)


async def _form(request: Request) -> tuple[basis.Form, int | None]:
    """The submitted fields (without the CSRF token) and the row being edited or removed (None: a new row)."""
    form = await request.form()
    fields = {k: [str(v) for v in form.getlist(k)] for k in form if k not in ("csrf_token", "index")}
    raw = str(form.get("index") or "").strip()
    try:
        return fields, int(raw) if raw else None
    except ValueError:
        raise InvalidInput("Raden finns inte längre i underlaget. Ladda om sidan.") from None


@router.get("/planering/scheman/{plan_id}/underlag", include_in_schema=False)
def basis_page(
    request: Request,
    session: DbSession,
    who: Planner,
    plan_id: int,
    personal: int | None = None,
    franvaro: int | None = None,
    onskemal: int | None = None,
    behov: int | None = None,
    meddelande: str = "",
):
    """The planning basis of a roster: rules, staff, shift types, demand, absences, wishes, pins, care recipients."""
    plan = workflow.get_roster(session, who=who, plan_id=plan_id)
    workflow.personal_data_read(session, who=who, plan=plan, via="underlag")
    edit = {"personal": personal, "franvaro": franvaro, "onskemal": onskemal, "behov": behov}
    return _basis_page(request, plan, edit=edit, message=meddelande)


@router.post("/planering/scheman/{plan_id}/underlag/{part}", include_in_schema=False)
async def basis_save(request: Request, session: DbSession, who: Planner, plan_id: int, part: str):
    """Save the rules, or add or change an employee, absence, wish or demand line (validated; audited)."""
    form: basis.Form = {}
    index = None
    try:
        form, index = await _form(request)
        if part == "regler":
            basis.change_rules(session, who=who, plan_id=plan_id, form=form)
        else:
            basis.save_item(session, who=who, plan_id=plan_id, part=part, index=index, form=form)
    except RadhusError as exc:
        edit = {part: index} if part in basis.PARTS else {}
        return _basis_page_after_error(request, session, who, plan_id, exc, edit=edit, sent=(part, form))
    return RedirectResponse(f"/planering/scheman/{plan_id}/underlag?meddelande=sparat#{part}", status_code=303)


@router.post("/planering/scheman/{plan_id}/underlag/{part}/ta-bort", include_in_schema=False)
async def basis_remove(request: Request, session: DbSession, who: Planner, plan_id: int, part: str):
    """Remove an employee, absence, wish or demand line (audited)."""
    try:
        _, index = await _form(request)
        if index is None:
            raise InvalidInput("Ange vilken rad som ska tas bort.")
        basis.remove_item(session, who=who, plan_id=plan_id, part=part, index=index)
    except RadhusError as exc:
        return _basis_page_after_error(request, session, who, plan_id, exc)
    return RedirectResponse(f"/planering/scheman/{plan_id}/underlag?meddelande=sparat#{part}", status_code=303)


@router.post("/planering/scheman/{plan_id}/berakna", include_in_schema=False)
def roster_recompute(request: Request, session: DbSession, who: Planner, plan_id: int):
    """Compute a new proposal from the plan's current basis (queued solver job)."""
    try:
        basis.recompute(session, who=who, plan_id=plan_id)
    except RadhusError as exc:
        return _basis_page_after_error(request, session, who, plan_id, exc)
    session.commit()
    _wake(request)
    return RedirectResponse(f"/planering/scheman/{plan_id}", status_code=303)


@router.post("/planering/scheman/{plan_id}/kopiera", include_in_schema=False)
def roster_copy(
    request: Request, session: DbSession, who: Planner, plan_id: int, start_date: Annotated[str, Form()] = ""
):
    """Start a new roster plan for another period from this plan's basis (no file needed)."""
    try:
        plan = basis.copy_roster(session, who=who, plan_id=plan_id, start_date=start_date)
    except RadhusError as exc:
        return _basis_page_after_error(request, session, who, plan_id, exc)
    return RedirectResponse(f"/planering/scheman/{plan.id}/underlag?meddelande=kopierat", status_code=303)


# --- pages: home-care routes ----------------------------------------------------------------------------------


@router.post("/planering/rutter", include_in_schema=False)
async def routes_create(
    request: Request,
    session: DbSession,
    who: Planner,
    source: Annotated[str, Form()] = "exempel",
    time_limit: Annotated[float, Form()] = 5.0,
    request_file: Annotated[UploadFile | None, File()] = None,
):
    """Create a home-care day plan from the bundled example or an uploaded JSON request (queued job)."""

    def create(data: dict[str, Any]) -> str:
        plan, _ = workflow.create_route_plan(session, who=who, request=data, time_limit=time_limit)
        return f"/planering/rutter/{plan.id}"

    data = _input_data(request, ROUTES_SOURCE, source == "fil", request_file)
    return await _create_plan(request, session, who, data, create)


def _route_view(plan: RoutePlan, who: Principal) -> dict[str, Any]:
    staff = {s["id"]: s for s in plan.request.get("staff", [])}
    visits = {v["id"]: v for v in plan.request.get("visits", [])}
    planner = workflow.is_planner(who)
    return {
        "plan": plan,
        "staff": staff,
        "visits": visits,
        "result": workflow.shown_routes(plan, who),
        "planner": planner,
        "status_label": STATUS_LABELS.get(plan.status, plan.status) if planner else STATUS_LABELS["publicerad"],
    }


@router.get("/planering/rutter/{route_id}", include_in_schema=False)
def routes_page(request: Request, session: DbSession, who: Caller, route_id: int, meddelande: str = ""):
    """The day plan: a timeline per staff member, unplanned visits with reasons, approval, re-planning."""
    plan = workflow.get_route_plan(session, who=who, route_id=route_id)
    if plan.status != PlanStatus.QUEUED.value:  # not logged again for every automatic refresh while computing
        workflow.personal_data_read(session, who=who, plan=plan, via="webb")
    return render(request, "planning/routes.html", message=meddelande, **_route_view(plan, who))


@router.post("/planering/rutter/{route_id}/godkann", include_in_schema=False)
def routes_approve(request: Request, session: DbSession, who: Planner, route_id: int):
    """Approve the proposed routes as the logged-in planner (audited)."""
    return _route_decision(request, session, who, route_id, workflow.approve_routes, "godkant")


@router.post("/planering/rutter/{route_id}/publicera", include_in_schema=False)
def routes_publish(request: Request, session: DbSession, who: Planner, route_id: int):
    """Publish the approved routes to the staff (audited)."""
    return _route_decision(request, session, who, route_id, workflow.publish_routes, "publicerat")


def _route_decision(
    request: Request, session: Session, who: Principal, route_id: int, decide: Callable[..., RoutePlan], message: str
):
    try:
        decide(session, who=who, route_id=route_id)
    except RadhusError as exc:
        return _routes_page_after_error(request, session, who, route_id, exc)
    return RedirectResponse(f"/planering/rutter/{route_id}?meddelande={message}", status_code=303)


@router.get("/planering/rutter/{route_id}/export/{fmt}", include_in_schema=False)
def routes_export(session: DbSession, who: Caller, route_id: int, fmt: str, personal: str = ""):
    """Download the day's routes as CSV, Excel or iCalendar (everyone, or one staff member)."""
    return _attachment(workflow.export_routes(session, who=who, route_id=route_id, fmt=fmt, staff=personal or None))


@router.post("/planering/rutter/{route_id}/handelse", include_in_schema=False)
def routes_event(
    request: Request,
    session: DbSession,
    who: Planner,
    route_id: int,
    kind: Annotated[str, Form()] = "staff_ill",
    at: Annotated[str, Form()] = "",
    staff_id: Annotated[str, Form()] = "",
    visit_id: Annotated[str, Form()] = "",
    client: Annotated[str, Form()] = "",
    lat: Annotated[str, Form()] = "",
    lon: Annotated[str, Form()] = "",
    window_start: Annotated[str, Form()] = "",
    window_end: Annotated[str, Form()] = "",
    minutes: Annotated[str, Form()] = "30",
    competence: Annotated[str, Form()] = "",
    staff_count: Annotated[str, Form()] = "1",
    regular_staff: Annotated[str, Form()] = "",
):
    """Re-plan the day from a time: a staff member falls ill, or a new visit is added."""
    try:
        if kind == "staff_ill":
            event: dict[str, Any] = {"type": "staff_ill", "at": at, "staff_id": staff_id}
        else:
            try:
                visit = {
                    "id": visit_id.strip(),
                    "client": client.strip(),
                    "lat": float(lat.replace(",", ".")),
                    "lon": float(lon.replace(",", ".")),
                    "window": {"start": window_start, "end": window_end},
                    "minutes": int(minutes),
                    "competence": competence.strip() or None,
                    "staff_count": int(staff_count),
                    "regular_staff": [regular_staff] if regular_staff else [],
                }
            except ValueError as exc:
                raise InvalidInput(
                    "Ange position (latitud, longitud), besökslängd i minuter och antal personal som tal."
                ) from exc
            event = {"type": "visit_added", "at": at, "visit": visit}
        workflow.request_route_replan(session, who=who, route_id=route_id, event=event)
    except RadhusError as exc:
        return _routes_page_after_error(request, session, who, route_id, exc)
    session.commit()
    _wake(request)
    return RedirectResponse(f"/planering/rutter/{route_id}", status_code=303)


# --- REST API ---------------------------------------------------------------------------------------------------


class RosterCreate(BaseModel):
    """A roster problem (the JSON input format of `radhus plan roster`) and the solver's time limit."""

    input: dict[str, Any]
    time_limit: float = Field(10.0, gt=0, le=workflow.MAX_TIME_LIMIT)


class CellChange(BaseModel):
    employee: str
    day: int
    shift: str = ""


class Replan(BaseModel):
    employee: str | None = None
    first_day: int | None = None
    last_day: int | None = None
    demand: list[dict[str, Any]] | None = None
    from_day: int | None = None  # with demand: days before it stay as published


class RouteCreate(BaseModel):
    request: dict[str, Any]
    time_limit: float = Field(5.0, gt=0, le=workflow.MAX_TIME_LIMIT)


class RouteEvent(BaseModel):
    event: dict[str, Any]


def _roster_json(plan: RosterPlan, who: Principal) -> dict[str, Any]:
    return {
        "id": plan.id,
        "unit": plan.unit,
        "period_start": plan.period_start.isoformat(),
        "weeks": plan.weeks,
        "status": plan.status,
        "status_label": STATUS_LABELS.get(plan.status, plan.status),
        "approved_by": plan.approved_by_name,
        "approved_at": plan.approved_at.isoformat() if plan.approved_at else None,
        "published_version": plan.published_version,
        "conflict": plan.conflict,
        "error": plan.error,
        "proposal": plan.proposal if workflow.is_planner(who) else None,
        "published_roster": plan.published_roster,
    }


@api.get("/planning/rosters", summary="Roster plans of the caller's organisation")
def api_rosters(session: DbSession, who: Caller) -> list[dict[str, Any]]:
    """List roster plans (planners see all, others only published ones)."""
    return [
        {"id": p.id, "unit": p.unit, "status": p.status, "period_start": p.period_start.isoformat()}
        for p in workflow.list_rosters(session, who=who)
    ]


@api.post("/planning/rosters", status_code=202, summary="Create a roster proposal (queued solver job)")
def api_roster_create(request: Request, session: DbSession, who: Planner, body: RosterCreate) -> dict[str, Any]:
    """Store the input and queue the solver; poll the plan until its status is no longer "i_ko"."""
    plan, job = workflow.create_roster(session, who=who, data=body.input, time_limit=body.time_limit)
    session.commit()
    _wake(request)
    return {"id": plan.id, "job_id": job.id, "status": plan.status}


@api.get("/planning/rosters/{plan_id}", summary="One roster plan with its proposal and reports")
def api_roster(session: DbSession, who: Caller, plan_id: int) -> dict[str, Any]:
    """The plan, its proposal (planners) and the published roster (audited as a personal-data read)."""
    plan = workflow.get_roster(session, who=who, plan_id=plan_id)
    workflow.personal_data_read(session, who=who, plan=plan, via="api")
    return _roster_json(plan, who)


@api.post("/planning/rosters/{plan_id}/check", summary="Check a cell change against the hard rules")
def api_roster_check(session: DbSession, who: Planner, plan_id: int, body: CellChange) -> dict[str, Any]:
    """Swedish violations that the change would cause (empty list: allowed)."""
    problems = workflow.check_change(
        session, who=who, plan_id=plan_id, employee=body.employee, day=body.day, shift=body.shift
    )
    return {"ok": not problems, "violations": problems}


@api.post("/planning/rosters/{plan_id}/changes", summary="Change a cell (refused when it breaks a hard rule)")
def api_roster_change(session: DbSession, who: Planner, plan_id: int, body: CellChange) -> dict[str, Any]:
    """Save one changed assignment of the proposal."""
    plan = workflow.change_cell(
        session, who=who, plan_id=plan_id, employee=body.employee, day=body.day, shift=body.shift
    )
    return _roster_json(plan, who)


@api.get("/planning/rosters/{plan_id}/candidates", summary="Ranked replacements for an open shift")
def api_roster_candidates(
    session: DbSession, who: Planner, plan_id: int, day: int = Query(...), shift: str = Query(...), competence: str = ""
) -> list[dict[str, Any]]:
    """Staff who can take the shift without breaking a rule, best first."""
    return workflow.candidates(session, who=who, plan_id=plan_id, day=day, shift=shift, competence=competence)


@api.post("/planning/rosters/{plan_id}/approve", summary="Approve the proposal (planner; audited)")
def api_roster_approve(session: DbSession, who: Planner, plan_id: int) -> dict[str, Any]:
    """Approve as the calling planner."""
    return _roster_json(workflow.approve(session, who=who, plan_id=plan_id), who)


@api.post("/planning/rosters/{plan_id}/publish", summary="Publish an approved roster")
def api_roster_publish(session: DbSession, who: Planner, plan_id: int) -> dict[str, Any]:
    """Publish to the staff; the published roster is the basis for re-planning."""
    return _roster_json(workflow.publish(session, who=who, plan_id=plan_id), who)


@api.post("/planning/rosters/{plan_id}/replan", status_code=202, summary="Re-plan after sick leave or changed demand")
def api_roster_replan(request: Request, session: DbSession, who: Planner, plan_id: int, body: Replan) -> dict[str, Any]:
    """Queue a minimal repair of the published roster (pins and earlier days untouched)."""
    job = workflow.request_replan(
        session,
        who=who,
        plan_id=plan_id,
        employee=body.employee,
        first_day=body.first_day,
        last_day=body.last_day,
        demand=body.demand,
        from_day=body.from_day,
    )
    session.commit()
    _wake(request)
    return {"id": plan_id, "job_id": job.id, "status": PlanStatus.QUEUED.value}


@api.get("/planning/rosters/{plan_id}/export/{fmt}", summary="Export the roster as csv, xlsx or ics")
def api_roster_export(session: DbSession, who: Caller, plan_id: int, fmt: str, employee: str = ""):
    """Download the roster (ics: one employee with ?employee=, or everyone)."""
    return _attachment(workflow.export(session, who=who, plan_id=plan_id, fmt=fmt, employee=employee or None))


@api.post("/planning/routes", status_code=202, summary="Create a home-care day plan (queued job)")
def api_routes_create(request: Request, session: DbSession, who: Planner, body: RouteCreate) -> dict[str, Any]:
    """Store the day's request and queue the route planner."""
    plan, job = workflow.create_route_plan(session, who=who, request=body.request, time_limit=body.time_limit)
    session.commit()
    _wake(request)
    return {"id": plan.id, "job_id": job.id, "status": plan.status}


def _route_json(plan: RoutePlan, who: Principal) -> dict[str, Any]:
    planner = workflow.is_planner(who)
    return {
        "id": plan.id,
        "unit": plan.unit,
        "date": plan.date.isoformat(),
        "status": plan.status if planner else PlanStatus.PUBLISHED.value,
        "error": plan.error if planner else None,
        "approved_by": plan.approved_by_name,
        "approved_at": plan.approved_at.isoformat() if plan.approved_at else None,
        "published_version": plan.published_version,
        "published_at": plan.published_at.isoformat() if plan.published_at else None,
        "plan": workflow.shown_routes(plan, who),
    }


@api.get("/planning/routes", summary="Home-care day plans of the caller's organisation")
def api_route_list(session: DbSession, who: Caller) -> list[dict[str, Any]]:
    """List day plans (planners see all, others only published ones)."""
    return [
        {"id": p.id, "unit": p.unit, "date": p.date.isoformat(), "status": p.status, "version": p.published_version}
        for p in workflow.list_route_plans(session, who=who)
    ]


@api.get("/planning/routes/{route_id}", summary="One home-care day plan")
def api_routes(session: DbSession, who: Caller, route_id: int) -> dict[str, Any]:
    """The planned routes and unplanned visits with reasons (planners: the proposal; others: the published routes)."""
    plan = workflow.get_route_plan(session, who=who, route_id=route_id)
    workflow.personal_data_read(session, who=who, plan=plan, via="api")
    return _route_json(plan, who)


@api.post("/planning/routes/{route_id}/approve", summary="Approve the proposed routes (planner; audited)")
def api_routes_approve(session: DbSession, who: Planner, route_id: int) -> dict[str, Any]:
    """Approve as the calling planner."""
    return _route_json(workflow.approve_routes(session, who=who, route_id=route_id), who)


@api.post("/planning/routes/{route_id}/publish", summary="Publish approved routes to the staff (audited)")
def api_routes_publish(session: DbSession, who: Planner, route_id: int) -> dict[str, Any]:
    """Publish; staff see the published routes until a re-planned proposal is approved and published."""
    return _route_json(workflow.publish_routes(session, who=who, route_id=route_id), who)


@api.get("/planning/routes/{route_id}/export/{fmt}", summary="Export the day's routes as csv, xlsx or ics")
def api_routes_export(session: DbSession, who: Caller, route_id: int, fmt: str, staff: str = ""):
    """Download the routes (ics: one staff member with ?staff=, or everyone)."""
    return _attachment(workflow.export_routes(session, who=who, route_id=route_id, fmt=fmt, staff=staff or None))


@api.post("/planning/routes/{route_id}/replan", status_code=202, summary="Re-plan the day after an event")
def api_routes_replan(
    request: Request, session: DbSession, who: Planner, route_id: int, body: RouteEvent
) -> dict[str, Any]:
    """Event: {"type": "staff_ill", "at", "staff_id"} or {"type": "visit_added", "at", "visit"}."""
    job = workflow.request_route_replan(session, who=who, route_id=route_id, event=body.event)
    session.commit()
    _wake(request)
    return {"id": route_id, "job_id": job.id, "status": PlanStatus.QUEUED.value}
