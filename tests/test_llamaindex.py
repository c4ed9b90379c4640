"""rag/llamaindex.py: LlamaIndex's own query engines run over newsrag's retrieval, offline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import CitationQueryEngine, RetrieverQueryEngine
from llama_index.core.schema import TextNode

from rag.config import Settings
from rag.llamaindex import NewsragRetriever
from rag.store import ChromaStore
from tests.conftest import SEED
from tests.fakes import HashEmbedder

QUESTION = "What did Kallas say about Article 5?"
FIELDS = {"article_id", "chunk_id", "title", "published", "source"}


@pytest.fixture
def index(seed_folder: Path, fake_index: Callable[..., Settings]) -> Settings:
    return fake_index(seed_folder)


@pytest.fixture(autouse=True)
def no_openai(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any fall-back to LlamaIndex's default (OpenAI) LLM or embedding would fail here."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")


def retriever_for(index: Settings, k: int = 3) -> NewsragRetriever:
    return NewsragRetriever(index_dir=index.index_dir, k=k, embedder=HashEmbedder())


def test_retrieved_nodes_carry_citation_fields_and_offsets_into_the_article(
    index: Settings,
) -> None:
    nodes = retriever_for(index).retrieve(QUESTION)
    assert 1 <= len(nodes) <= 3
    article = ChromaStore(index).get_article(SEED.stem)
    assert article is not None
    for scored in nodes:
        node = scored.node
        assert isinstance(node, TextNode) and scored.score is not None and scored.score > 0
        assert set(node.metadata) == FIELDS
        assert node.metadata["article_id"] == node.ref_doc_id == SEED.stem
        assert node.metadata["title"] == article.title
        assert node.metadata["published"] == article.published
        assert node.node_id == node.metadata["chunk_id"]
        assert node.start_char_idx is not None and node.end_char_idx is not None
        assert article.text[node.start_char_idx : node.end_char_idx] == node.text
    assert "Article 5" in " ".join(n.node.get_content() for n in nodes)


def test_retriever_returns_what_the_pipeline_retrieves_in_its_order(index: Settings) -> None:
    from rag.pipeline import build_pipeline

    pipeline = build_pipeline(index, embedder=HashEmbedder())
    expected = [h.chunk.chunk_id for h in pipeline.retrieve(QUESTION, k=2)]
    nodes = NewsragRetriever(pipeline=pipeline, k=2).retrieve(QUESTION)
    assert [n.node.node_id for n in nodes] == expected


def test_retriever_query_engine_answers_over_newsrag_with_a_mock_llm(index: Settings) -> None:
    engine = RetrieverQueryEngine.from_args(retriever_for(index), llm=MockLLM())
    response = engine.query(QUESTION)
    assert response.source_nodes
    assert {n.node.metadata["article_id"] for n in response.source_nodes} == {SEED.stem}
    # MockLLM echoes its prompt: the passages reached the model, with their titles.
    first = response.source_nodes[0].node
    assert first.get_content()[:60] in str(response)
    assert first.metadata["title"] in str(response)


def test_citation_query_engine_numbers_sources_that_keep_the_citation_fields(
    index: Settings,
) -> None:
    engine = CitationQueryEngine(retriever_for(index), llm=MockLLM())
    response = engine.query(QUESTION)
    assert response.source_nodes
    for n, scored in enumerate(response.source_nodes, start=1):
        assert scored.node.get_content().startswith(f"Source {n}:")
        assert set(scored.node.metadata) >= FIELDS
    assert "Source 1:" in str(response)


def test_an_empty_index_is_reported_not_retrieved_from(tmp_path: Path) -> None:
    from rag.errors import IndexMissingError

    ChromaStore(Settings(index_dir=tmp_path / "index"), create=True)
    with pytest.raises(IndexMissingError):
        NewsragRetriever(index_dir=tmp_path / "index", embedder=HashEmbedder())
