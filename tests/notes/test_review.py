import io
import json
from datetime import UTC, datetime

import pytest
from docx import Document
from pypdf import PdfReader

from radhus.core.errors import Conflict, Forbidden, InvalidInput
from radhus.notes.drafter import draft_extractive
from radhus.notes.export import export_note
from radhus.notes.models import NoteState
from radhus.notes.privacy import BuiltinPrivacy, pseudonymise_draft
from radhus.notes.review import approve, create_note, edit_field, edit_section, mark_exported
from radhus.notes.templates import shipped_template
from radhus.notes.transcript import read_transcript

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def note(eval_dir):
    draft = draft_extractive(
        segments=read_transcript(eval_dir / "socialnamnd.txt"), template=shipped_template("protokoll")
    )
    return create_note(org="solna", draft=draft, note_id="n1", now=NOW)


def test_edits_are_tracked_with_who_when_and_diff(note):
    assert note.state is NoteState.DRAFT and note.data_class == "kanslig"
    edit = edit_section(note=note, user="lisa", section_key="nasta_mote", text="Nästa möte 18 mars kl. 9.", now=NOW)
    assert note.state is NoteState.EDITED
    assert edit.user == "lisa" and edit.at.startswith("2026-03-01") and "+Nästa möte 18 mars kl. 9." in edit.diff
    edit_field(note=note, user="lisa", field_key="justerare", value="Johan Persson")
    assert note.draft.fields["justerare"] == "Johan Persson"
    assert [e.target for e in note.edits] == ["section:nasta_mote", "field:justerare"]
    assert "-Eva Sandberg" in note.edits[1].diff


def test_only_a_granskare_can_approve_and_approval_is_audited(note):
    events = []
    with pytest.raises(Forbidden, match="granskare"):
        approve(note=note, user="bo", roles={"handlaggare"})
    event = approve(note=note, user="Karin", roles={"granskare"}, now=NOW, audit=events.append)
    assert events == [event]
    assert event["action"] == "notes.approve" and event["user"] == "Karin" and event["note_id"] == "n1"
    assert note.state is NoteState.APPROVED and note.approved_by == "Karin"
    with pytest.raises(Conflict):
        edit_section(note=note, user="bo", section_key="beslut", text="ändrat")
    with pytest.raises(Conflict):
        approve(note=note, user="Karin", roles={"granskare"})
    mark_exported(note=note, user="Karin", fmt="pdf")
    assert note.state is NoteState.EXPORTED


def test_unknown_section_and_anonymous_edits_are_refused(note):
    with pytest.raises(InvalidInput):
        edit_section(note=note, user=" ", section_key="beslut", text="x")
    with pytest.raises(Exception, match="finns inte"):
        edit_section(note=note, user="bo", section_key="saknas", text="x")


def test_exports_in_all_formats_contain_the_note(note):
    approve(note=note, user="Karin", roles={"granskare"}, now=NOW)
    decision = note.draft.fields["beslut"][1]
    docx_text = "\n".join(p.text for p in Document(io.BytesIO(export_note(note=note, fmt="docx"))).paragraphs)
    pdf_text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(export_note(note=note, fmt="pdf"))).pages)
    txt = export_note(note=note, fmt="txt").decode("utf-8")
    data = json.loads(export_note(note=note, fmt="json"))
    assert "riktlinjerna" in decision
    assert decision in docx_text and decision in txt and "Godkänd av Karin" in txt
    assert "riktlinjerna för ekonomiskt" in " ".join(pdf_text.split()) and "Nästa möte" in pdf_text
    assert data["final"] is True and data["approved_by"] == "Karin" and data["draft"]["fields"]["beslut"][1] == decision


def test_unapproved_export_is_marked_as_draft(note):
    txt = export_note(note=note, fmt="txt").decode()
    assert "UTKAST – ej godkänt" in txt
    assert mark_exported(note=note, user="bo", fmt="txt")["final"] is False and note.state is NoteState.DRAFT
    with pytest.raises(InvalidInput, match="stöds inte"):
        export_note(note=note, fmt="odt")


def test_pseudonymised_copy_replaces_names_consistently(note):
    note.draft.sections[0].text += " Kontakt: eva.sandberg@solna.se, 070-123 45 67, 19850101-1234."
    copy = pseudonymise_draft(note.draft)
    text = json.dumps([s.text for s in copy.sections] + [copy.fields], ensure_ascii=False)
    for secret in ("Eva Sandberg", "Karin Lindqvist", "eva.sandberg@solna.se", "070-123 45 67", "19850101-1234"):
        assert secret not in text
    assert copy.fields["justerare"] in copy.fields["narvarande"]  # the same person, the same pseudonym
    assert "[E-POST]" in text and "[PERSONNUMMER]" in text and "[TELEFON]" in text
    assert "Eva Sandberg" in note.draft.fields["narvarande"]  # the original is untouched


def test_builtin_privacy_finds_address_and_postcode():
    kinds = [s.kind for s in BuiltinPrivacy().find("Hon bor på Storgatan 12, 123 45 Solna.")]
    assert kinds == ["adress", "postnummer"]
