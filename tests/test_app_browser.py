"""The chat window in a real browser: `streamlit run ui/app.py` on 127.0.0.1, headless Chromium.

Asks the Kallas question, waits for the citation card, times it, saves a screenshot (in
the test's tmp_path; with RAG_SCREENSHOTS=1 the README's ui/screenshots/chat.png), opens the
whole article, then uploads an article full of markup through the real file picker and
checks it is searchable and shown as text.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from rag.config import Settings
from tests.conftest import KALLAS, ROOT

APP = ROOT / "ui" / "app.py"
SCREENSHOTS = ROOT / "ui" / "screenshots"
SEED_TITLE = "US considers crossing red lines on Western troops and missiles in Ukraine war"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
HOSTILE = (
    b'{"id": "council-markup", "title": "<b>Council</b> <img src=x onerror=alert(2)> report", '
    b'"text": "The Shellharbour council report said the strings <script>alert(1)</script> and '
    b'<img src=x onerror=alert(1)> were found on the tourism website of Shellharbour.", '
    b'"published": "2025-06-04"}\n'
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_healthy(url: str, server: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"streamlit exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("streamlit did not become healthy")


def save_small_png(png: bytes, path: Path) -> None:
    """A 128-colour PNG: a third of the size, no visible change for a flat UI."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=128, dither=Image.Dither.NONE).save(path, optimize=True)


def assert_real_png(path: Path, size: tuple[int, int]) -> None:
    """A PNG of the whole viewport with more on it than a blank page."""
    from PIL import Image

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
    with Image.open(path) as image:
        assert image.size == size
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 16) or []) > 16
    assert path.stat().st_size > 5_000


def screenshot_folder(tmp_path: Path) -> Path:
    """The test's own folder, or with RAG_SCREENSHOTS=1 the README's ui/screenshots/ (so an
    ordinary test run leaves the git tree clean)."""
    if os.environ.get("RAG_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path


@pytest.fixture
def app_server(corpus_index: Settings, tmp_path: Path):
    """`streamlit run ui/app.py` on a free 127.0.0.1 port, on a private copy of the index."""
    index = tmp_path / "index"
    shutil.copytree(corpus_index.index_dir, index, ignore=shutil.ignore_patterns("*.lock*"))
    port = free_port()
    env = {**os.environ, "RAG_INDEX_DIR": str(index), "PYTHONPATH": str(ROOT)}
    for name in ("RAG_LLM", "CHROMA_HOST", "CHROMA_PORT"):
        env.pop(name, None)
    log = (tmp_path / "streamlit.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", str(APP),
            "--server.address", "127.0.0.1", "--server.port", str(port),
            "--server.headless", "true", "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        assert b"Traceback" not in (tmp_path / "streamlit.log").read_bytes()


def test_chat_in_a_real_browser_cites_highlights_and_ingests_an_upload(app_server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(app_server)

        # The chat input appears once the shared pipeline (models included) has loaded.
        box = page.get_by_placeholder("Ask about the news…")
        box.wait_for(timeout=180_000)
        expect(page.get_by_text("Ask a question about the 301 articles")).to_be_visible()

        started = time.perf_counter()
        box.fill(KALLAS)
        box.press("Enter")
        card_title = page.get_by_text(SEED_TITLE, exact=True)
        card_title.wait_for(timeout=60_000)
        seconds = time.perf_counter() - started
        answer = page.get_by_test_id("stChatMessage").nth(1)
        expect(answer.get_by_text("[1]").first).to_be_visible()
        quote = answer.locator("strong", has_text="Article 5 mutual defence clause").first
        expect(quote).to_be_visible()
        print(f"\nKallas question to answer with [1] and its card: {seconds:.2f} s")
        (tmp_path / "answer-seconds.txt").write_text(f"{seconds:.3f}")
        assert seconds < 10  # the target is < 2 s on an idle machine; CI shares 2 cores

        page.mouse.move(0, 0)
        page.evaluate("document.activeElement && document.activeElement.blur()")
        shot = screenshot_folder(tmp_path) / "chat.png"
        save_small_png(page.screenshot(), shot)
        assert_real_png(shot, (1280, 860))

        answer.get_by_text("Read the whole article").click()
        article = answer.get_by_test_id("stExpanderDetails").first
        expect(article.get_by_text("The cited words are highlighted in paragraph")).to_be_visible()
        expect(article.locator("strong", has_text="Article 5 mutual defence clause")).to_have_count(
            1
        )

        # Upload through the real file picker, then ask about the new article.
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.locator("input[type=file]").set_input_files(
            [{"name": "council.jsonl", "mimeType": "application/json", "buffer": HOSTILE}]
        )
        add = sidebar.get_by_role("button", name="Add to the index")
        expect(add).to_be_enabled(timeout=30_000)
        add.click()
        expect(sidebar.get_by_text("1 article added")).to_be_visible(timeout=120_000)
        expect(sidebar.get_by_test_id("stMetricValue").first).to_have_text("302")

        box.fill("What strings were found on the Shellharbour tourism website?")
        box.press("Enter")
        hostile_title = "<b>Council</b> <img src=x onerror=alert(2)> report"
        page.get_by_text(hostile_title, exact=True).wait_for(timeout=60_000)
        expect(page.get_by_text("<script>alert(1)</script>").first).to_be_visible()
        assert page.locator("script", has_text="alert").count() == 0
        assert page.locator("img[src='x']").count() == 0
        assert dialogs == []
        browser.close()
