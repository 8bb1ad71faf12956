"""Templates defined by an organisation's administrators: the admin page, the API, drafting with them (web, API
and CLI), Swedish validation errors, roles and isolation between organisations."""

import json
import re

from sqlalchemy import func, select
from typer.testing import CliRunner

from radhus.cli import app as cli_app
from radhus.core.audit import AuditKind, AuditRecord
from radhus.notes.tables import NoteRow, NoteTemplate
from tests.conftest import login

from .conftest import EVAL_DIR

TRANSCRIPT = (EVAL_DIR / "pensionarsrad.txt").read_text(encoding="utf-8")
TEMPLATE = {
    "name": "radsmote",
    "title": "Anteckningar från rådsmöte",
    "description": "Kort mall för rådets möten.",
    "fields": [
        {"key": "deltagare", "label": "Deltagare", "type": "names", "instruction": "Alla som deltog."},
        {"key": "beslut", "label": "Beslut", "type": "list", "instruction": "Ett beslut per punkt."},
    ],
    "sections": [
        {"key": "fragor", "title": "Frågor som togs upp", "instruction": "Vad som diskuterades.", "cues": ["fråga"]},
        {"key": "beslutspunkter", "title": "Beslutspunkter", "instruction": "Besluten.", "cues": ["beslutar"]},
    ],
}


def _post_template(client, csrf: str, definition: str, path: str = "/anteckningar/mallar"):  # type: ignore[no-untyped-def]
    return client.post(path, data={"definition": definition}, headers={"X-CSRF-Token": csrf}, follow_redirects=False)


def _template_count(session_factory) -> int:  # type: ignore[no-untyped-def]
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(NoteTemplate))


def test_admin_creates_template_and_staff_drafts_with_it(client, two_orgs, session_factory):
    csrf = login(client, "administrator@alfakommun")
    assert 'href="/anteckningar/mallar"' in client.get("/anteckningar").text  # reachable from the notes list
    page = client.get("/anteckningar/mallar")
    assert page.status_code == 200 and 'for="mall-json"' in page.text and "arbetsplatstraff" in page.text
    created = _post_template(client, csrf, json.dumps(TEMPLATE, ensure_ascii=False))
    assert created.status_code == 303, created.text
    listing = client.get(created.headers["location"])
    assert "Anteckningar från rådsmöte" in listing.text and "protokoll" in listing.text
    with session_factory() as session:
        row = session.scalars(select(NoteTemplate)).one()
        assert row.org_id == two_orgs["a"]["org_id"] and row.name == "radsmote"
        record = session.scalars(select(AuditRecord).where(AuditRecord.action == "notes.template_create")).one()
        assert record.kind == AuditKind.ADMIN_CHANGE and record.username == "administrator@alfakommun"

    client.cookies.clear()
    csrf = login(client, "medarbetare@alfakommun")
    assert '<option value="radsmote"' in client.get("/anteckningar").text
    response = client.post(
        "/anteckningar",
        data={"template": "radsmote", "title": "Rådet", "transcript": TRANSCRIPT},
        headers={"X-CSRF-Token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    note_id = int(response.headers["location"].rsplit("/", 1)[1])
    note = client.get(f"/anteckningar/{note_id}")
    assert "Frågor som togs upp" in note.text and "Beslutspunkter" in note.text
    with session_factory() as session:
        assert session.get(NoteRow, note_id).template == "radsmote"
    api = client.get("/api/v1/notes/templates").json()
    assert api[0] == {"name": "radsmote", "title": "Anteckningar från rådsmöte",
                      "description": "Kort mall för rådets möten.", "id": row.id, "own": True}  # fmt: skip
    assert {"protokoll", "journalanteckning"} <= {t["name"] for t in api if not t["own"]}


def test_invalid_template_is_refused_in_swedish_and_keeps_the_text(client, two_orgs, session_factory):
    csrf = login(client, "redaktor@alfakommun")  # redaktör manages knowledge and templates
    bad = dict(TEMPLATE, fields=[{"key": "x", "label": "X", "type": "bild"}])
    typed = json.dumps(bad, ensure_ascii=False)
    response = _post_template(client, csrf, typed)
    assert response.status_code == 422
    assert "okänd fälttyp" in response.text and "bild" in response.text
    textarea = re.search(r'<textarea id="mall-json"[^>]*>(.*?)</textarea>', response.text, re.S).group(1)
    assert "&#34;bild&#34;" in textarea or "&quot;bild&quot;" in textarea  # the typed text is kept
    broken = _post_template(client, csrf, '{"name": "x",')
    assert broken.status_code == 422 and "inte giltig JSON" in broken.text
    shipped_name = _post_template(client, csrf, json.dumps(dict(TEMPLATE, name="protokoll")))
    assert shipped_name.status_code == 422 and "inbyggd mall" in shipped_name.text
    api = client.post("/api/v1/notes/templates", json=bad, headers={"X-CSRF-Token": csrf})
    assert api.status_code == 422 and "okänd fälttyp" in api.text
    assert _template_count(session_factory) == 0
    with session_factory() as session:
        assert not session.scalars(select(AuditRecord).where(AuditRecord.kind == AuditKind.ADMIN_CHANGE)).all()


def test_edit_and_delete_template(client, two_orgs, session_factory):
    csrf = login(client, "administrator@alfakommun")
    created = client.post("/api/v1/notes/templates", json=TEMPLATE, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 200, created.text
    template_id = created.json()["id"]
    form = client.get(f"/anteckningar/mallar/{template_id}")
    assert form.status_code == 200 and "Redigera mallen radsmote" in form.text
    changed = _post_template(
        client,
        csrf,
        json.dumps(dict(TEMPLATE, title="Nytt namn"), ensure_ascii=False),
        f"/anteckningar/mallar/{template_id}",
    )
    assert changed.status_code == 303
    again = client.post("/api/v1/notes/templates", json=TEMPLATE, headers={"X-CSRF-Token": csrf})
    assert again.status_code == 409 and "redan en mall" in again.text
    with session_factory() as session:
        assert session.get(NoteTemplate, template_id).definition["title"] == "Nytt namn"
    deleted = client.post(f"/anteckningar/mallar/{template_id}/radera", headers={"X-CSRF-Token": csrf})
    assert deleted.status_code == 200 and _template_count(session_factory) == 0
    with session_factory() as session:
        actions = {
            r.action for r in session.scalars(select(AuditRecord).where(AuditRecord.kind == AuditKind.ADMIN_CHANGE))
        }
    assert {"notes.template_create", "notes.template_update", "notes.template_delete"} <= actions


def test_staff_may_not_manage_templates(client, two_orgs, session_factory):
    csrf = login(client, "medarbetare@alfakommun")
    assert client.get("/anteckningar/mallar").status_code == 403
    assert 'href="/anteckningar/mallar"' not in client.get("/anteckningar").text
    assert _post_template(client, csrf, json.dumps(TEMPLATE)).status_code == 403
    assert client.post("/api/v1/notes/templates", json=TEMPLATE, headers={"X-CSRF-Token": csrf}).status_code == 403
    assert _template_count(session_factory) == 0


def test_other_organisation_cannot_see_or_use_the_template(client, two_orgs, session_factory):
    csrf = login(client, "administrator@alfakommun")
    template_id = client.post("/api/v1/notes/templates", json=TEMPLATE, headers={"X-CSRF-Token": csrf}).json()["id"]
    client.cookies.clear()
    csrf = login(client, "administrator@betakommun")
    assert "radsmote" not in client.get("/anteckningar/mallar").text
    assert "radsmote" not in client.get("/anteckningar").text
    assert "radsmote" not in {t["name"] for t in client.get("/api/v1/notes/templates").json()}
    assert client.get(f"/anteckningar/mallar/{template_id}").status_code == 404
    assert client.post(f"/anteckningar/mallar/{template_id}/radera", headers={"X-CSRF-Token": csrf}).status_code == 404
    refused = client.post("/api/v1/notes", json={"template": "radsmote", "transcript": TRANSCRIPT},
                          headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert refused.status_code == 404 and "finns inte" in refused.text
    # betakommun may define its own template with the same name; each organisation sees only its own
    own = client.post(
        "/api/v1/notes/templates", json=dict(TEMPLATE, title="Betas rådsmöte"), headers={"X-CSRF-Token": csrf}
    )
    assert own.status_code == 200
    drafted = client.post("/api/v1/notes", json={"template": "radsmote", "transcript": TRANSCRIPT},
                          headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert drafted.status_code == 200 and drafted.json()["draft"]["template"] == "radsmote"
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(NoteTemplate)) == 2


def test_cli_draft_with_organisation_template(client, two_orgs, session_factory, settings, monkeypatch):
    monkeypatch.setenv("RADHUS_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("RADHUS_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("RADHUS_NOTES_KEY", raising=False)
    csrf = login(client, "administrator@alfakommun")
    assert client.post("/api/v1/notes/templates", json=TEMPLATE, headers={"X-CSRF-Token": csrf}).status_code == 200
    runner = CliRunner()
    args = ["notes", "draft", "--template", "radsmote", "--transcript", str(EVAL_DIR / "pensionarsrad.txt"), "--json"]
    result = runner.invoke(cli_app, [*args, "--org", "alfakommun"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["template"] == "radsmote" and set(data["fields"]) == {"deltagare", "beslut"}
    assert [s["title"] for s in data["sections"]] == ["Frågor som togs upp", "Beslutspunkter"]
    foreign = runner.invoke(cli_app, [*args, "--org", "betakommun"])
    assert foreign.exit_code == 2 and "finns inte" in foreign.output
