"""The chat window's "Add a URL" box: only on sites the operator allows (RAG_FETCH_ALLOW)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.store import ChromaStore
from tests.conftest import make_settings
from tests.test_app import start_app
from tests.webserver import NewsSite, running

pytestmark = pytest.mark.slow
LABEL = "Or a news page, feed or sitemap by URL"


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with running() as news:
        yield news


def url_box(app):  # type: ignore[no-untyped-def]
    return [box for box in app.sidebar.text_input if box.label == LABEL]


def test_there_is_no_url_box_unless_the_operator_allows_sites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RAG_FETCH_ALLOW", raising=False)
    app = start_app(tmp_path / "index", monkeypatch)
    assert url_box(app) == []


def test_a_feed_on_an_allowed_site_is_added_from_the_sidebar(
    site: NewsSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = tmp_path / "index"
    app = start_app(
        index, monkeypatch, env={"RAG_FETCH_ALLOW": "127.0.0.1", "RAG_FETCH_RATE": "50"}
    )
    [box] = url_box(app)
    box.set_value(site.url("/atom.xml")).run()
    [button] = [b for b in app.sidebar.button if b.label == "Fetch and add"]
    button.click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert ChromaStore(make_settings(index)).count_articles() == 2
    assert any("2 articles added" in s.value for s in app.sidebar.success)


def test_a_url_on_another_site_is_refused_without_a_request(
    site: NewsSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = start_app(tmp_path / "index", monkeypatch, env={"RAG_FETCH_ALLOW": "news.example"})
    [box] = url_box(app)
    box.set_value(site.url("/atom.xml")).run()
    [button] = [b for b in app.sidebar.button if b.label == "Fetch and add"]
    button.click().run()
    assert any("Only URLs on news.example" in e.value for e in app.sidebar.error)
    assert site.log == []
