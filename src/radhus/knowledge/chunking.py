"""Structure-aware chunking: passages follow headings, paragraphs, lists and tables and carry their context."""

from __future__ import annotations

import hashlib

from radhus.core.text import normalise_for_hash, sentences
from radhus.knowledge.models import Block, Chunk, ParsedDocument

DEFAULT_MAX_CHARS = 700
DEFAULT_OVERLAP_SENTENCES = 1


def content_hash(text: str) -> str:
    """Hash of the normalised text, equal for passages that differ only in case, spacing or punctuation."""
    return hashlib.sha1(normalise_for_hash(text).encode("utf-8")).hexdigest()


def chunk_document(
    document: ParsedDocument,
    *,
    document_id: str,
    max_chars: int = DEFAULT_MAX_CHARS,
    overlap_sentences: int = DEFAULT_OVERLAP_SENTENCES,
) -> list[Chunk]:
    """Split a parsed document into passages of at most about `max_chars`, never across a section."""
    chunks: list[Chunk] = []
    for section_path, blocks in _sections(document.blocks):
        for text, pages in _pack(blocks, max_chars=max_chars, overlap=overlap_sentences):
            chunks.append(
                Chunk(
                    chunk_id=f"{document_id}-{len(chunks):04d}",
                    text=text,
                    title=document.title,
                    section_path=list(section_path),
                    page_start=min(pages) if pages else None,
                    page_end=max(pages) if pages else None,
                    ordinal=len(chunks),
                    content_hash=content_hash(text),
                )
            )
    return chunks


def _sections(blocks: list[Block]) -> list[tuple[tuple[str, ...], list[Block]]]:
    """Group consecutive non-heading blocks under the heading path in force; empty headings become text."""
    path: list[tuple[int, str]] = []
    groups: list[tuple[tuple[str, ...], list[Block]]] = []
    pending: Block | None = None  # last heading, until content arrives under it

    def add(block: Block, key: tuple[str, ...]) -> None:
        if groups and groups[-1][0] == key:
            groups[-1][1].append(block)
        else:
            groups.append((key, [block]))

    for block in blocks:
        if block.kind == "heading":
            if pending is not None and block.level <= pending.level:
                parent = tuple(text for level, text in path if level < pending.level)
                add(Block(kind="list", text=pending.text, page=pending.page), parent)
            path = [(level, text) for level, text in path if level < block.level] + [(block.level, block.text)]
            pending = block
            continue
        pending = None
        add(block, tuple(text for _, text in path))
    if pending is not None:
        add(
            Block(kind="list", text=pending.text, page=pending.page),
            tuple(t for lv, t in path if lv < pending.level),
        )
    return groups


def _pack(blocks: list[Block], *, max_chars: int, overlap: int) -> list[tuple[str, set[int]]]:
    """Greedily join blocks up to `max_chars`; long blocks are cut at sentences with a small overlap."""
    out: list[tuple[str, set[int]]] = []
    current: list[str] = []
    pages: set[int] = set()

    def flush() -> None:
        nonlocal current, pages
        if current:
            out.append(("\n".join(current), pages))
        current, pages = [], set()

    for block in blocks:
        pieces = [block.text] if len(block.text) <= max_chars else _split_long(block.text, max_chars, overlap)
        for piece in pieces:
            size = sum(len(p) + 1 for p in current)
            if current and size + len(piece) > max_chars:
                flush()
            current.append(f"• {piece}" if block.kind == "list" else piece)
            if block.page is not None:
                pages.add(block.page)
        if len(pieces) > 1:
            flush()
    flush()
    return out


def _split_long(text: str, max_chars: int, overlap: int) -> list[str]:
    """Windows of whole sentences up to `max_chars`, each starting `overlap` sentences before the last cut."""
    units = sentences(text) or [text]
    units = [piece for unit in units for piece in _hard_wrap(unit, max_chars)]
    windows: list[str] = []
    start = 0
    while start < len(units):
        end, size = start, 0
        while end < len(units) and (end == start or size + len(units[end]) + 1 <= max_chars):
            size += len(units[end]) + 1
            end += 1
        windows.append(" ".join(units[start:end]))
        if end >= len(units):
            break
        start = max(start + 1, end - overlap)
    return windows


def _hard_wrap(text: str, max_chars: int) -> list[str]:
    """Cut a single over-long sentence at word boundaries."""
    if len(text) <= max_chars:
        return [text]
    words, lines, line = text.split(" "), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > max_chars:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines
