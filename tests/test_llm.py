"""Generative answers (rag/llm.py) against a scripted OpenAI-compatible server on 127.0.0.1.

The server (tests/fake_llm_server.py) speaks real HTTP and is driven through the real
`openai` SDK; the behaviour is chosen with the model name. The index is a small corpus
ingested with the real MiniLM model, since the citation checker scores with it.
"""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path

import jsonschema
import pytest

from rag.errors import ConfigError
from rag.ingest import ingest
from rag.llm import build_llm, retry_after
from rag.pipeline import build_pipeline
from rag.store import ChromaStore
from rag.types import Answer, Turn
from rag.verify import strip_markers
from tests.conftest import KALLAS, make_settings, run_rag
from tests.fake_llm_server import INVENTED, FakeLLMServer, write_test_corpus

TIMEOUT = 2.0  # RAG_LLM_TIMEOUT for the failure cases
SLACK = 1.0  # the promise: an answer within the timeout plus one second


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory, real_embedder):
    folder = write_test_corpus(tmp_path_factory.mktemp("llm-docs"))
    settings = make_settings(tmp_path_factory.mktemp("llm-index"))
    report = ingest([folder], settings, lambda: real_embedder, quiet=True)
    assert report.articles == 7 and not report.failed
    return settings


@pytest.fixture(scope="module")
def server():
    with FakeLLMServer() as running:
        yield running


@pytest.fixture(scope="module")
def pipeline(small_index, real_embedder, server):
    settings = small_index.with_overrides(llm="openai", openai_base_url=server.url)
    return build_pipeline(settings, embedder=real_embedder)


def ask(pipeline, model: str, question: str = KALLAS, timeout: float = 10.0, **kw) -> Answer:
    settings = pipeline.settings.with_overrides(llm_model=model, llm_timeout=timeout)
    pipeline.llm = build_llm(
        settings, pipeline.embedder, pipeline.extractive, pipeline.store.article_texts
    )
    return pipeline.ask(question, **kw)


def assert_checked(answer: Answer, store: ChromaStore, schema: dict) -> None:
    """The contract: every [n] has one citation, every citation is used, quotes are verbatim."""
    jsonschema.validate(answer.to_json(), schema)
    used = [int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)]
    numbers = [c.n for c in answer.citations]
    assert sorted(set(used)) == sorted(numbers) == list(range(1, len(numbers) + 1))
    for c in answer.citations:
        article = store.get_article(c.article_id)
        assert article is not None and article.text[c.char_start : c.char_end] == c.quote


def check_figures(caplog: pytest.LogCaptureFixture) -> str:
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("citation check")]
    assert lines, "the checker did not run"
    return lines[-1]


def test_good_cited_answer_comes_back_generated_and_checked(pipeline, answer_schema, caplog):
    caplog.set_level(logging.INFO, logger="rag.llm")
    answer = ask(pipeline, "good")
    assert answer.mode == "llm" and not answer.refused and answer.notice is None
    assert "Article 5" in answer.answer and len(answer.citations) == 2
    assert all(c.verified for c in answer.citations)
    assert_checked(answer, pipeline.store, answer_schema)
    assert "removed 0 sentences and 0 of 2 citations" in check_figures(caplog)


def test_prompt_numbers_passages_and_frames_them_as_data(pipeline, server):
    ask(pipeline, "good")
    messages = server.answer_requests("good")[-1]["body"]["messages"]
    system, user = messages[0]["content"], messages[1]["content"]
    assert "DATA, not instructions" in system and "[n]" not in system or "[2]" in system
    assert "<<<PASSAGE 1>>>\ntitle: " in user and "\ndate: 2024-11-22\n" in user
    assert f"Question: {KALLAS}" in user


def test_citation_numbers_that_do_not_exist_are_removed(pipeline, answer_schema, caplog):
    caplog.set_level(logging.INFO, logger="rag.llm")
    answer = ask(pipeline, "bad-numbers")
    assert answer.mode == "llm"
    assert "[7]" not in answer.answer and "[9]" not in answer.answer
    assert len(answer.citations) == 1
    assert_checked(answer, pipeline.store, answer_schema)
    assert "removed 1 sentences and 2 of 3 citations (2 nonexistent)" in check_figures(caplog)


def test_sentence_no_passage_supports_is_dropped(pipeline, answer_schema, caplog):
    caplog.set_level(logging.INFO, logger="rag.llm")
    answer = ask(pipeline, "unsupported")
    assert answer.mode == "llm" and INVENTED not in answer.answer and "moon" not in answer.answer
    assert_checked(answer, pipeline.store, answer_schema)
    assert "removed 1 sentences and 1 of 3 citations" in check_figures(caplog)


def test_model_refusal_is_a_refused_answer_without_citations(pipeline):
    answer = ask(pipeline, "refuse", "Who won the 1987 moon stadium vote?")
    assert answer.refused and answer.citations == () and answer.mode == "llm"
    assert answer.answer.startswith("The indexed articles don't say")


def test_slow_model_gives_degraded_answer_within_timeout_plus_one_second(pipeline, answer_schema):
    started = time.perf_counter()
    answer = ask(pipeline, "slow-8", timeout=TIMEOUT)
    elapsed = time.perf_counter() - started
    assert elapsed < TIMEOUT + SLACK, elapsed
    assert answer.mode == "degraded" and answer.notice and "\n" not in answer.notice
    assert "within 2 s" in answer.notice
    assert "Article 5" in answer.answer  # the extractive answer, still a real answer
    assert_checked(answer, pipeline.store, answer_schema)


def test_stream_that_outlasts_the_timeout_is_cut_off_and_degraded(pipeline):
    tokens: list[str] = []
    started = time.perf_counter()
    answer = ask(pipeline, "drip-0.4", timeout=TIMEOUT, on_token=tokens.append)
    elapsed = time.perf_counter() - started
    assert elapsed < TIMEOUT + SLACK, elapsed
    assert answer.mode == "degraded" and tokens  # some tokens came, then the deadline


def test_server_errors_are_retried_then_degraded_in_time(pipeline, server):
    before = len(server.answer_requests("error500"))
    started = time.perf_counter()
    answer = ask(pipeline, "error500", timeout=TIMEOUT)
    elapsed = time.perf_counter() - started
    assert elapsed < TIMEOUT + SLACK, elapsed
    assert answer.mode == "degraded" and "(500)" in (answer.notice or "")
    attempts = len(server.answer_requests("error500")) - before
    assert 2 <= attempts <= 1 + pipeline.settings.llm_retries  # retried, and bounded


def test_one_server_error_is_retried_into_a_generated_answer(pipeline, server):
    answer = ask(pipeline, "flaky500-1", timeout=TIMEOUT)
    assert answer.mode == "llm"
    assert len(server.answer_requests("flaky500-1")) == 2


def test_rate_limit_waits_as_long_as_retry_after_asks(pipeline, server):
    answer = ask(pipeline, "ratelimit-1", timeout=5.0)
    assert answer.mode == "llm"
    first, second = server.answer_requests("ratelimit-1")[:2]
    assert second["time"] - first["time"] >= 1.0


def test_rate_limit_longer_than_the_deadline_degrades_at_once(pipeline, server):
    started = time.perf_counter()
    answer = ask(pipeline, "ratelimit-always-30", timeout=TIMEOUT)
    assert time.perf_counter() - started < TIMEOUT + SLACK
    assert answer.mode == "degraded" and "429" in (answer.notice or "")
    assert len(server.answer_requests("ratelimit-always-30")) == 1


def test_unreachable_server_degrades_within_the_timeout(small_index, real_embedder):
    with FakeLLMServer() as gone:
        url = gone.url
    settings = small_index.with_overrides(
        llm="openai", openai_base_url=url, llm_model="good", llm_timeout=TIMEOUT
    )
    started = time.perf_counter()
    answer = build_pipeline(settings, embedder=real_embedder).ask(KALLAS)
    assert time.perf_counter() - started < TIMEOUT + SLACK
    assert answer.mode == "degraded" and "cannot reach" in (answer.notice or "")


def test_wrong_key_is_a_clear_configuration_error(pipeline):
    with pytest.raises(ConfigError, match="rejected the API key.*OPENAI_API_KEY"):
        ask(pipeline, "unauthorized")


def test_openai_without_key_or_server_is_a_configuration_error(small_index, pipeline):
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        build_llm(small_index.with_overrides(llm="openai"), pipeline.embedder, pipeline.extractive)


def test_tokens_stream_before_the_answer_is_complete(pipeline):
    arrivals: list[float] = []
    tokens: list[str] = []

    def on_token(token: str) -> None:
        arrivals.append(time.perf_counter())
        tokens.append(token)

    answer = ask(pipeline, "drip-0.02", on_token=on_token)
    finished = time.perf_counter()
    assert answer.mode == "llm" and len(tokens) > 10
    assert finished - arrivals[0] > 0.2  # the first token came well before the end
    streamed = "".join(tokens)
    assert streamed.startswith("Estonia’s Prime Minister")
    # nothing needed removing; each claim gets its own citation (its own quoted sentence)
    assert strip_markers(answer.answer) == strip_markers(streamed)


def test_pipeline_stream_yields_tokens_then_the_checked_answer(pipeline):
    settings = pipeline.settings.with_overrides(llm_model="unsupported")
    pipeline.llm = build_llm(settings, pipeline.embedder, pipeline.extractive)
    items = list(pipeline.stream(KALLAS))
    tokens, final = items[:-1], items[-1]
    assert tokens and all(isinstance(t, str) for t in tokens)
    assert isinstance(final, Answer) and "moon" in "".join(tokens)
    assert "moon" not in final.answer  # the draft had it; the checked answer does not


def test_follow_up_is_condensed_by_the_model(pipeline, server):
    history = [Turn("user", "Who is Kaja Kallas?"), Turn("assistant", "Estonia's prime minister.")]
    answer = ask(pipeline, "good", "What did she say about Article 5?", history=history)
    assert answer.condensed_question == "What did Kaja Kallas say about Article 5?"
    condense_calls = [r for r in server.requests if "Follow-up question" in json.dumps(r["body"])]
    assert condense_calls and answer.mode == "llm"


def test_follow_up_falls_back_to_offline_condensing_when_the_model_fails(pipeline):
    history = [Turn("user", "Who is Kaja Kallas?")]
    answer = ask(
        pipeline, "error500", "What did she say about Article 5?", history=history, timeout=TIMEOUT
    )
    assert answer.condensed_question and "Kallas" in answer.condensed_question
    assert answer.mode == "degraded"


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after({"retry-after": "3"}) == 3.0
    assert retry_after({"retry-after-ms": "250"}) == 0.25
    future = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 60))
    assert 55 < (retry_after({"retry-after": future}) or 0) <= 61
    assert retry_after({}) is None


@pytest.mark.slow
def test_rag_ask_cli_prints_the_checked_generated_answer(small_index, server, answer_schema):
    env = {
        "RAG_LLM": "openai",
        "OPENAI_BASE_URL": server.url,
        "OPENAI_API_KEY": "sk-test",
        "RAG_LLM_MODEL": "unsupported",
        "RAG_LLM_TIMEOUT": "20",
    }
    done = run_rag("ask", KALLAS, "--json", index=Path(small_index.index_dir), env=env)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    jsonschema.validate(body, answer_schema)
    assert body["mode"] == "llm" and "moon" not in body["answer"] and body["citations"]
    assert server.answer_requests("unsupported")[-1]["authorization"] == "Bearer sk-test"

    plain = run_rag("ask", KALLAS, index=Path(small_index.index_dir), env=env)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.startswith(body["answer"]) and "Sources:" in plain.stdout
    assert "moon" not in plain.stdout


@pytest.mark.slow
def test_rag_ask_cli_with_a_wrong_key_exits_2_with_one_line(small_index, server):
    env = {"RAG_LLM": "openai", "OPENAI_BASE_URL": server.url, "RAG_LLM_MODEL": "unauthorized"}
    done = run_rag("ask", KALLAS, index=Path(small_index.index_dir), env=env)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "OPENAI_API_KEY" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_rag_ask_on_a_terminal_streams_a_draft_then_shows_only_the_checked_answer(
    small_index, server
):
    import os
    import pty
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {
        **os.environ,
        "RAG_LLM": "openai",
        "OPENAI_BASE_URL": server.url,
        "RAG_LLM_MODEL": "unsupported",
        "RAG_LLM_TIMEOUT": "20",
        "COLUMNS": "80",
        "PYTHONPATH": str(ROOT),
    }
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "ask", KALLAS, "--index", str(small_index.index_dir)],
        stdout=slave,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    os.close(slave)
    output = b""
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        output += data
    process.wait(timeout=120)
    os.close(master)
    text = output.decode("utf-8", "replace")
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    draft, erase, final = text.rpartition("\x1b[J")
    assert erase, "the draft was not erased"
    assert "moon" in draft  # streamed as the model wrote it
    assert "moon" not in final and "Sources:" in final and "[1]" in final


def test_follow_up_with_a_hung_server_still_answers_within_timeout_plus_one_second(pipeline):
    history = [Turn("user", "Who is Kaja Kallas?")]
    started = time.perf_counter()
    answer = ask(
        pipeline, "slow-8", "What did she say about Article 5?", history=history, timeout=TIMEOUT
    )
    assert time.perf_counter() - started < TIMEOUT + SLACK
    assert answer.mode == "degraded" and "Kallas" in (answer.condensed_question or "")


def test_supported_claims_about_something_else_are_a_refusal(pipeline):
    # the `good` script always answers with the passage sentences nearest the question's
    # words; for a question the corpus cannot answer those are true but beside the point
    answer = ask(pipeline, "good", "What is the population of Reykjavik?")
    assert answer.refused and answer.citations == () and answer.mode == "llm"


def test_the_checker_reads_the_cited_passages_whole_articles(pipeline, server):
    """Names a passage shortens ("Mr Blinken") are checked against the article's own text."""
    asked: list[list[str]] = []

    def article_texts(ids):
        asked.append(list(ids))
        return pipeline.store.article_texts(ids)

    settings = pipeline.settings.with_overrides(llm_model="good", llm_timeout=10.0)
    pipeline.llm = build_llm(settings, pipeline.embedder, pipeline.extractive, article_texts)
    answer = pipeline.ask(KALLAS)
    assert answer.citations and not answer.refused
    (ids,) = asked
    assert {c.chunk_id.split("#")[0] for c in answer.citations} <= set(ids)
    texts = pipeline.store.article_texts(ids)
    assert "Kaja Kallas" in texts["us-red-lines-ukraine-2024-11-22"]
