"""Whole-article evidence for retrieval: which articles, as a whole, a question is about.

A question that paraphrases its article shares few words with any one passage, yet the
article as a whole (its title and all its passages) still holds many of them, and the
mean of its passage vectors still sits near the question. `ArticleIndex` ranks articles
by BM25 over title + text and by cosine to that mean vector, fused by reciprocal rank;
`fuse_articles` adds that ranking beside the passage rankings: every candidate passage
gains by its article's rank, and the best few articles with no passage among the
candidates bring their passage closest to the question.

The index is computed from what the store already holds (chunk texts, titles and stored
vectors; no embedding) and kept up to date article by article: a reader that sees the
store change re-reads only the articles the store's change log lists since it last looked
(`article_index_for`), so adding ten articles to a big index costs ten articles, not the
whole index. BM25 here is the Lucene variant (k1 1.5, b 0.75) over an inverted index of
article stems that can take and drop articles one at a time.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rag.fusion import ARTICLE_POOL, RRF_K, add_articles, rank_articles
from rag.terms import content_stems
from rag.types import Chunk

__all__ = ["RRF_K", "ArticleIndex", "article_index_for", "fuse_articles", "chunks_with_vectors"]

POOL = ARTICLE_POOL  # articles ranked per question
K1, B = 1.5, 0.75  # BM25 (Lucene variant), as for passages
_PAGE = 1000


@dataclass(frozen=True, slots=True)
class _Article:
    chunk_ids: tuple[str, ...]  # in reading order
    vectors: np.ndarray  # its passages' unit vectors (n × d); empty when none are stored
    mean: np.ndarray | None  # unit mean of its passage vectors
    terms: Counter[str]  # stems of title (twice) and text
    length: int


def _article(parts: list[tuple[Chunk, np.ndarray | None]], dim: int) -> _Article:
    parts = sorted(parts, key=lambda cv: cv[0].char_start)
    title = parts[0][0].title
    # the title twice: it names the topic the way a headline-reader asks about it
    stems = content_stems(f"{title}\n{title}\n" + "\n".join(c.text for c, _ in parts))
    if dim:
        vectors = np.array(
            [v if v is not None else np.zeros(dim) for _, v in parts], dtype=np.float32
        ).reshape(len(parts), dim)
        vectors = _unit(vectors)
        mean: np.ndarray | None = _unit(vectors.mean(axis=0, keepdims=True))[0]
    else:
        vectors, mean = np.zeros((0, 0), dtype=np.float32), None
    return _Article(tuple(c.chunk_id for c, _ in parts), vectors, mean, Counter(stems), len(stems))


class ArticleIndex:
    """Articles ranked as wholes: BM25 over their words and cosine to their mean vector.

    Articles are added, replaced and dropped one at a time (`replace`); ranking and
    updates may run in different threads.
    """

    def __init__(self, generation: str = "", seq: int = -1) -> None:
        self.generation = generation
        self.seq = seq  # the store's change sequence this index has caught up with
        self._lock = threading.Lock()
        self._articles: dict[str, _Article] = {}
        self._postings: dict[str, dict[str, int]] = {}
        self._total_length = 0
        self._matrix: tuple[tuple[str, ...], np.ndarray] | None = None
        self._position: dict[str, int] = {}  # article id → its row of `_matrix`
        self._changes = 0  # raised by every replace (so `warm` knows its work is current)

    @classmethod
    def build(
        cls,
        chunks: Iterable[tuple[Chunk, np.ndarray | None]],
        generation: str,
        seq: int = -1,
    ) -> ArticleIndex:
        index = cls(generation, seq)
        index.replace(_grouped(chunks), ())
        return index

    @property
    def article_ids(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(sorted(self._articles))

    def replace(
        self, grouped: dict[str, list[tuple[Chunk, np.ndarray | None]]], removed: Iterable[str]
    ) -> None:
        """Put these articles in (replacing what they were) and drop the `removed` ones."""
        dim = next((len(v) for g in grouped.values() for _, v in g if v is not None), 0)
        fresh = {aid: _article(parts, dim) for aid, parts in grouped.items() if parts}
        with self._lock:
            for article_id in [*removed, *fresh]:
                old = self._articles.pop(article_id, None)
                if old is None:
                    continue
                self._total_length -= old.length
                for stem in old.terms:
                    posting = self._postings.get(stem)
                    if posting is not None:
                        posting.pop(article_id, None)
                        if not posting:
                            del self._postings[stem]
            for article_id, article in fresh.items():
                self._articles[article_id] = article
                self._total_length += article.length
                for stem, tf in article.terms.items():
                    self._postings.setdefault(stem, {})[article_id] = tf
            self._matrix = None
            self._changes += 1

    def warm(self) -> None:
        """Build the matrix of mean vectors now, outside the lock, so that the next question
        does not (a serve's background refresh calls this after catching up; a
        hundredth to a few tenths of a second at 45,000 articles)."""
        with self._lock:
            if self._matrix is not None:
                return
            changes = self._changes
            ids = tuple(a for a in sorted(self._articles) if self._articles[a].mean is not None)
            means = [self._articles[a].mean for a in ids]
        matrix = np.array(means, dtype=np.float32) if means else np.zeros((0, 0), np.float32)
        with self._lock:
            if self._changes == changes and self._matrix is None:
                self._matrix = (ids, matrix)
                self._position = {a: i for i, a in enumerate(ids)}

    def _means(self) -> tuple[tuple[str, ...], np.ndarray]:
        if self._matrix is None:
            ids = tuple(a for a in sorted(self._articles) if self._articles[a].mean is not None)
            means = [self._articles[a].mean for a in ids]
            matrix = np.array(means, dtype=np.float32) if means else np.zeros((0, 0), np.float32)
            self._matrix = (ids, matrix)
            self._position = {a: i for i, a in enumerate(ids)}
        return self._matrix

    def bm25_scores(self, question: str) -> dict[str, float]:
        """BM25 (Lucene variant) of every article sharing a stem with the question."""
        with self._lock:
            n = len(self._articles)
            if not n:
                return {}
            average = self._total_length / n or 1.0
            scores: dict[str, float] = {}
            for stem in content_stems(question):  # repeated question words count again
                posting = self._postings.get(stem)
                if not posting:
                    continue
                df = len(posting)
                idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
                for article_id, tf in posting.items():
                    norm = K1 * (1 - B + B * self._articles[article_id].length / average)
                    scores[article_id] = scores.get(article_id, 0.0) + idf * tf * (K1 + 1) / (
                        tf + norm
                    )
        return scores

    def bm25_ranking(self, question: str, k: int = POOL) -> list[str]:
        """The `k` articles with the best BM25 for the question, best first."""
        scores = self.bm25_scores(question)
        best = sorted((a for a in scores if scores[a] > 0), key=lambda a: (-scores[a], a))
        return best[:k]

    def vector_ranking(self, query_vector: np.ndarray | None, k: int = POOL) -> list[str]:
        """The `k` articles whose mean passage vector is nearest the question, best first."""
        if query_vector is None:
            return []
        with self._lock:
            ids, means = self._means()
        if not means.size:
            return []
        similarity = means @ _unit(np.asarray(query_vector, dtype=np.float32)[None])[0]
        return [ids[i] for i in np.argsort(-similarity, kind="stable")[:k].tolist()]

    def scaled_bm25_scores(self, question: str) -> dict[str, float]:
        """`bm25_scores` over the best article's (the best scores 1)."""
        scores = self.bm25_scores(question)
        best = max(scores.values(), default=0.0)
        return {a: s / best for a, s in scores.items()} if best > 0 else {}

    def vector_scores(
        self, query_vector: np.ndarray, wanted: Iterable[str] = (), k: int = POOL
    ) -> tuple[list[str], dict[str, float]]:
        """The `k` articles whose mean vector is nearest the question, best first, and the
        mean-vector cosine min-max scaled over all articles (nearest 1, farthest 0) of
        those and the `wanted` articles."""
        with self._lock:
            ids, means = self._means()
            position = self._position
        if not means.size:
            return [], {}
        similarity = means @ _unit(np.asarray(query_vector, dtype=np.float32)[None])[0]
        nearest = np.argsort(-similarity, kind="stable")[:k].tolist()
        low, high = float(similarity.min()), float(similarity.max())
        if high <= low:
            return [ids[i] for i in nearest], {}
        rows = {position[a] for a in wanted if a in position} | set(nearest)
        scaled = {ids[i]: float((similarity[i] - low) / (high - low)) for i in sorted(rows)}
        return [ids[i] for i in nearest], scaled

    def passage_cosines(
        self, article_ids: Iterable[str], query_vector: np.ndarray
    ) -> dict[str, dict[str, float]]:
        """Per article, the cosine to the question of each of its passages, in reading
        order (articles unknown here or without stored vectors are left out)."""
        query = _unit(np.asarray(query_vector, dtype=np.float32)[None])[0]
        out: dict[str, dict[str, float]] = {}
        with self._lock:
            articles = [(a, self._articles.get(a)) for a in dict.fromkeys(article_ids)]
        for article_id, article in articles:
            if article is None or not article.vectors.size:
                continue
            similarity = (article.vectors @ query).tolist()
            out[article_id] = dict(zip(article.chunk_ids, similarity, strict=True))
        return out

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
        with self._lock:
            k = min(k, len(self._articles))
        if k <= 0:
            return []
        return rank_articles(
            self.bm25_ranking(question, k), self.vector_ranking(query_vector, k), vector_weight, k
        )

    def closest_chunk(self, article_id: str, query_vector: np.ndarray) -> str | None:
        """The article's passage nearest the question (its first when vectors are missing)."""
        with self._lock:
            article = self._articles.get(article_id)
        if article is None or not article.chunk_ids:
            return None
        if not article.vectors.size:
            return article.chunk_ids[0]
        query = _unit(np.asarray(query_vector, dtype=np.float32)[None])[0]
        return article.chunk_ids[int(np.argmax(article.vectors @ query))]


def _grouped(
    chunks: Iterable[tuple[Chunk, np.ndarray | None]],
) -> dict[str, list[tuple[Chunk, np.ndarray | None]]]:
    grouped: dict[str, list[tuple[Chunk, np.ndarray | None]]] = {}
    for chunk, vector in chunks:
        grouped.setdefault(chunk.article_id, []).append((chunk, vector))
    return grouped


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def chunks_with_vectors(
    collection: Any, article_ids: Sequence[str] | None = None
) -> Iterable[tuple[Chunk, np.ndarray | None]]:
    """Every chunk of a Chroma collection (or of these articles) with its stored vector,
    page by page."""
    if article_ids is not None:
        for begin in range(0, len(article_ids), 500):
            part = list(article_ids[begin : begin + 500])
            yield from _records(
                collection.get(
                    where={"article_id": {"$in": part}},
                    include=["documents", "metadatas", "embeddings"],
                )
            )
        return
    offset = 0
    while True:
        page = collection.get(
            limit=_PAGE, offset=offset, include=["documents", "metadatas", "embeddings"]
        )
        if not page["ids"]:
            return
        yield from _records(page)
        offset += len(page["ids"])


def _records(page: Any) -> Iterable[tuple[Chunk, np.ndarray | None]]:
    from rag.store import chunk_from_record

    ids = page["ids"]
    embeddings = page.get("embeddings")
    documents = page.get("documents") or [""] * len(ids)
    metadatas = page.get("metadatas") or [{}] * len(ids)
    for i, chunk_id in enumerate(ids):
        vector = None if embeddings is None else np.asarray(embeddings[i], dtype=np.float32)
        yield chunk_from_record(chunk_id, documents[i] or "", metadatas[i] or {}), vector


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
    article_of = {chunk_id: chunk.article_id for chunk_id, chunk in chunks.items()}
    wanted = add_articles(
        fused,
        article_of,
        ranked,
        lambda article_id: index.closest_chunk(article_id, query_vector),
        weight,
        bring,
    )
    found = fetch(list(wanted)) if wanted else {}
    for chunk_id in wanted:
        if chunk_id in found:
            chunks[chunk_id] = found[chunk_id]
        else:
            del fused[chunk_id]


def article_index_for(
    store: Any, current: ArticleIndex | None = None, version: Any = None
) -> ArticleIndex:
    """The article index of the store as it is now: `current` when it is up to date,
    `current` brought up to date with the articles the store's change log lists since it
    last looked, or (first time, or an index with no change log) built from every chunk.
    `version` (a `rag.store.StoreVersion`) is the store's seq and generation when the
    caller has just read them (read here otherwise)."""
    if version is not None:
        seq, generation = int(version.seq), str(version.generation)
    else:
        seq = store.seq()  # before reading: a write that lands meanwhile is read next time
        generation = store.generation()
    if current is not None and current.seq == seq and current.generation == generation:
        return current
    if current is not None and current.seq >= 0:
        changed = store.changed_articles(current.seq)
        if changed is not None:
            grouped = _grouped(chunks_with_vectors(store.chunks, changed))
            current.replace(grouped, [a for a in changed if a not in grouped])
            current.generation, current.seq = generation, seq
            return current
    return ArticleIndex.build(chunks_with_vectors(store.chunks), generation, seq)
