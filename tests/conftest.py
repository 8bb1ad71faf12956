"""Shared fixtures: a migrated database per test (SQLite by default, PostgreSQL when
RADHUS_TEST_DATABASE_URL is set), the web app, and logged-in clients."""

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from radhus.catalog import load_all_models
from radhus.core import orgs
from radhus.core.auth import Role, create_user, hash_password
from radhus.core.db import Base, make_engine, make_session_factory, migrate, transaction
from radhus.settings import Settings

PASSWORD = "testlösenord-123"
PASSWORD_HASH = hash_password(PASSWORD)  # hashed once: Argon2 is slow on purpose
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def pytest_report_header(config):  # type: ignore[no-untyped-def]
    return f"radhus database: {'PostgreSQL' if os.environ.get('RADHUS_TEST_DATABASE_URL') else 'SQLite'}"


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrate once per test run: a SQLite template file, or a fresh PostgreSQL database."""
    load_all_models()
    pg_url = os.environ.get("RADHUS_TEST_DATABASE_URL")
    if not pg_url:
        path = tmp_path_factory.mktemp("db") / "template.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
        migrate(engine)
        engine.dispose()
        yield str(path)
        return
    name = f"radhus_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> Iterator[str]:
    """A database with the current schema and no rows."""
    if not database_template.startswith("postgresql"):
        target = tmp_path / "radhus.sqlite3"
        shutil.copy(database_template, target)
        yield f"sqlite:///{target}"
        return
    yield database_template
    engine = make_engine(database_template)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key-" + "x" * 32,
        login_max_failures=3,
        job_backoff_seconds=0.01,
    )


@pytest.fixture
def session_factory(settings: Settings):  # type: ignore[no-untyped-def]
    engine = make_engine(settings.resolved_database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def two_orgs(session_factory):  # type: ignore[no-untyped-def]
    """Two municipalities with one user per role each: {'a': {...}, 'b': {...}}."""
    result = {}
    with transaction(session_factory) as session:
        for key, slug in (("a", "alfakommun"), ("b", "betakommun")):
            org = orgs.create_organisation(session, slug=slug, name=slug.title())
            users = {}
            for role in Role:
                user = create_user(
                    session,
                    org_id=org.id,
                    username=f"{role.value}@{slug}",
                    display_name=f"{role.label_sv.title()} {slug}",
                    roles=[role],
                )
                user.password_hash = PASSWORD_HASH
                users[role] = user.username
            result[key] = {"org_id": org.id, "slug": slug, "users": users}
    return result


@pytest.fixture
def app(settings: Settings):  # type: ignore[no-untyped-def]
    from radhus.app import create_app

    return create_app(settings, start_worker=False)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


def login(client, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    """Log a TestClient in through the real login form; returns the session's CSRF token."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/", response.text
    home = client.get("/konto")
    return re.search(r'"X-CSRF-Token": "([^"]+)"', home.text).group(1)
