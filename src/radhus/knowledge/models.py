"""Knowledge data shapes: parsed documents, blocks, chunks, hits, answers and citations."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Block:
    """One structural unit of a document: a heading, paragraph, list item or table row group."""

    kind: str  # "heading" | "paragraph" | "list" | "table"
    text: str
    level: int = 0  # heading level (1 = top)
    page: int | None = None


@dataclass
class ParsedDocument:
    """A document turned into ordered blocks, with its title, source and any parser warnings."""

    source: str  # file name or URL
    title: str
    blocks: list[Block]
    media_type: str
    page_count: int | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class Chunk:
    """A retrievable passage with the document title, section path and pages it came from."""

    chunk_id: str
    text: str
    title: str
    section_path: list[str] = field(default_factory=list)
    page_start: int | None = None
    page_end: int | None = None
    ordinal: int = 0
    content_hash: str = ""

    def as_dict(self) -> dict:
        """Plain dict form (JSON-safe)."""
        return asdict(self)


@dataclass
class Hit:
    """One search result: the chunk, where it lives and how it scored."""

    chunk_id: str
    document_id: str
    collection_id: str
    text: str
    title: str
    section_path: list[str]
    page_start: int | None
    score: float
    lexical_rank: int | None = None
    dense_rank: int | None = None
    source: str = ""
    # Raw cosine similarity of the query vector and this passage's vector (None: no query vector or no passage
    # vector). Its scale belongs to the embedder that made the vectors.
    dense_similarity: float | None = None

    def location_sv(self) -> str:
        """Human-readable place in the document: page and/or section, in Swedish."""
        parts = []
        if self.page_start:
            parts.append(f"sidan {self.page_start}")
        if self.section_path:
            parts.append(" › ".join(self.section_path))
        return ", ".join(parts)


@dataclass
class Citation:
    """A numbered source of an answer."""

    number: int
    document: str
    chunk_id: str
    text: str
    title: str = ""
    location: str = ""


@dataclass
class Answer:
    """An answer with its citations, or an abstention."""

    answer: str
    abstained: bool
    citations: list[Citation]
    question: str = ""
    standalone_question: str = ""
    confidence: float = 0.0

    def as_json(self) -> dict:
        """The CLI's JSON shape: answer, abstained, citations (document, chunk_id, text)."""
        return {
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [{"document": c.document, "chunk_id": c.chunk_id, "text": c.text} for c in self.citations],
        }
