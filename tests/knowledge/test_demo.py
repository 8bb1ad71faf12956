"""The demo's knowledge content: Exempelkommun's routines, one of them a PDF typeset at install, so that a citation
of it opens on its page."""

from sqlalchemy import select

from radhus.knowledge.demo import markdown_pdf
from radhus.knowledge.parsers import parse_bytes
from radhus.knowledge.tables import Document
from tests.conftest import login


def test_markdown_pdf_keeps_the_page_breaks_and_the_text():
    text = "# Rubrik\n\nFörsta sidan om äldreomsorg.\n\n<!-- sida -->\n\n## Del\n\nAndra sidan."
    parsed = parse_bytes(markdown_pdf(text), filename="a.pdf")
    pages = {block.page for block in parsed.blocks if "sidan" in block.text}
    assert pages == {1, 2} and "äldreomsorg" in " ".join(block.text for block in parsed.blocks)


def test_demo_pdf_is_searchable_and_a_citation_opens_its_page(settings, client, session_factory):
    settings.knowledge_embedder = "none"
    from radhus.core.cli import _install_demo

    _install_demo(settings)
    _install_demo(settings)  # idempotent
    csrf = login(client, "medarbetare@exempelkommun", "demo-radhus")
    collections = client.get("/api/v1/knowledge/collections", headers={"X-CSRF-Token": csrf}).json()
    hemtjanst = next(c["id"] for c in collections if c["name"] == "hemtjanst")
    hits = client.post("/api/v1/knowledge/search", json={"question": "Hur hög är avgiften för trygghetslarm?",
                       "collection_ids": [hemtjanst]}, headers={"X-CSRF-Token": csrf}).json()["results"]  # fmt: skip
    top = hits[0]
    assert top["document"] == "riktlinje-trygghetslarm.pdf" and "250 kronor" in top["text"]
    with session_factory() as session:
        pdf = session.scalars(select(Document).where(Document.source == "riktlinje-trygghetslarm.pdf")).one()
    page = client.get(f"/kunskap/dokument/{pdf.id}?stycke={top['chunk_id']}").text
    assert "Sidan 2 av 3" in page and "pdf-mark" in page.split("</style>")[1]
