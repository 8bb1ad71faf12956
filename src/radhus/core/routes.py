"""Core pages and API: login, account and API tokens, users, audit log, AI register, jobs, transparency."""

import datetime as dt
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from radhus.core import audit, auth, jobs, oidc, orgs, register
from radhus.core.audit import AuditFilter, AuditKind
from radhus.core.auth import Principal, Role
from radhus.core.errors import Forbidden, InvalidInput, Unauthorized
from radhus.web import i18n
from radhus.web.deps import (
    CSRF_COOKIE,
    LANG_COOKIE,
    SESSION_COOKIE,
    DbSession,
    context,
    optional_principal,
    principal,
    render,
    role_required,
)

router = APIRouter()
api = APIRouter(prefix="/api/v1")

Caller = Annotated[Principal, Depends(principal)]
Admin = Annotated[Principal, Depends(role_required(Role.ADMIN))]
Auditor = Annotated[Principal, Depends(role_required(Role.AUDITOR))]


def admin_change(session: Session, who: Principal, action: str, detail: dict) -> None:
    """Audit an administrative change made by `who`."""
    audit.append(
        session,
        kind=AuditKind.ADMIN_CHANGE,
        action=action,
        org_id=who.org_id,
        user_id=who.user_id,
        username=who.username,
        detail=detail,
    )


# --- pages: login, language, home ----------------------------------------------------------------------


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str = "/", error: str | None = None):  # noqa: A002
    """Login page (user name and password, or organisation account)."""
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(request, "core/login.html", csrf_token=token, next=_safe_next(next), error=error, oidc_org="")
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="strict", secure=context(request).settings.secure_cookies
    )
    return response


def _safe_next(target: str) -> str:
    """Only same-site paths may be redirected to after login."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.post("/login", include_in_schema=False)
def login_submit(
    request: Request,
    session: DbSession,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",  # noqa: A002
):
    """Check the login form and start a session."""
    settings = context(request).settings
    if not csrf_token or csrf_token != request.cookies.get(CSRF_COOKIE):
        return RedirectResponse(f"/login?error=csrf&next={quote(_safe_next(next))}", status_code=303)
    client = request.client.host if request.client else "okänd"
    try:
        user = auth.authenticate(
            session,
            username=username,
            password=password,
            client=client,
            max_failures=settings.login_max_failures,
            lockout_minutes=settings.login_lockout_minutes,
        )
    except Unauthorized as exc:
        session.commit()  # keep the failure count
        code = "locked" if exc.status_code == 429 else "credentials"
        return RedirectResponse(f"/login?error={code}&next={quote(_safe_next(next))}", status_code=303)
    return _logged_in(request, session, user, _safe_next(next), method="lösenord")


def _logged_in(request: Request, session: Session, user: auth.User, target: str, *, method: str) -> Response:
    settings = context(request).settings
    token, _ = auth.start_session(session, user=user, hours=settings.session_hours)
    audit.append(
        session,
        kind=AuditKind.AUTH,
        action="login",
        org_id=user.org_id,
        user_id=user.id,
        username=user.username,
        detail={"method": method},
    )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=settings.secure_cookies)
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, session: DbSession, who: Caller):
    """End the session."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        auth.end_session(session, token=cookie)
    audit.append(
        session, kind=AuditKind.AUTH, action="logout", org_id=who.org_id, user_id=who.user_id, username=who.username
    )
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/login/oidc", include_in_schema=False)
def oidc_pick(org: str = ""):
    """Go to the organisation's single sign-on."""
    return RedirectResponse(f"/login/oidc/{quote(org.strip().lower())}" if org.strip() else "/login", status_code=303)


@router.get("/login/oidc/{org_slug}", include_in_schema=False)
def oidc_start(request: Request, session: DbSession, org_slug: str):
    """Start sign-in with the organisation's OIDC provider."""
    org = orgs.get_organisation(session, slug=org_slug)
    provider = oidc.provider_for(session, org_id=org.id)
    start = oidc.begin_login(provider, redirect_uri=_oidc_redirect(request))
    response = RedirectResponse(start.redirect_url, status_code=303)
    value = request.app.state.signer.dumps([org.id, start.state, start.nonce, start.verifier])
    response.set_cookie(
        "radhus_oidc",
        value,
        httponly=True,
        samesite="lax",
        max_age=600,
        secure=context(request).settings.secure_cookies,
    )
    return response


def _oidc_redirect(request: Request) -> str:
    return str(request.url_for("oidc_callback"))


@router.get("/login/oidc-callback", name="oidc_callback", include_in_schema=False)
def oidc_callback(request: Request, session: DbSession, code: str = "", state: str = ""):
    """Return from the OIDC provider: verify and start a session."""
    try:
        org_id, expected_state, nonce, verifier = request.app.state.signer.loads(
            request.cookies.get("radhus_oidc", ""), max_age=600
        )
    except Exception as exc:
        raise Unauthorized("Inloggningen via organisationskonto har gått ut. Börja om.") from exc
    if not code or not secrets.compare_digest(state.encode(), expected_state.encode()):
        raise Unauthorized("Inloggningssvaret stämmer inte med denna inloggning (state).")
    provider = oidc.provider_for(session, org_id=org_id)
    user = oidc.finish_login(
        session, provider, code=code, redirect_uri=_oidc_redirect(request), nonce=nonce, verifier=verifier
    )
    response = _logged_in(request, session, user, "/", method="oidc")
    response.delete_cookie("radhus_oidc")
    return response


@router.get("/sprak/{code}", include_in_schema=False)
def switch_language(request: Request, code: str, next: str = "/"):  # noqa: A002
    """Switch the interface language (sv/en) and return."""
    if code not in i18n.LANGUAGES:
        raise InvalidInput(f"Okänt språk '{code}'.")
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(LANG_COOKIE, code, samesite="lax", max_age=365 * 24 * 3600)
    return response


@router.get("/", include_in_schema=False)
def home(request: Request, session: DbSession, who: Annotated[Principal | None, Depends(optional_principal)]):
    """Start page with the functions the user may use."""
    if who is None:
        return RedirectResponse("/login", status_code=303)
    org = session.get(orgs.Organisation, who.org_id)
    return render(request, "core/home.html", org=org, sections=request.app.state.nav_sections)


# --- account and API tokens ----------------------------------------------------------------------------


class TokenRequest(BaseModel):
    name: str = Field(description="What the token is for.")
    scopes: list[str] = Field(default=["read"], description="read and/or write")
    days: int = Field(default=90, description="Lifetime in days.")


def _token_json(token: auth.ApiToken) -> dict:
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "scopes": token.scopes.split(","),
        "expires_at": token.expires_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


@router.get("/konto", include_in_schema=False)
def account_page(request: Request, session: DbSession, who: Caller, new_token: str | None = None):
    """My account: roles and API tokens."""
    tokens = auth.list_api_tokens(session, user_id=who.user_id)
    return render(
        request,
        "core/account.html",
        tokens=tokens,
        new_token=new_token,
        now=dt.datetime.now(dt.UTC),
        roles=[r.label_sv for r in who.roles],
    )


@router.post("/konto/nycklar", include_in_schema=False)
def account_create_token(
    request: Request,
    session: DbSession,
    who: Caller,
    name: Annotated[str, Form()],
    days: Annotated[int, Form()] = 90,
    scope_write: Annotated[bool, Form()] = False,
):
    """Create an API token (shown once)."""
    user = auth.get_user_in_org(session, org_id=who.org_id, user_id=who.user_id)
    scopes = ["read", "write"] if scope_write else ["read"]
    plain, token = auth.create_api_token(
        session, user=user, name=name, scopes=scopes, days=days, max_days=context(request).settings.token_max_days
    )
    admin_change(session, who, "token.create", {"token_id": token.id, "scopes": scopes})
    tokens = auth.list_api_tokens(session, user_id=who.user_id)
    return render(
        request,
        "core/account.html",
        tokens=tokens,
        new_token=plain,
        now=dt.datetime.now(dt.UTC),
        roles=[r.label_sv for r in who.roles],
    )


@router.post("/konto/nycklar/{token_id}/aterkalla", include_in_schema=False)
def account_revoke_token(session: DbSession, who: Caller, token_id: int):
    """Revoke one of my API tokens."""
    auth.revoke_api_token(session, principal=who, token_id=token_id)
    admin_change(session, who, "token.revoke", {"token_id": token_id})
    return RedirectResponse("/konto", status_code=303)


@api.get("/me", summary="The caller")
def api_me(session: DbSession, who: Caller) -> dict:
    org = session.get(orgs.Organisation, who.org_id)
    assert org is not None
    return {
        "username": who.username,
        "display_name": who.display_name,
        "roles": sorted(who.roles),
        "organisation": {"slug": org.slug, "name": org.name},
        "via": who.via,
    }


@api.get("/tokens", summary="The caller's API tokens")
def api_tokens(session: DbSession, who: Caller) -> list[dict]:
    return [_token_json(t) for t in auth.list_api_tokens(session, user_id=who.user_id)]


@api.post("/tokens", summary="Create an API token (the token is shown once)")
def api_create_token(request: Request, session: DbSession, who: Caller, body: TokenRequest) -> dict:
    if who.via == "token":
        raise Forbidden("API-nycklar skapas från en inloggad session, inte med en annan API-nyckel.")
    user = auth.get_user_in_org(session, org_id=who.org_id, user_id=who.user_id)
    plain, token = auth.create_api_token(
        session,
        user=user,
        name=body.name,
        scopes=body.scopes,
        days=body.days,
        max_days=context(request).settings.token_max_days,
    )
    admin_change(session, who, "token.create", {"token_id": token.id, "scopes": body.scopes})
    return {**_token_json(token), "token": plain}


@api.delete("/tokens/{token_id}", summary="Revoke an API token")
def api_revoke_token(session: DbSession, who: Caller, token_id: int) -> dict:
    token = auth.revoke_api_token(session, principal=who, token_id=token_id)
    admin_change(session, who, "token.revoke", {"token_id": token_id})
    return _token_json(token)


# --- users (administrators) ----------------------------------------------------------------------------


class UserRequest(BaseModel):
    username: str
    display_name: str
    roles: list[str]
    password: str | None = None
    email: str | None = None


def _user_json(user: auth.User) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "roles": sorted(r.value for r in user.role_set),
        "active": user.active,
    }


@router.get("/admin/anvandare", include_in_schema=False)
def users_page(request: Request, session: DbSession, who: Admin):
    """Users of the organisation (administrators)."""
    return render(
        request,
        "core/users.html",
        users=auth.list_users(session, org_id=who.org_id),
        units=orgs.list_units(session, org_id=who.org_id),
        all_roles=list(Role),
    )


@router.post("/admin/anvandare", include_in_schema=False)
def users_create(
    request: Request,
    session: DbSession,
    who: Admin,
    username: Annotated[str, Form()],
    display_name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    roles: Annotated[list[str], Form()],
):
    """Add a user (administrators)."""
    user = auth.create_user(
        session,
        org_id=who.org_id,
        username=username,
        display_name=display_name,
        roles=auth.parse_roles(roles),
        password=password,
    )
    admin_change(session, who, "user.create", {"username": user.username, "roles": roles})
    return RedirectResponse("/admin/anvandare", status_code=303)


@api.get("/users", summary="Users of the caller's organisation (administrators)")
def api_users(session: DbSession, who: Admin) -> list[dict]:
    return [_user_json(u) for u in auth.list_users(session, org_id=who.org_id)]


@api.post("/users", summary="Create a user in the caller's organisation (administrators)")
def api_create_user(session: DbSession, who: Admin, body: UserRequest) -> dict:
    user = auth.create_user(
        session,
        org_id=who.org_id,
        username=body.username,
        display_name=body.display_name,
        roles=auth.parse_roles(body.roles),
        password=body.password,
        email=body.email,
    )
    admin_change(session, who, "user.create", {"username": user.username, "roles": body.roles})
    return _user_json(user)


@api.get("/users/{user_id}", summary="One user of the caller's organisation (administrators)")
def api_user(session: DbSession, who: Admin, user_id: int) -> dict:
    return _user_json(auth.get_user_in_org(session, org_id=who.org_id, user_id=user_id))


@api.get("/units", summary="Units of the caller's organisation")
def api_units(session: DbSession, who: Caller) -> list[dict]:
    return [{"id": u.id, "name": u.name} for u in orgs.list_units(session, org_id=who.org_id)]


# --- audit log (revisor) -------------------------------------------------------------------------------


def _audit_filter(
    kind: str | None = None,
    username: str | None = None,
    function: str | None = None,
    status: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> AuditFilter:
    def parse(value: str | None) -> dt.datetime | None:
        if not value:
            return None
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError as exc:
            raise InvalidInput(f"Ogiltigt datum '{value}': använd ÅÅÅÅ-MM-DD.") from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)

    return AuditFilter(
        kind=kind or None,
        username=username or None,
        function=function or None,
        status=status or None,
        since=parse(since),
        until=parse(until),
    )


AuditQuery = Annotated[AuditFilter, Depends(_audit_filter)]


@router.get("/granskning", include_in_schema=False)
def audit_page(request: Request, session: DbSession, who: Auditor, flt: AuditQuery):
    """Audit log with filters (revisor)."""
    records = audit.query(session, org_id=who.org_id, flt=flt)
    return render(request, "core/audit.html", records=records, flt=flt, kinds=list(AuditKind), query=request.url.query)


@router.get("/granskning/export.{fmt}", include_in_schema=False)
def audit_export(session: DbSession, who: Auditor, flt: AuditQuery, fmt: str):
    """Export the filtered audit log as CSV or JSON (revisor)."""
    records = audit.query(session, org_id=who.org_id, flt=flt, limit=100_000)
    admin_change(session, who, "audit.export", {"format": fmt, "records": len(records)})
    if fmt == "csv":
        return PlainTextResponse(
            audit.export_csv(records),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="granskningslogg.csv"'},
        )
    if fmt == "json":
        return Response(
            audit.export_json(records),
            media_type="application/json",
            headers={"Content-Disposition": 'attachment; filename="granskningslogg.json"'},
        )
    raise InvalidInput("Exportformatet måste vara csv eller json.")


@api.get("/audit", summary="Audit records of the caller's organisation (revisor)")
def api_audit(
    session: DbSession, who: Auditor, flt: AuditQuery, limit: Annotated[int, Query(le=1000)] = 200, offset: int = 0
) -> list[dict]:
    return [audit.as_dict(r) for r in audit.query(session, org_id=who.org_id, flt=flt, limit=limit, offset=offset)]


# --- AI register and transparency ----------------------------------------------------------------------


def _function_json(entry: register.RegisteredFunction) -> dict:
    return {
        "id": entry.id,
        "key": entry.key,
        "name": entry.name,
        "purpose": entry.purpose,
        "owner": entry.owner,
        "data_sources": entry.data_sources,
        "provider_model": entry.provider_model,
        "risk_class": entry.risk_class,
        "oversight": entry.oversight,
        "status": entry.status,
        "public": entry.public,
    }


@router.get("/ai-register", include_in_schema=False)
def register_page(request: Request, session: DbSession, who: Caller):
    """The organisation's AI register."""
    org = session.get(orgs.Organisation, who.org_id)
    return render(
        request,
        "core/register.html",
        entries=register.list_register(session, org_id=who.org_id),
        org=org,
        statuses=list(register.FunctionStatus),
        can_edit=who.has_role(Role.ADMIN),
    )


@router.post("/ai-register/{function_id}", include_in_schema=False)
def register_update(
    session: DbSession,
    who: Admin,
    function_id: int,
    owner: Annotated[str, Form()],
    status: Annotated[str, Form()],
    public: Annotated[bool, Form()] = False,
):
    """Change owner, status or visibility of an AI function (administrators)."""
    changes = {"owner": owner, "status": status, "public": public}
    register.update_function(session, org_id=who.org_id, function_id=function_id, changes=changes)
    admin_change(session, who, "register.update", {"function_id": function_id, **changes})
    return RedirectResponse("/ai-register", status_code=303)


@api.get("/register", summary="The organisation's AI register")
def api_register(session: DbSession, who: Caller) -> list[dict]:
    return [_function_json(e) for e in register.list_register(session, org_id=who.org_id)]


@api.patch("/register/{function_id}", summary="Change an AI register entry (administrators)")
def api_register_update(session: DbSession, who: Admin, function_id: int, changes: dict) -> dict:
    entry = register.update_function(session, org_id=who.org_id, function_id=function_id, changes=changes)
    admin_change(session, who, "register.update", {"function_id": function_id, **changes})
    return _function_json(entry)


@router.get("/transparens/{org_slug}", include_in_schema=False)
def transparency_page(request: Request, session: DbSession, org_slug: str):
    """Public page: the AI functions an organisation uses (no login)."""
    org = orgs.get_organisation(session, slug=org_slug)
    entries = register.list_register(session, org_id=org.id, public_only=True)
    return render(request, "core/transparency.html", org=org, entries=entries, user=None)


@api.get("/transparency/{org_slug}", summary="Public AI register of an organisation (no login)")
def api_transparency(session: DbSession, org_slug: str) -> list[dict]:
    org = orgs.get_organisation(session, slug=org_slug)
    public_fields = ("name", "purpose", "owner", "data_sources", "provider_model", "risk_class", "oversight", "status")
    return [
        {k: _function_json(e)[k] for k in public_fields}
        for e in register.list_register(session, org_id=org.id, public_only=True)
    ]


# --- jobs ----------------------------------------------------------------------------------------------


def _job_json(job: jobs.Job) -> dict:
    return {
        "id": job.id,
        "kind": job.kind,
        "title": job.title,
        "status": job.status,
        "progress": job.progress,
        "message": job.message,
        "error": job.error,
        "attempts": job.attempts,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


@router.get("/jobb", include_in_schema=False)
def jobs_page(request: Request, session: DbSession, who: Caller):
    """Background jobs with progress (updates itself)."""
    listing = jobs.list_jobs(session, org_id=who.org_id)
    template = "core/_jobs_table.html" if request.headers.get("hx-request") else "core/jobs.html"
    return render(request, template, jobs=listing, statuses={s.value: s.label_sv for s in jobs.JobStatus})


@router.post("/jobb/{job_id}/avbryt", include_in_schema=False)
def jobs_cancel(session: DbSession, who: Caller, job_id: int):
    """Cancel a background job."""
    jobs.cancel(session, org_id=who.org_id, job_id=job_id)
    return RedirectResponse("/jobb", status_code=303)


@router.post("/jobb/{job_id}/kor-igen", include_in_schema=False)
def jobs_retry(request: Request, session: DbSession, who: Caller, job_id: int):
    """Run a failed or cancelled job again."""
    jobs.retry(session, org_id=who.org_id, job_id=job_id)
    if context(request).worker:
        context(request).worker.wake()  # type: ignore[union-attr]
    return RedirectResponse("/jobb", status_code=303)


@api.get("/jobs", summary="Background jobs of the caller's organisation")
def api_jobs(session: DbSession, who: Caller) -> list[dict]:
    return [_job_json(j) for j in jobs.list_jobs(session, org_id=who.org_id)]


@api.get("/jobs/{job_id}", summary="One background job")
def api_job(session: DbSession, who: Caller, job_id: int) -> dict:
    return _job_json(jobs.get_job(session, org_id=who.org_id, job_id=job_id))


@api.post("/jobs/{job_id}/cancel", summary="Cancel a job")
def api_job_cancel(session: DbSession, who: Caller, job_id: int) -> dict:
    return _job_json(jobs.cancel(session, org_id=who.org_id, job_id=job_id))


@api.get("/health", summary="Liveness check (no login)")
def api_health() -> JSONResponse:
    return JSONResponse({"status": "ok"})
