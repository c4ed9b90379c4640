"""The issue's examples against the seed article, answered by a scripted OpenAI-compatible
model (tests/fake_llm_server.py) through the real pipeline: claims that flip, swap or
misattribute what the article says are dropped, and the Answer says why."""

from __future__ import annotations

import pytest

from rag.ingest import ingest
from rag.llm import build_llm
from rag.pipeline import build_pipeline
from rag.types import Answer
from tests.conftest import make_settings
from tests.fake_llm_server import FakeLLMServer, write_test_corpus

QUESTION = "What have Nato countries said about sending troops to Ukraine?"
GOOD = (
    "Estonia's prime minister Kaja Kallas said sending soldiers would not risk escalation "
    "{{Kallas}}."
)


@pytest.fixture(scope="module")
def server():
    with FakeLLMServer() as running:
        yield running


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory, real_embedder, server):
    folder = write_test_corpus(tmp_path_factory.mktemp("meaning-docs"))
    settings = make_settings(tmp_path_factory.mktemp("meaning-index"))
    ingest([folder], settings, lambda: real_embedder, quiet=True)
    settings = settings.with_overrides(
        llm="openai", openai_base_url=server.url, llm_model="scripted", llm_timeout=20.0
    )
    pipeline = build_pipeline(settings, embedder=real_embedder)
    pipeline.llm = build_llm(settings, pipeline.embedder, pipeline.extractive)
    return pipeline


def ask_scripted(pipeline, server: FakeLLMServer, bad: str, question: str = QUESTION) -> Answer:
    server.scripted[question] = f"{GOOD} {bad}"
    return pipeline.ask(question)


@pytest.mark.parametrize(
    ("bad", "reasons"),
    [
        (  # negation flipped
            "Kallas said that if Nato troops were killed or wounded, that would lead to the "
            "invocation of Article 5 {{Kallas}}.",
            {"negation"},
        ),
        (  # speaker swapped to someone else in the passage
            "Emmanuel Macron said that Nato casualties in Ukraine would not lead to invocation "
            "of Article 5 {{Kallas}}.",
            {"speaker"},
        ),
        (  # roles swapped
            "The UK and Germany have signalled openness to sending troops, while Macron has "
            "ruled it out {{Macron}}.",
            {"role", "speaker", "antonym"},
        ),
        (  # antonym: likely -> unlikely
            "General Charles Q Brown said some kind of training deployment inside Ukraine was "
            "unlikely {{Brown}}.",
            {"antonym"},
        ),
        (  # polarity: has not changed -> had changed
            "A Pentagon spokesperson said the long-held position on conditioning military aid "
            "had changed {{Pentagon}}.",
            {"negation"},
        ),
        (  # a red line -> acceptable
            "Joe Biden has consistently stated that attacks in Russia are acceptable {{Biden}}.",
            {"antonym"},
        ),
    ],
    ids=["negation", "speaker", "role", "likely-unlikely", "not-changed", "red-line"],
)
def test_a_claim_that_says_something_else_is_dropped_with_its_reason(
    pipeline, server, bad: str, reasons: set[str]
) -> None:
    question = QUESTION
    if "Biden" in bad:
        question = "What has Biden said about attacks in Russia, and Kallas about troops?"
    answer = ask_scripted(pipeline, server, bad, question)
    assert answer.mode == "llm" and not answer.refused
    assert "Kallas said sending soldiers would not risk escalation" in answer.answer
    assert bad.split(" {{")[0] not in answer.answer
    (dropped,) = [d for d in answer.dropped if d.what == "sentence"]
    assert dropped.reason in reasons, dropped
    assert dropped.sentence.startswith(bad[:30])
    assert answer.notice and f"({dropped.reason})" in answer.notice
    body = answer.to_json()
    assert body["dropped"][0]["reason"] == dropped.reason and body["notice"] == answer.notice


def test_a_faithful_answer_keeps_every_sentence_and_drops_nothing(pipeline, server) -> None:
    faithful = (
        "France's President Emmanuel Macron has indicated he is open to sending troops, "
        "whereas the UK and Germany have ruled it out {{Macron}}."
    )
    answer = ask_scripted(pipeline, server, faithful)
    assert answer.mode == "llm" and answer.dropped == () and answer.notice is None
    assert len(answer.citations) == 2 and all(c.verified for c in answer.citations)
    assert "dropped" not in answer.to_json()
