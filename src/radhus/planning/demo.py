"""Demo content for Exempelkommun: a roster proposal for the example unit and a home-care day plan, both solved by
queued jobs with short time limits so that the demo starts quickly."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from radhus.core.auth import Role, User, principal_for
from radhus.planning import workflow
from radhus.planning.tables import RosterPlan, RoutePlan

ROSTER_SECONDS = 5.0
ROUTE_SECONDS = 2.0


def install_demo(session: Session, *, org_id: int, ctx: Any) -> None:
    """Queue the demo roster and day plan once (skipped when the organisation already has planning data)."""
    if session.scalar(select(RosterPlan.id).where(RosterPlan.org_id == org_id)) or session.scalar(
        select(RoutePlan.id).where(RoutePlan.org_id == org_id)
    ):
        return
    users = list(session.scalars(select(User).where(User.org_id == org_id).order_by(User.id)))
    planner = next((u for u in users if Role.EDITOR in u.role_set), None) or next(
        (u for u in users if Role.ADMIN in u.role_set), None
    )
    if planner is None:
        return
    who = principal_for(planner, via="demo")
    workflow.create_roster(session, who=who, data=workflow.example_input(), time_limit=ROSTER_SECONDS)
    workflow.create_route_plan(session, who=who, request=workflow.example_homecare(), time_limit=ROUTE_SECONDS)
    worker = getattr(ctx, "worker", None)
    if worker is not None:
        session.flush()
        worker.wake()
