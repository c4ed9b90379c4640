"""Hybrid retrieval: vector search in Chroma plus BM25 over the same chunks, fused by
reciprocal rank fusion, near-duplicate passages collapsed.

The BM25 side is the keyword index (`rag.keyword`, SQLite FTS5 beside the Chroma index),
which ingest updates article by article; readers query the same file, so they see an
ingest as soon as it commits, without rebuilding anything. A date range filters both
sides (Chroma `where` on `published_day`, SQL on the keyword rows).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path

import numpy as np

from rag.articles import ArticleIndex, article_index_for
from rag.config import Settings
from rag.dates import DateRange, from_day_number
from rag.embed import Embedder
from rag.fusion import ARTICLE_POOL, RRF_K, Signals, fuse
from rag.keyword import RESCORE, KeywordIndex, passage_text
from rag.recency import cue_words, prefer_recent, recency_intent
from rag.store import ChromaStore, StoreVersion
from rag.terms import content_stems
from rag.types import Chunk, Hit
from rag.weights import retrieval_weights

__all__ = ["RRF_K", "Retriever", "catch_up", "near_duplicate", "ordered_hits"]


def passage_for_embedding(chunk: Chunk) -> str:
    """What we embed and index for a chunk: its title gives the passage its topic."""
    return passage_text(chunk)


def open_keyword_index(store: ChromaStore, index_dir: Path) -> KeywordIndex:
    """The keyword index beside the index, caught up with the store.

    Built from every chunk only when it was never built here (a new machine reading a
    Chroma server, or an index written by an older version); otherwise it is the same
    file the writer updates, and a machine reading a Chroma server replays the store's
    change log (`catch_up`). A read-only index folder gets an in-memory copy.
    """
    try:
        keyword = KeywordIndex.open(index_dir)
    except sqlite3.Error:
        keyword = KeywordIndex(None)
    try:
        catch_up(store, keyword)
    except sqlite3.OperationalError:
        keyword = KeywordIndex(None)  # read-only: answer from a private copy
        catch_up(store, keyword)
    return keyword


def catch_up(
    store: ChromaStore,
    keyword: KeywordIndex,
    shared: bool | None = None,
    seq: int | None = None,
) -> bool:
    """Bring `keyword` up to the store's change sequence; returns whether it changed.

    An embedded index shares its keyword file with the writer, which keeps it current, so
    only a never-built file is filled. With a Chroma server, each machine has its own file:
    it re-reads only the articles the change log lists since the sequence it last saw
    (deleted ones simply have no chunks now), never every chunk. `shared` (default: the
    store is a server) says the file is this machine's own copy; `seq` is the store's
    sequence when the caller has just read it.
    """
    shared = bool(store.settings.chroma_host) if shared is None else shared
    current = store.seq() if seq is None else seq
    if not keyword.built:
        keyword.rebuild(store.iter_chunks(), generation="", seq=current)
        return True
    if not shared or keyword.seq == current:
        return False
    changed = store.changed_articles(keyword.seq)
    if changed is None:
        keyword.rebuild(store.iter_chunks(), generation="", seq=current)
    else:
        keyword.replace_articles(changed, store.chunks_of_articles(changed), seq=current)
    return True


def near_duplicate(a: str, b: str) -> bool:
    """Same passage in all but a few words (syndicated copies, re-ingested variants)."""
    if a == b:
        return True
    sa, sb = set(content_stems(a)), set(content_stems(b))
    if not sa or not sb:
        return False
    return len(sa & sb) / len(sa | sb) >= 0.85


class Retriever:
    """Fuses vector and BM25 rankings; `mode` picks one of them for ablations."""

    def __init__(self, settings: Settings, store: ChromaStore, embedder: Embedder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.keyword = open_keyword_index(store, settings.index_dir)
        self.weights = retrieval_weights()
        self.articles: ArticleIndex | None = None  # built on the first hybrid search

    @property
    def bm25(self) -> KeywordIndex:
        """The keyword index (the BM25 side), under the name callers used before FTS5."""
        return self.keyword

    def refresh(self, version: StoreVersion | None = None) -> None:
        """Pick up an ingest made by another process: nothing to reload for an embedded
        index (the keyword file is shared); with a Chroma server, replay the change log;
        the article index catches up article by article and builds its matrix here, not
        in the next question. The store's seq and generation are read once for both (or
        `version`, when the caller has just read them)."""
        version = version or self.store.version()
        catch_up(self.store, self.keyword, seq=version.seq)
        if self.articles is not None:
            self.articles = article_index_for(self.store, self.articles, version)
            self.articles.warm()

    def now(self) -> date | None:
        """ "Now" for relative dates: the operator's setting, else the newest article's day."""
        if self.settings.now is not None:
            return self.settings.now
        newest = self.keyword.newest_day()
        return None if newest is None else from_day_number(newest)

    def retrieve(
        self,
        question: str,
        k: int | None = None,
        timings: dict[str, float] | None = None,
        dates: DateRange | None = None,
    ) -> tuple[list[Hit], np.ndarray]:
        """The top `k` hits for `question`, and the question's vector; with `dates`, only
        passages of articles published in that range. A recency question ("What is the
        latest on …?") puts the newest passages on its subject first (rag/recency.py) and
        is bounded to the window it names ("this week") when any article falls in it."""
        dates = dates if dates is not None and dates.bounded else None
        k = k or self.settings.top_k
        started = time.perf_counter()
        query_vector = self.embedder.embed([question])[0]
        embedded = time.perf_counter()
        intent = recency_intent(question)
        if intent is None:
            hits = self._fused(question, query_vector, k, max(self.settings.candidates, k), dates)
        else:
            pool = max(2 * self.settings.candidates, k)
            hits = []
            now = self.now()
            window = intent.dates(now) if now is not None else None
            if window is not None:
                bounded = _intersect(window, dates)
                if bounded is not None:
                    hits = self._fused(question, query_vector, pool, pool, bounded, cue_words())
            if not hits:
                hits = self._fused(question, query_vector, pool, pool, dates, cue_words())
            hits = prefer_recent(hits, question, self.keyword.idf, k)
        searched = time.perf_counter()
        if timings is not None:
            timings["embed_query"] = (embedded - started) * 1000
            timings["search"] = (searched - embedded) * 1000
        return hits, query_vector

    def _fused(
        self,
        question: str,
        query_vector: np.ndarray,
        k: int,
        pool: int,
        dates: DateRange | None,
        drop: frozenset[str] = frozenset(),
    ) -> list[Hit]:
        """Vector and keyword rankings of `pool` candidates each, fused; the top `k`."""
        mode = self.settings.retrieval
        vector_hits: list[tuple[Chunk, float]] = []
        if mode in ("hybrid", "vector"):
            vector_hits = self.store.query(query_vector, pool, dates)
        bm25_hits: list[tuple[str, float]] = []
        keyword_scores: dict[str, float] = {}
        if mode in ("hybrid", "bm25"):
            scored = self.keyword.search(  # scored anyway: the blend reads more than `pool`
                question,
                max(pool, RESCORE),
                since=dates.since_day if dates else None,
                until=dates.until_day if dates else None,
                drop=drop,
            )
            bm25_hits, keyword_scores = scored[:pool], dict(scored)
        chunks: dict[str, Chunk] = {c.chunk_id: c for c, _ in vector_hits}
        similarity: dict[str, float] = {c.chunk_id: s for c, s in vector_hits}
        missing = [cid for cid, _ in bm25_hits if cid not in chunks]
        if missing:
            chunks.update(self.store.get_chunks(missing))
        bm25_hits = [(cid, s) for cid, s in bm25_hits if cid in chunks]  # deleted since read
        vector_rank = {c.chunk_id: r for r, (c, _) in enumerate(vector_hits, start=1)}
        bm25_rank = {cid: r for r, (cid, _) in enumerate(bm25_hits, start=1)}
        hybrid = mode == "hybrid"
        articles: ArticleIndex | None = None
        if hybrid:  # whole-article evidence beside the passage rankings
            if self.articles is None:
                self.articles = article_index_for(self.store)
            articles = self.articles
        signals = gather_signals(
            vector_hits, bm25_hits, chunks, articles, question, query_vector, keyword_scores
        )
        fused, brought = fuse(
            signals,
            self.weights,
            lambda article_id: (
                None if articles is None else articles.closest_chunk(article_id, query_vector)
            ),
            articles=hybrid,
            vector_weight=None if hybrid else 1.0,
        )
        wanted = [cid for cid in fused if cid not in chunks]
        if wanted:
            chunks.update(self.store.get_chunks(wanted))
        for chunk_id in [cid for cid in fused if cid not in chunks]:
            del fused[chunk_id]  # brought in, but deleted since the article index read it
        return ordered_hits(fused, chunks, k, dates, vector_rank, bm25_rank, similarity)


def gather_signals(
    vector_hits: Sequence[tuple[Chunk, float]],
    bm25_hits: Sequence[tuple[str, float]],
    chunks: Mapping[str, Chunk],
    articles: ArticleIndex | None,
    question: str,
    query_vector: np.ndarray,
    keyword_scores: Mapping[str, float] | None = None,
) -> Signals:
    """One question's rankings as `rag.fusion.fuse` reads them, with the scores behind
    them (article rankings and scores only with an article index). `keyword_scores`: BM25
    of more passages than the ranking's (default: the ranking's own)."""
    article_of = {cid: chunk.article_id for cid, chunk in chunks.items()}
    if articles is None:
        return Signals(
            vector=tuple(c.chunk_id for c, _ in vector_hits),
            keyword=tuple(cid for cid, _ in bm25_hits),
            article_bm25=(),
            article_vector=(),
            article_of=article_of,
        )
    raw = articles.bm25_scores(question)
    best = max(raw.values(), default=0.0)
    by_keyword = sorted((a for a in raw if raw[a] > 0), key=lambda a: (-raw[a], a))
    candidates = set(article_of.values())
    by_vector, scaled_vector = articles.vector_scores(query_vector, candidates | set(raw))
    top = dict.fromkeys([*by_keyword[:ARTICLE_POOL], *by_vector])
    by_article = articles.passage_cosines([*candidates, *top], query_vector)
    cosines = {c: s for passages in by_article.values() for c, s in passages.items()}
    closest: dict[str, str] = {}
    for article in top:
        passages = by_article.get(article)
        if passages:
            closest[article] = nearest = max(passages, key=passages.__getitem__)
            article_of.setdefault(nearest, article)
    keyword = dict(bm25_hits) if keyword_scores is None else {**keyword_scores, **dict(bm25_hits)}
    return Signals(
        vector=tuple(c.chunk_id for c, _ in vector_hits),
        keyword=tuple(cid for cid, _ in bm25_hits),
        article_bm25=tuple(by_keyword[:ARTICLE_POOL]),
        article_vector=tuple(by_vector),
        article_of=article_of,
        keyword_score=keyword,
        vector_score=cosines or {c.chunk_id: s for c, s in vector_hits},
        article_keyword_score={a: s / best for a, s in raw.items()} if best > 0 else {},
        article_vector_score=scaled_vector,
        closest=closest,
    )


def ordered_hits(
    fused: Mapping[str, float],
    chunks: Mapping[str, Chunk],
    k: int,
    dates: DateRange | None,
    vector_rank: Mapping[str, int] | None = None,
    bm25_rank: Mapping[str, int] | None = None,
    similarity: Mapping[str, float] | None = None,
    similar: Callable[[str, str], bool] = near_duplicate,
) -> list[Hit]:
    """The best `k` fused passages, best first: near-duplicates of a better one (`similar`)
    and passages outside `dates` left out."""
    vector_rank = vector_rank or {}
    bm25_rank = bm25_rank or {}
    similarity = similarity or {}
    ordered = sorted(fused, key=lambda cid: -fused[cid])
    hits: list[Hit] = []
    for chunk_id in ordered:
        chunk = chunks[chunk_id]
        if dates is not None and not dates.contains(chunk.published):
            continue  # written between the keyword and the vector search, or stale
        if any(similar(chunk.text, h.chunk.text) for h in hits):
            continue
        hits.append(
            Hit(
                chunk=chunk,
                score=fused[chunk_id],
                vector_rank=vector_rank.get(chunk_id),
                bm25_rank=bm25_rank.get(chunk_id),
                similarity=similarity.get(chunk_id),
            )
        )
        if len(hits) >= k:
            break
    return hits


def _intersect(window: DateRange, dates: DateRange | None) -> DateRange | None:
    """The days in both ranges, or None when they do not overlap."""
    if dates is None:
        return window
    since = max((d for d in (window.since, dates.since) if d is not None), default=None)
    until = min((d for d in (window.until, dates.until) if d is not None), default=None)
    if since is not None and until is not None and since > until:
        return None
    return DateRange(since, until)
