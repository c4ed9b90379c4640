"""Whole-article evidence: articles ranked as wholes, fused beside the passage rankings.

The articles here are made up; no gold set uses them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag.articles import RRF_K, ArticleIndex, fuse_articles
from rag.types import Chunk
from rag.weights import RetrievalWeights, section, write_section


def chunk(article: str, n: int, text: str, title: str) -> Chunk:
    start = n * 1000
    return Chunk(f"{article}#{n}", article, n, text, start, start + len(text), title, None, "", "")


def unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


# The orchard article never says "apple" in one passage with "harvest"; as a whole it does.
CHUNKS = [
    (
        chunk("orchard", 0, "Growers picked early this year.", "Apple harvest starts early"),
        unit(1, 0, 0),
    ),
    (
        chunk("orchard", 1, "Prices for the fruit fell by a third.", "Apple harvest starts early"),
        unit(0.9, 0.1, 0),
    ),
    (chunk("ferry", 0, "The ferry to the island was cancelled.", "Ferry cancelled"), unit(0, 1, 0)),
    (
        chunk("ferry", 1, "Winds reached ninety kilometres an hour.", "Ferry cancelled"),
        unit(0, 0.8, 0.2),
    ),
    (chunk("museum", 0, "The museum reopened after repairs.", "Museum reopens"), unit(0, 0, 1)),
]


def index() -> ArticleIndex:
    return ArticleIndex.build(CHUNKS, "g1")


def test_articles_are_ranked_by_their_words_as_a_whole_including_the_title() -> None:
    ranked = index().rank("When did the apple harvest begin?", None)
    assert ranked[0] == "orchard"


def test_the_mean_passage_vector_ranks_an_article_that_shares_no_word() -> None:
    ranked = index().rank("zzz", unit(0.1, 1, 0.1))
    assert ranked[0] == "ferry"


def test_the_closest_passage_of_an_article_is_the_one_nearest_the_question() -> None:
    assert index().closest_chunk("ferry", unit(0, 0.7, 0.3)) == "ferry#1"
    assert index().closest_chunk("nowhere", unit(1, 0, 0)) is None


def test_each_candidate_gains_by_its_article_rank_and_a_missing_top_article_brings_a_passage() -> (
    None
):
    chunks = {c.chunk_id: c for c, _ in CHUNKS}
    fused = {"museum#0": 0.012, "ferry#0": 0.01}
    present = {k: chunks[k] for k in fused}
    fetched: list[str] = []

    def fetch(ids: list[str]) -> dict[str, Chunk]:
        fetched.extend(ids)
        return {i: chunks[i] for i in ids}

    fuse_articles(
        index(), "apple harvest fruit prices", unit(1, 0, 0), fused, present, fetch, 1.0, 1
    )
    assert fetched == ["orchard#0"]  # the best article had no candidate: its nearest passage
    assert fused["orchard#0"] == 0.01 + 1.0 / (RRF_K + 1)  # the weakest plus its share
    assert fused["museum#0"] > 0.012 and fused["ferry#0"] > 0.01
    assert fused["orchard#0"] > fused["ferry#0"]


def test_a_zero_article_weight_leaves_the_passage_ranking_alone() -> None:
    chunks = {c.chunk_id: c for c, _ in CHUNKS}
    fused = {"museum#0": 0.02}
    fuse_articles(index(), "apple harvest", unit(1, 0, 0), fused, chunks, dict, 0.0, 2)
    assert fused == {"museum#0": 0.02}


def test_weights_come_from_the_weights_file_and_a_refit_keeps_other_sections(
    tmp_path: Path,
) -> None:
    path = tmp_path / "weights.json"
    path.write_text(json.dumps({"answer": {"refuse_below": 0.4}, "retrieval": {"article": 0.7}}))
    assert RetrievalWeights.from_mapping(section("retrieval", path)).article == 0.7
    write_section("retrieval", {"article_bring": 3}, path)
    body = json.loads(path.read_text())
    assert body["answer"] == {"refuse_below": 0.4}
    assert body["retrieval"] == {"article": 0.7, "article_bring": 3}
    assert RetrievalWeights.from_mapping({"article": True, "nonsense": 1}) == RetrievalWeights()


def test_replacing_and_dropping_articles_ranks_as_a_fresh_build_would() -> None:
    grown = ArticleIndex.build(CHUNKS[:2], "g1")
    grown.replace(
        {"ferry": [CHUNKS[2], CHUNKS[3]], "museum": [CHUNKS[4]]}, removed=()
    )  # two articles added one write later
    assert grown.rank("ferry winds", unit(0, 1, 0)) == index().rank("ferry winds", unit(0, 1, 0))
    grown.replace({}, removed=["ferry"])
    assert "ferry" not in grown.rank("ferry winds", unit(0, 1, 0))
    assert grown.article_ids == ("museum", "orchard")


class _Log:
    """A store with a change log, as `article_index_for` reads it."""

    def __init__(self) -> None:
        self.rows = {c.chunk_id: (c, v) for c, v in CHUNKS[:2]}
        self.sequence, self.log = 1, {"orchard": 1}
        self.chunks = self
        self.full_reads = 0

    def seq(self) -> int:
        return self.sequence

    def generation(self) -> str:
        return f"g{self.sequence}"

    def changed_articles(self, since: int) -> list[str]:
        return [a for a, s in self.log.items() if s >= since]

    def write(self, article: str, rows: list[tuple[Chunk, np.ndarray]]) -> None:
        self.sequence += 1
        self.rows = {k: cv for k, cv in self.rows.items() if cv[0].article_id != article}
        self.rows.update({c.chunk_id: (c, v) for c, v in rows})
        self.log[article] = self.sequence

    def get(self, **query: object) -> dict[str, object]:
        where = query.get("where")
        if where is None:
            if query.get("offset"):
                return {"ids": [], "documents": [], "metadatas": [], "embeddings": []}
            self.full_reads += 1
        wanted = where["article_id"]["$in"] if isinstance(where, dict) else None
        rows = [cv for cv in self.rows.values() if wanted is None or cv[0].article_id in wanted]
        return {
            "ids": [c.chunk_id for c, _ in rows],
            "documents": [c.text for c, _ in rows],
            "metadatas": [
                {
                    "article_id": c.article_id,
                    "n": c.n,
                    "char_start": c.char_start,
                    "char_end": c.char_end,
                    "title": c.title,
                }
                for c, _ in rows
            ],
            "embeddings": [v.tolist() for _, v in rows],
        }


def test_a_reader_catches_up_by_reading_only_the_articles_written_since() -> None:
    from rag.articles import article_index_for

    store = _Log()
    first = article_index_for(store)
    assert store.full_reads == 1 and first.article_ids == ("orchard",)
    store.write("ferry", [CHUNKS[2], CHUNKS[3]])
    later = article_index_for(store, first)
    assert store.full_reads == 1  # no second read of every chunk
    assert later.article_ids == ("ferry", "orchard")
    assert later.rank("ferry cancelled", None)[0] == "ferry"


def test_articles_are_ranked_by_bm25_and_by_mean_vector_apart() -> None:
    assert index().bm25_ranking("When did the apple harvest begin?")[0] == "orchard"
    assert index().vector_ranking(unit(0, 0.2, 1))[:2] == ["museum", "ferry"]
    assert index().vector_ranking(None) == []


def test_mean_vector_scores_are_scaled_from_the_farthest_article_to_the_nearest() -> None:
    nearest, scaled = index().vector_scores(unit(0, 0, 1), wanted=["orchard"], k=1)
    assert nearest == ["museum"]
    assert scaled["museum"] == 1.0
    assert scaled["orchard"] == 0.0  # farthest of all: the orchard's mean is (1, 0, 0)-ish
    assert "ferry" not in scaled  # neither wanted nor among the nearest k


def test_bm25_scores_are_scaled_by_the_best_articles() -> None:
    scaled = index().scaled_bm25_scores("apple harvest ferry")
    assert max(scaled.values()) == 1.0
    assert set(scaled) == {"orchard", "ferry"}
    assert index().scaled_bm25_scores("zzz") == {}


def test_every_passage_of_the_named_articles_gets_its_cosine_to_the_question() -> None:
    cosines = index().passage_cosines(["ferry", "nowhere"], unit(0, 1, 0))
    assert list(cosines) == ["ferry"]
    assert list(cosines["ferry"]) == ["ferry#0", "ferry#1"]
    assert cosines["ferry"]["ferry#0"] == pytest.approx(1.0)
    assert cosines["ferry"]["ferry#0"] > cosines["ferry"]["ferry#1"]
