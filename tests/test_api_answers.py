"""No server path reaches an HTTP client: citations name their source as a URL or a path
below the folder ingested, on every endpoint, even over an index built with absolute paths."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rag.config import Settings
from rag.types import Answer, Citation, Turn
from tests.conftest import KALLAS, SEED, make_settings
from ui.api import create_app
from ui.api.answers import public_source

# A path that starts at the root of a file system: "/x/…" or "C:\…".
ABSOLUTE = re.compile(r"(?:^|[\s\"'(=])(?:/[\w.~-]+/|[A-Za-z]:\\)")


def strings_in(value: Any) -> Iterator[str]:
    """Every string inside a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def stream_payloads(text: str) -> list[Any]:
    """The JSON of every `data:` line of an event stream (`[DONE]` left out)."""
    datas = [line[5:].strip() for line in text.split("\n") if line.startswith("data:")]
    return [json.loads(d) for d in datas if d != "[DONE]"]


def every_answer(client: TestClient) -> list[tuple[str, Any, str]]:
    """(endpoint, parsed body, raw text) from /api/ask, /api/chat and both completions."""
    completion = {"model": "newsrag", "messages": [{"role": "user", "content": KALLAS}]}
    asked = client.post("/api/ask", json={"question": KALLAS})
    chat = client.post("/api/chat", json={"question": KALLAS})
    whole = client.post("/v1/chat/completions", json=completion)
    streamed = client.post(
        "/v1/chat/completions",
        json={**completion, "stream": True, "stream_options": {"include_usage": True}},
    )
    for response in (asked, chat, whole, streamed):
        assert response.status_code == 200, response.text
    return [
        ("/api/ask", asked.json(), asked.text),
        ("/api/chat", stream_payloads(chat.text), chat.text),
        ("/v1/chat/completions", whole.json(), whole.text),
        ("/v1/chat/completions stream", stream_payloads(streamed.text), streamed.text),
    ]


def assert_no_server_path(answers: list[tuple[str, Any, str]], *server_paths: Path) -> None:
    for endpoint, body, raw in answers:
        for path in server_paths:
            for form in {str(path), str(path.resolve())}:
                assert form not in raw and json.dumps(form)[1:-1] not in raw, (endpoint, form)
        for text in strings_in(body):
            assert not ABSOLUTE.search(text), (endpoint, text)


def cited_sources(answers: list[tuple[str, Any, str]]) -> set[str]:
    sources: set[str] = set()
    for _, body, _ in answers:
        for payload in body if isinstance(body, list) else [body]:
            for citation in payload.get("citations") or []:
                sources.add(citation["source"])
    return sources


@pytest.fixture(scope="module")
def ingested_by_absolute_path(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path]:
    """The seed article in `<tmp>/news/corpus/world/`, ingested as `<tmp>/news/corpus`."""
    from rag.ingest import ingest
    from tests.fakes import HashEmbedder

    base = tmp_path_factory.mktemp("server-paths")
    folder = base / "news" / "corpus"
    (folder / "world").mkdir(parents=True)
    shutil.copy(SEED, folder / "world" / SEED.name)
    settings = make_settings(base / "index")
    report = ingest([folder.resolve()], settings, HashEmbedder, quiet=True)
    assert report.articles == 1
    return settings, base


def test_answers_from_a_folder_ingested_by_absolute_path_show_no_server_path(
    ingested_by_absolute_path: tuple[Settings, Path],
) -> None:
    from rag.pipeline import build_pipeline
    from tests.fakes import HashEmbedder

    settings, base = ingested_by_absolute_path
    pipeline = build_pipeline(settings, embedder=HashEmbedder())
    with TestClient(create_app(settings, pipeline)) as client:
        answers = every_answer(client)
    assert_no_server_path(answers, base, settings.index_dir)
    assert cited_sources(answers) == {f"corpus/world/{SEED.name}"}


class AbsoluteSourcePipeline:
    """A pipeline over an index built before sources were stored relative: its citations
    carry the absolute path the file had on the server."""

    mode = "extractive"

    def __init__(self, source: str, article_id: str) -> None:
        self.source, self.article_id = source, article_id

    def ask(
        self,
        question: str,
        history: tuple[Turn, ...] = (),
        k: int | None = None,
        dates: object = None,
    ) -> Answer:
        citation = Citation(
            n=1,
            chunk_id=f"{self.article_id}#0",
            article_id=self.article_id,
            title="NATO allies weigh Article 5",
            published="2024-11-22",
            source=self.source,
            quote="Kallas said Article 5 stands.",
            char_start=0,
            char_end=29,
            score=0.9,
            verified=True,
        )
        return Answer(
            question, "Kallas said Article 5 stands [1].", (citation,), False, "extractive"
        )

    def stream(
        self,
        question: str,
        history: tuple[Turn, ...] = (),
        k: int | None = None,
        dates: object = None,
    ) -> Iterator[str | Answer]:
        answer = self.ask(question, history, k)
        yield answer.answer
        yield answer


@pytest.mark.parametrize(
    ("stored", "article_id", "shown"),
    [
        ("/srv/news/corpus/lee/lee-017.txt", "lee/lee-017", "corpus/lee/lee-017.txt"),
        ("/srv/news/corpus/wire.jsonl:3", "wire-001", "corpus/wire.jsonl:3"),
    ],
)
def test_an_index_holding_absolute_paths_shows_them_relative_on_every_endpoint(
    tmp_path: Path, stored: str, article_id: str, shown: str
) -> None:
    settings = make_settings(tmp_path / "index")
    app = create_app(settings, AbsoluteSourcePipeline(stored, article_id))  # type: ignore[arg-type]
    with TestClient(app) as client:
        answers = every_answer(client)
    assert_no_server_path(answers, Path("/srv/news"))
    assert cited_sources(answers) == {shown}


@pytest.mark.parametrize(
    ("source", "article_id", "shown"),
    [
        ("https://news.example/a?b=1", "a", "https://news.example/a?b=1"),
        ("corpus/lee/lee-017.txt", "lee/lee-017", "corpus/lee/lee-017.txt"),
        ("/data/corpus/lee/lee-017.txt", "lee/lee-017", "corpus/lee/lee-017.txt"),
        ("/data/corpus/seed.txt", "seed", "corpus/seed.txt"),
        ("/data/corpus/seed.txt", "someone-elses-id", "corpus/seed.txt"),
        ("/data/feeds/wire.jsonl:12", "wire-001", "feeds/wire.jsonl:12"),
        ("../elsewhere/seed.md", "seed", "elsewhere/seed.md"),
        ("C:\\news\\corpus\\seed.txt", "seed", "corpus/seed.txt"),
        ("/seed.txt", "seed", "seed.txt"),
    ],
)
def test_public_source_keeps_urls_and_cuts_server_paths_below_the_folder(
    source: str, article_id: str, shown: str
) -> None:
    assert public_source(source, article_id) == shown


def test_missing_index_error_does_not_name_the_index_location(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "nowhere" / "index")
    with TestClient(create_app(settings)) as client:
        health = client.get("/healthz")
        asked = client.post("/api/ask", json={"question": KALLAS})
    assert asked.status_code == 503 and "rag ingest" in asked.json()["error"]["message"]
    for response in (health, asked):
        assert str(tmp_path) not in response.text
        assert not any(ABSOLUTE.search(text) for text in strings_in(response.json()))
