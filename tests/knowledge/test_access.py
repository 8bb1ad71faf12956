"""Access to a collection by unit and named user, set on the collection page (redaktör): people outside the chosen
unit cannot see or search the collection; members of the unit and named users can; bad choices are refused."""

import re

import pytest
from sqlalchemy import select

from radhus.core import jobs, orgs
from radhus.core.audit import AuditRecord
from radhus.core.auth import User
from radhus.core.db import transaction
from radhus.knowledge.tables import Collection
from tests.conftest import login

ROUTINE = "# Rutin för hemtjänst Norr\n\nNattpatrullen i Norr nås på telefon 010-111 22 33.\n"


@pytest.fixture
def app(settings):  # type: ignore[no-untyped-def]
    from radhus.app import create_app

    settings.knowledge_embedder = "none"
    return create_app(settings, start_worker=False)


@pytest.fixture
def units(two_orgs, session_factory):  # type: ignore[no-untyped-def]
    """Alfakommun's units Norr (with granskare@alfakommun in it) and Söder; Betakommun's unit Väster."""
    with transaction(session_factory) as session:
        north = orgs.create_unit(session, org_id=two_orgs["a"]["org_id"], name="Hemtjänst Norr")
        south = orgs.create_unit(session, org_id=two_orgs["a"]["org_id"], name="Hemtjänst Söder")
        west = orgs.create_unit(session, org_id=two_orgs["b"]["org_id"], name="Väster")
        users = {u.username: u for u in session.scalars(select(User))}
        users["granskare@alfakommun"].unit_id = north.id
        users["revisor@alfakommun"].unit_id = south.id
        ids = {name: u.id for name, u in users.items()}
        return {"north": north.id, "south": south.id, "west": west.id, "users": ids}


def _set_access(client, csrf, cid, **fields):  # type: ignore[no-untyped-def]
    return client.post(f"/kunskap/samlingar/{cid}/atkomst", data={"csrf_token": csrf, **fields},
                       follow_redirects=False)  # fmt: skip


def _search(client, token, cid):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/knowledge/search", json={"question": "nattpatrullen", "collection_ids": [cid]},
                       headers={"X-CSRF-Token": token})  # fmt: skip


def test_unit_and_user_access_from_the_collection_page(app, client, units, session_factory):
    csrf = login(client, "redaktor@alfakommun")
    cid = client.post("/api/v1/knowledge/collections", json={"name": "norr"}, headers={"X-CSRF-Token": csrf}).json()
    cid = cid["id"]
    client.post(f"/api/v1/knowledge/collections/{cid}/documents", files=[("files", ("norr.md", ROUTINE.encode()))],
                headers={"X-CSRF-Token": csrf})  # fmt: skip
    jobs.run_until_idle(session_factory, app.state.ctx.job_handlers, backoff_seconds=0)
    page = client.get(f"/kunskap/samlingar/{cid}")
    assert "Alla i organisationen kan använda samlingen." in page.text and "Hemtjänst Norr" in page.text
    assert "Väster" not in page.text  # another organisation's units are not offered

    moved = _set_access(client, csrf, cid, allowed_units=str(units["north"]),
                        allowed_users=str(units["users"]["medarbetare@alfakommun"]))  # fmt: skip
    assert moved.status_code == 303 and moved.headers["location"].endswith("#atkomst")
    page = client.get(f"/kunskap/samlingar/{cid}").text
    assert re.search(r"enheterna\s+Hemtjänst Norr", page) and "Medarbetare alfakommun" in page
    assert re.search(rf'value="{units["north"]}"\s+checked', page)
    with session_factory() as session:
        stored = session.get(Collection, cid)
        assert stored.allowed_units == [units["north"]]
        records = session.scalars(select(AuditRecord).where(AuditRecord.action == "knowledge.access")).all()
        assert len(records) == 1

    in_unit = login(client, "granskare@alfakommun")
    assert "010-111 22 33" in _search(client, in_unit, cid).json()["results"][0]["text"]
    named = login(client, "medarbetare@alfakommun")
    assert _search(client, named, cid).status_code == 200
    outside = login(client, "revisor@alfakommun")  # in unit Söder
    refused = _search(client, outside, cid)
    assert refused.status_code == 404 and "010-111" not in refused.text
    assert client.get(f"/kunskap/samlingar/{cid}").status_code == 404
    assert all(c["id"] != cid for c in client.get("/api/v1/knowledge/collections").json())
    question = {"question": "Hur når man nattpatrullen?", "collection_ids": [cid]}
    asked = client.post("/api/v1/knowledge/ask", json=question, headers={"X-CSRF-Token": outside})
    assert asked.status_code == 404
    assert _set_access(client, outside, cid).status_code == 403  # only redaktörer change access

    editor = login(client, "redaktor@alfakommun")  # the owner keeps access and can open it to everyone again
    assert _set_access(client, editor, cid).status_code == 303
    outside = login(client, "revisor@alfakommun")
    assert _search(client, outside, cid).status_code == 200


def test_bad_access_choices_are_refused_in_swedish(app, client, units, two_orgs):
    csrf = login(client, "redaktor@alfakommun")
    cid = client.post("/api/v1/knowledge/collections", json={"name": "norr"}, headers={"X-CSRF-Token": csrf}).json()
    cid = cid["id"]
    other_unit = _set_access(client, csrf, cid, allowed_units=str(units["west"]))
    assert (
        other_unit.status_code == 422
        and "Enheten" in other_unit.text
        and "finns inte i er organisation" in other_unit.text
    )
    other_user = client.put(f"/api/v1/knowledge/collections/{cid}/access",
                            json={"allowed_users": [units["users"]["medarbetare@betakommun"]]},
                            headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert other_user.status_code == 422 and "Användaren" in other_user.json()["detail"]
    role = client.put(f"/api/v1/knowledge/collections/{cid}/access", json={"allowed_roles": ["chef"]},
                      headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert role.status_code == 422 and "Okända roller: chef" in role.json()["detail"]
    created = client.post("/api/v1/knowledge/collections", json={"name": "x", "allowed_units": [units["west"]]},
                          headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert created.status_code == 422
    ok = client.put(f"/api/v1/knowledge/collections/{cid}/access", json={"allowed_units": [units["south"]]},
                    headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert ok.json()["allowed_units"] == [units["south"]]
    beta = login(client, "redaktor@betakommun")
    foreign = client.put(f"/api/v1/knowledge/collections/{cid}/access", json={}, headers={"X-CSRF-Token": beta})
    assert foreign.status_code == 404
