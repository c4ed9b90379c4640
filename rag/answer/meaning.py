"""Meaning beyond shared words: support for a reworded question.

A reworded question ("the tremor" for "the earthquake", "officers" for "police") shares
few stems with the sentence that answers it, so coverage by stems alone calls it
unsupported. `Meaning.coverage` counts a common word of the question as covered when the
sentence's window (its title, the sentence before it, the sentence) holds it by stem,
or holds a word MiniLM puts within `Weights.soft_similarity` of it. Names, numbers and
dates count by stem only: a changed name or number must not look covered (grounding checks
them by normalised match). Word vectors come from the answerer's cache, and each
window's words are read once per question.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rag.answer.candidates import Candidate, is_common_word, sentence_stems, stem_found
from rag.answer.question import QuestionInfo, question_event, question_focus
from rag.answer.slots import slot_filled
from rag.answer.weights import Weights
from rag.terms import stem, words


def common_words(text: str) -> dict[str, str]:
    """The text's lower-case content words, stem → word as written (first one wins)."""
    out: dict[str, str] = {}
    for x in words(text):
        if is_common_word(x):
            lower = x.lower()
            out.setdefault(stem(lower), lower)
    return out


def close_in_meaning(
    stems: Sequence[str],
    surface: Sequence[str],
    own: Sequence[str],
    embed: Callable[[list[str]], np.ndarray],
    threshold: float,
) -> set[str]:
    """The `stems` whose word (`surface`, in the same order) some word of `own` means
    nearly the same as: MiniLM cosine at or above `threshold`."""
    if not stems or not own:
        return set()
    vectors = embed([*surface, *own])
    sims = vectors[: len(surface)] @ vectors[len(surface) :].T
    return {s for s, row in zip(stems, sims, strict=True) if row.max() >= threshold}


class Meaning:
    """Coverage of a question's words by stem or by meaning, per candidate window."""

    def __init__(
        self,
        info: QuestionInfo,
        idf: Callable[[str], float],
        embed: Callable[[list[str]], np.ndarray],
        w: Weights,
    ) -> None:
        self.info = info
        self.idf = idf
        self.embed = embed
        self.w = w
        self.common = {s: x for s, x in common_words(info.text).items() if s in info.stems}

    def window(self, c: Candidate) -> str:
        return f"{c.hit.chunk.title}\n{c.context}\n{c.text}"

    def coverage(self, c: Candidate) -> float:
        """IDF-weighted share of the question's stems the window holds by stem, or (for
        a common word) by a word of like meaning."""
        stems = self.info.stems
        if not stems:
            return 0.0
        text = self.window(c)
        have = sentence_stems(text)
        unmatched = [s for s in stems if not stem_found(s, have)]
        soft = [s for s in unmatched if s in self.common]
        similar = self.similar(soft, text) if soft else set()
        total = sum(self.idf(s) for s in stems) or 1.0
        lost = sum(self.idf(s) for s in unmatched if s not in similar)
        return 1.0 - lost / total

    def alias(self, text: str, asked: Sequence[str]) -> dict[str, str]:
        """Stems of `text`'s common words that mean nearly what one of the question's
        common words `asked` (stems) means, each to the question stem it means."""
        surface = [self.common[s] for s in asked if s in self.common]
        own = common_words(text)
        if not surface or not own:
            return {}
        vectors = self.embed(surface + list(own.values()))
        sims = vectors[len(surface) :] @ vectors[: len(surface)].T
        asked_stems = [s for s in asked if s in self.common]
        return {
            mine: asked_stems[int(row.argmax())]
            for mine, row in zip(own, sims, strict=True)
            if row.max() >= self.w.soft_similarity and mine not in asked_stems
        }

    def similar(self, asked: Sequence[str], text: str) -> set[str]:
        """The stems among `asked` that some common word of `text` means nearly the same
        as."""
        own = list(common_words(text).values())
        surface = [self.common[s] for s in asked]
        return close_in_meaning(asked, surface, own, self.embed, self.w.soft_similarity)


def rescore_kinds(
    info: QuestionInfo, pool: Sequence[Candidate], meaning: Meaning, w: Weights
) -> None:
    """For "how many X were Y", the best few sentences whose count was not found beside
    X or Y by stem are read again with words of like meaning standing for X and Y
    ("militants were killed" for "rebels were shot dead")."""
    if info.asks != "number":
        return
    event = question_event(info.text) or frozenset()
    asked = [s for s in (question_focus(info.text), *sorted(event)) if s]
    asked = [s for s in asked if s in meaning.common]
    if not asked:
        return
    question_lower = info.text.lower()
    for c in pool:
        if c.kind >= 1.0:
            continue
        alias = meaning.alias(c.text, asked)
        if alias:
            # a count found only through words of like meaning is less sure than one
            # beside the question's own words: it fills the slot, never "beside the noun"
            kind = min(slot_filled(info, c.text, question_lower, alias=alias), 1.0)
            if kind > c.kind:
                c.score += w.kind * (kind - c.kind)
                c.kind = kind
