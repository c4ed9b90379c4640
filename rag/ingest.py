"""Ingest: load → chunk → embed → store, under the index's write lock.

Crash safety comes from the order of writes: the store's generation is bumped first
(so readers rebuild BM25), then each batch writes its chunks and only then its article
records. An article without a record is redone by the next ingest, and chunks whose
article has no record (a crash between the two writes, then the file removed) are
swept at the end of every ingest.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from rag.chunk import chunk_article
from rag.config import Settings
from rag.embed import Embedder
from rag.errors import LockedError
from rag.load import discover, load_file
from rag.retrieve import BM25Index, passage_for_embedding
from rag.store import ChromaStore
from rag.types import Article, Chunk, IngestReport

ProgressFactory = Callable[[int, str], "Progress"]
_BATCH_CHUNKS = 1024  # chunks embedded and written per batch


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
        try:
            pid_file.unlink()
        except OSError:
            pass
        lock.release()


def _embed_batch(
    embedder: Embedder,
    items: Sequence[tuple[Article, list[Chunk]]],
    reusable: dict[str, np.ndarray],
) -> tuple[np.ndarray, int]:
    """Vectors for the chunks of `items`, reusing stored ones with the same content hash."""
    chunks = [c for _, cs in items for c in cs]
    vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
    todo = []
    for i, chunk in enumerate(chunks):
        cached = reusable.get(chunk.content_hash)
        if cached is not None and cached.shape == (embedder.dim,):
            vectors[i] = cached
        else:
            todo.append(i)
    if todo:
        vectors[todo] = embedder.embed([passage_for_embedding(chunks[i]) for i in todo])
    return vectors, len(todo)


def ingest(
    paths: Sequence[Path],
    settings: Settings,
    embedder_factory: Callable[[], Embedder],
    prune: bool = False,
    quiet: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Ingest files and folders into the index; see the contract in DESIGN.md."""
    started = time.perf_counter()
    files, ignored, failed_paths = discover(list(paths))
    failed: list[tuple[str, str]] = list(failed_paths)
    articles: list[Article] = []
    seen_ids: dict[str, str] = {}
    for source in files:
        result = load_file(source.path, source.article_id, source.root, settings.max_bytes)
        failed.extend(result.failed)
        for article in result.articles:
            if article.article_id in seen_ids:
                failed.append(
                    (article.source, f"duplicate article id {article.article_id!r} "
                     f"(also in {seen_ids[article.article_id]})")
                )
                continue
            seen_ids[article.article_id] = article.source
            articles.append(article)

    with write_lock(settings.index_dir, settings.lock_wait):
        store = ChromaStore(settings, create=True)
        known = store.article_hashes([a.article_id for a in articles])
        changed = [a for a in articles if known.get(a.article_id) != a.content_hash]
        skipped = len(articles) - len(changed)
        prune_ids: list[str] = []
        if prune:
            for given in paths:
                if given.is_dir():
                    root = str(given.resolve())
                    present = {a.article_id for a in articles if a.root == root}
                    present |= {sid for sid, src in seen_ids.items()}
                    prune_ids += [
                        aid for aid in store.article_ids_for_root(root) if aid not in present
                    ]
        orphans = store.orphan_article_ids()
        wrote = bool(changed or prune_ids or orphans)
        if wrote:
            store.bump_generation()

        embedded = 0
        chunked = [(a, chunk_article(a, settings.chunk_tokens, settings.chunk_overlap_sentences))
                   for a in articles]
        total_chunks = sum(len(cs) for _, cs in chunked)
        todo = [(a, cs) for a, cs in chunked if known.get(a.article_id) != a.content_hash]
        progress = Progress(sum(len(cs) for _, cs in todo), "embedding", quiet)
        batch: list[tuple[Article, list[Chunk]]] = []
        done = 0

        def flush() -> None:
            nonlocal embedded, done
            if not batch:
                return
            reusable = store.embeddings_by_hash(
                [a.article_id for a, _ in batch if a.article_id in known]
            )
            vectors, fresh = _embed_batch(embedder, batch, reusable)
            store.write_many(batch, vectors)
            embedded += fresh
            count = sum(len(cs) for _, cs in batch)
            done += count
            progress.update(count)
            if on_progress:
                on_progress(done, progress.bar.total or 0)
            batch.clear()

        embedder = embedder_factory() if todo else None
        pending = 0
        for article, chunks in todo:
            batch.append((article, chunks))
            pending += len(chunks)
            if pending >= _BATCH_CHUNKS:
                flush()
                pending = 0
        flush()
        progress.close()

        removed = store.delete_articles(prune_ids) if prune_ids else 0
        if orphans:
            store.delete_articles(orphans)
        if wrote or not (settings.index_dir / "bm25" / "ids.json").exists():
            BM25Index.build(list(store.iter_chunks()), store.generation()).save(
                settings.index_dir / "bm25"
            )

    return IngestReport(
        articles=len(articles),
        chunks=total_chunks,
        embedded=embedded,
        skipped=skipped,
        failed=tuple(failed),
        ignored=ignored,
        removed=removed,
        seconds=time.perf_counter() - started,
    )


def delete(article_ids: Sequence[str], settings: Settings) -> int:
    """Remove articles (and their chunks) by id; returns how many existed."""
    with write_lock(settings.index_dir, settings.lock_wait):
        store = ChromaStore(settings)
        store.bump_generation()
        removed = store.delete_articles(list(article_ids))
        BM25Index.build(list(store.iter_chunks()), store.generation()).save(
            settings.index_dir / "bm25"
        )
    return removed
