"""Vectors of the answerer's texts computed once: at ingest, kept beside the index.

A warm answer compares the question with its most promising candidate sentences and its
common words with the passages' words (MiniLM, `rag/answer/`); embedding them was ~80 %
of a warm `ask`. A vector is a pure function of the model and the text (a row's vector
does not depend on the batch it is embedded in: padding is masked, and the tests hold it
to exact equality), so vectors are kept by the text's hash and model name, and a kept
vector is the one the model would give, bit for bit:

- `StoredVectors` (`vectors.sqlite3` in the index folder): `rag ingest` stores the vectors
  of every sentence and word of each passage it writes (`answer_texts`), embedding only
  texts not stored yet; sentences are owned by their article, so a changed or deleted
  article's sentences go with it (words are a vocabulary shared by all articles and
  stay). Written before the article's chunks, so a crash leaves only vectors nobody
  reads yet. Readers open it read-only; with a Chroma server it is this machine's copy
  (another machine's reader finds no file and uses the model).
- `VectorCache`: what the answerer calls — recent vectors in memory, then the stored ones,
  then the model for the rest (the question's own words, an index written before this
  file existed: `python -m rag.vector_cache --index DIR` fills one).

Content addressing is what keeps it correct under incremental ingest, re-ingest of a
changed article, deletion and a serve's reload: a text either has its own vector or none.
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rag.chunk import chunk_sentences
from rag.embed import Embedder, Vectors
from rag.terms import STOPWORDS, words
from rag.types import Chunk

if TYPE_CHECKING:
    from rag.config import Settings

FILE = "vectors.sqlite3"
MEMORY = 20_000  # recent vectors kept in memory (a conversation revisits its articles)
_LOOKUP = 500  # keys per SQL lookup (SQLite's variable limit is far above)


def vocabulary(text: str) -> list[str]:
    """The words of `text` the answerer may compare by meaning: lower-cased, over two
    letters, not stop words, not numbers (a superset of what `rag/answer/meaning.py`'s
    `common_words` and the grounding check's `similar` embed from a passage)."""
    return list(
        dict.fromkeys(
            x.lower()
            for x in words(text)
            if len(x) > 2 and not x.isdigit() and x.lower() not in STOPWORDS
        )
    )


def answer_texts(chunks: Iterable[Chunk]) -> tuple[list[str], list[str]]:
    """The sentences and the words of the passages, each once."""
    sentences: dict[str, None] = {}
    vocab: dict[str, None] = {}
    for chunk in chunks:
        sentences.update(dict.fromkeys(chunk_sentences(chunk)))
        vocab.update(dict.fromkeys(vocabulary(f"{chunk.title}\n{chunk.text}")))
    return list(sentences), [w for w in vocab if w not in sentences]


def _key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


class StoredVectors:
    """Vectors by (model, text hash) in `vectors.sqlite3`; sentences owned by articles."""

    def __init__(self, path: Path, model: str, dim: int, write: bool = False) -> None:
        self.path = path
        self.model = model
        self.dim = dim
        self.write = write
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # a serve answers in several threads
        if write:
            self._db = sqlite3.connect(path, timeout=30, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(
                # a rowid table: 1.5 kB rows in a WITHOUT ROWID table take three times
                # the space (they spill to overflow pages)
                "CREATE TABLE IF NOT EXISTS vectors (model TEXT, key BLOB, vector BLOB,"
                " UNIQUE (model, key));"
                "CREATE TABLE IF NOT EXISTS owners (article TEXT, model TEXT, key BLOB,"
                " PRIMARY KEY (article, model, key)) WITHOUT ROWID;"
                "CREATE INDEX IF NOT EXISTS owners_key ON owners (model, key);"
            )
            self._db.commit()

    @classmethod
    def writer(cls, index_dir: Path, embedder: Embedder) -> StoredVectors:
        return cls(index_dir / FILE, embedder.name, embedder.dim, write=True)

    @classmethod
    def reader(cls, index_dir: Path, embedder: Embedder) -> StoredVectors:
        """Opened on first use, read-only; no file (yet) means no stored vectors."""
        return cls(index_dir / FILE, embedder.name, embedder.dim)

    def _connection(self) -> sqlite3.Connection | None:
        if self._db is None and self.path.exists():
            try:
                db = sqlite3.connect(
                    f"{self.path.resolve().as_uri()}?mode=ro",
                    uri=True,
                    timeout=5,
                    check_same_thread=False,
                )
                db.execute("SELECT 1 FROM vectors LIMIT 1")
                self._db = db
            except sqlite3.Error:
                return None
        return self._db

    def get(self, texts: Sequence[str]) -> dict[str, Vectors]:
        """The stored vectors of those of `texts` that have one."""
        if not texts:
            return {}
        with self._lock:
            return self._get(texts)

    def _get(self, texts: Sequence[str]) -> dict[str, Vectors]:
        db = self._connection()
        if db is None:
            return {}
        by_key = {_key(t): t for t in texts}
        keys = list(by_key)
        found: dict[str, Vectors] = {}
        try:
            for i in range(0, len(keys), _LOOKUP):
                part = keys[i : i + _LOOKUP]
                rows = db.execute(
                    f"SELECT key, vector FROM vectors WHERE model = ? AND key IN"
                    f" ({','.join('?' * len(part))})",
                    (self.model, *part),
                ).fetchall()
                for key, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape == (self.dim,):
                        found[by_key[key]] = vector
        except sqlite3.Error:
            return found  # unreadable now (e.g. being created): the model answers
        return found

    def missing(self, texts: Sequence[str]) -> list[str]:
        have = self.get(texts)
        return [t for t in texts if t not in have]

    def put(self, vectors: Mapping[str, Vectors], owners: Mapping[str, Sequence[str]]) -> None:
        """Store `vectors` (text → vector) and make each article of `owners` own exactly
        the listed texts (its sentences); texts an article owned before and no article owns
        now are removed."""
        db = self._require()
        with db:
            db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                (
                    (self.model, _key(t), np.asarray(v, dtype=np.float32).tobytes())
                    for t, v in vectors.items()
                ),
            )
            for article, texts in owners.items():
                old = _release(db, article)
                db.executemany(
                    "INSERT OR IGNORE INTO owners VALUES (?, ?, ?)",
                    ((article, self.model, _key(t)) for t in texts),
                )
                _drop_unowned(db, old)

    def _require(self) -> sqlite3.Connection:
        if self._db is None or not self.write:
            raise RuntimeError("stored vectors opened read-only")
        return self._db

    def count(self) -> int:
        db = self._connection()
        if db is None:
            return 0
        row = db.execute("SELECT COUNT(*) FROM vectors WHERE model = ?", (self.model,)).fetchone()
        return int(row[0])

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _release(db: sqlite3.Connection, article: str) -> list[tuple[str, bytes]]:
    """The article's owned (model, key)s, no longer owned by it."""
    old = db.execute("SELECT model, key FROM owners WHERE article = ?", (article,)).fetchall()
    db.execute("DELETE FROM owners WHERE article = ?", (article,))
    return [(str(m), bytes(k)) for m, k in old]


def _drop_unowned(db: sqlite3.Connection, keys: Sequence[tuple[str, bytes]]) -> None:
    db.executemany(
        "DELETE FROM vectors WHERE model = ? AND key = ? AND NOT EXISTS"
        " (SELECT 1 FROM owners WHERE owners.model = vectors.model"
        " AND owners.key = vectors.key)",
        keys,
    )


def forget(index_dir: Path, article_ids: Sequence[str]) -> None:
    """Remove the articles' sentences' vectors (of any model; those no other article holds
    too), when the articles are deleted."""
    path = index_dir / FILE
    if not path.exists() or not article_ids:
        return
    db = sqlite3.connect(path, timeout=30)
    try:
        with db:
            for article in article_ids:
                _drop_unowned(db, _release(db, article))
    finally:
        db.close()


def fill(stored: StoredVectors, embedder: Embedder, owners: Mapping[str, Sequence[Chunk]]) -> int:
    """Store the vectors of the sentences and words of each article's passages (`owners`:
    article id → its chunks), embedding only texts not stored yet; returns how many were
    embedded."""
    sentences_of = {
        article: list(dict.fromkeys(s for c in chunks for s in chunk_sentences(c)))
        for article, chunks in owners.items()
    }
    sentences, vocab = answer_texts(c for chunks in owners.values() for c in chunks)
    todo = stored.missing([*sentences, *vocab])
    fresh = dict(zip(todo, embedder.embed(todo), strict=True)) if todo else {}
    stored.put(fresh, sentences_of)
    return len(todo)


class VectorCache:
    """Vectors of texts: recent ones in memory, then stored ones, then the model's."""

    def __init__(self, embedder: Embedder, stored: StoredVectors | None = None) -> None:
        self.embedder = embedder
        self.stored = stored
        self.memory: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()  # a serve answers in several threads

    def __call__(self, texts: list[str]) -> Vectors:
        memory = self.memory
        found: dict[str, Vectors] = {}
        with self._lock:
            for t in texts:
                v = memory.get(t)
                if v is not None:
                    memory.move_to_end(t)
                    found[t] = v
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing and self.stored is not None:
            found.update(self.stored.get(missing))
            missing = [t for t in missing if t not in found]
        if missing:
            found.update(zip(missing, self.embedder.embed(missing), strict=True))
        with self._lock:
            for t in texts:
                if t not in memory:
                    memory[t] = found[t]
            while len(memory) > MEMORY:
                memory.popitem(last=False)  # least recently used
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.stack([found[t] for t in texts])


def fill_index(
    settings: Settings, embedder_factory: Callable[[], Embedder], articles_per_batch: int = 200
) -> int:
    """Store the answer vectors of every article already in the index (one written before
    `vectors.sqlite3` existed), under the index's write lock; returns texts embedded."""
    from rag.ingest import write_lock
    from rag.store import ChromaStore

    store = ChromaStore(settings)  # no index: IndexMissingError, before any folder is made
    with write_lock(settings.index_dir, settings.lock_wait):
        by_article: dict[str, list[Chunk]] = {}
        for chunk in store.iter_chunks():
            by_article.setdefault(chunk.article_id, []).append(chunk)
        if not by_article:
            return 0
        embedder = embedder_factory()
        stored = StoredVectors.writer(settings.index_dir, embedder)
        try:
            ids = sorted(by_article)
            return sum(
                fill(stored, embedder, {a: by_article[a] for a in ids[i : i + articles_per_batch]})
                for i in range(0, len(ids), articles_per_batch)
            )
        finally:
            stored.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rag.vector_cache",
        description="store the answer vectors of an index written before vectors.sqlite3",
    )
    parser.add_argument("--index", type=Path, help="index folder (default $RAG_INDEX_DIR)")
    args = parser.parse_args(argv)
    from rag.config import load_settings
    from rag.errors import RagError
    from rag.pipeline import build_embedder

    try:
        settings = load_settings(index_dir=args.index)
        embedded = fill_index(settings, lambda: build_embedder(settings))
    except RagError as error:
        print(f"rag: {error}", file=sys.stderr)
        return error.exit_code
    print(f"{embedded} sentences and words embedded into {settings.index_dir / FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
