"""Background jobs of the planning domain: roster proposals, roster repair, home-care day plans and re-plans."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from radhus.core.auth import User
from radhus.core.errors import InvalidInput, RadhusError
from radhus.core.jobs import JobContext, PermanentJobError
from radhus.planning import workflow
from radhus.planning.models import Absence, load_roster_input
from radhus.planning.tables import PlanStatus, RosterPlan, RoutePlan


def _roster_plan(session: Session, job: JobContext) -> RosterPlan:
    plan = session.get(RosterPlan, job.payload.get("plan_id"))
    if plan is None or plan.org_id != job.org_id:
        raise PermanentJobError("Schemat finns inte längre.")
    return plan


def _route_plan(session: Session, job: JobContext) -> RoutePlan:
    plan = session.get(RoutePlan, job.payload.get("route_id"))
    if plan is None or plan.org_id != job.org_id:
        raise PermanentJobError("Dagsplanen finns inte längre.")
    return plan


def _who(session: Session, job: JobContext) -> tuple[int | None, str | None]:
    user = session.get(User, job.payload.get("user_id")) if job.payload.get("user_id") else None
    if user is None or user.org_id != job.org_id:
        return None, None
    return user.id, user.username


def _failed(job: JobContext, model: type[RosterPlan] | type[RoutePlan], row_id: int, message: str) -> None:
    with job.session_factory() as session:
        row = session.get(RosterPlan, row_id) if model is RosterPlan else session.get(RoutePlan, row_id)
        if row is not None:
            row.status, row.error = PlanStatus.FAILED.value, message
            session.commit()


def _solve_roster(job: JobContext, *, repair: bool) -> dict | None:
    from radhus.planning.replan import repair_roster
    from radhus.planning.roster import solve_roster

    with job.session_factory() as session:
        plan = _roster_plan(session, job)
        plan_id, data, time_limit = plan.id, dict(plan.input), plan.time_limit
        published = plan.published_roster
        if repair and not published:
            raise PermanentJobError("Schemat är inte publicerat och kan därför inte planeras om.")
        plan.status, plan.error = PlanStatus.QUEUED.value, None
        session.commit()
    workers = int(job.payload.get("workers") or 2)
    absence = job.payload.get("absence")
    try:
        if repair and job.payload.get("demand") is not None:
            data["demand"] = job.payload["demand"]
        inp = load_roster_input(data)
        job.progress(0.1, "Bygger modellen med arbetstidsreglerna")
        if repair:
            assert published is not None
            result = repair_roster(
                inp=inp,
                published=published,
                new_absences=[Absence(**absence)] if absence else [],
                frozen_days=absence["first_day"] if absence else int(job.payload.get("from_day") or 0),
                time_limit=time_limit,
                workers=workers,
            )
        else:
            result = solve_roster(inp, time_limit=time_limit, workers=workers)
    except InvalidInput as exc:
        conflict = (exc.detail or {}).get("conflict")
        with job.session_factory() as session:
            plan = _roster_plan(session, job)
            if conflict:  # infeasible hard rules: a finished job with the smallest conflicting set
                plan.status, plan.conflict, plan.error = PlanStatus.INFEASIBLE.value, conflict, exc.message
                session.commit()
                return {"plan_id": plan_id, "conflict": conflict}
            plan.status, plan.error = PlanStatus.FAILED.value, exc.message
            session.commit()
        raise PermanentJobError(exc.message) from exc
    except RadhusError as exc:
        _failed(job, RosterPlan, plan_id, exc.message)
        raise PermanentJobError(exc.message) from exc
    job.progress(0.9, "Sparar förslaget med rapporter och förklaringar")
    with job.session_factory() as session:
        plan = _roster_plan(session, job)
        if repair:
            stored = load_roster_input(plan.input).model_dump(mode="json")
            if absence:
                stored["absences"] = [*stored.get("absences", []), Absence(**absence).model_dump(mode="json")]
            if job.payload.get("demand") is not None:
                stored["demand"] = job.payload["demand"]
            plan.input = stored
        plan.proposal = result.to_dict(inp)
        plan.conflict = None
        plan.status = PlanStatus.DRAFT.value
        plan.method = "cp-sat"
        plan.approved_by, plan.approved_by_name, plan.approved_at = None, None, None
        user_id, username = _who(session, job)
        summary = (
            f"Omplanerat schema för {plan.unit}: {result.changes} ändrade pass."
            if repair
            else f"Schemaförslag för {plan.unit}: {result.status}, önskemål uppfyllda {result.wishes_granted_pct} %."
        )
        workflow.ai_output(
            session,
            org_id=job.org_id,
            user_id=user_id,
            username=username,
            function="planning.roster_proposal",
            model="cp-sat",
            action="planning.roster.repair" if repair else "planning.roster.solve",
            summary=summary,
            detail={"plan_id": plan_id, "objective": result.objective, "changes": result.changes},
        )
        session.commit()
    return {"plan_id": plan_id, "status": result.status, "changes": result.changes}


def _plan_routes(job: JobContext, *, replan: bool) -> dict | None:
    from radhus.planning.homecare import plan_day, replan_day

    with job.session_factory() as session:
        row = _route_plan(session, job)
        route_id, request, previous, time_limit = row.id, dict(row.request), row.plan, row.time_limit
    event = job.payload.get("event") or {}
    job.progress(0.1, "Beräknar restider och rutter")
    try:
        if replan:
            if not previous:
                raise PermanentJobError("Dagsplanen har inga rutter att planera om.")
            plan = replan_day(request=request, previous=previous, event=event, time_limit=time_limit)
        else:
            plan = plan_day(request=request, time_limit=time_limit)
    except RadhusError as exc:
        _failed(job, RoutePlan, route_id, exc.message)
        raise PermanentJobError(exc.message) from exc
    with job.session_factory() as session:
        row = _route_plan(session, job)
        if replan:
            if event.get("type") == "visit_added":
                row.request = {**request, "visits": [*request.get("visits", []), event["visit"]]}
            plan["event"] = event
        row.plan, row.status, row.error = plan, PlanStatus.DRAFT.value, None
        row.approved_by, row.approved_by_name, row.approved_at = None, None, None  # a new proposal: decide again
        user_id, username = _who(session, job)
        figures = plan.get("figures", {})
        summary = (
            f"Ruttförslag {row.date.isoformat()}: {figures.get('visits_planned', 0)} besök planerade, "
            f"{len(plan.get('unplanned', []))} ej planerade."
        )
        workflow.ai_output(
            session,
            org_id=job.org_id,
            user_id=user_id,
            username=username,
            function="planning.homecare_routes",
            model="lns",
            action="planning.routes.replan" if replan else "planning.routes.plan",
            summary=summary,
            detail={"route_id": route_id, "unplanned": len(plan.get("unplanned", []))},
        )
        session.commit()
    return {"route_id": route_id, "unplanned": len(plan.get("unplanned", []))}


def handlers(ctx: Any) -> dict[str, Callable[[JobContext], dict | None]]:
    """Job handlers of the planning domain."""
    return {
        "planning.roster": lambda job: _solve_roster(job, repair=False),
        "planning.roster_replan": lambda job: _solve_roster(job, repair=True),
        "planning.routes": lambda job: _plan_routes(job, replan=False),
        "planning.routes_replan": lambda job: _plan_routes(job, replan=True),
    }
