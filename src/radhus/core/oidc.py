"""OpenID Connect sign-in (e.g. Microsoft Entra ID), configured per organisation: authorization code + PKCE."""

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
import jwt
from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from radhus.core.auth import Role, User, create_user, parse_roles
from radhus.core.db import Base, OrgScoped, Timestamps
from radhus.core.errors import InvalidInput, NotFound, Unauthorized


class OidcProvider(OrgScoped, Timestamps, Base):
    __tablename__ = "oidc_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(200), default="Logga in med organisationskonto")
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(300))
    client_secret_env: Mapped[str] = mapped_column(String(200), default="")
    scopes: Mapped[str] = mapped_column(String(300), default="openid profile email")
    default_roles: Mapped[str] = mapped_column(Text, default=Role.STAFF)
    enabled: Mapped[bool] = mapped_column(default=True)


def configure(
    session: Session,
    *,
    org_id: int,
    issuer: str,
    client_id: str,
    client_secret_env: str = "",
    default_roles: str = "medarbetare",
    label: str | None = None,
) -> OidcProvider:
    """Create or replace the organisation's OIDC sign-in; the client secret stays in the environment."""
    if not issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise InvalidInput("OIDC-utfärdaren måste vara en https-adress.")
    roles = ",".join(r.value for r in parse_roles(default_roles))
    provider = session.scalar(select(OidcProvider).where(OidcProvider.org_id == org_id)) or OidcProvider(org_id=org_id)
    provider.issuer, provider.client_id = issuer.rstrip("/"), client_id
    provider.client_secret_env, provider.default_roles = client_secret_env, roles
    if label:
        provider.label = label
    session.add(provider)
    session.flush()
    return provider


def provider_for(session: Session, *, org_id: int) -> OidcProvider:
    provider = session.scalar(select(OidcProvider).where(OidcProvider.org_id == org_id, OidcProvider.enabled.is_(True)))
    if provider is None:
        raise NotFound("Organisationen har ingen inloggning via organisationskonto.")
    return provider


@dataclass
class LoginStart:
    redirect_url: str
    state: str
    nonce: str
    verifier: str


def _discover(issuer: str) -> dict:
    try:
        response = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=10)
        response.raise_for_status()
        return response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise Unauthorized(f"Inloggningstjänsten {issuer} svarar inte: {exc}", status_code=502) from exc


def begin_login(provider: OidcProvider, *, redirect_uri: str) -> LoginStart:
    """Build the redirect to the identity provider with state, nonce and a PKCE challenge."""
    metadata = _discover(provider.issuer)
    state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": provider.client_id,
            "redirect_uri": redirect_uri,
            "scope": provider.scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return LoginStart(f"{metadata['authorization_endpoint']}?{query}", state, nonce, verifier)


def finish_login(
    session: Session, provider: OidcProvider, *, code: str, redirect_uri: str, nonce: str, verifier: str
) -> User:
    """Exchange the code, verify the ID token, and find or create the organisation's user."""
    metadata = _discover(provider.issuer)
    secret = os.environ.get(provider.client_secret_env, "") if provider.client_secret_env else ""
    try:
        response = httpx.post(
            metadata["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": provider.client_id,
                "client_secret": secret,
                "code_verifier": verifier,
            },
            timeout=10,
        )
        response.raise_for_status()
        id_token = response.json()["id_token"]
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise Unauthorized("Inloggningen kunde inte slutföras hos inloggningstjänsten.") from exc
    claims = _verify_id_token(id_token, metadata=metadata, provider=provider, nonce=nonce)
    return _user_for_claims(session, provider, claims)


def _verify_id_token(id_token: str, *, metadata: dict, provider: OidcProvider, nonce: str) -> dict:
    try:
        signing_key = jwt.PyJWKClient(metadata["jwks_uri"]).get_signing_key_from_jwt(id_token)
        claims = jwt.decode(
            id_token,
            signing_key.key,
            algorithms=["RS256", "ES256"],
            audience=provider.client_id,
            issuer=provider.issuer,
            options={"require": ["exp", "iat", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"Inloggningsbeviset (ID-token) är ogiltigt: {exc}") from exc
    if claims.get("nonce") != nonce:
        raise Unauthorized("Inloggningsbeviset hör inte till denna inloggning (nonce).")
    return claims


def _user_for_claims(session: Session, provider: OidcProvider, claims: dict) -> User:
    subject = f"{provider.issuer}|{claims['sub']}"
    user = session.scalar(select(User).where(User.oidc_subject == subject))
    if user is not None:
        if user.org_id != provider.org_id or not user.active:
            raise Unauthorized("Kontot hör inte till denna organisation.")
        return user
    username = (claims.get("preferred_username") or claims.get("email") or claims["sub"]).lower()
    existing = session.scalar(select(User).where(User.username == username))
    if existing is not None:
        if existing.org_id != provider.org_id:
            raise Unauthorized("Kontot hör inte till denna organisation.")
        existing.oidc_subject = subject
        session.flush()
        return existing
    return create_user(
        session,
        org_id=provider.org_id,
        username=username,
        display_name=claims.get("name") or username,
        email=claims.get("email"),
        roles=parse_roles(provider.default_roles),
        oidc_subject=subject,
    )
