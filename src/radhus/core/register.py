"""The AI register: every AI function of the platform, its purpose, risk class and oversight."""

from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from radhus.core.db import Base, OrgScoped, Timestamps
from radhus.core.errors import InvalidInput, NotFound


class RiskClass(StrEnum):
    """EU AI Act risk classes (Regulation (EU) 2024/1689)."""

    MINIMAL = "minimal"
    LIMITED = "begransad"  # transparency obligations (art. 50), e.g. chatbots
    HIGH = "hog"  # annex III, e.g. access to essential public services
    PROHIBITED = "forbjuden"


@dataclass(frozen=True)
class AIFunctionSpec:
    """A platform AI function as shipped; organisations register it with their own owner and status."""

    key: str  # e.g. "knowledge.answer"
    name_sv: str
    purpose_sv: str
    risk_class: RiskClass
    oversight_sv: str  # how a person oversees it
    data_sources_sv: str
    default_public: bool = True
    capabilities: tuple[str, ...] = field(default_factory=tuple)  # provider capabilities it uses


class FunctionStatus(StrEnum):
    PLANNED = "planerad"
    PILOT = "pilot"
    ACTIVE = "i_drift"
    RETIRED = "avvecklad"


class RegisteredFunction(OrgScoped, Timestamps, Base):
    """One AI function as an organisation uses it: its owner, provider, status and visibility."""

    __tablename__ = "ai_register"
    __table_args__ = (UniqueConstraint("org_id", "key", name="uq_ai_register_org_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200), default="")
    data_sources: Mapped[str] = mapped_column(Text, default="")
    provider_model: Mapped[str] = mapped_column(String(300), default="inbyggd standard (ingen modell)")
    risk_class: Mapped[str] = mapped_column(String(20))
    oversight: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=FunctionStatus.ACTIVE)
    public: Mapped[bool] = mapped_column(default=True)


def sync_register(session: Session, *, org_id: int, specs: list[AIFunctionSpec], owner: str) -> int:
    """Add the platform's AI functions that the organisation's register lacks; returns how many were added."""
    existing = {r.key for r in session.scalars(select(RegisteredFunction).where(RegisteredFunction.org_id == org_id))}
    added = 0
    for spec in specs:
        if spec.key in existing:
            continue
        session.add(
            RegisteredFunction(
                org_id=org_id,
                key=spec.key,
                name=spec.name_sv,
                purpose=spec.purpose_sv,
                owner=owner,
                data_sources=spec.data_sources_sv,
                risk_class=spec.risk_class,
                oversight=spec.oversight_sv,
                public=spec.default_public,
            )
        )
        added += 1
    session.flush()
    return added


def list_register(session: Session, *, org_id: int, public_only: bool = False) -> list[RegisteredFunction]:
    stmt = select(RegisteredFunction).where(RegisteredFunction.org_id == org_id)
    if public_only:
        stmt = stmt.where(RegisteredFunction.public.is_(True), RegisteredFunction.status != FunctionStatus.RETIRED)
    return list(session.scalars(stmt.order_by(RegisteredFunction.name)))


EDITABLE_FIELDS = {"owner", "data_sources", "provider_model", "status", "public", "oversight", "purpose"}


def update_function(session: Session, *, org_id: int, function_id: int, changes: dict) -> RegisteredFunction:
    """Change an entry of the organisation's register (administrators only; the caller audits it)."""
    entry = session.get(RegisteredFunction, function_id)
    if entry is None or entry.org_id != org_id:
        raise NotFound("Funktionen finns inte i AI-registret.")
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise InvalidInput(f"Fälten {', '.join(sorted(unknown))} kan inte ändras.")
    if "status" in changes and changes["status"] not in {s.value for s in FunctionStatus}:
        raise InvalidInput(f"Okänd status '{changes['status']}'.")
    for name, value in changes.items():
        setattr(entry, name, value)
    session.flush()
    return entry
