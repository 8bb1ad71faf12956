"""`radhus notes ...` on the database: exact JSON shapes, approval by a real granskare, isolation by organisation."""

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from radhus.cli import app
from radhus.core.audit import AuditKind, AuditRecord
from radhus.notes.tables import NoteRow

from .conftest import tone_with_gaps, write_audio

runner = CliRunner()


@pytest.fixture
def cli_env(settings, two_orgs, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RADHUS_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("RADHUS_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("RADHUS_NOTES_KEY", raising=False)
    monkeypatch.delenv("RADHUS_WHISPER_MODEL_DIR", raising=False)
    return two_orgs


def _draft(eval_dir, org="alfakommun", name="pensionarsrad.txt", template="protokoll"):  # type: ignore[no-untyped-def]
    result = runner.invoke(
        app,
        ["notes", "draft", "--org", org, "--template", template, "--transcript", str(eval_dir / name), "--json"],
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_draft_json_shape_and_encrypted_row(cli_env, eval_dir, session_factory):
    data = _draft(eval_dir)
    assert data["template"] == "protokoll"
    assert set(data["fields"]) == {"narvarande", "justerare", "beslut", "nasta_mote"}
    assert data["fields"]["justerare"] == "Lennart Berg" and data["fields"]["nasta_mote"] == "2026-04-09"
    assert "Margareta Holm" in data["fields"]["narvarande"]
    assert all({"title", "text", "sources"} <= set(s) for s in data["sections"])
    with session_factory() as session:
        row = session.get(NoteRow, data["id"])
        assert row.org_id == cli_env["a"]["org_id"] and row.status == "utkast" and row.data_class == "kanslig"
        assert b"Lennart" not in row.content and b"Margareta" not in row.content
        drafted = session.scalars(select(AuditRecord).where(AuditRecord.function == "notes.draft")).one()
        assert (drafted.kind, drafted.provider, drafted.model) == (AuditKind.AI_CALL, "inbyggd", "extraktiv")


def test_approve_needs_a_real_granskare_then_export(cli_env, eval_dir, tmp_path, session_factory):
    note_id = str(_draft(eval_dir)["id"])
    staff = runner.invoke(app, ["notes", "approve", note_id, "--org", "alfakommun", "--user", "medarbetare@alfakommun"])
    assert staff.exit_code == 2 and "granskare" in staff.output
    ghost = runner.invoke(app, ["notes", "approve", note_id, "--org", "alfakommun", "--user", "Karin"])
    assert ghost.exit_code == 2 and "finns inte" in ghost.output
    foreign = runner.invoke(app, ["notes", "approve", note_id, "--org", "alfakommun", "--user", "granskare@betakommun"])
    assert foreign.exit_code == 2 and "finns inte" in foreign.output
    ok = runner.invoke(app, ["notes", "approve", note_id, "--org", "alfakommun", "--user", "granskare@alfakommun"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["user"] == "granskare@alfakommun"
    for fmt in ("docx", "pdf", "json", "txt"):
        out = tmp_path / f"ut.{fmt}"
        result = runner.invoke(
            app, ["notes", "export", "--org", "alfakommun", note_id, "--format", fmt, "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 100
    assert "Godkänd av granskare@alfakommun" in (tmp_path / "ut.txt").read_text(encoding="utf-8")
    assert (tmp_path / "ut.docx").read_bytes()[:2] == b"PK" and (tmp_path / "ut.pdf").read_bytes()[:4] == b"%PDF"
    with session_factory() as session:
        approval = session.scalars(select(AuditRecord).where(AuditRecord.kind == AuditKind.APPROVAL)).one()
        assert approval.username == "granskare@alfakommun" and approval.detail["note_id"] == int(note_id)
        assert session.get(NoteRow, int(note_id)).status == "exporterad"
    listing = runner.invoke(app, ["notes", "list", "--org", "alfakommun", "--json"])
    assert [r["id"] for r in json.loads(listing.stdout)] == [int(note_id)]


def test_another_organisations_note_is_not_found(cli_env, eval_dir, tmp_path):
    note_id = str(_draft(eval_dir)["id"])
    out = tmp_path / "ut.txt"
    other = runner.invoke(
        app, ["notes", "export", "--org", "betakommun", note_id, "--format", "txt", "--out", str(out)]
    )
    missing = runner.invoke(
        app, ["notes", "export", "--org", "betakommun", "999", "--format", "txt", "--out", str(out)]
    )
    assert other.exit_code == 2 and other.output == missing.output and "finns inte" in other.output
    assert not out.exists()
    approve = runner.invoke(app, ["notes", "approve", note_id, "--org", "betakommun", "--user", "granskare@betakommun"])
    assert approve.exit_code == 2 and "finns inte" in approve.output
    assert json.loads(runner.invoke(app, ["notes", "list", "--org", "betakommun", "--json"]).stdout) == []
    unknown = runner.invoke(app, ["notes", "list", "--org", "gammakommun"])
    assert unknown.exit_code == 2


def test_draft_errors_are_swedish(cli_env, eval_dir, tmp_path):
    missing = runner.invoke(
        app,
        [
            "notes",
            "draft",
            "--org",
            "alfakommun",
            "--template",
            "okand",
            "--transcript",
            str(eval_dir / "socialnamnd.txt"),
        ],
    )
    assert missing.exit_code == 2 and "Mallen" in missing.output
    english = tmp_path / "en.txt"
    english.write_text(
        "Good morning everyone, we have a lot to discuss today and it is good that you are all here "
        "with us for the meeting of the board.",
        encoding="utf-8",
    )
    refused = runner.invoke(
        app, ["notes", "draft", "--org", "alfakommun", "--template", "protokoll", "--transcript", str(english)]
    )
    assert refused.exit_code == 2 and "engelska" in refused.output
    provider = runner.invoke(
        app,
        ["notes", "draft", "--org", "alfakommun", "--template", "protokoll", "--transcript",
         str(eval_dir / "socialnamnd.txt"), "--provider", "moln"],
    )  # fmt: skip
    assert provider.exit_code == 2 and "moln" in provider.output
    listing = runner.invoke(app, ["notes", "list", "--org", "alfakommun", "--json"])
    assert json.loads(listing.stdout) == []


def test_transcribe_without_model_names_the_setting(cli_env, tmp_path):
    audio = write_audio(tmp_path / "mote.wav", tone_with_gaps(1.0))
    result = runner.invoke(app, ["notes", "transcribe", "--org", "alfakommun", str(audio), "--json"])
    assert result.exit_code == 2 and "RADHUS_WHISPER_MODEL_DIR" in result.output
    bad = tmp_path / "mote.txt"
    bad.write_text("x")
    result = runner.invoke(app, ["notes", "transcribe", "--org", "alfakommun", str(bad), "--json"])
    assert result.exit_code == 2 and "stöds inte" in result.output
