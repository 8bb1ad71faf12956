"""Headings and paragraphs recovered from a PDF's layout (font sizes, bold, line spacing), so that PDF passages get
section paths like DOCX, HTML and Markdown ones."""

import io
import shutil
import subprocess

import pytest

from radhus.knowledge.chunking import chunk_document
from radhus.knowledge.demo import markdown_pdf
from radhus.knowledge.parsers import parse_bytes


def _canvas_pdf(*pages: list[tuple[str, str, float, float]]) -> bytes:
    """PDF pages drawn line by line: (text, font, size, gap above the line in points)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for lines in pages:
        y = 800.0
        for text, font, size, gap in lines:
            y -= gap
            pdf.setFont(font, size)
            pdf.drawString(60, y, text)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _outline(data: bytes) -> list[tuple[str, int, str]]:
    return [(b.kind, b.level, b.text) for b in parse_bytes(data, filename="a.pdf").blocks]


def test_headings_by_size_and_level_become_section_paths_and_pages_stay():
    text = "# Riktlinje\n\nOm larm.\n\n## Avgift\n\nAvgiften är 250 kronor.\n\n<!-- sida -->\n\n## Test\n\nTestas."
    parsed = parse_bytes(markdown_pdf(text), filename="r.pdf")
    assert [(b.kind, b.level, b.text, b.page) for b in parsed.blocks] == [
        ("heading", 1, "Riktlinje", 1), ("paragraph", 0, "Om larm.", 1),
        ("heading", 2, "Avgift", 1), ("paragraph", 0, "Avgiften är 250 kronor.", 1),
        ("heading", 2, "Test", 2), ("paragraph", 0, "Testas.", 2),
    ]  # fmt: skip
    chunks = chunk_document(parsed, document_id="r")
    fee = next(c for c in chunks if "250 kronor" in c.text)
    assert fee.section_path == ["Riktlinje", "Avgift"] and fee.page_start == 1


def test_paragraphs_by_line_spacing_bold_headings_and_hyphenation():
    body = "Helvetica"
    data = _canvas_pdf([
        ("Rutin för nycklar", "Helvetica-Bold", 11, 0),
        ("Nycklar förvaras i låst skåp och varje ut-", body, 11, 16),
        ("tag registreras i systemet.", body, 11, 13),
        ("Borttappad nyckel anmäls till gruppledaren,", body, 11, 24),
        ("som ser till att låset byts.", body, 11, 13),
        ("Vanlig text", body, 11, 13),
    ])  # fmt: skip
    assert _outline(data) == [
        ("heading", 1, "Rutin för nycklar"),
        ("paragraph", 0, "Nycklar förvaras i låst skåp och varje uttag registreras i systemet."),
        ("paragraph", 0, "Borttappad nyckel anmäls till gruppledaren, som ser till att låset byts. Vanlig text"),
    ]  # fmt: skip


def test_a_heading_set_on_two_lines_is_one_heading():
    data = _canvas_pdf([
        ("Riktlinje för handläggning av", "Helvetica-Bold", 16, 0),
        ("ekonomiskt bistånd", "Helvetica-Bold", 16, 19),
        ("Ansökan görs skriftligt.", "Helvetica", 10, 26),
    ])  # fmt: skip
    assert _outline(data) == [
        ("heading", 1, "Riktlinje för handläggning av ekonomiskt bistånd"),
        ("paragraph", 0, "Ansökan görs skriftligt."),
    ]


def test_running_headers_and_page_numbers_are_left_out():
    body = "Helvetica"
    topics = ["larmets funktion", "installationen", "avgiften", "uppsägningen"]
    pages = [
        [("Exempelkommun – Riktlinje för larm", body, 8, 0), (f"Om {topic}, första raden.", body, 11, 30),
         (f"Mer om {topic}.", body, 11, 13), (f"Sida {n} av 4", body, 8, 600)]
        for n, topic in enumerate(topics, start=1)
    ]  # fmt: skip
    pages[2].insert(2, ("Exempelkommun – Riktlinje för larm", body, 11, 13))  # the same words mid-page: kept
    blocks = parse_bytes(_canvas_pdf(*pages), filename="a.pdf").blocks
    texts = " | ".join(block.text for block in blocks)
    assert "Sida" not in texts and texts.count("Exempelkommun") == 1
    assert [block.page for block in blocks if "första raden." in block.text and "Mer om" in block.text] == [1, 2, 3, 4]


@pytest.mark.browser
def test_a_pdf_printed_by_chromium_keeps_its_headings(tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "the browser tests need Debian's chromium"
    page = tmp_path / "riktlinje.html"
    page.write_text(
        "<html><head><meta charset='utf-8'><title>Riktlinje</title></head><body>"
        "<h1>Riktlinje för hemtjänst</h1><p>Hemtjänsten planerar besöken tillsammans med brukaren.</p>"
        "<h2>Nyckelhantering</h2><p>Nycklar förvaras i låst skåp.</p>"
        "<h2>Avgifter</h2><p>Avgiften följer maxtaxan.</p><p>Jämkning kan ske vid särskilda skäl.</p></body></html>",
        encoding="utf-8",
    )
    out = tmp_path / "riktlinje.pdf"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={out}", page.as_uri()], check=True, capture_output=True, timeout=60)  # fmt: skip
    outline = _outline(out.read_bytes())
    assert [(kind, level, text) for kind, level, text in outline if kind == "heading"] == [
        ("heading", 1, "Riktlinje för hemtjänst"), ("heading", 2, "Nyckelhantering"), ("heading", 2, "Avgifter"),
    ]  # fmt: skip
    paragraphs = [text for kind, _level, text in outline if kind == "paragraph"]
    assert paragraphs == ["Hemtjänsten planerar besöken tillsammans med brukaren.", "Nycklar förvaras i låst skåp.",
                          "Avgiften följer maxtaxan.", "Jämkning kan ske vid särskilda skäl."]  # fmt: skip
