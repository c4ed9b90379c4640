"""The lexicon's word lists load, and each says what it is for."""

from importlib import resources

import pytest

from rag import lexicon


def test_every_list_opens_with_a_comment_saying_what_it_is_for() -> None:
    names = lexicon.available()
    assert "negations" in names
    for name in names:
        text = resources.files("rag.lexicon").joinpath(f"{name}.txt").read_text("utf-8")
        assert text.startswith("# "), f"{name}.txt must start with a '# what it is for' line"
        assert lexicon.words(name), f"{name}.txt is empty"


def test_negations_include_plain_and_contracted_forms() -> None:
    assert {"not", "n't", "never"} <= lexicon.words("negations")


def test_a_pair_list_line_without_a_bar_is_an_error() -> None:
    # negations.txt is a word list, not a pair list: reading it as pairs must fail loudly.
    with pytest.raises(ValueError):
        lexicon.pairs("negations")
