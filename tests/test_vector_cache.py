"""rag/vector_cache.py: the answerer's sentence and word vectors are computed at ingest,
read back at answer time, replaced with their article, and equal the model's."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rag.answer import ExtractiveAnswerer
from rag.answer.candidates import candidates_of
from rag.config import Settings
from rag.embed import MiniLMEmbedder
from rag.ingest import delete, ingest
from rag.pipeline import build_pipeline
from rag.store import ChromaStore
from rag.types import Chunk, Hit
from rag.vector_cache import (
    FILE,
    StoredVectors,
    VectorCache,
    chunk_sentences,
    fill,
    fill_index,
    vocabulary,
)
from tests.conftest import KALLAS, SEED, make_settings
from tests.fakes import HashEmbedder


def chunks_of(settings: Settings) -> list[Chunk]:
    return list(ChromaStore(settings).iter_chunks())


def test_ingest_stores_the_vectors_of_every_sentence_and_word_of_its_passages(
    seed_folder: Path, fake_index: Callable[..., Settings]
) -> None:
    settings = fake_index(seed_folder)
    stored = StoredVectors.reader(settings.index_dir, HashEmbedder())
    for chunk in chunks_of(settings):
        texts = chunk_sentences(chunk) + vocabulary(f"{chunk.title}\n{chunk.text}")
        found = stored.get(texts)
        assert set(found) == set(texts)
        assert np.array_equal(np.stack([found[t] for t in texts]), HashEmbedder().embed(texts))


def test_the_stored_sentences_are_the_answerers_candidate_sentences(
    seed_folder: Path, fake_index: Callable[..., Settings]
) -> None:
    chunks = chunks_of(fake_index(seed_folder))
    hits = [Hit(c, 1.0) for c in chunks]
    # every sentence once (overlapping passages share some)
    assert {c.text for c in candidates_of(hits)} == {s for c in chunks for s in chunk_sentences(c)}


def test_a_warm_answer_embeds_only_the_question_when_its_passages_were_ingested(
    seed_folder: Path, fake_index: Callable[..., Settings]
) -> None:
    settings = fake_index(seed_folder)
    recording = HashEmbedder()
    pipeline = build_pipeline(settings, embedder=recording)
    recording.seen.clear()
    with_store = pipeline.ask(KALLAS)
    asked = {KALLAS, *vocabulary(KALLAS), *(w.lower() for w in KALLAS.rstrip("?").split())}
    assert recording.seen and set(recording.seen) <= asked
    # the same answer as from the model alone
    shutil.move(settings.index_dir / FILE, settings.index_dir / "moved")
    without = build_pipeline(settings, embedder=HashEmbedder())
    assert without.extractive.vectors(["Kallas"]).shape == (1, HashEmbedder.dim)
    model_only = without.ask(KALLAS)
    assert (with_store.answer, with_store.citations) == (model_only.answer, model_only.citations)


def test_a_text_in_memory_or_in_the_store_does_not_reach_the_model(tmp_path: Path) -> None:
    fake = HashEmbedder()
    stored = StoredVectors.writer(tmp_path, fake)
    stored.put({"stored sentence.": fake.embed(["stored sentence."])[0]}, {})
    cache = VectorCache(fake, StoredVectors.reader(tmp_path, fake))
    fake.calls = fake.texts_embedded = 0
    first = cache(["stored sentence.", "new words", "new words"])
    assert (fake.calls, fake.texts_embedded) == (1, 1)  # only "new words", once
    again = cache(["new words", "stored sentence."])
    assert fake.calls == 1
    assert np.array_equal(again, first[[1, 0]])


def test_a_reader_opened_before_the_first_ingest_finds_its_vectors_after(
    tmp_path: Path,
) -> None:
    fake = HashEmbedder()
    reader = StoredVectors.reader(tmp_path, fake)
    assert reader.get(["A sentence."]) == {}  # no file yet: the model answers
    StoredVectors.writer(tmp_path, fake).put({"A sentence.": fake.embed(["A sentence."])[0]}, {})
    assert set(reader.get(["A sentence."])) == {"A sentence."}


def test_re_ingesting_a_changed_article_replaces_its_stored_sentences(
    seed_folder: Path, fake_index: Callable[..., Settings]
) -> None:
    settings = fake_index(seed_folder)
    old = chunk_sentences(chunks_of(settings)[0])[1]
    path = seed_folder / SEED.name
    path.write_text(path.read_text().replace(old, "Volcanoes erupted in Iceland overnight."))
    recording = HashEmbedder()
    ingest([seed_folder], settings, lambda: recording, quiet=True)
    stored = StoredVectors.reader(settings.index_dir, HashEmbedder())
    assert stored.get([old]) == {}
    assert set(stored.get(["Volcanoes erupted in Iceland overnight."])) == {
        "Volcanoes erupted in Iceland overnight."
    }
    # only what was not stored before reaches the model: the new sentence and new words
    assert "volcanoes" in recording.seen
    assert not set(recording.seen) & set(chunk_sentences(chunks_of(settings)[-1]))


def test_deleting_an_article_removes_its_sentences_but_not_other_articles(
    tmp_path: Path, fake_index: Callable[..., Settings]
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    shared = "Officials said the talks would continue next week."
    (folder / "a.txt").write_text(f"Friday, November 22, 2024\nFirst\n\nAlpha rose. {shared}\n")
    (folder / "b.txt").write_text(f"Friday, November 22, 2024\nSecond\n\nBeta fell. {shared}\n")
    settings = fake_index(folder)
    stored = StoredVectors.reader(settings.index_dir, HashEmbedder())
    assert set(stored.get(["Alpha rose.", "Beta fell.", shared])) == {
        "Alpha rose.",
        "Beta fell.",
        shared,
    }
    assert delete(["a"], settings) == 1
    assert set(stored.get(["Alpha rose.", "Beta fell.", shared])) == {"Beta fell.", shared}


def test_fill_embeds_only_texts_not_stored_yet(tmp_path: Path) -> None:
    fake = HashEmbedder()
    stored = StoredVectors.writer(tmp_path, fake)
    chunks = [c.hit.chunk for c in candidates_of(_hits())][:1]
    assert fill(stored, fake, {"a": chunks}) == len(fake.seen) > 0
    fake.seen.clear()
    assert fill(stored, fake, {"b": chunks}) == 0 and fake.seen == []


def test_stored_vectors_of_the_real_model_equal_its_answer_time_vectors_bit_for_bit(
    tmp_path: Path, real_embedder: MiniLMEmbedder
) -> None:
    texts = [f"Sentence {i} about {'long ' * (i % 9)}news from Kyiv." for i in range(40)]
    texts += ["tremor", "earthquake", "officers"]
    stored = StoredVectors.writer(tmp_path, real_embedder)
    stored.put(dict(zip(texts, real_embedder.embed(texts), strict=True)), {})
    answerer = ExtractiveAnswerer(real_embedder, lambda s: 1.0, stored=stored)
    picked = [texts[3], texts[17], texts[-2], texts[30]]
    assert np.array_equal(answerer.vectors(picked), real_embedder.embed(picked))


def _hits() -> list[Hit]:
    from rag.chunk import chunk_article
    from rag.load import make_article

    text = "Alpha rose sharply on Monday. Beta fell. Officials said talks would go on."
    article = make_article("x/a", "Markets", text, "2024-11-22", "a.txt", "/n")
    return [Hit(c, 1.0) for c in chunk_article(article, 40, 0)]


def test_an_index_written_before_the_store_existed_is_filled_by_fill_index(
    seed_folder: Path, fake_index: Callable[..., Settings]
) -> None:
    settings = fake_index(seed_folder)
    (settings.index_dir / FILE).unlink()
    fake = HashEmbedder()
    assert fill_index(settings, lambda: fake) == len(fake.seen) > 0
    stored = StoredVectors.reader(settings.index_dir, HashEmbedder())
    sentences = [s for c in chunks_of(settings) for s in chunk_sentences(c)]
    assert set(stored.get(sentences)) == set(sentences)
    assert fill_index(settings, HashEmbedder) == 0  # nothing left to embed


def test_with_answer_vectors_off_ingest_embeds_only_passages_and_answers_the_same(
    seed_folder: Path, tmp_path: Path
) -> None:
    from rag.config import load_settings

    assert load_settings({"RAG_ANSWER_VECTORS": "off"}).answer_vectors is False
    on = make_settings(tmp_path / "on")
    off = make_settings(tmp_path / "off", answer_vectors=False)
    embedders: list[HashEmbedder] = []

    def recording() -> HashEmbedder:
        embedders.append(HashEmbedder())
        return embedders[-1]

    ingest([seed_folder], off, recording, quiet=True)
    passages = chunks_of(off)
    seen = {t for e in embedders for t in e.seen}
    assert len(seen) <= len(passages)  # the passages only, no sentences or words
    assert not StoredVectors.reader(off.index_dir, HashEmbedder()).get(chunk_sentences(passages[0]))
    ingest([seed_folder], on, HashEmbedder, quiet=True)
    slow = build_pipeline(off, embedder=HashEmbedder()).ask(KALLAS)
    fast = build_pipeline(on, embedder=HashEmbedder()).ask(KALLAS)
    assert (slow.answer, slow.citations) == (fast.answer, fast.citations)
