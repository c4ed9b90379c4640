"""Meaning beyond shared words (rag/answer/meaning.py), with an embedder whose word
vectors are chosen: words of one listed group are alike, every other word is its own."""

from __future__ import annotations

import numpy as np

from rag.answer.candidates import Candidate
from rag.answer.meaning import Meaning, common_words, rescore_kinds
from rag.answer.question import analyse_question
from rag.answer.slots import slot_filled
from rag.answer.weights import Weights
from rag.chunk import chunk_article
from rag.load import make_article
from rag.types import Hit

ALIKE = (
    {"tremor", "quake"},
    {"ferry", "vessel"},
    {"smugglers", "traffickers"},
    {"drowned", "killed"},
)


def embed(texts: list[str]) -> np.ndarray:
    """Unit vectors: one per group of ALIKE words, one per other word (a fixed hash)."""
    dim = 64
    out = []
    for text in texts:
        key = next((min(g) for g in ALIKE if text.lower() in g), text.lower())
        seed = sum(ord(ch) * (i + 1) for i, ch in enumerate(key)) % (2**32)
        vector = np.random.default_rng(seed).normal(size=dim)
        out.append(vector / np.linalg.norm(vector))
    return np.array(out, dtype=np.float32)


def candidate(text: str, title: str = "Harbour news") -> Candidate:
    article = make_article("world/harbour", title, text, "2024-05-01", "harbour.txt", "/h")
    chunk = chunk_article(article, max_tokens=200, overlap=0)[0]
    return Candidate(Hit(chunk, 1.0, similarity=0.6), 0, 0, len(text), text, "")


def test_a_common_word_of_the_question_is_covered_by_a_word_of_like_meaning() -> None:
    info = analyse_question("What did the tremor near the harbour measure?")
    meaning = Meaning(info, lambda s: 1.0, embed, Weights())
    c = candidate("The quake near the harbour measured 4.1.")
    unrelated = candidate("The ferry near the harbour sailed at 4 pm.")
    assert meaning.coverage(c) == 1.0
    assert meaning.coverage(unrelated) < 1.0


def test_a_name_is_never_covered_by_a_word_of_like_meaning() -> None:
    # "Quake" capitalised is a name in the question: only the same name covers it
    info = analyse_question("What did the Tremor party say about the harbour?")
    meaning = Meaning(info, lambda s: 1.0, embed, Weights())
    assert "tremor" not in {w for w in common_words(info.text).values()}
    assert meaning.coverage(candidate("The quake party spoke about the harbour.")) < 1.0


def test_words_of_like_meaning_raise_support_only_when_support_soft_weighs_them() -> None:
    from rag.answer.answerable import support

    info = analyse_question("Where did the tremor strike?")
    c = candidate("The quake struck Nambour overnight.")
    c.window = 1 / 3  # "strike" alone, by stem
    plain = support(
        info, [c], Weights(support_soft=0.0), Meaning(info, lambda s: 1.0, embed, Weights())
    )
    soft = Weights(support_soft=0.4)
    assert support(info, [c], soft, Meaning(info, lambda s: 1.0, embed, soft)) > plain


def test_a_count_beside_a_noun_of_like_meaning_fills_a_how_many_question() -> None:
    info = analyse_question("How many smugglers were drowned off the coast?")
    sentence = "Police said 14 traffickers were killed when their boat sank."
    assert slot_filled(info, sentence, info.text.lower()) < 1.0
    alias = {"traffick": "smuggler", "kill": "drown"}
    assert slot_filled(info, sentence, info.text.lower(), alias=alias) >= 1.0


def test_the_best_sentences_are_read_again_with_words_of_like_meaning() -> None:
    info = analyse_question("How many smugglers were drowned off the coast?")
    w = Weights()
    c = candidate("Police said 14 traffickers were killed when their boat sank.")
    c.kind = slot_filled(info, c.text, info.text.lower())
    before = c.score
    rescore_kinds(info, [c], Meaning(info, lambda s: 1.0, embed, w), w)
    assert c.kind >= 1.0 and c.score > before
    # a count of something else stays unsure: "passengers" means nothing asked
    other = candidate("Police said 14 passengers were rescued when their boat sank.")
    other.kind = slot_filled(info, other.text, info.text.lower())
    kind = other.kind
    rescore_kinds(info, [other], Meaning(info, lambda s: 1.0, embed, w), w)
    assert other.kind == kind


def test_a_count_found_through_words_of_like_meaning_is_less_sure_than_the_asked_ones() -> None:
    info = analyse_question("How many smugglers were drowned off the coast?")
    w = Weights()
    alike = candidate("Police said 14 traffickers were killed when their boat sank.")
    alike.kind = slot_filled(info, alike.text, info.text.lower())
    rescore_kinds(info, [alike], Meaning(info, lambda s: 1.0, embed, w), w)
    own = candidate("Police said 14 smugglers were drowned when their boat sank.")
    own.kind = slot_filled(info, own.text, info.text.lower())
    assert alike.kind == 1.0
    assert own.kind > alike.kind
