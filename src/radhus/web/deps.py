"""Request plumbing shared by every domain's routes: database session, who is asking, CSRF, templates."""

import hmac
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import jinja2
from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker

from radhus.core import auth
from radhus.core.auth import Principal, Role
from radhus.core.errors import Forbidden, Unauthorized
from radhus.core.jobs import Handler, Worker
from radhus.settings import Settings
from radhus.web import i18n

if TYPE_CHECKING:
    from radhus.providers.routing import ProviderHub

SESSION_COOKIE = "radhus_session"
CSRF_COOKIE = "radhus_csrf"
LANG_COOKIE = "radhus_lang"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
TEMPLATE_DIR = Path(__file__).parent / "templates"


@dataclass
class AppContext:
    """Everything a request may need, created once per app (no module-level state)."""

    settings: Settings
    session_factory: sessionmaker[Session]
    job_handlers: dict[str, Handler] = field(default_factory=dict)
    worker: Worker | None = None
    services: dict[str, Any] = field(default_factory=dict)

    def provider_hub(self, session: Session, who: Principal) -> "ProviderHub":
        """A provider hub for one caller: their organisation's policy, every call written to the audit chain."""
        from radhus.core.audit import ai_call_recorder
        from radhus.core.orgs import Organisation
        from radhus.providers.routing import OrgPolicy, ProviderHub

        # The hub audits each call in its own transaction (so refusals survive a failed request); commit the
        # request's work first so that no write lock of this session blocks that audit write.
        session.commit()
        org = session.get(Organisation, who.org_id)
        policy = OrgPolicy(redact_then_send=bool(org and org.redact_then_send))
        recorder = ai_call_recorder(self.session_factory, org_id=who.org_id, user_id=who.user_id, username=who.username)
        return ProviderHub(
            self.settings.providers_config(),
            audit=recorder,
            policy=policy,
            user=who.username,
            org=org.slug if org else None,
        )


def make_templates() -> Jinja2Templates:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True, extensions=["jinja2.ext.i18n"]
    )
    templates = Jinja2Templates(env=environment)
    templates.env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    templates.env.globals["LANGUAGES"] = i18n.LANGUAGES
    return templates


templates = make_templates()


def context(request: Request) -> AppContext:
    return request.app.state.ctx


def db(request: Request) -> Iterator[Session]:
    """A session per request: committed when the handler succeeds, rolled back on any error."""
    session = context(request).session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# Scope "function": the request's work is committed before the response is sent, so the client's next request
# (e.g. the page after a login) always sees it. FastAPI's default would commit only after sending.
DbSession = Annotated[Session, Depends(db, scope="function")]


async def optional_principal(request: Request, session: DbSession) -> Principal | None:
    """The caller from a bearer token or the session cookie, or None when anonymous."""
    settings = context(request).settings
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("Felaktigt Authorization-huvud: använd 'Bearer <API-nyckel>'.")
        principal = auth.resolve_api_token(session, token=token.strip())
        needed = "read" if request.method in SAFE_METHODS else "write"
        principal.require_scope(needed)
        request.state.principal = principal
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    user, login = auth.resolve_session(session, token=cookie, hours=settings.session_hours)
    request.state.csrf_token = login.csrf_token
    if request.method not in SAFE_METHODS:
        await check_csrf(request, login.csrf_token)
    request.state.principal = auth.principal_for(user)
    return request.state.principal


async def check_csrf(request: Request, expected: str) -> None:
    """Cookie-authenticated changes must echo the session's CSRF token (header or form field)."""
    sent = request.headers.get("x-csrf-token", "")
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = str((await request.form()).get("csrf_token", ""))
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden("Formuläret har gått ut eller saknar säkerhetstoken (CSRF). Ladda om sidan och försök igen.")


def principal(current: Principal | None = Depends(optional_principal)) -> Principal:
    """The caller; 401 when nobody is logged in."""
    if current is None:
        raise Unauthorized("Inloggning krävs.")
    return current


def role_required(*roles: Role):  # type: ignore[no-untyped-def]
    """Dependency factory: the caller must hold one of the roles (administrators always pass)."""

    def check(current: Principal = Depends(principal)) -> Principal:
        current.require_role(*roles)
        return current

    return check


def render(request: Request, template: str, status_code: int = 200, **values: Any):  # type: ignore[no-untyped-def]
    """Render a page with the common values every layout needs."""
    values.setdefault("user", getattr(request.state, "principal", None))
    values.setdefault("csrf_token", getattr(request.state, "csrf_token", ""))
    values["lang"] = i18n.current_language.get()
    return templates.TemplateResponse(request, template, values, status_code=status_code)
