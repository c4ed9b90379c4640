"""Chroma, the one store of chunks, vectors and article texts (embedded or a `chroma run` server).

Two collections: `chunks` (ids are chunk ids, cosine space, vectors we compute; Chroma's
own embedding function is never used because it downloads a model) and `articles`
(one record per article with its clean text and content hash, written *after* its
chunks, so an article whose record exists is complete). The `chunks` collection's
metadata carries a `generation` that changes on every write; the BM25 cache beside the
index compares it to know when it is stale.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from rag.config import Settings, prepare_offline_caches
from rag.errors import BackendError, IndexMissingError
from rag.types import Article, Chunk

CHUNKS = "chunks"
ARTICLES = "articles"
_PAGE = 5000
_WRITE_BATCH = 2000
_PLACEHOLDER_VECTOR = [1.0]  # the articles collection is looked up by id only


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
    return {
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
        else:
            try:
                self.chunks = self.client.get_collection(CHUNKS, embedding_function=None)
                self.articles = self.client.get_collection(ARTICLES, embedding_function=None)
            except Exception:
                raise IndexMissingError(
                    f"the index at {settings.index_dir} is empty: run `rag ingest PATH` first"
                ) from None
        # The generation this store's view of the index was read at (see reopen_if_stale).
        self.opened_generation = self.generation()

    def reopen_if_stale(self) -> bool:
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
        """
        if self.settings.chroma_host:
            return False
        current = self.generation()
        if current == self.opened_generation:
            return False
        from chromadb.api.shared_system_client import SharedSystemClient

        old = self.client
        identifier = SharedSystemClient._get_identifier_from_settings(old.get_settings())
        SharedSystemClient._identifier_to_system.pop(identifier, None)
        reopened = ChromaStore(self.settings)
        self.client = reopened.client
        self.chunks, self.articles = reopened.chunks, reopened.articles
        self.opened_generation = reopened.opened_generation
        # Only gives up this client's count on the old system: the new client counts on the
        # same path, so the count stays above zero and the new system is not stopped.
        old.close()
        return True

    # -- reading -----------------------------------------------------------------------

    def count_chunks(self) -> int:
        return int(self.chunks.count())

    def count_articles(self) -> int:
        return int(self.articles.count())

    def generation(self) -> str:
        # A collection object keeps the metadata it was fetched with; ask Chroma again so a
        # long-lived reader (UI, API) sees the ingests other processes made since.
        try:
            meta = self.client.get_collection(CHUNKS, embedding_function=None).metadata or {}
        except Exception:
            meta = self.chunks.metadata or {}
        return str(meta.get("generation", ""))

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

    def query(self, vector: np.ndarray, k: int) -> list[tuple[Chunk, float]]:
        """The `k` nearest chunks with their cosine similarity."""
        total = self.count_chunks()
        if total == 0:
            return []
        result = self.chunks.query(
            query_embeddings=[vector.tolist()],
            n_results=min(k, total),
            include=["documents", "metadatas", "distances"],
        )
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

    def bump_generation(self) -> None:
        """Mark the index changed (before writing, so a crash mid-write still shows)."""
        self.chunks.modify(metadata={"generation": uuid.uuid4().hex})

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
        self.articles.upsert(
            ids=[article.article_id],
            embeddings=[_PLACEHOLDER_VECTOR],
            documents=[article.text],
            metadatas=[
                {
                    "title": article.title,
                    "published": article.published or "",
                    "source": article.source,
                    "root": article.root,
                    "hash": article.content_hash,
                    "chunks": len(chunks),
                }
            ],
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
        for begin in range(0, len(items), _WRITE_BATCH):
            part_items = items[begin : begin + _WRITE_BATCH]
            self.articles.upsert(
                ids=[a.article_id for a, _ in part_items],
                embeddings=[_PLACEHOLDER_VECTOR for _ in part_items],
                documents=[a.text for a, _ in part_items],
                metadatas=[
                    {
                        "title": a.title,
                        "published": a.published or "",
                        "source": a.source,
                        "root": a.root,
                        "hash": a.content_hash,
                        "chunks": len(chunks),
                    }
                    for a, chunks in part_items
                ],
            )

    def delete_articles(self, article_ids: Sequence[str]) -> int:
        """Remove articles and all their chunks; returns how many articles existed."""
        existing = self.article_hashes(article_ids)
        for begin in range(0, len(article_ids), 500):
            part = list(article_ids[begin : begin + 500])
            self.chunks.delete(where={"article_id": {"$in": part}})
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
