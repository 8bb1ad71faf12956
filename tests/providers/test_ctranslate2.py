"""The CTranslate2 adapter against real (tiny) CTranslate2 models built here: no download, arbitrary weights.

Each model is a 1-layer Transformer made with CTranslate2's own spec API and a SentencePiece model trained on a
few sentences, saved in the OPUS-MT layout the adapter reads (model.bin, shared_vocabulary.json, config.json,
source.spm, target.spm). The weights are random, so only the plumbing is asserted, never the wording.
"""

import io
import json
from pathlib import Path

import numpy as np
import pytest

ctranslate2 = pytest.importorskip("ctranslate2")
sentencepiece = pytest.importorskip("sentencepiece")

from ctranslate2.specs import model_spec, transformer_spec  # noqa: E402

from radhus.core.errors import ProviderError  # noqa: E402
from radhus.core.privacy import DataClass  # noqa: E402
from radhus.providers.config import ProviderConfig, ProvidersConfig  # noqa: E402
from radhus.providers.routing import ProviderHub  # noqa: E402
from radhus.providers.translate import CTranslate2Translator  # noqa: E402

SENTENCES = [
    "Jag heter Anna och jag bor i en stor stad.",
    "Hemtjänsten kommer i morgon.",
    "Välkommen till biblioteket.",
    "My name is Anna and I live in a big city.",
    "Home care comes tomorrow.",
    "Welcome to the library.",
]
D_MODEL, FFN = 16, 32


def train_sentencepiece(*, target_tokens: tuple[str, ...] = ()) -> bytes:
    """A tiny unigram SentencePiece model (pieces 0-2 are <unk>, <s>, </s>, as in OPUS-MT).

    `target_tokens` become whole pieces, like MADLAD-400's <2xx> target-language tokens."""
    buffer = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(SENTENCES * 4), model_writer=buffer, vocab_size=50 + len(target_tokens),
        model_type="unigram", character_coverage=1.0, minloglevel=2,
        user_defined_symbols=list(target_tokens),
    )  # fmt: skip
    return buffer.getvalue()


def build_model(folder: Path, spm_model: bytes, *, seed: int, add_source_eos: bool) -> None:
    """Save a 1-layer, 2-head Transformer with deterministic weights in CTranslate2 format."""
    processor = sentencepiece.SentencePieceProcessor(model_proto=spm_model)
    vocabulary = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    spec = transformer_spec.TransformerSpec.from_config(1, 2)
    rng = np.random.default_rng(seed)

    def fill(layer, scope: str, value) -> None:  # type: ignore[no-untyped-def]
        if value is not None:  # already set, or model_spec.OPTIONAL
            return
        *_, holder, attr = ["", *scope.split("/")]
        if attr == "gamma":
            array = np.ones(D_MODEL)
        elif attr == "beta":
            array = np.zeros(D_MODEL)
        elif holder.startswith("embeddings") or holder == "projection":
            array = rng.normal(0.0, 0.5, (len(vocabulary), D_MODEL))
        else:
            index, block = int(holder.rsplit("_", 1)[1]), scope.split("/")[-3]
            if block == "ffn":
                shape = (FFN, D_MODEL) if index == 0 else (D_MODEL, FFN)
            elif block == "self_attention":  # fused q/k/v, then output
                shape = (3 * D_MODEL, D_MODEL) if index == 0 else (D_MODEL, D_MODEL)
            else:  # encoder attention: q, fused k/v, output
                shape = (2 * D_MODEL, D_MODEL) if index == 1 else (D_MODEL, D_MODEL)
            array = rng.normal(0.0, 0.3, shape)
        setattr(layer, attr, array.astype(np.float32))

    model_spec.visit_spec(spec, fill)
    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)
    spec.config.add_source_eos = add_source_eos
    spec.validate()
    spec.optimize()
    folder.mkdir(parents=True)
    spec.save(str(folder))
    (folder / "source.spm").write_bytes(spm_model)
    (folder / "target.spm").write_bytes(spm_model)


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("opus-mt")
    spm_model = train_sentencepiece()
    # sv-en as ct2-opus-mt-converter writes it (add_source_eos); en-so as older/other converters do (no flag).
    build_model(root / "sv-en", spm_model, seed=7, add_source_eos=True)
    build_model(root / "en-so", spm_model, seed=11, add_source_eos=False)
    return root


def make_hub(model_dir: Path) -> ProviderHub:
    events: list[dict] = []
    config = ProvidersConfig(
        providers={"translation": {"opus": ProviderConfig(kind="ctranslate2", model_dir=model_dir)}},
        defaults={"translation": "opus"},
    )
    hub = ProviderHub(config, audit=events.append)
    hub.events = events  # type: ignore[attr-defined]
    return hub


def test_the_layout_is_the_one_the_adapter_expects(models):
    assert {p.name for p in (models / "sv-en").iterdir()} == {
        "model.bin", "config.json", "shared_vocabulary.json", "source.spm", "target.spm",
    }  # fmt: skip
    assert json.loads((models / "sv-en" / "config.json").read_text())["add_source_eos"] is True


def test_direct_pair_through_the_hub(models):
    hub = make_hub(models)
    result = hub.translate("Jag bor i en stad.", source="sv", target="en", data_class=DataClass.KANSLIG)
    assert result.provider == "opus"
    assert result.model == "opus-mt (ctranslate2)/sv-en"
    assert result.path == ["sv-en"]
    assert isinstance(result.text, str) and result.text.strip()
    assert "▁" not in result.text and "</s>" not in result.text  # decoded, not raw pieces
    (event,) = hub.events
    assert event["status"] == "ok" and event["capability"] == "translation"
    assert event["provider"] == "opus" and event["model"] == "opus-mt (ctranslate2)/sv-en"
    assert event["output_sha256"] and event["error"] is None


def test_pivot_through_english_calls_both_models(models):
    hub = make_hub(models)
    result = hub.translate(
        "Hemtjänsten kommer i morgon. Välkommen!", source="sv", target="so", data_class=DataClass.INTERN
    )
    assert result.path == ["sv-en", "en-so"]
    assert result.model == "opus-mt (ctranslate2)/sv-en+opus-mt (ctranslate2)/en-so"
    assert result.text.strip() and result.source_language == "sv" and result.target_language == "so"
    adapter = hub.instance("translation", "opus", None)
    assert set(adapter._loaded) == {("sv", "en"), ("en", "so")}  # both models were loaded and run
    assert [e["status"] for e in hub.events] == ["ok"]
    assert hub.events[0]["model"] == result.model


def test_end_of_sentence_is_added_once(models):
    """The adapter appends </s> only when the model's config does not make CTranslate2 add it."""
    adapter = CTranslate2Translator("opus", ProviderConfig(kind="ctranslate2", model_dir=models))
    processor = sentencepiece.SentencePieceProcessor(model_file=str(models / "sv-en" / "source.spm"))
    sentence = "Jag bor i en stad."
    pieces = len(processor.encode(sentence, out_type=str))
    assert adapter.translate(sentence, source="sv", target="en").usage.prompt_tokens == pieces
    assert adapter.translate(sentence, source="en", target="so").usage.prompt_tokens == pieces + 1


def test_corrupt_model_bin_gives_a_swedish_error(models, tmp_path):
    broken = tmp_path / "sv-en"
    broken.mkdir()
    for name in ("config.json", "shared_vocabulary.json", "source.spm", "target.spm"):
        (broken / name).write_bytes((models / "sv-en" / name).read_bytes())
    (broken / "model.bin").write_bytes(b"inte en modell" * 10)
    hub = make_hub(tmp_path)
    with pytest.raises(ProviderError) as error:
        hub.translate("Jag bor i en stad.", source="sv", target="en", data_class=DataClass.OPPEN)
    assert "Översättningsmodellen i" in error.value.message and "kunde inte läsas" in error.value.message
    assert str(broken) in error.value.message
    assert error.value.detail["reason"] == "model_unreadable"
    assert hub.events[-1]["status"] == "failed" and hub.events[-1]["error"] == error.value.message


MADLAD_TARGETS = ("<2en>", "<2so>", "<2uk>")


@pytest.fixture(scope="module")
def madlad(tmp_path_factory, models) -> Path:  # type: ignore[no-untyped-def]
    """A pair model sv-en beside a multilingual model laid out as MADLAD-400 is for CTranslate2."""
    root = tmp_path_factory.mktemp("madlad")
    (root / "sv-en").symlink_to(models / "sv-en", target_is_directory=True)
    folder = root / "madlad400-tiny"
    spm_model = train_sentencepiece(target_tokens=MADLAD_TARGETS)
    build_model(folder, spm_model, seed=13, add_source_eos=False)
    for name in ("source.spm", "target.spm"):
        (folder / name).unlink()
    (folder / "sentencepiece.model").write_bytes(spm_model)
    return root


def test_madlad_translates_to_the_languages_it_has_a_token_for(madlad):
    hub = make_hub(madlad)
    result = hub.translate("Hemtjänsten kommer i morgon.", source="sv", target="so", data_class=DataClass.KANSLIG)
    assert result.path == ["sv-so"] and result.model == "madlad400-tiny/sv-so" and result.provider == "opus"
    assert result.text.strip()  # random weights: what it says is noise, only that it was decoded
    adapter = hub.instance("translation", "opus", None)
    assert adapter.target_languages(madlad / "madlad400-tiny") == {"en", "so", "uk"}
    tokens = adapter.multilingual_tokens("Välkommen till biblioteket.", target="uk")
    assert tokens[0] == "<2uk>" and tokens[-1] == "</s>" and "<2uk>" not in tokens[1:]
    sentence = "Hemtjänsten kommer i morgon."
    direct = adapter.translate(sentence, source="sv", target="so")
    assert direct.usage.prompt_tokens == len(adapter.multilingual_tokens(sentence, target="so"))
    assert [e["status"] for e in hub.events] == ["ok"]


def test_a_pair_model_is_preferred_over_madlad(madlad):
    result = make_hub(madlad).translate("Jag bor i en stad.", source="sv", target="en", data_class=DataClass.OPPEN)
    assert result.model == "opus-mt (ctranslate2)/sv-en"


def test_a_language_madlad_lacks_is_said_plainly(madlad):
    hub = make_hub(madlad)
    with pytest.raises(ProviderError) as error:
        hub.translate("Hemtjänsten kommer i morgon.", source="sv", target="ti", data_class=DataClass.OPPEN)
    assert "ingen konfigurerad översättning från svenska till tigrinska" in error.value.message
    assert hub.events[-1]["status"] == "failed"
