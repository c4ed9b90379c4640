"""The keyword index: SQLite FTS5 over each chunk's content stems, updated in place.

Why FTS5 (measured, see README "Performance"): bm25s can only be rebuilt from every chunk,
so each ingest cost the writer, and then every reader, a full rebuild (25 s and 1.3 GB to
add one article to 100,000 passages). FTS5 ships with Python's sqlite3, ranks with
`bm25()`, and changes by article: an ingest deletes and inserts only the rows of the
articles it writes, in a transaction, and readers just query the same file (WAL mode:
they never block the writer and always see a committed state).

Text is indexed pre-stemmed with `rag.terms.content_stems` (PyStemmer, stopwords
dropped), the same analysis the answerer and the old BM25 used; the tokenizer keeps
`'` and `-` inside tokens so a stem such as `o'brien` stays one term. FTS5 finds the
passages that share a stem with the question and ranks them with its `bm25()`; the best
`RESCORE` of them are then scored exactly as before (bm25s's Lucene variant: k1 1.5,
b 0.75, idf ln(1 + (N - df + 0.5) / (df + 0.5)), which unlike FTS5's never drops a common
term to zero), so rankings match the old engine's on the gold sets.

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
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rag.terms import content_stems
from rag.types import Chunk

FILENAME = "keyword.sqlite3"
SCHEMA_VERSION = 2  # PRAGMA user_version; a file with another version is rebuilt
K1, B = 1.5, 0.75  # bm25s's defaults (Lucene variant), the engine this one replaces
RESCORE = 200  # FTS5's best passages that are scored exactly
_SCHEMA = """
CREATE TABLE IF NOT EXISTS passages(
    id INTEGER PRIMARY KEY,
    chunk_id TEXT UNIQUE NOT NULL,
    article_id TEXT NOT NULL,
    day INTEGER,
    length INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS passages_article ON passages(article_id);
CREATE INDEX IF NOT EXISTS passages_day ON passages(day);
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
        self._total_length: int | None = None
        self._version: int | None = None

    def _connect(self) -> sqlite3.Connection:
        target = ":memory:" if self.path is None else str(self.path)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(target, timeout=60.0, check_same_thread=False, isolation_level=None)
        if self.path is not None:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version != SCHEMA_VERSION:
            # Another layout (or a new file): start empty; the next ingest or reader
            # finds it not built and fills it from the store.
            for table in ("passages_fts", "passages", "state"):
                db.execute(f"DROP TABLE IF EXISTS {table}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.executescript(_SCHEMA)
        db.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab USING fts5vocab(main, passages_fts, row)"
        )
        return db

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction (callers hold `_lock`): committed, or rolled back on error."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

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
        with self._lock, self._transaction():
            if generation is not None:
                self._set_state("generation", generation)
            if seq is not None:
                self._set_state("seq", str(seq))

    # -- reading -------------------------------------------------------------------------

    def _fresh(self) -> None:
        """Drop cached counts when another connection committed (PRAGMA data_version)."""
        version = int(self._db.execute("PRAGMA data_version").fetchone()[0])
        if version != self._version:
            self._version = version
            self._df_cache.clear()
            self._count_cache = None
            self._total_length = None

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

    def _average_length(self) -> float:
        if self._total_length is None:
            row = self._db.execute("SELECT coalesce(sum(length), 0) FROM passages").fetchone()
            self._total_length = int(row[0])
        return self._total_length / max(len(self), 1)

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

    def newest_day(self) -> int | None:
        """The publication day of the newest dated passage (days since 1970-01-01)."""
        with self._lock:
            row = self._db.execute("SELECT max(day) FROM passages").fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def search(
        self,
        query: str,
        k: int,
        since: int | None = None,
        until: int | None = None,
        drop: frozenset[str] = frozenset(),
    ) -> list[tuple[str, float]]:
        """The `k` best chunks for the query's stems by BM25 (higher is better), optionally
        only those published between days `since` and `until` (inclusive; undated excluded);
        words in `drop` are not searched for."""
        stems = content_stems(query, extra_stop=drop)
        if not stems or k <= 0:
            return []
        match = " OR ".join(_phrase(s) for s in dict.fromkeys(stems))
        sql = (
            "SELECT p.chunk_id, p.length, passages_fts.stems, p.id FROM passages_fts "
            "JOIN passages p ON p.id = passages_fts.rowid WHERE passages_fts MATCH ?"
        )
        args: list[object] = [match]
        if since is not None:
            sql += " AND p.day >= ?"
            args.append(since)
        if until is not None:
            sql += " AND p.day <= ?"
            args.append(until)
        sql += " ORDER BY bm25(passages_fts) LIMIT ?"
        args.append(max(RESCORE, k))
        with self._lock:
            try:
                rows = self._db.execute(sql, args).fetchall()
            except sqlite3.OperationalError:
                return []  # a query FTS5 cannot parse finds nothing rather than failing
            if not rows:
                return []
            average = self._average_length()
            idf = {s: self.idf(s) for s in set(stems)}
        scored: list[tuple[str, float, int]] = []
        for chunk_id, length, text, rowid in rows:
            counts: dict[str, int] = {}
            for token in str(text).split():
                counts[token] = counts.get(token, 0) + 1
            norm = K1 * ((1 - B) + B * int(length) / average)
            score = 0.0
            for stem in stems:  # repeated question words count again, as in bm25s
                tf = counts.get(stem, 0)
                if tf:
                    score += idf[stem] * tf / (norm + tf)
            if score > 0:
                scored.append((str(chunk_id), round(score, 9), int(rowid)))
        # Equal scores (copies of one passage): the later written first, as bm25s did.
        scored.sort(key=lambda item: (-item[1], -item[2]))
        return [(chunk_id, score) for chunk_id, score, _ in scored[:k]]

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
            stems = content_stems(passage_text(chunk)) or [_EMPTY]
            cursor = self._db.execute(
                "INSERT INTO passages(chunk_id, article_id, day, length) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(chunk_id) DO UPDATE SET article_id = excluded.article_id, "
                "day = excluded.day, length = excluded.length RETURNING id",
                (chunk.chunk_id, chunk.article_id, published_day(chunk.published), len(stems)),
            )
            rowid = int(cursor.fetchone()[0])
            self._db.execute("DELETE FROM passages_fts WHERE rowid = ?", (rowid,))
            self._db.execute(
                "INSERT INTO passages_fts(rowid, stems) VALUES (?, ?)", (rowid, " ".join(stems))
            )

    def replace_articles(
        self, article_ids: Sequence[str], chunks: Sequence[Chunk], seq: int | None = None
    ) -> None:
        """In one transaction: drop these articles' rows, insert `chunks` (their new ones)."""
        with self._lock, self._transaction():
            self._delete(article_ids)
            self._insert(chunks)
            if seq is not None:
                self._set_state("seq", str(seq))

    def delete_articles(self, article_ids: Sequence[str]) -> None:
        self.replace_articles(article_ids, [])

    def rebuild(self, chunks: Iterable[Chunk], generation: str = "", seq: int = -1) -> None:
        """Replace everything with `chunks` (first build, or repair after a crash)."""
        with self._lock:
            with self._transaction():
                self._db.execute("DELETE FROM passages")
                self._db.execute("DELETE FROM passages_fts")
                self._insert(chunks)
                self._set_state("generation", generation)
                self._set_state("seq", str(seq))
            self._db.execute("INSERT INTO passages_fts(passages_fts) VALUES ('optimize')")
