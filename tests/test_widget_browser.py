"""The widget in a real browser (Playwright + Debian's Chromium) on a page of another origin.

An "intranet page" is served from its own local port and embeds the one-line script tag;
the API runs with uvicorn on another port over a copy of the real corpus index, plus one
hostile article whose text carries `<img onerror>` and `<script>` payloads.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rag.config import EmbedKey, Settings
from tests.conftest import KALLAS, ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "ui" / "screenshots"
EMBED_KEY = "intranet-demo-key"
HOSTILE_TITLE = "Harbour festival <img src=x onerror=alert('title')> notice"
IMG_PAYLOAD = "<img src=x onerror=\"window.__pwned='img';alert('img')\">"
SCRIPT_PAYLOAD = "<script>window.__pwned='script';alert('script')</script>"
HOSTILE_ARTICLE = f"""Friday, November 22, 2024
{HOSTILE_TITLE}

The Zanzibar harbour festival organisers said the fireworks {IMG_PAYLOAD} will start at nine \
in the evening on Saturday.
The Zanzibar parade {SCRIPT_PAYLOAD} follows the fireworks along the harbour wall.
"""
HOSTILE_QUESTION = "When will the Zanzibar harbour festival fireworks start?"

# The host page tries hard to restyle everything; the Shadow DOM must keep the widget intact.
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Intranet news</title>
<link rel="icon" href="data:,">
<style>
  * {{ font-family: serif !important; color: #c00 !important; }}
  button {{ display: none !important; }}
  div {{ border: 4px dotted orange; }}
  body {{ margin: 0; padding: 32px 48px; background: #f4f1ea; }}
  h1 {{ font-size: 30px; }} p {{ max-width: 560px; line-height: 1.5; }}
</style></head>
<body>
  <h1>Staff intranet: Europe desk</h1>
  <p>Questions about this week's coverage? Ask the news assistant in the corner; every
  answer links to the quoted article.</p>
  <p>Morning meeting at 9:30 in room 4.12. Copy deadline for the weekend edition is
  Friday 16:00.</p>
  <script src="{api}/widget.js" data-embed-key="{key}" data-title="Newsroom assistant"
          data-position="{position}" data-theme="{theme}" async></script>
</body></html>
"""


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where screenshots go: the test's own folder, or with RAG_SCREENSHOTS=1 the README's
    ui/screenshots/ (so an ordinary test run leaves the git tree clean)."""
    if os.environ.get("RAG_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path


def save_screenshot(page, folder: Path, name: str) -> Path:
    """A page screenshot for the README, reduced to a 256-colour PNG to keep it small."""
    from PIL import Image

    path = folder / name
    page.screenshot(path=str(path))
    Image.open(path).convert("RGB").quantize(colors=256).save(path, optimize=True)
    assert_real_png(path, page.viewport_size)
    return path


def assert_real_png(path: Path, viewport: dict[str, int] | None) -> None:
    """A PNG of the whole viewport with more on it than a blank page."""
    from PIL import Image

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
    with Image.open(path) as image:
        if viewport:
            assert image.size == (viewport["width"], viewport["height"])
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 16) or []) > 16
    assert path.stat().st_size > 5_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PageServer:
    origin: str
    folder: Path
    server: http.server.ThreadingHTTPServer


def serve_folder(folder: Path) -> PageServer:
    port = free_port()
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return PageServer(f"http://127.0.0.1:{port}", folder, server)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, PageServer]]:
    """Two intranet pages on two origins: one allowed for the embed key, one not."""
    servers = {
        name: serve_folder(tmp_path_factory.mktemp(f"page-{name}"))
        for name in ("allowed", "stranger")
    }
    yield servers
    for page in servers.values():
        page.server.shutdown()


@pytest.fixture(scope="module")
def hostile_index(
    corpus_index: Settings, real_embedder, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """A copy of the real corpus index plus one article with HTML/script payloads."""
    from rag.ingest import ingest

    folder = tmp_path_factory.mktemp("hostile")
    index_dir = folder / "index"
    shutil.copytree(corpus_index.index_dir, index_dir)
    articles = folder / "articles"
    articles.mkdir()
    (articles / "harbour-festival.txt").write_text(HOSTILE_ARTICLE, encoding="utf-8")
    settings = corpus_index.with_overrides(index_dir=index_dir)
    report = ingest([articles], settings, lambda: real_embedder, quiet=True)
    assert report.articles == 1 and not report.failed
    return settings


@pytest.fixture(scope="module")
def api(hostile_index: Settings, real_embedder, pages: dict[str, PageServer]) -> Iterator[str]:
    """The API with uvicorn on its own port; only the 'allowed' page's origin has the key."""
    import uvicorn

    from rag.pipeline import build_pipeline
    from ui.api import create_app

    settings = hostile_index.with_overrides(
        embed_keys={EMBED_KEY: EmbedKey(origins=(pages["allowed"].origin,), per_minute=30)}
    )
    app = create_app(settings, pipeline=build_pipeline(settings, embedder=real_embedder))
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


def write_page(
    page: PageServer, api: str, position: str = "bottom-right", theme: str = "light"
) -> str:
    name = f"{position}-{theme}.html"
    (page.folder / name).write_text(
        PAGE.format(api=api, key=EMBED_KEY, position=position, theme=theme), encoding="utf-8"
    )
    return f"{page.origin}/{name}"


@dataclass
class Watch:
    dialogs: list[str]
    console_errors: list[str]


def open_page(browser, url: str, viewport: dict[str, int] | None = None):
    context = browser.new_context(viewport=viewport or {"width": 1100, "height": 720})
    page = context.new_page()
    watch = Watch([], [])

    def on_dialog(dialog) -> None:
        watch.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("console", lambda m: watch.console_errors.append(m.text) if m.type == "error" else None)
    page.goto(url)
    return context, page, watch


def ask(page, question: str) -> None:
    box = page.get_by_label("Your question")
    box.fill(question)
    box.press("Enter")


def test_widget_answers_with_a_citation_that_opens_its_quote(
    browser, api, pages, screenshots: Path
) -> None:
    context, page, watch = open_page(browser, write_page(pages["allowed"], api))
    launcher = page.get_by_role("button", name="Open chat: Newsroom assistant")
    launcher.click()
    ask(page, KALLAS)
    answer = page.locator(".nr-bot").last
    chip = answer.locator(".nr-chip").first
    chip.wait_for(timeout=30_000)
    assert "Kallas" in answer.locator(".nr-text").inner_text()
    assert chip.get_attribute("aria-expanded") == "false"
    chip.click()
    card = answer.locator(".nr-card:not([hidden])")
    card.wait_for()
    assert "Article 5" in card.locator("blockquote").inner_text()
    assert "US considers crossing red lines" in card.locator(".nr-source-title").inner_text()
    assert card.locator(".nr-date").inner_text() == "2024-11-22"
    # The source is the path below the folder ingested, never where it is on the server.
    meta = card.locator(".nr-meta").inner_text()
    assert "corpus/us-red-lines-ukraine-2024-11-22.txt" in meta and str(ROOT) not in meta
    assert chip.get_attribute("aria-expanded") == "true"
    card.locator(".nr-meta").scroll_into_view_if_needed()
    save_screenshot(page, screenshots, "widget.png")

    # The page's `button { display: none }` and `* { color }` did not reach inside.
    assert page.locator(".nr-launcher").is_visible()
    assert not watch.dialogs and not watch.console_errors
    context.close()


def test_widget_keyboard_escape_closes_and_returns_focus(browser, api, pages) -> None:
    context, page, _ = open_page(browser, write_page(pages["allowed"], api, "bottom-left"))
    launcher = page.get_by_role("button", name="Open chat: Newsroom assistant")
    launcher.focus()
    page.keyboard.press("Enter")  # a native button: Enter opens it
    box = page.get_by_label("Your question")
    box.wait_for()
    assert (
        page.evaluate(
            "() => document.querySelector('[data-newsrag-widget]').shadowRoot.activeElement.id"
        )
        == "nr-input"
    )
    page.keyboard.press("Escape")
    assert not box.is_visible()
    focused = page.evaluate(
        "() => document.querySelector('[data-newsrag-widget]').shadowRoot.activeElement"
        ".getAttribute('aria-label')"
    )
    assert focused == "Open chat: Newsroom assistant"
    assert launcher.get_attribute("aria-expanded") == "false"
    # data-position took effect: the launcher sits in the left half of the screen.
    assert launcher.bounding_box()["x"] < 200
    context.close()


def test_conversation_survives_a_reload_in_the_same_tab(browser, api, pages) -> None:
    context, page, _ = open_page(browser, write_page(pages["allowed"], api, theme="dark"))
    page.get_by_role("button", name="Open chat: Newsroom assistant").click()
    ask(page, KALLAS)
    page.locator(".nr-bot .nr-chip").first.wait_for(timeout=30_000)
    page.reload()
    page.locator(".nr-bot .nr-chip").first.wait_for(timeout=10_000)  # re-rendered from storage
    assert page.locator(".nr-user").first.inner_text() == KALLAS
    background = page.evaluate(
        "() => getComputedStyle(document.querySelector('[data-newsrag-widget]').shadowRoot"
        ".querySelector('.nr-panel')).backgroundColor"
    )
    assert background == "rgb(22, 25, 29)"  # data-theme="dark"
    context.close()


def test_article_html_and_script_are_shown_as_text_and_never_run(browser, api, pages) -> None:
    context, page, watch = open_page(browser, write_page(pages["allowed"], api))
    page.get_by_role("button", name="Open chat: Newsroom assistant").click()
    ask(page, HOSTILE_QUESTION)
    answer = page.locator(".nr-bot").last
    chip = answer.locator(".nr-chip").first
    chip.wait_for(timeout=30_000)
    chip.click()
    card = answer.locator(".nr-card:not([hidden])")
    card.wait_for()
    shown = answer.inner_text()
    assert IMG_PAYLOAD in shown or SCRIPT_PAYLOAD in shown  # the literal characters, as text
    assert HOSTILE_TITLE in card.inner_text()
    page.wait_for_timeout(500)  # give any injected handler the chance to fire
    assert page.evaluate("() => window.__pwned === undefined")
    assert not watch.dialogs
    injected = page.evaluate(
        "() => document.querySelector('[data-newsrag-widget]').shadowRoot"
        ".querySelectorAll('img, script, iframe, object').length"
    )
    assert injected == 0
    context.close()


def test_page_on_an_origin_without_the_key_gets_no_answer(browser, api, pages) -> None:
    context, page, _ = open_page(browser, write_page(pages["stranger"], api))
    page.get_by_role("button", name="Open chat: Newsroom assistant").click()
    ask(page, KALLAS)
    error = page.locator(".nr-error")
    error.wait_for(timeout=15_000)
    assert "Could not reach the assistant" in error.inner_text()
    assert page.locator(".nr-chip").count() == 0
    context.close()


def test_widget_fills_a_phone_width_screen(browser, api, pages, screenshots: Path) -> None:
    viewport = {"width": 375, "height": 700}
    context, page, _ = open_page(browser, write_page(pages["allowed"], api), viewport)
    page.get_by_role("button", name="Open chat: Newsroom assistant").click()
    ask(page, KALLAS)
    page.locator(".nr-bot .nr-chip").first.wait_for(timeout=30_000)
    panel = page.get_by_role("dialog", name="Newsroom assistant").bounding_box()
    assert panel["width"] == viewport["width"] and panel["x"] == 0
    save_screenshot(page, screenshots, "widget-phone.png")
    context.close()
