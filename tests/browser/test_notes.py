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
    assert violations_free(page)
    page.goto(f"{live_server}/anteckningar/{note_id}/talare")
    page.get_by_label("Talare för segment 1").fill("Bo Eklund")
    page.get_by_role("button", name="Spara talare").click()
    page.wait_for_url("**saved=1**")
    assert page.get_by_label("Talare för segment 1").input_value() == "Bo Eklund"
    assert violations_free(page)
