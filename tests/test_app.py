"""The Streamlit chat window, driven through Streamlit's own AppTest on real indexes.

AppTest runs `ui/app.py` in this process, so the app's shared pipeline is built from the
same index files the session fixtures made (the real model; no fakes in the app path).
Tests that add articles work on a copy of the corpus index, never on the shared one.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from rag.config import Settings
from tests.conftest import KALLAS, ROOT, make_settings
from ui import app_support

APP = ROOT / "ui" / "app.py"
SEED_TITLE = "US considers crossing red lines on Western troops and missiles in Ukraine war"
HARBOUR = (
    b"Tuesday, 3 June 2025\n\nWollongong opens a floating harbour library\n\n"
    b"The city of Wollongong opened a floating library in its harbour on Tuesday. "
    b"Mayor Gordon Bradbery said the converted barge holds 4,000 books and will open every "
    b"weekend through the winter.\n"
)
HOSTILE = (
    b'{"id": "council-markup", "title": "<b>Council</b> <img src=x onerror=alert(2)> report", '
    b'"text": "The Shellharbour council report said the strings <script>alert(1)</script> and '
    b'<img src=x onerror=alert(1)> were found on the tourism website of Shellharbour.", '
    b'"published": "2025-06-04"}\n'
)

pytestmark = pytest.mark.slow


def plain(markdown: str) -> str:
    """Escaped markdown with its backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


_DIRECTIVE = re.compile(r":[a-z]+-(?:badge|background)\[((?:\\.|[^\]\\])*)\]")


def shown(markdown: str) -> str:
    """What a reader sees: badge/highlight directives and bold marks gone, escapes removed."""
    return plain(re.sub(r"(?<!\\)\*\*", "", _DIRECTIVE.sub(r"\1", markdown)))


def start_app(
    index_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    embedded: bool = False,
    env: dict[str, str] | None = None,
):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("RAG_INDEX_DIR", str(index_dir))
    for name in ("RAG_LLM", "CHROMA_HOST", "CHROMA_PORT", "OPENAI_BASE_URL", "RAG_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    app = AppTest.from_file(str(APP), default_timeout=180)
    if embedded:
        app.context = {"is_embedded": True}
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def ask(app, question: str):
    app.chat_input[0].set_value(question).run()
    assert not app.exception, [e.value for e in app.exception]
    return app.chat_message[-1]


def card_titles(message) -> list[str]:
    return [shown(m.value) for m in message.markdown if "-badge[" in m.value and "**" in m.value]


def answer_text(message) -> str:
    return shown(message.markdown[0].value)


@pytest.fixture
def corpus_copy(corpus_index: Settings, tmp_path: Path) -> Path:
    """A private copy of the corpus index (copying takes a fraction of re-ingesting it)."""
    target = tmp_path / "index"
    shutil.copytree(corpus_index.index_dir, target, ignore=shutil.ignore_patterns("*.lock*"))
    return target


def test_question_gets_an_answer_with_a_marker_and_a_titled_card(corpus_index, monkeypatch):
    app = start_app(corpus_index.index_dir, monkeypatch)
    reply = ask(app, KALLAS)

    assert reply.name == "assistant"
    assert ":blue-badge[\\[1\\]]" in reply.markdown[0].value  # the [1] marker, as a badge
    assert "Kallas" in answer_text(reply) and "Article 5" in answer_text(reply)
    assert f"[1] {SEED_TITLE}" in card_titles(reply)
    assert any("22 November 2024" in c.value for c in reply.caption)
    highlighted = [m.value for m in reply.markdown if "-background[**" in m.value]
    quoted = re.search(r"-background\[\*\*(.*?)\*\*\]", highlighted[0]).group(1)
    assert "Article 5 mutual defence clause" in plain(quoted)
    article = reply.expander[0]
    assert article.label == "Read the whole article"
    full_text = shown(article.markdown[0].value)
    assert "Article 5 mutual defence clause" in full_text and len(full_text) > 3000


def test_follow_up_question_is_understood_from_the_previous_turn(corpus_index, monkeypatch):
    app = start_app(corpus_index.index_dir, monkeypatch)
    ask(app, "Who is Kaja Kallas?")
    reply = ask(app, "What did she say about Article 5?")

    understood = [plain(c.value) for c in reply.caption if c.value.startswith("Understood as")]
    assert understood and "Kallas" in understood[0]
    assert "Article 5" in answer_text(reply)
    assert f"[1] {SEED_TITLE}" in card_titles(reply)
    assert [m.name for m in app.chat_message] == ["user", "assistant", "user", "assistant"]


def test_models_load_once_per_server_process(corpus_index, monkeypatch):
    first = start_app(corpus_index.index_dir, monkeypatch)
    ask(first, KALLAS)
    loads = dict(app_support.LOADS)
    second = start_app(corpus_index.index_dir, monkeypatch)  # another browser session
    ask(second, "Who is Kaja Kallas?")
    assert loads == app_support.LOADS
    assert loads["embedder"] == 1


def test_empty_index_offers_the_shipped_corpus_and_loads_it(tmp_path, seed_folder, monkeypatch):
    monkeypatch.setattr(app_support, "SHIPPED_CORPUS", seed_folder)
    app = start_app(tmp_path / "fresh-index", monkeypatch)

    assert "index is empty" in app.info[0].value
    assert not app.chat_input  # nothing to ask yet
    load = [b for b in app.button if b.label.startswith("Load the shipped corpus")]
    assert load and load[0].label == "Load the shipped corpus (1 article)"

    load[0].click().run()
    assert not app.exception
    assert [m.value for m in app.sidebar.metric][:1] == ["1"]
    assert "1 article added" in app.sidebar.success[0].value
    reply = ask(app, KALLAS)
    assert f"[1] {SEED_TITLE}" in card_titles(reply)


def test_uploaded_article_is_ingested_and_becomes_searchable(corpus_copy, monkeypatch):
    app = start_app(corpus_copy, monkeypatch)
    before = int(app.sidebar.metric[0].value.replace(",", ""))
    app.sidebar.file_uploader[0].set_value(
        [
            ("../../harbour.txt", HARBOUR, "text/plain"),
            ("empty.txt", b"  \n", "text/plain"),
            ("feed.jsonl", HOSTILE + b"{not json\n", "application/json"),
        ]
    )
    app.run()
    add = [b for b in app.sidebar.button if b.label == "Add to the index"][0]
    add.click().run()
    assert not app.exception

    assert "2 articles added" in app.sidebar.warning[0].value
    failures = [shown(m.value) for m in app.sidebar.markdown]
    assert any(f.startswith("- empty.txt: ") for f in failures)
    assert any(f.startswith("- feed.jsonl:2: ") for f in failures)
    assert int(app.sidebar.metric[0].value.replace(",", "")) == before + 2
    assert (corpus_copy / "uploads" / "harbour.txt").exists()  # no path escapes the folder

    reply = ask(app, "What did the mayor say about the floating harbour library?")
    assert "[1] Wollongong opens a floating harbour library" in card_titles(reply)
    assert any("uploaded file harbour.txt" in plain(c.value) for c in reply.caption)
    assert "4,000 books" in answer_text(reply)


def test_article_markup_is_shown_as_text_never_rendered(corpus_copy, monkeypatch):
    app = start_app(corpus_copy, monkeypatch)
    app.sidebar.file_uploader[0].set_value(("feed.jsonl", HOSTILE, "application/json"))
    app.run()
    [b for b in app.sidebar.button if b.label == "Add to the index"][0].click().run()
    reply = ask(app, "What strings were found on the Shellharbour tourism website?")

    assert "[1] <b>Council</b> <img src=x onerror=alert(2)> report" in card_titles(reply)
    page = "\n".join(shown(m.value) for m in app.markdown)
    assert "<script>alert(1)</script>" in page
    assert "<img src=x onerror=alert(1)>" in page
    assert all(not m.proto.allow_html for m in app.get("markdown"))
    assert not app.get("html") and not app.get("iframe")
    # escaped: the raw characters never reach markdown unescaped
    assert all("<script>" not in m.value for m in app.get("markdown"))


def test_embed_mode_is_compact_without_sidebar_or_title(corpus_index, monkeypatch):
    full = start_app(corpus_index.index_dir, monkeypatch)
    assert full.sidebar.children and full.title

    app = start_app(corpus_index.index_dir, monkeypatch, embedded=True)
    assert not app.sidebar.children
    assert not [t for t in app.title if t.value == "Ask the news"]
    reply = ask(app, KALLAS)
    assert f"[1] {SEED_TITLE}" in card_titles(reply)


def test_errors_are_one_short_line_in_the_chat(corpus_index, monkeypatch):
    app = start_app(corpus_index.index_dir, monkeypatch)
    reply = ask(app, "   ")  # the pipeline refuses an empty question with a BadInputError

    assert not app.exception
    message = reply.error[0].value
    assert message == "the question is empty"
    # the chat carries on after an error
    assert f"[1] {SEED_TITLE}" in card_titles(ask(app, KALLAS))


def test_passages_slider_sets_how_many_passages_the_answer_draws_on(corpus_index, monkeypatch):
    app = start_app(corpus_index.index_dir, monkeypatch)

    def passages_cited() -> int:
        answer = app.session_state["messages"][-1]["reply"].answer
        return len({c.chunk_id for c in answer.citations})

    app.sidebar.slider[0].set_value(1).run()
    assert ask(app, "What did the police say?").caption[-1].value.endswith("1 passage searched")
    assert passages_cited() == 1
    app.sidebar.slider[0].set_value(20).run()
    assert ask(app, "What did the police say?").caption[-1].value.endswith("20 passages searched")


def test_clear_chat_empties_the_conversation(corpus_index, monkeypatch):
    app = start_app(corpus_index.index_dir, monkeypatch)
    ask(app, KALLAS)
    assert app.chat_message
    [b for b in app.sidebar.button if b.label == "Clear chat"][0].click().run()
    assert not app.chat_message


def test_example_question_button_asks_it(corpus_index, monkeypatch):
    app = start_app(corpus_index.index_dir, monkeypatch)
    [b for b in app.button if b.label == KALLAS][0].click().run()
    assert plain(app.chat_message[0].markdown[0].value) == KALLAS
    assert f"[1] {SEED_TITLE}" in card_titles(app.chat_message[1])


def test_answer_mode_switches_between_llm_and_extractive(corpus_index, monkeypatch):
    fake_llm = pytest.importorskip("tests.fake_llm_server")
    with fake_llm.FakeLLMServer() as server:
        llm_env = {"RAG_LLM": "openai", "OPENAI_BASE_URL": server.url,
                   "OPENAI_API_KEY": "test-key", "RAG_LLM_MODEL": "good"}  # fmt: skip
        app = start_app(corpus_index.index_dir, monkeypatch, env=llm_env)
        mode = app.sidebar.radio[0]
        assert mode.value == "llm" and mode.options == ["LLM (good)", "Extractive (offline)"]

        reply = ask(app, KALLAS)
        assert reply.caption[-1].value.startswith("llm ·")
        assert f"[1] {SEED_TITLE}" in card_titles(reply)
        asked = len(server.requests)
        assert asked >= 1

        app.sidebar.radio[0].set_value("extractive").run()
        reply = ask(app, KALLAS)
        assert reply.caption[-1].value.startswith("extractive ·")
        assert len(server.requests) == asked  # the model was not called


# -- the rendering helpers (no Streamlit run needed) ------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script> & <img src=x onerror=alert(1)>",
        "**not bold** _not italic_ [link](javascript:alert(1)) `code` $x$ :red[no] :smile:",
        "# not a heading\n\n1. not a list\n- not a bullet\n    not code\n> not a quote",
        "&lt;b&gt; stays an entity written out; a\\backslash; ~~strike~~ | pipes |",
    ],
)
def test_escaped_markdown_reads_back_as_the_original_text(text):
    escaped = app_support.escape_markdown(text)
    without_indent = re.sub(r"(?m)^[ \t]+", "", text)
    assert plain(escaped) == without_indent
    assert not re.search(r"(?<!\\)[<>*_`\[\]$:&#]", escaped)


def test_highlight_marks_exactly_the_quoted_words_in_place():
    text = "First paragraph here.\n\nShe said: *it* [will] hold. Then more.\n\nLast one."
    start = text.index("She said")
    end = text.index(" Then")
    marked = app_support.highlighted(text, start, end, "blue")
    assert marked.count(":blue-background[**") == 1
    inside = re.search(r":blue-background\[\*\*(.*?)\*\*\]", marked).group(1)
    assert plain(inside) == text[start:end]
    assert plain(marked.replace(f":blue-background[**{inside}**]", inside)) == text


def test_answer_markers_become_badges_only_for_real_citations():
    markdown = app_support.answer_markdown('One [1] "two" [2] and [7].', cited=[1, 2])
    assert markdown.count("-badge[") == 2
    assert "\\[7\\]" in markdown and ' "two"' in plain(markdown)


def test_sources_link_only_to_web_pages(tmp_path):
    settings = make_settings(tmp_path / "index")
    web = app_support.source_markdown("https://news.example/a (b)", settings)
    assert web == "[news\\.example](https://news.example/a%20%28b%29)"
    assert "](" not in app_support.source_markdown("javascript:alert(1)", settings)
    upload = app_support.uploads_dir(settings) / "notes.md"
    assert plain(app_support.source_markdown(str(upload), settings)) == "uploaded file notes.md"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\me\\notes.md", "notes.md"),
        (".hidden.txt", "hidden.txt"),
        ("report (final) <1>.html", "report-final-1-.html"),
    ],
)
def test_upload_names_cannot_leave_the_uploads_folder(name, expected, tmp_path):
    assert app_support.safe_filename(name) == expected
    [saved] = app_support.save_uploads([(name, b"x")], tmp_path / "uploads")
    assert saved.parent == tmp_path / "uploads"
