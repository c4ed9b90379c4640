"""rag/store.py: real embedded Chroma, cosine space, chunk ids as ids, idempotent upserts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.chunk import chunk_article
from rag.config import Settings
from rag.errors import IndexMissingError
from rag.store import ChromaStore
from rag.types import Article, Chunk
from tests.conftest import make_settings
from tests.fakes import HashEmbedder

TEXT = (
    "Estonia’s Prime Minister, Kaja Kallas, said this week that sending soldiers would not "
    "risk escalation.\n\nSome countries already have troops operating in Ukraine, she said."
)


def make_article(
    article_id: str = "world/kallas", text: str = TEXT, root: str = "/news"
) -> Article:
    from rag.load import make_article as build

    return build(article_id, "Kallas on troops", text, "2024-11-22", f"{article_id}.txt", root)


def vectors_for(chunks: list[Chunk]) -> np.ndarray:
    return HashEmbedder().embed([c.text for c in chunks])


@pytest.fixture
def store(tmp_path: Path) -> ChromaStore:
    return ChromaStore(make_settings(tmp_path / "index"), create=True)


def write(store: ChromaStore, article: Article, max_tokens: int = 160) -> list[Chunk]:
    chunks = chunk_article(article, max_tokens=max_tokens, overlap=0)
    store.write_article(article, chunks, vectors_for(chunks))
    return chunks


def test_opening_a_missing_index_raises_index_missing(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="rag ingest"):
        ChromaStore(make_settings(tmp_path / "nothing"))
    assert not (tmp_path / "nothing").exists()  # reading never creates an index


def test_chunks_collection_uses_cosine_space(store: ChromaStore) -> None:
    assert store.chunks.configuration["hnsw"]["space"] == "cosine"


def test_query_similarity_is_cosine_whatever_the_vector_length(store: ChromaStore) -> None:
    chunks = write(store, make_article())
    vector = vectors_for(chunks)[0]
    ((chunk, similarity),) = store.query(vector * 7.0, k=1)
    assert chunk.chunk_id == chunks[0].chunk_id
    assert similarity == pytest.approx(1.0, abs=1e-4)


def test_get_article_returns_the_clean_text_and_metadata(store: ChromaStore) -> None:
    article = make_article()
    write(store, article)
    stored = store.get_article("world/kallas")
    assert stored == article
    assert store.get_article("no/such") is None


def test_chunks_round_trip_with_ids_offsets_and_metadata(store: ChromaStore) -> None:
    article = make_article()
    chunks = write(store, article, max_tokens=25)
    assert len(chunks) == 2
    stored = store.get_chunks([c.chunk_id for c in chunks])
    assert set(stored) == {"world/kallas#0", "world/kallas#1"}
    for chunk in chunks:
        assert stored[chunk.chunk_id] == chunk
        assert article.text[chunk.char_start : chunk.char_end] == stored[chunk.chunk_id].text


def test_upserting_the_same_article_twice_changes_nothing(store: ChromaStore) -> None:
    article = make_article()
    write(store, article)
    before = (
        store.count_articles(),
        store.count_chunks(),
        sorted(c.chunk_id for c in store.iter_chunks()),
    )
    write(store, article)
    after = (
        store.count_articles(),
        store.count_chunks(),
        sorted(c.chunk_id for c in store.iter_chunks()),
    )
    assert before == after == (1, 1, ["world/kallas#0"])


def test_rewriting_a_shorter_article_leaves_no_stale_chunks(store: ChromaStore) -> None:
    write(store, make_article(), max_tokens=25)
    assert store.count_chunks() == 2
    write(store, make_article(text="Kallas said very little."), max_tokens=25)
    assert [c.chunk_id for c in store.iter_chunks()] == ["world/kallas#0"]
    stored = store.get_article("world/kallas")
    assert stored is not None and stored.text == "Kallas said very little."


def test_write_many_writes_articles_and_drops_their_stale_chunks(store: ChromaStore) -> None:
    write(store, make_article("a/one"), max_tokens=25)
    items = []
    for article_id in ("a/one", "a/two"):
        article = make_article(article_id, text=f"Short text of {article_id}.")
        items.append((article, chunk_article(article)))
    store.write_many(items, vectors_for([c for _, cs in items for c in cs]))
    assert sorted(c.chunk_id for c in store.iter_chunks()) == ["a/one#0", "a/two#0"]
    assert store.count_articles() == 2


def test_delete_articles_removes_them_and_their_chunks(store: ChromaStore) -> None:
    write(store, make_article("a/one"))
    write(store, make_article("a/two"))
    assert store.delete_articles(["a/one", "a/missing"]) == 1
    assert store.all_article_ids() == ["a/two"]
    assert {c.article_id for c in store.iter_chunks()} == {"a/two"}


def test_articles_are_found_by_the_folder_they_came_from(store: ChromaStore) -> None:
    write(store, make_article("a/one", root="/folder-a"))
    write(store, make_article("b/one", root="/folder-b"))
    assert store.article_ids_for_root("/folder-a") == ["a/one"]


def test_generation_changes_when_bumped(store: ChromaStore) -> None:
    first = store.generation()
    store.bump_generation()
    second = store.generation()
    store.bump_generation()
    assert len({first, second, store.generation()}) == 3


def test_open_store_sees_the_generation_another_writer_set(store: ChromaStore) -> None:
    reader = ChromaStore(store.settings)  # e.g. the chat UI, open while `rag ingest` runs
    before = reader.generation()
    write(store, make_article())
    store.bump_generation()
    assert reader.generation() == store.generation() != before


def test_stored_vectors_are_found_by_content_hash(store: ChromaStore) -> None:
    chunks = write(store, make_article())
    found = store.embeddings_by_hash(["world/kallas"])
    assert np.allclose(found[chunks[0].content_hash], vectors_for(chunks)[0], atol=1e-6)


def test_chunks_without_an_article_record_are_orphans(store: ChromaStore) -> None:
    article = make_article("a/crashed")
    chunks = chunk_article(article)
    store.write_article(article, chunks, vectors_for(chunks))
    store.articles.delete(ids=["a/crashed"])  # as if the ingest died between the two writes
    assert store.orphan_article_ids() == ["a/crashed"]


def test_list_articles_gives_metadata_and_chunk_counts(store: ChromaStore) -> None:
    write(store, make_article(), max_tokens=25)
    (row,) = store.list_articles()
    assert row["article_id"] == "world/kallas"
    assert row["title"] == "Kallas on troops" and row["published"] == "2024-11-22"
    assert row["chunks"] == 2


@pytest.mark.slow
def test_shipped_seed_article_is_stored_with_its_clean_text(corpus_index: Settings) -> None:
    from rag.load import load_file
    from tests.conftest import SEED

    stored = ChromaStore(corpus_index).get_article(SEED.stem)
    assert stored is not None
    loaded = load_file(SEED, SEED.stem, str(SEED.parent), 10**7).articles[0]
    assert stored.text == loaded.text
    assert "Must read" not in stored.text and "Latest article" not in stored.text
    assert (stored.title, stored.published) == (loaded.title, "2024-11-22")


def test_the_change_log_lists_articles_written_or_deleted_since_a_sequence(
    store: ChromaStore,
) -> None:
    start = store.bump_generation()
    write(store, make_article("a/one"))
    write(store, make_article("a/two"))
    middle = store.bump_generation()
    store.delete_articles(["a/one"])
    write(store, make_article("a/three"))
    assert sorted(store.changed_articles(start) or []) == ["a/one", "a/three", "a/two"]
    assert sorted(store.changed_articles(middle) or []) == ["a/one", "a/three"]
    assert store.changed_articles(store.bump_generation()) == []
    assert [c.article_id for c in store.chunks_of_articles(["a/one", "a/two"])] == ["a/two"]


def test_chunks_carry_a_published_day_that_where_filters_and_dated_queries_use(
    store: ChromaStore,
) -> None:
    from rag.dates import DateRange

    chunks = write(store, make_article())
    page = store.chunks.get(where={"published_day": {"$gte": 20049}}, include=["metadatas"])
    assert page["ids"] == [c.chunk_id for c in chunks]  # 2024-11-22 is day 20049
    vector = vectors_for(chunks)[0]
    assert store.query(vector, 5, DateRange.parse("2024-11-22", "2024-11-22"))
    assert store.query(vector, 5, DateRange.parse("2024-11-23", None)) == []


# -- a reader beside a writer (issue 15: a serve answering while an ingest writes) ----------

# Holds the exclusive lock a writer holds while it commits (or spills a big transaction)
# on a Chroma SQLite file, from a process of its own, for 4 s. (Not until told: in
# rollback mode Chroma waits for the lock holding Python's GIL, so this test process could
# not tell it.)
HOLD_WRITE_LOCK = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=5, isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(4)
db.execute("ROLLBACK")
"""


def _journal_mode(index_dir: Path) -> str:
    import subprocess
    import sys

    # Read from another process: this one's Chroma has the file open (see prefer_wal).
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys; print(sqlite3.connect(sys.argv[1])"
            ".execute('PRAGMA journal_mode').fetchone()[0])",
            str(index_dir / "chroma" / "chroma.sqlite3"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout.strip()


@pytest.fixture
def older_index(store: ChromaStore, tmp_path: Path) -> Path:
    """An index with one article, in SQLite's rollback-journal mode (as Chroma creates it
    and as older versions left it), that this process has not opened yet."""
    import shutil

    write(store, make_article())
    assert _journal_mode(store.settings.index_dir) == "delete"
    copy = tmp_path / "older"
    shutil.copytree(store.settings.index_dir, copy)
    return copy


def test_an_embedded_index_is_moved_to_sqlite_wal_mode_when_first_opened(
    older_index: Path,
) -> None:
    reader = ChromaStore(make_settings(older_index))
    assert reader.count_chunks() > 0
    assert _journal_mode(older_index) == "wal"


def test_a_reader_is_not_locked_out_while_another_process_holds_the_write_lock(
    older_index: Path,
) -> None:
    import subprocess
    import sys
    import threading
    import time

    reader = ChromaStore(make_settings(older_index))
    reader.count_chunks()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITE_LOCK, str(older_index / "chroma" / "chroma.sqlite3")],
        stdout=subprocess.PIPE,
        text=True,
    )
    took: list[float] = []

    def read() -> None:
        began = time.perf_counter()
        reader.count_chunks()
        reader.version()
        reader.get_chunks([f"{make_article().article_id}#0"])
        took.append(time.perf_counter() - began)

    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        thread = threading.Thread(target=read, daemon=True)
        thread.start()
        thread.join(timeout=3.0)
    finally:
        holder.wait(timeout=30)
    assert took and took[0] < 1.0, took


def test_the_version_is_the_seq_and_generation_read_together(store: ChromaStore) -> None:
    store.bump_generation()
    version = store.version()
    assert (version.seq, version.generation) == (store.seq(), store.generation())
    assert version.seq >= 1 and version.generation


def test_warming_a_store_runs_a_vector_search(store: ChromaStore) -> None:
    assert not store.warm()  # nothing to search yet
    write(store, make_article())
    assert store.warm()


def test_a_reader_waits_for_an_ingest_in_progress_before_reloading_its_vector_index(
    store: ChromaStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rag.store
    from rag.ingest import INCOMPLETE

    write(store, make_article())
    reader = ChromaStore(store.settings)
    marker = store.settings.index_dir / INCOMPLETE
    marker.write_text("1")  # an ingest is writing
    store.bump_generation()
    assert not reader.reopen_if_stale()  # it would load an index about to change again
    monkeypatch.setattr(rag.store, "DEFER_WHILE_WRITING_S", 0.0)
    assert reader.reopen_if_stale()  # waited long enough (or the writer died)
    monkeypatch.setattr(rag.store, "DEFER_WHILE_WRITING_S", 30.0)
    store.bump_generation()
    marker.unlink()  # the ingest ended
    assert reader.reopen_if_stale()
    assert reader.opened_generation == store.generation()
