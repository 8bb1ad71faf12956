"""PDF pages as images: PDFium renders a page, the cited passage is found in the page's text (blind to spacing,
line breaks and hyphenation) and marked; the page image is guarded like the original, and pages out of range,
encrypted or corrupt PDFs give Swedish errors without breaking the text view."""

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from sqlalchemy import select

from radhus.core import jobs
from radhus.core.errors import NotFound
from radhus.knowledge import pdfview
from radhus.knowledge.pdfview import PageCache, PageUnavailable, find_passage, skeleton
from radhus.knowledge.tables import Document
from tests.conftest import login
from tests.knowledge.conftest import make_pdf

INTRO = "\n".join(f"Riktlinjen beskriver hur hemtjänsten planeras och följs upp, del {i}." for i in range(14))
FEES = "Avgiften för trygghetslarm är 250 kronor i månaden.\n" + "\n".join(
    f"Avgiften betalas mot faktura varje månad och omprövas varje år, punkt {i}." for i in range(12)
)
CITED = "Avgiften för trygghetslarm är 250 kronor i månaden. Avgiften betalas mot faktura varje månad och omprövas "
CITED += "varje år, punkt 0."


def _lines_pdf(pages: list[list[tuple[float, float, str]]]) -> bytes:
    """A PDF whose pages hold text lines at (x, y) points from the bottom left."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for lines in pages:
        for x, y, text in lines:
            pdf.drawString(x, y, text)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _ink(image: Image.Image, box: pdfview.Box) -> float:
    """Share of dark pixels inside a box of the plain rendered page."""
    w, h = image.size
    crop = image.convert("L").crop(
        (int(box.left * w), int(box.top * h), int((box.left + box.width) * w), int((box.top + box.height) * h))
    )
    pixels = crop.tobytes()
    return sum(1 for p in pixels if p < 128) / max(1, len(pixels))


# --- finding the passage ----------------------------------------------------------------------------------


def test_skeleton_ignores_spacing_case_punctuation_and_splits_ligatures():
    letters, where = skeleton("Ef\ufb01-\r\nKAT  vård.")
    assert letters == "effikatvård"
    assert where[:4] == [0, 1, 2, 2]  # both letters of the ligature point at it


def test_find_passage_whole_joined_partial_and_absent():
    page = skeleton("Rubrik\r\nHemtjäns-\r\nten planeras varje vecka. Sidfot 3\r\nAnnat stycke om färdtjänst här.")[0]
    whole = skeleton("• Hemtjänsten planeras varje vecka.")[0]
    assert find_passage(page, whole) == [(page.index("hemtjänsten"), page.index("sidfot"))]
    # a page header inside the passage on the page: its beginning and end are joined over it
    around = skeleton("Hemtjänsten planeras varje vecka. Annat stycke om färdtjänst här.")[0]
    [(start, end)] = find_passage(page, around)
    assert (start, end) == (page.index("hemtjänsten"), len(page))
    # a passage running over the page break: only its beginning is on this page
    [(start, end)] = find_passage(page, skeleton("Annat stycke om färdtjänst här. Det fortsätter på nästa sida.")[0])
    assert page[start:end] == "annatstyckeomfärdtjänsthär"
    assert find_passage(page, skeleton("Avgiften för trygghetslarm är 250 kronor.")[0]) == []
    # short common pieces never count as a match
    assert find_passage(page, skeleton("Här planeras inget alls i kommunen")[0]) == []


def test_find_passage_covers_a_passage_extracted_in_another_order_piece_by_piece():
    page = skeleton("Andra meningen står först här. Något helt annat. Första meningen kommer sedan på sidan.")[0]
    spans = find_passage(page, skeleton("Första meningen kommer sedan på sidan. Andra meningen står först här.")[0])
    assert [page[s:e] for s, e in spans] == ["andrameningenstårförsthär", "förstameningenkommersedanpåsidan"]


# --- rendering and marking with PDFium ------------------------------------------------------------------


def test_render_and_mark_the_cited_passage(tmp_path):
    path = _write(tmp_path, "riktlinje.pdf", make_pdf([INTRO, FEES]))
    cache = PageCache()
    assert pdfview.page_count(path=path, source="riktlinje.pdf", cache=cache) == 2
    png, size = pdfview.render_page(path=path, source="riktlinje.pdf", page=2, cache=cache)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (size.width, size.height) == (1200, 1697)

    boxes = pdfview.passage_boxes(path=path, source="riktlinje.pdf", page=2, text=CITED, cache=cache)
    assert len(boxes) == 2  # two lines
    first, second = boxes
    assert first.top < second.top and 0.02 < first.top < 0.08  # the top lines of an A4 page, in order
    assert all(_ink(image, box) > 0.05 for box in boxes)  # the marks cover printed text
    blank = pdfview.Box(first.left, 0.5, first.width, first.height)
    assert _ink(image, blank) == 0  # ... where the lower half of the page is empty

    marked, _ = pdfview.render_page(path=path, source="riktlinje.pdf", page=2, cache=cache, marks=boxes)
    drawn = Image.open(io.BytesIO(marked)).convert("RGB")
    x, y = int((first.left + first.width / 2) * 1200), int((first.top + 0.002) * 1697)
    assert drawn.getpixel((x, y)) != image.convert("RGB").getpixel((x, y))  # the mark is drawn in
    assert pdfview.passage_boxes(path=path, source="riktlinje.pdf", page=1, text=CITED, cache=cache) == []


def test_hyphenation_and_a_rotated_page(tmp_path):
    lines = [(60, 800, "Ansökan om hemtjäns-"), (60, 784, "ten görs hos handläggaren"), (60, 768, "i Exempelkommun.")]
    pdf = _lines_pdf([lines, lines])
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.pages[1].rotate(90)
    out = io.BytesIO()
    writer.write(out)
    path = _write(tmp_path, "rot.pdf", out.getvalue())
    cache = PageCache()
    text = "Ansökan om hemtjänsten görs hos handläggaren i Exempelkommun."  # as the parser joins the hyphenated word
    upright = pdfview.passage_boxes(path=path, source="rot.pdf", page=1, text=text, cache=cache)
    assert len(upright) == 3 and all(b.width > b.height for b in upright)
    turned = pdfview.passage_boxes(path=path, source="rot.pdf", page=2, text=text, cache=cache)
    png, size = pdfview.render_page(path=path, source="rot.pdf", page=2, cache=cache)
    assert size.width > size.height  # the turned page renders landscape
    assert len(turned) == 3 and all(b.height > b.width for b in turned)  # the lines run down the page
    image = Image.open(io.BytesIO(png))
    assert all(_ink(image, box) > 0.05 for box in turned)


def test_errors_for_pages_out_of_range_encrypted_and_corrupt_files(tmp_path):
    cache = PageCache()
    path = _write(tmp_path, "a.pdf", make_pdf([INTRO]))
    with pytest.raises(NotFound, match="Sidan 2 finns inte i a.pdf: dokumentet har 1 sidor"):
        pdfview.render_page(path=path, source="a.pdf", page=2, cache=cache)
    with pytest.raises(NotFound):
        pdfview.passage_boxes(path=path, source="a.pdf", page=0, text=CITED, cache=cache)

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([INTRO]))))
    writer.encrypt(user_password="hemligt", owner_password="hemligare")
    locked = io.BytesIO()
    writer.write(locked)
    encrypted = _write(tmp_path, "låst.pdf", locked.getvalue())
    with pytest.raises(PageUnavailable, match="låst.pdf är lösenordsskyddad") as caught:
        pdfview.render_page(path=encrypted, source="låst.pdf", page=1, cache=cache)
    assert caught.value.reason == "encrypted" and caught.value.status_code == 422

    corrupt = _write(tmp_path, "trasig.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 50)
    with pytest.raises(PageUnavailable, match="trasig.pdf är skadad"):
        pdfview.page_count(path=corrupt, source="trasig.pdf", cache=cache)
    view = pdfview.page_view(path=corrupt, source="trasig.pdf", passages=[], chunk_id="", page=None, cache=cache)
    assert view.problem == "corrupt" and view.size is None


def test_the_cache_is_bounded_and_follows_the_file(tmp_path):
    path = _write(tmp_path, "a.pdf", make_pdf([INTRO, FEES, INTRO]))
    cache = PageCache(max_bytes=450_000)
    first, _ = pdfview.render_page(path=path, source="a.pdf", page=1, cache=cache)
    assert pdfview.render_page(path=path, source="a.pdf", page=1, cache=cache)[0] == first and cache.hits >= 2
    for page in (2, 3, 1, 2, 3):
        pdfview.render_page(path=path, source="a.pdf", page=page, cache=cache)
    assert cache.bytes <= 450_000 and len(cache) >= 2
    path.write_bytes(make_pdf([FEES]))  # replaced (a new upload): the cache must not answer with the old file
    assert pdfview.page_count(path=path, source="a.pdf", cache=cache) == 1


# --- the routes -------------------------------------------------------------------------------------------


@pytest.fixture
def app(settings):  # type: ignore[no-untyped-def]
    from radhus.app import create_app

    settings.knowledge_embedder = "none"
    return create_app(settings, start_worker=False)


def _upload(client, app, session_factory, headers, files: dict[str, bytes]) -> tuple[int, dict[str, int]]:  # type: ignore[no-untyped-def]
    cid = client.post("/api/v1/knowledge/collections", json={"name": "riktlinjer"}, headers=headers).json()["id"]
    uploads = [("files", (name, data)) for name, data in files.items()]
    client.post(f"/api/v1/knowledge/collections/{cid}/documents", files=uploads, headers=headers)
    jobs.run_until_idle(session_factory, app.state.ctx.job_handlers, backoff_seconds=0)
    with session_factory() as session:
        docs = {d.source: d.id for d in session.scalars(select(Document).where(Document.collection_id == cid))}
    return cid, docs


def _cited_chunk(client, headers, cid: int) -> str:  # type: ignore[no-untyped-def]
    hits = client.post("/api/v1/knowledge/search", json={"question": "avgift trygghetslarm", "collection_ids": [cid]},
                       headers=headers).json()["results"]  # fmt: skip
    return next(h for h in hits if h["document"] == "riktlinje.pdf")["chunk_id"]


def test_the_document_view_shows_the_cited_page_with_marks(app, client, two_orgs, session_factory):
    headers = {"X-CSRF-Token": login(client, "redaktor@alfakommun")}
    files = {"riktlinje.pdf": make_pdf([INTRO, FEES]), "sida.md": b"# Rubrik\n\nText om larm."}
    cid, docs = _upload(client, app, session_factory, headers, files)
    doc = docs["riktlinje.pdf"]
    chunk = _cited_chunk(client, headers, cid)

    view = client.get(f"/kunskap/dokument/{doc}?stycke={chunk}")
    assert view.status_code == 200
    assert '<h2 id="sidvisning-rubrik">Sidan 2 av 2</h2>' in view.text
    assert f'<img src="/kunskap/dokument/{doc}/sidor/2.png" width="1200" height="1697"' in view.text
    assert "med det citerade stycket markerat" in view.text
    marks = re.findall(r'class="pdf-mark" aria-hidden="true" style="left: ([\d.]+)%; top: ([\d.]+)%', view.text)
    tops = [float(top) for _left, top in marks]
    assert len(tops) >= 2 and tops == sorted(tops) and tops[0] < 5  # a line each, from the top of the page
    assert f'href="/kunskap/dokument/{doc}?stycke={chunk}&amp;sida=1#sidvisning" rel="prev"' in view.text
    assert 'rel="next"' not in view.text
    assert "250 kronor" in view.text  # the text view is still there below

    first = client.get(f"/kunskap/dokument/{doc}?stycke={chunk}&sida=1")
    assert "Sidan 1 av 2" in first.text and "pdf-mark" not in first.text.split("</style>")[1]
    assert "Det citerade stycket finns på sidan 2." in first.text
    plain = client.get(f"/kunskap/dokument/{doc}")
    assert "Sidan 1 av 2" in plain.text and "Texten finns under bilden." in plain.text
    assert "sidvisning" not in client.get(f"/kunskap/dokument/{docs['sida.md']}").text

    image = client.get(f"/kunskap/dokument/{doc}/sidor/2.png")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).size == (1200, 1697)
    assert image.headers["cache-control"] == "private, no-cache"
    again = client.get(f"/kunskap/dokument/{doc}/sidor/2.png", headers={"If-None-Match": image.headers["etag"]})
    assert again.status_code == 304 and not again.content
    marked = client.get(f"/kunskap/dokument/{doc}/sidor/2.png?chunk={chunk}")
    assert marked.status_code == 200 and marked.content != image.content
    assert marked.headers["etag"] != image.headers["etag"]

    missing = client.get(f"/kunskap/dokument/{doc}/sidor/3.png")
    assert missing.status_code == 404 and "Sidan 3 finns inte i riktlinje.pdf" in missing.text
    assert client.get(f"/kunskap/dokument/{doc}/sidor/0.png").status_code == 404
    assert client.get(f"/kunskap/dokument/{doc}/sidor/2.png?chunk=okand").status_code == 404
    assert client.get(f"/kunskap/dokument/{docs['sida.md']}/sidor/1.png").status_code == 404
    out_of_range = client.get(f"/kunskap/dokument/{doc}?stycke={chunk}&sida=7")
    assert out_of_range.status_code == 200
    assert "Sidan 7 finns inte: dokumentet har 2 sidor." in out_of_range.text and "250 kronor" in out_of_range.text
    assert f'href="/kunskap/dokument/{doc}?stycke={chunk}&amp;sida=2#sidvisning" rel="prev"' in out_of_range.text


def test_page_images_are_guarded_like_the_original(app, client, two_orgs, session_factory):
    headers = {"X-CSRF-Token": login(client, "redaktor@alfakommun")}
    cid, docs = _upload(client, app, session_factory, headers, {"riktlinje.pdf": make_pdf([INTRO, FEES])})
    doc = docs["riktlinje.pdf"]
    chunk = _cited_chunk(client, headers, cid)
    assert client.get(f"/kunskap/dokument/{doc}/sidor/1.png").status_code == 200

    login(client, "administrator@betakommun")  # another organisation: exactly like a missing document
    foreign = client.get(f"/kunskap/dokument/{doc}/sidor/1.png")
    absent = client.get("/kunskap/dokument/99999/sidor/1.png")
    assert foreign.status_code == absent.status_code == 404
    assert foreign.text.replace(str(doc), "N") == absent.text.replace("99999", "N")
    assert client.get(f"/kunskap/dokument/{doc}/sidor/2.png?chunk={chunk}").status_code == 404
    assert client.get(f"/kunskap/dokument/{doc}?stycke={chunk}").status_code == 404

    headers = {"X-CSRF-Token": login(client, "redaktor@alfakommun")}  # only editors may use the collection now
    client.put(f"/api/v1/knowledge/collections/{cid}/access", json={"allowed_roles": ["redaktor"]}, headers=headers)
    login(client, "medarbetare@alfakommun")
    assert client.get(f"/kunskap/dokument/{doc}/sidor/1.png").status_code == 404
    assert client.get(f"/kunskap/dokument/{doc}/original").status_code == 404

    csrf = login(client, "administrator@alfakommun")  # shared read-only with betakommun: they may see the pages
    shared = client.post(f"/kunskap/samlingar/{cid}/delning", data={"org_slug": "betakommun", "csrf_token": csrf},
                         follow_redirects=False)  # fmt: skip
    assert shared.status_code == 303
    login(client, "medarbetare@betakommun")
    assert client.get(f"/kunskap/dokument/{doc}/sidor/2.png?chunk={chunk}").status_code == 200


def test_a_pdf_that_cannot_be_rendered_keeps_its_text_view(app, client, two_orgs, session_factory):
    headers = {"X-CSRF-Token": login(client, "redaktor@alfakommun")}
    cid, docs = _upload(client, app, session_factory, headers, {"riktlinje.pdf": make_pdf([INTRO, FEES])})
    doc = docs["riktlinje.pdf"]
    chunk = _cited_chunk(client, headers, cid)
    with session_factory() as session:
        stored = Path(session.get(Document, doc).stored_path)  # type: ignore[union-attr]
    stored.write_bytes(b"%PDF-1.4\n" + b"trasig" * 100)  # the file went bad after it was indexed

    view = client.get(f"/kunskap/dokument/{doc}?stycke={chunk}")
    assert view.status_code == 200
    assert "PDF-filen är skadad eller saknas och kan inte visas som bild. Texten finns nedan." in view.text
    assert "<img" not in view.text and "250 kronor" in view.text and "Citerat stycke" in view.text
    image = client.get(f"/kunskap/dokument/{doc}/sidor/1.png")
    assert image.status_code == 422 and "riktlinje.pdf är skadad och kan inte visas som bild" in image.text

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([INTRO, FEES]))))
    writer.encrypt(user_password="hemligt", owner_password="hemligare")
    writer.write(stored)
    view = client.get(f"/kunskap/dokument/{doc}?stycke={chunk}")
    assert "PDF-filen är lösenordsskyddad och kan inte visas som bild." in view.text and "250 kronor" in view.text
    image = client.get(f"/kunskap/dokument/{doc}/sidor/1.png", headers={"accept": "application/json"})
    assert image.status_code == 422 and image.json()["reason"] == "encrypted"
