"""Chroma, the one store of chunks, vectors and article texts (embedded or a `chroma run` server).

Two collections: `chunks` (ids are chunk ids, cosine space, vectors we compute; Chroma's
own embedding function is never used because it downloads a model) and `articles`
(one record per article with its clean text and content hash, written *after* its
chunks, so an article whose record exists is complete). The `chunks` collection's
metadata carries a `generation` that changes on every write (an embedded reader reopens
its vector index on a new one) and `seq`, a number the writer raises at the start and the
end of each write. A third collection, `changes`, is the change log: one record per
article written or deleted, tagged with the `seq` of that write, so a machine that keeps
its own keyword index next to a Chroma server catches up by re-reading only the articles
changed since the `seq` it last saw (`changed_articles`), never every chunk.

Each chunk's metadata has `published` (the ISO text) and, when dated, `published_day`
(days since 1970-01-01), because Chroma's `where` compares numbers only.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.config import Settings, prepare_offline_caches
from rag.dates import DateRange, day_number
from rag.errors import BackendError, IndexMissingError
from rag.types import Article, Chunk

CHUNKS = "chunks"
ARTICLES = "articles"
CHANGES = "changes"
# Written into each article record; a record without it (or an older value) was written
# by a version that stored less metadata, and its article is rewritten by the next ingest
# (reusing its stored vectors, so nothing is embedded again).
RECORD_SCHEMA = 2
_PAGE = 5000
_WRITE_BATCH = 2000
_PLACEHOLDER_VECTOR = [1.0]  # the articles collection is looked up by id only
# While an ingest writes (its marker, rag.ingest.INCOMPLETE, is in the index folder), an
# embedded reader that sees a new generation waits up to this long before reopening its
# vector index, so that one ingest costs it one reload (when the ingest ends) rather
# than two (one mid-write, loading an index that is about to change again); a long
# ingest is still seen this often, and a crashed one (marker left behind) this late.
DEFER_WHILE_WRITING_S = 30.0


@dataclass(frozen=True, slots=True)
class StoreVersion:
    """Where the index is in its history: the change sequence and the generation, read
    together from the chunks collection's metadata (one round trip)."""

    seq: int
    generation: str


def prefer_wal(database: Path) -> bool:
    """Put embedded Chroma's SQLite file in write-ahead-log mode; returns whether it is.

    Chroma leaves it in SQLite's default rollback-journal mode, where a writer that
    commits (or spills a big transaction to disk) locks every reader out: a running
    `rag serve` then waited seconds in Chroma's reads while `rag ingest` wrote, and some
    of Chroma's calls wait holding Python's GIL, so every other request stalled too
    (measured: 3.7 s and 4.2 s waits during a 10-article ingest into 100,000 passages).
    In WAL mode readers keep reading the last committed state while a writer writes. The
    mode is stored in the file, so this is done once per index; it is best effort (a
    read-only folder, or a file busy for longer than a moment, stays as it is).

    Only before this process's Chroma first opens the file: Chroma links its own copy of
    SQLite, and two copies with the same file open in one process undo each other's
    POSIX locks (the first one to close its descriptor drops the other's locks), so a
    file Chroma has opened here is never touched by Python's sqlite3 again.
    """
    key = str(database.resolve())
    if key in _OPENED_BY_CHROMA or not database.exists():
        return False
    try:
        db = sqlite3.connect(str(database), timeout=1.0)
        try:
            mode = db.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            return str(mode).lower() == "wal"
        finally:
            db.close()
    except sqlite3.Error:
        return False


# Chroma SQLite files this process has opened (see prefer_wal).
_OPENED_BY_CHROMA: set[str] = set()


def _published_out(value: Any) -> str | None:
    return str(value) if value else None


def chunk_from_record(chunk_id: str, document: str, meta: dict[str, Any]) -> Chunk:
    return Chunk(
        chunk_id=chunk_id,
        article_id=str(meta["article_id"]),
        n=int(meta["n"]),
        text=document,
        char_start=int(meta["char_start"]),
        char_end=int(meta["char_end"]),
        title=str(meta.get("title", "")),
        published=_published_out(meta.get("published")),
        source=str(meta.get("source", "")),
        content_hash=str(meta.get("hash", "")),
    )


def chunk_metadata(chunk: Chunk, root: str) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "article_id": chunk.article_id,
        "n": chunk.n,
        "char_start": chunk.char_start,
        "char_end": chunk.char_end,
        "title": chunk.title,
        "published": chunk.published or "",
        "source": chunk.source,
        "root": root,
        "hash": chunk.content_hash,
    }
    day = day_number(chunk.published)
    if day is not None:
        meta["published_day"] = day  # absent when undated: a date filter then excludes it
    return meta


def article_metadata(article: Article, chunks: int) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "title": article.title,
        "published": article.published or "",
        "source": article.source,
        "root": article.root,
        "hash": article.content_hash,
        "chunks": chunks,
        "schema": RECORD_SCHEMA,
    }
    day = day_number(article.published)
    if day is not None:
        meta["published_day"] = day
    return meta


class ChromaStore:
    """Reads and writes the index in Chroma; converts Chroma's results into our types."""

    def __init__(self, settings: Settings, create: bool = False) -> None:
        prepare_offline_caches()
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.settings = settings
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        try:
            if settings.chroma_host:
                self.client: Any = chromadb.HttpClient(
                    host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
                )
                self.client.heartbeat()
            else:
                path = settings.index_dir / "chroma"
                if not create and not path.exists():
                    raise IndexMissingError(
                        f"no index at {settings.index_dir}: run `rag ingest PATH` first"
                    )
                path.mkdir(parents=True, exist_ok=True)
                database = path / "chroma.sqlite3"
                prefer_wal(database)  # a new index is moved by the next process to open it
                _OPENED_BY_CHROMA.add(str(database.resolve()))
                self.client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        except IndexMissingError:
            raise
        except Exception as exc:
            where = settings.store_label
            raise BackendError(f"cannot open the Chroma store ({where}): {exc}") from None
        if create:
            self.chunks = self.client.get_or_create_collection(
                CHUNKS, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
            )
            self.articles = self.client.get_or_create_collection(ARTICLES, embedding_function=None)
            self.changes: Any = self.client.get_or_create_collection(
                CHANGES, embedding_function=None
            )
        else:
            try:
                self.chunks = self.client.get_collection(CHUNKS, embedding_function=None)
                self.articles = self.client.get_collection(ARTICLES, embedding_function=None)
            except Exception:
                raise IndexMissingError(
                    f"the index at {settings.index_dir} is empty: run `rag ingest PATH` first"
                ) from None
            try:
                self.changes = self.client.get_collection(CHANGES, embedding_function=None)
            except Exception:
                self.changes = None  # written by an older version: no change log yet
        # The generation this store's view of the index was read at (see reopen_if_stale).
        self.opened_generation = self.generation()
        self._reopen_lock = threading.Lock()
        self._reopening: threading.Thread | None = None
        self._stale_since: float | None = None  # when a write in progress was first seen

    def reopen_if_stale(self, wait: bool = True, generation: str | None = None) -> bool:
        """Re-read an embedded index from disk if another process wrote to it since it opened.

        Embedded Chroma keeps each collection's vector index in memory, in one system it
        shares between every client of a path in a process, and never re-reads the files
        another process (`rag ingest`) wrote: a long-running reader (API, Streamlit) would
        count and fetch the new chunks but its vector search would never return them
        (chroma-core/chroma#3792). On a new generation this drops that path's cached system,
        so the next client loads the index afresh, and moves this store onto a new client.
        Other clients of the old system keep working on it (a question being answered in
        another thread finishes) and it is freed with the last of them. A server sees every
        write, so a store on one never reopens. Returns whether it reopened.

        Either way the new client's vector index is loaded (by a first query) before it is
        swapped in, so no question pays for loading it (about a second at 100,000
        passages, more on a busy machine); questions in other threads keep being answered
        from the old one meanwhile. With `wait=False` the reopen runs in a background
        thread and this returns False at once: the reopen is under way. `generation` is
        the index's, when the caller has just read it.
        """
        if self.settings.chroma_host:
            return False
        current = self.generation() if generation is None else generation
        if current == self.opened_generation:
            self._stale_since = None
            return False
        if self._writer_busy():
            return False
        if not wait:
            with self._reopen_lock:
                if self._reopening is not None and self._reopening.is_alive():
                    return False
                self._reopening = threading.Thread(
                    target=self._reopen, kwargs={"warm": True}, daemon=True
                )
                self._reopening.start()
            return False
        self._reopen(warm=True)
        return True

    def _writer_busy(self) -> bool:
        """Whether an ingest is writing now and the reopen may wait for its end (for at
        most DEFER_WHILE_WRITING_S from when this reader first saw it writing)."""
        from rag.ingest import INCOMPLETE

        if not (self.settings.index_dir / INCOMPLETE).exists():
            self._stale_since = None
            return False
        now = time.monotonic()
        if self._stale_since is None:
            self._stale_since = now
        return now - self._stale_since < DEFER_WHILE_WRITING_S

    def _reopen(self, warm: bool) -> None:
        from chromadb.api.shared_system_client import SharedSystemClient

        old = self.client
        identifier = SharedSystemClient._get_identifier_from_settings(old.get_settings())
        SharedSystemClient._identifier_to_system.pop(identifier, None)
        reopened = ChromaStore(self.settings)
        if warm:
            reopened.warm()
        self.client = reopened.client
        self.chunks, self.articles = reopened.chunks, reopened.articles
        self.changes = reopened.changes
        self.opened_generation = reopened.opened_generation
        # Only gives up this client's count on the old system: the new client counts on the
        # same path, so the count stays above zero and the new system is not stopped.
        old.close()

    def warm(self) -> bool:
        """Load what a question's first vector search would load (the collection's vector
        index) by running one: its cost is paid here, not by a question. Returns whether
        it ran (a failure only leaves that cost to the first question)."""
        with contextlib.suppress(Exception):
            sample = self.chunks.get(limit=1, include=["embeddings"])
            vectors = sample.get("embeddings")
            if vectors is None or not len(vectors):
                return False
            self.chunks.count()
            self.chunks.query(
                query_embeddings=[np.asarray(vectors[0], dtype=np.float32).tolist()],
                n_results=1,
                include=["documents", "metadatas", "distances"],
            )
            return True
        return False

    # -- reading -----------------------------------------------------------------------

    def count_chunks(self) -> int:
        return int(self.chunks.count())

    def count_articles(self) -> int:
        return int(self.articles.count())

    def _chunks_metadata(self) -> dict[str, Any]:
        # A collection object keeps the metadata it was fetched with; ask Chroma again so a
        # long-lived reader (UI, API) sees the ingests other processes made since.
        try:
            meta = self.client.get_collection(CHUNKS, embedding_function=None).metadata or {}
        except Exception:
            meta = self.chunks.metadata or {}
        return dict(meta)

    def generation(self) -> str:
        return str(self._chunks_metadata().get("generation", ""))

    def seq(self) -> int:
        """The change sequence: raised at the start and at the end of every write."""
        return _seq_of(self._chunks_metadata())

    def version(self) -> StoreVersion:
        """The change sequence and the generation, from one read of the metadata."""
        meta = self._chunks_metadata()
        return StoreVersion(_seq_of(meta), str(meta.get("generation", "")))

    def changed_articles(self, since_seq: int) -> list[str] | None:
        """Ids of the articles written or deleted by writes at or after `since_seq`, from
        the change log; None when there is no log (an index from an older version)."""
        if self.changes is None:
            return None
        page = self.changes.get(where={"seq": {"$gte": since_seq}}, include=[])
        return list(page["ids"])

    def chunks_of_articles(self, article_ids: Sequence[str]) -> list[Chunk]:
        """The chunks these articles have now (none for a deleted one)."""
        found: list[Chunk] = []
        for begin in range(0, len(article_ids), 500):
            part = list(article_ids[begin : begin + 500])
            page = self.chunks.get(
                where={"article_id": {"$in": part}}, include=["documents", "metadatas"]
            )
            for chunk_id, doc, meta in zip(
                page["ids"], page["documents"] or [], page["metadatas"] or [], strict=False
            ):
                found.append(chunk_from_record(chunk_id, doc or "", meta or {}))
        return found

    def article_hashes(self, article_ids: Sequence[str]) -> dict[str, str]:
        records = self.article_records(article_ids)
        return {aid: str(meta.get("hash", "")) for aid, meta in records.items()}

    def article_records(self, article_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Stored metadata of these articles (hash, chunk count, title…), by id."""
        found: dict[str, dict[str, Any]] = {}
        for begin in range(0, len(article_ids), _PAGE):
            part = list(article_ids[begin : begin + _PAGE])
            page = self.articles.get(ids=part, include=["metadatas"])
            for article_id, meta in zip(page["ids"], page["metadatas"] or [], strict=False):
                found[article_id] = dict(meta or {})
        return found

    def article_ids_for_root(self, root: str) -> list[str]:
        page = self.articles.get(where={"root": root}, include=[])
        return list(page["ids"])

    def all_article_ids(self) -> list[str]:
        return [article_id for article_id, _ in self._paged(self.articles, include=[])]

    def article_texts(self, article_ids: Sequence[str]) -> dict[str, str]:
        """The whole stored text of these articles, by id (the citation checker resolves a
        passage's short names against its article)."""
        found: dict[str, str] = {}
        for begin in range(0, len(article_ids), _PAGE):
            part = list(article_ids[begin : begin + _PAGE])
            page = self.articles.get(ids=part, include=["documents"])
            for article_id, doc in zip(page["ids"], page["documents"] or [], strict=False):
                found[article_id] = doc or ""
        return found

    def get_article(self, article_id: str) -> Article | None:
        page = self.articles.get(ids=[article_id], include=["documents", "metadatas"])
        if not page["ids"]:
            return None
        meta = (page["metadatas"] or [{}])[0] or {}
        return Article(
            article_id=article_id,
            title=str(meta.get("title", "")),
            text=(page["documents"] or [""])[0] or "",
            published=_published_out(meta.get("published")),
            source=str(meta.get("source", "")),
            root=str(meta.get("root", "")),
            content_hash=str(meta.get("hash", "")),
        )

    def list_articles(self) -> list[dict[str, Any]]:
        """Title, date, source and chunk count of every article (no texts)."""
        rows = []
        for article_id, meta in self._paged(self.articles, include=["metadatas"]):
            rows.append({"article_id": article_id, **(meta or {})})
        return rows

    def _paged(self, collection: Any, include: list[str]) -> Iterator[tuple[str, Any]]:
        offset = 0
        while True:
            page = collection.get(limit=_PAGE, offset=offset, include=include)
            ids = page["ids"]
            if not ids:
                return
            metas = page.get("metadatas") or [None] * len(ids)
            docs = page.get("documents") or [None] * len(ids)
            for i, record_id in enumerate(ids):
                yield record_id, (metas[i], docs[i]) if "documents" in include else metas[i]
            offset += len(ids)

    def iter_chunks(self) -> Iterator[Chunk]:
        """Every chunk in the index (for building BM25)."""
        for chunk_id, (meta, document) in self._paged(self.chunks, ["documents", "metadatas"]):
            yield chunk_from_record(chunk_id, document or "", meta or {})

    def get_chunks(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        if not chunk_ids:
            return {}
        page = self.chunks.get(ids=list(chunk_ids), include=["documents", "metadatas"])
        return {
            chunk_id: chunk_from_record(chunk_id, doc or "", meta or {})
            for chunk_id, doc, meta in zip(
                page["ids"], page["documents"] or [], page["metadatas"] or [], strict=False
            )
        }

    def query(
        self, vector: np.ndarray, k: int, dates: DateRange | None = None
    ) -> list[tuple[Chunk, float]]:
        """The `k` nearest chunks with their cosine similarity (only chunks of articles
        published within `dates`, when it has a bound)."""
        total = self.count_chunks()
        if total == 0:
            return []
        where = dates.chroma_where() if dates is not None else None
        try:
            result = self.chunks.query(
                query_embeddings=[vector.tolist()],
                n_results=min(k, total),
                include=["documents", "metadatas", "distances"],
                **({"where": where} if where else {}),
            )
        except Exception as exc:
            if where and "no" in str(exc).lower() and "result" in str(exc).lower():
                return []  # nothing in the range
            raise
        hits = []
        for chunk_id, doc, meta, distance in zip(
            result["ids"][0],
            (result["documents"] or [[]])[0],
            (result["metadatas"] or [[]])[0],
            (result["distances"] or [[]])[0],
            strict=False,
        ):
            if not meta or "article_id" not in meta:
                # Deleted by another process since this store loaded its vector index
                # (until reopen_if_stale): the id is still in it, its record is gone.
                continue
            hits.append((chunk_from_record(chunk_id, doc or "", meta), 1.0 - float(distance)))
        return hits

    def embeddings_by_hash(self, article_ids: Iterable[str]) -> dict[str, np.ndarray]:
        """Stored vectors of these articles' chunks, keyed by chunk content hash."""
        ids = list(article_ids)
        if not ids:
            return {}
        page = self.chunks.get(
            where={"article_id": {"$in": ids}}, include=["embeddings", "metadatas"]
        )
        vectors: dict[str, np.ndarray] = {}
        embeddings = page.get("embeddings")
        if embeddings is None:
            return vectors
        for meta, vector in zip(page["metadatas"] or [], embeddings, strict=False):
            if meta and meta.get("hash"):
                vectors[str(meta["hash"])] = np.asarray(vector, dtype=np.float32)
        return vectors

    # -- writing (callers hold the write lock) -------------------------------------------

    def bump_generation(self) -> int:
        """Mark the index changed (before writing, so a crash mid-write still shows, and
        again after); returns the new change sequence, which the writes between tag."""
        seq = self.seq() + 1
        self.chunks.modify(metadata={"generation": uuid.uuid4().hex, "seq": seq})
        return seq

    def _log_changes(self, article_ids: Sequence[str]) -> None:
        """Tag these articles with the current change sequence in the change log."""
        if self.changes is None or not article_ids:
            return
        seq = self.seq()
        for begin in range(0, len(article_ids), _WRITE_BATCH):
            part = list(article_ids[begin : begin + _WRITE_BATCH])
            self.changes.upsert(
                ids=part,
                embeddings=[_PLACEHOLDER_VECTOR for _ in part],
                metadatas=[{"seq": seq} for _ in part],
            )

    def write_article(self, article: Article, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Upsert an article's chunks, drop its stale ones, then record the article."""
        new_ids = [c.chunk_id for c in chunks]
        for begin in range(0, len(chunks), _WRITE_BATCH):
            part = chunks[begin : begin + _WRITE_BATCH]
            self.chunks.upsert(
                ids=[c.chunk_id for c in part],
                embeddings=vectors[begin : begin + _WRITE_BATCH].tolist(),
                documents=[c.text for c in part],
                metadatas=[chunk_metadata(c, article.root) for c in part],
            )
        old = self.chunks.get(where={"article_id": article.article_id}, include=[])["ids"]
        stale = sorted(set(old) - set(new_ids))
        if stale:
            self.chunks.delete(ids=stale)
        self._log_changes([article.article_id])
        self.articles.upsert(
            ids=[article.article_id],
            embeddings=[_PLACEHOLDER_VECTOR],
            documents=[article.text],
            metadatas=[article_metadata(article, len(chunks))],
        )

    def write_many(
        self, items: Sequence[tuple[Article, Sequence[Chunk]]], vectors: np.ndarray
    ) -> None:
        """Write several articles with few round trips: all chunks, then all article records."""
        all_chunks = [c for _, chunks in items for c in chunks]
        roots = [article.root for article, chunks in items for _ in chunks]
        for begin in range(0, len(all_chunks), _WRITE_BATCH):
            part = all_chunks[begin : begin + _WRITE_BATCH]
            self.chunks.upsert(
                ids=[c.chunk_id for c in part],
                embeddings=vectors[begin : begin + _WRITE_BATCH].tolist(),
                documents=[c.text for c in part],
                metadatas=[
                    chunk_metadata(c, root)
                    for c, root in zip(part, roots[begin : begin + _WRITE_BATCH], strict=True)
                ],
            )
        article_ids = [article.article_id for article, _ in items]
        keep = {c.chunk_id for c in all_chunks}
        stale: list[str] = []
        for begin in range(0, len(article_ids), 500):
            old = self.chunks.get(
                where={"article_id": {"$in": article_ids[begin : begin + 500]}}, include=[]
            )["ids"]
            stale.extend(i for i in old if i not in keep)
        if stale:
            self.chunks.delete(ids=stale)
        self._log_changes(article_ids)
        for begin in range(0, len(items), _WRITE_BATCH):
            part_items = items[begin : begin + _WRITE_BATCH]
            self.articles.upsert(
                ids=[a.article_id for a, _ in part_items],
                embeddings=[_PLACEHOLDER_VECTOR for _ in part_items],
                documents=[a.text for a, _ in part_items],
                metadatas=[article_metadata(a, len(chunks)) for a, chunks in part_items],
            )

    def delete_articles(self, article_ids: Sequence[str]) -> int:
        """Remove articles and all their chunks; returns how many articles existed."""
        existing = self.article_hashes(article_ids)
        for begin in range(0, len(article_ids), 500):
            part = list(article_ids[begin : begin + 500])
            self.chunks.delete(where={"article_id": {"$in": part}})
            self._log_changes(part)
            self.articles.delete(ids=part)
        return len(existing)

    def orphan_article_ids(self) -> list[str]:
        """Article ids that have chunks but no article record (left by a crashed ingest)."""
        recorded = set(self.all_article_ids())
        seen: set[str] = set()
        for _, meta in self._paged(self.chunks, include=["metadatas"]):
            article_id = str((meta or {}).get("article_id", ""))
            if article_id and article_id not in recorded:
                seen.add(article_id)
        return sorted(seen)


def _seq_of(meta: dict[str, Any]) -> int:
    raw = meta.get("seq", 0)
    return int(raw) if isinstance(raw, int | float) else 0
