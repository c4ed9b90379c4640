"""rag/answer/candidates.py: every retrieved sentence, scored for how well it answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from rag.answer import Weights, analyse_question
from rag.answer.candidates import candidates_of, filler_meaning, score_candidates
from tests.fakes import HashEmbedder
from tests.test_answer import hits_for, story

LONG_STORY = (
    " ".join(
        f"The council met on day {n} to discuss item {n} of the harbour works plan."
        for n in range(1, 15)
    )
    + " Divers found the old anchor chain had rusted through near the pier."
)


def test_every_sentence_is_compared_with_the_question_by_meaning_not_only_the_best_few() -> None:
    embedder = HashEmbedder()
    compared: list[str] = []

    def embed(texts: list[str]) -> np.ndarray:
        compared.extend(texts)
        return embedder.embed(texts)

    question = "What had happened to the anchor chain?"
    candidates = candidates_of(hits_for(story(LONG_STORY, "local/harbour"), max_tokens=400))
    vector = embedder.embed([question])[0]
    weights = Weights()
    score_candidates(analyse_question(question), candidates, vector, lambda s: 1.0, embed, weights)
    assert len(candidates) > weights.semantic_pool
    assert sorted(compared) == sorted(c.text for c in candidates)


class _SynonymEmbedder(HashEmbedder):
    """The hashed bag of stems, with "grew" written as "expand": two words of like meaning
    get one vector, as MiniLM puts them close."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return super().embed([t.replace("grew", "expand") for t in texts])


def test_the_figure_standing_among_words_meaning_the_question_s_wins() -> None:
    info = analyse_question("How much did the harbour trade expand last year?")
    embed = _SynonymEmbedder().embed
    beside = "Port figures show harbour trade grew 12% last year."
    elsewhere = "The harbour trade office said rents stayed near 40 pounds a week."
    near = filler_meaning(info, beside, frozenset(), embed)
    far = filler_meaning(info, elsewhere, frozenset(), embed)
    assert near is not None and far is not None and near > far
    assert filler_meaning(info, "The harbour trade office closed.", frozenset(), embed) is None


def test_fillers_trade_places_by_meaning_without_any_sentence_gaining_score() -> None:
    question = "How much did the harbour trade expand last year?"
    text = (
        "The harbour trade office said last year that rents stayed near 40 pounds a week. "
        "Port figures show cargo grew 12% at the harbour."
    )
    info = analyse_question(question)
    embedder = _SynonymEmbedder()
    vector = embedder.embed([question])[0]

    def scored(weight: float) -> list[tuple[str, float]]:
        candidates = candidates_of(hits_for(story(text, "local/port"), max_tokens=400))
        weights = replace(Weights(), filler_meaning=weight)
        score_candidates(info, candidates, vector, lambda s: 1.0, embedder.embed, weights)
        return sorted(((c.text, c.score) for c in candidates), key=lambda p: -p[1])

    by_words, by_meaning = scored(0.0), scored(5.0)
    assert "40 pounds" in by_words[0][0] and "12%" in by_meaning[0][0]
    assert sorted(s for _, s in by_words) == sorted(s for _, s in by_meaning)


def test_fillers_of_another_story_keep_their_places() -> None:
    question = "How much did the harbour trade expand last year?"
    info = analyse_question(question)
    embedder = _SynonymEmbedder()
    vector = embedder.embed([question])[0]
    first = story("The harbour trade office said last year that rents stayed near 40 pounds.")
    second = story("Port figures show cargo grew 12% at the harbour.", "local/other")
    candidates = candidates_of(hits_for(first, second, max_tokens=400))
    weights = replace(Weights(), filler_meaning=5.0)
    score_candidates(info, candidates, vector, lambda s: 1.0, embedder.embed, weights)
    best = max(candidates, key=lambda c: c.score)
    assert "40 pounds" in best.text
