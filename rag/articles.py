"""Whole-article evidence for retrieval: which articles, as a whole, a question is about.

A question that paraphrases its article shares few words with any one passage, yet the
article as a whole (its title and all its passages) still holds many of them, and the
mean of its passage vectors still sits near the question. `ArticleIndex` ranks articles
by BM25 over title + text and by cosine to that mean vector, fused by reciprocal rank;
`fuse_articles` adds that ranking beside the passage rankings: every candidate passage
gains by its article's rank, and the best few articles with no passage among the
candidates bring their passage closest to the question.

The index is computed from what the store already holds (chunk texts, titles and stored
vectors; no embedding), in well under a second for a few thousand passages, and rebuilt
when the store's generation changes, like the passage BM25 index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rag.terms import content_stems
from rag.types import Chunk

RRF_K = 60
POOL = 10  # articles ranked per question
_PAGE = 1000


@dataclass(frozen=True, slots=True)
class ArticleIndex:
    generation: str
    article_ids: tuple[str, ...]
    chunk_ids: tuple[tuple[str, ...], ...]  # per article, in reading order
    chunk_vectors: tuple[np.ndarray, ...]  # per article: its passages' unit vectors (n × d)
    means: np.ndarray  # per article: unit mean of its passage vectors (articles × d)
    model: Any  # bm25s over article texts (None when empty)

    @classmethod
    def build(
        cls,
        chunks: Iterable[tuple[Chunk, np.ndarray | None]],
        generation: str,
    ) -> ArticleIndex:
        import bm25s

        grouped: dict[str, list[tuple[Chunk, np.ndarray | None]]] = {}
        for chunk, vector in chunks:
            grouped.setdefault(chunk.article_id, []).append((chunk, vector))
        ids = sorted(grouped)
        texts, chunk_ids, per_article, means = [], [], [], []
        dim = next((len(v) for g in grouped.values() for _, v in g if v is not None), 0)
        for article_id in ids:
            parts = sorted(grouped[article_id], key=lambda cv: cv[0].char_start)
            title = parts[0][0].title
            # the title twice: it names the topic the way a headline-reader asks about it
            texts.append(content_stems(f"{title}\n{title}\n" + "\n".join(c.text for c, _ in parts)))
            chunk_ids.append(tuple(c.chunk_id for c, _ in parts))
            vectors = np.array(
                [v if v is not None else np.zeros(dim) for _, v in parts], dtype=np.float32
            ).reshape(len(parts), dim)
            vectors = _unit(vectors)
            per_article.append(vectors)
            means.append(_unit(vectors.mean(axis=0, keepdims=True))[0] if dim else vectors)
        model = None
        if ids:
            model = bm25s.BM25()
            model.index([t or ["_empty_"] for t in texts], show_progress=False)
        return cls(
            generation,
            tuple(ids),
            tuple(chunk_ids),
            tuple(per_article),
            np.array(means, dtype=np.float32).reshape(len(ids), dim),
            model,
        )

    def rank(
        self,
        question: str,
        query_vector: np.ndarray | None,
        k: int = POOL,
        vector_weight: float = 0.5,
    ) -> list[str]:
        """Article ids, best first: BM25 over whole articles fused with the mean-vector
        cosine by reciprocal rank (the vector ranking weighing `vector_weight` against
        BM25's 1)."""
        if not self.article_ids or self.model is None:
            return []
        k = min(k, len(self.article_ids))
        fused: dict[int, float] = {}
        stems = [s for s in content_stems(question) if s in self.model.vocab_dict]
        if stems:
            docs, scores = self.model.retrieve([stems], k=k, show_progress=False, n_threads=1)
            ranked = [int(d) for d, s in zip(docs[0], scores[0], strict=False) if s > 0]
            for rank, i in enumerate(ranked, start=1):
                fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank)
        if query_vector is not None and self.means.size:
            similarity = self.means @ _unit(np.asarray(query_vector, dtype=np.float32)[None])[0]
            for rank, i in enumerate(np.argsort(-similarity)[:k].tolist(), start=1):
                fused[i] = fused.get(i, 0.0) + vector_weight / (RRF_K + rank)
        order = sorted(fused, key=lambda i: (-fused[i], i))[:k]
        return [self.article_ids[i] for i in order]

    def closest_chunk(self, article_id: str, query_vector: np.ndarray) -> str | None:
        """The article's passage nearest the question (its first when vectors are missing)."""
        try:
            i = self.article_ids.index(article_id)
        except ValueError:
            return None
        vectors = self.chunk_vectors[i]
        if not len(self.chunk_ids[i]):
            return None
        if not vectors.size:
            return self.chunk_ids[i][0]
        query = _unit(np.asarray(query_vector, dtype=np.float32)[None])[0]
        return self.chunk_ids[i][int(np.argmax(vectors @ query))]


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def chunks_with_vectors(collection: Any) -> Iterable[tuple[Chunk, np.ndarray | None]]:
    """Every chunk of a Chroma collection with its stored vector, page by page."""
    from rag.store import chunk_from_record

    offset = 0
    while True:
        page = collection.get(
            limit=_PAGE, offset=offset, include=["documents", "metadatas", "embeddings"]
        )
        ids = page["ids"]
        if not ids:
            return
        embeddings = page.get("embeddings")
        for i, chunk_id in enumerate(ids):
            vector = None if embeddings is None else np.asarray(embeddings[i], dtype=np.float32)
            doc = (page.get("documents") or [""] * len(ids))[i]
            meta = (page.get("metadatas") or [{}] * len(ids))[i]
            yield chunk_from_record(chunk_id, doc or "", meta or {}), vector
        offset += len(ids)


def fuse_articles(
    index: ArticleIndex,
    question: str,
    query_vector: np.ndarray,
    fused: dict[str, float],
    chunks: dict[str, Chunk],
    fetch: Callable[[Sequence[str]], dict[str, Chunk]],
    weight: float,
    bring: int,
    vector_weight: float = 0.5,
) -> None:
    """Add the article ranking to the passage scores in `fused` (in place): each passage
    gains weight / (RRF_K + its article's rank); the best `bring` articles with no
    passage among the candidates bring their passage nearest the question, scored as the
    weakest candidate plus its article's share."""
    if weight <= 0:
        return
    ranked = index.rank(question, query_vector, vector_weight=vector_weight)
    rank_of = {a: r for r, a in enumerate(ranked, start=1)}
    # A passage brought in scores as if it were the last passage candidate, plus its
    # article's share.
    floor = min(fused.values(), default=0.0)
    for chunk_id in list(fused):
        article = chunks[chunk_id].article_id
        if article in rank_of:
            fused[chunk_id] += weight / (RRF_K + rank_of[article])
    present = {chunks[c].article_id for c in fused}
    wanted: dict[str, float] = {}
    for article in ranked[:bring]:
        if article not in present:
            closest = index.closest_chunk(article, query_vector)
            if closest is not None:
                wanted[closest] = floor + weight / (RRF_K + rank_of[article])
    if wanted:
        found = fetch(list(wanted))
        for chunk_id, score in wanted.items():
            if chunk_id in found:
                chunks[chunk_id] = found[chunk_id]
                fused[chunk_id] = score


def article_index_for(store: Any, current: ArticleIndex | None = None) -> ArticleIndex:
    """The article index of the store as it is now (`current` when it is up to date)."""
    generation = store.generation()
    if current is not None and current.generation == generation:
        return current
    return ArticleIndex.build(chunks_with_vectors(store.chunks), generation)
