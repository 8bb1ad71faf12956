"""Logins, sessions, CSRF, throttling and API tokens through the real web app."""

import datetime as dt
import re

from sqlalchemy import select

from radhus.core.auth import ApiToken, LoginSession
from radhus.core.db import transaction
from tests.conftest import PASSWORD, login


def test_me_requires_credentials(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert "Inloggning krävs" in response.json()["detail"]


def test_login_and_me(client, two_orgs):
    login(client, "medarbetare@alfakommun")
    me = client.get("/api/v1/me").json()
    assert me["organisation"]["slug"] == "alfakommun"
    assert me["roles"] == ["medarbetare"]


def test_wrong_password_is_refused_with_swedish_message(client, two_orgs):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/login", data={"username": "medarbetare@alfakommun", "password": "fel", "csrf_token": token}
    )
    assert "Fel användarnamn eller lösenord" in response.text
    assert client.get("/api/v1/me").status_code == 401


def test_login_is_throttled_after_repeated_failures(client, two_orgs):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    for _ in range(3):
        client.post("/login", data={"username": "revisor@alfakommun", "password": "fel", "csrf_token": token})
    response = client.post("/login", data={"username": "revisor@alfakommun", "password": PASSWORD, "csrf_token": token})
    assert "För många misslyckade inloggningar" in response.text
    assert client.get("/api/v1/me").status_code == 401


def test_login_form_without_csrf_token_is_refused(client, two_orgs):
    response = client.post(
        "/login", data={"username": "medarbetare@alfakommun", "password": PASSWORD}, follow_redirects=False
    )
    assert response.headers["location"].startswith("/login?error=csrf")


def test_changes_need_the_session_csrf_token(client, two_orgs):
    csrf = login(client, "medarbetare@alfakommun")
    refused = client.post("/konto/nycklar", data={"name": "skript", "days": "30"})
    assert refused.status_code == 403
    accepted = client.post("/konto/nycklar", data={"name": "skript", "days": "30", "csrf_token": csrf})
    assert accepted.status_code == 200 and "rdh_" in accepted.text


def test_expired_session_is_refused(client, two_orgs, session_factory):
    login(client, "medarbetare@alfakommun")
    with transaction(session_factory) as session:
        for stored in session.scalars(select(LoginSession)):
            stored.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert "gått ut" in response.json()["detail"]


def test_logout_ends_the_session(client, two_orgs):
    csrf = login(client, "medarbetare@alfakommun")
    client.post("/logout", data={"csrf_token": csrf})
    assert client.get("/api/v1/me").status_code == 401


def test_api_token_lifecycle(client, two_orgs, session_factory):
    csrf = login(client, "administrator@alfakommun")
    created = client.post(
        "/api/v1/tokens", json={"name": "rapport", "scopes": ["read"], "days": 7}, headers={"X-CSRF-Token": csrf}
    ).json()
    plain = created["token"]
    assert plain.startswith("rdh_")
    with transaction(session_factory) as session:
        stored = session.scalar(select(ApiToken).where(ApiToken.id == created["id"]))
        assert plain not in (stored.token_hash, stored.prefix) and len(stored.token_hash) == 64
    assert "token" not in client.get("/api/v1/tokens").json()[0]

    bearer = {"Authorization": f"Bearer {plain}"}
    client.cookies.clear()
    assert client.get("/api/v1/me", headers=bearer).json()["via"] == "token"
    refused = client.post(
        "/api/v1/users",
        headers=bearer,
        json={"username": "x@alfakommun", "display_name": "X", "roles": ["medarbetare"]},
    )
    assert refused.status_code == 403 and "behörigheten 'write'" in refused.json()["detail"]

    login(client, "administrator@alfakommun")
    csrf = login(client, "administrator@alfakommun")
    client.delete(f"/api/v1/tokens/{created['id']}", headers={"X-CSRF-Token": csrf})
    client.cookies.clear()
    revoked = client.get("/api/v1/me", headers=bearer)
    assert revoked.status_code == 401 and "återkallad" in revoked.json()["detail"]


def test_expired_and_malformed_tokens(client, two_orgs, session_factory):
    csrf = login(client, "medarbetare@alfakommun")
    created = client.post(
        "/api/v1/tokens", json={"name": "kort", "scopes": ["read"], "days": 1}, headers={"X-CSRF-Token": csrf}
    ).json()
    with transaction(session_factory) as session:
        session.get(ApiToken, created["id"]).expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    client.cookies.clear()
    expired = client.get("/api/v1/me", headers={"Authorization": f"Bearer {created['token']}"})
    assert expired.status_code == 401 and "gått ut" in expired.json()["detail"]
    for header in ("Bearer nonsens", "Basic abc", "Bearer rdh_" + "x" * 40):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401


def test_token_lifetime_and_scopes_are_validated(client, two_orgs):
    csrf = login(client, "medarbetare@alfakommun")
    too_long = client.post(
        "/api/v1/tokens", json={"name": "x", "scopes": ["read"], "days": 5000}, headers={"X-CSRF-Token": csrf}
    )
    assert too_long.status_code == 422 and "dagar" in too_long.json()["detail"]
    bad_scope = client.post(
        "/api/v1/tokens", json={"name": "x", "scopes": ["root"], "days": 5}, headers={"X-CSRF-Token": csrf}
    )
    assert bad_scope.status_code == 422 and "root" in bad_scope.json()["detail"]


def test_roles_are_enforced(client, two_orgs):
    login(client, "medarbetare@alfakommun")
    assert client.get("/api/v1/audit").status_code == 403
    assert client.get("/api/v1/users").status_code == 403
    login(client, "revisor@alfakommun")
    assert client.get("/api/v1/audit").status_code == 200
