"""The chat window: ask questions about the indexed news, read the cited passages.

Run with `rag ui` or `streamlit run ui/app.py`. Settings come from the environment
(`RAG_INDEX_DIR`, `RAG_LLM`, ...) through `rag.config.load_settings`. The answering is
`rag`'s one pipeline (shared by all sessions, loaded once per server process); this file
only lays out Streamlit's own elements. `?embed=true` gives a compact window without
sidebar or header, for an iframe.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from rag.answerlog import AnswerLog, Rating
from rag.config import Settings, load_settings
from rag.config_hash import answerer_weights, config_hash
from rag.dates import DateRange
from rag.errors import IndexMissingError, RagError
from rag.load import discover
from rag.types import Answer, Article, Citation, Turn
from ui import app_support as support

log = logging.getLogger("newsrag.ui")
OPERATOR_PAGE = Path(__file__).resolve().parent / "pages" / "operator.py"
HISTORY_TURNS = 6  # earlier turns do not help a follow-up and slow the LLM down


# -- session state ----------------------------------------------------------------------------


def init_state(settings: Settings) -> None:
    state = st.session_state
    state.setdefault("messages", [])  # {"role": "user", "text"} | {"role": "assistant", ...}
    state.setdefault("upload_round", 0)  # bumped to empty the uploader after an ingest
    state.setdefault("ingest_note", None)
    state.setdefault("pending", None)  # an example question clicked, asked on this run
    state.setdefault("k", settings.top_k)
    state.setdefault("mode", "llm" if settings.llm == "openai" else "extractive")
    state.setdefault("since", None)  # the date-range control: articles published from …
    state.setdefault("until", None)  # … until (inclusive); empty means unbounded


def clear_chat() -> None:
    st.session_state.messages = []


def ask_later(question: str) -> None:
    st.session_state.pending = question


def history_turns(messages: Sequence[dict[str, Any]]) -> list[Turn]:
    """The conversation so far as the pipeline takes it (failed turns left out)."""
    turns: list[Turn] = []
    for message in messages:
        if message["role"] == "user":
            turns.append(Turn("user", message["text"]))
        elif message.get("reply") is not None:
            turns.append(Turn("assistant", message["reply"].answer.answer))
    return turns[-2 * HISTORY_TURNS :]


# -- sidebar ----------------------------------------------------------------------------------


def render_sidebar(settings: Settings, engine: support.Engine | None) -> None:
    with st.sidebar:
        st.title(":material/newspaper: newsrag")
        st.caption("Answers from news articles, every claim with a numbered source.")

        st.subheader("Index")
        try:
            stats = support.index_stats(settings, engine.pipeline.store if engine else None)
        except RagError as exc:
            st.error(support.short_error(exc))
        else:
            left, right = st.columns(2)
            left.metric("Articles", f"{stats.articles:,}")
            right.metric("Passages", f"{stats.chunks:,}")
            st.caption(
                f"Last ingest: {support.ago(stats.last_ingest)} · "
                f"{support.escape_markdown(settings.store_label)}"
            )

        st.subheader("Answering")
        st.slider(
            "Passages to retrieve",
            min_value=1,
            max_value=20,
            key="k",
            help="How many passages the answer may draw on.",
        )
        st.caption("Only articles published between (leave empty for any date):")
        since_col, until_col = st.columns(2)
        since_col.date_input("From", value=None, key="since", format="YYYY-MM-DD")
        until_col.date_input("Until", value=None, key="until", format="YYYY-MM-DD")
        since, until = st.session_state.since, st.session_state.until
        if since and until and since > until:
            st.warning("“From” is after “Until”: no article can match.")
        if settings.llm == "openai":
            st.radio(
                "Answer mode",
                options=["llm", "extractive"],
                format_func=lambda m: (
                    f"LLM ({settings.llm_model})" if m == "llm" else "Extractive (offline)"
                ),
                key="mode",
                help="Extractive answers quote the articles; LLM answers are written by the "
                "model and checked against the passages they cite.",
            )
        else:
            st.caption(
                "Answer mode: extractive (offline). Set `RAG_LLM=openai` for written answers."
            )
        st.button(
            "Clear chat",
            icon=":material/delete_sweep:",
            on_click=clear_chat,
            width="stretch",
        )

        st.subheader("Add articles")
        files = st.file_uploader(
            "Text, Markdown, HTML or JSON Lines files",
            type=support.UPLOAD_TYPES,
            accept_multiple_files=True,
            key=f"upload-{st.session_state.upload_round}",
        )
        if st.button(
            "Add to the index",
            icon=":material/upload:",
            type="primary",
            disabled=not files,
            width="stretch",
        ):
            ingest_with_progress(settings, engine, uploads=files or [])
        if settings.fetch_allow:
            render_add_url(settings, engine)
        render_ingest_note()


def render_add_url(settings: Settings, engine: support.Engine | None) -> None:
    """Add a page, feed or sitemap by URL, from the sites the operator allows only."""
    from rag.fetch import host_allowed

    sites = ", ".join(settings.fetch_allow)
    url = st.text_input(
        "Or a news page, feed or sitemap by URL",
        placeholder="https://…",
        key=f"add-url-{st.session_state.upload_round}",
        help=f"Sites you may add from: {sites}",
    ).strip()
    if st.button("Fetch and add", icon=":material/link:", disabled=not url, width="stretch"):
        if host_allowed(url, settings.fetch_allow):
            ingest_with_progress(settings, engine, urls=[url])  # reruns the app
        else:
            st.session_state.ingest_note = {"error": f"Only URLs on {sites} can be added here."}
            st.rerun()


def ingest_with_progress(
    settings: Settings,
    engine: support.Engine | None,
    uploads: Sequence[Any] = (),
    folder: Any = None,
    urls: Sequence[str] = (),
) -> None:
    """Ingest uploads (or a folder, or URLs) with a progress bar, keep the report, rerun."""
    bar = st.progress(0.0, text="Fetching…" if urls else "Reading files…")

    def on_progress(done: int, total: int) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=f"Embedding passages: {done} of {total}")

    def embedder() -> Any:
        return support.embedder_for(settings)

    try:
        if folder is not None:
            report = support.add_articles([folder], settings, embedder, on_progress)
        elif urls:
            from rag.ingest import ingest

            # Every request, redirects and feed items included, stays on the allowed sites.
            report = ingest(
                [],
                settings,
                embedder,
                quiet=True,
                on_progress=on_progress,
                urls=list(urls),
                allowed_hosts=settings.fetch_allow,
            )
        else:
            report = support.add_uploads(
                support.uploaded_payloads(uploads), settings, embedder, on_progress
            )
    except Exception as exc:  # RagError (locked index, ...) or a store failure
        if not isinstance(exc, RagError):
            log.exception("ingest failed")
        st.session_state.ingest_note = {"error": support.short_error(exc)}
    else:
        st.session_state.ingest_note = {"report": report}
        st.session_state.upload_round += 1
        if engine is not None:
            engine.refresh()
    bar.empty()
    st.rerun()


def render_ingest_note() -> None:
    note = st.session_state.ingest_note
    if not note:
        return
    if "error" in note:
        st.error(note["error"], icon=":material/error:")
        return
    report = note["report"]
    summary = support.describe_report(report)
    if report.failed:
        st.warning(summary, icon=":material/warning:")
        for name, error in support.failed_files(report):
            st.markdown(f"- **{support.escape_markdown(name)}**: {support.escape_markdown(error)}")
    else:
        st.success(summary, icon=":material/check_circle:")


# -- the conversation -------------------------------------------------------------------------


def render_reply(reply: support.Reply, settings: Settings) -> None:
    answer = reply.answer
    st.markdown(support.answer_markdown(answer.answer, [c.n for c in answer.citations]))
    if answer.condensed_question and answer.condensed_question != answer.question:
        st.caption(f"Understood as: {support.escape_markdown(answer.condensed_question)}")
    if answer.notice:
        st.caption(f":material/info: {support.escape_markdown(answer.notice)}")
    for citation in answer.citations:
        with st.container(border=True):
            title = support.escape_markdown(citation.title)
            st.markdown(f"{support.badge(citation.n)} **{title}**")
            st.caption(support.card_caption(citation, settings))
            st.markdown(support.passage_markdown(citation, reply.passages.get(citation.chunk_id)))
            with st.expander("Read the whole article", icon=":material/article:"):
                render_article(citation, reply.articles.get(citation.article_id))
    st.caption(support.answer_caption(answer, reply.k))
    if answer.id:
        render_feedback(answer.id, settings)


# -- feedback (the answer log, rag/answerlog.py) ----------------------------------------------


@st.cache_resource(show_spinner=False)
def shared_answer_log(path: str, _settings: Settings) -> AnswerLog:
    """One log writer per server process and log file (it warns once if the log fails)."""
    return AnswerLog(_settings)


def answer_log_for(settings: Settings) -> AnswerLog:
    return shared_answer_log(str(settings.log_path.resolve()), settings)


def log_answer(answer: Answer, engine: support.Engine, settings: Settings) -> Answer:
    """The answer with its log id (unchanged when the log is off or failing)."""
    weights = answerer_weights(getattr(engine.pipeline, "extractive", None))
    config = config_hash(engine.pipeline.settings, weights)
    return answer_log_for(settings).record(answer, "ui", config=config)


THUMBS = ("down", "up")  # st.feedback("thumbs") gives 0 for 👎 and 1 for 👍


def save_rating(answer_id: str, settings: Settings) -> None:
    """Store the thumbs (and the comment, if any) of one answer; a change replaces it."""
    state = st.session_state
    value = state.get(f"rating-{answer_id}")
    if value is None:
        return
    comment = (state.get(f"comment-{answer_id}") or "").strip() or None
    try:
        answer_log_for(settings).rate(Rating(answer_id, THUMBS[int(value)], comment), door="ui")
    except RagError as exc:
        state[f"rating-note-{answer_id}"] = support.short_error(exc)
    else:
        state[f"rating-note-{answer_id}"] = "Thanks: your rating is saved." + (
            " So is your comment." if comment else ""
        )


def render_feedback(answer_id: str, settings: Settings) -> None:
    """Streamlit's thumbs under an answer; after a rating, an optional comment."""
    st.feedback(
        "thumbs", key=f"rating-{answer_id}", on_change=save_rating, args=(answer_id, settings)
    )
    if st.session_state.get(f"rating-{answer_id}") is None:
        return
    with st.form(f"comment-form-{answer_id}", border=False):
        st.text_area(
            "What was right or wrong? (optional)",
            key=f"comment-{answer_id}",
            max_chars=2000,
            height=80,
        )
        st.form_submit_button("Send comment", on_click=save_rating, args=(answer_id, settings))
    note = st.session_state.get(f"rating-note-{answer_id}")
    if note:
        st.caption(support.escape_markdown(note))


def render_article(citation: Citation, article: Article | None) -> None:
    if article is not None:
        n, total = support.paragraph_position(article.text, citation.char_start)
        st.caption(f"The cited words are highlighted in paragraph {n} of {total}.")
    with st.container(height=420, border=False):
        st.markdown(support.article_markdown(citation, article))


def render_message(message: dict[str, Any], settings: Settings) -> None:
    if message["role"] == "user":
        with st.chat_message("user"):
            st.markdown(support.escape_markdown(message["text"]))
        return
    with st.chat_message("assistant", avatar=":material/newspaper:"):
        if message.get("reply") is not None:
            render_reply(message["reply"], settings)
        else:
            st.error(message["error"], icon=":material/error:")


def chosen_dates() -> DateRange | None:
    """The sidebar's date range, or None when neither end is set."""
    dates = DateRange.parse(st.session_state.get("since"), st.session_state.get("until"))
    return dates if dates.bounded else None


def stream_answer(
    engine: support.Engine,
    question: str,
    history: list[Turn],
    k: int,
    dates: DateRange | None = None,
) -> Answer:
    """Run the pipeline, painting the answer into the page as its tokens arrive."""
    placeholder = st.empty()
    text = ""
    painted = 0.0
    engine.refresh()  # picks up ingests by other sessions or the CLI
    for item in engine.pipeline.stream(question, history, k, dates=dates):
        if isinstance(item, Answer):
            placeholder.empty()
            return item
        text += item
        if support.clock() - painted > 0.05:
            placeholder.markdown(support.escape_markdown(text) + " ▌")
            painted = support.clock()
    raise RuntimeError("the pipeline ended without an answer")


def answer_question(question: str, engine: support.Engine, settings: Settings) -> None:
    messages = st.session_state.messages
    history = history_turns(messages)
    user_message = {"role": "user", "text": question}
    messages.append(user_message)
    render_message(user_message, settings)
    k = int(st.session_state.k)
    with st.chat_message("assistant", avatar=":material/newspaper:"):
        started = support.clock()
        message: dict[str, Any]
        try:
            with st.spinner("Searching the articles…"):
                answer = stream_answer(engine, question, history, k, chosen_dates())
            answer = log_answer(answer, engine, settings)
            reply = support.make_reply(answer, engine.pipeline.store, k, support.clock() - started)
        except Exception as exc:
            if not isinstance(exc, RagError):
                log.exception("answering %r failed", question)
            message = {"role": "assistant", "error": support.short_error(exc)}
            st.error(message["error"], icon=":material/error:")
        else:
            message = {"role": "assistant", "reply": reply}
            render_reply(reply, settings)
    messages.append(message)


def render_welcome(engine: support.Engine, embedded: bool) -> None:
    store = engine.pipeline.store
    if not embedded:
        st.title("Ask the news")
    st.markdown(
        f"Ask a question about the {plural(store.count_articles(), 'article')} in the index. "
        "Every claim in an answer carries a numbered citation; the card below the answer "
        "shows the quoted words in their passage, and the whole article."
    )
    if support.has_shipped_corpus(store):
        with st.container(horizontal=True):
            for example in support.EXAMPLE_QUESTIONS:
                st.button(example, on_click=ask_later, args=(example,), icon=":material/search:")


def render_empty_index(settings: Settings, embedded: bool) -> None:
    st.title("Ask the news")
    st.info(
        "The index is empty: there are no articles to answer from yet.",
        icon=":material/inventory_2:",
    )
    corpus = support.SHIPPED_CORPUS
    if corpus.is_dir():
        files, _, _ = discover([corpus])
        count = plural(len(files), "article")
        st.markdown(
            f"Load the {count} that ship with newsrag to try it out"
            + ("." if embedded else ", or add your own with **Add articles** in the sidebar.")
        )
        if st.button(
            f"Load the shipped corpus ({count})",
            type="primary",
            icon=":material/library_add:",
        ):
            ingest_with_progress(settings, None, folder=corpus)
    elif not embedded:
        st.markdown("Add articles with **Add articles** in the sidebar, or run `rag ingest PATH`.")
    render_ingest_note()


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


# -- the page ---------------------------------------------------------------------------------


def main() -> None:
    # Toolbar, error details, upload size and theme: ui/.streamlit/config.toml.
    embedded = bool(st.context.is_embedded)
    st.set_page_config(
        page_title="newsrag · ask the news",
        page_icon=":material/newspaper:",
        layout="centered",
        initial_sidebar_state="collapsed" if embedded else "auto",
    )
    try:
        settings = load_settings()
    except RagError as exc:
        st.error(support.short_error(exc), icon=":material/error:")
        return
    init_state(settings)

    engine: support.Engine | None = None
    problem: str | None = None
    try:
        engine = support.open_engine(settings, st.session_state.mode)
    except IndexMissingError:
        pass
    except Exception as exc:  # a Chroma server down, a bad LLM configuration, ...
        if not isinstance(exc, RagError):
            log.exception("opening the index failed")
        problem = support.short_error(exc)

    if not embedded:
        render_sidebar(settings, engine)
    if problem is not None:
        st.error(problem, icon=":material/error:")
        return
    if engine is None:
        render_empty_index(settings, embedded)
        return

    # The chat input is pinned to the bottom wherever it is called; calling it first tells
    # this run whether a question is coming, so the welcome text is not drawn above it.
    typed = st.chat_input("Ask about the news…", max_chars=settings.max_question_chars)
    question = typed or st.session_state.pending
    st.session_state.pending = None
    messages = st.session_state.messages
    if not messages and not question:
        render_welcome(engine, embedded)
    for message in messages:
        render_message(message, settings)
    if question:
        answer_question(question, engine, settings)


def navigation() -> None:
    """Two pages: the chat (this file's `main`) and the operator's page (ui/pages/)."""
    embedded = bool(st.context.is_embedded)
    pages = [
        st.Page(main, title="Ask the news", icon=":material/newspaper:", default=True),
        st.Page(OPERATOR_PAGE, title="Operator", icon=":material/monitoring:", url_path="operator"),
    ]
    st.navigation(pages, position="hidden" if embedded else "sidebar").run()


navigation()
