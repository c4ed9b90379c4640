"""rag/retrieve.py: hybrid vector + BM25 retrieval, fused, deduplicated; BM25 persisted."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from rag.config import Settings
from rag.ingest import ingest
from rag.keyword import FILENAME as keyword_file
from rag.keyword import KeywordIndex
from rag.pipeline import Pipeline, build_pipeline
from rag.retrieve import Retriever, catch_up, gather_signals, near_duplicate
from rag.store import ChromaStore
from tests.conftest import KALLAS, SEED
from tests.fakes import HashEmbedder

STORIES = {
    "farm.txt": (
        "Farmers welcome rain",
        "Heavy rain fell across the wheat belt on Monday. Farmers said the harvest would be saved.",
    ),
    "bridge.txt": (
        "Council approves bridge",
        "The Springfield council voted to build a new "
        "bridge over the river. The mayor said it would open next year.",
    ),
    "tennis.txt": (
        "Hopman Cup opens",
        "Spain beat Argentina in the Hopman Cup in Perth. Sanchez-Vicario won her singles match.",
    ),
}


@pytest.fixture
def news(seed_folder: Path) -> Path:
    for name, (title, body) in STORIES.items():
        (seed_folder / name).write_text(f"{title}\n\n{body}\n")
    return seed_folder


def fingerprint(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def retriever_for(settings: Settings) -> Retriever:
    return Retriever(settings, ChromaStore(settings), HashEmbedder())


# -- on the real model and the shipped corpus ---------------------------------------------------


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="reported: the seed's Kallas chunk is BM25 #1 but not among the 20 vector "
    "candidates (cosine 0.23), so lee/lee-204#1 (vector 16 + BM25 2) wins the rank fusion "
    "(the blend, retrieval.blend 1, puts it first; not adopted: see weights.json)",
)
def test_hybrid_returns_the_seed_article_first_for_the_kallas_question(
    corpus_pipeline: Pipeline,
) -> None:
    hits = corpus_pipeline.retrieve(KALLAS)
    assert hits[0].chunk.article_id == SEED.stem
    assert "Article 5" in hits[0].chunk.text


@pytest.mark.slow
def test_hybrid_keeps_the_seed_kallas_passage_among_the_top_hits(corpus_pipeline: Pipeline) -> None:
    hits = corpus_pipeline.retrieve(KALLAS)
    seed = [h for h in hits[:3] if h.chunk.article_id == SEED.stem]
    assert seed and "Article 5" in seed[0].chunk.text
    assert seed[0].bm25_rank == 1  # the only article naming Kallas


@pytest.mark.slow
def test_retrieval_returns_k_distinct_passages(corpus_pipeline: Pipeline) -> None:
    hits = corpus_pipeline.retrieve("bushfires in New South Wales", k=7)
    assert len(hits) == 7
    assert len({h.chunk.chunk_id for h in hits}) == 7
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


# -- with the hashing embedder ---------------------------------------------------------------


def test_hybrid_finds_the_passage_that_matches_the_words(
    fake_index: Callable[..., Settings], news: Path
) -> None:
    retriever = retriever_for(fake_index(news))
    hits, vector = retriever.retrieve("Which council voted to build a bridge?", k=3)
    assert hits[0].chunk.article_id == "bridge"
    assert vector.shape == (HashEmbedder.dim,)


def test_passage_in_both_rankings_is_fused_above_the_others(
    fake_index: Callable[..., Settings], news: Path
) -> None:
    retriever = retriever_for(fake_index(news))
    retriever.weights = replace(retriever.weights, blend=0)
    hits, _ = retriever.retrieve("Hopman Cup Perth Argentina", k=4)
    assert hits[0].chunk.article_id == "tennis"
    assert hits[0].vector_rank == 1 and hits[0].bm25_rank == 1
    # both passage rankings' first place, plus its article's first place (rag/articles.py)
    w = retriever.weights
    assert hits[0].score == pytest.approx((1 + w.vector + w.article) / (w.rrf_k + 1))
    # blended: the best BM25, the nearest cosine and the best article score, each scaled to 1
    retriever.weights = w = replace(w, blend=1)
    blended, _ = retriever.retrieve("Hopman Cup Perth Argentina", k=4)
    assert blended[0].chunk.chunk_id == hits[0].chunk.chunk_id
    assert blended[0].score == pytest.approx(w.blend_keyword + w.blend_vector + w.blend_article)


@pytest.mark.parametrize("mode", ["vector", "bm25"])
def test_single_mode_uses_only_its_own_ranking(
    fake_index: Callable[..., Settings], news: Path, mode: str
) -> None:
    settings = fake_index(news).with_overrides(retrieval=mode)
    hits, _ = retriever_for(settings).retrieve("Hopman Cup Perth Argentina", k=3)
    assert hits and hits[0].chunk.article_id == "tennis"
    if mode == "vector":
        assert all(h.bm25_rank is None and h.vector_rank for h in hits)
    else:
        assert all(h.vector_rank is None and h.bm25_rank for h in hits)


def test_near_duplicate_passages_are_collapsed(
    fake_index: Callable[..., Settings], news: Path
) -> None:
    shutil.copy(news / "tennis.txt", news / "tennis-syndicated.txt")
    retriever = retriever_for(fake_index(news))
    hits, _ = retriever.retrieve("Hopman Cup Perth Argentina", k=5)
    tennis = [h for h in hits if h.chunk.article_id.startswith("tennis")]
    assert len(tennis) == 1


def test_near_duplicate_means_almost_the_same_words() -> None:
    text = (
        "Spain beat Argentina in the Hopman Cup in Perth on Monday night, as thousands of fans "
        "cheered loudly and the players thanked the organisers for a memorable tournament."
    )
    assert near_duplicate(text, text.replace("Monday", "Tuesday"))
    assert not near_duplicate(text, "The council voted to build a new bridge over the river.")


def data_version(index_dir: Path) -> int:
    """SQLite's count of commits by other connections to the keyword file, seen from one."""
    with sqlite3.connect(index_dir / keyword_file) as db:
        return int(db.execute("PRAGMA data_version").fetchone()[0])


def rowids(index_dir: Path) -> dict[str, int]:
    with sqlite3.connect(index_dir / keyword_file) as db:
        return {cid: rid for cid, rid in db.execute("SELECT chunk_id, id FROM passages")}


def test_keyword_index_is_kept_under_the_index_complete_at_the_stores_generation(
    fake_index: Callable[..., Settings], news: Path
) -> None:
    settings = fake_index(news)
    store = ChromaStore(settings)
    keyword = KeywordIndex.open(settings.index_dir)
    assert keyword.generation == store.generation() and keyword.seq == store.seq()
    assert sorted(keyword.chunk_ids) == sorted(c.chunk_id for c in store.iter_chunks())
    assert keyword.search("Hopman Cup", 1)[0][0].startswith("tennis#")


def test_new_pipeline_opens_the_keyword_index_without_writing_to_it(
    fake_index: Callable[..., Settings], news: Path
) -> None:
    settings = fake_index(news)
    watcher = sqlite3.connect(settings.index_dir / keyword_file)
    before = int(watcher.execute("PRAGMA data_version").fetchone()[0])
    pipeline = build_pipeline(settings, embedder=HashEmbedder())
    assert pipeline.retrieve("Hopman Cup Perth")[0].chunk.article_id == "tennis"
    assert int(watcher.execute("PRAGMA data_version").fetchone()[0]) == before
    watcher.close()


def test_ingesting_one_more_article_rewrites_only_its_keyword_rows(
    fake_index: Callable[..., Settings], news: Path, tmp_path: Path
) -> None:
    settings = fake_index(news)
    before = rowids(settings.index_dir)
    later = tmp_path / "later"
    later.mkdir()
    (later / "cyclone.txt").write_text("Cyclone Tracy\n\nA cyclone struck Darwin overnight.\n")
    ingest([later], settings, HashEmbedder, quiet=True)
    after = rowids(settings.index_dir)
    assert {cid: after[cid] for cid in before} == before  # no other row was rebuilt
    assert [cid for cid in after if cid not in before] == ["cyclone#0"]


def test_changed_article_replaces_its_keyword_rows(
    fake_index: Callable[..., Settings], news: Path
) -> None:
    settings = fake_index(news)
    (news / "tennis.txt").write_text("Hopman Cup closes\n\nSwitzerland won the final in Perth.\n")
    ingest([news], settings, HashEmbedder, quiet=True)
    keyword = KeywordIndex.open(settings.index_dir)
    assert keyword.search("Argentina Sanchez-Vicario", 5) == []
    assert keyword.search("Switzerland final", 1)[0][0] == "tennis#0"


def test_missing_keyword_index_is_rebuilt_from_the_store(
    fake_index: Callable[..., Settings], news: Path
) -> None:
    settings = fake_index(news)
    for leftover in settings.index_dir.glob(keyword_file + "*"):
        leftover.unlink()
    pipeline = build_pipeline(settings, embedder=HashEmbedder())
    assert pipeline.retrieve("Hopman Cup Perth")[0].chunk.article_id == "tennis"
    assert KeywordIndex.open(settings.index_dir).built


def test_another_machine_catches_up_from_the_change_log_without_a_rebuild(
    fake_index: Callable[..., Settings], news: Path, tmp_path: Path
) -> None:
    """A machine reading a Chroma server keeps its own keyword file; after an ingest it
    re-reads only the articles the change log lists (simulated on the embedded store)."""
    settings = fake_index(news)
    store = ChromaStore(settings)
    elsewhere = KeywordIndex.open(tmp_path / "other-machine")
    catch_up(store, elsewhere, shared=True)
    before = rowids(tmp_path / "other-machine")
    later = tmp_path / "later"
    later.mkdir()
    (later / "cyclone.txt").write_text("Cyclone Tracy\n\nA cyclone struck Darwin overnight.\n")
    ingest([later], settings, HashEmbedder, quiet=True)
    ChromaStore(settings).delete_articles(["farm"])
    assert catch_up(store, elsewhere, shared=True)
    after = rowids(tmp_path / "other-machine")
    assert {cid: after[cid] for cid in before if not cid.startswith("farm#")} == {
        cid: rid for cid, rid in before.items() if not cid.startswith("farm#")
    }
    assert sorted(after) == sorted(c.chunk_id for c in store.iter_chunks())
    assert elsewhere.search("cyclone Darwin", 1)[0][0] == "cyclone#0"
    assert not catch_up(store, elsewhere, shared=True)  # nothing new: nothing done


def test_refresh_picks_up_articles_ingested_since(
    fake_index: Callable[..., Settings], news: Path, tmp_path: Path
) -> None:
    settings = fake_index(news)
    retriever = retriever_for(settings)
    later = tmp_path / "later"
    later.mkdir()
    (later / "cyclone.txt").write_text("Cyclone Tracy\n\nA cyclone struck Darwin overnight.\n")
    ingest([later], settings, HashEmbedder, quiet=True)
    retriever.refresh()
    hits, _ = retriever.retrieve("cyclone Darwin", k=2)
    assert hits[0].chunk.article_id == "cyclone" and hits[0].bm25_rank == 1


def test_deleted_chunks_never_come_back_from_a_stale_bm25(
    fake_index: Callable[..., Settings], news: Path
) -> None:
    settings = fake_index(news)
    retriever = retriever_for(settings)  # holds BM25 built before the deletion
    ChromaStore(settings).delete_articles(["tennis"])
    hits, _ = retriever.retrieve("Hopman Cup Perth Argentina", k=5)
    assert all(h.chunk.article_id != "tennis" for h in hits)


def test_a_refresh_reads_the_stores_version_once_and_warms_the_article_index(
    fake_index: Callable[..., Settings],
    news: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = fake_index(news)
    retriever = retriever_for(settings)
    retriever.retrieve("rain harvest", k=2)  # the article index is built by the first search
    later = tmp_path / "later"
    later.mkdir()
    (later / "cyclone.txt").write_text("Cyclone Tracy\n\nA cyclone struck Darwin overnight.\n")
    ingest([later], settings, HashEmbedder, quiet=True)
    store = retriever.store
    reads: list[str] = []
    original = store._chunks_metadata

    def counted() -> dict[str, object]:
        reads.append("metadata")
        return original()

    monkeypatch.setattr(store, "_chunks_metadata", counted)
    retriever.refresh()
    assert len(reads) == 1  # one read serves the keyword catch-up and the article index
    assert retriever.articles is not None and "cyclone" in retriever.articles.article_ids
    assert retriever.articles._matrix is not None  # built here, not by the next question


def test_the_vector_rankings_first_passage_takes_the_slot_the_weights_give_it(
    fake_index: Callable[..., Settings], news: Path
) -> None:
    retriever = retriever_for(fake_index(news))
    question = "Prices fell for the fruit"  # BM25 finds the farm; the hashed vector, tennis
    retriever.weights = replace(retriever.weights, vector_slot=0, blend=0)  # rank fusion's slot
    plain, _ = retriever.retrieve(question, k=4)
    nearest = next(h for h in plain if h.vector_rank == 1)
    assert plain[0].chunk.chunk_id != nearest.chunk.chunk_id  # fusion put another first
    retriever.weights = replace(retriever.weights, vector_slot=1, blend=0)
    lifted, _ = retriever.retrieve(question, k=4)
    assert lifted[0].chunk.chunk_id == nearest.chunk.chunk_id


def test_the_hybrid_search_gathers_the_scores_behind_its_rankings(
    fake_index: Callable[..., Settings], news: Path
) -> None:
    from rag.articles import article_index_for

    retriever = retriever_for(fake_index(news))
    question = "Farmers said the rain saved the harvest"
    vector = retriever.embedder.embed([question])[0]
    vector_hits = retriever.store.query(vector, 20, None)
    keyword_hits = retriever.keyword.search(question, 20)
    chunks = {c.chunk_id: c for c, _ in vector_hits}
    chunks.update(retriever.store.get_chunks([c for c, _ in keyword_hits]))
    articles = article_index_for(retriever.store)
    signals = gather_signals(vector_hits, keyword_hits, chunks, articles, question, vector)
    assert signals.scored
    assert set(signals.keyword) <= set(signals.vector_score)  # a keyword-only one has its cosine
    for chunk, similarity in vector_hits:
        assert signals.vector_score[chunk.chunk_id] == pytest.approx(similarity, abs=1e-5)
    assert dict(keyword_hits) == dict(signals.keyword_score)
    assert max(signals.article_keyword_score.values()) == 1.0
    assert max(signals.article_vector_score.values()) == 1.0
    farm = chunks[signals.keyword[0]].article_id
    assert signals.article_keyword_score[farm] == 1.0
    assert set(signals.closest) >= set(signals.article_bm25)
