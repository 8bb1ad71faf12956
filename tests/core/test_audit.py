"""The hash-chained audit log: verification catches edits, insertions and deletions."""

from sqlalchemy import select, update
from typer.testing import CliRunner

from radhus.cli import app as cli_app
from radhus.core import audit
from radhus.core.audit import AuditHead, AuditKind, AuditRecord
from radhus.core.db import transaction
from tests.conftest import login


def _write_records(session_factory, count=5, org_id=None):  # type: ignore[no-untyped-def]
    with transaction(session_factory) as session:
        for i in range(count):
            audit.append(
                session,
                kind=AuditKind.AI_CALL,
                action="chat",
                org_id=org_id,
                function="test",
                provider="lokal",
                model="m",
                data_class="intern",
                input_text=f"fråga {i}",
                output_text=f"svar {i}",
                excerpt=f"fråga {i}",
            )


def _verify(session_factory):  # type: ignore[no-untyped-def]
    with session_factory() as session:
        return audit.verify(session)


def test_intact_chain_verifies(session_factory):
    _write_records(session_factory)
    result = _verify(session_factory)
    assert result.ok and result.checked == 5


def test_edited_record_is_detected(session_factory):
    _write_records(session_factory)
    with transaction(session_factory) as session:
        session.execute(update(AuditRecord).where(AuditRecord.seq == 3).values(excerpt="ändrad i efterhand"))
    result = _verify(session_factory)
    assert not result.ok
    assert any("Post 3" in p and "ändrad" in p for p in result.problems)


def test_deleted_record_is_detected(session_factory):
    _write_records(session_factory)
    with transaction(session_factory) as session:
        session.delete(session.get(AuditRecord, 2))
    assert not _verify(session_factory).ok


def test_deleted_last_record_is_detected(session_factory):
    _write_records(session_factory)
    with transaction(session_factory) as session:
        session.delete(session.get(AuditRecord, 5))
    result = _verify(session_factory)
    assert not result.ok and any("sista" in p for p in result.problems)


def test_inserted_record_is_detected(session_factory):
    _write_records(session_factory, count=3)
    with transaction(session_factory) as session:
        forged = session.get(AuditRecord, 3)
        session.add(
            AuditRecord(
                seq=4,
                org_id=None,
                at=forged.at,
                kind="ai_call",
                action="förfalskad",
                status="ok",
                detail={},
                prev_hash=forged.hash,
                hash="f" * 64,
            )
        )
        session.execute(update(AuditHead).values(seq=4, hash="f" * 64))
    result = _verify(session_factory)
    assert not result.ok and any("Post 4" in p for p in result.problems)


def test_cli_verify_exits_non_zero_on_tampering(session_factory, settings, monkeypatch):
    monkeypatch.setenv("RADHUS_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("RADHUS_DATA_DIR", str(settings.data_dir))
    _write_records(session_factory)
    runner = CliRunner()
    ok = runner.invoke(cli_app, ["audit", "verify"])
    assert ok.exit_code == 0 and "obruten (5 poster)" in ok.output
    with transaction(session_factory) as session:
        session.execute(update(AuditRecord).where(AuditRecord.seq == 1).values(model="annan-modell"))
    broken = runner.invoke(cli_app, ["audit", "verify"])
    assert broken.exit_code == 1 and "MANIPULERAD" in broken.output


def test_auditor_filters_and_exports(client, two_orgs, session_factory):
    _write_records(session_factory, count=3, org_id=two_orgs["a"]["org_id"])
    _write_records(session_factory, count=2, org_id=two_orgs["b"]["org_id"])
    login(client, "revisor@alfakommun")
    rows = client.get("/api/v1/audit", params={"kind": "ai_call"}).json()
    assert len(rows) == 3 and all(r["org_id"] == two_orgs["a"]["org_id"] for r in rows)
    page = client.get("/granskning", params={"kind": "ai_call"})
    assert page.status_code == 200 and page.text.count("fråga ") == 3
    csv_text = client.get("/granskning/export.csv", params={"kind": "ai_call"}).text
    assert csv_text.splitlines()[0].startswith("seq,") and len(csv_text.splitlines()) == 4
    exported = client.get("/granskning/export.json").json()
    assert {r["kind"] for r in exported} >= {"ai_call", "auth"}
    with session_factory() as session:
        exports = session.scalars(select(AuditRecord).where(AuditRecord.action == "audit.export")).all()
        assert len(exports) == 2


def test_bad_date_filter_gives_swedish_error(client, two_orgs):
    login(client, "revisor@alfakommun")
    response = client.get("/api/v1/audit", params={"since": "igår"})
    assert response.status_code == 422 and "ÅÅÅÅ-MM-DD" in response.json()["detail"]
