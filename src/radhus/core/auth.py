"""Users, roles, login sessions, API tokens and login throttling."""

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from radhus.core.db import Base, OrgScoped, Timestamps, UTCDateTime, utcnow
from radhus.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized


class Role(StrEnum):
    ADMIN = "administrator"
    EDITOR = "redaktor"
    STAFF = "medarbetare"
    REVIEWER = "granskare"
    AUDITOR = "revisor"

    @property
    def label_sv(self) -> str:
        return ROLE_LABELS_SV[self]


ROLE_LABELS_SV = {
    Role.ADMIN: "administratör",
    Role.EDITOR: "redaktör",
    Role.STAFF: "medarbetare",
    Role.REVIEWER: "granskare",
    Role.AUDITOR: "revisor",
}

TOKEN_SCOPES = ("read", "write")
_hasher = PasswordHasher()


class User(OrgScoped, Timestamps, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200), default=None)
    password_hash: Mapped[str | None] = mapped_column(Text, default=None)
    roles: Mapped[str] = mapped_column(String(200), default=Role.STAFF)  # comma-separated Role values
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), default=None)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), default=None, index=True)
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def role_set(self) -> set[Role]:
        return {Role(r) for r in self.roles.split(",") if r}


class LoginSession(Base):
    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ApiToken(OrgScoped, Timestamps, Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)


class LoginThrottle(Base):
    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user, through a session or an API token, with what roles and scopes."""

    user_id: int
    org_id: int
    username: str
    display_name: str
    roles: frozenset[Role]
    via: str = "session"  # session | token | cli
    scopes: frozenset[str] = field(default_factory=lambda: frozenset(TOKEN_SCOPES))

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles)) or Role.ADMIN in self.roles

    def require_role(self, *roles: Role) -> None:
        if not self.has_role(*roles):
            names = ", ".join(r.label_sv for r in roles)
            raise Forbidden(f"Det här kräver rollen {names}.")

    def require_scope(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"API-nyckeln saknar behörigheten '{scope}'.")


def principal_for(user: User, *, via: str = "session", scopes: frozenset[str] | None = None) -> Principal:
    return Principal(
        user_id=user.id,
        org_id=user.org_id,
        username=user.username,
        display_name=user.display_name,
        roles=frozenset(user.role_set),
        via=via,
        scopes=scopes if scopes is not None else frozenset(TOKEN_SCOPES),
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise InvalidInput("Lösenordet måste ha minst 10 tecken.")
    return _hasher.hash(password)


def parse_roles(roles: list[str] | str) -> list[Role]:
    """Parse role names (English codes or Swedish labels) with a Swedish error for unknown ones."""
    names = roles.split(",") if isinstance(roles, str) else roles
    by_label = {label: role for role, label in ROLE_LABELS_SV.items()}
    parsed = []
    for name in (n.strip() for n in names if n.strip()):
        role = by_label.get(name) or next((r for r in Role if r.value == name), None)
        if role is None:
            known = ", ".join(ROLE_LABELS_SV.values())
            raise InvalidInput(f"Okänd roll '{name}'. Kända roller: {known}.")
        parsed.append(role)
    return parsed


def create_user(
    session: Session,
    *,
    org_id: int,
    username: str,
    display_name: str,
    roles: list[Role],
    password: str | None = None,
    email: str | None = None,
    unit_id: int | None = None,
    oidc_subject: str | None = None,
) -> User:
    """Create a local (password) or single-sign-on user."""
    username = username.strip().lower()
    if not username:
        raise InvalidInput("Användarnamn saknas.")
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"Användaren '{username}' finns redan.")
    user = User(
        org_id=org_id,
        username=username,
        display_name=display_name,
        email=email,
        roles=",".join(r.value for r in roles),
        password_hash=hash_password(password) if password else None,
        unit_id=unit_id,
        oidc_subject=oidc_subject,
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, *, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    session.flush()


def authenticate(
    session: Session, *, username: str, password: str, client: str, max_failures: int, lockout_minutes: float
) -> User:
    """Check a password login, pausing logins for a user name and address after repeated failures."""
    username = username.strip().lower()
    throttle = session.get(LoginThrottle, f"{username}|{client}")
    now = utcnow()
    if throttle and throttle.locked_until and throttle.locked_until > now:
        minutes = max(1, int((throttle.locked_until - now).total_seconds() // 60) + 1)
        raise Unauthorized(f"För många misslyckade inloggningar. Försök igen om {minutes} minuter.", status_code=429)
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None or not _password_matches(user, password):
        _record_failure(session, key=f"{username}|{client}", max_failures=max_failures, minutes=lockout_minutes)
        raise Unauthorized("Fel användarnamn eller lösenord.")
    if throttle:
        session.delete(throttle)
    if user.password_hash and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.flush()
    return user


def _password_matches(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _record_failure(session: Session, *, key: str, max_failures: int, minutes: float) -> None:
    throttle = session.get(LoginThrottle, key) or LoginThrottle(key=key, failures=0)
    throttle.failures += 1
    if throttle.failures >= max_failures:
        throttle.locked_until = utcnow() + dt.timedelta(minutes=minutes)
        throttle.failures = 0
    session.add(throttle)
    session.flush()


def start_session(session: Session, *, user: User, hours: float) -> tuple[str, LoginSession]:
    """Open a login session; returns the cookie value (shown once) and the stored session."""
    token = secrets.token_urlsafe(32)
    login = LoginSession(
        token_hash=_digest(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(24),
        expires_at=utcnow() + dt.timedelta(hours=hours),
    )
    session.add(login)
    session.flush()
    return token, login


def resolve_session(session: Session, *, token: str, hours: float) -> tuple[User, LoginSession]:
    """The user behind a session cookie; slides the expiry forward."""
    login = session.scalar(select(LoginSession).where(LoginSession.token_hash == _digest(token)))
    if login is None:
        raise Unauthorized("Du är inte inloggad.")
    if login.expires_at <= utcnow():
        session.delete(login)
        session.flush()
        raise Unauthorized("Din session har gått ut. Logga in igen.")
    user = session.get(User, login.user_id)
    if user is None or not user.active:
        raise Unauthorized("Kontot är inte aktivt.")
    login.expires_at = utcnow() + dt.timedelta(hours=hours)
    return user, login


def end_session(session: Session, *, token: str) -> None:
    login = session.scalar(select(LoginSession).where(LoginSession.token_hash == _digest(token)))
    if login is not None:
        session.delete(login)
        session.flush()


TOKEN_PREFIX = "rdh_"


def create_api_token(
    session: Session, *, user: User, name: str, scopes: list[str], days: int, max_days: int
) -> tuple[str, ApiToken]:
    """Create an API token; the plain token is returned once and only its hash is stored."""
    unknown = [s for s in scopes if s not in TOKEN_SCOPES]
    if unknown or not scopes:
        raise InvalidInput(
            f"Ogiltig behörighet för API-nyckel: {', '.join(unknown) or 'ingen angiven'}. "
            f"Välj bland: {', '.join(TOKEN_SCOPES)}."
        )
    if not 1 <= days <= max_days:
        raise InvalidInput(f"En API-nyckel kan gälla 1–{max_days} dagar.")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        org_id=user.org_id,
        user_id=user.id,
        name=name.strip() or "API-nyckel",
        prefix=plain[:10],
        token_hash=_digest(plain),
        scopes=",".join(sorted(set(scopes))),
        expires_at=utcnow() + dt.timedelta(days=days),
    )
    session.add(token)
    session.flush()
    return plain, token


def resolve_api_token(session: Session, *, token: str) -> Principal:
    """The principal behind a bearer token, refusing malformed, unknown, expired and revoked ones."""
    if not token.startswith(TOKEN_PREFIX) or len(token) < 20:
        raise Unauthorized("Ogiltig API-nyckel.")
    stored = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if stored is None:
        raise Unauthorized("Ogiltig API-nyckel.")
    if stored.revoked_at is not None:
        raise Unauthorized("API-nyckeln är återkallad.")
    if stored.expires_at <= utcnow():
        raise Unauthorized("API-nyckeln har gått ut.")
    user = session.get(User, stored.user_id)
    if user is None or not user.active:
        raise Unauthorized("Kontot bakom API-nyckeln är inte aktivt.")
    stored.last_used_at = utcnow()
    return principal_for(user, via="token", scopes=frozenset(stored.scopes.split(",")))


def list_api_tokens(session: Session, *, user_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)))


def revoke_api_token(session: Session, *, principal: Principal, token_id: int) -> ApiToken:
    """Revoke one of the caller's tokens (an administrator may revoke any in the organisation)."""
    token = session.get(ApiToken, token_id)
    if token is None or token.org_id != principal.org_id:
        raise NotFound("API-nyckeln finns inte.")
    if token.user_id != principal.user_id and Role.ADMIN not in principal.roles:
        raise NotFound("API-nyckeln finns inte.")
    token.revoked_at = token.revoked_at or utcnow()
    session.flush()
    return token


def list_users(session: Session, *, org_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.org_id == org_id).order_by(User.username)))


def get_user_in_org(session: Session, *, org_id: int, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.org_id != org_id:
        raise NotFound("Användaren finns inte.")
    return user
