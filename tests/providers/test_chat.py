"""OpenAI-compatible chat adapter against a real loopback HTTP server."""

import json

import pytest

from radhus.core.errors import ProviderError
from radhus.providers.chat import OpenAIChatProvider
from radhus.providers.models import ChatMessage

from .conftest import openai_config
from .openai_fake import free_port

HELLO = [ChatMessage(role="user", content="Hej där")]


def _provider(url, sleeps=None, **overrides):
    recorder = sleeps if sleeps is not None else []
    return OpenAIChatProvider("moln", openai_config(url, **overrides), sleep=recorder.append)


def test_scripted_reply_names_provider_model_and_usage(openai_server):
    openai_server.set_reply("Kommunen svarar.")
    result = _provider(openai_server.url).chat(HELLO, temperature=0.0, max_tokens=50)
    assert result.text == "Kommunen svarar."
    assert (result.provider, result.model) == ("moln", "test-model")
    assert result.usage.total_tokens == 14 and result.usage.duration_s >= 0
    sent = json.loads(openai_server.received[0]["body"])
    assert sent["messages"] == [{"role": "user", "content": "Hej där"}]
    assert sent["max_tokens"] == 50 and sent["stream"] is False


def test_streaming_yields_pieces_in_order_with_usage(openai_server):
    openai_server.set_reply("ett två tre")
    chunks = list(_provider(openai_server.url).stream(HELLO))
    assert "".join(c.delta for c in chunks) == "ett två tre"
    assert any(c.finish_reason == "stop" for c in chunks)
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 3


def test_slow_reply_times_out_with_swedish_message(openai_server):
    openai_server.script("slow")
    with pytest.raises(ProviderError) as info:
        _provider(openai_server.url, timeout_s=0.3).chat(HELLO)
    assert info.value.detail["reason"] == "timeout"
    assert "svarade inte inom" in info.value.message
    assert len(openai_server.received) == 1  # a read timeout is not retried


def test_429_then_success_honours_retry_after(openai_server):
    openai_server.script("status:429:0.04", "ok")
    sleeps: list[float] = []
    result = _provider(openai_server.url, sleeps, max_backoff_s=5).chat(HELLO)
    assert result.text.startswith("Svar:")
    assert sleeps == [pytest.approx(0.04)]
    assert len(openai_server.received) == 2


def test_retry_after_is_capped_by_max_backoff(openai_server):
    openai_server.script("status:503:3600", "ok")
    sleeps: list[float] = []
    _provider(openai_server.url, sleeps, max_backoff_s=0.05).chat(HELLO)
    assert sleeps == [0.05]


def test_500_exhausts_retries_with_exponential_backoff(openai_server):
    openai_server.script("status:500", "status:500", "status:500")
    sleeps: list[float] = []
    with pytest.raises(ProviderError) as info:
        _provider(openai_server.url, sleeps, backoff_s=0.01, max_backoff_s=1).chat(HELLO)
    assert info.value.detail["status"] == 500
    assert "fel 500" in info.value.message
    assert sleeps == [pytest.approx(0.01), pytest.approx(0.02)]
    assert len(openai_server.received) == 3


def test_400_is_not_retried(openai_server):
    openai_server.script("status:400")
    with pytest.raises(ProviderError):
        _provider(openai_server.url).chat(HELLO)
    assert len(openai_server.received) == 1


@pytest.mark.parametrize("behaviour", ["garbage", "wrong_shape"])
def test_malformed_answer_is_a_provider_error(openai_server, behaviour):
    openai_server.script(behaviour)
    with pytest.raises(ProviderError) as info:
        _provider(openai_server.url).chat(HELLO)
    assert info.value.detail["reason"] == "malformed"
    assert "inte kunde tolkas" in info.value.message


def test_connection_refused():
    sleeps: list[float] = []
    provider = _provider(f"http://127.0.0.1:{free_port()}/v1", sleeps)
    with pytest.raises(ProviderError) as info:
        provider.chat(HELLO)
    assert info.value.detail["reason"] == "connect"
    assert "Kunde inte ansluta" in info.value.message
    assert len(sleeps) == 2  # retried before giving up


def test_disconnect_mid_stream(openai_server):
    openai_server.set_reply("ett två tre fyra fem")
    openai_server.script("disconnect")
    received = []
    with pytest.raises(ProviderError) as info:
        for chunk in _provider(openai_server.url).stream(HELLO):
            received.append(chunk.delta)
    assert info.value.detail["reason"] == "disconnect"
    assert "mitt i svaret" in info.value.message
    assert "".join(received) == "ett två"


def test_garbage_inside_stream(openai_server):
    openai_server.script("stream_garbage")
    with pytest.raises(ProviderError) as info:
        list(_provider(openai_server.url).stream(HELLO))
    assert info.value.detail["reason"] == "malformed"


def test_circuit_breaker_opens_and_stops_calls(openai_server):
    openai_server.script(*["status:500"] * 2)
    provider = _provider(openai_server.url, max_retries=0, circuit_failures=2, circuit_reset_s=60)
    for _ in range(2):
        with pytest.raises(ProviderError):
            provider.chat(HELLO)
    with pytest.raises(ProviderError) as info:
        provider.chat(HELLO)
    assert info.value.detail["reason"] == "circuit_open"
    assert "tillfälligt avstängd" in info.value.message
    assert len(openai_server.received) == 2  # the third call never left the process


def test_circuit_breaker_half_opens_after_reset(openai_server):
    openai_server.script("status:500")
    provider = _provider(openai_server.url, max_retries=0, circuit_failures=1, circuit_reset_s=0)
    with pytest.raises(ProviderError):
        provider.chat(HELLO)
    assert provider.chat(HELLO).text.startswith("Svar:")
    assert not provider.client.breaker.is_open


def test_api_key_from_env_and_file(openai_server, monkeypatch, tmp_path):
    monkeypatch.setenv("MOLN_API_KEY", "hemlig-1")
    _provider(openai_server.url, api_key_env="MOLN_API_KEY").chat(HELLO)
    secret = tmp_path / "key"
    secret.write_text("hemlig-2\n")
    _provider(openai_server.url, api_key_file=secret).chat(HELLO)
    auth = [entry["headers"].get("Authorization") for entry in openai_server.received]
    assert auth == ["Bearer hemlig-1", "Bearer hemlig-2"]


def test_missing_api_key_env_names_the_variable(openai_server, monkeypatch):
    monkeypatch.delenv("SAKNAS_KEY", raising=False)
    with pytest.raises(ProviderError) as info:
        _provider(openai_server.url, api_key_env="SAKNAS_KEY").chat(HELLO)
    assert "SAKNAS_KEY" in info.value.message
    assert openai_server.received == []


def test_list_models(openai_server):
    assert _provider(openai_server.url).list_models() == ["test-model"]
