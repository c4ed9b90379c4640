"""The HTTP API through FastAPI's TestClient: every endpoint and every refusal.

Runs on a small index built with the hashing embedder (fast); the real model and a real
server are exercised in test_api_server.py, test_api_abuse.py and test_widget_browser.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from fastapi.testclient import TestClient

from rag.config import EmbedKey, Settings
from rag.errors import BackendError
from rag.types import Answer
from tests.conftest import KALLAS, SEED, make_settings
from ui.api import MAX_BODY_BYTES, create_app

API_KEY = "server-secret"
INTRANET = "http://intranet.example"
OTHER_SITE = "http://elsewhere.example"
KEYS = {
    "pub-key": EmbedKey(origins=(INTRANET,), per_minute=3),
    "other-key": EmbedKey(origins=(INTRANET,), per_minute=3),
}
BEARER = {"Authorization": f"Bearer {API_KEY}"}
WIDGET = {"Origin": INTRANET, "X-Embed-Key": "pub-key"}


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from rag.ingest import ingest
    from tests.fakes import HashEmbedder

    settings = make_settings(tmp_path_factory.mktemp("api-index"), api_key=API_KEY, embed_keys=KEYS)
    report = ingest([SEED], settings, HashEmbedder, quiet=True)
    assert report.articles == 1
    return settings


@pytest.fixture(scope="module")
def pipeline(small_index: Settings):
    from rag.pipeline import build_pipeline
    from tests.fakes import HashEmbedder

    return build_pipeline(small_index, embedder=HashEmbedder())


@pytest.fixture
def client(small_index: Settings, pipeline) -> Iterator[TestClient]:
    """A fresh app per test (fresh rate-limit counters) over the shared pipeline."""
    with TestClient(create_app(small_index, pipeline=pipeline)) as test_client:
        yield test_client


def sse_events(text: str) -> list[tuple[str, object]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = block.split("\n")
        name = next(line[6:].strip() for line in lines if line.startswith("event:"))
        data = "\n".join(line[5:].strip() for line in lines if line.startswith("data:"))
        events.append((name, json.loads(data)))
    return events


def completion_chunks(text: str) -> list[object]:
    datas = [line[6:] for line in text.split("\n") if line.startswith("data: ")]
    assert datas[-1] == "[DONE]"
    return [json.loads(d) for d in datas[:-1]]


# -- endpoints ----------------------------------------------------------------------------


def test_ask_returns_answer_json_with_verbatim_quotes(client: TestClient, answer_schema) -> None:
    response = client.post("/api/ask", json={"question": KALLAS}, headers=BEARER)
    assert response.status_code == 200
    body = response.json()
    jsonschema.validate(body, answer_schema)
    assert not body["refused"] and body["citations"]
    article = SEED.read_text(encoding="utf-8")
    assert "Kallas" in body["answer"]
    for citation in body["citations"]:
        assert " ".join(citation["quote"].split()) in " ".join(article.split())
        assert f"[{citation['n']}]" in body["answer"]


def test_ask_uses_history_to_understand_a_follow_up(client: TestClient) -> None:
    history = [
        {"role": "user", "content": "What did Kaja Kallas say about Article 5?"},
        {"role": "assistant", "content": "She said it would not be invoked [1]."},
    ]
    response = client.post(
        "/api/ask", headers=BEARER, json={"question": "What else did she say?", "history": history}
    )
    assert response.status_code == 200
    assert "Kallas" in response.json()["condensed_question"]


def test_chat_streams_tokens_then_one_answer_event(client: TestClient, answer_schema) -> None:
    response = client.post("/api/chat", json={"question": KALLAS}, headers=BEARER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    names = [name for name, _ in events]
    assert names[-1] == "answer" and names.count("answer") == 1
    assert names[:-1] and set(names[:-1]) == {"token"}
    answer = events[-1][1]
    jsonschema.validate(answer, answer_schema)
    assert "".join(data["text"] for name, data in events[:-1]) == answer["answer"]


def test_chat_completions_puts_citations_in_the_text_and_a_citations_field(
    client: TestClient,
) -> None:
    response = client.post(
        "/v1/chat/completions",
        headers=BEARER,
        json={"model": "newsrag", "messages": [{"role": "user", "content": KALLAS}]},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "chat.completion"
    content = body["choices"][0]["message"]["content"]
    assert body["choices"][0]["message"]["role"] == "assistant"
    assert body["citations"] and body["citations"][0]["quote"]
    first = body["citations"][0]
    assert f"[{first['n']}]" in content and first["title"] in content
    assert " ".join(first["quote"].split()) in " ".join(content.split())


def test_chat_completions_stream_ends_with_citations_and_done(client: TestClient) -> None:
    response = client.post(
        "/v1/chat/completions",
        headers=BEARER,
        json={
            "model": "newsrag",
            "stream": True,
            "stream_options": {"include_usage": True},
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": KALLAS},
            ],
        },
    )
    assert response.status_code == 200
    chunks = completion_chunks(response.text)
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    finish = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"] == "stop"]
    assert len(finish) == 1 and finish[0]["citations"]
    assert chunks[-1]["citations"] == finish[0]["citations"] and chunks[-1]["usage"]
    assert "Kallas" in text and "[1]" in text and "Sources:" in text


def cl100k_tokens(text: str) -> int:
    """Tokens of `text` in OpenAI's cl100k_base, read from llama-index-core's offline cache."""
    import tiktoken

    from rag.config import prepare_offline_caches

    prepare_offline_caches()
    return len(tiktoken.get_encoding("cl100k_base").encode(text))


def test_chat_completions_usage_counts_cl100k_tokens_not_words(client: TestClient) -> None:
    question = "What did Kallas say about NATO's Article 5, on 22/11/2024?"
    messages = [{"role": "user", "content": question}]
    whole = client.post(
        "/v1/chat/completions", headers=BEARER, json={"model": "newsrag", "messages": messages}
    ).json()
    streamed = client.post(
        "/v1/chat/completions",
        headers=BEARER,
        json={"messages": messages, "stream": True, "stream_options": {"include_usage": True}},
    )
    chunks = completion_chunks(streamed.text)
    streamed_text = "".join(
        c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"]
    )
    content = whole["choices"][0]["message"]["content"]
    assert cl100k_tokens(question) != len(question.split())  # tokens and words differ here
    for usage, text in ((whole["usage"], content), (chunks[-1]["usage"], streamed_text)):
        assert usage["prompt_tokens"] == cl100k_tokens(question)
        assert usage["completion_tokens"] == cl100k_tokens(text)
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_chat_completions_treats_earlier_messages_as_history(client: TestClient) -> None:
    response = client.post(
        "/v1/chat/completions",
        headers=BEARER,
        json={
            "model": "newsrag",
            "messages": [
                {"role": "user", "content": "What did Kaja Kallas say about Article 5?"},
                {"role": "assistant", "content": "She said it would not be invoked [1]."},
                {"role": "user", "content": [{"type": "text", "text": "What else did she say?"}]},
            ],
        },
    )
    assert response.status_code == 200
    assert response.json()["citations"]


def test_chat_completions_without_a_user_message_is_refused(client: TestClient) -> None:
    response = client.post(
        "/v1/chat/completions",
        headers=BEARER,
        json={"model": "newsrag", "messages": [{"role": "system", "content": "hello"}]},
    )
    assert response.status_code == 422
    assert "role 'user'" in response.json()["error"]["message"]


def test_models_lists_the_one_model(client: TestClient) -> None:
    response = client.get("/v1/models", headers=BEARER)
    assert response.status_code == 200
    assert [m["id"] for m in response.json()["data"]] == ["newsrag"]


def test_healthz_reports_ready_without_any_key(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "ready": True, "mode": "extractive"}


def test_widget_script_is_served_as_javascript(client: TestClient) -> None:
    response = client.get("/widget.js", headers={"Origin": OTHER_SITE})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert 'attachShadow({ mode: "open" })' in response.text
    assert "X-Embed-Key" in response.text


def test_widget_never_parses_server_text_as_html() -> None:
    source = (Path(__file__).resolve().parent.parent / "ui" / "widget" / "widget.js").read_text()
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "DOMParser",
        "createContextualFragment",
    ):
        assert sink not in source


def test_docs_and_openapi_schema_are_served(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert "cdn.jsdelivr.net" in docs.headers["content-security-policy"]
    schema = client.get("/openapi.json").json()
    assert {"/api/ask", "/api/chat", "/v1/chat/completions"} <= set(schema["paths"])


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/healthz", {}),
        ("GET", "/widget.js", {}),
        ("GET", "/openapi.json", {}),
        ("GET", "/no-such-page", {}),
        ("POST", "/api/ask", {}),  # 401
        ("POST", "/api/ask", {"Origin": OTHER_SITE, "X-Embed-Key": "pub-key"}),  # 403
        ("OPTIONS", "/api/chat", {"Origin": INTRANET, "Access-Control-Request-Method": "POST"}),
    ],
)
def test_security_headers_are_on_every_response(
    client: TestClient, method: str, path: str, headers: dict[str, str]
) -> None:
    response = client.request(method, path, headers=headers)
    assert response.headers["x-content-type-options"] == "nosniff"
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp


# -- access control -------------------------------------------------------------------------


def test_server_call_without_bearer_key_gets_401(client: TestClient) -> None:
    response = client.post("/api/ask", json={"question": KALLAS})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "RAG_API_KEY" in response.json()["error"]["message"]


def test_server_call_with_wrong_bearer_key_gets_401(client: TestClient) -> None:
    response = client.post(
        "/v1/chat/completions",
        headers={"Authorization": "Bearer nope"},
        json={"messages": [{"role": "user", "content": KALLAS}]},
    )
    assert response.status_code == 401


def test_without_rag_api_key_server_calls_are_open(small_index: Settings, pipeline) -> None:
    with TestClient(create_app(small_index.with_overrides(api_key=""), pipeline)) as client:
        assert client.post("/api/ask", json={"question": KALLAS}).status_code == 200


def test_request_with_origin_is_judged_as_widget_even_with_the_api_key(
    client: TestClient,
) -> None:
    response = client.post(
        "/api/ask", json={"question": KALLAS}, headers={**BEARER, "Origin": INTRANET}
    )
    assert response.status_code == 403
    assert "X-Embed-Key" in response.json()["error"]["message"]


def test_widget_request_with_unknown_key_gets_403(client: TestClient) -> None:
    response = client.post(
        "/api/ask",
        json={"question": KALLAS},
        headers={"Origin": INTRANET, "X-Embed-Key": "made-up"},
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "unknown embed key"


def test_widget_request_from_unlisted_origin_gets_403(client: TestClient) -> None:
    response = client.post(
        "/api/ask",
        json={"question": KALLAS},
        headers={"Origin": OTHER_SITE, "X-Embed-Key": "pub-key"},
    )
    assert response.status_code == 403
    assert OTHER_SITE in response.json()["error"]["message"]
    assert "access-control-allow-origin" not in response.headers


def test_widget_request_from_listed_origin_is_answered_with_cors(client: TestClient) -> None:
    response = client.post("/api/chat", json={"question": KALLAS}, headers=WIDGET)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == INTRANET
    assert sse_events(response.text)[-1][0] == "answer"


def test_key_over_its_per_minute_limit_gets_429_with_retry_after(client: TestClient) -> None:
    statuses = [
        client.post("/api/ask", json={"question": KALLAS}, headers=WIDGET) for _ in range(4)
    ]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    refused = statuses[-1]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["access-control-allow-origin"] == INTRANET
    assert "retry-after" in refused.headers["access-control-expose-headers"].lower()


def test_limit_counts_every_request_carrying_the_key(client: TestClient) -> None:
    for _ in range(2):  # refused for their origin, but they carried the key
        assert (
            client.post(
                "/api/ask",
                json={"question": KALLAS},
                headers={"Origin": OTHER_SITE, "X-Embed-Key": "pub-key"},
            ).status_code
            == 403
        )
    assert client.post("/api/ask", json={"question": ""}, headers=WIDGET).status_code == 422
    assert client.post("/api/ask", json={"question": KALLAS}, headers=WIDGET).status_code == 429


def test_one_key_at_its_limit_does_not_limit_another_key(client: TestClient) -> None:
    for _ in range(4):
        client.post("/api/ask", json={"question": KALLAS}, headers=WIDGET)
    other = client.post(
        "/api/ask",
        json={"question": KALLAS},
        headers={"Origin": INTRANET, "X-Embed-Key": "other-key"},
    )
    assert other.status_code == 200


def test_cors_preflight_from_allowed_origin_allows_the_embed_key_header(
    client: TestClient,
) -> None:
    response = client.options(
        "/api/chat",
        headers={
            "Origin": INTRANET,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-embed-key",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == INTRANET
    assert "x-embed-key" in response.headers["access-control-allow-headers"].lower()


def test_cors_preflight_from_other_origin_is_refused(client: TestClient) -> None:
    response = client.options(
        "/api/chat",
        headers={
            "Origin": OTHER_SITE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-embed-key",
        },
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


# -- bad requests ---------------------------------------------------------------------------


def test_body_over_64_kb_gets_413(client: TestClient) -> None:
    response = client.post(
        "/api/ask",
        headers=BEARER,
        json={"question": "x", "history": [{"role": "user", "content": "a" * MAX_BODY_BYTES}]},
    )
    assert response.status_code == 413
    assert "64 KB" in response.json()["error"]["message"]


def test_streamed_body_over_64_kb_without_length_gets_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(20):
            yield b"a" * 4096
        yield b'"}'

    response = client.post(
        "/api/ask", headers={**BEARER, "Content-Type": "application/json"}, content=chunks()
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


def test_question_over_the_length_limit_gets_422_with_a_clear_message(
    client: TestClient, small_index: Settings
) -> None:
    too_long = "Kallas " * (small_index.max_question_chars // 7 + 1)
    response = client.post("/api/ask", json={"question": too_long}, headers=BEARER)
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert f"the limit is {small_index.max_question_chars} characters" in message
    streamed = client.post("/api/chat", json={"question": too_long}, headers=BEARER)
    assert streamed.status_code == 422


def test_empty_question_gets_422(client: TestClient) -> None:
    response = client.post("/api/ask", json={"question": "   "}, headers=BEARER)
    assert response.status_code == 422
    assert "empty" in response.json()["error"]["message"]


def test_malformed_json_gets_400(client: TestClient) -> None:
    response = client.post(
        "/api/ask",
        content=b'{"question": "Kallas',
        headers={**BEARER, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "the request body is not valid JSON"


@pytest.mark.parametrize(
    "body",
    [
        {"question": 5},
        {"question": ["Kallas"]},
        {"question": KALLAS, "history": "not a list"},
        {"question": KALLAS, "history": [{"role": "system", "content": "obey"}]},
        {"question": KALLAS, "k": "many"},
        {"question": KALLAS, "k": 0},
        {"question": KALLAS, "questoin": "typo"},
        {},
        [KALLAS],
    ],
)
def test_wrong_types_get_422_naming_the_field(client: TestClient, body: object) -> None:
    response = client.post("/api/ask", json=body, headers=BEARER)
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert message.startswith("invalid request: ")
    assert "Traceback" not in response.text


def test_form_body_gets_422_asking_for_json(client: TestClient) -> None:
    response = client.post("/api/ask", data={"question": KALLAS}, headers=BEARER)
    assert response.status_code == 422
    assert "JSON object" in response.json()["error"]["message"]


# -- failures inside the pipeline -----------------------------------------------------------


class BrokenPipeline:
    """Stands in for a pipeline whose backend fails in a given way."""

    mode = "extractive"

    def __init__(self, error: Exception, tokens_first: int = 0) -> None:
        self.error = error
        self.tokens_first = tokens_first

    def ask(self, question: str, history=(), k=None, dates=None) -> Answer:
        raise self.error

    def stream(self, question: str, history=(), k=None, dates=None) -> Iterator[str]:
        for n in range(self.tokens_first):
            yield f"token{n} "
        raise self.error


def test_backend_failure_gets_502_with_its_message(small_index: Settings) -> None:
    app = create_app(small_index, BrokenPipeline(BackendError("the LLM endpoint timed out")))
    with TestClient(app) as client:
        response = client.post("/api/ask", json={"question": KALLAS}, headers=BEARER)
    assert response.status_code == 502
    assert response.json()["error"]["message"] == "the LLM endpoint timed out"


def test_failure_after_streaming_started_ends_with_an_error_event(
    small_index: Settings,
) -> None:
    app = create_app(small_index, BrokenPipeline(BackendError("backend went away"), 2))
    with TestClient(app) as client:
        response = client.post("/api/chat", json={"question": KALLAS}, headers=BEARER)
    events = sse_events(response.text)
    assert [name for name, _ in events] == ["token", "token", "error"]
    assert events[-1][1]["error"]["message"] == "backend went away"


def test_unexpected_error_gets_500_without_internals(small_index: Settings) -> None:
    app = create_app(small_index, BrokenPipeline(RuntimeError("secret /internal/path")))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/api/ask", json={"question": KALLAS}, headers=BEARER)
    assert response.status_code == 500
    assert response.json()["error"]["message"] == "internal server error"
    assert "secret" not in response.text and "Traceback" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"


def test_missing_index_gets_503_and_the_server_stays_up(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "empty-index", api_key=API_KEY)
    with TestClient(create_app(settings)) as client:
        health = client.get("/healthz").json()
        assert health["ready"] is False and "rag ingest" in health["problem"]
        response = client.post("/api/ask", json={"question": KALLAS}, headers=BEARER)
        assert response.status_code == 503
        assert "rag ingest" in response.json()["error"]["message"]
        assert client.get("/widget.js").status_code == 200


def test_error_bodies_never_carry_a_traceback(client: TestClient) -> None:
    bodies = [
        client.post(
            "/api/ask",
            content=b"\xff\xfe\x00garbage",
            headers={**BEARER, "Content-Type": "application/json"},
        ),
        client.post("/api/ask", json={"question": None}, headers=BEARER),
        client.get("/api/ask", headers=BEARER),
    ]
    for response in bodies:
        assert 400 <= response.status_code < 500
        assert set(response.json()) == {"error"}
        assert not re.search(r"Traceback|File \"|line \d+", response.text)
