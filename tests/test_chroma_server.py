"""Server mode: with CHROMA_HOST/CHROMA_PORT the same `rag` commands use a real Chroma
server (`chroma run`) and give the same answers as the embedded store."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS, KALLAS, SEED, run_rag

pytestmark = pytest.mark.slow

QUESTIONS = (KALLAS, "How many people died in the overnight Russian air strikes on Kharkiv?")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A real `chroma run` on 127.0.0.1 (a free port), stopped at the end."""
    chroma = shutil.which("chroma")
    if chroma is None:
        pytest.fail("the `chroma` command (installed with chromadb) is missing")
    data = tmp_path_factory.mktemp("chroma-server")
    port = _free_port()
    log = (data / "server.log").open("wb")
    process = subprocess.Popen(
        [chroma, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2
                ) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"chroma server did not start: {(data / 'server.log').read_text()[-800:]}"
                )
            time.sleep(0.2)
        yield {"CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(port)}
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def articles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("server-articles")
    shutil.copy(SEED, folder / SEED.name)
    for name in ("lee-000.txt", "lee-001.txt", "lee-002.txt"):
        shutil.copy(CORPUS / "lee" / name, folder / name)
    return folder


EMBEDDED = {"CHROMA_HOST": ""}


def _ask(index: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    result = run_rag("ask", "--batch", "-", index=index, env=env, input="\n".join(QUESTIONS))
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def _comparable(answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "answer": answer["answer"],
        "refused": answer["refused"],
        "citations": [{k: v for k, v in c.items() if k != "score"} for c in answer["citations"]],
    }


@pytest.fixture(scope="module")
def both_stores(
    chroma_server: dict[str, str], articles: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    server_index = tmp_path_factory.mktemp("server-local")  # BM25 cache and write lock
    embedded_index = tmp_path_factory.mktemp("embedded")
    runs = {}
    for name, index, env in (
        ("server", server_index, chroma_server),
        ("embedded", embedded_index, EMBEDDED),
    ):
        ingested = run_rag("ingest", str(articles), "--json", "--quiet", index=index, env=env)
        assert ingested.returncode == 0, ingested.stderr
        runs[name] = {"index": index, "env": env, "ingest": json.loads(ingested.stdout)}
    return runs


def test_ingest_through_a_chroma_server_stores_the_articles_there(
    both_stores: dict[str, Any],
) -> None:
    server, embedded = both_stores["server"], both_stores["embedded"]
    assert server["ingest"]["articles"] == 4 and server["ingest"]["failed"] == []
    assert server["ingest"]["chunks"] == embedded["ingest"]["chunks"] > 4
    assert not (server["index"] / "chroma").exists()  # the vectors live in the server
    stats = run_rag("stats", "--json", index=server["index"], env=server["env"])
    body = json.loads(stats.stdout)
    assert body["store"].startswith("chroma-server http://127.0.0.1:")
    assert body["chunks"] == server["ingest"]["chunks"] and body["articles"] == 4


def test_ask_through_a_chroma_server_gives_the_embedded_stores_answers(
    both_stores: dict[str, Any],
) -> None:
    server, embedded = both_stores["server"], both_stores["embedded"]
    from_server = _ask(server["index"], server["env"])
    from_embedded = _ask(embedded["index"], embedded["env"])
    assert len(from_server) == len(QUESTIONS)
    assert from_server[0]["citations"] and "Article 5" in from_server[0]["answer"]
    assert [_comparable(a) for a in from_server] == [_comparable(a) for a in from_embedded]
    for a, b in zip(from_server, from_embedded, strict=True):
        for ca, cb in zip(a["citations"], b["citations"], strict=True):
            assert ca["score"] == pytest.approx(cb["score"], abs=1e-3)


def test_reingest_through_a_chroma_server_embeds_nothing(
    both_stores: dict[str, Any], articles: Path
) -> None:
    server = both_stores["server"]
    again = run_rag(
        "ingest", str(articles), "--json", "--quiet", index=server["index"], env=server["env"]
    )
    body = json.loads(again.stdout)
    assert again.returncode == 0 and body["embedded"] == 0 and body["skipped"] == 4


def test_an_unreachable_chroma_server_is_one_line_and_exit_4(tmp_path: Path) -> None:
    env = {"CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(_free_port())}
    result = run_rag("stats", "--json", index=tmp_path / "idx", env=env)
    assert result.returncode == 4
    assert result.stderr.strip().count("\n") == 0 and "Chroma" in result.stderr
