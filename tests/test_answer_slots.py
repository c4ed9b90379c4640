"""The kind of thing asked for, found in a sentence (rag/answer/slots.py) and read from
the question (rag/answer/question.py)."""

from __future__ import annotations

from rag.answer.question import analyse_question, question_focus
from rag.answer.slots import slot_filled


def filled(question: str, sentence: str) -> float:
    info = analyse_question(question)
    return slot_filled(info, sentence, info.text.lower())


def test_a_hyphenated_number_word_is_a_count() -> None:
    question = "How many sailors were rescued from the trawler?"
    assert filled(question, "Thirty-four sailors were rescued from the trawler on Sunday.") > 1.0
    assert filled(question, "The sailors were rescued from the trawler on Sunday.") == 0.0


def test_what_share_of_asks_for_a_number_and_a_percentage_or_fraction_fills_it() -> None:
    question = "What share of the village's farmers own their land?"
    assert analyse_question(question).asks == "number"
    assert analyse_question("What portion of the mill does the family own?").asks == "number"
    assert filled(question, "About 60% of the farmers own the land they work.") > 1.0
    assert filled(question, "Nearly a third of farmers own their land outright.") > 1.0
    # a count is not a share
    assert filled(question, "The village has 400 farmers and two mills.") < 1.0


def test_how_far_back_asks_for_a_time_long_past_not_a_day() -> None:
    question = "How far back must you go to find floods this bad in the valley?"
    assert analyse_question(question).asks == "date"
    long_ago = "The valley has not flooded like this since the 1950s."
    this_week = "The river burst its banks on Tuesday, flooding the valley."
    assert filled(question, long_ago) > filled(question, this_week)


def test_how_many_times_counts_times_even_when_no_verb_follows_closely() -> None:
    question = "How many times faster than the old pump will the new station's engine be?"
    assert question_focus(question) == "time"
    assert filled(question, "The new engine will be forty times faster.") > 1.0
    assert filled(question, "The old pump ran at 300 litres a minute.") <= 1.0


def test_a_match_score_counts_as_a_figure() -> None:
    question = "What was the score when the home side beat the visitors?"
    assert filled(question, "The home side won 3-1 after trailing at half time.") >= 1.0
    assert filled(question, "The home side won thanks to a late goal by the captain.") == 0.0


def test_the_sentence_holding_the_noun_a_what_question_names_fills_it_best() -> None:
    question = "What operating system will the school tablet run?"
    assert filled(question, "The tablet will run a free operating system.") == 1.0
    assert filled(question, "The school tablet will cost under $100.") == 0.5


def test_at_what_time_is_best_filled_by_a_time_of_day() -> None:
    question = "At what time did the choir begin its concert?"
    at_time = filled(question, "The choir began singing at 7:30pm on Saturday.")
    on_day = filled(question, "The choir began singing on Saturday.")
    assert at_time > on_day >= 1.0


def test_a_person_named_after_a_title_is_a_new_name_beside_the_role_asked_for() -> None:
    question = "Who is the state minister responsible for ports?"
    assert filled(question, "Harbour Minister Jo Brand says the dredging will go ahead.") > 1.0
    assert filled(question, "The Harbour Minister says the dredging will go ahead.") == 0.0


def test_a_number_straight_after_the_question_verb_counts_the_unnamed_things_asked() -> None:
    question = "How many runs did Jo Hayes score in the second innings?"
    assert filled(question, "Hayes scored 131 before he was out, lifting the run rate.") == 1.0
    assert filled(question, "Hayes was out for the 3rd time, lifting the run rate.") == 0.0


def test_what_was_the_score_is_filled_best_by_a_result_not_an_age() -> None:
    question = "What was the score when the home side beat the visitors?"
    result = filled(question, "The home side won 3-1 after trailing at the break.")
    age = filled(question, "The fifteen-year-old striker scored twice for the home side.")
    assert result > 1.0 > age


def test_an_amount_written_onto_its_figure_fills_how_much() -> None:
    question = "How much will the ferry service cost the council each year?"
    assert filled(question, "The ferry service will cost the council £4m a year.") >= 1.0
    assert filled(question, "The deal was worth $2.5bn, officials said.") >= 1.0
    assert filled(question, "The ferry service will cost the council a great deal.") == 0.0


def test_how_much_asks_an_amount_not_a_count_of_things() -> None:
    question = "How much will shutting the branch libraries save the city?"
    amount = filled(question, "The mayor said shutting them would save £3m a year.")
    count = filled(question, "Seven branch libraries will shut to save money, the mayor said.")
    assert amount >= 1.0 > count
    assert filled(question, "Closing them saves 12% of the library budget.") >= 1.0
    assert filled(question, "Closing them saves about 5 million dollars.") >= 1.0
    # "how far … and how much": the first asks a distance, which a count may give
    both = "How far did the walkers go and how much did they raise?"
    assert filled(both, "The walkers covered more than 300 hilly kilometres.") >= 1.0


def test_which_country_is_filled_by_a_country_not_by_a_city() -> None:
    question = "Which country does the sprinter Ana Bell run for?"
    assert filled(question, "Ana Bell will race in the 60m in Birmingham on Friday.") == 0.0
    assert filled(question, "The St Kitts and Nevis star Ana Bell will race on Friday.") >= 1.0
    assert filled(question, "The Kenyan star Ana Bell will race on Friday.") >= 1.0
    # another "which" question still takes any new name
    city = "Which city will the sprinter Ana Bell race in?"
    assert filled(city, "Ana Bell will race in the 60m in Birmingham on Friday.") >= 1.0


def test_how_old_is_filled_by_an_age_not_by_any_number() -> None:
    question = "How old is the film producer Ana Bell?"
    assert filled(question, "Ana Bell is at number 31 on the list of the richest.") == 0.0
    assert filled(question, "Ana Bell, 47, produced the film.") >= 1.0
    assert filled(question, "The 47-year-old producer Ana Bell made the film.") >= 1.0
    assert filled("How old was the boy?", "The 20-month-old boy was found safe.") >= 1.0
