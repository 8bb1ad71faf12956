"""Parsers on real files made in the test, and every kind of bad input."""

import io
import zipfile

import pytest
from pypdf import PdfReader, PdfWriter

from radhus.knowledge.parsers import DocumentError, parse_bytes, parse_path


def test_pdf_keeps_pages_and_text(pdf_factory):
    data = pdf_factory(["Hemtjänst\nInsatser beviljas efter ansökan.", "Avgifter\nMaxtaxan gäller för alla."])
    document = parse_bytes(data, filename="riktlinje.pdf")
    assert document.page_count == 2
    assert document.title == "Riktlinje"
    pages = {block.page for block in document.blocks if "Maxtaxan" in block.text}
    assert pages == {2}
    assert any("ansökan" in block.text and block.page == 1 for block in document.blocks)


def test_encrypted_pdf_is_refused(pdf_factory):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_factory(["Hemlig text"]))))
    writer.encrypt("hemligt")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(DocumentError, match="krypterad"):
        parse_bytes(buffer.getvalue(), filename="hemlig.pdf")


def test_scanned_pdf_needs_ocr(pdf_factory):
    with pytest.raises(DocumentError, match="behöver OCR"):
        parse_bytes(pdf_factory(["", ""], draw_text=False), filename="skannad.pdf")


def test_corrupt_and_empty_pdf(pdf_factory):
    with pytest.raises(DocumentError, match="skadad"):
        parse_bytes(b"%PDF-1.7\n this is not really a pdf \n%%EOF", filename="trasig.pdf")
    with pytest.raises(DocumentError, match="skadad|inga sidor"):
        parse_bytes(pdf_factory(["x"])[:300], filename="avkapad.pdf")
    with pytest.raises(DocumentError, match="tom"):
        parse_bytes(b"", filename="tom.pdf")


def test_docx_headings_lists_tables(docx_factory):
    data = docx_factory(
        [
            ("heading1", "Rutin för bygglov"),
            ("paragraph", "En bygglovsansökan lämnas till byggnadsnämnden."),
            ("heading2", "Avgifter"),
            ("bullet", "Avgiften tas ut enligt taxa."),
            ("table", "Åtgärd|Avgift\nTillbyggnad|12 000 kr"),
        ]
    )
    document = parse_bytes(data, filename="rutin.docx")
    kinds = [(b.kind, b.level) for b in document.blocks]
    assert ("heading", 1) in kinds and ("heading", 2) in kinds
    assert any(b.kind == "list" and "taxa" in b.text for b in document.blocks)
    assert any(b.kind == "table" and "Tillbyggnad | 12 000 kr" in b.text for b in document.blocks)
    assert document.title == "Rutin för bygglov"


def test_docx_zip_bomb_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("word/document.xml", "w") as member:
            block = b"\0" * (1 << 20)
            for _ in range(24):
                member.write(block)
    assert len(buffer.getvalue()) < 200_000
    with pytest.raises(DocumentError, match="zip-bomb"):
        parse_bytes(buffer.getvalue(), filename="bomb.docx")


def test_broken_docx():
    with pytest.raises(DocumentError, match="skadad"):
        parse_bytes(b"PK\x03\x04 not a zip", filename="trasig.docx")


def test_html_main_content_without_boilerplate():
    html = """<html><head><title>Förskola – Exempelkommun</title><script>var x = "spårning";</script></head>
    <body><header><nav><a href="/">Start</a> Meny Logga in</nav></header>
    <main><h1>Förskola</h1><p>Ansök om plats i förskola senast fyra månader innan.</p>
    <ul><li>Barnet ska vara minst ett år.</li><li>Avgift enligt maxtaxa.</li></ul>
    <table><tr><th>Inkomst</th><th>Avgift</th></tr><tr><td>50 000 kr</td><td>1 688 kr</td></tr></table></main>
    <footer>Kontakta oss · Cookies · Tillgänglighetsredogörelse</footer></body></html>"""
    document = parse_bytes(html.encode(), filename="forskola.html")
    text = "\n".join(b.text for b in document.blocks)
    assert "Ansök om plats i förskola" in text and "minst ett år" in text and "50 000 kr | 1 688 kr" in text
    for boilerplate in ("Meny", "Cookies", "spårning", "Logga in"):
        assert boilerplate not in text
    assert document.title == "Förskola – Exempelkommun"
    assert [b.kind for b in document.blocks].count("list") == 2


def test_markdown_structure():
    md = (
        "# Rutin\n\nInledning.\n\n## Avgifter\n\n- Första punkten\n- Andra punkten\n\n| A | B |\n|---|---|\n| 1 | 2 |\n"
    )
    document = parse_bytes(md.encode(), filename="rutin.md")
    assert document.title == "Rutin"
    assert [b.kind for b in document.blocks] == ["heading", "paragraph", "heading", "list", "list", "table"]


def test_non_utf8_text_is_decoded_with_warning():
    document = parse_bytes("Får vi åka till Öland?\n\nJa.".encode("cp1252"), filename="gammal.txt")
    assert document.blocks[0].text == "Får vi åka till Öland?"
    assert document.warnings and "cp1252" in document.warnings[0]


def test_unsupported_type_and_size_limit(tmp_path):
    with pytest.raises(DocumentError, match="stöds inte"):
        parse_bytes(b"GIF89a....", filename="bild.gif")
    big = tmp_path / "stor.txt"
    big.write_bytes(b"a" * 2000)
    with pytest.raises(DocumentError, match="för stor"):
        parse_path(big, max_bytes=1000)
    with pytest.raises(DocumentError, match="binär"):
        parse_bytes(b"abc\x00\x00def", filename="binar.txt")
