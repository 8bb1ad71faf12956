"""A real HTTP server on 127.0.0.1 that speaks enough of the OpenAI API for tests, and records every byte."""

import hashlib
import json
import socket
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # otherwise delayed ACKs add ~40 ms per keep-alive request
    wbufsize = 1 << 16  # send headers and body together; flushed after each request
    server: "FakeOpenAIServer._Server"

    def log_message(self, *args):  # keep test output quiet
        pass

    def _record(self) -> dict:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        raw = self.raw_requestline + bytes(self.headers) + body
        entry = {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body, "raw": raw}
        with self.server.lock:
            self.server.received.append(entry)
        return entry

    def _send_json(self, status: int, payload, headers: dict | None = None) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def do_GET(self):  # noqa: N802
        self._record()
        if self.path.endswith("/models"):
            self._send_json(200, {"object": "list", "data": [{"id": m} for m in self.server.models]})
        else:
            self._send_json(404, {"error": "not found"})

    def do_POST(self):  # noqa: N802
        entry = self._record()
        behaviour = self.server.next_behaviour()
        request = json.loads(entry["body"] or b"{}")
        if callable(behaviour):
            behaviour(self, request)
        elif behaviour == "slow":
            time.sleep(self.server.slow_s)
            self._reply_ok(request)
        elif behaviour.startswith("status:"):
            parts = behaviour.split(":")
            headers = {"Retry-After": parts[2]} if len(parts) > 2 else {}
            self._send_json(int(parts[1]), {"error": {"message": "scripted"}}, headers)
        elif behaviour == "garbage":
            self._send_json(200, b"{this is not json")
        elif behaviour == "wrong_shape":
            self._send_json(200, {"choices": []})
        elif behaviour == "disconnect":
            self._stream(request, cut_after=2)
        elif behaviour == "stream_garbage":
            self._stream(request, garbage=True)
        else:
            self._reply_ok(request)

    def _answer_text(self, request) -> str:
        last = (request.get("messages") or [{}])[-1].get("content", "")
        return self.server.reply or f"Svar: {last}"

    def _reply_ok(self, request):
        if self.path.endswith("/embeddings"):
            inputs = request["input"] if isinstance(request["input"], list) else [request["input"]]
            data = [{"index": i, "embedding": _fake_vector(text)} for i, text in enumerate(inputs)]
            self._send_json(200, {"data": data, "model": request.get("model"), "usage": {"prompt_tokens": 7}})
            return
        if request.get("stream"):
            self._stream(request)
            return
        text = self._answer_text(request)
        self._send_json(
            200,
            {
                "id": "x",
                "model": request.get("model"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14},
            },
        )

    def _stream(self, request, cut_after: int | None = None, garbage: bool = False):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        words = self._answer_text(request).split(" ")
        for index, word in enumerate(words):
            if cut_after is not None and index == cut_after:
                self.wfile.write(b'40\r\ndata: {"choices": [{"delta": {"content": "avbr')  # partial chunk
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            if garbage and index == 1:
                self._chunk(b"data: {not json\n\n")
                continue
            delta = {
                "choices": [{"index": 0, "delta": {"content": (" " if index else "") + word}, "finish_reason": None}]
            }
            self._chunk(f"data: {json.dumps(delta)}\n\n".encode())
        final = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        self._chunk(f"data: {json.dumps(final)}\n\n".encode())
        usage = {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": len(words), "total_tokens": 9}}
        self._chunk(f"data: {json.dumps(usage)}\n\n".encode())
        self._chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def _fake_vector(text: str) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    return [b / 255.0 for b in digest[:8]]


class LoopbackServer:
    """A threading HTTP server on 127.0.0.1 serving in a background thread for the duration of a `with` block."""

    _server: ThreadingHTTPServer

    def _serve(self, server: ThreadingHTTPServer) -> None:
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class FakeOpenAIServer(LoopbackServer):
    """Start with `with FakeOpenAIServer() as server:`; script replies with `server.script(...)`."""

    class _Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            """Clients that hang up early (timeouts, breaker tests) are expected; stay quiet."""

    def __init__(self, *, models: list[str] | None = None, slow_s: float = 2.0):
        self._server = self._Server(("127.0.0.1", 0), _Handler)
        self._server.received = []
        self._server.lock = threading.Lock()
        self._server.behaviours = deque()
        self._server.models = models or ["test-model"]
        self._server.slow_s = slow_s
        self._server.reply = None
        self._server.next_behaviour = self._next
        self._serve(self._server)

    def _next(self):
        with self._server.lock:
            return self._server.behaviours.popleft() if self._server.behaviours else "ok"

    def script(self, *behaviours) -> None:
        with self._server.lock:
            self._server.behaviours.extend(behaviours)

    def set_reply(self, text: str | None) -> None:
        self._server.reply = text

    @property
    def received(self) -> list[dict]:
        with self._server.lock:
            return list(self._server.received)

    @property
    def received_bytes(self) -> bytes:
        return b"".join(entry["raw"] for entry in self.received)


def free_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
