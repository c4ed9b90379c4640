"""Names that stand for one another (rag/answer/equivalents.py) and their use in
`mentions`: text in no gold set."""

from __future__ import annotations

from rag.answer.equivalents import group_of, groups_in, same_group
from rag.answer.mentions import mentions


def test_a_plural_nickname_names_its_country() -> None:
    assert same_group("Kiwis", "New Zealand's bowlers took four wickets")


def test_a_capital_stands_for_its_countrys_government() -> None:
    assert same_group("Ottawa", "the Canadian government said on Friday")
    assert same_group("Canadian", "talks with Ottawa stalled")


def test_a_pro_prefix_names_the_country_after_it() -> None:
    assert group_of("pro-Moscow") == group_of("Russia")


def test_a_religions_adjective_names_the_faith() -> None:
    assert same_group("Islamic", "a Muslim charity in the north")


def test_two_different_countries_never_match() -> None:
    assert not same_group("Nigerian", "the Ghanaian coach resigned")
    assert not mentions("the Ghanaian coach resigned", "Nigerian")


def test_the_pronoun_us_is_not_the_united_states() -> None:
    assert not groups_in("they told us to wait")
    assert same_group("US", "American troops arrived")


def test_a_region_holding_a_countrys_word_is_not_that_country() -> None:
    assert not same_group("Welsh", "floods in New South Wales")
    assert not same_group("American", "exports to South America")


def test_a_country_does_not_ground_a_nation_inside_it() -> None:
    assert not same_group("Scottish", "a British tourist was fined")


def test_a_partys_names_are_one_group_and_two_parties_never_match() -> None:
    assert group_of("Tories") == group_of("Conservative") is not None
    assert group_of("Lib Dems") == group_of("Liberal Democrats") is not None
    assert group_of("Labour") != group_of("Conservative")
    assert group_of("labour") is None  # the common word is no party
