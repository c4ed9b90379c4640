"""rag/condense.py: a follow-up question becomes a standalone one using the conversation."""

from __future__ import annotations

from rag.condense import condense
from rag.types import Turn
from tests.conftest import KALLAS, SEED

WHO = [
    Turn("user", "Who is Kaja Kallas?"),
    Turn("assistant", "Kaja Kallas is Estonia's Prime Minister [1]."),
]
FOLLOW_UP = "What did she say about Article 5?"


def test_pronoun_follow_up_brings_back_the_person_asked_about() -> None:
    standalone = condense(FOLLOW_UP, WHO)
    assert "Kallas" in standalone
    assert "Article 5" in standalone


def test_follow_up_without_names_gets_the_previous_topic() -> None:
    standalone = condense("And what about Article 5?", WHO)
    assert "Kallas" in standalone and "Article 5" in standalone


def test_question_without_history_is_unchanged() -> None:
    assert condense(FOLLOW_UP, []) == FOLLOW_UP


def test_standalone_question_with_its_own_names_is_unchanged() -> None:
    assert condense(KALLAS, WHO) == KALLAS
    assert condense("Who won the Hopman Cup in Perth?", WHO) == "Who won the Hopman Cup in Perth?"


def test_only_user_turns_count_as_context() -> None:
    history = [Turn("assistant", "Max Hess is an analyst [1].")]
    assert condense(FOLLOW_UP, history) == FOLLOW_UP


def test_latest_user_question_is_the_context() -> None:
    history = [Turn("user", "What did Max Hess say about Trump?"), *WHO]
    standalone = condense(FOLLOW_UP, history)
    assert "Kallas" in standalone and "Hess" not in standalone


def test_condensed_follow_up_is_answered_from_the_seed_article(corpus_pipeline) -> None:
    answer = corpus_pipeline.ask(FOLLOW_UP, history=WHO)
    assert not answer.refused
    assert answer.citations[0].article_id == SEED.stem
    assert any("Article 5" in c.quote for c in answer.citations)
    assert answer.condensed_question and "Kallas" in answer.condensed_question
