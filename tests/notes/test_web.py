"""The notes pages and API over real HTTP: draft from a transcript, edit, approve (granskare only), export."""

import io
import re

from docx import Document
from sqlalchemy import select

from radhus.core import jobs
from radhus.core.audit import AuditKind, AuditRecord
from radhus.notes.tables import NoteEdit, NoteRow, Recording
from tests.conftest import login

from .conftest import EVAL_DIR, tone_with_gaps, write_audio

TRANSCRIPT = (EVAL_DIR / "pensionarsrad.txt").read_text(encoding="utf-8")


def _create(client, csrf: str, text: str = TRANSCRIPT, template: str = "protokoll") -> int:  # type: ignore[no-untyped-def]
    response = client.post(
        "/anteckningar",
        data={"template": template, "title": "Pensionärsrådet", "transcript": text},
        headers={"X-CSRF-Token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_draft_edit_approve_export(client, two_orgs, session_factory, settings):
    csrf = login(client, "medarbetare@alfakommun")
    note_id = _create(client, csrf)
    page = client.get(f"/anteckningar/{note_id}")
    assert page.status_code == 200 and "Lennart Berg" in page.text and "<mark" in page.text
    assert "Godkänn anteckningen" not in page.text  # medarbetare may not approve
    key = re.search(r'action="/anteckningar/\d+/avsnitt/([^"]+)"', page.text).group(1)
    edited = client.post(
        f"/anteckningar/{note_id}/avsnitt/{key}",
        data={"text": "Rådet tackade för informationen om färdtjänsten."},
        headers={"X-CSRF-Token": csrf},
        follow_redirects=False,
    )
    assert edited.status_code == 303
    refused = client.post(f"/anteckningar/{note_id}/godkann", headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    assert refused.status_code == 403
    with session_factory() as session:
        row = session.get(NoteRow, note_id)
        assert row.status == "redigerad" and row.approved_by is None
        edit = session.scalars(select(NoteEdit).where(NoteEdit.note_id == note_id)).one()
        assert edit.username == "medarbetare@alfakommun" and edit.target == f"section:{key}"
        assert b"tackade" not in edit.diff and b"tackade" not in row.content  # encrypted at rest

    client.cookies.clear()
    csrf = login(client, "granskare@alfakommun")
    page = client.get(f"/anteckningar/{note_id}")
    assert "Rådet tackade för informationen om färdtjänsten." in page.text and "Godkänn anteckningen" in page.text
    approved = client.post(f"/anteckningar/{note_id}/godkann", headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    assert approved.status_code == 303
    again = client.post(f"/anteckningar/{note_id}/avsnitt/{key}", data={"text": "x"}, headers={"X-CSRF-Token": csrf})
    assert again.status_code == 409
    docx = client.get(f"/anteckningar/{note_id}/export/docx")
    assert docx.status_code == 200 and "attachment" in docx.headers["content-disposition"]
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "Godkänd av granskare@alfakommun" in text and "färdtjänsten" in text
    pdf, js, txt = (client.get(f"/anteckningar/{note_id}/export/{f}") for f in ("pdf", "json", "txt"))
    assert pdf.content[:4] == b"%PDF" and js.json()["final"] is True and "tackade" in txt.text
    assert client.get(f"/anteckningar/{note_id}/export/rtf").status_code == 422
    with session_factory() as session:
        row = session.get(NoteRow, note_id)
        assert row.status == "exporterad" and row.approved_by_name == "granskare@alfakommun"
        kinds = [r.kind for r in session.scalars(select(AuditRecord).order_by(AuditRecord.seq))]
        assert AuditKind.APPROVAL in kinds and AuditKind.PERSONAL_DATA_READ in kinds and AuditKind.AI_CALL in kinds


def test_pseudonymise_and_fields(client, two_orgs):
    csrf = login(client, "medarbetare@alfakommun")
    note_id = _create(client, csrf)
    copy = client.get(f"/anteckningar/{note_id}/pseudonymiserad")
    assert copy.status_code == 200 and "Lennart Berg" not in copy.text and "Margareta Holm" not in copy.text
    saved = client.post(
        f"/anteckningar/{note_id}/falt/justerare", data={"value": "Siv Nyström"}, headers={"X-CSRF-Token": csrf}
    )
    assert saved.status_code == 200 and 'value="Siv Nyström"' in saved.text
    unknown = client.post(f"/anteckningar/{note_id}/falt/okant", data={"value": "x"}, headers={"X-CSRF-Token": csrf})
    assert unknown.status_code == 404


def test_bad_input_keeps_the_text_and_explains_in_swedish(client, two_orgs, session_factory):
    csrf = login(client, "medarbetare@alfakommun")
    english = "Good morning everyone, we have a lot to discuss today and it is good that you are all here with us."
    response = client.post(
        "/anteckningar",
        data={"template": "protokoll", "transcript": english},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 422 and "engelska" in response.text and english in response.text
    empty = client.post("/anteckningar", data={"template": "protokoll"}, headers={"X-CSRF-Token": csrf})
    assert empty.status_code == 422 and "Klistra in" in empty.text
    with session_factory() as session:
        assert session.scalars(select(NoteRow)).all() == []


def test_audio_upload_is_encrypted_and_job_names_the_setting(
    client, app, two_orgs, session_factory, settings, tmp_path
):
    csrf = login(client, "medarbetare@alfakommun")
    wav = write_audio(tmp_path / "mote.wav", tone_with_gaps(2.0))
    plain = wav.read_bytes()
    response = client.post(
        "/anteckningar",
        data={"template": "minnesanteckningar", "title": "Möte"},
        files={"audio": ("mote.wav", plain, "audio/wav")},
        headers={"X-CSRF-Token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    note_id = int(response.headers["location"].rsplit("/", 1)[1])
    with session_factory() as session:
        recording = session.scalars(select(Recording)).one()
        stored = (settings.data_dir / recording.path).read_bytes()
    assert stored[:11] == b"RADHUS-ENC1" and b"RIFF" not in stored and b"WAVE" not in stored
    assert len(stored) >= len(plain)
    played = client.get(f"/anteckningar/{note_id}/ljud")
    assert played.status_code == 200 and played.content == plain
    jobs.run_until_idle(session_factory, app.state.ctx.job_handlers, backoff_seconds=0)
    status = client.get(f"/anteckningar/{note_id}/status")
    assert "RADHUS_WHISPER_MODEL_DIR" in status.text
    with session_factory() as session:
        job = session.scalars(select(jobs.Job)).one()
        assert job.status == "failed" and "RADHUS_WHISPER_MODEL_DIR" in job.error and job.attempts == 1
    too_big = client.post(
        "/anteckningar",
        data={"template": "protokoll"},
        files={"audio": ("mote.txt", b"hej", "text/plain")},
        headers={"X-CSRF-Token": csrf},
    )
    assert too_big.status_code == 422 and "stöds inte" in too_big.text


def test_api_and_other_organisation(client, two_orgs):
    csrf = login(client, "granskare@alfakommun")
    created = client.post(
        "/api/v1/notes",
        json={"template": "protokoll", "transcript": TRANSCRIPT, "title": "API"},
        headers={"X-CSRF-Token": csrf},
    )
    assert created.status_code == 200, created.text
    note_id = created.json()["id"]
    assert created.json()["draft"]["fields"]["justerare"] == "Lennart Berg"
    assert client.post(f"/api/v1/notes/{note_id}/approve", headers={"X-CSRF-Token": csrf}).json()["status"] == "godkand"
    client.cookies.clear()
    login(client, "administrator@betakommun")
    other, missing = client.get(f"/api/v1/notes/{note_id}"), client.get("/api/v1/notes/9999")
    assert other.status_code == missing.status_code == 404 and other.json() == missing.json()
    assert client.get("/api/v1/notes").json() == []


def test_sensitive_transcript_is_never_sent_to_a_lower_class_chat_provider(settings, two_orgs, session_factory):
    from fastapi.testclient import TestClient

    from radhus.app import create_app

    cloud = settings.model_copy(
        update={
            "providers": {
                "chat": {
                    "moln": {"kind": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m", "max_retries": 0}
                }
            },
            "defaults": {"chat": "moln"},
        }
    )
    with TestClient(create_app(cloud, start_worker=False)) as client:
        csrf = login(client, "medarbetare@alfakommun")
        response = client.post(
            "/api/v1/notes", json={"template": "protokoll", "transcript": TRANSCRIPT}, headers={"X-CSRF-Token": csrf}
        )
        page = client.post(
            "/anteckningar", data={"template": "protokoll", "transcript": TRANSCRIPT}, headers={"X-CSRF-Token": csrf}
        )
    assert response.status_code == 403 and "känslig" in response.json()["detail"]
    assert page.status_code == 403 and "Lennart Berg: Jag heter" in page.text  # the pasted text is kept
    with session_factory() as session:
        assert session.scalars(select(NoteRow)).all() == []
        refused = session.scalars(select(AuditRecord).where(AuditRecord.function == "notes.draft")).all()
        assert refused and {r.status for r in refused} == {"refused"} and {r.provider for r in refused} == {"moln"}
