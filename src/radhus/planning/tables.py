"""Database tables of the planning domain: roster plans (input, proposal, approval, publication) and route plans."""

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from radhus.core.db import Base, OrgScoped, Timestamps, UTCDateTime, utcnow


class PlanStatus(StrEnum):
    """Where a plan is: queued for solving, solved as a draft, infeasible/failed, approved or published; a roster
    whose input was changed (or copied) in the browser is not computed until the planner asks for a proposal."""

    NOT_COMPUTED = "ej_beraknad"
    QUEUED = "i_ko"
    DRAFT = "utkast"
    INFEASIBLE = "olosbart"
    FAILED = "misslyckades"
    APPROVED = "godkand"
    PUBLISHED = "publicerad"

    @property
    def label_sv(self) -> str:
        return STATUS_LABELS[self.value]


STATUS_LABELS = {
    "ej_beraknad": "ej beräknat",
    "i_ko": "beräknas",
    "utkast": "förslag",
    "olosbart": "reglerna går inte ihop",
    "misslyckades": "misslyckades",
    "godkand": "godkänt",
    "publicerad": "publicerat",
}


class RosterPlan(OrgScoped, Timestamps, Base):
    """A unit roster: its input, the solver's proposal, manual changes, approval and publication."""

    __tablename__ = "planning_rosters"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit: Mapped[str] = mapped_column(String(300))
    period_start: Mapped[dt.date] = mapped_column(Date)
    weeks: Mapped[int] = mapped_column(Integer, default=4)
    time_limit: Mapped[float] = mapped_column(default=10.0)
    input: Mapped[dict[str, Any]] = mapped_column(JSON)  # RosterInput.model_dump(mode="json")
    proposal: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)  # RosterResult.to_dict()
    conflict: Mapped[list[str] | None] = mapped_column(JSON, default=None)  # smallest conflicting set
    error: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[str] = mapped_column(String(20), default=PlanStatus.QUEUED.value, index=True)
    method: Mapped[str] = mapped_column(String(20), default="cp-sat")
    manual_changes: Mapped[int] = mapped_column(Integer, default=0)
    created_by_name: Mapped[str] = mapped_column(String(200), default="")
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    approved_by_name: Mapped[str | None] = mapped_column(String(200), default=None)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    published_version: Mapped[int] = mapped_column(Integer, default=0)  # bumped at every publication
    published_roster: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)  # basis for re-planning
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class RoutePlan(OrgScoped, Timestamps, Base):
    """A home-care day plan: the request (staff, visits, travel), the proposed routes, approval and publication."""

    __tablename__ = "planning_routes"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit: Mapped[str] = mapped_column(String(300), default="")
    date: Mapped[dt.date] = mapped_column(Date)
    time_limit: Mapped[float] = mapped_column(default=5.0)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[str] = mapped_column(String(20), default=PlanStatus.QUEUED.value, index=True)
    created_by_name: Mapped[str] = mapped_column(String(200), default="")
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    approved_by_name: Mapped[str | None] = mapped_column(String(200), default=None)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    published_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # bumped per publication
    published_plan: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)  # what the staff see
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
