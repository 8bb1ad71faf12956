"""Document parsers: PDF, DOCX, HTML, Markdown and plain text into structured blocks, with Swedish errors."""

from __future__ import annotations

import io
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

from radhus.core.errors import InvalidInput
from radhus.core.text import normalise, unwrap_lines
from radhus.knowledge.models import Block, ParsedDocument
from radhus.knowledge.pdf_layout import layout_blocks, read_page

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
DOCX_MAX_UNCOMPRESSED = 200 * 1024 * 1024
DOCX_MAX_RATIO = 200

SUFFIX_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".html": "text/html",
    ".htm": "text/html",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
    ".text": "text/plain",
}


class DocumentError(InvalidInput):
    """A document that cannot be ingested; the message says why, in Swedish."""


def parse_path(path: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedDocument:
    """Parse a file on disk, refusing files above `max_bytes` before reading them."""
    path = Path(path)
    if not path.is_file():
        raise DocumentError(f"Filen {path.name} finns inte.")
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentError(_too_large(path.name, size, max_bytes))
    return parse_bytes(path.read_bytes(), filename=path.name, max_bytes=max_bytes)


def parse_bytes(
    data: bytes, *, filename: str, media_type: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> ParsedDocument:
    """Parse document bytes; the type comes from `media_type` or the file name's suffix."""
    if len(data) > max_bytes:
        raise DocumentError(_too_large(filename, len(data), max_bytes))
    if not data.strip():
        raise DocumentError(f"Filen {filename} är tom.")
    kind = media_type or SUFFIX_TYPES.get(Path(filename).suffix.lower())
    parser = _PARSERS.get(kind or "")
    if parser is None:
        raise DocumentError(
            f"Filtypen för {filename} stöds inte. Tillåtna typer: PDF, DOCX, HTML, Markdown och textfiler."
        )
    document = parser(data, filename)
    if not any(block.text.strip() for block in document.blocks):
        raise DocumentError(f"Filen {filename} innehåller ingen text.")
    return document


def _too_large(name: str, size: int, limit: int) -> str:
    return f"Filen {name} är för stor ({size / 1e6:.1f} MB); gränsen är {limit / 1e6:.0f} MB."


# --- PDF -------------------------------------------------------------------------------------------------


def parse_pdf(data: bytes, filename: str) -> ParsedDocument:
    """Text layer of a PDF, page by page, with headings and paragraphs from its layout (see pdf_layout);
    encrypted, corrupt or scanned files give a Swedish error."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _try_empty_password(reader):
            raise DocumentError(f"PDF-filen {filename} är krypterad (lösenordsskyddad) och kan inte läsas.")
        pages = [read_page(page) for page in reader.pages]
        title = _pdf_title(reader)
    except DocumentError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError, IndexError) as exc:
        raise DocumentError(f"PDF-filen {filename} är skadad och kan inte läsas.", detail={"error": str(exc)}) from exc
    if not pages:
        raise DocumentError(f"PDF-filen {filename} har inga sidor.")
    if not any(page.text.strip() for page in pages):
        raise DocumentError(
            f"PDF-filen {filename} saknar textlager (troligen inskannad) och behöver OCR innan den kan läsas in."
        )
    blocks = [
        block
        for number, (page, laid_out) in enumerate(zip(pages, layout_blocks(pages), strict=True), start=1)
        for block in (laid_out if laid_out is not None else _text_blocks(page.text, page=number))
    ]
    return ParsedDocument(
        source=filename,
        title=title or _first_line(blocks) or Path(filename).stem,
        blocks=blocks,
        media_type="application/pdf",
        page_count=len(pages),
    )


def _try_empty_password(reader) -> bool:
    try:
        return bool(reader.decrypt(""))
    except Exception:  # noqa: BLE001 - any failure means we cannot open it
        return False


def _pdf_title(reader) -> str:
    try:
        meta = reader.metadata
        return normalise(str(meta.title)) if meta and meta.title else ""
    except Exception:  # noqa: BLE001 - metadata is optional
        return ""


def _first_line(blocks: list[Block]) -> str:
    for block in blocks:
        line = block.text.strip().split("\n")[0]
        if line:
            return line[:120]
    return ""


# --- DOCX ------------------------------------------------------------------------------------------------


def parse_docx(data: bytes, filename: str) -> ParsedDocument:
    """Paragraphs, headings, lists and tables of a DOCX in document order, after a zip-bomb check."""
    _check_zip(data, filename)
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds
        raise DocumentError(f"Word-filen {filename} är skadad och kan inte läsas.") from exc
    blocks: list[Block] = []
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            block = _docx_paragraph(Paragraph(element, document))
            if block:
                blocks.append(block)
        elif tag == "tbl":
            rows = [" | ".join(normalise(cell.text) for cell in row.cells) for row in Table(element, document).rows]
            if any(r.strip(" |") for r in rows):
                blocks.append(Block(kind="table", text="\n".join(rows)))
    title = normalise(document.core_properties.title or "") or next(
        (b.text for b in blocks if b.kind == "heading"), Path(filename).stem
    )
    return ParsedDocument(source=filename, title=title, blocks=blocks, media_type=SUFFIX_TYPES[".docx"])


def _docx_paragraph(paragraph) -> Block | None:
    text = normalise(paragraph.text)
    if not text:
        return None
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    match = re.match(r"(?:Heading|Rubrik)\s*(\d)", style, re.IGNORECASE)
    if match or style.lower() == "title":
        return Block(kind="heading", text=text, level=int(match.group(1)) if match else 1)
    if "list" in style.lower() or "lista" in style.lower():
        return Block(kind="list", text=text)
    return Block(kind="paragraph", text=text)


def _check_zip(data: bytes, filename: str) -> None:
    """Refuse archives whose uncompressed size or compression ratio is implausible (zip bombs)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise DocumentError(f"Word-filen {filename} är skadad och kan inte läsas.") from exc
    total = sum(info.file_size for info in infos)
    compressed = sum(info.compress_size for info in infos) or 1
    worst = max((info.file_size / max(info.compress_size, 1) for info in infos), default=0)
    if (
        total > DOCX_MAX_UNCOMPRESSED
        or (total > 10_000_000 and (total / compressed > DOCX_MAX_RATIO))
        or (worst > 1000 and total > 10_000_000)
    ):
        raise DocumentError(
            f"Word-filen {filename} packas upp till {total / 1e6:.0f} MB och avvisas som misstänkt zip-bomb."
        )


# --- HTML ------------------------------------------------------------------------------------------------

_SKIP_TAGS = {
    "script",
    "style",
    "nav",
    "footer",
    "header",
    "aside",
    "form",
    "noscript",
    "template",
    "svg",
    "button",
}
_BLOCK_TAGS = {
    "p",
    "div",
    "section",
    "article",
    "main",
    "li",
    "tr",
    "br",
    "table",
    "ul",
    "ol",
    "blockquote",
    "pre",
}
_VOID_TAGS = {"br", "img", "hr", "meta", "link", "input", "source", "wbr", "area", "base", "col", "embed"}


class _MainContentParser(HTMLParser):
    """Collects headings, paragraphs, list items and table rows, skipping boilerplate elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.blocks: list[tuple[str, str, int, bool]] = []  # kind, text, level, inside <main>/<article>
        self._stack: list[str] = []
        self._skip_depth = 0
        self._main_depth = 0
        self._buffer: list[str] = []
        self._kind = ("paragraph", 0)
        self._in_title = False
        self._row: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = dict(attrs)
        role = (attributes.get("role") or "").lower()
        if tag in _VOID_TAGS:
            if tag == "br":
                self._buffer.append(" ")
            return
        self._stack.append(tag)
        if tag in _SKIP_TAGS or role in {"navigation", "banner", "contentinfo", "search"} or self._skip_depth:
            self._skip_depth += 1
            return
        if tag in {"main", "article"} or role == "main":
            self._main_depth += 1
        if tag == "title":
            self._in_title = True
        elif re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self._kind = ("heading", int(tag[1]))
        elif tag == "li":
            self._flush()
            self._kind = ("list", 0)
        elif tag in {"td", "th"}:
            self._flush_cell_start()
        elif tag in _BLOCK_TAGS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID_TAGS or tag not in self._stack:
            return
        while self._stack:
            open_tag = self._stack.pop()
            self._close(open_tag)
            if open_tag == tag:
                break

    def _close(self, tag: str) -> None:
        if self._skip_depth:
            self._skip_depth -= 1
            return
        if tag == "title":
            self._in_title = False
        elif tag in {"td", "th"}:
            self._row.append(normalise("".join(self._buffer)))
            self._buffer = []
        elif tag == "tr":
            if any(self._row):
                self.blocks.append(("table", " | ".join(self._row), 0, self._main_depth > 0))
            self._row = []
        elif re.fullmatch(r"h[1-6]", tag) or tag == "li" or tag in _BLOCK_TAGS:
            self._flush()
        if tag in {"main", "article"} and self._main_depth:
            self._main_depth -= 1

    def _flush_cell_start(self) -> None:
        self._buffer = []

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._in_title:
            self.title += data
        else:
            self._buffer.append(data)

    def _flush(self) -> None:
        text = normalise("".join(self._buffer))
        self._buffer = []
        if text and not self._row:
            kind, level = self._kind
            self.blocks.append((kind, text, level, self._main_depth > 0))
        self._kind = ("paragraph", 0)

    def close(self) -> None:
        super().close()
        self._flush()


def parse_html(data: bytes, filename: str) -> ParsedDocument:
    """Main content of an HTML page: <main>/<article> when present, without nav, footer, scripts or forms."""
    text, warnings = decode_text(data, filename)
    parser = _MainContentParser()
    parser.feed(text)
    parser.close()
    in_main = [b for b in parser.blocks if b[3]]
    chosen = in_main or parser.blocks
    blocks = [Block(kind=kind, text=body, level=level) for kind, body, level, _ in chosen]
    heading = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), "")
    title = normalise(parser.title) or heading or Path(filename).stem
    return ParsedDocument(source=filename, title=title, blocks=blocks, media_type="text/html", warnings=warnings)


# --- Markdown and plain text -----------------------------------------------------------------------------

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def parse_markdown(data: bytes, filename: str) -> ParsedDocument:
    """Markdown headings, paragraphs, lists and tables; short stand-alone lines act as sub-headings."""
    text, warnings = decode_text(data, filename)
    blocks = _markdown_blocks(text)
    title = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), "") or Path(filename).stem
    return ParsedDocument(source=filename, title=title, blocks=blocks, media_type="text/markdown", warnings=warnings)


def _markdown_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    for group in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = [line for line in group.split("\n") if line.strip()]
        if not lines:
            continue
        heading = _MD_HEADING.match(lines[0])
        if heading and len(lines) == 1:
            blocks.append(Block(kind="heading", text=_strip_md(heading.group(2)), level=len(heading.group(1))))
        elif all(line.lstrip().startswith("|") for line in lines):
            rows = [line for line in lines if not re.fullmatch(r"\s*\|?[\s:|-]+\|?\s*", line)]
            blocks.append(Block(kind="table", text="\n".join(_strip_md(r.strip().strip("|")) for r in rows)))
        elif _MD_LIST.match(lines[0]):
            blocks.extend(Block(kind="list", text=_strip_md(_MD_LIST.sub("", item))) for item in _list_items(lines))
        elif heading:
            blocks.append(Block(kind="heading", text=_strip_md(heading.group(2)), level=len(heading.group(1))))
            blocks.append(Block(kind="paragraph", text=_strip_md(" ".join(lines[1:]))))
        else:
            paragraph = _strip_md(" ".join(lines))
            kind = "heading" if _looks_like_heading(paragraph) else "paragraph"
            blocks.append(Block(kind=kind, text=paragraph, level=6 if kind == "heading" else 0))
    return [b for b in blocks if b.text]


def _list_items(lines: list[str]) -> list[str]:
    items: list[str] = []
    for line in lines:
        if _MD_LIST.match(line) or not items:
            items.append(line.strip())
        else:
            items[-1] += " " + line.strip()
    return items


def _strip_md(text: str) -> str:
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__|`)", "", text)
    return normalise(text)


def _looks_like_heading(text: str) -> bool:
    """A short line without sentence punctuation ("Sammanfattning", "Förslag till beslut")."""
    return 2 < len(text) <= 70 and not re.search(r"[.,;:!?)]$", text) and len(text.split()) <= 9


def parse_text(data: bytes, filename: str) -> ParsedDocument:
    """Plain text split into paragraphs at blank lines; non-UTF-8 input decoded with a warning."""
    text, warnings = decode_text(data, filename)
    blocks = _text_blocks(text)
    title = _first_line(blocks) or Path(filename).stem
    return ParsedDocument(source=filename, title=title, blocks=blocks, media_type="text/plain", warnings=warnings)


def _text_blocks(text: str, *, page: int | None = None) -> list[Block]:
    blocks = []
    for group in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        body = unwrap_lines(group)
        if body:
            kind = "list" if _MD_LIST.match(group) else "paragraph"
            blocks.append(Block(kind=kind, text=body, page=page))
    return blocks


def decode_text(data: bytes, filename: str) -> tuple[str, list[str]]:
    """UTF-8 (with or without BOM) first, then Windows-1252, then Latin-1; a warning when not UTF-8."""
    if b"\x00" in data[:4096]:
        raise DocumentError(f"Filen {filename} verkar vara binär och inte text.")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    for encoding in ("cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text, [f"Filen {filename} var inte UTF-8; den lästes som {encoding}. Kontrollera å, ä och ö."]
    raise DocumentError(f"Teckenkodningen i {filename} kunde inte avgöras.")  # pragma: no cover - latin-1 never fails


_PARSERS = {
    "application/pdf": parse_pdf,
    SUFFIX_TYPES[".docx"]: parse_docx,
    "text/html": parse_html,
    "text/markdown": parse_markdown,
    "text/plain": parse_text,
}
