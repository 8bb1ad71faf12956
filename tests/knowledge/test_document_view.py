"""The document view opens the uploaded original: a cited PDF passage links to its page in the PDF; other types are
only downloaded (never shown inline); another organisation cannot fetch the file."""

import re

import pytest
from sqlalchemy import select

from radhus.core import jobs
from radhus.knowledge.tables import Document
from tests.conftest import login
from tests.knowledge.conftest import make_pdf


@pytest.fixture
def app(settings):  # type: ignore[no-untyped-def]
    from radhus.app import create_app

    settings.knowledge_embedder = "none"
    return create_app(settings, start_worker=False)


def test_pdf_passages_link_to_their_page_and_the_original_is_guarded(app, client, two_orgs, session_factory):
    csrf = login(client, "redaktor@alfakommun")
    headers = {"X-CSRF-Token": csrf}
    cid = client.post("/api/v1/knowledge/collections", json={"name": "riktlinjer"}, headers=headers).json()["id"]
    intro = "\n".join(f"Riktlinjen beskriver hur hemtjänsten planeras och följs upp, del {i}." for i in range(14))
    fees = "Avgiften för trygghetslarm är 250 kronor i månaden.\n" + "\n".join(
        f"Avgiften betalas mot faktura varje månad och omprövas varje år, punkt {i}." for i in range(12)
    )
    pdf = make_pdf([intro, fees])
    page_html = (
        b"<html><body><script>alert(1)</script><p>Trygghetslarm beviljas av handl\xc3\xa4ggaren.</p></body></html>"
    )
    uploads = [("files", ("riktlinje.pdf", pdf)), ("files", ("sida.html", page_html))]
    client.post(f"/api/v1/knowledge/collections/{cid}/documents", files=uploads, headers=headers)
    jobs.run_until_idle(session_factory, app.state.ctx.job_handlers, backoff_seconds=0)
    with session_factory() as session:
        docs = {d.source: d.id for d in session.scalars(select(Document).where(Document.collection_id == cid))}

    hits = client.post("/api/v1/knowledge/search", json={"question": "avgift trygghetslarm", "collection_ids": [cid]},
                       headers=headers).json()["results"]  # fmt: skip
    cited = next(h for h in hits if h["document"] == "riktlinje.pdf")
    view = client.get(f"/kunskap/dokument/{docs['riktlinje.pdf']}?stycke={cited['chunk_id']}").text
    assert f'href="/kunskap/dokument/{docs["riktlinje.pdf"]}/original#page=2"' in view
    highlighted = re.search(r'class="card passage highlighted".*?</section>', view, re.S).group(0)  # type: ignore[union-attr]
    assert "250 kronor" in highlighted and "Öppna PDF:en på sidan 2" in highlighted

    original = client.get(f"/kunskap/dokument/{docs['riktlinje.pdf']}/original")
    assert original.status_code == 200 and original.content == pdf
    assert original.headers["content-type"] == "application/pdf"
    assert original.headers["content-disposition"].startswith("inline")
    html = client.get(f"/kunskap/dokument/{docs['sida.html']}/original")
    assert html.status_code == 200 and html.content == page_html
    assert html.headers["content-type"] == "application/octet-stream"
    assert html.headers["content-disposition"].startswith("attachment")
    assert "Öppna PDF:en" not in client.get(f"/kunskap/dokument/{docs['sida.html']}").text

    login(client, "redaktor@betakommun")
    foreign = client.get(f"/kunskap/dokument/{docs['riktlinje.pdf']}/original")
    assert foreign.status_code == 404 and foreign.content != pdf

    headers = {"X-CSRF-Token": login(client, "redaktor@alfakommun")}
    assert client.delete(f"/api/v1/knowledge/documents/{docs['riktlinje.pdf']}", headers=headers).status_code == 200
    assert client.get(f"/kunskap/dokument/{docs['riktlinje.pdf']}/original").status_code == 404
