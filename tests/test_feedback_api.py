"""`POST /api/feedback` and the answer log behind every API door, through FastAPI's TestClient
(small index, hashing embedder) and, for concurrent writers, a real uvicorn server."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rag.answerlog import AnswerLog
from rag.config import EmbedKey, Settings
from tests.conftest import KALLAS, SEED, make_settings
from ui.api import create_app

API_KEY = "server-secret"
INTRANET = "http://intranet.example"
BEARER = {"Authorization": f"Bearer {API_KEY}"}
WIDGET = {"Origin": INTRANET, "X-Embed-Key": "pub-key"}
KEYS = {"pub-key": EmbedKey(origins=(INTRANET,), per_minute=4)}


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from rag.ingest import ingest
    from tests.fakes import HashEmbedder

    settings = make_settings(
        tmp_path_factory.mktemp("feedback-api"), api_key=API_KEY, embed_keys=KEYS
    )
    assert ingest([SEED], settings, HashEmbedder, quiet=True).articles == 1
    return settings


@pytest.fixture(scope="module")
def pipeline(small_index: Settings):
    from rag.pipeline import build_pipeline
    from tests.fakes import HashEmbedder

    return build_pipeline(small_index, embedder=HashEmbedder())


@pytest.fixture
def settings(small_index: Settings, tmp_path: Path) -> Settings:
    """The shared index with a log of this test's own."""
    return small_index.with_overrides(log_db=tmp_path / "answers.sqlite3")


@pytest.fixture
def client(settings: Settings, pipeline) -> Iterator[TestClient]:
    with TestClient(create_app(settings, pipeline=pipeline)) as test_client:
        yield test_client


def ask(client: TestClient, headers: dict[str, str] = BEARER) -> dict[str, object]:
    response = client.post("/api/ask", json={"question": KALLAS}, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def rate(client: TestClient, body: dict[str, object], headers: dict[str, str] = BEARER):
    return client.post("/api/feedback", json=body, headers=headers)


def test_an_answer_carries_an_id_that_feedback_rates_and_can_change(
    client: TestClient, settings: Settings, answer_schema
) -> None:
    import jsonschema

    answer = ask(client)
    jsonschema.validate(answer, answer_schema)
    answer_id = str(answer["id"])
    first = rate(client, {"answer_id": answer_id, "rating": "down", "comment": "wrong person"})
    assert first.status_code == 200
    assert first.json() == {
        "answer_id": answer_id,
        "rating": "down",
        "comment": "wrong person",
        "wrong_citation": None,
    }
    second = rate(client, {"answer_id": answer_id, "rating": "up", "wrong_citation": 1})
    assert second.status_code == 200
    rated = AnswerLog(settings).rated()
    assert [(r.id, r.rating, r.wrong_citation) for r in rated] == [(answer_id, "up", 1)]
    assert rated[0].door == "api" and rated[0].question == KALLAS


def test_an_unknown_answer_id_is_404(client: TestClient) -> None:
    response = rate(client, {"answer_id": "0" * 32, "rating": "up"})
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found"


@pytest.mark.parametrize(
    "body",
    [
        {"rating": "sideways"},
        {"rating": "UP"},
        {"rating": None},
        {"rating": "down", "comment": "x" * 2001},
        {"rating": "down", "wrong_citation": 0},
        {"rating": "down", "wrong_citation": 9},
        {"rating": "down", "colour": "red"},
    ],
)
def test_bad_ratings_and_long_comments_are_422(client: TestClient, body: dict[str, object]) -> None:
    answer_id = ask(client)["id"]
    response = rate(client, {"answer_id": answer_id, **body})
    assert response.status_code == 422, response.text
    assert "error" in response.json()


def test_a_comment_of_exactly_2000_characters_is_kept_as_text(
    client: TestClient, settings: Settings
) -> None:
    answer_id = str(ask(client)["id"])
    comment = ("<img src=x onerror=alert(1)> [a](javascript:x) " * 60)[:2000]
    response = rate(client, {"answer_id": answer_id, "rating": "down", "comment": comment})
    assert response.status_code == 200
    assert AnswerLog(settings).get(answer_id).comment == comment.strip()


def test_feedback_follows_the_same_key_and_origin_rules_as_ask(client: TestClient) -> None:
    answer_id = ask(client)["id"]
    body = {"answer_id": answer_id, "rating": "up"}
    assert rate(client, body, headers={}).status_code == 401  # no Origin: Bearer needed
    assert rate(client, body, headers={"Origin": INTRANET}).status_code == 403  # no key
    stranger = {"Origin": "http://elsewhere.example", "X-Embed-Key": "pub-key"}
    assert rate(client, body, headers=stranger).status_code == 403
    assert rate(client, body, headers={**WIDGET, "X-Embed-Key": "nope"}).status_code == 403


def test_the_widget_door_keeps_its_key_and_feedback_counts_towards_its_rate_limit(
    client: TestClient, settings: Settings
) -> None:
    answer = ask(client, headers=WIDGET)  # 1 of 4 this minute
    answer_id = str(answer["id"])
    statuses = [
        rate(client, {"answer_id": answer_id, "rating": r}, headers=WIDGET)
        for r in "up down up".split()
    ]
    assert [s.status_code for s in statuses] == [200, 200, 200]  # 2, 3, 4 of 4
    refused = rate(client, {"answer_id": answer_id, "rating": "down"}, headers=WIDGET)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert client.post("/api/ask", json={"question": KALLAS}, headers=WIDGET).status_code == 429
    row = AnswerLog(settings).get(answer_id)
    assert (row.door, row.embed_key, row.rating) == ("widget", "pub-key", "up")


def test_streamed_and_openai_answers_are_logged_with_their_door(
    client: TestClient, settings: Settings
) -> None:
    streamed = client.post("/api/chat", json={"question": KALLAS}, headers=BEARER)
    answer_event = streamed.text.strip().split("\n\n")[-1]
    assert answer_event.startswith("event: answer")
    streamed_id = json.loads(answer_event.split("data: ", 1)[1])["id"]
    completion = client.post(
        "/v1/chat/completions",
        headers=BEARER,
        json={"messages": [{"role": "user", "content": KALLAS}]},
    ).json()
    answer_log = AnswerLog(settings)
    assert answer_log.get(streamed_id).door == "api"
    assert answer_log.get(completion["answer_id"]).door == "openai"
    assert rate(client, {"answer_id": completion["answer_id"], "rating": "up"}).status_code == 200


def test_a_streamed_openai_completion_carries_its_answer_id_on_the_last_chunk(
    client: TestClient, settings: Settings
) -> None:
    reply = client.post(
        "/v1/chat/completions",
        headers=BEARER,
        json={"messages": [{"role": "user", "content": KALLAS}], "stream": True},
    )
    chunks = [
        json.loads(line[len("data: ") :])
        for line in reply.text.splitlines()
        if line.startswith("data: {")
    ]
    last = next(c for c in reversed(chunks) if c["choices"] and c["choices"][0]["finish_reason"])
    assert AnswerLog(settings).get(last["answer_id"]).door == "openai"
    assert rate(client, {"answer_id": last["answer_id"], "rating": "down"}).status_code == 200


def test_a_damaged_log_never_stops_answering_and_feedback_says_503(
    settings: Settings, pipeline, caplog: pytest.LogCaptureFixture
) -> None:
    assert settings.log_db is not None
    settings.log_db.write_bytes(b"not a database " * 500)
    with TestClient(create_app(settings, pipeline=pipeline)) as client:
        answers = [ask(client) for _ in range(3)]
        assert all("id" not in a and a["citations"] for a in answers)
        refused = rate(client, {"answer_id": "a" * 32, "rating": "up"})
        assert refused.status_code == 503
        assert str(settings.log_db) not in refused.text  # no server path in the message
    warnings = [r for r in caplog.records if r.name == "rag.answerlog" and r.levelname == "WARNING"]
    assert len(warnings) == 1


def test_with_the_log_off_answers_have_no_id_and_nothing_is_written(
    settings: Settings, pipeline
) -> None:
    off = settings.with_overrides(log_enabled=False)
    with TestClient(create_app(off, pipeline=pipeline)) as client:
        assert "id" not in ask(client)
        assert rate(client, {"answer_id": "a" * 32, "rating": "up"}).status_code == 503
    assert settings.log_db is not None and not settings.log_db.exists()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_concurrent_askers_and_raters_on_a_real_server_all_land(
    settings: Settings, pipeline
) -> None:
    import uvicorn

    app = create_app(settings, pipeline=pipeline)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)

    def post(path: str, body: dict[str, object]) -> dict[str, object]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}",
            json.dumps(body).encode(),
            {"Content-Type": "application/json", **BEARER},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return dict(json.loads(response.read()))

    ids: list[str] = []
    failures: list[BaseException] = []

    def client(n: int) -> None:
        try:
            for i in range(10):
                answer_id = str(post("/api/ask", {"question": f"{KALLAS} ({n}/{i})"})["id"])
                post("/api/feedback", {"answer_id": answer_id, "rating": "up" if i % 2 else "down"})
                ids.append(answer_id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    clients = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    try:
        for c in clients:
            c.start()
        for c in clients:
            c.join(timeout=300)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert not failures
    assert len(set(ids)) == 80
    answer_log = AnswerLog(settings)
    assert answer_log.count() == 80 and len(answer_log.rated()) == 80
    assert answer_log.check() == "ok"
