"""Ingest: load → chunk → embed → store, under the index's write lock.

Crash safety comes from the order of writes: a marker file (`ingest.incomplete`) is
written and the store's generation bumped first, then each batch writes its rows of the
keyword index (one SQLite transaction), then its chunks, and only then its article
records; after the last write the generation is bumped again, the keyword index records
that generation as the one it is complete at, and the marker is removed. An article
without a record is redone by the next ingest; chunks whose article has no record (a
crash between the two writes, then the file removed) are swept; an ingest that finds the
marker redoes the sweep and the bumps even when no article changed; and one that finds
the keyword index not complete at the store's generation (a crash, or an index written
by an older version) rebuilds it from the store once. Otherwise the keyword index only
changes by the rows of the articles written or removed. `RAG_TEST_HOOK` (tests only)
kills or pauses an ingest at the named points below, so tests can crash real processes
at each of them.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rag.chunk import chunk_article
from rag.config import Settings
from rag.embed import Embedder
from rag.errors import LockedError, RagError
from rag.keyword import KeywordIndex
from rag.load import LoadResult, SourceFile, discover, load_file
from rag.retrieve import passage_for_embedding
from rag.store import RECORD_SCHEMA, ChromaStore
from rag.types import Article, Chunk, IngestReport
from rag.vector_cache import StoredVectors, fill, forget

if TYPE_CHECKING:
    from rag.feeds import WebResult
    from rag.fetch import Fetcher

ProgressFactory = Callable[[int, str], "Progress"]
# Chunks per batch: one is written while the next is embedded. Large, because the model
# pads each of its own batches to the longest text, and texts are sorted by length within
# an ingest batch only: small ingest batches leave more padding (and more Chroma calls).
_BATCH_CHUNKS = 2048
_JSONL_SOURCE = re.compile(r"\.jsonl:\d+$", re.IGNORECASE)
INCOMPLETE = "ingest.incomplete"  # present while an ingest writes; left behind by a crash
# Where RAG_TEST_HOOK can kill or pause an ingest, in the order they are passed.
HOOK_POINTS = ("locked", "generation", "embedded", "chunks", "written", "pruned", "final", "bm25")


def test_hook(settings: Settings, point: str) -> None:
    """For tests only: `kill@POINT` dies here with SIGKILL, `sleep:S@POINT` pauses S seconds."""
    if not settings.test_hook:
        return
    action, _, where = settings.test_hook.partition("@")
    if where != point:
        return
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action.startswith("sleep:"):
        time.sleep(float(action.split(":", 1)[1]))


class _HookBefore:
    """A Chroma collection whose `method` first passes a test hook point."""

    def __init__(self, inner: object, method: str, settings: Settings, point: str) -> None:
        self._inner, self._method, self._settings, self._point = inner, method, settings, point

    def __getattr__(self, name: str) -> object:
        if name == self._method:
            test_hook(self._settings, self._point)
        return getattr(self._inner, name)


class Progress:
    """A tqdm bar on stderr (silent when stderr is not a terminal and `quiet`)."""

    def __init__(self, total: int, label: str, quiet: bool = False) -> None:
        from tqdm import tqdm

        self.bar = tqdm(
            total=total, desc=label, unit="chunk", file=sys.stderr, disable=quiet, leave=False
        )

    def update(self, n: int) -> None:
        self.bar.update(n)

    def close(self) -> None:
        self.bar.close()


@contextmanager
def write_lock(index_dir: Path, wait: float) -> Iterator[None]:
    """The index's write lock; released by the OS if the holder dies (flock)."""
    from filelock import FileLock, Timeout

    index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(index_dir / "write.lock"))
    pid_file = index_dir / "write.lock.pid"
    try:
        lock.acquire(timeout=max(wait, 0))
    except Timeout:
        try:
            holder = pid_file.read_text().strip() or "?"
        except OSError:
            holder = "?"
        raise LockedError(
            f"index is locked by process {holder} (waited {wait:g} s; see --wait)"
        ) from None
    try:
        pid_file.write_text(str(os.getpid()))
        yield
    finally:
        with suppress(OSError):
            pid_file.unlink()
        lock.release()


def _embed_batch(
    embedder: Embedder,
    items: Sequence[tuple[Article, list[Chunk]]],
    reusable: dict[str, np.ndarray],
) -> tuple[np.ndarray, int]:
    """Vectors for the chunks of `items`, reusing stored ones with the same content hash."""
    chunks = [c for _, cs in items for c in cs]
    vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
    todo: dict[str, list[int]] = {}  # content hash -> rows: identical passages embed once
    for i, chunk in enumerate(chunks):
        cached = reusable.get(chunk.content_hash)
        if cached is not None and cached.shape == (embedder.dim,):
            vectors[i] = cached
        else:
            todo.setdefault(chunk.content_hash, []).append(i)
    if todo:
        rows = list(todo.values())
        fresh = embedder.embed([passage_for_embedding(chunks[r[0]]) for r in rows])
        for vector, same in zip(fresh, rows, strict=True):
            vectors[same] = vector
    return vectors, sum(len(same) for same in todo.values())


def ingest(
    paths: Sequence[Path],
    settings: Settings,
    embedder_factory: Callable[[], Embedder],
    prune: bool = False,
    quiet: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    urls: Sequence[str] = (),
    stop: threading.Event | None = None,
    allowed_hosts: tuple[str, ...] | None = None,
) -> IngestReport:
    """Ingest files, folders and URLs into the index; see the contract in DESIGN.md.

    URLs (pages, feeds, sitemaps) are fetched before the write lock is taken; `stop`
    (set by SIGTERM in `rag sync`) ends the fetching between articles, and what was
    fetched by then is still stored. With `allowed_hosts` (the chat window's "Add a URL",
    limited by RAG_FETCH_ALLOW) nothing is fetched from any other host, redirects included.
    """
    started = time.perf_counter()
    files, ignored, failed_paths = discover(list(paths))
    failed: list[tuple[str, str]] = list(failed_paths)
    articles: list[Article] = []
    seen_ids: dict[str, str] = {}
    web, fetcher = _fetch_urls(urls, settings, quiet, stop, allowed_hosts) if urls else (None, None)
    loaded = [load_file(f.path, f.article_id, f.root, settings.max_bytes) for f in files]
    if web is not None:
        failed.extend(web.failed)
        loaded.append(LoadResult(web.articles, []))
    for result in loaded:
        failed.extend(result.failed)
        for article in result.articles:
            if article.article_id in seen_ids:
                failed.append(
                    (
                        article.source,
                        f"duplicate article id {article.article_id!r} "
                        f"(also in {seen_ids[article.article_id]})",
                    )
                )
                continue
            seen_ids[article.article_id] = article.source
            articles.append(article)

    with write_lock(settings.index_dir, settings.lock_wait):
        test_hook(settings, "locked")
        store = ChromaStore(settings, create=True)
        keyword = KeywordIndex.open(settings.index_dir)
        # Complete at the store's generation, or rebuilt from the store at the end.
        keyword_complete = keyword.generation == store.generation()
        records = store.article_records([a.article_id for a in articles])
        known = {
            aid: str(meta.get("hash", ""))
            for aid, meta in records.items()
            if meta.get("schema") == RECORD_SCHEMA
        }
        changed = [a for a in articles if known.get(a.article_id) != a.content_hash]
        skipped = len(articles) - len(changed)
        # Pages that answered 304: unchanged articles the index already holds.
        not_modified = store.article_records(web.unchanged) if web is not None else {}
        skipped += len(not_modified)
        prune_ids = _prune_candidates(store, paths, files, articles, failed) if prune else []
        if prune and web is not None and not web.stopped:  # a listing cut short prunes nothing
            prune_ids += _prune_listed(store, web.listed)
        marker = settings.index_dir / INCOMPLETE
        # Orphans (chunks without an article record) only come from an ingest that died
        # mid-write, which leaves the marker: scanning every chunk's metadata for them on
        # each ingest would make adding one article cost as much as the whole index.
        orphans = store.orphan_article_ids() if marker.exists() else []
        wrote = bool(changed or prune_ids or orphans or marker.exists() or not keyword_complete)
        if wrote:
            marker.write_text(str(os.getpid()))
            store.bump_generation()
            test_hook(settings, "generation")
        if settings.test_hook.endswith("@chunks"):
            store.articles = _HookBefore(store.articles, "upsert", settings, "chunks")

        embedded = 0
        # Speed: only changed articles are chunked (unchanged ones count the chunks their
        # record stores), while the model loads in a second thread; each batch's write
        # to Chroma runs in a writer thread while the next batch is embedded.
        stored_counts = {
            a.article_id: records[a.article_id].get("chunks")
            for a in articles
            if a.article_id in records and known.get(a.article_id) == a.content_hash
        }
        to_chunk = [a for a in articles if not isinstance(stored_counts.get(a.article_id), int)]
        changed_ids = {a.article_id for a in changed}
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rag-ingest") as worker:
            loading = worker.submit(embedder_factory) if changed else None
            chunked = [
                (a, chunk_article(a, settings.chunk_tokens, settings.chunk_overlap_sentences))
                for a in to_chunk
            ]
            embedder = loading.result() if loading is not None else None
        total_chunks = sum(len(cs) for _, cs in chunked) + sum(
            n for n in stored_counts.values() if isinstance(n, int)
        )
        total_chunks += sum(int(meta.get("chunks") or 0) for meta in not_modified.values())
        todo = [(a, cs) for a, cs in chunked if a.article_id in changed_ids]
        progress = Progress(sum(len(cs) for _, cs in todo), "embedding", quiet)
        batch: list[tuple[Article, list[Chunk]]] = []
        done = 0
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rag-write")
        writing: Future[None] | None = None
        stored: list[StoredVectors] = []

        def answer_vectors(embedder: Embedder) -> StoredVectors:
            if not stored:
                stored.append(StoredVectors.writer(settings.index_dir, embedder))
            return stored[0]

        def flush() -> None:
            nonlocal embedded, done, writing
            if not batch:
                return
            reusable = store.embeddings_by_hash(
                [a.article_id for a, _ in batch if a.article_id in records]
            )
            assert embedder is not None  # loaded whenever an article changed
            vectors, fresh = _embed_batch(embedder, batch, reusable)
            # the answerer's sentences and words, stored before the chunks that hold them
            if settings.answer_vectors:
                fill(answer_vectors(embedder), embedder, {a.article_id: cs for a, cs in batch})
            if writing is not None:
                writing.result()  # batches are written in order; errors surface here
            test_hook(settings, "embedded")
            writing = writer.submit(_write_batch, store, keyword, list(batch), vectors)
            embedded += fresh
            count = sum(len(cs) for _, cs in batch)
            done += count
            progress.update(count)
            if on_progress:
                on_progress(done, progress.bar.total or 0)
            batch.clear()

        try:
            pending = 0
            for article, chunks in todo:
                batch.append((article, chunks))
                pending += len(chunks)
                if pending >= _BATCH_CHUNKS:
                    flush()
                    pending = 0
            flush()
            if writing is not None:
                writing.result()
        finally:
            writer.shutdown(wait=True)
            for opened in stored:
                opened.close()
        progress.close()
        test_hook(settings, "written")

        removed = _delete_articles(store, keyword, prune_ids, settings) if prune_ids else 0
        test_hook(settings, "pruned")
        # Orphans found before the writes may have been ingested just now: sweep only
        # the chunks whose article still has no record.
        if orphans:
            written = {a.article_id for a, _ in todo}
            leftover = [aid for aid in orphans if aid not in written]
            if leftover:
                _delete_articles(store, keyword, leftover, settings)
        if wrote:
            # A new generation after the last write: an embedded reader that reopened its
            # vector index mid-write sees it is stale and reopens again.
            seq = store.bump_generation()
            test_hook(settings, "final")
            _complete_keyword_index(store, keyword, keyword_complete, seq)
            shutil.rmtree(settings.index_dir / "bm25", ignore_errors=True)  # before FTS5
        test_hook(settings, "bm25")
        if wrote:
            marker.unlink(missing_ok=True)
        keyword.close()
        if web is not None and fetcher is not None:
            web.commit(fetcher)  # validators only once their articles are stored

    new_ids = {a.article_id for a in changed} - set(known)
    return IngestReport(
        articles=len(articles) + len(not_modified),
        chunks=total_chunks,
        embedded=embedded,
        skipped=skipped,
        failed=tuple(failed),
        ignored=ignored,
        removed=removed,
        seconds=time.perf_counter() - started,
        new=len(new_ids),
        changed=len(changed) - len(new_ids),
        stopped=bool(web is not None and web.stopped),
    )


def _fetch_urls(
    urls: Sequence[str],
    settings: Settings,
    quiet: bool,
    stop: threading.Event | None,
    allowed_hosts: tuple[str, ...] | None,
) -> tuple[WebResult, Fetcher]:
    """Fetch the URLs given (outside the write lock: fetching takes a while)."""
    from rag.feeds import collect
    from rag.fetch import CACHE_FILE, FetchCache, Fetcher

    cache = FetchCache(settings.index_dir / CACHE_FILE)
    fetcher = Fetcher(settings, cache, stop=stop, allowed_hosts=allowed_hosts)
    try:
        return collect(urls, fetcher, lambda ids: _indexed(settings, ids), quiet=quiet), fetcher
    finally:
        fetcher.close()  # the connections; its cache is committed after the writes


def _indexed(settings: Settings, article_ids: Iterable[str]) -> set[str]:
    """Which of these articles the index holds (none when there is no index yet)."""
    try:
        store = ChromaStore(settings)
        return set(store.article_records(sorted(article_ids)))
    except RagError:
        return set()


def _prune_listed(store: ChromaStore, listed: dict[str, set[str]]) -> list[str]:
    """Articles earlier ingests of these feeds/sitemaps produced that they no longer list.

    A listing part of which could not be read (a child sitemap failed) prunes nothing.
    """
    candidates: list[str] = []
    for root, present in listed.items():
        if "*" in present:
            continue
        candidates += [aid for aid in store.article_ids_for_root(root) if aid not in present]
    return candidates


def _write_batch(
    store: ChromaStore,
    keyword: KeywordIndex,
    items: Sequence[tuple[Article, Sequence[Chunk]]],
    vectors: np.ndarray,
) -> None:
    """Keyword rows first (so a crash never leaves Chroma chunks the keyword index lacks
    while their article looks complete), then chunks and article records."""
    keyword.replace_articles([a.article_id for a, _ in items], [c for _, cs in items for c in cs])
    store.write_many(items, vectors)


def _delete_articles(
    store: ChromaStore, keyword: KeywordIndex, article_ids: Sequence[str], settings: Settings
) -> int:
    keyword.delete_articles(article_ids)
    removed = store.delete_articles(article_ids)
    forget(settings.index_dir, article_ids)
    return removed


def _complete_keyword_index(
    store: ChromaStore, keyword: KeywordIndex, complete: bool, seq: int
) -> None:
    """Record the generation the keyword index is complete at; rebuild it from the store
    first only when it was not complete when this write began."""
    if complete:
        keyword.mark(generation=store.generation(), seq=seq)
    else:
        keyword.rebuild(store.iter_chunks(), generation=store.generation(), seq=seq)


def _prune_candidates(
    store: ChromaStore,
    paths: Sequence[Path],
    files: Sequence[SourceFile],
    articles: Sequence[Article],
    failed: Sequence[tuple[str, str]],
) -> list[str]:
    """Articles that earlier ingests of these folders produced and whose files are gone.

    Only folders given in this run are considered (folder B never prunes folder A). A file
    that exists but could not be read this time keeps its article; so do the records of
    a JSON Lines file that failed in whole or in part (their ids cannot be known).
    """
    present = {a.article_id for a in articles}
    present |= {f.article_id for f in files}
    failed_paths = {
        path.rsplit(":", 1)[0] if path.endswith(tuple("0123456789")) else path for path, _ in failed
    }
    candidates: list[str] = []
    for given in paths:
        if not given.is_dir():
            continue
        root = str(given.resolve())
        jsonl_failed = any(
            str(f.path) in failed_paths and f.path.suffix.lower() == ".jsonl"
            for f in files
            if f.root == root
        )
        for article_id in store.article_ids_for_root(root):
            if article_id in present:
                continue
            if jsonl_failed:
                stored = store.get_article(article_id)
                source = stored.source if stored else ""
                if "://" in source or _JSONL_SOURCE.search(source):
                    continue
            candidates.append(article_id)
    return candidates


def delete(article_ids: Sequence[str], settings: Settings) -> int:
    """Remove articles (and their chunks) by id; returns how many existed."""
    with write_lock(settings.index_dir, settings.lock_wait):
        store = ChromaStore(settings)
        keyword = KeywordIndex.open(settings.index_dir)
        complete = keyword.generation == store.generation()
        marker = settings.index_dir / INCOMPLETE
        marker.write_text(str(os.getpid()))
        store.bump_generation()
        removed = _delete_articles(store, keyword, list(article_ids), settings)
        seq = store.bump_generation()
        _complete_keyword_index(store, keyword, complete, seq)
        marker.unlink(missing_ok=True)
        keyword.close()
    return removed
