"""rag/answer/question.py: a question read into the typed parts an answer must ground."""

from rag.answer.question import analyse_question, speaker_name


def test_what_did_x_say_about_y_gives_the_speaker_and_the_topic() -> None:
    info = analyse_question("What did Senator Mills say about Clause 12 of the housing bill?")
    assert info.speaker == "Senator Mills" and info.speaker_required
    assert info.topic_text.startswith("Clause 12")
    assert info.labelled == ("Clause 12",)
    assert info.quantities == ()  # the 12 belongs to the label


def test_a_role_before_the_speaker_is_not_part_of_the_name() -> None:
    info = analyse_question("What was veteran union organiser Jane Doyle's view of the deal?")
    assert speaker_name(info.speaker or "") == "Jane Doyle"


def test_according_to_names_a_source_that_is_not_required() -> None:
    info = analyse_question("How many ferries were cancelled, according to port officials?")
    assert info.speaker == "port officials" and not info.speaker_required
    assert info.asks == "number"


def test_a_comma_ends_any_speaker_phrase() -> None:
    info = analyse_question(
        "How big is the repair bill according to the council, and which claim did it reject?"
    )
    assert info.speaker is None or "," not in info.speaker


def test_negated_questions_and_relation_verbs_are_read() -> None:
    info = analyse_question("Which ferry was not cancelled by the storm?")
    assert info.negated
    assert analyse_question("When was the bakery founded?").relation == "found"
    assert not analyse_question("Which ferry was cancelled by the storm?").negated


def test_the_count_asked_for_and_a_word_capitalised_by_position_are_not_parts_to_find() -> None:
    info = analyse_question("Near which bridge did the two ferries collide?")
    assert "Near" not in info.entities
    assert info.quantities != () and info.quantities[0].value == 2  # "two ferries" must match
    which = analyse_question("Which two ferries collided near the bridge?")
    assert which.quantities == ()


def test_dates_are_kept_as_spans() -> None:
    assert analyse_question("What was built in the 10th century?").dates == ("0900-0999",)


def test_a_figure_written_in_digits_is_a_part_to_find_not_a_name() -> None:
    # digits are among the question's entities; they must not excuse themselves
    info = analyse_question("Which town lost 40 houses to the floods?")
    assert [q.value for q in info.quantities] == [40.0]
    share = analyse_question("Which bank said profits rose 12 per cent in March?")
    assert [q.value for q in share.quantities] == [12.0]
    day = analyse_question("Which ferry sank on May 11 near the harbour?")
    assert [q.value for q in day.quantities] == [11.0]


def test_an_organisation_owning_the_speaker_is_part_of_the_role_not_the_name() -> None:
    assert speaker_name("Acme Mills' Jo Brand") == "Jo Brand"
    assert speaker_name("Harbour Trust's R. Tanner") == "R. Tanner"
    info = analyse_question("What did Harbour Trust's R. Tanner say about the dredging?")
    assert speaker_name(info.speaker or "") == "R. Tanner"
    assert any(r.startswith("Harbour Trust") for r in info.role_names)


def test_a_figure_noun_with_a_modifier_or_in_the_plural_asks_for_a_number() -> None:
    assert analyse_question("What pay rise are the nurses asking for?").asks == "number"
    assert analyse_question("What were the longest sentences handed down?").asks is None
    assert analyse_question("What were the longest jail terms handed down?").asks == "number"
    assert analyse_question("What was the final score in the derby?").asks == "number"


def test_a_leading_phrase_before_the_question_word_does_not_hide_what_is_asked() -> None:
    assert analyse_question("By the captain's account, what time did the ferry sink?").asks == (
        "date"
    )
    info = analyse_question("Under which brands does the dairy sell its cheese?")
    assert info.asks == "entity" and info.head == "brand"


def test_what_followed_by_a_noun_asks_for_the_thing_that_noun_names() -> None:
    info = analyse_question("What operating system will the school tablet run?")
    assert info.asks == "thing" and info.head == "system"
    assert analyse_question("What award did the baker win?").head == "award"
    assert analyse_question("What does the plan involve?").asks is None
    assert analyse_question("What happened to the ferry?").asks is None


def test_which_days_asks_for_a_date_and_who_is_the_role_names_the_role_asked_for() -> None:
    assert analyse_question("On which days will the bakers strike?").asks == "date"
    info = analyse_question("Who is the state minister responsible for ports?")
    assert info.asks == "person" and info.head == "minist"
    assert analyse_question("Who was the newly elected mayor of the town?").head == "mayor"
    assert analyse_question("Who is the man accused of the theft?").head == "man"


def test_a_verb_of_refusal_does_not_make_the_question_negated() -> None:
    # "Why did the board reject the bid?" asks about a rejection that happened: it is
    # answered by "the board turned down the bid because…", not only by a "not"
    assert not analyse_question("Why did the ferry company reject the offer?").negated
    assert not analyse_question("Which club declined to comment on the transfer?").negated
    assert not analyse_question("Why did the mayor refuse to open the bridge?").negated
    assert analyse_question("Why did the mayor not open the bridge?").negated
    assert analyse_question("Which baker never paid the rent?").negated
    assert analyse_question("Who didn't vote for the plan?").negated


def test_the_relation_is_a_verb_not_the_noun_before_it() -> None:
    assert analyse_question("Why have children been barred from the pool?").relation == "bar"
    assert analyse_question("What bakery opened on the high street?").relation == "open"
    assert analyse_question("Which team won the regatta?").relation == "won"
    assert analyse_question("Why was the ferry taken out of service?").relation == "taken"
    assert analyse_question("Who leads the harbour board?").relation == "lead"
    assert analyse_question("How many hundred were asked?").relation == "ask"


def test_failing_to_do_something_is_still_a_negated_question() -> None:
    assert analyse_question("Which batters failed to score fifty in the final?").negated
    assert analyse_question("Which ferry was unable to leave the harbour?").negated


def test_a_mere_synonym_of_a_negation_cue_does_not_negate_the_question() -> None:
    assert not analyse_question("Which opposing skipper had also lost a mast?").negated


def test_a_name_written_with_figures_is_a_name_of_the_question() -> None:
    from rag.terms import entities

    assert entities("Which U2 member left the G8 summit on the A380?") == ["U2", "G8", "A380"]
    assert entities("The MP3 player") == ["MP3"]  # not cut to "MP"
    assert analyse_question("Which U2 member was taken ill?").names == ("U2",)


def test_an_office_of_an_organisation_is_the_organisation_not_a_name() -> None:
    info = analyse_question("Who will become CEO of Vantor Mills after the merger?")
    assert info.names == ("Vantor Mills",)
    assert analyse_question("Who leads the Bank of Vantor?").names == ("Bank of Vantor",)
