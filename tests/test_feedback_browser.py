"""Feedback end to end in a real browser: 👎 with a comment in the widget, 👍 in the chat window.

`rag serve` (the widget's API) and `streamlit run ui/app.py` run as two processes over one
index and write one answer log. Headless Chromium rates an answer in each; then
`rag feedback stats` counts both, `rag feedback export --gold` writes gold items and
`rag eval --gold` runs them. Screenshots: the widget with its rating buttons and the
operator page (in the test's folder; with RAG_SCREENSHOTS=1 in ui/screenshots/).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.answerlog import AnswerLog
from rag.config import Settings
from tests.conftest import KALLAS, ROOT, make_settings, run_rag
from tests.test_app_browser import CHROMIUM_ARGS, wait_healthy
from tests.test_widget_browser import (
    EMBED_KEY,
    PAGE,
    assert_real_png,
    free_port,
    serve_folder,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

APP = ROOT / "ui" / "app.py"
SCREENSHOTS = ROOT / "ui" / "screenshots"
COMMENT = "Wrong speaker <b>really</b> [see](javascript:alert(1))"
CHAT_QUESTION = "Who is Kaja Kallas?"


@pytest.fixture
def shared_index(seed_folder: Path, tmp_path: Path, real_embedder) -> Settings:
    from rag.ingest import ingest

    settings = make_settings(tmp_path / "index")
    ingest([seed_folder], settings, lambda: real_embedder, quiet=True)
    return settings


def clean_env(index: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_", "CHROMA"))}
    env.update({"RAG_INDEX_DIR": str(index), "PYTHONPATH": str(ROOT)})
    return env


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@pytest.fixture
def servers(shared_index: Settings, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The intranet page, `rag serve` and the Streamlit app, all on 127.0.0.1."""
    folder = tmp_path / "page"
    folder.mkdir()
    page = serve_folder(folder)
    api_port, app_port = free_port(), free_port()
    api_url, app_url = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{app_port}"
    env = clean_env(shared_index.index_dir)
    api_env = {
        **env,
        "RAG_EMBED_KEYS": json.dumps({EMBED_KEY: {"origins": [page.origin], "per_minute": 30}}),
    }
    (page.folder / "intranet.html").write_text(
        PAGE.format(api=api_url, key=EMBED_KEY, position="bottom-right", theme="light"),
        encoding="utf-8",
    )
    api_log = (tmp_path / "serve.log").open("wb")
    app_log = (tmp_path / "streamlit.log").open("wb")
    api = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "serve", "--port", str(api_port)],
        cwd=ROOT, env=api_env, stdout=api_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    app = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", str(APP),
            "--server.address", "127.0.0.1", "--server.port", str(app_port),
            "--server.headless", "true", "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false",
        ],
        cwd=ROOT, env=env, stdout=app_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while True:
            assert api.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                with urllib.request.urlopen(f"{api_url}/healthz", timeout=2) as response:
                    if json.loads(response.read()).get("ready"):
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "rag serve did not become ready"
            time.sleep(0.3)
        wait_healthy(app_url, app)
        yield {"page": f"{page.origin}/intranet.html", "api": api_url, "app": app_url}
    finally:
        stop(api)
        stop(app)
        page.server.shutdown()
        api_log.close()
        app_log.close()
    assert b"Traceback" not in (tmp_path / "streamlit.log").read_bytes()
    assert b"Traceback" not in (tmp_path / "serve.log").read_bytes()


def screenshot_folder(tmp_path: Path) -> Path:
    if os.environ.get("RAG_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path


def save_png(page, path: Path) -> Path:
    from PIL import Image

    page.screenshot(path=str(path))
    Image.open(path).convert("RGB").quantize(colors=256).save(path, optimize=True)
    assert_real_png(path, page.viewport_size)
    return path


def test_ratings_from_the_widget_and_the_chat_window_become_stats_and_gold(
    servers: dict[str, str], shared_index: Settings, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = screenshot_folder(tmp_path)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        dialogs: list[str] = []

        # -- the widget: 👎 with a comment, by keyboard
        page = browser.new_page(viewport={"width": 1100, "height": 760})
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(servers["page"])
        page.get_by_role("button", name="Open chat: Newsroom assistant").click()
        box = page.get_by_label("Your question")
        box.fill(KALLAS)
        box.press("Enter")
        answer = page.locator(".nr-bot").last
        down = answer.get_by_role("button", name="Bad answer")
        down.wait_for(timeout=60_000)
        up = answer.get_by_role("button", name="Good answer")
        assert up.get_attribute("aria-pressed") == "false"
        down.focus()
        page.keyboard.press("Enter")  # a real <button>: the keyboard rates too
        expect(down).to_have_attribute("aria-pressed", "true")
        status = answer.get_by_role("status")
        expect(status).to_have_text("Thanks for rating this answer.")
        comment = answer.get_by_label("Comment on this answer (optional)")
        comment.fill(COMMENT)
        answer.get_by_role("button", name="Send comment").click()
        expect(status).to_have_text("Thanks, your comment is saved.")
        assert page.locator(".nr-launcher").is_visible()  # the page's CSS did not reach in
        save_png(page, shots / "widget-feedback.png")
        page.close()

        # -- the chat window: 👍
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(servers["app"])
        chat = page.get_by_placeholder("Ask about the news…")
        chat.wait_for(timeout=180_000)
        chat.fill(CHAT_QUESTION)
        chat.press("Enter")
        reply = page.get_by_test_id("stChatMessage").nth(1)
        thumbs_up = reply.get_by_role("radio", name="Thumbs up")
        thumbs_up.wait_for(timeout=60_000)
        thumbs_up.click()
        expect(thumbs_up).to_have_attribute("aria-checked", "true")
        expect(reply.get_by_text("Thanks: your rating is saved.")).to_be_visible(timeout=30_000)

        # -- the operator page
        page.goto(f"{servers['app']}/operator")
        expect(page.get_by_text(f"Comment: {COMMENT}")).to_be_visible(timeout=60_000)
        page.get_by_text("Ratings per day").wait_for()
        page.wait_for_timeout(1500)  # let the charts draw
        save_png(page, shots / "operator.png")
        page.get_by_text("Answers rated down").scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        save_png(page, shots / "operator-rated-down.png")
        assert page.locator("a[href^='javascript']").count() == 0
        assert dialogs == []
        browser.close()

    stats = run_rag("feedback", "stats", "--json", index=shared_index.index_dir)
    assert stats.returncode == 0, stats.stderr
    body = json.loads(stats.stdout)
    assert (body["up"], body["down"]) == (1, 1)
    assert body["by_door"]["widget"]["down"] == 1 and body["by_door"]["ui"]["up"] == 1
    rows = {r.door: r for r in AnswerLog(shared_index).rated()}
    assert rows["widget"].comment == COMMENT and rows["widget"].embed_key == EMBED_KEY

    gold = tmp_path / "feedback-gold.jsonl"
    exported = run_rag("feedback", "export", "--gold", str(gold), index=shared_index.index_dir)
    assert exported.returncode == 0, exported.stderr
    records = [json.loads(line) for line in gold.read_text().splitlines()]
    assert {r["origin"]["door"] for r in records} == {"widget", "ui"}
    evaluated = run_rag("eval", "--gold", str(gold), "--json", "-q", index=shared_index.index_dir)
    assert evaluated.returncode == 0, evaluated.stderr
    result = json.loads(evaluated.stdout)
    assert result["questions"] == 1 and result["review"] == 1
    assert result["configs"]["hybrid"]["answer_match"] == 1.0
