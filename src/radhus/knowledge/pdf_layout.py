"""Structure of a PDF's text layer: headings by font size (or bold), paragraphs by the space between lines.

pypdf reports every text run it extracts with its font, size and position (`visitor_text`); the runs make lines,
each with its largest font size and its height on the page. The body size is the size most of the document's
letters have; a short line set clearly larger (or bold, on a line of its own) is a heading, its level from the
rank of its size among the heading sizes (bold in the body's size ranks below them all); a gap between lines well
above the usual line spacing, or a list marker, starts a new paragraph. Running headers and footers (a line at
the top or bottom of most pages) are left out. A page whose runs do not add up to its extracted text keeps the
plain paragraphs.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from radhus.core.text import normalise, unwrap_lines
from radhus.knowledge.models import Block

HEADING_SCALE = 1.12  # a heading's font is at least this much larger than the body's
PARAGRAPH_GAP = 1.45  # a gap this many times the usual line spacing starts a new paragraph
MAX_HEADING_CHARS = 100
MAX_HEADING_WORDS = 14
EDGE_LINES = 2  # lines at a page's top and bottom that may be a running header or footer
RUNNING_MIN_PAGES = 3
_LIST_MARKER = re.compile(r"^\s*(?:[-•–*▪◦·]|\d{1,2}[.)]|[a-zåäö][.)])\s+")


@dataclass
class Line:
    """One line of a page's text, with the largest font size on it, its baseline height and whether all is bold."""

    text: str = ""
    size: float = 0.0
    y: float | None = None
    bold: bool = True


@dataclass
class PageText:
    """A page's extracted text and, when the runs add up to it, its lines."""

    text: str
    lines: list[Line] | None = None  # None: no layout for this page


def read_page(page: Any) -> PageText:
    """Extract a pypdf page's text once, collecting its lines on the way."""
    lines = [Line()]

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        scale = _scale(tm) * _scale(cm)
        bold = "bold" in str((font or {}).get("/BaseFont", "")).lower()
        y = tm[5] * cm[3] + cm[5]
        for number, piece in enumerate(text.split("\n")):
            if number:
                lines.append(Line())
            line = lines[-1]
            line.text += piece
            if piece.strip():
                line.size = max(line.size, round(size * scale, 1))
                line.y = y if line.y is None else line.y
                line.bold = line.bold and bold

    text = page.extract_text(visitor_text=visit) or ""
    kept = [line for line in lines if line.text.strip()]
    if _letters("".join(line.text for line in kept)) != _letters(text):
        return PageText(text=text)  # the runs do not tell this page's text: no layout for it
    return PageText(text=text, lines=kept)


def _scale(matrix: list[float]) -> float:
    return math.sqrt(abs(matrix[0] * matrix[3] - matrix[1] * matrix[2])) or 1.0


def _letters(text: str) -> str:
    return "".join(char for char in text if char.isalnum())


def drop_running_lines(pages: list[PageText]) -> None:
    """Remove running headers and footers: a line among a page's first or last EDGE_LINES that recurs (digits
    aside, e.g. "Sida 3 av 40") on at least half of the pages, and on at least RUNNING_MIN_PAGES of them."""
    laid_out = [page for page in pages if page.lines is not None]
    edges = [page.lines[:EDGE_LINES] + page.lines[-EDGE_LINES:] for page in laid_out if page.lines is not None]
    seen = Counter(key for lines in edges for key in {_running_key(line) for line in lines})
    running = {key for key, count in seen.items() if count >= max(RUNNING_MIN_PAGES, len(pages) / 2)}
    if not running:
        return
    for page, lines in zip(laid_out, edges, strict=True):
        dropped = {id(line) for line in lines if _running_key(line) in running}
        page.lines = [line for line in page.lines or [] if id(line) not in dropped]


def _running_key(line: Line) -> str:
    return re.sub(r"\d+", "#", " ".join(line.text.lower().split()))


def layout_blocks(pages: list[PageText]) -> list[list[Block] | None]:
    """Each page's blocks from its lines (the body size and heading levels are the document's); None for a page
    without lines (the caller splits its text at blank lines instead)."""
    drop_running_lines(pages)
    sized: Counter[float] = Counter()
    for page in pages:
        for line in page.lines or []:
            sized[line.size] += len(line.text)
    if not sized:
        return [None if page.lines is None else [] for page in pages]
    body = sized.most_common(1)[0][0]
    larger = {line.size for page in pages for line in page.lines or [] if _is_heading(line, body)} - {body}
    levels = {size: min(rank, 6) for rank, size in enumerate(sorted(larger, reverse=True), start=1)}
    levels[body] = min(len(larger) + 1, 6)  # a bold heading in the body's size ranks below every larger one
    spacing = _line_spacing([page.lines or [] for page in pages], body)
    return [
        None if page.lines is None else _page_blocks(page.lines, body=body, spacing=spacing, levels=levels, page=number)
        for number, page in enumerate(pages, start=1)
    ]


def _is_heading(line: Line, body: float) -> bool:
    text = line.text.strip()
    if not 2 < len(text) <= MAX_HEADING_CHARS or len(text.split()) > MAX_HEADING_WORDS:
        return False
    if re.search(r"[.,;:!?]$", text) or _LIST_MARKER.match(text):
        return False
    return line.size >= body * HEADING_SCALE or (line.bold and line.size >= body)


def _page_blocks(lines: list[Line], *, body: float, spacing: float, levels: dict[float, int], page: int) -> list[Block]:
    blocks: list[Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        text = unwrap_lines("\n".join(paragraph))
        if text:
            kind = "list" if _LIST_MARKER.match(paragraph[0]) else "paragraph"
            blocks.append(Block(kind=kind, text=text, page=page))
        paragraph.clear()

    previous: Line | None = None
    for line in lines:
        if _is_heading(line, body):
            flush()
            level = levels.get(line.size, 6)
            if blocks and blocks[-1].kind == "heading" and blocks[-1].level == level and previous is not None \
                    and _gap(previous, line) <= spacing * PARAGRAPH_GAP:  # fmt: skip
                blocks[-1].text = normalise(f"{blocks[-1].text} {line.text}")  # a heading set on two lines
            else:
                blocks.append(Block(kind="heading", text=normalise(line.text), level=level, page=page))
        else:
            gap = _gap(previous, line) if previous is not None else 0.0
            if paragraph and (gap > spacing * PARAGRAPH_GAP or _LIST_MARKER.match(line.text)):
                flush()
            paragraph.append(line.text)
        previous = line
    flush()
    return blocks


def _gap(above: Line, below: Line) -> float:
    if above.y is None or below.y is None:
        return 0.0
    return above.y - below.y


def _line_spacing(pages: list[list[Line]], body: float) -> float:
    """The usual distance between consecutive body lines (the document's median). A median above 1.6 × the body
    size means the lines are mostly one-line paragraphs, so the gaps seen are paragraph gaps: then 1.25 × the size."""
    gaps = sorted(
        gap
        for lines in pages
        for above, below in zip(lines, lines[1:], strict=False)
        if above.size == below.size == body and 0 < (gap := _gap(above, below)) < body * 4
    )
    median = gaps[len(gaps) // 2] if gaps else body * 1.25
    return median if median <= body * 1.6 else body * 1.25
