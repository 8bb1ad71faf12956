"""Demo content and AI register: `radhus serve --demo` gives Exempelkommun a pensionärsråd protokoll to review."""

from sqlalchemy import select

from radhus.cli import app as cli_app
from radhus.core import register
from radhus.core.orgs import Organisation
from radhus.notes import workflow
from radhus.notes.tables import NoteRow


def test_demo_installs_a_draft_protokoll_and_register_entries(settings, session_factory, monkeypatch):
    monkeypatch.setenv("RADHUS_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("RADHUS_DATA_DIR", str(settings.data_dir))
    from radhus.core.cli import _install_demo

    _install_demo(settings)
    _install_demo(settings)  # idempotent
    with session_factory() as session:
        org = session.scalars(select(Organisation).where(Organisation.slug == "exempelkommun")).one()
        rows = session.scalars(select(NoteRow).where(NoteRow.org_id == org.id)).all()
        assert len(rows) == 1 and rows[0].status == "utkast" and rows[0].template == "protokoll"
        loaded = workflow.load(session, org_id=org.id, note_id=rows[0].id, key=workflow.notes_key(settings))
        assert "Margareta Holm" in loaded.note.draft.fields["narvarande"] and loaded.segments
        keys = {e.key for e in register.list_register(session, org_id=org.id)}
        assert {"notes.transcribe", "notes.draft"} <= keys
    assert "notes" in [g.name for g in cli_app.registered_groups]
