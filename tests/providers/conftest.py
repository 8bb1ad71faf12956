import pytest

from radhus.providers.config import ProviderConfig

from .openai_fake import FakeOpenAIServer


@pytest.fixture
def openai_server():
    with FakeOpenAIServer() as server:
        yield server


def openai_config(url: str, **overrides) -> ProviderConfig:
    """A fast-failing OpenAI-compatible provider config for tests."""
    values = {
        "kind": "openai",
        "base_url": url,
        "model": "test-model",
        "timeout_s": 1.0,
        "connect_timeout_s": 1.0,
        "max_retries": 2,
        "backoff_s": 0.01,
        "max_backoff_s": 0.05,
    }
    values.update(overrides)
    return ProviderConfig(**values)
