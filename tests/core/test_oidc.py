"""OIDC sign-in against a real identity provider served on loopback by the test."""

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from radhus.core import oidc
from radhus.core.db import transaction


class FakeIdentityProvider:
    """A minimal OpenID provider: discovery, authorize (auto-consent), token and JWKS endpoints."""

    def __init__(self, *, audience_override: str | None = None) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.codes: dict[str, dict] = {}
        self.audience_override = audience_override
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):  # type: ignore[no-untyped-def]
        self.thread.start()
        return self

    def __exit__(self, *exc):  # type: ignore[no-untyped-def]
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):  # type: ignore[no-untyped-def]
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # type: ignore[no-untyped-def]
                pass

            def _json(self, data: dict) -> None:
                body = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # type: ignore[no-untyped-def]
                url = urlparse(self.path)
                if url.path == "/.well-known/openid-configuration":
                    self._json(
                        {
                            "issuer": provider.issuer,
                            "authorization_endpoint": f"{provider.issuer}/authorize",
                            "token_endpoint": f"{provider.issuer}/token",
                            "jwks_uri": f"{provider.issuer}/jwks",
                        }
                    )
                elif url.path == "/jwks":
                    jwk = json.loads(RSAAlgorithm.to_jwk(provider.key.public_key()))
                    self._json({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]})
                elif url.path == "/authorize":
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    code = secrets.token_urlsafe(8)
                    provider.codes[code] = query
                    self.send_response(302)
                    self.send_header(
                        "Location", f"{query['redirect_uri']}?" + urlencode({"code": code, "state": query["state"]})
                    )
                    self.end_headers()
                else:
                    self.send_error(404)

            def do_POST(self):  # type: ignore[no-untyped-def]
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                form = {k: v[0] for k, v in parse_qs(body).items()}
                request = provider.codes.pop(form.get("code", ""), None)
                if request is None:
                    self.send_error(400)
                    return
                now = int(time.time())
                claims = {
                    "iss": provider.issuer,
                    "sub": "entra-user-42",
                    "aud": provider.audience_override or request["client_id"],
                    "iat": now,
                    "exp": now + 300,
                    "nonce": request["nonce"],
                    "name": "Olle Oidc",
                    "preferred_username": "olle@alfakommun.se",
                    "email": "olle@alfakommun.se",
                }
                token = jwt.encode(claims, provider.key, algorithm="RS256", headers={"kid": "k1"})
                self._json({"access_token": "x", "token_type": "Bearer", "id_token": token})

        return Handler


def _sign_in(client) -> httpx.Response:  # type: ignore[no-untyped-def]
    start = client.get("/login/oidc/alfakommun", follow_redirects=False)
    assert start.status_code == 303
    redirect = httpx.get(start.headers["location"], follow_redirects=False)  # real HTTP to the provider
    callback = urlparse(redirect.headers["location"])
    return client.get(f"{callback.path}?{callback.query}", follow_redirects=False)


def _configure(session_factory, org_id: int, issuer: str) -> None:  # type: ignore[no-untyped-def]
    with transaction(session_factory) as session:
        oidc.configure(session, org_id=org_id, issuer=issuer, client_id="radhus-alfa", default_roles="medarbetare")


def test_oidc_sign_in_creates_user_in_the_organisation(client, two_orgs, session_factory):
    with FakeIdentityProvider() as idp:
        _configure(session_factory, two_orgs["a"]["org_id"], idp.issuer)
        response = _sign_in(client)
        assert response.status_code == 303 and response.headers["location"] == "/"
        me = client.get("/api/v1/me").json()
        assert me["username"] == "olle@alfakommun.se" and me["organisation"]["slug"] == "alfakommun"
        assert me["roles"] == ["medarbetare"]
        client.cookies.clear()
        again = _sign_in(client)  # the same person signs in again: same account
        assert again.status_code == 303 and client.get("/api/v1/me").json()["display_name"] == "Olle Oidc"


def test_token_for_another_client_is_refused(client, two_orgs, session_factory):
    with FakeIdentityProvider(audience_override="some-other-app") as idp:
        _configure(session_factory, two_orgs["a"]["org_id"], idp.issuer)
        response = _sign_in(client)
        assert response.status_code == 401
        assert "ID-token" in response.json()["detail"]
        assert client.get("/api/v1/me").status_code == 401


def test_tampered_state_is_refused(client, two_orgs, session_factory):
    with FakeIdentityProvider() as idp:
        _configure(session_factory, two_orgs["a"]["org_id"], idp.issuer)
        start = client.get("/login/oidc/alfakommun", follow_redirects=False)
        redirect = httpx.get(start.headers["location"], follow_redirects=False)
        callback = urlparse(redirect.headers["location"])
        query = parse_qs(callback.query)
        response = client.get(callback.path, params={"code": query["code"][0], "state": "förfalskad"})
        assert response.status_code == 401 and "state" in response.json()["detail"]


def test_organisation_without_oidc_says_so(client, two_orgs):
    response = client.get("/login/oidc/betakommun", follow_redirects=False)
    assert response.status_code == 404 and "organisationskonto" in response.json()["detail"]


def test_unreachable_provider_gives_clear_error(client, two_orgs, session_factory):
    _configure(session_factory, two_orgs["a"]["org_id"], "http://127.0.0.1:9")
    response = client.get("/login/oidc/alfakommun", follow_redirects=False)
    assert response.status_code == 502 and "svarar inte" in response.json()["detail"]


@pytest.mark.parametrize("issuer", ["ftp://idp.example", "http://idp.example"])
def test_issuer_must_be_https(session_factory, two_orgs, issuer):
    with transaction(session_factory) as session, pytest.raises(Exception, match="https"):
        oidc.configure(session, org_id=two_orgs["a"]["org_id"], issuer=issuer, client_id="x")
