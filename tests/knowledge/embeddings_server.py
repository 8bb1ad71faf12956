"""A real OpenAI-compatible /v1/embeddings server on 127.0.0.1 for knowledge tests; it records every byte it gets.

Its vectors are hashed bags of words (each word adds to one of `dim` buckets), so a query shares a direction with
the passages that share its words: dense search over them is meaningful, and two servers with different `dim`
stand for two different embedding models.
"""

import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.providers.openai_fake import LoopbackServer


def bag_of_words(text: str, dim: int) -> list[float]:
    """A deterministic vector: word counts hashed into `dim` buckets (plus one constant bucket, never all zero)."""
    vector = [0.0] * dim
    vector[0] = 0.1
    for word in re.findall(r"\w+", text.lower()):
        vector[int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "big") % dim] += 1.0
    return vector


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "EmbeddingsServer._Server"

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        with self.server.lock:
            self.server.raw.append(self.raw_requestline + bytes(self.headers) + body)
        request = json.loads(body or b"{}")
        inputs = request.get("input") or []
        inputs = inputs if isinstance(inputs, list) else [inputs]
        with self.server.lock:
            self.server.inputs.extend(inputs)
        data = [{"index": i, "embedding": bag_of_words(text, self.server.dim)} for i, text in enumerate(inputs)]
        payload = json.dumps({"data": data, "model": request.get("model"), "usage": {"prompt_tokens": 3}}).encode()
        self.send_response(200 if self.path.endswith("/embeddings") else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class EmbeddingsServer(LoopbackServer):
    """`with EmbeddingsServer(dim=32) as server:`; `server.inputs` are the texts received, `received_bytes` all."""

    class _Server(ThreadingHTTPServer):
        daemon_threads = True

    def __init__(self, *, dim: int = 32):
        self._server = self._Server(("127.0.0.1", 0), _Handler)
        self._server.dim = dim
        self._server.lock = threading.Lock()
        self._server.raw = []
        self._server.inputs = []
        self._serve(self._server)

    @property
    def inputs(self) -> list[str]:
        with self._server.lock:
            return list(self._server.inputs)

    @property
    def received_bytes(self) -> bytes:
        with self._server.lock:
            return b"".join(self._server.raw)
