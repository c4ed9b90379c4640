"""rag/answer/verbs.py: the question's relation verb and whether it is negated."""

from __future__ import annotations

from rag.answer.verbs import negated_question, relation_verb


def test_the_relation_verb_passes_over_nouns_for_the_verb_after_them() -> None:
    assert relation_verb("Why have children been barred from the pool?", None) == "bar"
    assert relation_verb("What bakery opened on the high street?", None) == "open"
    assert relation_verb("What did the mayor say about the pool?", "the mayor") is None


def test_a_refusal_is_an_act_but_a_failure_or_a_not_negates_the_question() -> None:
    assert not negated_question("Why did the ferry company reject the offer?")
    assert negated_question("Which ferry failed to sail on time?")
    assert negated_question("Who didn't vote for the plan?")
