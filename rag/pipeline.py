"""The one pipeline behind every front door: condense → retrieve → answer → (check).

`Pipeline` is built once per process (the CLI per command, Streamlit per server, the API
at start-up) by `build_pipeline`, the single factory that makes the embedder, the store
and the answerer from Settings. Tests pass fakes through the same factory.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from rag.answer import Answerer, Condenser, ExtractiveAnswerer
from rag.condense import condense
from rag.config import Settings
from rag.dates import DateRange
from rag.embed import Embedder, MiniLMEmbedder
from rag.errors import BackendError, BadInputError, IndexMissingError, RagError
from rag.recency import with_dates
from rag.retrieve import Retriever
from rag.store import ChromaStore
from rag.types import Answer, Hit, Turn
from rag.vector_cache import StoredVectors

# A typical question, so that warming up runs the answerer's usual paths.
WARM_UP_QUESTION = "What did the minister say about the plan?"


def build_embedder(settings: Settings) -> Embedder:
    return MiniLMEmbedder(batch_size=settings.embed_batch, threads=settings.embed_threads)


class Pipeline:
    """Answers questions against one index.

    Construction only assembles parts that are already open (it does no I/O);
    `build_pipeline` opens the index, checks it holds passages and warms the models.
    """

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        store: ChromaStore,
        retriever: Retriever,
        extractive: ExtractiveAnswerer,
        llm: Answerer | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.retriever = retriever
        self.extractive = extractive
        self.llm = llm

    def warm_up(self) -> None:
        """Load what the first question would otherwise load (the sentence splitter, the
        stemmer, the model's first run), so that no answer's timings include loading.
        Never spends a (possibly paid) LLM call: the extractive answerer runs."""
        hits, vector = self.retriever.retrieve(WARM_UP_QUESTION)
        self.extractive.answer(WARM_UP_QUESTION, hits, vector)

    @property
    def mode(self) -> str:
        return "llm" if self.llm is not None else "extractive"

    def refresh(self, wait: bool = True) -> None:
        """Pick up articles ingested by another process since this one started; with
        `wait=False` the vector index reloads in the background (a server's way)."""
        version = self.store.version()  # one read of the index's metadata serves both
        self.store.reopen_if_stale(wait, version.generation)  # the vector index (shared)
        self.retriever.refresh(version)  # the BM25 and article indexes
        self.extractive.idf = self.retriever.bm25.idf

    def standalone(self, question: str, history: Sequence[Turn]) -> str:
        if not history:
            return question
        if isinstance(self.llm, Condenser):
            try:
                condensed: str = self.llm.condense(question, history)
                return condensed
            except BackendError:
                pass  # the model's rewriting is a bonus; the offline rules suffice
            except RagError:
                raise  # a configuration error (wrong key) must be seen, not papered over
            except Exception:  # noqa: BLE001 - any other failure of the model's rewriting
                pass
        return condense(question, history)

    def retrieve(
        self, question: str, k: int | None = None, dates: DateRange | None = None
    ) -> list[Hit]:
        hits, _ = self.retriever.retrieve(question, k, dates=dates)
        return hits

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        k: int | None = None,
        on_token: Callable[[str], None] | None = None,
        dates: DateRange | None = None,
    ) -> Answer:
        """Answer one question; `on_token` receives the answer text as it is produced;
        `dates` keeps only articles published in that range (undated ones left out)."""
        question = question.strip()
        if not question:
            raise BadInputError("the question is empty")
        if len(question) > self.settings.max_question_chars:
            raise BadInputError(
                f"the question is {len(question)} characters long; "
                f"the limit is {self.settings.max_question_chars}"
            )
        timings: dict[str, float] = {}
        started = time.perf_counter()
        standalone = self.standalone(question, history)
        condensed = time.perf_counter()
        hits, query_vector = self.retriever.retrieve(standalone, k, timings, dates=dates)
        retrieved = time.perf_counter()
        searched = standalone if standalone != question else None
        if self.llm is not None:
            answer = self.llm.answer(
                question, hits, query_vector, searched, on_token, started=started
            )
        else:
            answer = self.extractive.answer(question, hits, query_vector, searched)
            if on_token is not None:
                for token in tokens_of(answer.answer):
                    on_token(token)
        answer = with_dates(answer, standalone)  # rag/recency.py: "On 26 November 2024, …"
        if not hits and dates is not None and dates.bounded:
            answer = replace(answer, notice=f"No articles were published {dates.describe()}.")
        finished = time.perf_counter()
        timings.update(
            {
                "condense": (condensed - started) * 1000,
                "retrieve": (retrieved - condensed) * 1000,
                "answer": (finished - retrieved) * 1000,
                "total": (finished - started) * 1000,
            }
        )
        return replace(answer, timings_ms={**answer.timings_ms, **timings})

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        k: int | None = None,
        dates: DateRange | None = None,
    ) -> Iterator[str | Answer]:
        """Tokens of the answer as they come, then the full Answer."""
        import queue
        import threading

        channel: queue.Queue[str | Answer | BaseException] = queue.Queue()

        def work() -> None:
            try:
                channel.put(self.ask(question, history, k, on_token=channel.put, dates=dates))
            except BaseException as exc:  # handed to the consumer, re-raised there
                channel.put(exc)

        threading.Thread(target=work, daemon=True).start()
        while True:
            item = channel.get()
            if isinstance(item, BaseException):
                raise item
            yield item
            if isinstance(item, Answer):
                return


def tokens_of(text: str) -> list[str]:
    """Split text into word-sized pieces that join back to it exactly."""
    import re

    return re.findall(r"\S+\s*|\s+", text)


def build_pipeline(
    settings: Settings,
    embedder: Embedder | None = None,
    llm: Answerer | None = None,
) -> Pipeline:
    """Make the embedder, store and answerer from Settings (the one factory), then warm up.

    `llm` replaces the generative answerer `RAG_LLM=openai` would make. Raises
    IndexMissingError when the index holds no passages yet.
    """
    store = ChromaStore(settings)
    if store.count_chunks() == 0:
        raise IndexMissingError(
            f"the index at {settings.index_dir} is empty: run `rag ingest PATH` first"
        )
    embedder = embedder or build_embedder(settings)
    retriever = Retriever(settings, store, embedder)
    stored = StoredVectors.reader(settings.index_dir, embedder)
    extractive = ExtractiveAnswerer(embedder, retriever.bm25.idf, stored=stored)
    if llm is None and settings.llm == "openai":
        from rag.llm import build_llm

        llm = build_llm(settings, embedder, extractive, store.article_texts)
    pipeline = Pipeline(settings, embedder, store, retriever, extractive, llm)
    pipeline.warm_up()
    return pipeline
