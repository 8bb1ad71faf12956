"""Client for OpenAI-compatible servers: API keys, timeouts, retries with backoff, circuit breaker, SSE."""

import email.utils
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from radhus.core.errors import ProviderError
from radhus.providers.config import ProviderConfig

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class CircuitBreaker:
    """Opens after `failures` consecutive failed calls; lets one trial call through after `reset_s`."""

    def __init__(self, *, failures: int, reset_s: float, clock: Callable[[], float] = time.monotonic):
        self.threshold = failures
        self.reset_s = reset_s
        self.clock = clock
        self.consecutive_failures = 0
        self.opened_at: float | None = None
        self._lock = threading.Lock()

    def seconds_until_retry(self) -> float:
        """0 when a call may go through, else the seconds left before the next trial call."""
        with self._lock:
            if self.opened_at is None:
                return 0.0
            left = self.opened_at + self.reset_s - self.clock()
            return max(0.0, left)

    def record_success(self) -> None:
        with self._lock:
            self.consecutive_failures = 0
            self.opened_at = None

    def record_failure(self) -> None:
        with self._lock:
            self.consecutive_failures += 1
            if self.consecutive_failures >= self.threshold:
                self.opened_at = self.clock()

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None


def read_api_key(name: str, config: ProviderConfig) -> str | None:
    """The API key from the configured environment variable or secret file; None when none is configured."""
    if config.api_key_env:
        value = os.environ.get(config.api_key_env, "").strip()
        if not value:
            raise ProviderError(
                f"API-nyckel saknas för modelltjänsten {name}: sätt miljövariabeln {config.api_key_env}.",
                detail={"provider": name, "setting": "api_key_env"},
            )
        return value
    if config.api_key_file:
        try:
            return config.api_key_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ProviderError(
                f"API-nyckeln för modelltjänsten {name} kunde inte läsas från filen {config.api_key_file}.",
                detail={"provider": name, "setting": "api_key_file"},
            ) from exc
    return None


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date), or None."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is None:
            return None
        return max(0.0, parsed.timestamp() - time.time())


class OpenAIClient:
    """Talks to one OpenAI-compatible server with the resilience settings of its ProviderConfig."""

    def __init__(
        self,
        name: str,
        config: ProviderConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not config.base_url:
            raise ProviderError(
                f'Modelltjänsten {name} saknar base_url. Ange t.ex. base_url = "http://127.0.0.1:11434/v1".',
                detail={"provider": name, "setting": "base_url"},
            )
        self.name = name
        self.config = config
        self.base_url = config.base_url.rstrip("/")
        self.sleep = sleep
        self.breaker = CircuitBreaker(failures=config.circuit_failures, reset_s=config.circuit_reset_s)
        timeout = httpx.Timeout(config.timeout_s, connect=config.connect_timeout_s)
        self._http = httpx.Client(timeout=timeout, transport=transport)
        self._api_key_loaded = False
        self._headers: dict[str, str] = {}

    def close(self) -> None:
        self._http.close()

    def headers(self) -> dict[str, str]:
        """Request headers, with the API key read once."""
        if not self._api_key_loaded:
            key = read_api_key(self.name, self.config)
            self._headers = {"Authorization": f"Bearer {key}"} if key else {}
            self._api_key_loaded = True
        return self._headers

    # --- errors in Swedish ---

    def _error(self, message: str, reason: str, **detail: Any) -> ProviderError:
        return ProviderError(message, detail={"provider": self.name, "reason": reason, **detail})

    def _translate_transport_error(self, exc: httpx.HTTPError) -> ProviderError:
        if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout):
            return self._error(
                f"Modelltjänsten {self.name} svarade inte inom {self.config.timeout_s:g} sekunder.", "timeout"
            )
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            return self._error(f"Kunde inte ansluta till modelltjänsten {self.name} ({self.base_url}).", "connect")
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
            return self._error(f"Anslutningen till modelltjänsten {self.name} bröts oväntat.", "disconnect")
        return self._error(f"Anropet till modelltjänsten {self.name} misslyckades.", "http")

    def _status_error(self, status: int) -> ProviderError:
        if status in (401, 403):
            return self._error(
                f"Modelltjänsten {self.name} nekade åtkomst (fel {status}); kontrollera API-nyckeln.",
                "auth",
                status=status,
            )
        if status == 429:
            return self._error(
                f"Modelltjänsten {self.name} är överbelastad (fel 429) även efter nya försök.",
                "rate_limited",
                status=status,
            )
        return self._error(f"Modelltjänsten {self.name} svarade med fel {status}.", "status", status=status)

    def malformed(self) -> ProviderError:
        return self._error(f"Modelltjänsten {self.name} skickade ett svar som inte kunde tolkas.", "malformed")

    def mid_stream(self) -> ProviderError:
        return self._error(f"Anslutningen till modelltjänsten {self.name} bröts mitt i svaret.", "disconnect")

    # --- retries and breaker ---

    def _check_breaker(self) -> None:
        wait = self.breaker.seconds_until_retry()
        if wait > 0:
            raise self._error(
                f"Modelltjänsten {self.name} är tillfälligt avstängd efter upprepade fel. "
                f"Försök igen om {wait:.0f} sekunder.",
                "circuit_open",
            )

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        delay = self.config.backoff_s * (2**attempt)
        if response is not None:
            hinted = retry_after_seconds(response)
            if hinted is not None:
                delay = hinted
        return min(delay, self.config.max_backoff_s)

    def _send(self, method: str, path: str, *, payload: dict | None, stream: bool) -> httpx.Response:
        """Send with retries on 429/5xx and connection errors; returns a successful (2xx) response."""
        self._check_breaker()
        headers = self.headers()
        url = f"{self.base_url}{path}"
        last_error: ProviderError | None = None
        for attempt in range(self.config.max_retries + 1):
            response = None
            try:
                request = self._http.build_request(method, url, json=payload, headers=headers)
                response = self._http.send(request, stream=stream)
            except httpx.HTTPError as exc:
                last_error = self._translate_transport_error(exc)
                retryable = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.RemoteProtocolError)
            else:
                if response.status_code < 400:
                    return response
                response.close()
                last_error = self._status_error(response.status_code)
                retryable = response.status_code in RETRY_STATUS
            if not retryable or attempt == self.config.max_retries:
                break
            self.sleep(self._delay(attempt, response))
        self.breaker.record_failure()
        assert last_error is not None
        raise last_error

    def post_json(self, path: str, payload: dict) -> dict:
        """POST and decode a JSON object answer."""
        response = self._send("POST", path, payload=payload, stream=False)
        return self._decode(response)

    def get_json(self, path: str) -> dict:
        """GET and decode a JSON object answer."""
        response = self._send("GET", path, payload=None, stream=False)
        return self._decode(response)

    def _decode(self, response: httpx.Response) -> dict:
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            self.breaker.record_failure()
            raise self.malformed() from exc
        if not isinstance(data, dict):
            self.breaker.record_failure()
            raise self.malformed()
        self.breaker.record_success()
        return data

    def stream_events(self, path: str, payload: dict) -> Iterator[dict]:
        """POST and yield each server-sent event's JSON; raises ProviderError on garbage or disconnects."""
        response = self._send("POST", path, payload=payload, stream=True)
        finished = False
        try:
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    finished = True
                    break
                try:
                    event = json.loads(data)
                except json.JSONDecodeError as exc:
                    raise self.malformed() from exc
                if not isinstance(event, dict):
                    raise self.malformed()
                yield event
                if any(
                    choice.get("finish_reason") for choice in event.get("choices") or [] if isinstance(choice, dict)
                ):
                    finished = True
        except httpx.HTTPError as exc:
            self.breaker.record_failure()
            error = self._translate_transport_error(exc)
            if error.detail.get("reason") == "disconnect":
                error = self.mid_stream()
            raise error from exc
        except ProviderError:
            self.breaker.record_failure()
            raise
        finally:
            response.close()
        if not finished:
            self.breaker.record_failure()
            raise self.mid_stream()
        self.breaker.record_success()
