"""Chat completion: the interface and the OpenAI-compatible adapter (Ollama, vLLM, llama.cpp, Azure, …)."""

import time
from collections.abc import Iterator
from typing import Protocol

import httpx

from radhus.core.errors import ProviderError
from radhus.providers.config import ProviderConfig
from radhus.providers.models import ChatChunk, ChatMessage, ChatResult, Usage
from radhus.providers.openai_client import OpenAIClient


class ChatProvider(Protocol):
    """Anything that answers chat conversations."""

    name: str
    model: str

    def chat(
        self, messages: list[ChatMessage], *, temperature: float = 0.2, max_tokens: int | None = None
    ) -> ChatResult: ...

    def stream(
        self, messages: list[ChatMessage], *, temperature: float = 0.2, max_tokens: int | None = None
    ) -> Iterator[ChatChunk]: ...


def no_chat_provider_error() -> ProviderError:
    """Error for "no chat model configured"; callers catch it to fall back to extractive answers."""
    return ProviderError(
        'Ingen chattmodell är konfigurerad. Lägg till en tabell [providers.chat.<namn>] med kind = "openai", '
        'base_url och model i radhus.toml och ange [defaults] chat = "<namn>".',
        status_code=503,
        detail={"reason": "not_configured", "setting": "defaults.chat"},
    )


def _usage_from(data: dict | None, duration_s: float) -> Usage:
    data = data if isinstance(data, dict) else {}
    return Usage(
        prompt_tokens=data.get("prompt_tokens"),
        completion_tokens=data.get("completion_tokens"),
        total_tokens=data.get("total_tokens"),
        duration_s=round(duration_s, 4),
    )


class OpenAIChatProvider:
    """Chat over the OpenAI /chat/completions API, with retries, circuit breaker and SSE streaming."""

    def __init__(
        self,
        name: str,
        config: ProviderConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep=time.sleep,
    ):
        if not config.model:
            raise ProviderError(
                f'Chattmodellen {name} saknar model. Ange model = "..." under [providers.chat.{name}].',
                detail={"provider": name, "setting": "model"},
            )
        self.name = name
        self.model = config.model
        self.config = config
        self.client = OpenAIClient(name, config, transport=transport, sleep=sleep)

    def _payload(self, messages: list[ChatMessage], temperature: float, max_tokens: int | None, stream: bool) -> dict:
        payload: dict = {
            "model": self.model,
            "messages": [message.model_dump() for message in messages],
            "temperature": temperature,
            "stream": stream,
        }
        if max_tokens is not None:
            payload["max_tokens"] = max_tokens
        if stream:
            payload["stream_options"] = {"include_usage": True}
        return payload

    def chat(
        self, messages: list[ChatMessage], *, temperature: float = 0.2, max_tokens: int | None = None
    ) -> ChatResult:
        """One complete answer."""
        started = time.perf_counter()
        data = self.client.post_json("/chat/completions", self._payload(messages, temperature, max_tokens, False))
        try:
            choice = data["choices"][0]
            text = choice["message"]["content"]
            if not isinstance(text, str):
                raise TypeError("content is not text")
        except (KeyError, IndexError, TypeError) as exc:
            raise self.client.malformed() from exc
        return ChatResult(
            provider=self.name,
            model=str(data.get("model") or self.model),
            text=text,
            finish_reason=choice.get("finish_reason"),
            usage=_usage_from(data.get("usage"), time.perf_counter() - started),
        )

    def stream(
        self, messages: list[ChatMessage], *, temperature: float = 0.2, max_tokens: int | None = None
    ) -> Iterator[ChatChunk]:
        """Yield the answer piece by piece as the server sends it."""
        started = time.perf_counter()
        events = self.client.stream_events("/chat/completions", self._payload(messages, temperature, max_tokens, True))
        for event in events:
            usage = _usage_from(event["usage"], time.perf_counter() - started) if event.get("usage") else None
            choices = event.get("choices") or []
            if not choices:
                if usage:
                    yield ChatChunk(provider=self.name, model=self.model, usage=usage)
                continue
            choice = choices[0]
            delta = (choice.get("delta") or {}).get("content") or ""
            if not isinstance(delta, str):
                raise self.client.malformed()
            yield ChatChunk(
                provider=self.name,
                model=self.model,
                delta=delta,
                finish_reason=choice.get("finish_reason"),
                usage=usage,
            )

    def list_models(self) -> list[str]:
        """Model ids the server offers (GET /models)."""
        data = self.client.get_json("/models")
        return [str(item.get("id")) for item in data.get("data") or [] if isinstance(item, dict)]

    def close(self) -> None:
        self.client.close()
