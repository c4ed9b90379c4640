"""The near-miss generator: variants of answerable questions that no article answers.

The corpus here is made up (no gold set uses it): three short articles about a bridge, a
library and a festival.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.gold import GoldItem
from evals.nearmiss import (
    Doc,
    Generator,
    co_occurs,
    generate,
    negated_somewhere,
    quoted_on,
    read_corpus,
    small_subset,
)
from rag.terms import content_stems

ARTICLES = {
    "bridge": (
        "Harbour bridge to close for repairs",
        "Mayor Elena Vostrikova said the harbour bridge would close on Tuesday for repairs. "
        "Vostrikova said the repairs would cost 40 million dollars. "
        "The council met in Kestrel Bay to approve the plan. "
        "Engineer Tomas Brandt said the cables were rusting badly. "
        "Brandt said the crews would work through the nights. "
        "Traffic will be sent through Kestrel Bay for a month.",
    ),
    "library": (
        "Library opens in Oakridge",
        "Councillor Priya Ramaswamy said the new library in Oakridge would open in March. "
        "Ramaswamy said the building holds 20,000 books. "
        "Builders from Oakridge finished the roof in January.",
    ),
    "festival": (
        "Autumn festival draws crowds",
        "Thousands attended the autumn festival in Dunmore on Saturday. "
        "Organiser Wilbur Fenwick said the festival raised money for the children's hospital. "
        "Fenwick said the weather had been kind to the stallholders. "
        "Buses ran from Dunmore station all day.",
    ),
}


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> list[Doc]:
    root = tmp_path_factory.mktemp("corpus")
    for name, (title, body) in ARTICLES.items():
        (root / f"{name}.txt").write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    return read_corpus(Path(root))


def item(i: str, question: str, article: str, answer: str) -> GoldItem:
    return GoldItem(i, question, (answer,), (article,), True, "factoid")


ITEMS = [
    item("g1", "What did Vostrikova say about the bridge repairs?", "bridge", "40 million"),
    item("g2", "How many books does the new library in Oakridge hold?", "library", "20,000"),
    item("g3", "Which month will the Oakridge library open in March?", "library", "March"),
    item("g4", "What did Tomas Brandt say about the cables?", "bridge", "rusting"),
]


def test_the_corpus_is_read_from_the_files_with_ingest_article_ids(docs: list[Doc]) -> None:
    assert [d.article_id for d in docs] == ["bridge", "festival", "library"]
    assert docs[0].title == "Harbour bridge to close for repairs"
    assert len(docs[0].sentences) == 6


def test_a_new_name_co_occurs_only_where_the_rest_of_the_question_is_too(
    docs: list[Doc],
) -> None:
    rest = set(content_stems("library books hold"))
    assert co_occurs(docs, "Oakridge", [], rest)  # the library article names it
    assert not co_occurs(docs, "Dunmore", [], rest)  # no article has both


def test_a_person_is_quoted_on_a_topic_only_within_their_own_sentences(docs: list[Doc]) -> None:
    assert quoted_on(docs, "Elena Vostrikova", set(content_stems("the repairs")))
    assert not quoted_on(docs, "Wilbur Fenwick", set(content_stems("the repairs")))


def test_a_negated_sentence_on_the_question_subject_blocks_a_negation_variant(
    docs: list[Doc],
) -> None:
    extra = Doc(
        "x",
        "",
        "The bridge repairs were not approved.",
        ("The bridge repairs were not approved.",),
        frozenset(content_stems("bridge repairs approved")),
    )
    stems = set(content_stems("bridge repairs approved"))
    assert not negated_somewhere(docs, stems)
    assert negated_somewhere([*docs, extra], stems)


def test_variants_of_each_kind_are_made_and_none_is_answered_by_the_corpus(
    docs: list[Doc],
) -> None:
    records = generate({"toy": ITEMS}, docs, seed=3, per_kind=2)
    variants = [r for r in records if r["variant"] != "original"]
    kinds = {r["variant"] for r in variants}
    assert {"entity", "speaker", "negation", "number"} <= kinds, variants
    for r in variants:
        assert r["answerable"] is False and r["type"] == "near-miss" and r["answers"] == []
        assert str(r["original"]).startswith("toy:")
        assert r["question"] not in {i.question for i in ITEMS}
    # Brandt is quoted in the bridge article, but never on the repairs
    speaker = next(r for r in variants if r["variant"] == "speaker")
    assert speaker["question"] == "What did Engineer Tomas Brandt say about the bridge repairs?"
    originals = [r for r in records if r["variant"] == "original"]
    assert {r["id"] for r in originals} <= {f"o-toy-{i.id}" for i in ITEMS}
    assert all(r["answerable"] for r in originals)


def test_an_entity_swap_never_puts_in_a_name_the_original_article_has(docs: list[Doc]) -> None:
    generator = Generator(docs, seed=1)
    for variant in generator.entity(ITEMS[1], limit=5):
        old, new = variant.changed.split(" → ")
        assert old == "Oakridge"
        assert new not in ARTICLES["library"][1]


def test_a_number_is_changed_to_one_no_article_gives_with_the_rest(docs: list[Doc]) -> None:
    generator = Generator(docs, seed=1)
    variants = generator.number(ITEMS[2], limit=2)
    assert variants and all("March" not in v.question for v in variants)


def test_generation_is_deterministic_for_a_seed(docs: list[Doc]) -> None:
    first = generate({"toy": ITEMS}, docs, seed=5)
    again = generate({"toy": ITEMS}, docs, seed=5)
    assert first == again


def test_the_small_subset_keeps_each_chosen_variant_with_its_original(docs: list[Doc]) -> None:
    records = generate({"toy": ITEMS}, docs, seed=5)
    small = small_subset(records, 4, seed=5)
    origins = {r["original"] for r in small if r["variant"] == "original"}
    assert all(r["original"] in origins for r in small)
    assert any(r["variant"] != "original" for r in small)
