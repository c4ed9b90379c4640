"""Plain frozen values passed between the pipeline's stages.

Framework objects (Chroma results, LlamaIndex nodes) are converted into these at the edge
of `store.py` / `retrieve.py`; `Answer.to_json()` is the one place that shapes the JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Article:
    """One news article with its clean text (what offsets and quotes refer to)."""

    article_id: str
    title: str
    text: str
    published: str | None  # ISO date YYYY-MM-DD
    source: str  # path or URL it was read from
    root: str = ""  # the folder given to ingest, so --prune knows what it owns
    content_hash: str = ""


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage of an article: `text == article.text[char_start:char_end]`."""

    chunk_id: str  # "{article_id}#{n}"
    article_id: str
    n: int
    text: str
    char_start: int
    char_end: int
    title: str
    published: str | None
    source: str
    content_hash: str


@dataclass(frozen=True, slots=True)
class Hit:
    """A retrieved chunk with its fused score and the ranks that produced it."""

    chunk: Chunk
    score: float
    vector_rank: int | None = None
    bm25_rank: int | None = None
    similarity: float | None = None  # cosine similarity to the question, when known


@dataclass(frozen=True, slots=True)
class Citation:
    """A numbered citation: `quote` is the article's clean text at `char_start:char_end`."""

    n: int
    chunk_id: str
    article_id: str
    title: str
    published: str | None
    source: str
    quote: str
    char_start: int
    char_end: int
    score: float
    verified: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "chunk_id": self.chunk_id,
            "article_id": self.article_id,
            "title": self.title,
            "published": self.published,
            "source": self.source,
            "quote": self.quote,
            "char_start": self.char_start,
            "char_end": self.char_end,
            "score": round(float(self.score), 4),
            "verified": self.verified,
        }


@dataclass(frozen=True, slots=True)
class Dropped:
    """What the citation checker removed from a generated answer, and why (`verify.REASONS`)."""

    sentence: str  # the claim without its markers ("" when withheld: instruction-like text)
    reason: str  # "negation", "antonym", "speaker", "role", "number", "unsupported", ...
    n: int | None  # the passage number the model cited (as it numbered them), if one
    what: str  # "sentence" (the sentence was dropped) | "citation" (only this citation)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"sentence": self.sentence, "reason": self.reason, "what": self.what}
        if self.n is not None:
            body["n"] = self.n
        return body


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer whose `[n]` markers each have exactly one citation, and vice versa."""

    question: str
    answer: str
    citations: tuple[Citation, ...]
    refused: bool
    mode: str  # "extractive" | "llm" | "degraded"
    timings_ms: dict[str, float] = field(default_factory=dict)
    notice: str | None = None  # one line for the user, e.g. why an answer is degraded
    condensed_question: str | None = None  # the standalone question a follow-up became
    dropped: tuple[Dropped, ...] = ()  # what the citation checker removed (LLM answers)
    id: str | None = None  # this answer's id in the answer log (feedback refers to it)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "question": self.question,
            "answer": self.answer,
            "citations": [c.to_json() for c in self.citations],
            "refused": self.refused,
            "mode": self.mode,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }
        if self.notice:
            body["notice"] = self.notice
        if self.condensed_question and self.condensed_question != self.question:
            body["condensed_question"] = self.condensed_question
        if self.dropped:
            body["dropped"] = [d.to_json() for d in self.dropped]
        if self.id:
            body["id"] = self.id
        return body


@dataclass(frozen=True, slots=True)
class Turn:
    """One message of a conversation, as the chat UI and the API pass history."""

    role: str  # "user" | "assistant"
    content: str


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What one `rag ingest` run did (the contract's `--json` object)."""

    articles: int
    chunks: int
    embedded: int
    skipped: int
    failed: tuple[tuple[str, str], ...]
    ignored: int
    removed: int
    seconds: float
    # For `rag sync`'s round line (not in the contract's JSON): articles new to the
    # index, articles whose content changed, and whether a stop request cut it short.
    new: int = 0
    changed: int = 0
    stopped: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "chunks": self.chunks,
            "embedded": self.embedded,
            "skipped": self.skipped,
            "failed": [{"path": path, "error": error} for path, error in self.failed],
            "ignored": self.ignored,
            "removed": self.removed,
            "seconds": round(self.seconds, 3),
        }
