"""Organisation isolation: a user of one organisation, holding every role, walks every registered route and
tries every id; nothing of the other organisation may be read, listed, counted or changed."""

import itertools
import re

from sqlalchemy import func, select

from radhus.app import registered_routes
from radhus.core import audit, jobs, register
from radhus.core.audit import AuditKind, AuditRecord
from radhus.core.auth import Role, create_api_token, create_user
from radhus.core.db import transaction
from radhus.core.register import RiskClass
from tests.conftest import login
from tests.isolation_seeds import DOMAIN_SEEDERS

MARKER = "HEMLIGT-BETA-7731"
CANDIDATE_IDS = range(1, 9)
# Public by design: the transparency page shows an organisation's public AI functions to anyone.
PUBLIC_BY_SLUG = {"/transparens/{org_slug}", "/api/v1/transparency/{org_slug}"}


def _seed_core(session, org_id: int) -> None:  # type: ignore[no-untyped-def]
    user = create_user(
        session,
        org_id=org_id,
        username=f"hemlig@{MARKER.lower()}",
        display_name=MARKER,
        roles=[Role.ADMIN],
        password="ett-langt-losenord",
    )
    create_api_token(session, user=user, name=MARKER, scopes=["read"], days=5, max_days=10)
    jobs.enqueue(session, org_id=org_id, kind="x", title=MARKER, payload={"secret": MARKER})
    audit.append(session, kind=AuditKind.AI_CALL, action="chat", org_id=org_id, excerpt=MARKER)
    spec = register.AIFunctionSpec(
        key="hemlig",
        name_sv=MARKER,
        purpose_sv=MARKER,
        risk_class=RiskClass.MINIMAL,
        oversight_sv=MARKER,
        data_sources_sv=MARKER,
        default_public=False,
    )
    register.sync_register(session, org_id=org_id, specs=[spec], owner=MARKER)


def _marker_rows(session_factory) -> int:  # type: ignore[no-untyped-def]
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.excerpt == MARKER))


def _paths(route_path: str, slugs: list[str]) -> list[str]:
    names = re.findall(r"{(\w+)(?::\w+)?}", route_path)
    if not names:
        return [route_path]
    choices = []
    for name in names:
        if name.endswith("slug"):
            choices.append(slugs)
        elif name in {"fmt", "format"}:
            choices.append(["csv", "json"])
        elif name.endswith("id") or name.endswith("_id"):
            choices.append([str(i) for i in CANDIDATE_IDS])
        else:
            choices.append(["sv", "en", "okand", "1"])
    paths = []
    for combo in itertools.product(*choices):
        path = route_path
        for name, value in zip(names, combo, strict=True):
            path = re.sub(r"{" + name + r"(?::\w+)?}", value, path)
        paths.append(path)
    return paths[:60]


def test_no_route_leaks_another_organisations_data(app, client, two_orgs, session_factory):
    org_b = two_orgs["b"]
    with transaction(session_factory) as session:
        _seed_core(session, org_b["org_id"])
        for seeder in DOMAIN_SEEDERS:
            seeder(session, org_id=org_b["org_id"], marker=MARKER, settings=app.state.ctx.settings)
    before = _marker_rows(session_factory)
    csrf = login(client, "administrator@alfakommun")
    routes = registered_routes(app)
    routes.sort(key=lambda r: r[1] == "/logout")  # log out last
    walked, leaks = set(), []
    for method, route_path in routes:
        walked.add((method, route_path))
        for path in _paths(route_path, [org_b["slug"], "alfakommun"]):
            for accept in ("text/html", "application/json"):
                response = client.request(
                    method,
                    path,
                    headers={"X-CSRF-Token": csrf, "accept": accept},
                    follow_redirects=False,
                    **({} if method == "GET" else {"json": {}}),
                )
                body = response.text
                if MARKER in body or MARKER.lower() in body:
                    leaks.append(f"{method} {path} -> {response.status_code}")
                if route_path not in PUBLIC_BY_SLUG and org_b["slug"] in body and response.status_code < 400:
                    leaks.append(f"{method} {path} names the other organisation")
        assert client.get("/api/v1/me").status_code == 200 or route_path == "/logout", f"{method} {path} logged out"
    assert not leaks, "Data from another organisation leaked:\n" + "\n".join(leaks)
    assert _marker_rows(session_factory) == before
    assert walked == set(registered_routes(app)) and len(walked) > 20


def test_other_organisations_ids_answer_like_missing_ones(client, two_orgs, session_factory):
    """Existence must not be inferable: another organisation's job answers exactly like a missing job."""
    with transaction(session_factory) as session:
        job = jobs.enqueue(session, org_id=two_orgs["b"]["org_id"], kind="x", title=MARKER, payload={})
    login(client, "administrator@alfakommun")
    theirs = client.get(f"/api/v1/jobs/{job.id}")
    missing = client.get("/api/v1/jobs/99999")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["detail"].replace(str(job.id), "N") == missing.json()["detail"].replace("99999", "N")


def test_commands_show_only_the_named_organisations_data(settings, session_factory, two_orgs, monkeypatch):
    """Commands act for the organisation named with --org and never show another's jobs or audit records."""
    import json

    from typer.testing import CliRunner

    from radhus.cli import app as cli_app

    monkeypatch.setenv("RADHUS_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("RADHUS_DATA_DIR", str(settings.data_dir))
    with transaction(session_factory) as session:
        _seed_core(session, two_orgs["b"]["org_id"])
        jobs.enqueue(session, org_id=two_orgs["a"]["org_id"], kind="x", title="alfas jobb", payload={})
    runner = CliRunner()
    listed = runner.invoke(cli_app, ["jobs", "--org", "alfakommun", "--json"])
    assert listed.exit_code == 0 and [j["title"] for j in json.loads(listed.output)] == ["alfas jobb"]
    exported = runner.invoke(cli_app, ["audit", "export", "--org", "alfakommun", "--format", "json"])
    assert exported.exit_code == 0 and MARKER not in exported.output
    cancel = runner.invoke(cli_app, ["jobs", "cancel", "1", "--org", "alfakommun"])
    assert cancel.exit_code == 2 and "finns inte" in cancel.output
    assert MARKER in runner.invoke(cli_app, ["jobs", "--org", "betakommun", "--json"]).output
