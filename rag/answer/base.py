"""The seam every answerer implements, and the decision an answerer reports as data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from rag.types import Answer, Hit, Turn


@dataclass(frozen=True, slots=True)
class Decision:
    """Why an answer was given or refused: the support score of the chosen sentence, the
    parts of the question it grounds and those it does not, and the reasons in words."""

    support: float
    refused: bool
    reasons: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()  # parts of the question no chosen sentence grounds
    grounded: tuple[str, ...] = ()  # parts it does ground (the subject of an explanation)


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer with the decision behind it."""

    answer: Answer
    decision: Decision


@runtime_checkable
class Answerer(Protocol):
    """Turns retrieved passages into a cited answer (or a refusal).

    `question` is what the user typed; `standalone` the question actually searched (a
    follow-up rewritten with its context), None when they are the same. `started` is when
    the question arrived (`time.perf_counter()`): an answerer bound by a deadline (the LLM's
    `RAG_LLM_TIMEOUT`) counts the time spent before it from there; others ignore it.
    """

    def answer(
        self,
        question: str,
        hits: Sequence[Hit],
        query_vector: np.ndarray,
        standalone: str | None = None,
        on_token: Callable[[str], None] | None = None,
        *,
        started: float | None = None,
    ) -> Answer: ...


@runtime_checkable
class Condenser(Protocol):
    """An answerer that can also rewrite a follow-up as a standalone question (the LLM's)."""

    def condense(self, question: str, history: Sequence[Turn]) -> str: ...
