"""rag/keyword.py: the FTS5 keyword index scores like the bm25s index it replaced, changes
article by article, filters by date, and rebuilds a file of another layout."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from rag.keyword import FILENAME, SCHEMA_VERSION, KeywordIndex, passage_text
from rag.terms import content_stems
from rag.types import Chunk

TEXTS = {
    "farm": ("Farmers welcome rain", "Heavy rain fell across the wheat belt. Farmers cheered."),
    "bridge": ("Council approves bridge", "The council voted to build a bridge over the river."),
    "tennis": ("Hopman Cup opens", "Spain beat Argentina in the Hopman Cup in Perth."),
    "rain": ("More rain", "Rain, rain and more rain fell on the wheat farmers of Perth."),
    "river": ("River floods", "The river burst its banks after rain; the bridge was shut."),
}


def chunk(article_id: str, published: str | None = None) -> Chunk:
    title, text = TEXTS[article_id]
    return Chunk(f"{article_id}#0", article_id, 0, text, 0, len(text), title, published, "", "h")


@pytest.fixture
def index(tmp_path: Path) -> KeywordIndex:
    keyword = KeywordIndex.open(tmp_path)
    keyword.rebuild([chunk(a) for a in TEXTS], generation="g1", seq=1)
    return keyword


@pytest.mark.parametrize("query", ["rain wheat farmers", "bridge river", "Perth", "rain"])
def test_scores_equal_the_bm25s_lucene_scores_of_the_old_index(
    index: KeywordIndex, query: str
) -> None:
    import bm25s

    ids = list(TEXTS)
    model = bm25s.BM25()
    model.index([content_stems(passage_text(chunk(a))) for a in ids], show_progress=False)
    stems = [s for s in content_stems(query) if s in model.vocab_dict]
    docs, scores = model.retrieve([stems], k=len(ids), show_progress=False)
    pairs = zip(docs[0], scores[0], strict=True)
    expected = {f"{ids[int(d)]}#0": float(s) for d, s in pairs if s > 0}
    found = dict(index.search(query, len(ids)))
    assert found.keys() == expected.keys()
    for chunk_id, score in expected.items():
        assert found[chunk_id] == pytest.approx(score, rel=1e-4)


def test_replacing_an_article_changes_only_its_rows(index: KeywordIndex, tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / FILENAME) as db:
        before = dict(db.execute("SELECT chunk_id, id FROM passages").fetchall())
    changed = Chunk("tennis#0", "tennis", 0, "Swiss win.", 0, 10, "Hopman Cup ends", None, "", "h")
    index.replace_articles(["tennis", "farm"], [changed], seq=2)
    with sqlite3.connect(tmp_path / FILENAME) as db:
        after = dict(db.execute("SELECT chunk_id, id FROM passages").fetchall())
    assert set(after) == set(before) - {"farm#0"}
    assert {k: after[k] for k in ("bridge#0", "rain#0", "river#0")} == {
        k: before[k] for k in ("bridge#0", "rain#0", "river#0")
    }
    assert index.search("Argentina", 5) == [] and index.search("Swiss", 5)[0][0] == "tennis#0"
    assert index.seq == 2 and index.generation == "g1"


def test_a_second_connection_sees_a_committed_change_and_fresh_counts(
    index: KeywordIndex, tmp_path: Path
) -> None:
    reader = KeywordIndex.open(tmp_path)
    assert len(reader) == 5 and reader.df("rain") == 3
    index.delete_articles(["rain"])
    assert len(reader) == 4 and reader.df("rain") == 2  # no stale cached counts


def test_search_filters_by_published_day_and_leaves_undated_out(tmp_path: Path) -> None:
    keyword = KeywordIndex.open(tmp_path)
    keyword.rebuild(
        [chunk("farm", "2024-11-01"), chunk("rain", "2024-11-20T08:00:00Z"), chunk("river")]
    )
    from rag.dates import day_number

    since = day_number("2024-11-10")
    assert [c for c, _ in keyword.search("rain", 5, since=since)] == ["rain#0"]
    assert {c for c, _ in keyword.search("rain", 5)} == {"farm#0", "rain#0", "river#0"}
    assert [c for c, _ in keyword.search("rain", 5, until=since)] == ["farm#0"]
    assert keyword.newest_day() == day_number("2024-11-20")


def test_a_file_of_another_layout_starts_empty_and_unbuilt(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / FILENAME) as db:
        db.execute("CREATE TABLE passages(id INTEGER PRIMARY KEY, chunk_id TEXT)")
        db.execute("INSERT INTO passages(chunk_id) VALUES ('old#0')")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    keyword = KeywordIndex.open(tmp_path)
    assert not keyword.built and keyword.chunk_ids == []


def test_queries_fts5_cannot_parse_find_nothing(index: KeywordIndex) -> None:
    assert index.search('"" OR NEAR(', 5) == []
    assert index.search("the of and", 5) == []  # only stopwords
