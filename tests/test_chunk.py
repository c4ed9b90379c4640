"""rag/chunk.py: sentence-aligned, token-sized chunks whose offsets index the clean text."""

from __future__ import annotations

import pytest

from rag.chunk import chunk_article, split_sentences, token_counter
from rag.load import discover, load_file
from rag.retrieve import passage_for_embedding
from rag.types import Article, Chunk
from tests.conftest import CORPUS

MINILM_LIMIT = 256


def article(text: str, article_id: str = "news/story") -> Article:
    return Article(
        article_id=article_id,
        title="A title",
        text=text,
        published="2024-01-02",
        source="news/story.txt",
    )


@pytest.fixture(scope="module")
def shipped() -> list[tuple[Article, list[Chunk]]]:
    files, _, _ = discover([CORPUS])
    articles = [a for f in files for a in load_file(f.path, f.article_id, f.root, 10**7).articles]
    assert len(articles) == 301
    return [(a, chunk_article(a)) for a in articles]


def test_every_shipped_chunk_is_its_articles_text_at_its_offsets(shipped) -> None:
    for art, chunks in shipped:
        assert chunks, art.article_id
        for chunk in chunks:
            assert chunk.text == art.text[chunk.char_start : chunk.char_end], chunk.chunk_id


def test_chunk_ids_are_article_id_hash_n_in_reading_order(shipped) -> None:
    for art, chunks in shipped:
        assert [c.chunk_id for c in chunks] == [f"{art.article_id}#{n}" for n in range(len(chunks))]
        assert [c.n for c in chunks] == list(range(len(chunks)))
        starts = [c.char_start for c in chunks]
        assert starts == sorted(starts)


def test_shipped_chunks_stay_within_minilm_256_word_pieces(shipped, real_embedder) -> None:
    chunks = [c for _, cs in shipped for c in cs]
    counts = real_embedder.count_tokens([passage_for_embedding(c) for c in chunks])
    assert max(counts) <= MINILM_LIMIT


def test_chunks_together_cover_every_sentence_of_the_article(shipped) -> None:
    for art, chunks in shipped[:50]:
        covered = set()
        for c in chunks:
            covered.update(range(c.char_start, c.char_end))
        for span in split_sentences(art.text):
            assert span.start in covered and span.end - 1 in covered


def test_chunks_carry_the_articles_metadata() -> None:
    (chunk, *_) = chunk_article(article("One sentence here. Another one there."))
    assert (chunk.article_id, chunk.title, chunk.published, chunk.source) == (
        "news/story",
        "A title",
        "2024-01-02",
        "news/story.txt",
    )
    assert chunk.content_hash


def test_long_article_is_cut_into_chunks_within_the_token_budget() -> None:
    sentences = [f"Sentence number {i} talks about the harvest in region {i}." for i in range(80)]
    art = article(" ".join(sentences))
    chunks = chunk_article(art, max_tokens=60, overlap=0)
    count = token_counter()
    assert len(chunks) > 5
    assert all(count(c.text) <= 60 for c in chunks)


def test_chunks_end_on_sentence_boundaries() -> None:
    sentences = [f"Sentence number {i} talks about the harvest in region {i}." for i in range(40)]
    chunks = chunk_article(article(" ".join(sentences)), max_tokens=50, overlap=0)
    for c in chunks:
        assert c.text.startswith("Sentence number") and c.text.endswith(".")


def test_consecutive_chunks_share_one_overlapping_sentence() -> None:
    sentences = [f"Sentence number {i} talks about the harvest in region {i}." for i in range(40)]
    chunks = chunk_article(article(" ".join(sentences)), max_tokens=50, overlap=1)
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert after.char_start < before.char_end
        last_sentence = before.text.rsplit(". ", 1)[-1]
        assert after.text.startswith(last_sentence)


def test_sentence_longer_than_budget_is_cut_at_word_boundaries() -> None:
    text = "The " + " ".join(f"word{i}" for i in range(400)) + " ended."
    art = article(text)
    chunks = chunk_article(art, max_tokens=40, overlap=0)
    count = token_counter()
    assert len(chunks) > 3
    for c in chunks:
        assert count(c.text) <= 40
        assert c.text == text[c.char_start : c.char_end]
        assert not c.text.startswith(" ") and not c.text.endswith(" ")


def test_text_without_spaces_is_still_cut_within_the_budget(real_embedder) -> None:
    text = "中国政府周五宣布了一项新的经济刺激计划，旨在支持制造业和出口。" * 40
    art = article(text)
    chunks = chunk_article(art)
    assert len(chunks) > 1
    assert all(c.text == text[c.char_start : c.char_end] for c in chunks)
    counts = real_embedder.count_tokens([passage_for_embedding(c) for c in chunks])
    assert max(counts) <= MINILM_LIMIT


def test_cyrillic_text_stays_within_minilm_word_pieces(real_embedder) -> None:
    text = "Президент заявил в пятницу, что правительство рассмотрит новые меры поддержки. " * 40
    chunks = chunk_article(article(text.strip()))
    counts = real_embedder.count_tokens([passage_for_embedding(c) for c in chunks])
    assert max(counts) <= MINILM_LIMIT


def test_headings_are_not_glued_to_the_next_sentence() -> None:
    text = "Markets today\n\nShares rose sharply. Bonds fell."
    spans = [text[s.start : s.end] for s in split_sentences(text)]
    assert spans == ["Markets today", "Shares rose sharply.", "Bonds fell."]


def test_sentence_ending_in_a_closing_quote_is_split() -> None:
    text = "“We will win,” he said. “It is certain.” Others disagreed."
    spans = [text[s.start : s.end] for s in split_sentences(text)]
    assert spans[-1] == "Others disagreed."
    assert "“It is certain.”" in spans


def test_sentence_offsets_can_be_shifted() -> None:
    text = "First one. Second one."
    plain = split_sentences(text)
    shifted = split_sentences(text, offset=100)
    assert [(s.start + 100, s.end + 100) for s in plain] == [(s.start, s.end) for s in shifted]


def test_chunk_content_hash_changes_with_its_text() -> None:
    a = chunk_article(article("Alpha beta gamma."))[0]
    b = chunk_article(article("Alpha beta delta."))[0]
    assert a.content_hash != b.content_hash
    assert chunk_article(article("Alpha beta gamma."))[0].content_hash == a.content_hash
