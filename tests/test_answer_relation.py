"""rag/answer/relation.py: the chosen sentence must say what the question asks the same
way round — not denied, no figure changed, the parties of the verb not swapped."""

from rag.answer.question import analyse_question
from rag.answer.relation import (
    asks_money,
    contradictions,
    denied,
    figure_changed,
    holds_money,
    name_changed,
)
from rag.answer.roles import roles_swapped


def test_the_parties_of_the_verb_the_other_way_round_are_swapped() -> None:
    sentence = "Norland has agreed to sell 40,000 tonnes of wheat a year to Estova."
    assert roles_swapped("How much wheat a year will Estova sell to Norland?", sentence)
    assert not roles_swapped("How much wheat a year will Norland sell to Estova?", sentence)


def test_a_subject_named_only_after_the_verb_is_its_object() -> None:
    sentence = "A retired teacher is suing Brightline Rail, saying its trains ran late."
    assert roles_swapped("Why is Brightline Rail suing a retired teacher?", sentence)
    assert not roles_swapped("Why is a retired teacher suing Brightline Rail?", sentence)


def test_who_did_it_to_a_name_is_not_answered_where_that_name_did_it() -> None:
    sentence = "Critics noted that Mayor Ana Ruiz had once called her rival Tom Bell a coward."
    assert roles_swapped("Who called Mayor Ana Ruiz a coward?", sentence)
    assert not roles_swapped("Who called Tom Bell a coward?", sentence)


def test_a_passive_sentence_and_a_noun_phrase_subject_are_left_alone() -> None:
    assert not roles_swapped("Who beat Rovers?", "Rovers were beaten by City on Saturday.")
    # "Iranian", "Dorset's … order": modifiers of a noun, not the subject of a verb
    assert not roles_swapped(
        "How long a sentence did Iranian writer Ali Navid receive?",
        "Writers say the sentence given to Navid will silence Iranian bloggers.",
    )
    assert not roles_swapped(
        "How many jobs is Dorset's ferry order expected to create?",
        "The order for ferries from Dorset should create 300 jobs.",
    )


def test_a_sentence_that_denies_the_asked_event_denies_the_question() -> None:
    sentence = "The league cleared Hana Berg because the pills are not banned outside matches."
    assert denied("Why did the league ban Hana Berg?", sentence)
    assert not denied("Why did the league clear Hana Berg?", "The league cleared Hana Berg.")


def test_a_negation_beside_the_asked_event_or_a_when_question_is_no_denial() -> None:
    beside = "The council says it is not surprised the share of cyclists has doubled."
    assert not denied("Which share of commuters cycle to work?", beside)
    # "declined to" answers "when will": the sentence says there is no date
    assert not denied("When will Halden give its forecast?", "Halden declined to give a forecast.")
    # a question negated itself is the question's own negation check's business
    assert not denied("Why did the league not ban Hana Berg?", "Berg was not banned.")


def test_a_figure_of_the_question_standing_changed_between_the_same_words() -> None:
    sentence = "The poet, jailed for 9 years on charges of sedition, was freed in May."
    assert figure_changed("Which poet was jailed for 7 years on sedition charges?", sentence)
    assert not figure_changed("Which poet was jailed for 9 years on sedition charges?", sentence)
    riots = "The judge who led the inquiry into the 1971 dock strikes has died."
    assert figure_changed("Who led the inquiry into the 1975 dock strikes?", riots)


def test_another_figure_elsewhere_in_the_sentence_is_no_change() -> None:
    sentence = "Its profits rose in the second half of 2003, and it gave no outlook."
    assert not figure_changed("What profits did it expect for the first half of 2004?", sentence)


def test_a_name_of_the_question_standing_as_another_name_at_the_same_word() -> None:
    sentence = "Nine homes have been destroyed by the fires at Dunmore, the brigade said."
    assert name_changed("How many homes were destroyed by the fires at Kellerby?", sentence)
    assert not name_changed("How many homes were destroyed by the fires at Dunmore?", sentence)
    province = "Six soldiers were killed in raids in the eastern Ardo province on Sunday."
    assert name_changed("How many soldiers were killed in raids in Vass province?", province)


def test_an_abbreviation_or_a_sentence_that_restates_little_is_no_changed_name() -> None:
    short = "The grant of $9,000 to the RCA was withdrawn, the Nordic Royal College of Arts said."
    assert not name_changed(
        "How much was the grant to the Nordic Royal College of Arts?",
        "The grant of $9,000 to the RCA was withdrawn in May.",
    )
    assert not name_changed("When will the tour reach Kellerby?", short)


def test_how_much_a_thing_costs_asks_money_and_a_change_or_a_count_does_not() -> None:
    assert asks_money("How much will the new scanner cost?")
    assert asks_money("At what price will the shares be sold?")
    assert asks_money("How much money is the club asking the council for?")
    assert not asks_money("By how much did the club raise its prices?")
    assert not asks_money("How much did rainfall rise in March?")


def test_money_is_a_currency_figure_not_any_figure() -> None:
    assert holds_money("Tickets will cost between £12 and £18.")
    assert holds_money("Revenue fell to 41.5bn Danish kroner, or 6.2bn euros.")
    assert holds_money("Parking costs 80p an hour.")
    assert not holds_money("The scanner has a 500GB drive and records 60 hours.")


def test_a_sentence_with_the_parties_the_right_way_round_agrees() -> None:
    from rag.answer.relation import roles_agree

    question = "How much wheat a year will Norland sell to Estova?"
    assert roles_agree(question, "The Norlanders will sell 40,000 tonnes of wheat to Estova.")
    assert not roles_agree(question, "Estova has agreed to sell wheat to Norland.")


def test_a_figure_after_its_determiner_or_written_in_words_stands_changed() -> None:
    sentence = "We are on course to reach our four million members by the spring."
    assert figure_changed("When will the club reach its seven million members?", sentence)
    assert not figure_changed("When will the club reach its four million members?", sentence)


def test_a_figure_after_the_same_word_of_meaning_stands_changed() -> None:
    sentence = "The levy falls on those earning more than £80,000, about 2% of households."
    assert figure_changed("What share of households earns over £90,000?", sentence)
    assert not figure_changed("What share of households earns over £80,000?", sentence)
    # another kind of figure, or a figure of another word, is not the asked one changed
    assert not figure_changed("What share of households earns over 90%?", sentence)
    assert not figure_changed("Who pays £90,000 in the levy?", sentence)


def test_a_speakers_figure_changed_is_a_contradiction_and_their_denial_is_not() -> None:
    sentence = "The levy falls on those earning more than £80,000, the minister said."
    asked = analyse_question("Who pays the levy on earnings over £90,000, according to Ann Roe?")
    assert asked.speaker
    assert contradictions(asked, [sentence]) == ("the figure asked",)
    denial = "Ann Roe said the levy was not raised on those earning more than £90,000."
    asked = analyse_question("Why was the levy raised, according to Ann Roe?")
    assert contradictions(asked, [denial]) == ()


def test_a_figure_changed_beside_a_sentence_stating_it_is_no_contradiction() -> None:
    asked = analyse_question("Which households earn over £90,000 a year?")
    other = "The levy falls on those earning more than £80,000 a year."
    stated = "Some 2% of households earn over £90,000 a year."
    assert contradictions(asked, [other]) == ("the figure asked",)
    assert contradictions(asked, [other, stated]) == ()


def test_a_name_owning_a_description_is_no_other_name_but_an_owned_name_is() -> None:
    # "the film of Mara Lind's prize-winning memoir" may well be the film of "Salt Roads"
    sentence = "The film of Mara Lind's prize-winning memoir is being directed by Ivo Dant."
    assert not name_changed("Who is directing the film of Salt Roads?", sentence)
    # a place owned by a country is still another place where the question's stood
    raids = "Nine people died in raids in Norland's northern Vass province on Sunday."
    assert name_changed("How many people died in raids in Ardo province?", raids)


def test_a_name_after_the_question_word_is_still_a_name_of_the_question() -> None:
    # "Which" is capitalised by position; the name after it is the question's own
    sentence = "Velt chief executive Ana Ruiz, who moved to Oslo in May, said sales had risen."
    assert name_changed("Which Norco chief executive moved to Oslo in May?", sentence)
    assert not name_changed("Which Velt chief executive moved to Oslo in May?", sentence)


def test_a_name_after_the_words_opening_the_question_is_compared_too() -> None:
    sentence = "Regional carrier Velco Air's share offer was oversubscribed 12 times, bankers said."
    assert name_changed("How many times was Dunmore Jet's share offer oversubscribed?", sentence)
    assert not name_changed("How many times was Velco Air's share offer oversubscribed?", sentence)


def test_another_rank_for_the_noun_of_an_ordinal_contradicts_the_question() -> None:
    info = analyse_question("How much did Velco earn in the second quarter?")
    third = ["Velco said it earned $12m in the third quarter, down from $40m."]
    assert "the figure asked" in contradictions(info, third)
    second = ["Velco said it earned $12m in the 2nd quarter, down from $40m."]
    assert contradictions(info, second) == ()


def test_the_opposite_of_the_questions_verb_denies_what_it_takes_as_given() -> None:
    sentence = "Last week, Norbank rejected a £2bn takeover offer from Valmet."
    assert denied("Why did Norbank accept Valmet's takeover offer?", sentence)
    assert not denied("Why did Norbank reject Valmet's takeover offer?", sentence)
    # an opposite beside another noun is not the question's event
    late = "Ola Berg scored a second try but late goals from Ian Moss sealed it."
    assert not denied("Who scored the early try against Norland?", late)


def test_a_noun_of_the_questions_verb_places_no_party() -> None:
    question = "Which engineer recorded the early Ada Voss tapes sold in Lisbon?"
    sentence = "Some of Ada Voss's earliest recordings are going under the hammer in Lisbon."
    assert not roles_swapped(question, sentence)
    assert roles_swapped("Why is Velco suing Ostra?", "Ostra is suing Velco over the plant.")
