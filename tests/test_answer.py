"""rag/answer/ end to end: every [n] of an answer is a citation quoting the article exactly."""

from __future__ import annotations

import re

import pytest

from rag.answer import (
    Candidate,
    ExtractiveAnswerer,
    Weights,
    analyse_question,
    names_in,
    refusal,
    slot_filled,
)
from rag.answer.answerable import support
from rag.answer.candidates import candidates_of, score_candidates
from rag.chunk import chunk_article
from rag.load import make_article
from rag.store import ChromaStore
from rag.types import Answer, Article, Hit
from tests.conftest import KALLAS, SEED
from tests.fakes import HashEmbedder

UNANSWERABLE = "What did the Bank of Japan decide about interest rates in March 2019?"
SEED_TITLE = "US considers crossing red lines on Western troops and missiles in Ukraine war"
# Questions over the shipped corpus (answerable and not) whose answers must follow the rules.
QUESTIONS = [
    KALLAS,
    "How many people died in the overnight Russian air strikes on Kharkiv?",
    "What did Max Hess say about the change of policy?",
    "Who did Arantxa Sanchez-Vicario win her first Hopman Cup with in 1990?",
    "Which boat was first across the finish line in the 57th Sydney-Hobart race?",
    "What did South Africa make in their first innings of the Boxing Day Test at the MCG?",
    "What did Maria Zakharova say Moscow would do?",
    UNANSWERABLE,
    "Who won the 2022 FIFA World Cup final?",
]
MARKER = re.compile(r"\[(\d+)\]")


def check_citation_rules(answer: Answer, store: ChromaStore | None = None) -> None:
    """The contract's rules for one answer (store: check quotes against the stored article)."""
    markers = {int(n) for n in MARKER.findall(answer.answer)}
    numbers = [c.n for c in answer.citations]
    assert markers == set(numbers), answer.answer
    assert numbers == list(range(1, len(numbers) + 1))
    if answer.refused:  # a refusal says so first; it may then cite what is said
        assert answer.answer.startswith(("The articles don't say", "The indexed articles"))
    for c in answer.citations:
        assert c.quote and c.char_end - c.char_start == len(c.quote)
        assert c.chunk_id.startswith(f"{c.article_id}#")
        if store is not None:
            article = store.get_article(c.article_id)
            assert article is not None
            assert article.text[c.char_start : c.char_end] == c.quote
            assert (c.title, c.published, c.source) == (
                article.title,
                article.published,
                article.source,
            )


@pytest.fixture(scope="module")
def corpus_store(corpus_index) -> ChromaStore:
    return ChromaStore(corpus_index)


@pytest.fixture(scope="module")
def answers(corpus_pipeline) -> dict[str, Answer]:
    return {q: corpus_pipeline.ask(q) for q in QUESTIONS}


# -- on the real model and the shipped corpus -----------------------------------------------


@pytest.mark.slow
def test_kallas_question_is_answered_from_the_seed_article(answers) -> None:
    answer = answers[KALLAS]
    assert not answer.refused and answer.mode == "extractive"
    first = answer.citations[0]
    assert first.article_id == SEED.stem
    assert first.chunk_id.startswith(f"{SEED.stem}#")
    assert first.title == SEED_TITLE
    assert first.published == "2024-11-22"
    assert first.source.endswith(SEED.name)
    assert "Article 5" in first.quote and "Kallas" in answer.answer


@pytest.mark.slow
def test_kallas_quote_is_the_stored_article_text_at_its_offsets(answers, corpus_store) -> None:
    first = answers[KALLAS].citations[0]
    article = corpus_store.get_article(SEED.stem)
    assert article is not None
    assert article.text[first.char_start : first.char_end] == first.quote
    assert SEED.read_text(encoding="utf-8").count(first.quote) == 1  # verbatim, no ellipses


@pytest.mark.slow
def test_kallas_on_article_6_is_refused_citing_what_she_said_on_article_5(
    corpus_pipeline, corpus_store
) -> None:
    answer = corpus_pipeline.ask("What did Kallas say about Article 6?")
    assert answer.refused
    assert answer.answer.startswith("The articles don't say what Kallas said about Article 6.")
    assert answer.citations and answer.citations[0].article_id == SEED.stem
    assert "Article 5" in answer.citations[0].quote
    check_citation_rules(answer, corpus_store)


@pytest.mark.slow
def test_unanswerable_question_is_refused_saying_the_articles_dont_say(answers) -> None:
    answer = answers[UNANSWERABLE]
    assert answer.refused
    assert answer.citations == ()
    assert "don't say" in answer.answer or "do not say" in answer.answer
    assert not MARKER.search(answer.answer)


@pytest.mark.slow
@pytest.mark.parametrize("question", QUESTIONS)
def test_every_marker_has_a_citation_and_every_citation_is_used(
    answers, corpus_store, question: str
) -> None:
    check_citation_rules(answers[question], corpus_store)


@pytest.mark.slow
def test_answers_carry_warm_timings(answers) -> None:
    for answer in answers.values():
        assert answer.timings_ms["total"] > 0
        assert answer.timings_ms["total"] >= answer.timings_ms["retrieve"]


# -- with the hashing embedder and hand-made passages -----------------------------------------

STORY = (
    "Estonia’s Prime Minister, Kaja Kallas, said this week that sending soldiers would not "
    "risk escalation, claiming that casualties would not lead to invoking Article 5.\n\n"
    "Some countries already have troops operating in Ukraine, she said.\n\n"
    "Spain beat Argentina in the Hopman Cup in Perth on Monday."
)


def hits_for(*articles: Article, max_tokens: int = 40) -> list[Hit]:
    chunks = [c for a in articles for c in chunk_article(a, max_tokens=max_tokens, overlap=0)]
    return [Hit(c, 1.0 / (61 + i)) for i, c in enumerate(chunks)]


def scored_with_fakes(question: str, hits: list[Hit]) -> list[Candidate]:
    """The answerer's candidate sentences for `hits`, scored, in passage order."""
    embedder = HashEmbedder()
    candidates = candidates_of(hits)
    info = analyse_question(question)
    vector = embedder.embed([question])[0]
    score_candidates(info, candidates, vector, lambda stem: 1.0, embedder.embed, Weights())
    return candidates


def answer_with_fakes(question: str, hits: list[Hit]) -> Answer:
    embedder = HashEmbedder()
    answerer = ExtractiveAnswerer(embedder, lambda stem: 1.0)
    return answerer.answer(question, hits, embedder.embed([question])[0])


def story(text: str = STORY, article_id: str = "world/kallas") -> Article:
    return make_article(article_id, "Kallas on troops", text, "2024-11-22", "kallas.txt", "/n")


def test_say_question_picks_the_sentence_attributing_speech_to_the_person() -> None:
    article = story()
    answer = answer_with_fakes(KALLAS, hits_for(article))
    assert not answer.refused
    (first, *_) = answer.citations
    assert "Kaja Kallas, said" in first.quote and "Article 5" in first.quote
    assert article.text[first.char_start : first.char_end] == first.quote
    check_citation_rules(answer)


def test_no_passages_gives_a_refusal() -> None:
    answer = answer_with_fakes(KALLAS, [])
    assert answer.refused and answer.citations == ()


def test_unrelated_passages_give_a_refusal() -> None:
    unrelated = story("Spain beat Argentina in the Hopman Cup in Perth on Monday.", "sport/cup")
    answer = answer_with_fakes(UNANSWERABLE, hits_for(unrelated))
    assert answer.refused and answer.citations == ()


def test_refusal_says_the_articles_dont_say_and_cites_nothing() -> None:
    answer = refusal("Who won in 1990?")
    assert answer.refused and answer.citations == () and answer.mode == "extractive"
    assert "don't say" in answer.answer
    assert answer.question == "Who won in 1990?"


def test_answer_cites_passages_from_several_articles_with_distinct_numbers() -> None:
    first = story()
    second = story(
        "Kaja Kallas said again on Friday that Article 5 would not be invoked over trainers.",
        "world/kallas-again",
    )
    answer = answer_with_fakes(KALLAS, hits_for(first, second))
    check_citation_rules(answer)
    for c in answer.citations:
        source = first if c.article_id == first.article_id else second
        assert source.text[c.char_start : c.char_end] == c.quote


def test_bracketed_number_in_the_article_does_not_become_an_uncited_marker() -> None:
    text = "The minister said the budget surplus was 4 billion dollars [3], a record.\n\nRain fell."
    article = story(text, "economy/budget")
    answer = answer_with_fakes(
        "What did the minister say about the budget surplus?", hits_for(article)
    )
    assert not answer.refused
    check_citation_rules(answer)


# -- what the question asks for ---------------------------------------------------------------


def test_a_date_does_not_count_as_the_number_a_how_many_question_asks_for() -> None:
    info = analyse_question("How many people turned up for the nude photo shoot at the lake?")
    assert info.asks == "number"
    dated = "The resort owner wants to photograph people at the lake on January 2."
    counted = "About 300 people turned up for the photo shoot at the lake."
    assert slot_filled(info, dated, info.text.lower()) == 0.0
    assert slot_filled(info, counted, info.text.lower()) == 1.0
    assert slot_filled(info, "The shoot was first planned in 1998.", info.text.lower()) == 0.0


def test_what_was_the_score_asks_for_a_number() -> None:
    assert analyse_question("What was the score when Seles beat Razzano?").asks == "number"
    assert analyse_question("What is the death toll from the fire?").asks == "number"
    assert analyse_question("What size pay rise do the workers want?").asks == "number"
    assert analyse_question("What was the longest jail term handed down?").asks == "number"


def test_a_surname_starting_a_sentence_is_a_name_when_the_passage_capitalises_it_elsewhere() -> (
    None
):
    info = analyse_question("Who was named man of the match in Adelaide?")
    sentence = "Warne was named man of the match."
    passage = "Glenn McGrath and Shane Warne each took three wickets. " + sentence
    assert slot_filled(info, sentence, info.text.lower()) == 0.0
    assert slot_filled(info, sentence, info.text.lower(), names_in(passage)) == 1.0


def test_which_x_question_prefers_the_name_beside_the_noun_it_asks_for() -> None:
    text = (
        "Four people were killed when a fire broke out overnight at a hotel in central Paris. "
        "The fire began in the elevator shaft, next to the Theatre du Chatelet. "
        "The fire at the hotel du Palais killed four guests, the Paris fire service said."
    )
    question = "At which Paris hotel did a fire kill four people?"
    info = analyse_question(question)
    assert info.head == "hotel"
    beside, elsewhere = text.split(". ")[2], text.split(". ")[1]
    assert slot_filled(info, beside, question.lower()) > slot_filled(
        info, elsewhere, question.lower()
    )
    answer = answer_with_fakes(question, hits_for(story(text, "world/paris-fire"), max_tokens=120))
    assert not answer.refused
    assert "hotel du Palais" in answer.answer
    check_citation_rules(answer)


def test_how_did_x_respond_is_a_question_about_what_x_said() -> None:
    info = analyse_question("How did John Howard respond to claims of a cover-up?")
    assert info.speaker == "John Howard"
    assert "cover-up" in " ".join(info.topic) or "cover" in " ".join(info.topic)


def test_what_x_said_about_y_prefers_the_quote_on_y() -> None:
    text = (
        "The Queen said 2001 had brought many people trials and disasters. "
        '"The outrages in the United States brought home the pain of ordinary people," she said. '
        '"So many of us need our faith more than ever to sustain us," she said. '
        '"We must value all that is good and honest," she said.'
    )
    answer = answer_with_fakes(
        "What did the Queen say about faith?", hits_for(story(text, "uk/queen"), max_tokens=200)
    )
    assert not answer.refused
    assert "need our faith more than ever" in answer.answer
    check_citation_rules(answer)


def test_hedged_and_how_strong_questions_ask_for_a_number() -> None:
    hedged = analyse_question("Roughly how many former staff were paid overnight?")
    assert hedged.asks == "number" and "roughli" not in hedged.stems
    assert analyse_question("How strong was the quake that hit the town?").asks == "number"


def test_which_x_verb_the_object_finds_the_noun_asked_for() -> None:
    info = analyse_question("Which company runs the Latrobe Valley plant where workers struck?")
    assert info.head == "compani"


def test_an_acronym_and_a_compound_word_in_the_question_match_the_article() -> None:
    text = (
        "An earthquake measuring 4.1 on the Richter scale has shaken parts of Western "
        "Australia's wheatbelt overnight.\n\nA spokesman said nobody was hurt."
    )
    answer = answer_with_fakes(
        "How strong was the quake that hit the WA wheatbelt overnight?",
        hits_for(story(text, "wa/quake")),
    )
    assert not answer.refused
    assert "4.1" in answer.answer
    check_citation_rules(answer)


def test_a_count_of_another_event_does_not_answer_how_many_were_killed() -> None:
    question = "How many people were killed when the shopping centre roof collapsed?"
    info = analyse_question(question)
    injured = "Dozens of people were injured and 50 people were trapped when the roof collapsed."
    died = "Three people died when the roof of the shopping centre collapsed."
    assert slot_filled(info, injured, question.lower()) < 1.0
    assert slot_filled(info, died, question.lower()) >= 1.0
    # several counts asked: the event of one does not rule out a sentence holding the other
    both = analyse_question("How many crew were aboard, and how many have been rescued?")
    assert slot_filled(both, "The boat's 15 crew were thrown into the sea.", both.text) >= 1.0

    rescue = "A shopping centre roof collapsed in Pretoria on Saturday. " + injured
    refused = answer_with_fakes(question, hits_for(story(rescue, "world/roof"), max_tokens=120))
    assert refused.refused
    told = answer_with_fakes(
        question, hits_for(story(rescue + " " + died, "world/roof"), max_tokens=120)
    )
    assert not told.refused and "Three people died" in told.answer


def test_a_question_for_the_name_of_an_unnamed_person_is_refused() -> None:
    question = "What was the name of the gunman in the Goshen factory shooting?"
    lead = (
        "A gunman went on a shooting rampage at a factory in Goshen, Indiana, killing one "
        "person, officials said. Police Chief Wayne Kusnier said 35 people were wounded."
    )
    refused = answer_with_fakes(question, hits_for(story(lead, "world/goshen"), max_tokens=120))
    assert refused.refused
    named = lead + " The gunman, Robert Wissman, was a former employee of the Goshen factory."
    told = answer_with_fakes(question, hits_for(story(named, "world/goshen"), max_tokens=120))
    assert not told.refused and "Robert Wissman" in told.answer


def test_an_answer_starting_with_the_boat_or_he_brings_the_sentence_that_names_it() -> None:
    text = (
        "Only a protest can now stop Bumblebee 5 from winning the overall honours in the "
        "Sydney to Hobart race. The Melbourne-skippered boat appears to have clinched the "
        "handicap title after its nearest rival, Zeus Two, failed to finish this morning. "
        "Crowds gathered at the docks in Hobart."
    )
    question = "Which yacht clinched the handicap title after Zeus Two failed to finish?"
    answer = answer_with_fakes(question, hits_for(story(text, "sport/hobart"), max_tokens=120))
    assert not answer.refused
    assert "Bumblebee 5" in answer.answer and "clinched" in answer.answer
    check_citation_rules(answer)


def test_a_question_for_a_day_wants_a_day_and_a_when_question_prefers_one() -> None:
    day = analyse_question("On what day did Indonesia invade East Timor?")
    assert day.asks == "date"
    year_only = "Indonesia invaded East Timor in 1975."
    dated = "Indonesia invaded East Timor on December 7."
    assert slot_filled(day, year_only, day.text.lower()) == 0.0
    assert slot_filled(day, dated, day.text.lower()) == 1.0
    when = analyse_question("When did Indonesia invade East Timor?")
    assert slot_filled(when, dated, when.text.lower()) > slot_filled(
        when, year_only, when.text.lower()
    )
    year = analyse_question("In what year did Indonesia invade East Timor?")
    assert slot_filled(year, year_only, year.text.lower()) == 1.0
    assert analyse_question("The rate is at its lowest level since when?").asks == "date"


def test_counts_in_words_hyphens_and_compounds_fill_a_how_many_question() -> None:
    homes = analyse_question("How many homes were lost in the Hawkesbury area?")
    assert slot_filled(homes, "Fourteen homes have been destroyed there.", homes.text) > 0.99
    start = analyse_question("How much of a head start are the big yachts being given?")
    sentence = "The big yachts get a 200-metre headstart to keep them out of harm's way."
    assert slot_filled(start, sentence, start.text.lower()) > 0.99


def test_a_number_directly_counting_the_thing_asked_for_is_the_surest_answer() -> None:
    info = analyse_question("How many asylum seekers were aboard the boat?")
    direct = "The vessel landed carrying 69 asylum seekers."
    nearby = "Asylum seekers said the boat left 12 days ago."
    assert slot_filled(info, direct, info.text.lower()) > slot_filled(
        info, nearby, info.text.lower()
    )
    # and it carries more support than a sentence that only has a number near the noun
    hit = hits_for(story(direct, "world/boat"))[0]
    strong = [Candidate(hit, 0, 0, len(direct), direct, "", kind=1.2, window=0.5, lexical=0.5)]
    plain = [Candidate(hit, 0, 0, len(direct), direct, "", kind=1.0, window=0.5, lexical=0.5)]
    assert support(info, strong, Weights()) > support(info, plain, Weights())


def test_a_year_in_the_question_need_not_be_spelled_the_same_in_the_article() -> None:
    question = "How many bank employees will join the first national bank strike in 30 years?"
    text = "About 60,000 bank employees will join the first national strike in three decades."
    hits = hits_for(story(text, "business/strike"))
    candidates = scored_with_fakes(question, hits)
    assert candidates[0].entity == 1.0  # "30" is no name the article must repeat
    answer = answer_with_fakes(question, hits)
    assert not answer.refused and "60,000" in answer.answer


def test_the_person_a_sentence_quotes_is_not_the_name_asked_for_unless_in_that_role() -> None:
    crew = analyse_question("What nationality was the crew that left the asylum seekers?")
    assert crew.asks == "entity"
    quoted = "Shire president, Ron Grant, says the crew left in another boat."
    assert slot_filled(crew, quoted, crew.text.lower()) == 0.0
    assert slot_filled(crew, "The crew were Indonesian fishermen.", crew.text.lower()) >= 1.0
    role = analyse_question("Who is the Privacy Commissioner enforcing the new laws?")
    sentence = "Privacy Commissioner Malcolm Crompton says the new laws will be enforced."
    assert slot_filled(role, sentence, role.text.lower()) >= 1.0


def test_money_and_shares_count_nothing_for_a_how_many_question() -> None:
    info = analyse_question("According to the bureau, how many casinos are operating?")
    assert info.asks == "number"
    assert slot_filled(info, "Casinos made 80 per cent or $2.5 billion of it.", info.text) == 0.0
    assert slot_filled(info, "There are 13 casinos operating in Australia.", info.text) >= 1.0
    assert slot_filled(info, "About 1.2 million people visit the 13 casinos.", info.text) >= 1.0


def test_the_quote_after_the_sentence_introducing_it_comes_with_it() -> None:
    text = (
        "Sayed Hamed Gailani, a delegate from the Peshawar group, summed up the mood at the "
        "signing in Bonn in a single phrase. \u201cYesterday's rain does not have the courage "
        "to cry, and the sun cannot hide its smile.\u201d The agreement was signed by the four "
        "delegations. Diplomats said the talks in Bonn had lasted nine days."
    )
    question = "How did Sayed Hamed Gailani capture the mood at the signing in Bonn?"
    assert analyse_question(question).speaker == "Sayed Hamed Gailani"
    hits = hits_for(story(text, "world/bonn"), max_tokens=120)
    candidates = scored_with_fakes(question, hits)
    intro, quote = candidates[0], candidates[1]
    assert quote.text.startswith("“") and quote.score >= 0.9 * intro.score
    answer = answer_with_fakes(question, hits)
    assert not answer.refused and "sun cannot hide its smile" in answer.answer
    check_citation_rules(answer)


def test_a_count_beside_money_with_the_same_digits_is_still_a_count() -> None:
    info = analyse_question("How many men were arrested?")
    assert slot_filled(info, "Police seized $300 and arrested 3 men.", info.text.lower()) >= 1.0
