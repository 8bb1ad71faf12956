"""Organisations (municipalities and regional federations) and their units."""

import re
from enum import StrEnum

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from radhus.core.db import Base, OrgScoped, Timestamps
from radhus.core.errors import Conflict, InvalidInput, NotFound


class OrgKind(StrEnum):
    KOMMUN = "kommun"
    FORBUND = "forbund"  # regional federation, e.g. Göteborgsregionen


class Organisation(Timestamps, Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default=OrgKind.KOMMUN)
    federation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), default=None)
    redact_then_send: Mapped[bool] = mapped_column(default=False)


class Unit(OrgScoped, Timestamps, Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def create_organisation(
    session: Session, *, slug: str, name: str, kind: OrgKind = OrgKind.KOMMUN, federation_slug: str | None = None
) -> Organisation:
    """Create an organisation; a federation member names its federation."""
    if not SLUG_PATTERN.match(slug):
        raise InvalidInput(
            f"Ogiltig organisationskod '{slug}': använd små bokstäver a–z, siffror och bindestreck (2–63 tecken)."
        )
    if session.scalar(select(Organisation).where(Organisation.slug == slug)):
        raise Conflict(f"Organisationen '{slug}' finns redan.")
    federation = get_organisation(session, slug=federation_slug) if federation_slug else None
    if federation is not None and federation.kind != OrgKind.FORBUND:
        raise InvalidInput(f"'{federation_slug}' är inte ett kommunalförbund.")
    org = Organisation(slug=slug, name=name, kind=kind, federation_id=federation.id if federation else None)
    session.add(org)
    session.flush()
    return org


def get_organisation(session: Session, *, slug: str) -> Organisation:
    """Look an organisation up by its code, with a Swedish error when it does not exist."""
    org = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        raise NotFound(f"Organisationen '{slug}' finns inte.")
    return org


def list_organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.slug)))


def federation_members(session: Session, *, federation_id: int) -> list[Organisation]:
    """The organisations that belong to a federation."""
    return list(session.scalars(select(Organisation).where(Organisation.federation_id == federation_id)))


def create_unit(session: Session, *, org_id: int, name: str) -> Unit:
    unit = Unit(org_id=org_id, name=name)
    session.add(unit)
    session.flush()
    return unit


def list_units(session: Session, *, org_id: int) -> list[Unit]:
    return list(session.scalars(select(Unit).where(Unit.org_id == org_id).order_by(Unit.name)))
