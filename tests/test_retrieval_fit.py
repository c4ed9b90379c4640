"""`python -m evals.retrieval_fit`: retrieval weights chosen by cross-validation over
recorded signals, never at the cost of direct questions' first places.

The recorded questions here are made up: a reworded question whose article only the
vector ranking finds (first there, last after fusion), and a direct question whose
article the keyword ranking finds first.
"""

from __future__ import annotations

from dataclasses import replace

from evals.retrieval_fit import Recorded, choose, fit, points, replay
from rag.fusion import Signals
from rag.types import Chunk
from rag.weights import RetrievalWeights

CURRENT = RetrievalWeights(vector_slot=0, article_vector_slot=0, rrf_k=60.0)
WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet".split()


def chunk(chunk_id: str, n: int) -> Chunk:
    article = chunk_id.split("#")[0]
    text = f"{WORDS[n]} {article} passage"  # no two alike: none is a near-duplicate
    return Chunk(chunk_id, article, 0, text, 0, len(text), article, None, "", "")


def recorded(set_name: str, qid: str, gold: str) -> Recorded:
    keyword = tuple(f"k{i}#0" for i in range(8))
    ids = (*keyword, "m#0")
    signals = Signals(
        vector=("m#0", *keyword),
        keyword=keyword,
        article_bm25=tuple(c.split("#")[0] for c in keyword),
        article_vector=("m", *(c.split("#")[0] for c in keyword)),
        article_of={c: c.split("#")[0] for c in ids},
    )
    chunks = {c: chunk(c, i) for i, c in enumerate(ids)}
    return Recorded(set_name, qid, qid, "factoid", (gold,), signals, {}, chunks)


def samples() -> list[Recorded]:
    reworded = [recorded("paraphrase", f"p{i}", "m") for i in range(4)]
    direct = [recorded("news", f"q{i}", "k0") for i in range(4)]
    return reworded + direct


def test_replay_ranks_the_gold_article_as_the_retriever_would() -> None:
    reworded, direct = samples()[0], samples()[-1]
    assert replay(reworded, CURRENT) == 9
    assert replay(reworded, replace(CURRENT, vector_slot=3)) == 3
    assert replay(direct, CURRENT) == 1


def test_a_slot_for_the_meaning_match_is_chosen_when_it_costs_no_first_place() -> None:
    chosen = choose(samples(), [replace(CURRENT, vector_slot=3)], CURRENT)
    assert chosen.vector_slot == 3


def test_weights_that_take_a_direct_questions_first_place_are_not_chosen() -> None:
    # first place for the meaning match: the reworded questions gain hit@1, news loses it
    chosen = choose(samples(), [replace(CURRENT, vector_slot=1)], CURRENT)
    assert chosen == CURRENT


def test_the_fit_reports_held_out_folds_and_the_values_chosen_on_all() -> None:
    result = fit(samples(), 2, CURRENT)
    assert result["folds"] == 2
    assert result["held_out"]["paraphrase"]["hit@5"] == 1.0
    assert result["at_current"]["paraphrase"]["hit@5"] == 0.0
    fitted = RetrievalWeights(**result["fitted"])
    assert all(replay(s, fitted) == (1 if s.set == "news" else 3) for s in samples())
    assert len(points(CURRENT)) > 1


def test_the_grid_holds_both_fusions_and_each_varies_its_own_weights() -> None:
    grid = points(CURRENT)
    ranked = [w for w in grid[1:] if w.blend == 0]
    blended = [w for w in grid[1:] if w.blend == 1]
    assert ranked and blended
    assert len({w.vector_slot for w in ranked}) > 1
    assert len({w.blend_article for w in blended}) > 1
    assert {w.vector_slot for w in blended} == {CURRENT.vector_slot}


def test_replay_blends_recorded_scores_when_the_weights_say_so() -> None:
    sample = recorded("paraphrase", "p0", "m")
    keyword_score = {c: (2.0 if c == "k0#0" else 0.4) for c in sample.signals.keyword}
    vector_score = {c: 0.3 for c in sample.signals.keyword} | {"m#0": 0.8}
    scored = replace(
        sample,
        signals=replace(sample.signals, keyword_score=keyword_score, vector_score=vector_score),
    )
    blend = replace(CURRENT, blend=1, blend_article=0.0)
    assert replay(scored, blend) == 2  # after the rare-word match, before the common ones
    assert replay(scored, replace(blend, blend=0)) == 9
