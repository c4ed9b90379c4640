"""Finding a question's name in text (rag/answer/mentions.py): a country by any of its
forms, a name with another thing's word before its last part: text in no gold set."""

from __future__ import annotations

from rag.answer.mentions import mentions


def test_mentions_finds_a_name_by_its_countrys_other_form() -> None:
    assert mentions("the Norwegian minister said", "Oslo")
    assert mentions("the Kenyan captain scored", "Nairobi")


def test_mentions_still_tells_labelled_numbers_apart() -> None:
    assert not mentions("under Article 5 of the treaty", "Article 6")


def test_a_name_with_another_place_before_its_last_word_is_another_thing() -> None:
    text = "Crowds lined the course. She won gold at the Tokyo Marathon last year."
    assert not mentions(text, "Boston Marathon")
    assert mentions(text, "Tokyo Marathon")


def test_a_title_before_a_surname_is_not_another_person() -> None:
    assert mentions("Yesterday Foreign Minister Okafor flew home.", "Chidi Okafor")


def test_a_misspelt_first_name_is_still_the_same_person() -> None:
    assert mentions("The talks ended when Jonathon Okafor left.", "Jonathan Okafor")


def test_a_plural_possessive_name_is_the_name() -> None:
    assert mentions("The Tories would cap the rebate at £300.", "Conservatives'")
    assert mentions("The Harlings won the cup.", "Harlings'")
    assert not mentions("The Whigs would cap the rebate.", "Conservatives'")
