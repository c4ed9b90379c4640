"""The HTTP API's date filters: `since`/`until` in /api/ask and /api/chat, and as extra body
fields of /v1/chat/completions; bad dates are 422 with a clear message."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from rag.config import Settings
from tests.conftest import ROOT, make_settings
from ui.api import create_app

API_KEY = "server-secret"
BEARER = {"Authorization": f"Bearer {API_KEY}"}
DATED = ROOT / "evals" / "dated-corpus"
BRIDGE = "What happened to the Harbourton bridge over the Lissen River?"


@pytest.fixture(scope="module")
def dated_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from rag.ingest import ingest
    from tests.fakes import HashEmbedder

    folder = tmp_path_factory.mktemp("dated") / "dated"
    shutil.copytree(DATED, folder)
    settings = make_settings(tmp_path_factory.mktemp("api-dated-index"), api_key=API_KEY)
    ingest([folder], settings, HashEmbedder, quiet=True)
    return settings


@pytest.fixture
def client(dated_index: Settings) -> Iterator[TestClient]:
    from rag.pipeline import build_pipeline
    from tests.fakes import HashEmbedder

    pipeline = build_pipeline(dated_index, embedder=HashEmbedder())
    with TestClient(create_app(dated_index, pipeline=pipeline)) as test_client:
        yield test_client


def cited_days(citations: list[dict[str, object]]) -> list[str]:
    return [str(c["published"])[:10] for c in citations]


def test_ask_with_since_and_until_cites_only_articles_published_in_range(
    client: TestClient,
) -> None:
    body = {"question": BRIDGE, "since": "2024-11-15", "until": "2024-11-20"}
    answer = client.post("/api/ask", json=body, headers=BEARER).json()
    assert answer["citations"]
    assert all("2024-11-15" <= day <= "2024-11-20" for day in cited_days(answer["citations"]))
    unbounded = client.post("/api/ask", json={"question": BRIDGE}, headers=BEARER).json()
    assert {c["article_id"] for c in unbounded["citations"]} != {
        c["article_id"] for c in answer["citations"]
    }


def test_chat_stream_honours_the_same_bounds(client: TestClient) -> None:
    body = {"question": BRIDGE, "until": "2024-10-31"}
    response = client.post("/api/chat", json=body, headers=BEARER)
    assert response.status_code == 200
    blocks = [b for b in response.text.strip().split("\n\n") if "event: answer" in b]
    data = next(line[5:].strip() for line in blocks[0].split("\n") if line.startswith("data:"))
    answer = json.loads(data)
    assert answer["citations"] and all(d <= "2024-10-31" for d in cited_days(answer["citations"]))


@pytest.mark.parametrize("stream", [False, True])
def test_chat_completions_take_since_and_until_as_extra_body_fields(
    client: TestClient, stream: bool
) -> None:
    body = {
        "model": "newsrag",
        "messages": [{"role": "user", "content": BRIDGE}],
        "since": "2024-11-21",
        "stream": stream,
    }
    response = client.post("/v1/chat/completions", json=body, headers=BEARER)
    assert response.status_code == 200
    if stream:
        chunks = [
            json.loads(line[6:])
            for line in response.text.split("\n")
            if line.startswith("data: ") and line != "data: [DONE]"
        ]
        citations = chunks[-1]["citations"]
    else:
        citations = response.json()["citations"]
    assert citations and all(d >= "2024-11-21" for d in cited_days(citations))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"since": "2024-02-30"}, "since is not a real date"),
        ({"until": "yesterday"}, "until must be a date as YYYY-MM-DD"),
        ({"since": "2024-12-01", "until": "2024-11-01"}, "after until"),
    ],
)
@pytest.mark.parametrize("path", ["/api/ask", "/api/chat", "/v1/chat/completions"])
def test_bad_dates_are_422_with_a_clear_message(
    client: TestClient, fields: dict[str, str], message: str, path: str
) -> None:
    if path.startswith("/v1"):
        body: dict[str, object] = {"messages": [{"role": "user", "content": BRIDGE}], **fields}
    else:
        body = {"question": BRIDGE, **fields}
    response = client.post(path, json=body, headers=BEARER)
    assert response.status_code == 422
    assert message in json.dumps(response.json())


def test_a_range_with_no_articles_refuses_with_no_citations(client: TestClient) -> None:
    body = {"question": BRIDGE, "since": "2031-01-01"}
    answer = client.post("/api/ask", json=body, headers=BEARER).json()
    assert answer["refused"] and answer["citations"] == []


def test_undated_articles_are_left_out_when_a_bound_is_given(client: TestClient) -> None:
    question = "What did historian Maeve Dunleavy say the bridge carried?"
    plain = client.post("/api/ask", json={"question": question}, headers=BEARER).json()
    assert "harbourton-bridge-history" in {c["article_id"] for c in plain["citations"]}
    bounded = {"question": question, "since": "1900-01-01"}
    answer = client.post("/api/ask", json=bounded, headers=BEARER).json()
    assert "harbourton-bridge-history" not in {c["article_id"] for c in answer["citations"]}
