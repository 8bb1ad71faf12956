"""PDF pages as images with a cited passage marked: PDFium renders the page and finds the passage's text boxes.

The document view shows the page as a PNG and lays the passage's boxes over it as HTML (fractions of the page),
so the image can be cached per page whatever passage is cited; `render_page(marks=...)` can also draw them in.
PDFium is not thread-safe, so every call into it holds one process-wide lock; results are kept in a bounded
per-application cache (`PageCache`) keyed by the file's path, size and modification time.
"""

from __future__ import annotations

import io
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from radhus.core.errors import NotFound, RadhusError

CACHE_KEY = "knowledge.pdf_pages"
TARGET_WIDTH_PX = 1200  # sharp at the view's ~820 CSS px, also on 1.5x screens
MAX_SIDE_PX = 2400  # a tall or huge page is scaled down to this
MAX_SCALE = 4.0  # a tiny page is not blown up beyond this
MIN_ANCHOR = 12  # letters and digits a partial match must have before it counts
PAD_PT = 1.5  # the marks reach a little beyond the glyphs
_PDFIUM_LOCK = threading.Lock()  # PDFium may only be called from one thread at a time in a process


class PageUnavailable(RadhusError):
    """The PDF cannot be shown as images (encrypted, corrupt, missing); the text view still works."""

    status_code = 422

    def __init__(self, message: str, *, reason: str):
        super().__init__(message, detail={"reason": reason})
        self.reason = reason


@dataclass(frozen=True)
class Box:
    """A marked rectangle as fractions (0-1) of the rendered page, from its top left corner."""

    left: float
    top: float
    width: float
    height: float

    def percent(self) -> dict[str, float]:
        """The box in per cent, rounded for a style attribute."""
        return {k: round(v * 100, 3) for k, v in vars(self).items()}


@dataclass(frozen=True)
class PageSize:
    """A page's rendered size in pixels."""

    width: int
    height: int


@dataclass
class PageView:
    """What the document view shows of a PDF: one page, the cited passage's marks on it, or why not."""

    page: int
    pages: int = 0
    size: PageSize | None = None
    boxes: list[Box] = field(default_factory=list)
    cited_pages: tuple[int, int] | None = None  # the cited passage's first and last page
    cited_here: bool = False  # the cited passage is (at least partly) on this page
    found: bool = False  # ... and its text was found there
    problem: str = ""  # "" | out_of_range | encrypted | corrupt | missing
    message: str = ""  # the problem in Swedish


class PageCache:
    """A bounded least-recently-used cache of rendered pages, page sizes and found passages (by bytes held)."""

    def __init__(self, *, max_bytes: int = 64 * 1024 * 1024, max_entries: int = 4096):
        self.max_bytes, self.max_entries = max_bytes, max_entries
        self._items: OrderedDict[tuple, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> Any:
        """The cached value, or None."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: tuple, value: Any, size: int) -> None:
        """Keep a value (size in bytes), dropping the least recently used beyond the bounds."""
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes or len(self._items) > self.max_entries:
                _key, (_value, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    @property
    def bytes(self) -> int:
        """Bytes held now."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)


def page_cache(services: dict[str, Any]) -> PageCache:
    """The application's page cache (made on first use)."""
    cache = services.get(CACHE_KEY)
    if cache is None:
        cache = services.setdefault(CACHE_KEY, PageCache())
    assert isinstance(cache, PageCache)
    return cache


# --- finding a passage in a page's text ------------------------------------------------------------------


def skeleton(text: str) -> tuple[str, list[int]]:
    """Letters and digits only, case-folded and NFKC (ligatures split), with each one's index in `text`.

    Comparing skeletons makes the match blind to spacing, line breaks, hyphenation, bullets and punctuation,
    which differ between the indexed text (pypdf, normalised) and PDFium's text of the page."""
    letters: list[str] = []
    where: list[int] = []
    for index, char in enumerate(text):
        for part in unicodedata.normalize("NFKC", char).casefold():
            if part.isalnum():
                letters.append(part)
                where.append(index)
    return "".join(letters), where


def _longest(page: str, passage: str, *, prefix: bool, at: int = 0) -> tuple[int, int] | None:
    """The longest prefix (or suffix) of `passage[at:]` found in `page`, as (start, end) in `page`; at least
    MIN_ANCHOR long (or all of a shorter passage). Found-ness only shrinks as the piece grows: a binary search."""
    rest = passage[at:]
    least = min(MIN_ANCHOR, len(rest))

    def piece(n: int) -> str:
        return rest[:n] if prefix else rest[len(rest) - n :]

    if least == 0 or page.find(piece(least)) < 0:
        return None
    low, high = least, len(rest)  # piece(low) is found; find the largest such n
    while low < high:
        middle = (low + high + 1) // 2
        if page.find(piece(middle)) >= 0:
            low = middle
        else:
            high = middle - 1
    start = page.find(piece(low))
    return start, start + low


def find_passage(page: str, passage: str) -> list[tuple[int, int]]:
    """Where the passage is in the page's text, as (start, end) spans; empty when it is not there.

    Both arguments are skeletons (see `skeleton`). The whole passage first; else its longest beginning and end
    (a passage running over a page break, or a page header inside it), joined when they are in order; else the
    passage is covered piece by piece, each the longest run of at least MIN_ANCHOR letters found on the page
    (text extracted in another order, as on some rotated or multi-column pages)."""
    whole = page.find(passage) if passage else -1
    if whole >= 0:
        return [(whole, whole + len(passage))]
    head = _longest(page, passage, prefix=True)
    tail = _longest(page, passage, prefix=False)
    if head and tail:
        length = tail[1] - tail[0]
        later = page.find(passage[len(passage) - length :], head[0])
        if later >= 0 and later + length - head[0] <= len(passage) * 3 // 2 + 40:
            return [(head[0], max(head[1], later + length))]
    spans: list[tuple[int, int]] = []
    at = 0
    while at <= len(passage) - MIN_ANCHOR:
        found = _longest(page, passage, prefix=True, at=at)
        if found is None or found[1] - found[0] < MIN_ANCHOR:
            at += 1
            continue
        length = found[1] - found[0]
        after = page.find(passage[at : at + length], spans[-1][1]) if spans else -1  # prefer reading order
        start = after if after >= 0 else found[0]
        spans.append((start, start + length))
        at += length
    return _merged(spans)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


# --- PDFium ----------------------------------------------------------------------------------------------


def _file_key(path: Path) -> tuple:
    try:
        stat = path.stat()
    except OSError as exc:
        raise PageUnavailable(f"Originalfilen {path.name} finns inte här.", reason="missing") from exc
    return (str(path), stat.st_size, stat.st_mtime_ns)


def _open(path: Path, source: str):  # type: ignore[no-untyped-def]
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise PageUnavailable(
                f"PDF-filen {source} är lösenordsskyddad och kan inte visas som bild.", reason="encrypted"
            ) from exc
        raise PageUnavailable(f"PDF-filen {source} är skadad och kan inte visas som bild.", reason="corrupt") from exc


def _scale(width_pt: float, height_pt: float) -> float:
    if width_pt <= 0 or height_pt <= 0:
        return 1.0
    return min(TARGET_WIDTH_PX / width_pt, MAX_SIDE_PX / max(width_pt, height_pt), MAX_SCALE)


def _layout(path: Path, source: str, cache: PageCache) -> list[PageSize]:
    """Every page's rendered size (the page count is its length)."""
    key = ("layout", _file_key(path))
    sizes = cache.get(key)
    if sizes is None:
        with _PDFIUM_LOCK:
            document = _open(path, source)
            try:
                sizes = []
                for number in range(len(document)):
                    width, height = document.get_page_size(number)
                    scale = _scale(width, height)
                    sizes.append(PageSize(max(1, round(width * scale)), max(1, round(height * scale))))
            finally:
                document.close()
        if not sizes:
            raise PageUnavailable(f"PDF-filen {source} har inga sidor.", reason="corrupt")
        cache.put(key, sizes, 64 + 32 * len(sizes))
    return list(sizes)


def page_count(*, path: Path, source: str, cache: PageCache) -> int:
    """How many pages the PDF has; PageUnavailable when it cannot be opened."""
    return len(_layout(path, source, cache))


def _check_page(page: int, pages: int, source: str) -> None:
    if not 1 <= page <= pages:
        raise NotFound(f"Sidan {page} finns inte i {source}: dokumentet har {pages} sidor (1–{pages}).")


def passage_boxes(*, path: Path, source: str, page: int, text: str, cache: PageCache) -> list[Box]:
    """The boxes of the passage's text on one page (1-based); empty when it is not found there."""
    layout = _layout(path, source, cache)
    _check_page(page, len(layout), source)
    key = ("boxes", _file_key(path), page, text)
    boxes = cache.get(key)
    if boxes is None:
        boxes = _find_boxes(path, source, page, text, layout[page - 1])
        cache.put(key, boxes, 128 + 64 * len(boxes) + len(text))
    return list(boxes)


def _find_boxes(path: Path, source: str, page: int, text: str, size: PageSize) -> list[Box]:
    import ctypes

    import pypdfium2.raw as raw

    if not skeleton(text)[0]:
        return []
    with _PDFIUM_LOCK:
        document = _open(path, source)
        try:
            pdf_page = document[page - 1]
            textpage = pdf_page.get_textpage()
            count = textpage.count_chars()
            chars = "".join(chr(raw.FPDFText_GetUnicode(textpage.raw, i) or 32) for i in range(count))
            letters, where = skeleton(chars)
            rects = []
            for start, end in find_passage(letters, skeleton(text)[0]):
                first, last = where[start], where[end - 1]
                rects += [textpage.get_rect(i) for i in range(textpage.count_rects(first, last - first + 1))]
            boxes = []
            x, y = ctypes.c_int(), ctypes.c_int()
            for left, bottom, right, top in rects:
                corners = []
                for px, py in ((left - PAD_PT, top + PAD_PT), (right + PAD_PT, bottom - PAD_PT)):
                    raw.FPDF_PageToDevice(pdf_page.raw, 0, 0, size.width, size.height, 0, px, py, x, y)
                    corners.append((x.value, y.value))
                (x0, y0), (x1, y1) = corners
                x0, x1 = sorted((max(0, min(size.width, x0)), max(0, min(size.width, x1))))
                y0, y1 = sorted((max(0, min(size.height, y0)), max(0, min(size.height, y1))))
                if x1 > x0 and y1 > y0:
                    w, h = size.width, size.height
                    boxes.append(Box(x0 / w, y0 / h, (x1 - x0) / w, (y1 - y0) / h))
            return boxes
        finally:
            document.close()


def render_page(
    *, path: Path, source: str, page: int, cache: PageCache, marks: Sequence[Box] = ()
) -> tuple[bytes, PageSize]:
    """The page (1-based) as a PNG about TARGET_WIDTH_PX wide, with `marks` drawn in when given."""
    layout = _layout(path, source, cache)
    _check_page(page, len(layout), source)
    size = layout[page - 1]
    key = ("png", _file_key(path), page, tuple(marks))
    png = cache.get(key)
    if png is None:
        png = _render(path, source, page, size, marks)
        cache.put(key, png, len(png))
    return png, size


def _render(path: Path, source: str, page: int, size: PageSize, marks: Sequence[Box]) -> bytes:
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    with _PDFIUM_LOCK:
        document = _open(path, source)
        try:
            pdf_page = document[page - 1]
            width, height = pdf_page.get_size()
            bitmap = pdf_page.render(scale=size.width / width if width else 1.0)
            image = bitmap.to_pil().convert("RGB")
        except pdfium.PdfiumError as exc:
            raise PageUnavailable(f"Sidan {page} i {source} kan inte visas som bild.", reason="corrupt") from exc
        finally:
            document.close()
    if image.size != (size.width, size.height):
        image = image.resize((size.width, size.height))
    if marks:
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        for box in marks:
            x0, y0 = box.left * size.width, box.top * size.height
            x1, y1 = x0 + box.width * size.width, y0 + box.height * size.height
            draw.rectangle((x0, y0, x1, y1), fill=(255, 214, 0, 90), outline=(179, 92, 0, 255), width=2)
        image = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


# --- the document view -----------------------------------------------------------------------------------


def page_view(
    *, path: Path, source: str, passages: Sequence[dict], chunk_id: str, page: int | None, cache: PageCache
) -> PageView:
    """The page to show (asked for, else the cited passage's first, else 1) with the passage marked on it."""
    cited = next((p for p in passages if chunk_id and p["chunk_id"] == chunk_id), None)
    cited_pages = None
    if cited is not None and cited.get("page_start"):
        cited_pages = (int(cited["page_start"]), int(cited.get("page_end") or cited["page_start"]))
    number = page if page is not None else (cited_pages[0] if cited_pages else 1)
    view = PageView(page=number, cited_pages=cited_pages)
    try:
        layout = _layout(path, source, cache)
    except PageUnavailable as exc:
        view.problem, view.message = exc.reason, exc.message
        return view
    view.pages = len(layout)
    if not 1 <= number <= view.pages:
        view.problem = "out_of_range"
        view.message = f"Sidan {number} finns inte: dokumentet har {view.pages} sidor."
        return view
    view.size = layout[number - 1]
    if cited is not None and cited_pages and cited_pages[0] <= number <= cited_pages[1]:
        view.cited_here = True
        try:
            view.boxes = passage_boxes(path=path, source=source, page=number, text=cited["text"], cache=cache)
        except PageUnavailable as exc:
            view.problem, view.message = exc.reason, exc.message
            return view
        view.found = bool(view.boxes)
    return view
