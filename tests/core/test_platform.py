"""Settings, bootstrap, migrations, transparency page, language switch and error pages."""

import json
import re

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from radhus.cli import app as cli_app
from radhus.core.db import DatabaseError, make_engine, migrate
from radhus.settings import ConfigError, load_settings
from tests.conftest import PASSWORD, login

runner = CliRunner()


@pytest.fixture
def cli_env(settings, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RADHUS_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("RADHUS_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("RADHUS_CONFIG", raising=False)
    return settings


def test_init_is_idempotent_and_prints_password_once(cli_env):
    first = runner.invoke(cli_app, ["init", "--org", "sjobo"])
    assert first.exit_code == 0, first.output
    assert "skapad" in first.output and "Lösenord (visas bara nu)" in first.output
    second = runner.invoke(cli_app, ["init", "--org", "sjobo"])
    assert second.exit_code == 0 and "fanns redan" in second.output and "Lösenord" not in second.output


def test_init_rejects_bad_org_code(cli_env):
    result = runner.invoke(cli_app, ["init", "--org", "Ö!"])
    assert result.exit_code == 2 and "Ogiltig organisationskod" in result.output


def test_admin_password_from_environment(cli_env, monkeypatch, client):
    monkeypatch.setenv("RADHUS_ADMIN_PASSWORD", "ett-bra-losenord-1")
    result = runner.invoke(cli_app, ["init"])
    assert result.exit_code == 0 and "Lösenord" not in result.output
    login(client, "admin@exempelkommun", "ett-bra-losenord-1")
    assert client.get("/api/v1/me").json()["roles"] == ["administrator"]


def test_config_show_masks_secrets(cli_env, tmp_path, monkeypatch):
    config = tmp_path / "radhus.toml"
    config.write_text(
        'default_language = "en"\n[providers.chat.moln]\nkind = "openai"\nbase_url = "http://127.0.0.1:1/v1"\n'
        'model = "m"\napi_key = "hemligt-värde"\nmax_data_class = "oppen"\n[defaults]\nchat = "moln"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("RADHUS_CONFIG", str(config))
    monkeypatch.setenv("RADHUS_SECRET_KEY", "superhemlig-nyckel")
    result = runner.invoke(cli_app, ["config", "show"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["default_language"] == "en" and shown["defaults"] == {"chat": "moln"}
    assert shown["secret_key"] == "********" and "superhemlig" not in result.output
    assert shown["providers"]["chat"]["moln"]["api_key"] == "********" and "hemligt-värde" not in result.output


def test_missing_and_invalid_config_give_swedish_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("RADHUS_CONFIG", str(tmp_path / "saknas.toml"))
    with pytest.raises(ConfigError, match="finns inte"):
        load_settings()
    broken = tmp_path / "trasig.toml"
    broken.write_text("data_dir = [\n", encoding="utf-8")
    monkeypatch.setenv("RADHUS_CONFIG", str(broken))
    with pytest.raises(ConfigError, match="går inte att läsa"):
        load_settings()
    monkeypatch.delenv("RADHUS_CONFIG")
    monkeypatch.setenv("RADHUS_SESSION_HOURS", "många")
    with pytest.raises(ConfigError, match="session_hours"):
        load_settings()
    result = runner.invoke(cli_app, ["config", "show"])
    assert result.exit_code == 2 and "Ogiltig konfiguration" in result.output


def test_unreachable_postgresql_gives_clear_error():
    engine = make_engine("postgresql+psycopg://radhus@127.0.0.1:9/radhus?connect_timeout=2")
    with pytest.raises(DatabaseError, match="går inte att nå"):
        migrate(engine)


def test_database_from_a_newer_version_is_refused(settings):
    engine = make_engine(settings.resolved_database_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('9999_framtida')"))
    try:
        with pytest.raises(DatabaseError, match="nyare version"):
            migrate(engine)
        with engine.connect() as conn:
            stamped = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
            assert "9999_framtida" in stamped
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM alembic_version WHERE version_num = '9999_framtida'"))
        engine.dispose()


def test_transparency_page_is_public_and_shows_only_public_functions(client, two_orgs, session_factory):
    from radhus.core import register
    from radhus.core.db import transaction

    specs = [
        register.AIFunctionSpec(
            key="a",
            name_sv="Publik assistent",
            purpose_sv="Svarar",
            oversight_sv="Granskas",
            risk_class=register.RiskClass.LIMITED,
            data_sources_sv="Styrdokument",
        ),
        register.AIFunctionSpec(
            key="b",
            name_sv="Intern prognos",
            purpose_sv="Intern",
            oversight_sv="x",
            risk_class=register.RiskClass.MINIMAL,
            data_sources_sv="x",
            default_public=False,
        ),
    ]
    with transaction(session_factory) as session:
        register.sync_register(session, org_id=two_orgs["a"]["org_id"], specs=specs, owner="Digitaliseringen")
    page = client.get("/transparens/alfakommun")
    assert page.status_code == 200 and "Publik assistent" in page.text and "Intern prognos" not in page.text
    assert client.get("/api/v1/transparency/alfakommun").json()[0]["name"] == "Publik assistent"
    missing = client.get("/transparens/finns-ej", headers={"accept": "text/html"})
    assert missing.status_code == 404 and "finns inte" in missing.text


def test_language_switch_to_english_and_back(client, two_orgs):
    login(client, "medarbetare@alfakommun")
    swedish = client.get("/konto")
    assert 'lang="sv"' in swedish.text and "Mitt konto" in swedish.text
    client.get("/sprak/en")
    english = client.get("/konto")
    assert 'lang="en"' in english.text and "My account" in english.text and "Log out" in english.text
    client.get("/sprak/sv")
    assert "Logga ut" in client.get("/konto").text


def test_unknown_page_gives_swedish_error_page(client):
    response = client.get("/finns-inte", headers={"accept": "text/html"})
    assert response.status_code == 404 and "Sidan finns inte" in response.text


def test_openapi_document_is_served(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/me" in spec["paths"]


def test_several_municipalities_and_a_federation_in_one_installation(cli_env):
    assert (
        runner.invoke(
            cli_app, ["orgs", "add", "goteborgsregionen", "--name", "Göteborgsregionen", "--kind", "forbund"]
        ).exit_code
        == 0
    )
    member = runner.invoke(
        cli_app, ["orgs", "add", "molndal", "--name", "Mölndals stad", "--federation", "goteborgsregionen"]
    )
    assert member.exit_code == 0 and "admin@molndal" in member.output
    listing = runner.invoke(cli_app, ["orgs", "list"]).output
    assert "molndal" in listing and "(medlem i goteborgsregionen)" in listing
    bad = runner.invoke(cli_app, ["orgs", "add", "x-kommun", "--name", "X", "--federation", "molndal"])
    assert bad.exit_code == 2 and "inte ett kommunalförbund" in bad.output
    unit = runner.invoke(cli_app, ["orgs", "add-unit", "Hemtjänst Centrum", "--org", "molndal"])
    assert unit.exit_code == 0 and "Hemtjänst Centrum" in unit.output
    wrong = runner.invoke(cli_app, ["orgs", "add-unit", "X", "--org", "finns-inte"])
    assert wrong.exit_code == 2 and "finns inte" in wrong.output


def test_starting_the_app_adds_new_ai_functions_to_every_register(settings, two_orgs, session_factory):
    from sqlalchemy import select

    from radhus.app import create_app
    from radhus.catalog import all_ai_functions
    from radhus.core.register import RegisteredFunction

    create_app(settings, start_worker=False)
    expected = {spec.key for spec in all_ai_functions()}
    with session_factory() as session:
        for org in two_orgs.values():
            keys = set(
                session.scalars(select(RegisteredFunction.key).where(RegisteredFunction.org_id == org["org_id"]))
            )
            assert expected and expected <= keys


def test_request_work_is_committed_before_the_response_is_sent(app, two_orgs):
    """A client's next request must see what the last one wrote (e.g. the session created by a login)."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    order: list[str] = []

    def record_commit(_session) -> None:  # type: ignore[no-untyped-def]
        order.append("commit")

    async def recording_app(scope, receive, send):  # type: ignore[no-untyped-def]
        async def recording_send(message):  # type: ignore[no-untyped-def]
            if message["type"] == "http.response.start":
                order.append("response")
            await send(message)

        await app(scope, receive, recording_send)

    event.listen(Session, "after_commit", record_commit)
    try:
        with TestClient(recording_app) as client:
            page = client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            order.clear()
            response = client.post(
                "/login",
                data={"username": "medarbetare@alfakommun", "password": PASSWORD, "csrf_token": token, "next": "/"},
                follow_redirects=False,
            )
    finally:
        event.remove(Session, "after_commit", record_commit)
    assert response.status_code == 303
    assert order[:1] == ["commit"] and "response" in order, order
