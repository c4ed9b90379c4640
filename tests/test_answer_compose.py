"""rag/answer/compose.py: concise answers; refusals that say what is missing, then cite."""

import re

from rag.answer.candidates import Candidate
from rag.answer.compose import leans_back, select
from rag.answer.question import analyse_question
from rag.answer.weights import Weights
from rag.types import Chunk, Hit
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


def _sentences(article_id: str, texts_scores: list[tuple[str, float, float]]) -> list[Candidate]:
    """Candidates of one made-up article, in reading order, with given scores and kinds."""
    body = " ".join(t for t, _, _ in texts_scores)
    chunk = Chunk(f"{article_id}#0", article_id, 0, body, 0, len(body), "T", None, "x", "h")
    hit = Hit(chunk, 1.0)
    out, at = [], 0
    for text, score, kind in texts_scores:
        out.append(Candidate(hit, 0, at, at + len(text), text, "", score=score, kind=kind))
        at += len(text) + 1
    return out


LEAD = "The harbour festival opened on the foreshore with a parade of boats and bands."
SETUP = "Organisers had planned the festival for two years after the last one was cancelled."
FACT = "The opening parade drew a crowd of about 12,000 people to the foreshore."
AFTER = "Stalls selling food and crafts will stay open along the harbour until Sunday night."
LONG = " ".join(["Organisers said the weather and the tides had both been kind to the event"] * 4)


def test_a_close_runner_up_of_the_same_story_joins_the_answer_within_the_word_budget() -> None:
    lead, setup, fact = _sentences(
        "local/festival", [(LEAD, 1.0, 0.5), (SETUP, 0.4, 0.5), (FACT, 0.9, 0.5)]
    )
    info = analyse_question("How did the harbour festival parade go?")
    chosen = select(info, [lead, fact, setup], Weights())
    assert chosen[:2] == [lead, fact]
    assert select(info, [lead, fact, setup], Weights(close_ratio=0.95)) == [lead]


def test_a_runner_up_that_would_break_the_word_budget_stays_out() -> None:
    lead, setup, long = _sentences(
        "local/festival", [(LEAD, 1.0, 0.5), (SETUP, 0.4, 0.5), (LONG, 0.95, 0.5)]
    )
    info = analyse_question("How did the harbour festival parade go?")
    assert select(info, [lead, long, setup], Weights()) == [lead]
    assert select(info, [lead, long, setup], Weights(word_budget=200)) == [lead, long]


def test_a_close_runner_up_takes_the_second_place_from_a_weaker_following_sentence() -> None:
    lead, after, fact = _sentences(
        "local/festival", [(LEAD, 1.0, 0.5), (AFTER, 0.65, 0.5), (FACT, 0.9, 0.5)]
    )
    info = analyse_question("What happened at the harbour festival?")
    chosen = select(info, [lead, fact, after], Weights(word_budget=20))
    assert chosen == [lead, fact]


def test_the_sentence_naming_the_thing_a_what_question_asks_for_joins_the_lead() -> None:
    lead = "The charity says it is building a cheap tablet for every pupil in the region."
    fact = "Each tablet would run a free operating system written by volunteers."
    first, second = _sentences("local/tablet", [(lead, 1.0, 0.5), (fact, 0.7, 1.0)])
    info = analyse_question("What operating system will the pupils' tablet run?")
    assert info.asks == "thing"
    assert select(info, [first, second], Weights()) == [first, second]
