"""newsrag's hybrid retrieval as a LlamaIndex retriever.

    from llama_index.core.llms import MockLLM   # or any LlamaIndex LLM
    from llama_index.core.query_engine import CitationQueryEngine, RetrieverQueryEngine
    from rag.llamaindex import NewsragRetriever

    retriever = NewsragRetriever(index_dir=".rag", k=5)
    engine = RetrieverQueryEngine.from_args(retriever, llm=MockLLM())

`NewsragRetriever` is a `BaseRetriever` over the same pipeline the CLI, chat window and API
use (vector + BM25 fused, near-duplicates dropped): it does not retrieve on its own. Each
passage comes back as a `TextNode` whose `metadata` carries the citation fields (article id,
chunk id, title, published, source), whose `start_char_idx`/`end_char_idx` locate it in its
article's clean text, and whose `ref_doc_id` is the article id.

Pass the LLM to LlamaIndex's engines explicitly: LlamaIndex's global `Settings` would
otherwise load OpenAI's. The retriever itself never calls an LLM or LlamaIndex's `Settings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import (
    NodeRelationship,
    NodeWithScore,
    QueryBundle,
    RelatedNodeInfo,
    TextNode,
)

from rag.config import Settings, load_settings, prepare_offline_caches
from rag.types import Hit

if TYPE_CHECKING:
    from rag.embed import Embedder
    from rag.pipeline import Pipeline

CITATION_FIELDS = ("article_id", "chunk_id", "title", "published", "source")
# What a model reading the passage should see; the ids are for the caller's citations.
HIDDEN_FROM_MODEL = ["article_id", "chunk_id"]


def text_node(hit: Hit) -> TextNode:
    """One retrieved passage as a LlamaIndex node carrying its citation fields."""
    chunk = hit.chunk
    return TextNode(
        id_=chunk.chunk_id,
        text=chunk.text,
        metadata={
            "article_id": chunk.article_id,
            "chunk_id": chunk.chunk_id,
            "title": chunk.title,
            "published": chunk.published,
            "source": chunk.source,
        },
        excluded_llm_metadata_keys=list(HIDDEN_FROM_MODEL),
        excluded_embed_metadata_keys=list(CITATION_FIELDS),
        start_char_idx=chunk.char_start,
        end_char_idx=chunk.char_end,
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=chunk.article_id)},
    )


class NewsragRetriever(BaseRetriever):
    """The `k` best passages of a newsrag index for a query, as `NodeWithScore`s.

    `index_dir` defaults to RAG_INDEX_DIR (or `.rag`); `settings`, `embedder` or a whole
    `pipeline` may be given instead (tests pass fakes this way). Raises IndexMissingError
    when the index holds nothing yet.
    """

    def __init__(
        self,
        index_dir: str | Path | None = None,
        k: int = 5,
        *,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
        pipeline: Pipeline | None = None,
        **kwargs: Any,
    ) -> None:
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        if pipeline is None:
            from rag.pipeline import build_pipeline

            prepare_offline_caches()
            chosen = settings or load_settings()
            if index_dir is not None:
                chosen = chosen.with_overrides(index_dir=Path(index_dir))
            # Retrieval only: no answering model is built, whatever RAG_LLM says.
            chosen = chosen.with_overrides(llm="extractive")
            pipeline = build_pipeline(chosen, embedder=embedder)
        self.pipeline = pipeline
        self.k = k
        super().__init__(**kwargs)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        self.pipeline.refresh()  # articles another process ingested since
        hits = self.pipeline.retrieve(query_bundle.query_str, k=self.k)
        return [NodeWithScore(node=text_node(hit), score=hit.score) for hit in hits]
