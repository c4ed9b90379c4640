"""The chat window's thumbs and the operator page, through Streamlit's AppTest on a real index.

The index holds one real article embedded with the real model; the app logs its answers to
the answer log beside the index, and the operator page reads that log back.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answerlog import AnswerLog, Rating
from rag.config import Settings
from tests.conftest import KALLAS, ROOT, make_settings
from tests.test_answerlog import answer
from tests.test_app import ask, start_app

OPERATOR = ROOT / "ui" / "pages" / "operator.py"
HOSTILE = "<script>alert(1)</script> [click](javascript:alert(2)) **loud**"

pytestmark = pytest.mark.slow


@pytest.fixture
def seed_index(seed_folder: Path, tmp_path: Path, real_embedder) -> Settings:
    from rag.ingest import ingest

    settings = make_settings(tmp_path / "index")
    ingest([seed_folder], settings, lambda: real_embedder, quiet=True)
    return settings


def test_an_answer_in_the_chat_window_is_logged_and_rated_with_a_comment(
    seed_index: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = start_app(seed_index.index_dir, monkeypatch)
    reply = ask(app, KALLAS)
    assert len(reply.feedback) == 1  # Streamlit's own thumbs under the answer
    (logged,) = AnswerLog(seed_index).answers()
    assert logged.door == "ui" and logged.question == KALLAS and logged.citations

    app.chat_message[-1].feedback[0].set_value(1).run()  # 👍
    assert not app.exception
    assert AnswerLog(seed_index).get(logged.id).rating == "up"

    app.text_area(key=f"comment-{logged.id}").set_value(HOSTILE)
    app.button(key=f"FormSubmitter:comment-form-{logged.id}-Send comment").click().run()
    assert not app.exception
    row = AnswerLog(seed_index).get(logged.id)
    assert (row.rating, row.comment) == ("up", HOSTILE)

    app.chat_message[-1].feedback[0].set_value(0).run()  # changed to 👎: replaced
    rated = AnswerLog(seed_index).rated()
    assert [(r.id, r.rating) for r in rated] == [(logged.id, "down")]


def test_with_the_log_off_answers_have_no_thumbs_and_nothing_is_written(
    seed_index: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = start_app(seed_index.index_dir, monkeypatch, env={"RAG_LOG": "off"})
    reply = ask(app, KALLAS)
    assert "Kallas" in reply.markdown[0].value
    assert len(reply.feedback) == 0
    assert not seed_index.log_path.exists()


def test_a_damaged_log_does_not_stop_the_chat_window(
    seed_index: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_index.log_path.write_bytes(b"garbage" * 1000)
    app = start_app(seed_index.index_dir, monkeypatch)
    reply = ask(app, KALLAS)
    assert "Kallas" in reply.markdown[0].value and not reply.error


def run_operator(index_dir: Path, monkeypatch: pytest.MonkeyPatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("RAG_INDEX_DIR", str(index_dir))
    page = AppTest.from_file(str(OPERATOR), default_timeout=60)
    page.run()
    assert not page.exception, [e.value for e in page.exception]
    return page


def test_the_operator_page_shows_figures_charts_and_down_rated_answers_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer_log = AnswerLog(make_settings(tmp_path / "index"))
    for i in range(6):
        logged = answer_log.record(answer(f"Question {i}?", refused=i == 5), "api")
        if i < 2:
            answer_log.rate(Rating(str(logged.id), "up"))
    bad = answer_log.record(answer(HOSTILE), "widget", embed_key="intranet")
    answer_log.rate(Rating(str(bad.id), "down", HOSTILE, wrong_citation=1))

    page = run_operator(tmp_path / "index", monkeypatch)
    metrics = {m.label: m.value for m in page.metric}
    assert metrics["Answers"] == "7" and metrics["Rated up"] == "2" and metrics["Rated down"] == "1"
    assert metrics["Refused"] == "14%"
    assert len(page.get("vega_lite_chart")) >= 3  # ratings, refusals, answer time
    texts = [t.value for t in page.text]
    assert f"Question: {HOSTILE}" in texts and f"Comment: {HOSTILE}" in texts
    assert all(HOSTILE not in m.value for m in page.markdown)  # never rendered as Markdown
    assert any("(marked wrong)" in c.value for c in page.code)


def test_the_operator_page_of_an_empty_log_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = run_operator(tmp_path / "index", monkeypatch)
    assert any("No answers logged" in t.value for t in page.text)


def test_with_an_operator_key_set_the_operator_page_opens_only_for_that_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer_log = AnswerLog(make_settings(tmp_path / "index"))
    answer_log.record(answer(f"Question {HOSTILE}?"), "api")
    monkeypatch.setenv("RAG_OPERATOR_KEY", "s3cret-key")

    page = run_operator(tmp_path / "index", monkeypatch)
    assert not page.metric and not page.text  # nothing from the log before the key
    page.text_input[0].set_value("wrong")
    page.button[0].click()
    page.run()
    assert not page.metric and any("not the operator key" in e.value for e in page.error)

    page.text_input[0].set_value("s3cret-key")
    page.button[0].click()
    page.run()
    assert not page.exception
    assert {m.label: m.value for m in page.metric}["Answers"] == "1"
