"""The paraphrased gold set asks what its originals ask in few of the article's words."""

from __future__ import annotations

import statistics

from evals.gold import load_gold
from evals.metrics import question_overlap
from tests.conftest import ROOT

GOLD = ROOT / "evals" / "gold"


def _article(article_id: str) -> str:
    return (ROOT / "corpus" / f"{article_id}.txt").read_text(encoding="utf-8")


def test_paraphrases_share_far_fewer_words_with_their_article_than_their_originals() -> None:
    paraphrases = load_gold(GOLD / "paraphrase.jsonl")
    sets = {
        name: {i.id: i for i in load_gold(GOLD / f"{name}.jsonl")} for name in ("news", "holdout")
    }
    assert len(paraphrases) >= 40
    before, after = [], []
    for p in paraphrases:
        assert p.original is not None and p.answerable
        name, _, item_id = p.original.partition(":")
        original = sets[name][item_id]
        assert p.answers == original.answers and p.article_ids == original.article_ids
        assert p.question != original.question
        texts = [_article(a) for a in p.article_ids]
        before.append(question_overlap(original.question, texts))
        after.append(question_overlap(p.question, texts))
    assert statistics.mean(after) <= 0.5 < statistics.mean(before)
    assert sum(a < b for a, b in zip(after, before, strict=True)) >= 0.85 * len(after)
