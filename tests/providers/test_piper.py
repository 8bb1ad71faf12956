"""Piper voices against real (tiny) ONNX models built here with Piper's input/output signature.

The model's "audio" spells out what it received: each input id becomes K equal samples of id * STEP, followed
by input_lengths * 0.001, the three scales and (multi-speaker voices) sid * 0.1. Decoding the WAV therefore
shows exactly which ids, lengths, scales and speaker the adapter sent, sentence by sentence.
"""

import io
import json
import logging
import shutil
import subprocess
import sys
import unicodedata
import wave
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper  # noqa: E402

from radhus.core import audit  # noqa: E402
from radhus.core.audit import AuditRecord  # noqa: E402
from radhus.core.errors import ProviderError  # noqa: E402
from radhus.core.privacy import DataClass  # noqa: E402
from radhus.providers.config import ProviderConfig, ProvidersConfig  # noqa: E402
from radhus.providers.piper import PiperTextToSpeech, espeak_ipa, split_clauses  # noqa: E402
from radhus.providers.routing import ProviderHub  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")

K, STEP = 4, 0.01
SAMPLE_RATE = 16000
SENTENCE = "Hej, välkommen till kommunen! Hemtjänsten kommer i morgon."
VOICE = "sv_SE-test-tiny"
# Piper's conventions: _ pad, ^ start, $ end, then space and punctuation, then the IPA symbols espeak-ng uses
# for Swedish. Ids stay below 100 so that id * STEP fits in [-1, 1].
SYMBOLS = ["_", "^", "$", " ", "!", ",", ".", ":", ";", "?"] + list("abdefhijklmnoprstuvxyz") + [
    "ɑ", "ɐ", "ɒ", "ɔ", "ə", "ɛ", "ɡ", "ɕ", "ɧ", "ɪ", "ʉ", "ɵ", "ʂ", "ʏ", "ø", "œ", "ŋ", "ɖ", "ɭ", "ɳ", "ʈ",
    "ː", "ˈ", "ˌ", "̃",
]  # fmt: skip
ID_MAP = {symbol: [index] for index, symbol in enumerate(SYMBOLS)}


def build_voice_model(path: Path, *, speakers: int = 1) -> None:
    """An ONNX model with Piper's signature whose output encodes its inputs (see module docstring)."""
    inputs = [
        helper.make_tensor_value_info("input", TensorProto.INT64, [1, "phonemes"]),
        helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
        helper.make_tensor_value_info("scales", TensorProto.FLOAT, [3]),
    ]
    if speakers > 1:
        inputs.append(helper.make_tensor_value_info("sid", TensorProto.INT64, [1]))
    constants = {
        "step": np.array(STEP, np.float32),
        "milli": np.array(0.001, np.float32),
        "axis2": np.array([2], np.int64),
        "axis0": np.array([0], np.int64),
        "repeat": np.array([1, 1, K], np.int64),
        "row": np.array([1, -1], np.int64),
        "audio_shape": np.array([1, 1, 1, -1], np.int64),
    }
    if speakers > 1:
        constants["tenth"] = np.array(0.1, np.float32)
    nodes = [
        helper.make_node("Constant", [], [key], value=helper.make_tensor(key, *_tensor(v)))
        for key, v in constants.items()
    ]
    nodes += [
        helper.make_node("Cast", ["input"], ["ids_f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["ids_f", "step"], ["scaled"]),
        helper.make_node("Unsqueeze", ["scaled", "axis2"], ["column"]),
        helper.make_node("Expand", ["column", "repeat"], ["repeated"]),
        helper.make_node("Reshape", ["repeated", "row"], ["body"]),
        helper.make_node("Cast", ["input_lengths"], ["lengths_f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["lengths_f", "milli"], ["lengths_scaled"]),
    ]
    tail = ["lengths_scaled", "scales"]
    if speakers > 1:
        nodes += [
            helper.make_node("Cast", ["sid"], ["sid_f"], to=TensorProto.FLOAT),
            helper.make_node("Mul", ["sid_f", "tenth"], ["sid_scaled"]),
        ]
        tail.append("sid_scaled")
    nodes += [
        helper.make_node("Concat", tail, ["meta"], axis=0),
        helper.make_node("Unsqueeze", ["meta", "axis0"], ["meta_row"]),
        helper.make_node("Concat", ["body", "meta_row"], ["flat"], axis=1),
        helper.make_node("Reshape", ["flat", "audio_shape"], ["output"]),
    ]
    output = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, 1, "samples"])
    graph = helper.make_graph(nodes, "piper-test", inputs, [output])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def _tensor(value: np.ndarray) -> tuple:
    kind = TensorProto.FLOAT if value.dtype == np.float32 else TensorProto.INT64
    return kind, value.shape, value.reshape(-1).tolist()


def write_voice(folder: Path, *, speakers: int = 1, id_map: dict | None = None, name: str = VOICE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    build_voice_model(folder / f"{name}.onnx", speakers=speakers)
    config = {
        "audio": {"sample_rate": SAMPLE_RATE, "quality": "x_low"},
        "espeak": {"voice": "sv"},
        "language": {"code": "sv_SE", "family": "sv"},
        "inference": {"noise_scale": 0.667, "length_scale": 1.0, "noise_w": 0.8},
        "phoneme_type": "espeak",
        "phoneme_id_map": id_map or ID_MAP,
        "num_symbols": len(SYMBOLS),
        "num_speakers": speakers,
        "speaker_id_map": {f"talare{i}": i for i in range(speakers)} if speakers > 1 else {},
    }
    (folder / f"{name}.onnx.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return folder


def decode(wav: bytes, *, eos: int, meta: int) -> tuple[int, list[dict]]:
    """Sample rate and, per model run, the ids, lengths, scales (and sid) the model saw."""
    with wave.open(io.BytesIO(wav)) as handle:
        assert handle.getnchannels() == 1 and handle.getsampwidth() == 2
        rate = handle.getframerate()
        samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2") / 32767.0
    runs, position = [], 0
    while position < len(samples):
        ids: list[int] = []
        while not ids or ids[-1] != eos:
            group = samples[position : position + K]
            assert len(group) == K and np.ptp(group) < 1e-3  # K equal samples per id
            ids.append(round(group[0] / STEP))
            position += K
        values = samples[position : position + meta]
        position += meta
        run = {"ids": ids, "length": round(values[0] / 0.001), "scales": [round(v, 3) for v in values[1:4]]}
        if meta > 4:
            run["sid"] = round(values[4] / 0.1)
        runs.append(run)
    return rate, runs


def direct_ipa(clause: str) -> str:
    """What espeak-ng says for one clause, asked directly (independent of the adapter's batching)."""
    out = subprocess.run(["espeak-ng", "-q", "--ipa", "-v", "sv"], input=clause.encode(), capture_output=True)
    return " ".join(line.strip() for line in out.stdout.decode().splitlines() if line.strip())


def expected_ids(phonemes: str) -> list[int]:
    ids = [*ID_MAP["^"], *ID_MAP["_"]]
    for phoneme in unicodedata.normalize("NFD", phonemes):
        ids += [*ID_MAP[phoneme], *ID_MAP["_"]]
    return [*ids, *ID_MAP["$"]]


def _hub_config(model_dir: Path, **extra) -> ProvidersConfig:
    return ProvidersConfig.model_validate(
        {
            "providers": {"tts": {"piper": {"kind": "piper", "model_dir": str(model_dir), **extra}}},
            "defaults": {"tts": "piper"},
        }
    )


def test_piper_voice_through_the_hub_speaks_piper_ids_per_sentence(tmp_path, session_factory, two_orgs):
    org_id = two_orgs["a"]["org_id"]
    recorder = audit.ai_call_recorder(session_factory, org_id=org_id, user_id=None, username="handlaggare@alfa")
    hub = ProviderHub(_hub_config(write_voice(tmp_path / "voices")), audit=recorder)

    result = hub.synthesize(SENTENCE, data_class=DataClass.KANSLIG, language="sv")

    first = f"{direct_ipa('Hej')}, {direct_ipa('välkommen till kommunen')}!"
    second = f"{direct_ipa('Hemtjänsten kommer i morgon')}."
    assert "ˈ" in first and "ɛ" in first  # real IPA from espeak-ng, with stress marks
    assert all(ch in ID_MAP for ch in unicodedata.normalize("NFD", first + second))
    rate, runs = decode(result.audio_wav, eos=ID_MAP["$"][0], meta=4)
    assert rate == SAMPLE_RATE == result.sample_rate
    assert [run["ids"] for run in runs] == [expected_ids(first), expected_ids(second)]
    assert [run["length"] for run in runs] == [len(run["ids"]) for run in runs]
    assert all(run["scales"] == [0.667, 1.0, 0.8] for run in runs)
    assert result.provider == "piper" and result.model == f"piper/{VOICE}" and result.language == "sv"
    assert result.usage.audio_seconds == pytest.approx(len(result.audio_wav[44:]) / 2 / SAMPLE_RATE, abs=0.01)
    with session_factory() as session:
        record = session.query(AuditRecord).filter(AuditRecord.org_id == org_id).one()
        assert (record.status, record.provider, record.model) == ("ok", "piper", f"piper/{VOICE}")
        assert record.action == "tts" and record.data_class == "kanslig" and record.output_digest


def test_multi_speaker_voice_gets_a_speaker_id(tmp_path):
    voice = PiperTextToSpeech("piper", ProviderConfig(kind="piper", model_dir=write_voice(tmp_path, speakers=2)))
    _, runs = decode(voice.synthesize("Hej.").audio_wav, eos=ID_MAP["$"][0], meta=5)
    assert len(runs) == 1 and runs[0]["sid"] == 0 and runs[0]["ids"] == expected_ids(f"{direct_ipa('Hej')}.")


def test_unknown_phonemes_are_skipped_and_logged(tmp_path, caplog):
    without_stress = {key: value for key, value in ID_MAP.items() if key != "ˈ"}
    voice = PiperTextToSpeech(
        "piper", ProviderConfig(kind="piper", model_dir=write_voice(tmp_path, id_map=without_stress))
    )
    with caplog.at_level(logging.WARNING, logger="radhus.providers.piper"):
        (ids,) = voice.phoneme_ids("Hej.")
    spoken = unicodedata.normalize("NFD", f"{direct_ipa('Hej')}.").replace("ˈ", "")
    assert ids == [1, 0, *[x for p in spoken for x in (ID_MAP[p][0], 0)], 2]
    assert "ˈ" in caplog.text


def test_missing_onnxruntime_names_the_extra(tmp_path, monkeypatch):
    voice = PiperTextToSpeech("piper", ProviderConfig(kind="piper", model_dir=write_voice(tmp_path)))
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # what `import onnxruntime` meets when it is absent
    with pytest.raises(ProviderError) as info:
        voice.synthesize("Hej.")
    assert "onnxruntime" in info.value.message and "radhus[tts-piper]" in info.value.message


def test_espeak_output_is_lined_up_with_the_clauses_even_when_espeak_splits_them():
    long_clause = " ".join(["hemtjänsten kommer i morgon bitti med mat"] * 30)  # espeak-ng breaks this up
    texts = ["Hej", long_clause, "ett\n.\ntvå", "tack"]  # the third holds our own separator: no batch alignment
    assert espeak_ipa(texts, "sv") == [
        direct_ipa("Hej"),
        direct_ipa(long_clause),
        f"{direct_ipa('ett')} {direct_ipa('två')}",
        direct_ipa("tack"),
    ]
    assert espeak_ipa(["Hej", long_clause], "sv") == [direct_ipa("Hej"), direct_ipa(long_clause)]  # batched


def test_clauses_keep_their_punctuation_and_numbers_stay_whole():
    clauses = split_clauses("Det kostar 2.5 kr, tack!  Vad sa du?\nInget")
    assert [(c.text, c.terminator) for c in clauses] == [
        ("Det kostar 2.5 kr", ","),
        ("tack", "!"),
        ("Vad sa du", "?"),
        ("Inget", ""),
    ]


def test_corrupt_model_gives_a_clear_error_and_is_audited(tmp_path):
    folder = write_voice(tmp_path)
    (folder / f"{VOICE}.onnx").write_bytes(b"inte en onnx-modell" * 10)
    events: list[dict] = []
    with pytest.raises(ProviderError) as info:
        ProviderHub(_hub_config(folder), audit=events.append).synthesize("Hej.", data_class="oppen")
    message = info.value.message
    assert "inte en giltig ONNX-modell" in message and "[providers.tts.piper]" in message and ".onnx.json" in message
    assert events[0]["status"] == "failed" and events[0]["error"] == message and events[0]["model"] == "piper"


def test_corrupt_config_names_what_is_missing(tmp_path):
    folder = write_voice(tmp_path)
    (folder / f"{VOICE}.onnx.json").write_text(json.dumps({"audio": {"sample_rate": 22050}}), encoding="utf-8")
    with pytest.raises(ProviderError) as info:
        PiperTextToSpeech("piper", ProviderConfig(kind="piper", model_dir=folder))
    assert "saknar phoneme_id_map" in info.value.message and "model_dir" in info.value.message
    (folder / f"{VOICE}.onnx.json").write_text("{inte json", encoding="utf-8")
    with pytest.raises(ProviderError) as info:
        PiperTextToSpeech("piper", ProviderConfig(kind="piper", model_dir=folder))
    assert f"{VOICE}.onnx.json är trasig" in info.value.message


def test_an_onnx_model_that_is_not_a_piper_voice_is_named(tmp_path):
    folder = write_voice(tmp_path)
    identity = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "not-piper",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    model = helper.make_model(identity, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(folder / f"{VOICE}.onnx"))
    with pytest.raises(ProviderError, match="är ingen Piper-röst"):
        PiperTextToSpeech("piper", ProviderConfig(kind="piper", model_dir=folder)).synthesize("Hej.")


def test_missing_model_names_setting_and_layout(tmp_path):
    events: list[dict] = []
    with pytest.raises(ProviderError) as info:
        ProviderHub(_hub_config(tmp_path / "saknas"), audit=events.append).synthesize("Hej.", data_class="oppen")
    assert "[providers.tts.piper]" in info.value.message and ".onnx.json" in info.value.message
    assert events[0]["status"] == "failed"


def test_onnx_without_its_json_is_named(tmp_path):
    folder = write_voice(tmp_path)
    (folder / f"{VOICE}.onnx.json").unlink()
    with pytest.raises(ProviderError) as info:
        PiperTextToSpeech("piper", ProviderConfig(kind="piper", model_dir=folder))
    assert f"{VOICE}.onnx.json saknas" in info.value.message


def test_a_folder_with_several_voices_asks_which(tmp_path):
    write_voice(tmp_path, name="sv_SE-a-low")
    write_voice(tmp_path, name="sv_SE-b-low")
    with pytest.raises(ProviderError) as info:
        PiperTextToSpeech("piper", ProviderConfig(kind="piper", model_dir=tmp_path))
    assert "sv_SE-a-low, sv_SE-b-low" in info.value.message and "voice" in info.value.message
    chosen = PiperTextToSpeech("piper", ProviderConfig(kind="piper", model_dir=tmp_path, voice="sv_SE-b-low"))
    assert chosen.model == "piper/sv_SE-b-low"


def test_other_languages_and_empty_text_are_refused_plainly(tmp_path):
    voice = PiperTextToSpeech("piper", ProviderConfig(kind="piper", model_dir=write_voice(tmp_path)))
    with pytest.raises(ProviderError) as info:
        voice.synthesize("Hello.", language="en")
    assert "läser inte engelska" in info.value.message
    with pytest.raises(ProviderError) as info:
        voice.synthesize(" ... ", language="sv")
    assert info.value.status_code == 422


def test_providers_check_loads_the_voice(tmp_path):
    from radhus.providers.routing import check_providers

    good = write_voice(tmp_path / "bra")
    bad = write_voice(tmp_path / "trasig")
    (bad / f"{VOICE}.onnx").write_bytes(b"\0" * 64)
    config = ProvidersConfig.model_validate(
        {
            "providers": {
                "tts": {
                    "bra": {"kind": "piper", "model_dir": str(good)},
                    "trasig": {"kind": "piper", "model_dir": str(bad)},
                }
            }
        }
    )
    rows = {row["name"]: row for row in check_providers(config) if row["capability"] == "tts"}
    assert rows["bra"]["status"] == "ok" and "16000 Hz" in rows["bra"]["reason"]
    assert rows["trasig"]["status"] == "error" and "inte en giltig ONNX-modell" in rows["trasig"]["reason"]


def test_the_default_piper_voice_leaves_other_languages_to_espeak(tmp_path):
    events: list[dict] = []
    hub = ProviderHub(_hub_config(write_voice(tmp_path)), audit=events.append)
    swedish = hub.synthesize("Hej.", data_class="kanslig", language="sv")
    arabic = hub.synthesize("مرحبا", data_class="kanslig", language="ar")
    assert swedish.provider == "piper" and (arabic.provider, arabic.model) == ("builtin", "espeak-ng/ar")
    assert [(e["provider"], e["status"]) for e in events] == [("piper", "ok"), ("builtin", "ok")]
    with pytest.raises(ProviderError, match="läser inte arabiska"):
        hub.synthesize("مرحبا", data_class="kanslig", language="ar", provider="piper")  # asked for by name
