"""Chat drafting against a real OpenAI-compatible HTTP server on loopback with scripted replies."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from radhus.core.errors import DataClassRefused
from radhus.notes.llm import draft_with_chat, parse_json_answer
from radhus.notes.service import draft_note
from radhus.notes.templates import shipped_template
from radhus.notes.transcript import read_transcript


class ScriptedServer:
    """Answers /v1/chat/completions with scripted replies in order; records every request body."""

    def __init__(self, replies):
        self.replies, self.requests = list(replies), []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                reply = outer.replies.pop(0) if outer.replies else "{}"
                data = json.dumps({"choices": [{"message": {"role": "assistant", "content": reply}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def chat(self, messages):
        url = f"http://127.0.0.1:{self.server.server_port}/v1/chat/completions"
        response = httpx.post(url, json={"model": "test-model", "messages": messages, "temperature": 0}, timeout=5)
        response.raise_for_status()
        return response.json()["choices"][0]["message"]["content"]


@pytest.fixture
def segments(eval_dir):
    return read_transcript(eval_dir / "klientmote.txt")


def _good(text, sources):
    return json.dumps({"sentences": [{"text": text, "sources": sources}]}, ensure_ascii=False)


def test_model_answers_fill_sections_with_sources(segments):
    template = shipped_template("journalanteckning")
    fields = {
        "fields": {"narvarande": ["Jenny Ström", "Noor Ali"], "datum": "2025-11-04", "uppfoljning": "2025-11-18"},
        "sources": {"narvarande": [0, 2]},
    }
    replies = [
        _good("Samtalet gällde ansökan om ekonomiskt bistånd.", [1]),
        "```json\n" + _good("Noor berättade om boendet hos systern.", [2]) + "\n```",
        _good("Noor vill ha en egen lägenhet.", [3]),
        _good("Uppföljning den 18 november.", [9]),
        json.dumps(fields, ensure_ascii=False),
    ]
    with ScriptedServer(replies) as server:
        draft = draft_with_chat(segments=segments, template=template, chat=server.chat)
    assert len(server.requests) == 5  # four drafted sections and the fields; bedömning is never sent
    assert all("Bedömning" not in r["messages"][1]["content"].split("\n")[0] for r in server.requests)
    sections = {s.key: s for s in draft.sections}
    assert sections["bakgrund"].sources == [1] and sections["samtalet"].text.startswith("Noor berättade")
    assert sections["bedomning"].sources == [] and "aldrig automatiskt" in sections["bedomning"].text
    assert draft.fields["uppfoljning"] == "2025-11-18" and draft.method == "sprakmodell"
    assert "kunde inte användas" not in draft.notice


@pytest.mark.parametrize(
    "garbage",
    [
        "inte json alls",
        '{"sentences": [{"text": "Påhittad", "sources": [999]}]}',
        '{"sentences": [{"text": "x"}]}',
        "[]",
    ],
)
def test_garbage_falls_back_to_extractive(segments, garbage):
    template = shipped_template("journalanteckning")
    with ScriptedServer([garbage] * 5) as server:
        draft = draft_with_chat(segments=segments, template=template, chat=server.chat)
    assert "kunde inte användas" in draft.notice
    views = next(s for s in draft.sections if s.key == "enskildes_synpunkter")
    assert "egen lägenhet" in views.text and views.sources  # the extractive section, with real sources
    assert draft.fields["narvarande"] == ["Jenny Ström", "Robert Falk", "Noor Ali"]


def test_unreachable_server_falls_back(segments):
    def chat(messages):
        return httpx.post("http://127.0.0.1:9/v1/chat/completions", json={}, timeout=1).text

    draft = draft_with_chat(segments=segments, template=shipped_template("minnesanteckningar"), chat=chat)
    assert "kunde inte användas" in draft.notice


def test_refusal_is_not_hidden(segments):
    def chat(messages):
        raise DataClassRefused("Känsliga uppgifter får inte skickas till molntjänsten.")

    with pytest.raises(DataClassRefused):
        draft_note(segments=segments, template=shipped_template("journalanteckning"), chat=chat)


def test_parse_json_answer_tolerates_text_around_json():
    assert parse_json_answer('Här är svaret: {"a": 1} Hoppas det hjälper.') == {"a": 1}
    assert parse_json_answer("nej") is None
