"""Provider hub: data classes, redact-then-send, audit events, defaults and overrides — against real servers."""

import hashlib
import re

import pytest

from radhus.core.errors import DataClassRefused, InvalidInput, ProviderError
from radhus.core.privacy import DataClass
from radhus.providers.config import ProvidersConfig
from radhus.providers.routing import OrgPolicy, ProviderHub, check_providers

from .openai_fake import FakeOpenAIServer, free_port

PNR = "19811218-9876"
SENSITIVE = f"Brukaren Johan Lindqvist, personnummer {PNR}, har fått beslut om hemtjänst."
PNR_DIGITS = re.compile(rb"811218.?9876")


def _config(chat: dict, defaults: dict | None = None, **tables) -> ProvidersConfig:
    fast = {"timeout_s": 1.0, "connect_timeout_s": 1.0, "max_retries": 0, "backoff_s": 0.0}
    providers = {"chat": {name: {**fast, **cfg} for name, cfg in chat.items()}}
    providers.update(tables)
    return ProvidersConfig.model_validate({"providers": providers, "defaults": defaults or {}})


def _openai(url: str, ceiling: str, **extra) -> dict:
    return {"kind": "openai", "base_url": url, "model": "test-model", "max_data_class": ceiling, **extra}


@pytest.fixture
def two_servers():
    with FakeOpenAIServer() as cloud, FakeOpenAIServer() as local:
        yield cloud, local


def _hub(cloud, local, *, redact_then_send=False, events=None):
    config = _config({"moln": _openai(cloud.url, "oppen"), "lokal": _openai(local.url, "kanslig")}, {"chat": "moln"})
    sink = events if events is not None else []
    return ProviderHub(
        config, audit=sink.append, policy=OrgPolicy(redact_then_send=redact_then_send), user="anna", org="sundsvall"
    )


def test_sensitive_call_to_open_provider_is_refused_before_any_byte_leaves(two_servers):
    cloud, local = two_servers
    events: list[dict] = []
    hub = _hub(cloud, local, events=events)
    with pytest.raises(DataClassRefused) as info:
        hub.chat([{"role": "user", "content": SENSITIVE}], data_class="kanslig")
    assert "känslig" in info.value.message and "moln" in info.value.message
    assert cloud.received == [] and cloud.received_bytes == b""
    (event,) = events
    assert event["status"] == "refused" and event["provider"] == "moln" and event["data_class"] == "kanslig"
    assert event["error"] == info.value.message


def test_streaming_refusal_happens_before_iteration(two_servers):
    cloud, local = two_servers
    hub = _hub(cloud, local)
    with pytest.raises(DataClassRefused):
        hub.chat_stream([{"role": "user", "content": SENSITIVE}], data_class=DataClass.INTERN)
    assert cloud.received_bytes == b""


def test_intern_is_refused_by_open_provider_but_allowed_locally(two_servers):
    cloud, local = two_servers
    hub = _hub(cloud, local)
    with pytest.raises(DataClassRefused):
        hub.chat([{"role": "user", "content": "Internt PM"}], data_class="intern")
    result = hub.chat([{"role": "user", "content": "Internt PM"}], data_class="intern", provider="lokal")
    assert result.provider == "lokal"
    assert cloud.received == [] and len(local.received) == 1


def test_redact_then_send_sends_no_personal_data(two_servers):
    cloud, local = two_servers
    events: list[dict] = []
    hub = _hub(cloud, local, redact_then_send=True, events=events)
    result = hub.chat([{"role": "user", "content": SENSITIVE}], data_class="kanslig")
    raw = cloud.received_bytes
    assert raw, "the redacted text should have been sent"
    assert not PNR_DIGITS.search(raw)
    assert b"Lindqvist" not in raw
    assert "[PERSONNUMMER]" in raw.decode() and "[NAMN]" in raw.decode()
    assert result.text.startswith("Svar:")
    (event,) = events
    assert event["status"] == "redacted"
    assert event["redactions"] == {"NAMN": 1, "PERSONNUMMER": 1}
    assert event["sent_sha256"] != event["input_sha256"]


def test_redact_then_send_never_applies_to_audio(tmp_path):
    with FakeOpenAIServer() as server:
        config = _config({}, {"speech": "moln"}, speech={"moln": {"kind": "faster-whisper", "max_data_class": "oppen"}})
        hub = ProviderHub(config, policy=OrgPolicy(redact_then_send=True))
        with pytest.raises(DataClassRefused) as info:
            hub.transcribe(b"RIFF....", data_class="kanslig")
        assert "Ljud kan inte avidentifieras" in info.value.message
        assert server.received == []


def test_audit_event_fields(two_servers):
    cloud, local = two_servers
    events: list[dict] = []
    hub = _hub(cloud, local, events=events)
    cloud.set_reply("Ring 070-123 45 67 för mer information.")
    text = "Vilka öppettider har biblioteket? " * 20
    result = hub.chat([{"role": "user", "content": text}], data_class="oppen", function="knowledge.answer")
    (event,) = events
    assert event["function"] == "knowledge.answer"
    assert (event["provider"], event["model"], event["user"], event["org"]) == (
        "moln",
        "test-model",
        "anna",
        "sundsvall",
    )
    assert event["input_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert event["output_sha256"] == hashlib.sha256(result.text.encode()).hexdigest()
    assert len(event["input_excerpt"]) <= 200 and event["input_excerpt"].startswith("Vilka öppettider")
    assert "070-123" not in event["output_excerpt"] and "[TELEFON]" in event["output_excerpt"]
    assert event["status"] == "ok" and event["duration_ms"] > 0 and event["time"].endswith("+00:00")


def test_failed_call_is_audited_and_raises_swedish_error():
    events: list[dict] = []
    config = _config({"moln": _openai(f"http://127.0.0.1:{free_port()}/v1", "oppen")}, {"chat": "moln"})
    hub = ProviderHub(config, audit=events.append)
    with pytest.raises(ProviderError) as info:
        hub.chat([{"role": "user", "content": "Hej"}], data_class="oppen")
    assert "Kunde inte ansluta" in info.value.message
    assert events[0]["status"] == "failed" and events[0]["error"] == info.value.message


def test_stream_is_audited_once_at_the_end(two_servers):
    cloud, local = two_servers
    events: list[dict] = []
    hub = _hub(cloud, local, events=events)
    cloud.set_reply("a b c")
    stream = hub.chat_stream([{"role": "user", "content": "Hej"}], data_class="oppen")
    assert events == []
    text = "".join(chunk.delta for chunk in stream)
    assert text == "a b c"
    assert [e["status"] for e in events] == ["ok"]
    assert events[0]["output_sha256"] == hashlib.sha256(b"a b c").hexdigest()


def test_stream_disconnect_is_audited_as_failed(two_servers):
    cloud, local = two_servers
    events: list[dict] = []
    hub = _hub(cloud, local, events=events)
    cloud.set_reply("ett två tre fyra")
    cloud.script("disconnect")
    with pytest.raises(ProviderError):
        list(hub.chat_stream([{"role": "user", "content": "Hej"}], data_class="oppen"))
    assert [e["status"] for e in events] == ["failed"]


def test_no_chat_provider_configured_gives_catchable_error():
    events: list[dict] = []
    hub = ProviderHub(ProvidersConfig(), audit=events.append)
    with pytest.raises(ProviderError) as info:
        hub.chat([{"role": "user", "content": "Hej"}], data_class="oppen")
    assert info.value.detail["reason"] == "not_configured"
    assert "[providers.chat." in info.value.message
    assert events[0]["status"] == "failed"


def test_unknown_provider_override_names_the_setting(two_servers):
    cloud, local = two_servers
    hub = _hub(cloud, local)
    with pytest.raises(ProviderError) as info:
        hub.chat([{"role": "user", "content": "Hej"}], data_class="oppen", provider="finnsinte")
    assert "[providers.chat]" in info.value.message and "lokal, moln" in info.value.message


def test_embeddings_over_openai_compatible_server(openai_server):
    config = _config(
        {},
        {"embeddings": "vektor"},
        embeddings={"vektor": _openai(openai_server.url, "intern", passage_prefix="passage: ", batch_size=2)},
    )
    events: list[dict] = []
    hub = ProviderHub(config, audit=events.append)
    result = hub.embed(["ett", "två", "tre"], data_class="intern")
    assert result.vectors.shape == (3, 8) and result.provider == "vektor"
    assert abs(float((result.vectors**2).sum(axis=1)[0]) - 1.0) < 1e-5
    assert len(openai_server.received) == 2  # batches of two
    assert b'"passage: ett"' in openai_server.received_bytes
    with pytest.raises(DataClassRefused):
        hub.embed(["hemligt"], data_class="kanslig")
    assert [e["status"] for e in events] == ["ok", "refused"]


def test_translation_pivots_through_english_with_chat_translators():
    with FakeOpenAIServer() as sv_en, FakeOpenAIServer() as en_uk:
        chat = {"a": _openai(sv_en.url, "intern"), "b": _openai(en_uk.url, "intern")}
        translation = {
            "sv_en": {"kind": "chat", "chat_provider": "a", "languages": ["sv", "en"]},
            "en_uk": {"kind": "chat", "chat_provider": "b", "languages": ["en", "uk"]},
        }
        hub = ProviderHub(_config(chat, {}, translation=translation))
        sv_en.set_reply("Hello")
        en_uk.set_reply("Привіт")
        # chat translators are a fallback only for pairs they list; sv→uk has none
        with pytest.raises(ProviderError) as info:
            hub.translate("Hej", source="sv", target="uk", data_class="oppen")
        assert "från svenska till ukrainska" in info.value.message
        result = hub.translate("Hej", source="sv", target="en", data_class="oppen")
        assert (result.text, result.path, result.provider) == ("Hello", ["sv-en"], "sv_en")


def test_translation_to_somali_says_plainly_that_no_path_exists():
    events: list[dict] = []
    hub = ProviderHub(ProvidersConfig(), audit=events.append)
    with pytest.raises(ProviderError) as info:
        hub.translate("Välkommen till biblioteket", target="so", data_class="oppen")
    assert "från svenska till somaliska" in info.value.message
    assert info.value.detail["reason"] == "no_path"
    assert events[0]["status"] == "failed"


def test_translation_auto_detect_fails_clearly_on_empty_text():
    hub = ProviderHub(ProvidersConfig())
    with pytest.raises(InvalidInput):
        hub.translate("1234", target="en", data_class="oppen")


def test_check_providers_probes_servers(openai_server):
    config = _config(
        {"moln": _openai(openai_server.url, "oppen"), "borta": _openai(f"http://127.0.0.1:{free_port()}/v1", "oppen")},
        {"chat": "moln", "translation": "saknas"},
    )
    rows = {(row["capability"], row["name"]): row for row in check_providers(config, timeout_s=0.5)}
    assert rows[("chat", "moln")]["status"] == "ok" and rows[("chat", "moln")]["default"] is True
    assert rows[("chat", "borta")]["status"] == "error" and "Kunde inte ansluta" in rows[("chat", "borta")]["reason"]
    assert rows[("translation", "saknas")]["status"] == "error"
    assert rows[("embeddings", "builtin")]["max_data_class"] == "kanslig"
    assert [entry["path"] for entry in openai_server.received] == ["/v1/models"]


def test_check_providers_reports_missing_model(openai_server):
    config = _config({"moln": _openai(openai_server.url, "oppen", model="annan-modell")})
    (row,) = [r for r in check_providers(config) if r["name"] == "moln"]
    assert row["status"] == "error" and "annan-modell" in row["reason"]


def test_bad_input_gives_swedish_invalid_input(two_servers):
    cloud, local = two_servers
    hub = _hub(cloud, local)
    with pytest.raises(InvalidInput, match="Okänd dataklass"):
        hub.chat([{"role": "user", "content": "Hej"}], data_class="hemlig")
    with pytest.raises(InvalidInput, match="Ogiltigt chattmeddelande"):
        hub.chat([{"roll": "user"}], data_class="oppen")
    assert cloud.received == []
