"""Documentation support in headless Chromium: paste a transcript, draft, edit a section, approve as granskare,
download DOCX; sources play the audio at the right time; the editor pages pass axe-core."""

import datetime as dt
import io

import pytest
from docx import Document
from sqlalchemy import select

from radhus.core.auth import User, principal_for
from radhus.core.db import transaction
from radhus.notes import workflow
from radhus.notes.crypto import encrypt_file
from radhus.notes.tables import Recording
from radhus.notes.transcript import parse_transcript
from tests.browser.conftest import axe_violations, log_in
from tests.notes.conftest import EVAL_DIR, tone_with_gaps, write_audio

pytestmark = pytest.mark.browser


def test_paste_draft_edit_approve_download(page, live_server, tmp_path):
    page.set_default_timeout(30_000)  # Argon2 logins and PDF/DOCX work are slow on a loaded 2-core machine
    log_in(page, live_server, "medarbetare@exempelkommun")
    page.goto(live_server + "/anteckningar")
    page.get_by_label("Mall").select_option("protokoll")
    page.get_by_label("Rubrik (valfri)").fill("Pensionärsrådet februari")
    page.get_by_label("Klistra in transkription").fill((EVAL_DIR / "pensionarsrad.txt").read_text(encoding="utf-8"))
    page.get_by_role("button", name="Skapa utkast").click()
    page.wait_for_url("**/anteckningar/*")
    assert page.get_by_role("heading", level=1).inner_text() == "Pensionärsrådet februari"
    assert page.locator("mark").count() > 0  # personal data highlighted
    assert page.get_by_role("button", name="Godkänn anteckningen").count() == 0
    note_url = page.url
    editor = page.locator("textarea[name=text]").first
    editor.fill("Rådet diskuterade färdtjänsten och tackade för informationen.")
    page.get_by_role("button", name="Spara avsnittet").first.click()
    page.wait_for_url("**saved=1**")
    assert "Ändringen är sparad." in page.get_by_role("status").inner_text()
    assert "tackade för informationen" in page.locator(".section-text").first.inner_text()
    assert violations_free(page)

    page.get_by_role("button", name="Logga ut").click()
    log_in(page, live_server, "granskare@exempelkommun")
    page.goto(note_url)
    page.get_by_role("button", name="Godkänn anteckningen").click()
    page.wait_for_load_state()
    assert "Godkänd av granskare@exempelkommun" in page.locator(".notice").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Ladda ner DOCX").click()
    target = tmp_path / "ut.docx"
    download.value.save_as(target)
    text = "\n".join(p.text for p in Document(io.BytesIO(target.read_bytes())).paragraphs)
    assert "Godkänd av granskare@exempelkommun" in text and "tackade för informationen" in text


def violations_free(page) -> bool:  # type: ignore[no-untyped-def]
    violations = axe_violations(page)
    assert not violations, violations
    return True


def test_source_button_plays_that_part_and_speaker_view(page, live_server, session_factory, settings, tmp_path):
    page.set_default_timeout(30_000)
    transcript = (
        "[00:00:00] Anna Berg: Välkomna till mötet om biblioteket, vi börjar med en kort presentationsrunda nu.\n"
        "[00:00:04] Bo Ek: Jag heter Bo Ek och är sekreterare i nämnden sedan förra året och för protokollet.\n"
        "[00:00:08] Anna Berg: Nämnden beslutar att biblioteket får längre öppettider på lördagar från och med mars."
    )
    with transaction(session_factory) as session:
        user = session.scalars(select(User).where(User.username == "medarbetare@exempelkommun")).one()
        who = principal_for(user)
        key = workflow.notes_key(settings)
        loaded = workflow.create_from_transcript(
            session, who=who, key=key, segments=parse_transcript(transcript), template="minnesanteckningar",
            title="Biblioteksmötet",
        )  # fmt: skip
        wav = write_audio(tmp_path / "mote.wav", tone_with_gaps(12.0))
        recording = Recording(
            org_id=who.org_id, note_id=loaded.row.id, path=f"notes-audio/{who.org_id}/{loaded.row.id}.wav.enc",
            filename="mote.wav", suffix=".wav", status="klar", state={},
            delete_after=dt.datetime.now(dt.UTC) + dt.timedelta(days=30),
        )  # fmt: skip
        session.add(recording)
        session.flush()
        target = settings.data_dir / recording.path
        target.parent.mkdir(parents=True, exist_ok=True)
        encrypt_file(wav, target, key=key, context=workflow.audio_context(recording))
        note_id = loaded.row.id
    log_in(page, live_server, "medarbetare@exempelkommun")
    page.goto(f"{live_server}/anteckningar/{note_id}")
    page.wait_for_function("document.getElementById('ljud').readyState >= 1")
    page.locator("#transkription summary").click()
    page.get_by_role("button", name="spela upp segment 2").last.click()
    page.wait_for_function("document.getElementById('ljud').currentTime >= 8")
    page.wait_for_function("document.getElementById('segment-2').classList.contains('playing')")  # follows audio
    assert page.locator("#segment-2").get_attribute("aria-current") == "true"
    assert page.locator("li.playing").count() == 1
    assert violations_free(page)
    page.goto(f"{live_server}/anteckningar/{note_id}/talare")
    page.get_by_label("Talare för segment 1").fill("Bo Eklund")
    page.get_by_label("Text i segment 1").fill("Jag heter Bo Eklund och är sekreterare i nämnden.")
    page.get_by_role("button", name="Spara talare och text").click()
    page.wait_for_url("**saved=1**")
    assert page.get_by_label("Talare för segment 1").input_value() == "Bo Eklund"
    assert page.get_by_label("Text i segment 1").input_value().startswith("Jag heter Bo Eklund och")
    page.get_by_label("Nytt namn för Anna Berg").fill("Anna Bergström")  # one label renamed on all its segments
    page.get_by_role("button", name="Byt namn på talarna").click()
    page.wait_for_url("**saved=1**")
    assert [page.get_by_label(f"Talare för segment {i}").input_value() for i in range(3)] == [
        "Anna Bergström", "Bo Eklund", "Anna Bergström",
    ]  # fmt: skip
    assert violations_free(page)
    page.get_by_role("button", name="spela upp segment 2").click()
    page.wait_for_function("document.querySelectorAll('tr.playing').length === 1")


def test_record_in_the_browser_and_submit(page, live_server, app, session_factory, settings):
    """MediaRecorder with Chromium's synthetic microphone: start, stop, submit; the recording is stored encrypted
    as the audio of a new note, and its transcription job is queued and runs."""
    from radhus.core import jobs
    from radhus.notes.audio import decode_all
    from radhus.notes.crypto import decrypt_file

    log_in(page, live_server, "medarbetare@exempelkommun")
    page.goto(live_server + "/anteckningar")
    page.get_by_label("Mall").select_option("minnesanteckningar")
    page.get_by_label("Rubrik (valfri)").fill("Inspelat samtal")
    page.get_by_label("Antal talare (valfritt)").fill("2")
    page.get_by_role("button", name="Spela in i webbläsaren").click()
    status = page.locator("#inspelning-status")
    status.get_by_text("Spelar in").wait_for()
    page.wait_for_timeout(2500)  # about two seconds of the fake microphone's beeps
    page.get_by_role("button", name="Stoppa inspelningen").click()
    status.get_by_text("Inspelningen är klar").wait_for()
    assert page.evaluate("document.getElementById('ljudfil').files[0].name") == "inspelning.webm"
    page.get_by_role("button", name="Skapa utkast").click()
    page.wait_for_url("**/anteckningar/*")
    assert page.get_by_role("heading", level=1).inner_text() == "Inspelat samtal"
    note_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

    with session_factory() as session:
        recording = session.scalars(select(Recording).where(Recording.note_id == note_id)).one()
        job = session.get(jobs.Job, recording.job_id)
        assert recording.suffix == ".webm" and recording.status == "i_ko"
        assert job.kind == "notes.transcribe" and job.status == "queued" and job.payload["speakers"] == 2
        stored = settings.data_dir / recording.path
        context = workflow.audio_context(recording)
    encrypted = stored.read_bytes()
    assert encrypted[:11] == b"RADHUS-ENC1" and b"webm" not in encrypted and b"\x1a\x45\xdf\xa3" not in encrypted
    plain = stored.parent / "klartext.webm"
    decrypt_file(stored, plain, key=workflow.notes_key(settings), context=context)
    assert plain.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"  # a real WebM (EBML) file
    assert len(decode_all(plain)) / 16_000 > 1.0  # about two seconds of decodable audio
    plain.unlink()

    jobs.run_until_idle(session_factory, app.state.ctx.job_handlers, backoff_seconds=0)
    with session_factory() as session:
        ran = session.get(jobs.Job, job.id)
        assert ran.attempts == 1 and ran.status in ("done", "failed")  # no Whisper model here: fails, named
        assert ran.status == "done" or "RADHUS_WHISPER_MODEL_DIR" in (ran.error or "")
