"""API abuse against a real `rag serve` process: a bounded flood on 127.0.0.1.

One embed key floods the server with a mix of good and bad requests (oversized bodies,
malformed JSON, wrong types, over-long questions) from several threads, server-to-server
callers send the same junk with and without the API key, and raw sockets send broken HTTP.
Meanwhile a second key asks real questions. Every request must get the clear answer it
deserves (never a 5xx, never a dropped connection), the second key must be answered
throughout, and the server must still be up and answering at the end.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pytest

from rag.config import Settings
from tests.conftest import KALLAS
from tests.test_api_server import start_rag_serve, stop

pytestmark = pytest.mark.slow

API_KEY = "abuse-test-secret"
INTRANET = "http://intranet.example"
FLOOD_KEY, QUIET_KEY = "flood-key", "quiet-key"
FLOOD_PER_MINUTE = 20
FLOOD_REQUESTS = 300
SERVER_REQUESTS = 90
QUIET_QUESTIONS = 8
THREADS = 8
TIME_BUDGET_S = 30.0
QUESTIONS = [
    KALLAS,
    "What did the Reserve Bank decide about interest rates?",
    "Who won the cricket test?",
    "What happened in the bushfires near Sydney?",
]


@dataclass
class Tally:
    sent: int = 0
    failures: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, label: str, expected: set[int], send: Callable[[], httpx.Response]) -> None:
        try:
            response = send()
            status = response.status_code
            body_ok = status == 200 or "error" in response.json()
            problem = None if status in expected and body_ok else f"{label}: got {status}"
            if status == 429 and not response.headers.get("retry-after", "").isdigit():
                problem = f"{label}: 429 without Retry-After"
        except (httpx.HTTPError, ValueError) as exc:
            status, problem = -1, f"{label}: {type(exc).__name__}: {exc}"
        with self.lock:
            self.sent += 1
            self.statuses[status] += 1
            if problem:
                self.failures.append(problem)


def junk_requests(headers: dict[str, str]) -> list[tuple[str, set[int], dict]]:
    """(label, the status it must get, httpx request arguments) for each kind of abuse."""
    json_headers = {**headers, "Content-Type": "application/json"}
    return [
        ("question", {200}, {"json": {"question": random.choice(QUESTIONS)}}),
        (
            "oversized",
            {413},
            {
                "json": {
                    "question": "Kallas",
                    "history": [{"role": "user", "content": "x" * 70_000}],
                }
            },
        ),
        (
            "oversized-chunked",
            {413},
            {"content": iter([b'{"question":"'] + [b"y" * 8192] * 10), "headers": json_headers},
        ),
        ("malformed", {400}, {"content": b'{"question": "Kallas"', "headers": json_headers}),
        ("wrong-type", {422}, {"json": {"question": {"$gt": ""}, "k": "all"}}),
        ("wrong-history", {422}, {"json": {"question": "x", "history": [{"role": "system"}]}}),
        ("long-question", {422}, {"json": {"question": "Article 5? " * 500}}),
        ("empty-question", {422}, {"json": {"question": ""}}),
        ("not-an-object", {422}, {"json": ["Kallas"]}),
    ]


def send(client: httpx.Client, base: str, headers: dict[str, str], args: dict) -> httpx.Response:
    args = dict(args)
    merged = {**headers, **args.pop("headers", {})}
    path = random.choice(["/api/ask", "/api/chat", "/v1/chat/completions"])
    if path == "/v1/chat/completions" and "json" in args and isinstance(args["json"], dict):
        question = args["json"].get("question", "")
        if isinstance(question, str) and "history" not in args["json"]:
            args["json"] = {"model": "newsrag", "messages": [{"role": "user", "content": question}]}
        else:
            path = "/api/ask"
    return client.post(f"{base}{path}", headers=merged, **args)


def raw_http(base: str, payload: bytes) -> bytes:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(payload)
        try:
            return sock.recv(200)
        except TimeoutError:
            return b""


@pytest.fixture(scope="module")
def served(corpus_index: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    keys = {
        FLOOD_KEY: {"origins": [INTRANET], "per_minute": FLOOD_PER_MINUTE},
        QUIET_KEY: {"origins": [INTRANET], "per_minute": 100},
    }
    log = tmp_path_factory.mktemp("abuse") / "serve.log"
    env = {"RAG_API_KEY": API_KEY, "RAG_EMBED_KEYS": json.dumps(keys)}
    process, base = start_rag_serve(corpus_index.index_dir, env, log)
    yield base
    assert process.poll() is None, "the server died during the abuse test"
    stop(process)


def test_flood_of_bad_requests_gets_clear_4xx_while_another_key_is_served(served: str) -> None:
    random.seed(7)
    tally = Tally()
    flood = {"Origin": INTRANET, "X-Embed-Key": FLOOD_KEY}
    server = {"Authorization": f"Bearer {API_KEY}"}
    quiet = {"Origin": INTRANET, "X-Embed-Key": QUIET_KEY}
    quiet_latency: list[float] = []
    started = time.monotonic()

    def flood_one(n: int, client: httpx.Client) -> None:
        label, expected, args = random.choice(junk_requests(flood))
        # Once the key's 20 a minute are spent, every request carrying it gets 429.
        tally.record(f"flood {label}", expected | {429}, lambda: send(client, served, flood, args))

    def server_one(n: int, client: httpx.Client) -> None:
        label, expected, args = random.choice(junk_requests(server))
        if label == "question":  # server-to-server real questions are fine but slow: skip
            label, expected, args = junk_requests(server)[4]
        kinds = [
            (label, expected, server, args),
            ("no-api-key", {401}, {}, {"json": {"question": KALLAS}}),
            (
                "foreign-origin",
                {403},
                {"Origin": "http://evil.example", "X-Embed-Key": QUIET_KEY},
                {"json": {"question": KALLAS}},
            ),
            (
                "unknown-key",
                {403},
                {"Origin": INTRANET, "X-Embed-Key": "guess"},
                {"json": {"question": KALLAS}},
            ),
        ]
        label, expected, headers, args = kinds[n % len(kinds)]
        tally.record(f"server {label}", expected, lambda: send(client, served, headers, args))

    def quiet_asker() -> None:
        with httpx.Client(timeout=30) as client:
            for n in range(QUIET_QUESTIONS):
                asked = time.monotonic()
                question = QUESTIONS[n % len(QUESTIONS)]
                tally.record(
                    "quiet question",
                    {200},
                    lambda q=question: client.post(
                        f"{served}/api/ask", headers=quiet, json={"question": q}
                    ),
                )
                quiet_latency.append(time.monotonic() - asked)

    def worker(jobs: list[tuple[Callable[[int, httpx.Client], None], int]]) -> None:
        with httpx.Client(timeout=30) as client:
            for job, n in jobs:
                if time.monotonic() - started > TIME_BUDGET_S:
                    return
                job(n, client)

    jobs = [(flood_one, n) for n in range(FLOOD_REQUESTS)]
    jobs += [(server_one, n) for n in range(SERVER_REQUESTS)]
    random.shuffle(jobs)
    quiet_thread = threading.Thread(target=quiet_asker)
    quiet_thread.start()
    with ThreadPoolExecutor(THREADS) as pool:
        for share in range(THREADS):
            pool.submit(worker, jobs[share::THREADS])
    quiet_thread.join()

    raw = [
        raw_http(served, b"GARBAGE\r\n\r\n"),
        raw_http(served, b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"),
        raw_http(
            served,
            b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n"
            b"Authorization: Bearer " + API_KEY.encode() + b"\r\n\r\n{",
        ),
    ]
    elapsed = time.monotonic() - started
    print(
        f"\nabuse load test: {tally.sent + len(raw)} requests in {elapsed:.1f} s, "
        f"{len(tally.failures)} failed; statuses {dict(sorted(tally.statuses.items()))}; "
        f"quiet key latency max {max(quiet_latency):.2f} s"
    )

    assert not tally.failures, tally.failures[:10]
    assert tally.sent >= FLOOD_REQUESTS // 2 + QUIET_QUESTIONS  # the flood really happened
    assert tally.statuses[429] > 0 and tally.statuses[200] >= QUIET_QUESTIONS
    assert all(r.startswith(b"HTTP/1.1 4") or r == b"" for r in raw), raw
    assert raw[2].startswith(b"HTTP/1.1 413")
    # Still up and still answering, with citations, after all that.
    after = httpx.post(f"{served}/api/ask", headers=quiet, json={"question": KALLAS}, timeout=30)
    assert after.status_code == 200 and after.json()["citations"]
    assert httpx.get(f"{served}/healthz", timeout=5).json()["ready"] is True
