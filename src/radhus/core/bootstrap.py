"""Setting up an installation: database, first organisation, administrator, demo users."""

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from radhus.core import audit, orgs, register
from radhus.core.audit import AuditKind
from radhus.core.auth import Role, User, create_user
from radhus.core.orgs import Organisation

DEFAULT_ORG_SLUG = "exempelkommun"
DEMO_USERS = [
    ("redaktor", "Rasmus Redaktör", [Role.EDITOR, Role.STAFF]),
    ("medarbetare", "Maja Medarbetare", [Role.STAFF]),
    ("granskare", "Greta Granskare", [Role.REVIEWER, Role.STAFF]),
    ("revisor", "Rolf Revisor", [Role.AUDITOR]),
]


@dataclass
class InitResult:
    org: Organisation
    admin: User
    created_org: bool
    admin_password: str | None  # set only when a password was generated now and must be shown once


def org_display_name(slug: str) -> str:
    return slug.replace("-", " ").title()


def init_installation(
    session: Session, *, org_slug: str, org_name: str | None, admin_password: str, specs: list[register.AIFunctionSpec]
) -> InitResult:
    """Create the organisation and its administrator when missing; safe to run again."""
    org = session.scalar(select(Organisation).where(Organisation.slug == org_slug))
    created_org = org is None
    if org is None:
        org = orgs.create_organisation(session, slug=org_slug, name=org_name or org_display_name(org_slug))
        audit.append(
            session, kind=AuditKind.ADMIN_CHANGE, action="org.create", org_id=org.id, detail={"slug": org_slug}
        )
    username = f"admin@{org_slug}"
    admin = session.scalar(select(User).where(User.username == username))
    generated = None
    if admin is None:
        password = admin_password or secrets.token_urlsafe(12)
        generated = None if admin_password else password
        admin = create_user(
            session,
            org_id=org.id,
            username=username,
            display_name="Administratör",
            roles=[Role.ADMIN],
            password=password,
        )
        audit.append(
            session,
            kind=AuditKind.ADMIN_CHANGE,
            action="user.create",
            org_id=org.id,
            detail={"username": username, "roles": [Role.ADMIN.value]},
        )
    register.sync_register(session, org_id=org.id, specs=specs, owner=_register_owner(org))
    return InitResult(org=org, admin=admin, created_org=created_org, admin_password=generated)


def sync_all_registers(session: Session, *, specs: list[register.AIFunctionSpec]) -> int:
    """Add AI functions that a newer release brought to every organisation's register; returns how many."""
    return sum(
        register.sync_register(session, org_id=org.id, specs=specs, owner=_register_owner(org))
        for org in session.scalars(select(Organisation))
    )


def _register_owner(org: Organisation) -> str:
    return f"{org.name}, förvaltningen för digitalisering"


def ensure_demo_users(session: Session, *, org: Organisation, password: str) -> list[tuple[str, str]]:
    """One demo user per role; returns (username, roles) for the login list."""
    logins = []
    for name, display_name, roles in DEMO_USERS:
        username = f"{name}@{org.slug}"
        if session.scalar(select(User).where(User.username == username)) is None:
            create_user(
                session, org_id=org.id, username=username, display_name=display_name, roles=roles, password=password
            )
        logins.append((username, ", ".join(r.label_sv for r in roles)))
    return logins
