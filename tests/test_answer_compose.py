"""rag/answer/compose.py: concise answers; refusals that say what is missing, then cite."""

import re

from rag.answer.compose import leans_back
from tests.test_answer import answer_with_fakes, check_citation_rules, hits_for, story
from tests.test_answer_answerable import HOUSING


def test_a_refusal_about_a_known_subject_says_so_first_then_cites_what_is_said() -> None:
    hits = hits_for(story(HOUSING, "politics/housing"), max_tokens=200)
    answer = answer_with_fakes("What did Mills say about Clause 13?", hits)
    assert answer.refused
    assert answer.answer.startswith("The articles don't say what Mills said about Clause 13.")
    assert answer.citations and "Clause 12" in answer.citations[0].quote
    check_citation_rules(answer)


def test_a_refusal_with_nothing_relevant_cites_nothing() -> None:
    hits = hits_for(story(HOUSING, "politics/housing"), max_tokens=200)
    answer = answer_with_fakes("What is the boiling point of liquid nitrogen on Venus?", hits)
    assert answer.refused and answer.citations == ()


def test_an_answer_does_not_pad_with_a_neighbouring_topic() -> None:
    hits = hits_for(story(HOUSING, "politics/housing"), max_tokens=200)
    answer = answer_with_fakes("What did Mills say about Clause 12?", hits)
    assert not answer.refused
    assert "ferry" not in answer.answer
    assert len(re.findall(r"\[\d+\]", answer.answer)) == len(answer.citations)


def test_a_sentence_opening_with_a_pronoun_or_the_boat_leans_back() -> None:
    assert leans_back("She said the register would start in May.")
    assert leans_back("The Hobart-built boat crossed the line first.")
    assert not leans_back("The Senate passed the bill.")
