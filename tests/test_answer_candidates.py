"""rag/answer/candidates.py: every retrieved sentence, scored for how well it answers."""

from __future__ import annotations

import numpy as np

from rag.answer import Weights, analyse_question
from rag.answer.candidates import candidates_of, score_candidates
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
