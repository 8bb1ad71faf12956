import json

import pytest
from typer.testing import CliRunner

from radhus.cli import app

from .conftest import tone_with_gaps, write_audio

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RADHUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("RADHUS_NOTES_KEY", raising=False)
    monkeypatch.delenv("RADHUS_WHISPER_MODEL_DIR", raising=False)
    return tmp_path / "data"


def _draft(eval_dir, name="pensionarsrad.txt", template="protokoll"):
    result = runner.invoke(
        app,
        ["notes", "draft", "--org", "solna", "--template", template, "--transcript", str(eval_dir / name), "--json"],
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_draft_json_shape(eval_dir, data_dir):
    data = _draft(eval_dir)
    assert data["template"] == "protokoll"
    assert set(data["fields"]) == {"narvarande", "justerare", "beslut", "nasta_mote"}
    assert data["fields"]["justerare"] == "Lennart Berg" and data["fields"]["nasta_mote"] == "2026-04-09"
    assert all({"title", "text", "sources"} <= set(s) for s in data["sections"])
    stored = (data_dir / "notes" / "solna" / f"{data['id']}.note").read_bytes()
    assert b"Lennart" not in stored


def test_approve_then_export(eval_dir, tmp_path):
    note_id = _draft(eval_dir)["id"]
    refused = runner.invoke(
        app, ["notes", "approve", note_id, "--org", "solna", "--user", "Bo", "--role", "handlaggare"]
    )
    assert refused.exit_code == 1 and "granskare" in refused.output
    ok = runner.invoke(app, ["notes", "approve", note_id, "--org", "solna", "--user", "Karin", "--role", "granskare"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["user"] == "Karin"
    for fmt in ("docx", "pdf", "json", "txt"):
        out = tmp_path / f"ut.{fmt}"
        result = runner.invoke(app, ["notes", "export", "--org", "solna", note_id, "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 100
    assert "Godkänd av Karin" in (tmp_path / "ut.txt").read_text(encoding="utf-8")
    other_org = runner.invoke(
        app, ["notes", "export", "--org", "sundbyberg", note_id, "--format", "txt", "--out", str(out)]
    )
    assert other_org.exit_code == 1 and "finns inte" in other_org.output


def test_draft_errors_are_swedish(eval_dir, tmp_path):
    missing = runner.invoke(
        app,
        [
            "notes",
            "draft",
            "--org",
            "solna",
            "--template",
            "okand",
            "--transcript",
            str(eval_dir / "socialnamnd.txt"),
            "--json",
        ],
    )
    assert missing.exit_code == 1 and "Mallen" in missing.output
    english = tmp_path / "en.txt"
    english.write_text(
        "Good morning everyone, we have a lot to discuss today and it is good that you are all here "
        "with us for the meeting of the board.",
        encoding="utf-8",
    )
    refused = runner.invoke(
        app, ["notes", "draft", "--org", "solna", "--template", "protokoll", "--transcript", str(english)]
    )
    assert refused.exit_code == 2 and "engelska" in refused.output
    provider = runner.invoke(
        app,
        [
            "notes",
            "draft",
            "--org",
            "solna",
            "--template",
            "protokoll",
            "--transcript",
            str(eval_dir / "socialnamnd.txt"),
            "--provider",
            "moln",
        ],
    )
    assert provider.exit_code == 1 and "moln" in provider.output


def test_transcribe_without_model_names_the_setting(tmp_path):
    audio = write_audio(tmp_path / "mote.wav", tone_with_gaps(1.0))
    result = runner.invoke(app, ["notes", "transcribe", "--org", "solna", str(audio), "--json"])
    assert result.exit_code == 1 and "RADHUS_WHISPER_MODEL_DIR" in result.output
    bad = tmp_path / "mote.txt"
    bad.write_text("x")
    result = runner.invoke(app, ["notes", "transcribe", "--org", "solna", str(bad), "--json"])
    assert result.exit_code == 2 and "stöds inte" in result.output
