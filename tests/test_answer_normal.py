"""rag/answer/normal.py: numbers, dates and labelled names compared as meant, not as written."""

import pytest

from rag.answer.normal import (
    date_spans,
    has_labelled,
    labelled_numbers,
    quantities,
    same_quantity,
    spans_agree,
)


def test_three_decades_is_thirty_years() -> None:
    (spelled,) = quantities("the first strike in three decades")
    (digits,) = quantities("the first strike in 30 years")
    assert same_quantity(spelled, digits)
    (months,) = quantities("a strike of 30 months")
    assert not same_quantity(digits, months)


def test_a_number_word_and_its_digits_are_the_same_amount_and_multipliers_count() -> None:
    (six,) = quantities("six ferries")
    (digit,) = quantities("6 ferries")
    assert same_quantity(six, digit)
    (money,) = quantities("a grant of 2.5 billion")
    assert money.value == 2.5e9


def test_the_tenth_century_is_the_900s_and_a_decade_holds_its_years() -> None:
    assert date_spans("built in the 10th century") == [(900, 999)]
    assert date_spans("built in the tenth century") == [(900, 999)]
    assert date_spans("built in the 900s") == [(900, 999)]
    (decade,) = date_spans("during the 1980s")
    assert spans_agree(decade, (1984, 1984))
    assert not spans_agree((1984, 1984), (1985, 1985))


def test_article_six_is_not_article_five() -> None:
    assert labelled_numbers("What did the senator say about Clause 12 of the bill?") == [
        "Clause 12"
    ]
    assert labelled_numbers("What happened in March 2003?") == []
    assert has_labelled("protections under clause 12 remain", "Clause 12")
    assert not has_labelled("protections under Clause 13 remain", "Clause 12")


def test_a_year_before_a_comma_is_still_a_year() -> None:
    assert date_spans("cars built prior to 1986, which use leaded petrol") == [(1986, 1986)]
    assert date_spans("a crowd of 1,986 people") == []


def test_one_in_n_is_the_share_it_states() -> None:
    from rag.answer.normal import quantities, same_quantity

    (asked,) = quantities("one in every hundred drivers was fined")
    (stated,) = quantities("1 per cent of drivers were fined")
    assert same_quantity(asked, stated)
    (fifth,) = quantities("one in five voters stayed home")
    assert same_quantity(fifth, quantities("20 per cent of voters")[0])
    assert not same_quantity(fifth, quantities("25 per cent of voters")[0])
    (third,) = quantities("a one in three chance of rain")
    assert same_quantity(third, quantities("a 33 per cent chance")[0])


def test_an_amount_written_onto_its_figure_counts_its_multiplier() -> None:
    # news style: "£6m", "$1.13bn", "3tn" — not "6" or "1"
    (saving,) = quantities("The council hopes the merger will save £6m a year.")
    assert saving.value == 6e6
    (spelled,) = quantities("The merger will save £6 million a year.")
    assert same_quantity(saving, spelled)
    assert [q.value for q in quantities("Revenue rose to $1.13bn (£600m).")] == [1.13e9, 6e8]
    (debt,) = quantities("The state owes 3tn yen.")
    assert debt.value == 3e12
    # without a currency sign an "m" is a distance: the 100m final is not 100 million
    (race,) = quantities("She won the 100m final in Oslo.")
    assert race.value == 100 and race.unit == "metre"


def test_a_fraction_word_is_the_share_a_percentage_states() -> None:
    (half,) = quantities("roughly half the crew")
    (fifty,) = quantities("about 50% of the crew")
    (twenty,) = quantities("20% of the crew")
    assert same_quantity(half, fifty) and not same_quantity(half, twenty)
    (third,) = quantities("a third of the crew")
    assert third.value == pytest.approx(33.3)
    assert quantities("for the third time") == []  # an ordinal, not a share
