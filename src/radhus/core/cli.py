"""Core commands: init, serve, worker, config, audit, jobs, users."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from radhus.core import audit, auth, jobs, orgs
from radhus.core.bootstrap import DEFAULT_ORG_SLUG, ensure_demo_users, init_installation
from radhus.core.cli_support import (
    cli_principal,
    db_session,
    echo_json,
    friendly_errors,
    session_factory,
    settings,
)
from radhus.core.errors import InvalidInput
from radhus.settings import masked_settings

config_app = typer.Typer(help="Visa konfigurationen.", no_args_is_help=True)
audit_app = typer.Typer(help="Granskningsloggen.", no_args_is_help=True)
jobs_app = typer.Typer(help="Bakgrundsjobb.", invoke_without_command=True)
users_app = typer.Typer(help="Användare.", no_args_is_help=True)
orgs_app = typer.Typer(help="Organisationer (kommuner och kommunalförbund) och deras enheter.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.command("init")(init)
    root.command("serve")(serve)
    root.command("worker")(worker)
    root.add_typer(config_app, name="config")
    root.add_typer(audit_app, name="audit")
    root.add_typer(jobs_app, name="jobs")
    root.add_typer(users_app, name="users")
    root.add_typer(orgs_app, name="orgs")


@friendly_errors
def init(
    org: Annotated[str, typer.Option(help="Organisationens kod.")] = DEFAULT_ORG_SLUG,
    name: Annotated[str | None, typer.Option(help="Organisationens namn.")] = None,
) -> None:
    """Skapa eller uppgradera databasen, organisationen och en administratör (kan köras igen)."""
    from radhus.catalog import all_ai_functions

    current = settings()
    with db_session(current) as session:
        result = init_installation(
            session,
            org_slug=org,
            org_name=name,
            admin_password=current.admin_password.get_secret_value(),
            specs=all_ai_functions(),
        )
        typer.echo(f"Databas klar: {current.resolved_database_url.split('@')[-1]}")
        typer.echo(
            f"Organisation: {result.org.name} ({result.org.slug})"
            + (" – skapad" if result.created_org else " – fanns redan")
        )
        typer.echo(f"Administratör: {result.admin.username}")
        if result.admin_password:
            typer.echo(f"Lösenord (visas bara nu): {result.admin_password}")


@friendly_errors
def serve(
    host: Annotated[str, typer.Option(help="Adress att lyssna på.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    demo: Annotated[
        bool, typer.Option("--demo", help="Lägg upp Exempelkommun med demoanvändare och innehåll.")
    ] = False,
) -> None:
    """Starta webbplattformen."""
    import uvicorn

    from radhus.app import create_app

    current = settings()
    if demo:
        _install_demo(current)
    app = create_app(current)
    typer.echo(f"Rådhus körs på http://{host}:{port}/  (stoppa med Ctrl+C)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _install_demo(current) -> None:  # type: ignore[no-untyped-def]
    from radhus.app import create_app
    from radhus.catalog import DEMO_MODULES, all_ai_functions, installed

    password = current.demo_password.get_secret_value()
    with db_session(current) as session:
        result = init_installation(
            session,
            org_slug=DEFAULT_ORG_SLUG,
            org_name="Exempelkommun",
            admin_password=password,
            specs=all_ai_functions(),
        )
        logins = [(result.admin.username, "administratör")]
        logins += ensure_demo_users(session, org=result.org, password=password)
        org_id = result.org.id
    ctx = create_app(current, start_worker=False).state.ctx
    for module in installed(DEMO_MODULES):
        with db_session(current) as session:
            module.install_demo(session, org_id=org_id, ctx=ctx)
    typer.echo(
        "Demo: Exempelkommun är upplagd. Logga in med (lösenord: "
        f"{password if password == 'demo-radhus' else 'RADHUS_DEMO_PASSWORD'}):"
    )
    for username, roles in logins:
        typer.echo(f"  {username:32} {roles}")


@friendly_errors
def worker(once: Annotated[bool, typer.Option(help="Kör väntande jobb och avsluta.")] = False) -> None:
    """Kör bakgrundsjobb i en egen process (när webbprocessen inte gör det)."""
    from radhus.app import create_app
    from radhus.catalog import periodic_jobs

    current = settings()
    ctx = create_app(current, start_worker=False).state.ctx
    periodic = [p for p in periodic_jobs() if p.kind in ctx.job_handlers]
    if once:
        jobs.enqueue_due_periodic(ctx.session_factory, periodic)
        ran = jobs.run_until_idle(ctx.session_factory, ctx.job_handlers, backoff_seconds=current.job_backoff_seconds)
        typer.echo(f"{ran} jobb kördes.")
        return
    typer.echo("Jobbarbetaren körs (stoppa med Ctrl+C).")
    jobs.Worker(
        ctx.session_factory, ctx.job_handlers, backoff_seconds=current.job_backoff_seconds, periodic=periodic
    ).run_forever()


@config_app.command("show")
@friendly_errors
def config_show() -> None:
    """Visa den gällande konfigurationen (hemligheter maskerade)."""
    typer.echo(json.dumps(masked_settings(settings()), ensure_ascii=False, indent=2))


@audit_app.command("verify")
@friendly_errors
def audit_verify() -> None:
    """Kontrollera att granskningsloggen är obruten; avslutar med felkod vid manipulation."""
    factory = session_factory()
    with factory() as session:
        result = audit.verify(session)
    if result.ok:
        typer.echo(f"Granskningsloggen är obruten ({result.checked} poster).")
        return
    typer.echo(f"Granskningsloggen är MANIPULERAD ({len(result.problems)} fel):", err=True)
    for problem in result.problems:
        typer.echo(f"  {problem}", err=True)
    raise typer.Exit(1)


@audit_app.command("export")
@friendly_errors
def audit_export(
    org: Annotated[str, typer.Option(help="Organisationens kod.")],
    fmt: Annotated[str, typer.Option("--format", help="csv eller json.")] = "json",
    out: Annotated[Path | None, typer.Option(help="Fil att skriva till (annars standard ut).")] = None,
) -> None:
    """Exportera en organisations granskningslogg."""
    with db_session() as session:
        org_row, _ = cli_principal(session, org_slug=org)
        records = audit.query(session, org_id=org_row.id, flt=audit.AuditFilter(), limit=1_000_000)
        text = audit.export_csv(records) if fmt == "csv" else audit.export_json(records)
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        typer.echo(text)


@jobs_app.callback()
@friendly_errors
def jobs_list(
    ctx: typer.Context,
    org: Annotated[str, typer.Option(help="Organisationens kod.")] = DEFAULT_ORG_SLUG,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Lista bakgrundsjobb med status och förlopp."""
    if ctx.invoked_subcommand:
        return
    with db_session() as session:
        org_row, _ = cli_principal(session, org_slug=org)
        listing = jobs.list_jobs(session, org_id=org_row.id)
        rows: list[dict[str, Any]] = [
            {
                "id": j.id,
                "title": j.title,
                "status": j.status,
                "progress": round(j.progress, 3),
                "message": j.error or j.message,
            }
            for j in listing
        ]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        status = jobs.JobStatus(row["status"]).label_sv
        typer.echo(f"{row['id']:>5}  {status:13} {row['progress'] * 100:5.0f} %  {row['title']}  {row['message']}")
    if not rows:
        typer.echo("Inga jobb.")


@jobs_app.command("cancel")
@friendly_errors
def jobs_cancel(job_id: int, org: Annotated[str, typer.Option()] = DEFAULT_ORG_SLUG) -> None:
    """Avbryt ett jobb."""
    with db_session() as session:
        org_row, _ = cli_principal(session, org_slug=org)
        job = jobs.cancel(session, org_id=org_row.id, job_id=job_id)
        typer.echo(
            f"Jobb {job.id}: {jobs.JobStatus(job.status).label_sv}" + (" (avbryts)" if job.cancel_requested else "")
        )


@jobs_app.command("retry")
@friendly_errors
def jobs_retry(job_id: int, org: Annotated[str, typer.Option()] = DEFAULT_ORG_SLUG) -> None:
    """Köa ett misslyckat eller avbrutet jobb igen."""
    with db_session() as session:
        org_row, _ = cli_principal(session, org_slug=org)
        jobs.retry(session, org_id=org_row.id, job_id=job_id)
        typer.echo(f"Jobb {job_id} ligger i kö igen.")


@users_app.command("add")
@friendly_errors
def users_add(
    username: str,
    org: Annotated[str, typer.Option(help="Organisationens kod.")],
    name: Annotated[str, typer.Option(help="Visningsnamn.")],
    roles: Annotated[str, typer.Option(help="Kommaseparerade roller, t.ex. medarbetare,granskare.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, envvar="RADHUS_NEW_USER_PASSWORD")],
) -> None:
    """Lägg till en användare."""
    with db_session() as session:
        org_row, admin = cli_principal(session, org_slug=org)
        user = auth.create_user(
            session,
            org_id=org_row.id,
            username=username,
            display_name=name,
            roles=auth.parse_roles(roles),
            password=password,
        )
        audit.append(
            session,
            kind=audit.AuditKind.ADMIN_CHANGE,
            action="user.create",
            org_id=org_row.id,
            user_id=admin.user_id,
            username=admin.username,
            detail={"username": user.username},
        )
        typer.echo(f"Användaren {user.username} skapad.")


@orgs_app.command("add")
@friendly_errors
def orgs_add(
    slug: str,
    name: Annotated[str, typer.Option(help="Organisationens namn.")],
    kind: Annotated[str, typer.Option(help="kommun eller forbund.")] = "kommun",
    federation: Annotated[str | None, typer.Option(help="Kommunalförbundet som organisationen tillhör.")] = None,
) -> None:
    """Lägg till en organisation i installationen, med en egen administratör."""
    from radhus.catalog import all_ai_functions

    if kind not in {k.value for k in orgs.OrgKind}:
        raise InvalidInput(f"Okänd organisationstyp '{kind}': välj kommun eller forbund.")
    current = settings()
    with db_session(current) as session:
        org = orgs.create_organisation(
            session, slug=slug, name=name, kind=orgs.OrgKind(kind), federation_slug=federation
        )
        result = init_installation(
            session,
            org_slug=org.slug,
            org_name=name,
            admin_password=current.admin_password.get_secret_value(),
            specs=all_ai_functions(),
        )
        typer.echo(f"Organisation {org.name} ({org.slug}) skapad. Administratör: {result.admin.username}")
        if result.admin_password:
            typer.echo(f"Lösenord (visas bara nu): {result.admin_password}")


@orgs_app.command("list")
@friendly_errors
def orgs_list() -> None:
    """Lista organisationerna i installationen."""
    with db_session() as session:
        by_id = {o.id: o for o in orgs.list_organisations(session)}
        for org in by_id.values():
            parent = by_id[org.federation_id].slug if org.federation_id in by_id else ""
            typer.echo(f"{org.slug:24} {org.kind:8} {org.name}" + (f"  (medlem i {parent})" if parent else ""))


@orgs_app.command("add-unit")
@friendly_errors
def orgs_add_unit(name: str, org: Annotated[str, typer.Option(help="Organisationens kod.")]) -> None:
    """Lägg till en enhet (t.ex. ett hemtjänstområde eller en skola) i en organisation."""
    with db_session() as session:
        org_row, admin = cli_principal(session, org_slug=org)
        unit = orgs.create_unit(session, org_id=org_row.id, name=name)
        audit.append(
            session,
            kind=audit.AuditKind.ADMIN_CHANGE,
            action="unit.create",
            org_id=org_row.id,
            user_id=admin.user_id,
            username=admin.username,
            detail={"unit": name},
        )
        typer.echo(f"Enheten {unit.name} skapad.")


@orgs_app.command("oidc")
@friendly_errors
def orgs_oidc(
    org: Annotated[str, typer.Option(help="Organisationens kod.")],
    issuer: Annotated[str, typer.Option(help="OIDC-utfärdare, t.ex. https://login.microsoftonline.com/<tenant>/v2.0")],
    client_id: Annotated[str, typer.Option(help="Klient-id hos inloggningstjänsten.")],
    secret_env: Annotated[str, typer.Option(help="Miljövariabel som innehåller klienthemligheten.")] = "",
    roles: Annotated[str, typer.Option(help="Roller för nya användare, kommaseparerade.")] = "medarbetare",
) -> None:
    """Koppla en organisations inloggning till en OIDC-tjänst (t.ex. Microsoft Entra ID)."""
    from radhus.core import oidc

    with db_session() as session:
        org_row, admin = cli_principal(session, org_slug=org)
        oidc.configure(
            session,
            org_id=org_row.id,
            issuer=issuer,
            client_id=client_id,
            client_secret_env=secret_env,
            default_roles=roles,
        )
        audit.append(
            session,
            kind=audit.AuditKind.ADMIN_CHANGE,
            action="oidc.configure",
            org_id=org_row.id,
            user_id=admin.user_id,
            username=admin.username,
            detail={"issuer": issuer, "client_id": client_id},
        )
        typer.echo(f"Inloggning via {issuer} är aktiverad för {org_row.slug}: /login/oidc/{org_row.slug}")
