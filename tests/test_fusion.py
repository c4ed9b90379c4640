"""Rank fusion as a pure function: the passage and article rankings, and the meaning slots.

The passage and article ids here are made up; no gold set uses them.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.fusion import RRF_K, Signals, article_scores, fuse, lift_to, rank_articles
from rag.weights import RetrievalWeights

PLAIN = RetrievalWeights(
    article=0.5, article_bring=2, article_vector=0.5, vector=0.5, rrf_k=60.0, vector_slot=0
)


def order(fused: dict[str, float]) -> list[str]:
    return sorted(fused, key=lambda c: -fused[c])


def drowned() -> Signals:
    """A reworded question: the passage nearest in meaning (m#0) shares no word with it,
    while eight passages of other articles each share one word and are found by both."""
    keyword = tuple(f"k{i}#0" for i in range(8))
    article_of = {c: c.split("#")[0] for c in (*keyword, "m#0")}
    return Signals(
        vector=("m#0", *keyword),
        keyword=keyword,
        article_bm25=tuple(c.split("#")[0] for c in keyword),
        article_vector=("m", *(c.split("#")[0] for c in keyword)),
        article_of=article_of,
    )


def no_closest(_: str) -> str | None:
    return None


def test_a_passage_found_by_meaning_alone_falls_below_every_keyword_match_without_a_slot() -> None:
    fused, _ = fuse(drowned(), PLAIN, no_closest)
    assert order(fused)[-1] == "m#0"


def test_the_vector_rankings_first_passage_keeps_its_slot() -> None:
    fused, _ = fuse(drowned(), replace(PLAIN, vector_slot=3), no_closest)
    ranked = order(fused)
    assert ranked.index("m#0") == 2  # third: the first two places are left as they were
    assert ranked[:2] == order(fuse(drowned(), PLAIN, no_closest)[0])[:2]


def test_the_nearest_article_by_mean_vector_brings_its_passage_to_its_slot() -> None:
    signals = replace(drowned(), vector=tuple(c for c in drowned().vector if c != "m#0"))
    weights = replace(PLAIN, article_vector_slot=2)
    fused, brought = fuse(signals, weights, lambda article: f"{article}#0")
    assert brought["m#0"] == "m"
    assert order(fused).index("m#0") == 1


def test_lift_to_raises_a_passage_just_past_the_one_at_its_slot_and_never_lowers_it() -> None:
    fused = {"a": 4.0, "b": 3.0, "c": 2.0, "d": 1.0}
    lift_to(fused, "d", 2)
    assert order(fused) == ["a", "d", "b", "c"]
    lift_to(fused, "a", 3)
    assert fused["a"] == 4.0
    lift_to(fused, "c", 1)
    assert order(fused)[0] == "c"
    lift_to(fused, "b", 0)
    assert order(fused)[-1] == "b"


def test_a_smaller_rrf_constant_lets_a_first_place_outweigh_a_second_places_sum() -> None:
    # v#0: first by vector only; both#0: second by vector and twentieth by keyword
    keyword = tuple(f"x{i}#0" for i in range(19)) + ("both#0",)
    signals = Signals(
        vector=("v#0", "both#0"),
        keyword=keyword,
        article_bm25=(),
        article_vector=(),
        article_of={c: c.split("#")[0] for c in (*keyword, "v#0")},
    )
    wide, _ = fuse(signals, replace(PLAIN, vector=1.0), no_closest, articles=False)
    narrow, _ = fuse(signals, replace(PLAIN, vector=1.0, rrf_k=1.0), no_closest, articles=False)
    assert wide["both#0"] > wide["v#0"]
    assert narrow["v#0"] > narrow["both#0"]


def test_passage_scores_are_reciprocal_ranks_weighted_by_signal() -> None:
    signals = Signals(("a#0",), ("a#0",), ("a",), ("a",), {"a#0": "a"})
    fused, _ = fuse(signals, PLAIN, no_closest)
    assert fused["a#0"] == pytest.approx((0.5 + 1 + 0.5) / (RRF_K + 1))


def test_article_rankings_fuse_bm25_with_the_weighted_vector_ranking() -> None:
    assert rank_articles(["a", "b"], ["b", "a"], 0.5) == ["a", "b"]
    assert rank_articles(["a", "b"], ["b", "a"], 2.0) == ["b", "a"]


# -- the blend of scaled scores ------------------------------------------------------------------

BLEND = RetrievalWeights(
    blend=1,
    blend_keyword=1.0,
    blend_vector=0.5,
    blend_article=0.5,
    blend_article_keyword=0.3,
    article_bring=1,
)


def scored(signals: Signals, **scores: dict[str, float]) -> Signals:
    return replace(signals, **scores)  # type: ignore[arg-type]


def drowned_with_scores() -> Signals:
    """`drowned`, with the scores behind its ranks: one keyword passage shares a rare word
    (BM25 2.0), the other seven a common one (0.4); the meaning match is far nearer the
    question (cosine 0.8) than any of them (0.3)."""
    plain = drowned()
    keyword_score = {c: (2.0 if c == "k0#0" else 0.4) for c in plain.keyword}
    vector_score = {c: 0.3 for c in plain.keyword} | {"m#0": 0.8}
    return scored(plain, keyword_score=keyword_score, vector_score=vector_score)


def test_the_blend_keeps_a_wide_meaning_margin_that_rank_fusion_throws_away() -> None:
    ranked = order(fuse(drowned_with_scores(), replace(BLEND, blend_article=0.0), no_closest)[0])
    assert ranked[:2] == ["k0#0", "m#0"]  # the rare word first, the meaning match next
    assert order(fuse(drowned_with_scores(), replace(BLEND, blend=0), no_closest)[0])[-1] == "m#0"


def test_a_blended_passage_scores_its_weighted_scaled_bm25_cosine_and_article() -> None:
    signals = Signals(
        vector=("a#0", "b#0"),
        keyword=("b#0", "a#0"),
        article_bm25=("b", "a"),
        article_vector=("a", "b"),
        article_of={"a#0": "a", "b#0": "b"},
        keyword_score={"a#0": 1.0, "b#0": 4.0},
        vector_score={"a#0": 0.6, "b#0": 0.2},
        article_keyword_score={"a": 0.5, "b": 1.0},
        article_vector_score={"a": 1.0, "b": 0.0},
    )
    fused, brought = fuse(signals, BLEND, no_closest)
    assert brought == {}
    # a: BM25 1/4, cosine at the top of the candidates' range, article 0.3×0.5 + 0.7×1
    assert fused["a#0"] == pytest.approx(1.0 * 0.25 + 0.5 * 1.0 + 0.5 * (0.15 + 0.7))
    assert fused["b#0"] == pytest.approx(1.0 * 1.0 + 0.5 * 0.0 + 0.5 * (0.3 + 0.0))


def test_an_articles_score_is_its_scaled_bm25_and_mean_vector_by_the_keyword_share() -> None:
    signals = scored(
        drowned(),
        article_keyword_score={"k0": 1.0, "m": 0.0},
        article_vector_score={"k0": 0.2, "m": 1.0},
    )
    assert article_scores(signals, 0.3) == pytest.approx({"k0": 0.3 + 0.14, "m": 0.7})
    assert article_scores(signals, 1.0) == pytest.approx({"k0": 1.0, "m": 0.0})


def test_the_best_article_without_a_candidate_brings_its_nearest_passage() -> None:
    plain = drowned_with_scores()
    signals = replace(
        plain,
        vector=plain.keyword,  # the meaning match is no candidate this time
        article_vector_score={"m": 1.0} | {c.split("#")[0]: 0.1 for c in plain.keyword},
        closest={"m": "m#2"},
        vector_score={**plain.vector_score, "m#2": 0.7},
    )
    fused, brought = fuse(signals, BLEND, no_closest)
    assert brought == {"m#2": "m"}
    # the candidates' cosines are all alike (no spread to scale by): its article's share only
    assert fused["m#2"] == pytest.approx(0.5 * (0.7 * 1.0))
    weightless, none = fuse(signals, replace(BLEND, blend_article=0.0), no_closest)
    assert none == {} and "m#2" not in weightless


def test_without_the_scores_the_hybrid_search_falls_back_to_rank_fusion() -> None:
    ranks = fuse(drowned(), replace(BLEND, blend=0), no_closest)
    assert fuse(drowned(), BLEND, no_closest) == ranks
