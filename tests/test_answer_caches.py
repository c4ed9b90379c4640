"""rag/answer/: the warm path's caches save repeated work and never serve a stale result."""

from __future__ import annotations

from collections import Counter
from uuid import uuid4

from rag.answer import ExtractiveAnswerer
from rag.answer.candidates import _sentence_stems, sentence_stems
from rag.answer.mentions import mentions
from rag.chunk import chunk_article
from rag.load import make_article
from rag.types import Answer, Hit
from tests.conftest import KALLAS
from tests.fakes import HashEmbedder

STORY = (
    "Estonia’s Prime Minister, Kaja Kallas, said this week that sending soldiers would not "
    "risk escalation, claiming that casualties would not lead to invoking Article 5.\n\n"
    "Some countries already have troops operating in Ukraine, she said.\n\n"
    "Spain beat Argentina in the Hopman Cup in Perth on Monday."
)


def hits_of(text: str = STORY) -> list[Hit]:
    article = make_article("world/kallas", "Kallas on troops", text, "2024-11-22", "k.txt", "/n")
    return [Hit(c, 1.0 / (61 + i)) for i, c in enumerate(chunk_article(article, 40, 0))]


class CountingIdf:
    """The same IDF for every stem (`weight`), counting the look-ups of each stem."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.weight = 1.0

    def __call__(self, stem: str) -> float:
        self.calls[stem] += 1
        return self.weight


def ask(answerer: ExtractiveAnswerer, question: str, hits: list[Hit]) -> Answer:
    return answerer.answer(question, hits, answerer.embedder.embed([question])[0])


def test_one_answer_looks_up_the_idf_of_each_stem_once() -> None:
    idf = CountingIdf()
    ask(ExtractiveAnswerer(HashEmbedder(), idf), KALLAS, hits_of())
    assert idf.calls and max(idf.calls.values()) == 1


def test_the_next_answer_looks_up_the_idf_afresh() -> None:
    # the index may have changed between two questions: no IDF outlives its question
    idf = CountingIdf()
    answerer = ExtractiveAnswerer(HashEmbedder(), idf)
    ask(answerer, KALLAS, hits_of())
    first = sum(idf.calls.values())
    idf.weight = 2.0
    ask(answerer, KALLAS, hits_of())
    assert sum(idf.calls.values()) == 2 * first


def test_a_name_looked_for_again_in_the_same_passage_is_remembered() -> None:
    passage = f"Estonia's Prime Minister, Kaja Kallas, said troops would stay ({uuid4()})."
    before = mentions.cache_info().hits
    assert mentions(passage, "Kaja Kallas") and mentions(passage, "Kaja Kallas")
    assert mentions.cache_info().hits == before + 1


def test_a_changed_passage_or_name_is_looked_at_afresh() -> None:
    passage = "Estonia's Prime Minister, Kaja Kallas, said this week that troops would stay."
    assert mentions(passage, "Kallas")
    assert not mentions(passage.replace("Kallas", "Karis"), "Kallas")
    assert not mentions(passage, "Merkel")


def test_the_stems_of_a_sentence_seen_before_are_remembered() -> None:
    sentence = f"The Reserve Bank of Australia left interest rates on hold ({uuid4()})."
    before = _sentence_stems.cache_info().hits
    assert sentence_stems(sentence) == sentence_stems(sentence)
    assert _sentence_stems.cache_info().hits == before + 1
    assert {"reserv", "rate", "rba"} <= sentence_stems(sentence)


def test_remembered_stems_are_neither_stale_nor_spoilt_by_a_caller() -> None:
    sentence = "The Reserve Bank of Australia left interest rates on hold in Sydney."
    stems = sentence_stems(sentence)
    stems.add("volcano")  # a caller's own copy
    assert "volcano" not in sentence_stems(sentence)
    assert "volcano" in sentence_stems(sentence.replace("Sydney", "a volcano"))
