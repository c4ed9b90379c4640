"""The official `openai` SDK against a real `rag serve` process on 127.0.0.1.

The server is started the way users start it (`rag serve --index DIR --port N`) over the
session's real corpus index, with RAG_API_KEY set, so the SDK's Bearer key is checked too.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from rag.config import Settings
from tests.conftest import KALLAS, ROOT, SEED, rag_command

pytestmark = pytest.mark.slow

API_KEY = "sdk-test-secret"
SEED_ID = SEED.stem


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_rag_serve(
    index_dir: Path, env: dict[str, str], log: Path
) -> tuple[subprocess.Popen, str]:
    """`rag serve` on a free port; returns the process and its base URL once it is ready."""
    port = free_port()
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*rag_command(), "serve", "--index", str(index_dir), "--port", str(port)],
            cwd=ROOT,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"rag serve exited: {log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).json().get("ready"):
                return process, base
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    process.kill()
    raise AssertionError(f"rag serve did not become ready: {log.read_text(errors='replace')}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def served(corpus_index: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    process, base = start_rag_serve(corpus_index.index_dir, {"RAG_API_KEY": API_KEY}, log)
    yield base
    stop(process)


@pytest.fixture
def client(served: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{served}/v1", api_key=API_KEY, max_retries=0, timeout=60)


def test_openai_sdk_gets_an_answer_with_citations(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="newsrag", messages=[{"role": "user", "content": KALLAS}]
    )
    content = completion.choices[0].message.content or ""
    citations = completion.model_extra["citations"]
    assert "Kallas" in content and "[1]" in content and "Sources:" in content
    assert citations[0]["article_id"] == SEED_ID
    assert "Article 5" in citations[0]["quote"]
    assert " ".join(citations[0]["quote"].split()) in " ".join(content.split())


def test_openai_sdk_streams_the_answer_and_ends_with_citations(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="newsrag", stream=True, messages=[{"role": "user", "content": KALLAS}]
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len(chunks) > 5  # really streamed, not one block
    assert "Kallas" in text and "[1]" in text
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra["citations"][0]["article_id"] == SEED_ID


def test_openai_sdk_follow_up_uses_the_conversation(client: openai.OpenAI) -> None:
    first = client.chat.completions.create(
        model="newsrag", messages=[{"role": "user", "content": KALLAS}]
    )
    follow_up = "What else did she say?"
    alone = client.chat.completions.create(
        model="newsrag", messages=[{"role": "user", "content": follow_up}]
    )
    assert SEED_ID not in {c["article_id"] for c in alone.model_extra["citations"]}
    answer = client.chat.completions.create(
        model="newsrag",
        messages=[
            {"role": "user", "content": "What did Kaja Kallas say about Article 5?"},
            {"role": "assistant", "content": first.choices[0].message.content or ""},
            {"role": "user", "content": follow_up},
        ],
    )
    citations = answer.model_extra["citations"]
    assert citations and citations[0]["article_id"] == SEED_ID


def test_openai_sdk_with_a_wrong_key_gets_authentication_error(served: str) -> None:
    wrong = openai.OpenAI(base_url=f"{served}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        wrong.chat.completions.create(
            model="newsrag", messages=[{"role": "user", "content": KALLAS}]
        )
    assert "RAG_API_KEY" in str(caught.value)


def test_openai_sdk_sees_an_over_long_question_as_a_clear_422(client: openai.OpenAI) -> None:
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        client.chat.completions.create(
            model="newsrag", messages=[{"role": "user", "content": "Kallas? " * 400}]
        )
    assert "the limit is 2000 characters" in str(caught.value)


def test_openai_sdk_lists_the_model(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["newsrag"]
