"""rag/answer/base.py: the extractive and the LLM answerer implement one `Answerer` seam.

`answer_through_the_seam` takes only an `Answerer`, so mypy (run on this file) rejects an
answerer whose `answer` does not match the protocol; the tests then call it with each real
answerer, the LLM one talking to the scripted OpenAI-compatible server on 127.0.0.1.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pytest

from rag.answer import Answerer, Condenser, ExtractiveAnswerer
from rag.embed import Embedder
from rag.ingest import ingest
from rag.llm import OpenAIAnswerer, build_llm
from rag.pipeline import Pipeline, build_pipeline
from rag.types import Answer, Hit
from tests.conftest import KALLAS, make_settings
from tests.fake_llm_server import FakeLLMServer, write_test_corpus


def answer_through_the_seam(
    answerer: Answerer, question: str, hits: Sequence[Hit], query_vector: np.ndarray
) -> Answer:
    """What the pipeline does with whichever answerer it holds."""
    return answerer.answer(question, hits, query_vector)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as running:
        yield running


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder) -> Pipeline:
    folder = write_test_corpus(tmp_path_factory.mktemp("seam-docs"))
    settings = make_settings(tmp_path_factory.mktemp("seam-index"))
    assert ingest([folder], settings, lambda: real_embedder, quiet=True).articles == 7
    return build_pipeline(settings, embedder=real_embedder)


def test_both_answerers_answer_through_the_answerer_protocol(
    pipeline: Pipeline, server: FakeLLMServer
) -> None:
    settings = pipeline.settings.with_overrides(
        llm="openai", openai_base_url=server.url, llm_model="good", llm_timeout=10.0
    )
    llm: OpenAIAnswerer = build_llm(settings, pipeline.embedder, pipeline.extractive)
    extractive: ExtractiveAnswerer = pipeline.extractive
    hits, query_vector = pipeline.retriever.retrieve(KALLAS)
    before = len(server.answer_requests("good"))

    offline = answer_through_the_seam(extractive, KALLAS, hits, query_vector)
    generated = answer_through_the_seam(llm, KALLAS, hits, query_vector)

    assert isinstance(extractive, Answerer) and isinstance(llm, Answerer)
    assert offline.mode == "extractive" and not offline.refused and offline.citations
    assert generated.mode == "llm" and not generated.refused and generated.citations
    assert len(server.answer_requests("good")) == before + 1  # it asked the model
    # only the LLM answerer also rewrites follow-ups
    assert isinstance(llm, Condenser) and not isinstance(extractive, Condenser)


class RecordingAnswerer:
    """A test double for the seam: answers with a fixed text and records what it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None, int, float | None]] = []

    def answer(
        self,
        question: str,
        hits: Sequence[Hit],
        query_vector: np.ndarray,
        standalone: str | None = None,
        on_token: Callable[[str], None] | None = None,
        *,
        started: float | None = None,
    ) -> Answer:
        self.calls.append((question, standalone, len(hits), started))
        if on_token is not None:
            on_token("Fixed.")
        return Answer(question=question, answer="Fixed.", citations=(), refused=False, mode="llm")


def test_the_pipeline_asks_any_answerer_through_the_seam(pipeline: Pipeline) -> None:
    double = RecordingAnswerer()
    own = Pipeline(
        pipeline.settings,
        pipeline.embedder,
        pipeline.store,
        pipeline.retriever,
        pipeline.extractive,
        double,
    )
    tokens: list[str] = []
    before = time.perf_counter()
    answer = own.ask(KALLAS, on_token=tokens.append)
    assert answer.answer == "Fixed." and tokens == ["Fixed."] and own.mode == "llm"
    [(question, standalone, passages, started)] = double.calls
    assert question == KALLAS and standalone is None and passages > 0
    assert started is not None and before <= started <= time.perf_counter()
