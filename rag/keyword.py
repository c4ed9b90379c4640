"""The keyword index: SQLite FTS5 over each chunk's content stems, updated in place.

Why FTS5 (measured, see README "Performance"): bm25s can only be rebuilt from every chunk,
so each ingest cost the writer, and then every reader, a full rebuild (25 s and 1.3 GB to
add one article to 100,000 passages). FTS5 ships with Python's sqlite3, ranks with
`bm25()`, and changes by article: an ingest deletes and inserts only the rows of the
articles it writes, in a transaction, and readers just query the same file (WAL mode:
they never block the writer and always see a committed state).

Text is indexed pre-stemmed with `rag.terms.content_stems` (PyStemmer, stopwords
dropped), the same analysis the answerer and the old BM25 used; the tokenizer keeps
`'` and `-` inside tokens so a stem such as `o'brien` stays one term.

Each row also carries the article's `published` day (days since 1970-01-01, NULL when
undated), so `since`/`until` filter the keyword side exactly as Chroma's `where` filters
the vector side.

State kept beside the rows: `generation`, the store generation this index was last
completed at (an ingest that finds it differs from the store's rebuilds it: a crash or
an index written by an older version), and `seq`, the store's change sequence this copy
has caught up with (a machine reading a Chroma server replays the store's change log
from there instead of rebuilding; see `rag.store.ChromaStore.changed_articles`).
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from rag.terms import content_stems
from rag.types import Chunk

FILENAME = "keyword.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS passages(
    id INTEGER PRIMARY KEY,
    chunk_id TEXT UNIQUE NOT NULL,
    article_id TEXT NOT NULL,
    day INTEGER
);
CREATE INDEX IF NOT EXISTS passages_article ON passages(article_id);
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(
    stems, tokenize="unicode61 remove_diacritics 0 tokenchars '-'''"
);
CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_EMPTY = "_empty_"


def passage_text(chunk: Chunk) -> str:
    """What the keyword index (and the embedder) sees of a chunk: title, then text."""
    return f"{chunk.title}\n{chunk.text}" if chunk.title else chunk.text


def published_day(published: str | None) -> int | None:
    """Days since 1970-01-01 of an ISO `published` value (its first ten characters)."""
    from rag.dates import day_number

    return day_number(published)


def _phrase(stem: str) -> str:
    return '"' + stem.replace('"', '""') + '"'


class KeywordIndex:
    """BM25 over chunk stems in an FTS5 table; one file per index (or in memory)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._db = self._connect()
        self._df_cache: dict[str, int] = {}
        self._count_cache: int | None = None
        self._version: int | None = None

    def _connect(self) -> sqlite3.Connection:
        target = ":memory:" if self.path is None else str(self.path)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(target, timeout=60.0, check_same_thread=False, isolation_level=None)
        if self.path is not None:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        db.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab USING fts5vocab(main, passages_fts, row)"
        )
        return db

    @classmethod
    def open(cls, index_dir: Path) -> KeywordIndex:
        return cls(index_dir / FILENAME)

    @staticmethod
    def exists(index_dir: Path) -> bool:
        return (index_dir / FILENAME).exists()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- state ---------------------------------------------------------------------------

    def _state(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_state(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO state(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    @property
    def generation(self) -> str:
        with self._lock:
            return self._state("generation") or ""

    @property
    def built(self) -> bool:
        """Whether this index was ever filled (by a rebuild or a completed ingest)."""
        with self._lock:
            return self._state("seq") is not None

    @property
    def seq(self) -> int:
        with self._lock:
            raw = self._state("seq")
        return int(raw) if raw and raw.lstrip("-").isdigit() else -1

    def mark(self, generation: str | None = None, seq: int | None = None) -> None:
        """Record the store generation and/or change sequence this index is complete at."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if generation is not None:
                    self._set_state("generation", generation)
                if seq is not None:
                    self._set_state("seq", str(seq))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # -- reading -------------------------------------------------------------------------

    def _fresh(self) -> None:
        """Drop cached counts when another connection committed (PRAGMA data_version)."""
        version = int(self._db.execute("PRAGMA data_version").fetchone()[0])
        if version != self._version:
            self._version = version
            self._df_cache.clear()
            self._count_cache = None

    def __len__(self) -> int:
        with self._lock:
            self._fresh()
            if self._count_cache is None:
                self._count_cache = int(
                    self._db.execute("SELECT count(*) FROM passages").fetchone()[0]
                )
            return self._count_cache

    @property
    def chunk_ids(self) -> list[str]:
        with self._lock:
            return [str(r[0]) for r in self._db.execute("SELECT chunk_id FROM passages")]

    def df(self, stem: str) -> int:
        with self._lock:
            self._fresh()
            cached = self._df_cache.get(stem)
            if cached is None:
                row = self._db.execute(
                    "SELECT doc FROM temp.vocab WHERE term = ?", (stem,)
                ).fetchone()
                cached = int(row[0]) if row else 0
                if len(self._df_cache) > 200_000:
                    self._df_cache.clear()
                self._df_cache[stem] = cached
            return cached

    def idf(self, stem: str) -> float:
        """Inverse document frequency of a stem over chunks (unseen stems weigh most)."""
        n = max(len(self), 1)
        df = self.df(stem)
        return float(math.log(1.0 + (n - df + 0.5) / (df + 0.5)))

    def search(
        self, query: str, k: int, since: int | None = None, until: int | None = None
    ) -> list[tuple[str, float]]:
        """The `k` best chunks for the query's stems by BM25 (higher is better), optionally
        only those published between days `since` and `until` (inclusive; undated excluded)."""
        stems = content_stems(query)
        if not stems or k <= 0:
            return []
        match = " OR ".join(_phrase(s) for s in stems)
        sql = (
            "SELECT p.chunk_id, bm25(passages_fts) AS score FROM passages_fts "
            "JOIN passages p ON p.id = passages_fts.rowid WHERE passages_fts MATCH ?"
        )
        args: list[object] = [match]
        if since is not None:
            sql += " AND p.day >= ?"
            args.append(since)
        if until is not None:
            sql += " AND p.day <= ?"
            args.append(until)
        sql += " ORDER BY score LIMIT ?"
        args.append(k)
        with self._lock:
            try:
                rows = self._db.execute(sql, args).fetchall()
            except sqlite3.OperationalError:
                return []  # a query FTS5 cannot parse finds nothing rather than failing
        return [(str(chunk_id), -float(score)) for chunk_id, score in rows]

    # -- writing -------------------------------------------------------------------------

    def _delete(self, article_ids: Iterable[str]) -> None:
        for article_id in article_ids:
            rows = self._db.execute(
                "SELECT id FROM passages WHERE article_id = ?", (article_id,)
            ).fetchall()
            for (rowid,) in rows:
                self._db.execute("DELETE FROM passages_fts WHERE rowid = ?", (rowid,))
            self._db.execute("DELETE FROM passages WHERE article_id = ?", (article_id,))

    def _insert(self, chunks: Iterable[Chunk]) -> None:
        for chunk in chunks:
            cursor = self._db.execute(
                "INSERT INTO passages(chunk_id, article_id, day) VALUES (?, ?, ?) "
                "ON CONFLICT(chunk_id) DO UPDATE SET article_id = excluded.article_id, "
                "day = excluded.day RETURNING id",
                (chunk.chunk_id, chunk.article_id, published_day(chunk.published)),
            )
            rowid = int(cursor.fetchone()[0])
            stems = " ".join(content_stems(passage_text(chunk))) or _EMPTY
            self._db.execute("DELETE FROM passages_fts WHERE rowid = ?", (rowid,))
            self._db.execute("INSERT INTO passages_fts(rowid, stems) VALUES (?, ?)", (rowid, stems))

    def replace_articles(
        self, article_ids: Sequence[str], chunks: Sequence[Chunk], seq: int | None = None
    ) -> None:
        """In one transaction: drop these articles' rows, insert `chunks` (their new ones)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._delete(article_ids)
                self._insert(chunks)
                if seq is not None:
                    self._set_state("seq", str(seq))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def delete_articles(self, article_ids: Sequence[str]) -> None:
        self.replace_articles(article_ids, [])

    def rebuild(self, chunks: Iterable[Chunk], generation: str = "", seq: int = -1) -> None:
        """Replace everything with `chunks` (first build, or repair after a crash)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM passages")
                self._db.execute("DELETE FROM passages_fts")
                self._insert(chunks)
                self._set_state("generation", generation)
                self._set_state("seq", str(seq))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("INSERT INTO passages_fts(passages_fts) VALUES ('optimize')")
