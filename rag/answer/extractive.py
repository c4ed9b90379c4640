"""The offline answerer: question analysis → candidate sentences → answerability →
composition, without a language model."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np

from rag.answer.answerable import Grounder, Grounding, support
from rag.answer.base import Decision, Reply
from rag.answer.candidates import Candidate, candidates_of, score_candidates
from rag.answer.compose import compose, explained_refusal, refusal, select
from rag.answer.meaning import Meaning, rescore_kinds
from rag.answer.question import analyse_question
from rag.answer.weights import Weights
from rag.embed import Embedder
from rag.types import Answer, Hit
from rag.vector_cache import StoredVectors, VectorCache


class ExtractiveAnswerer:
    """Composes a short cited answer from retrieved passages, or refuses."""

    mode = "extractive"

    def __init__(
        self,
        embedder: Embedder,
        idf: Callable[[str], float],
        weights: Weights | None = None,
        stored: StoredVectors | None = None,
    ) -> None:
        self.embedder = embedder
        self.idf = idf
        self.weights = weights if weights is not None else Weights.load()
        self._cache = VectorCache(embedder, stored)

    def vectors(self, texts: list[str]) -> np.ndarray:
        """Vectors of sentences or words: recent ones from memory, the passages' own from
        those stored at ingest (`stored`), the rest from the model (rag/vector_cache.py)."""
        return self._cache(texts)

    def answer(
        self,
        question: str,
        hits: Sequence[Hit],
        query_vector: np.ndarray,
        standalone: str | None = None,
        on_token: Callable[[str], None] | None = None,
        *,
        started: float | None = None,  # no deadline to count from: answers take milliseconds
    ) -> Answer:
        """The answer (or refusal) to `question` from `hits`."""
        reply = self.respond(question, hits, query_vector, standalone)
        if on_token is not None:
            on_token(reply.answer.answer)
        return reply.answer

    def respond(
        self,
        question: str,
        hits: Sequence[Hit],
        query_vector: np.ndarray,
        standalone: str | None = None,
    ) -> Reply:
        """The answer and the decision behind it (support, grounded and missing parts)."""
        w = self.weights
        info = analyse_question(standalone or question)
        candidates = candidates_of(hits)
        if not candidates:
            return Reply(refusal(question, standalone), Decision(0.0, True, ("no passages",)))
        idf = functools.cache(self.idf)  # hundreds of look-ups of a few dozen stems
        score_candidates(info, candidates, query_vector, idf, self.vectors, w)
        meaning = Meaning(info, idf, self.vectors, w)
        ranked = sorted(candidates, key=lambda c: -c.score)
        rescore_kinds(info, ranked[: w.semantic_pool], meaning, w)
        ranked = sorted(candidates, key=lambda c: -c.score)
        grounder = Grounder(info, ranked, idf, self.vectors, w)
        value = support(info, ranked, w, meaning)  # of the question, before grounding reorders
        ranked, grounding = self._grounded_first(ranked, grounder)
        reasons = []
        if value < w.refuse_below:
            reasons.append(f"support {value:.2f} is below {w.refuse_below:.2f}")
        if grounding.missing:
            reasons.append("not grounded: " + ", ".join(grounding.missing))
        decision = Decision(
            value, bool(reasons), tuple(reasons), grounding.missing, grounding.grounded
        )
        if not decision.refused:
            return Reply(compose(question, select(info, ranked, w), standalone), decision)
        best = ranked[0]
        if grounding.missing and grounding.grounded:
            # about the question's subject (the speaker is quoted, a name is there) but
            # not what was asked: say so, then what the articles do say
            answer = explained_refusal(question, info, best, grounding.missing, standalone)
            return Reply(answer, decision)
        return Reply(refusal(question, standalone), decision)

    def _grounded_first(
        self, ranked: list[Candidate], grounder: Grounder
    ) -> tuple[list[Candidate], Grounding]:
        """The best of the first `ground_pool` sentences that grounds every part moves to
        the front; when none does, the order stays and the first's grounding is reported."""
        first = grounder.ground(ranked[0])
        if first.complete:
            return ranked, first
        floor = self.weights.needed_ratio * ranked[0].score
        for c in ranked[1 : self.weights.ground_pool]:
            if c.score < floor:
                break
            grounding = grounder.ground(c)
            if grounding.complete:
                return [c, *(o for o in ranked if o is not c)], grounding
        return ranked, first
