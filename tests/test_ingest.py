"""rag/ingest.py: load → chunk → embed → store; unchanged articles cost nothing."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest

from rag.errors import LockedError
from rag.ingest import delete, ingest, write_lock
from rag.keyword import KeywordIndex
from rag.store import ChromaStore
from rag.types import IngestReport
from tests.conftest import CORPUS, SEED, make_settings
from tests.fakes import HashEmbedder, passages_embedded

LONG_BODY = "\n\n".join(
    f"Paragraph {i}: the council of town {i} debated the harvest, the river and the new bridge "
    f"for many hours before a vote was taken."
    for i in range(30)
)


class CountingFactory:
    """An embedder factory that remembers the embedders it made (to count embedded texts)."""

    def __init__(self) -> None:
        self.made: list[HashEmbedder] = []

    def __call__(self) -> HashEmbedder:
        self.made.append(HashEmbedder())
        return self.made[-1]

    def passages_embedded(self, index: Path) -> int:
        """Passages embedded (not the answerer's sentences and words, also embedded)."""
        return passages_embedded(self.made, list(store_of(index).iter_chunks()))


def write(folder: Path, name: str, title: str, body: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{title}\n\n{body}\n")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    news = tmp_path / "news"
    write(news, "short.txt", "Short story", "Rain fell on Perth. Farmers were pleased.")
    write(news, "world/long.txt", "Long story", LONG_BODY)
    shutil.copy(SEED, news / SEED.name)
    return news


def run(paths: list[Path], index: Path, **kwargs: object) -> tuple[IngestReport, CountingFactory]:
    factory = CountingFactory()
    report = ingest(paths, make_settings(index), factory, quiet=True, **kwargs)
    return report, factory


def store_of(index: Path) -> ChromaStore:
    return ChromaStore(make_settings(index))


def chunk_ids(index: Path) -> list[str]:
    return sorted(c.chunk_id for c in store_of(index).iter_chunks())


def test_first_ingest_embeds_every_chunk(folder: Path, tmp_path: Path) -> None:
    report, factory = run([folder], tmp_path / "index")
    assert report.articles == 3 and report.skipped == 0 and report.failed == ()
    assert report.embedded == report.chunks == factory.passages_embedded(tmp_path / "index")
    assert report.chunks > 3
    assert len(chunk_ids(tmp_path / "index")) == report.chunks


def test_reingesting_unchanged_articles_embeds_nothing(folder: Path, tmp_path: Path) -> None:
    first, _ = run([folder], tmp_path / "index")
    again, factory = run([folder], tmp_path / "index")
    assert (again.embedded, again.skipped, again.articles) == (0, 3, 3)
    assert again.chunks == first.chunks
    assert factory.made == []  # not even a model was loaded


def test_reingesting_the_shipped_corpus_unchanged_is_fast(tmp_path: Path) -> None:
    run([CORPUS], tmp_path / "index")
    started = time.perf_counter()
    again, factory = run([CORPUS], tmp_path / "index")
    seconds = time.perf_counter() - started
    assert (again.embedded, again.skipped) == (0, 301)
    assert factory.made == []
    assert seconds < 10  # about 1.5 s on an idle 2-core machine; generous for busy CI


def test_changed_article_is_reembedded_and_the_rest_skipped(folder: Path, tmp_path: Path) -> None:
    run([folder], tmp_path / "index")
    write(folder, "short.txt", "Short story", "Snow fell on Hobart. Skiers were pleased.")
    report, factory = run([folder], tmp_path / "index")
    assert report.skipped == 2
    assert report.embedded == 1 == factory.passages_embedded(tmp_path / "index")
    article = store_of(tmp_path / "index").get_article("short")
    assert article is not None and "Hobart" in article.text


def test_changed_long_article_reembeds_only_its_changed_chunks(
    folder: Path, tmp_path: Path
) -> None:
    first, _ = run([folder], tmp_path / "index")
    write(folder, "world/long.txt", "Long story", LONG_BODY + "\n\nA final word on the bridge.")
    report, _ = run([folder], tmp_path / "index")
    long_chunks = len([c for c in chunk_ids(tmp_path / "index") if c.startswith("world/long#")])
    assert long_chunks > 2
    assert 1 <= report.embedded < long_chunks


def test_shrunk_article_leaves_no_stale_chunks(folder: Path, tmp_path: Path) -> None:
    run([folder], tmp_path / "index")
    before = [c for c in chunk_ids(tmp_path / "index") if c.startswith("world/long#")]
    assert len(before) > 2
    write(folder, "world/long.txt", "Long story", "Only one short paragraph remains.")
    run([folder], tmp_path / "index")
    after = [c for c in chunk_ids(tmp_path / "index") if c.startswith("world/long#")]
    assert after == ["world/long#0"]
    store = store_of(tmp_path / "index")
    assert store.get_chunks(before[1:]) == {}


def test_ingesting_folder_b_keeps_folder_a(folder: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    write(other, "b-story.txt", "B story", "Wheat exports rose in March.")
    run([folder], tmp_path / "index")
    run([other], tmp_path / "index", prune=True)
    store = store_of(tmp_path / "index")
    assert sorted(store.all_article_ids()) == sorted(["b-story", "short", "world/long", SEED.stem])


def test_prune_removes_only_vanished_files_of_the_same_folder(folder: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    write(other, "b-story.txt", "B story", "Wheat exports rose in March.")
    run([folder], tmp_path / "index")
    run([other], tmp_path / "index")
    (folder / "short.txt").unlink()
    (other / "b-story.txt").unlink()  # gone too, but folder B is not being pruned
    write(other, "b-new.txt", "B new", "Not ingested yet.")
    report, _ = run([folder], tmp_path / "index", prune=True)
    assert report.removed == 1
    ids = store_of(tmp_path / "index").all_article_ids()
    assert sorted(ids) == sorted(["b-story", "world/long", SEED.stem])
    assert not [c for c in chunk_ids(tmp_path / "index") if c.startswith("short#")]


def test_without_prune_vanished_files_stay_indexed(folder: Path, tmp_path: Path) -> None:
    run([folder], tmp_path / "index")
    (folder / "short.txt").unlink()
    report, _ = run([folder], tmp_path / "index")
    assert report.removed == 0
    assert "short" in store_of(tmp_path / "index").all_article_ids()


def test_prune_keeps_articles_whose_files_still_exist_but_fail(
    folder: Path, tmp_path: Path
) -> None:
    run([folder], tmp_path / "index")
    (folder / "short.txt").write_bytes(b"")  # now unreadable, but not gone
    report, _ = run([folder], tmp_path / "index", prune=True)
    assert report.removed == 0 and report.failed
    assert "short" in store_of(tmp_path / "index").all_article_ids()


def test_delete_removes_articles_and_their_chunks(folder: Path, tmp_path: Path) -> None:
    run([folder], tmp_path / "index")
    settings = make_settings(tmp_path / "index")
    assert delete(["world/long", "no/such"], settings) == 1
    assert "world/long" not in store_of(tmp_path / "index").all_article_ids()
    assert not [c for c in chunk_ids(tmp_path / "index") if c.startswith("world/long#")]
    keyword = KeywordIndex.open(tmp_path / "index")
    assert not [c for c in keyword.chunk_ids if c.startswith("world/long#")]


def test_bad_jsonl_line_is_failed_as_file_colon_line_and_the_rest_ingested(tmp_path: Path) -> None:
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / "records.jsonl").write_text(
        json.dumps({"id": "rec-1", "title": "One", "text": "Wheat exports rose."})
        + "\n"
        + "{broken\n"
        + json.dumps({"id": "rec-2", "title": "Two", "text": "Rain fell."})
        + "\n"
    )
    report, _ = run([feed], tmp_path / "index")
    assert report.articles == 2
    assert [path for path, _ in report.failed] == [f"{feed / 'records.jsonl'}:2"]
    assert sorted(store_of(tmp_path / "index").all_article_ids()) == ["rec-1", "rec-2"]


def test_failed_and_ignored_files_are_reported_and_the_rest_ingested(
    folder: Path, tmp_path: Path
) -> None:
    (folder / "empty.txt").write_text("")
    (folder / ".DS_Store").write_bytes(b"\x00\x00")
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    report, _ = run([folder, tmp_path / "missing"], tmp_path / "index")
    assert report.articles == 3
    assert report.ignored == 2
    failed = dict(report.failed)
    assert set(failed) == {str(folder / "empty.txt"), str(tmp_path / "missing")}


def test_failed_file_does_not_lose_what_is_already_indexed(folder: Path, tmp_path: Path) -> None:
    run([folder], tmp_path / "index")
    (folder / "short.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    run([folder], tmp_path / "index")
    article = store_of(tmp_path / "index").get_article("short")
    assert article is not None and "Perth" in article.text


def test_file_over_max_bytes_is_failed_with_a_reason(folder: Path, tmp_path: Path) -> None:
    factory = CountingFactory()
    report = ingest(
        [folder], make_settings(tmp_path / "index", max_bytes=2000), factory, quiet=True
    )
    failed = dict(report.failed)
    assert "max-bytes" in failed[str(folder / "world" / "long.txt")]
    assert report.articles == 1  # the short story; the seed article is over 2 kB too


def test_keyword_index_is_saved_beside_chroma_complete_at_the_stores_generation(
    folder: Path, tmp_path: Path
) -> None:
    run([folder], tmp_path / "index")
    keyword = KeywordIndex.open(tmp_path / "index")
    assert keyword.generation == store_of(tmp_path / "index").generation()
    assert sorted(keyword.chunk_ids) == chunk_ids(tmp_path / "index")


def test_unchanged_reingest_keeps_the_generation(folder: Path, tmp_path: Path) -> None:
    run([folder], tmp_path / "index")
    before = store_of(tmp_path / "index").generation()
    run([folder], tmp_path / "index")
    assert store_of(tmp_path / "index").generation() == before


def test_second_writer_waits_then_fails_naming_the_lock_holder(tmp_path: Path) -> None:
    index = tmp_path / "index"
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with write_lock(index, wait=5):
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        started = time.perf_counter()
        with pytest.raises(LockedError, match=r"index is locked by process \d+"):
            ingest([tmp_path], make_settings(index, lock_wait=0.5), CountingFactory(), quiet=True)
        assert time.perf_counter() - started >= 0.4
    finally:
        release.set()
        holder.join()
    with write_lock(index, wait=1):  # released once the holder is done
        pass
