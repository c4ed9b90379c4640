"""The widget's data-since / data-until attributes, in a real browser (Playwright + Chromium):
the page's script tag bounds the articles every answer may cite."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from rag.config import EmbedKey, Settings
from tests.conftest import ROOT, make_settings
from tests.test_widget_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ask,
    free_port,
    open_page,
    serve_folder,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMBED_KEY = "dated-demo-key"
DATED = ROOT / "evals" / "dated-corpus"
BRIDGE = "What happened to the Harbourton bridge over the Lissen River?"
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Recent news</title>
<link rel="icon" href="data:,"></head><body><h1>This month's news</h1>
<script src="{api}/widget.js" data-embed-key="{key}" {bounds} async></script></body></html>
"""


@pytest.fixture(scope="module")
def page_server(tmp_path_factory: pytest.TempPathFactory):
    server = serve_folder(tmp_path_factory.mktemp("dated-page"))
    yield server
    server.server.shutdown()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, page_server) -> Iterator[str]:
    import uvicorn

    from rag.ingest import ingest
    from rag.pipeline import build_pipeline
    from tests.fakes import HashEmbedder
    from ui.api import create_app

    folder = tmp_path_factory.mktemp("dated") / "dated"
    shutil.copytree(DATED, folder)
    settings: Settings = make_settings(
        tmp_path_factory.mktemp("widget-dated-index"),
        embed_keys={EMBED_KEY: EmbedKey(origins=(page_server.origin,), per_minute=30)},
    )
    ingest([folder], settings, HashEmbedder, quiet=True)
    app = create_app(settings, pipeline=build_pipeline(settings, embedder=HashEmbedder()))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def page_with(server, api: str, name: str, bounds: str) -> str:
    (server.folder / name).write_text(PAGE.format(api=api, key=EMBED_KEY, bounds=bounds))
    return f"{server.origin}/{name}"


def asked_body_and_dates(browser, url: str) -> tuple[dict[str, object], list[str]]:
    context, page, watch = open_page(browser, url)
    page.get_by_role("button", name="Open chat: Ask the news").click()
    with page.expect_request(lambda r: r.url.endswith("/api/chat")) as request:
        ask(page, BRIDGE)
    body = json.loads(request.value.post_data or "{}")
    answer = page.locator(".nr-bot").last
    answer.locator(".nr-chip").first.wait_for(timeout=30_000)
    dates = [d.inner_text() for d in answer.locator(".nr-date").all()]
    assert not watch.dialogs
    context.close()
    return body, dates


def test_data_since_and_until_bound_the_articles_the_widget_cites(
    browser, api, page_server
) -> None:
    url = page_with(
        page_server, api, "november.html", 'data-since="2024-11-15" data-until="2024-11-20"'
    )
    body, dates = asked_body_and_dates(browser, url)
    assert body["since"] == "2024-11-15" and body["until"] == "2024-11-20"
    assert dates and all("2024-11-15" <= d[:10] <= "2024-11-20" for d in dates)


def test_a_relative_since_counts_days_back_from_the_visitors_today(
    browser, api, page_server
) -> None:
    url = page_with(page_server, api, "recent.html", 'data-since="-3000d"')
    body, dates = asked_body_and_dates(browser, url)
    assert body["since"] == (date.today() - timedelta(days=3000)).isoformat()
    assert "until" not in body
    assert dates and "undated" not in dates
