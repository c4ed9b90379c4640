"""`python -m evals.retrieval`: the gold article's rank among the retrieved passages.

A fake pipeline stands in for the index: it returns passages of fixed articles per
question, so the figures can be worked out by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from evals.gold import GoldItem
from evals.retrieval import figures, first_rank, main, rank_items, summarize, table
from rag.types import Chunk, Hit, Turn


def hit(article: str) -> Hit:
    return Hit(Chunk(f"{article}#0", article, 0, "text", 0, 4, article, None, "", ""), 1.0)


class FakeRetriever:
    def __init__(self, answers: dict[str, Sequence[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def retrieve(self, question: str, k: int = 5, dates: Any = None) -> tuple[list[Hit], Any]:
        self.asked.append(question)
        return [hit(a) for a in self.answers.get(question, ())][:k], np.zeros(3)


class FakePipeline:
    def __init__(self, answers: dict[str, Sequence[str]]) -> None:
        self.retriever = FakeRetriever(answers)

    def standalone(self, question: str, history: Sequence[Turn]) -> str:
        return f"{question} ({history[-2].content})"


def item(qid: str, question: str, gold: str, kind: str = "factoid", **extra: Any) -> GoldItem:
    return GoldItem(qid, question, ("x",), (gold,) if gold else (), bool(gold), kind, **extra)


def test_first_rank_is_the_place_of_the_first_gold_article() -> None:
    assert first_rank(["a", "b", "c"], ["c", "b"]) == 2
    assert first_rank(["a"], ["z"]) is None


def test_figures_count_hits_at_one_three_and_five_and_the_reciprocal_rank() -> None:
    got = figures([1, 3, 5, None])
    assert got == {"n": 4, "hit@1": 0.25, "hit@3": 0.5, "hit@5": 0.75, "mrr": 0.383}


def test_answerable_questions_are_ranked_per_set_and_type_and_follow_ups_made_standalone() -> None:
    pipeline = FakePipeline(
        {
            "Who won?": ["a", "b"],
            "Where?": ["c", "b"],
            "And when? (Who won?)": ["b"],
        }
    )
    items = [
        item("q1", "Who won?", "a"),
        item("q2", "Where?", "b", "paraphrase"),
        item("q3", "Is it raining on Mars?", ""),  # unanswerable: not ranked
        item("q4", "And when?", "b", "follow-up", context=("Who won?",)),
    ]
    rows = rank_items(pipeline, "demo", items)
    assert [(r.item_id, r.rank) for r in rows] == [("q1", 1), ("q2", 2), ("q4", 1)]
    assert "Is it raining on Mars?" not in pipeline.retriever.asked
    summary = summarize(rows)["demo"]
    assert summary["hit@1"] == pytest.approx(0.667)
    assert summary["types"]["paraphrase"]["hit@1"] == 0.0
    assert summary["types"]["paraphrase"]["hit@3"] == 1.0
    assert "| demo | all | 3 |" in table(summarize(rows))


def test_an_empty_index_is_one_line_on_stderr_and_its_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAG_EMBED", "hash")
    code = main(["--index", str(tmp_path / "empty"), "--sets", "starter"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1 and err[0].startswith("rag: ")
