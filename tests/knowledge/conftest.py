"""Fixtures that build real documents (PDF via reportlab, DOCX via python-docx) inside the tests."""

import io

import pytest


def make_pdf(pages: list[str], *, title: str = "Riktlinje", draw_text: bool = True) -> bytes:
    """A real PDF with one text block per page (or only a drawn rectangle when draw_text is False)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(title)
    for text in pages:
        if draw_text:
            y = 800
            for line in text.split("\n"):
                pdf.drawString(60, y, line)
                y -= 16
        else:
            pdf.rect(50, 50, 400, 600, fill=1)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def make_docx(parts: list[tuple[str, str]]) -> bytes:
    """A real DOCX; parts are (kind, text) with kind heading1/heading2/paragraph/bullet/table (cells by '|')."""
    import docx

    document = docx.Document()
    for kind, text in parts:
        if kind.startswith("heading"):
            document.add_heading(text, level=int(kind[-1]))
        elif kind == "bullet":
            document.add_paragraph(text, style="List Bullet")
        elif kind == "table":
            rows = [row.split("|") for row in text.split("\n")]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
        else:
            document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def pdf_factory():
    return make_pdf


@pytest.fixture
def docx_factory():
    return make_docx
