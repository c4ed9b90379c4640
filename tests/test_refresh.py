"""A long-running reader (API server, Streamlit) and an ingest made by another process.

Embedded Chroma caches one system per index path in a process and never re-reads the
vector index another process wrote (chroma-core/chroma#3792): without
`ChromaStore.reopen_if_stale`, an open pipeline counted and fetched new chunks but its
vector search never returned them, and after another process deleted an article its
vector search raised KeyError. The writers here are real separate processes; the index
uses the hashing embedder, so no model loads.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from rag.config import Settings
from tests.conftest import ROOT, SEED, run_rag
from tests.fakes import HashEmbedder

GLACIER = """Zorbleton glacier loses a record amount of ice
12 March 2025

The Zorbleton glacier in the Quembar range lost 42 metres of ice this summer, the \
glaciologist Anika Threnody said on Tuesday.

"We have never measured a loss this large at Zorbleton," Threnody told reporters in Vellmark.
"""
QUESTION = "How much ice did the Zorbleton glacier lose this summer?"

# Ingests a folder with the hashing embedder in a process of its own, as `rag ingest`
# would with the real model (the index's vectors must come from the same embedder).
INGEST_ELSEWHERE = """
import sys
from pathlib import Path
from rag.config import load_settings
from rag.ingest import ingest
from tests.fakes import HashEmbedder
settings = load_settings(env={}, index_dir=Path(sys.argv[2]))
ingest([Path(sys.argv[1])], settings, HashEmbedder, quiet=True)
"""


def _ingest_in_another_process(folder: Path, index_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", INGEST_ELSEWHERE, str(folder), str(index_dir)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def _folder(base: Path, name: str, files: dict[str, str]) -> Path:
    folder = base / name
    folder.mkdir()
    for file_name, text in files.items():
        (folder / file_name).write_text(text)
    return folder


@pytest.fixture
def seed_only(tmp_path: Path, fake_index: Callable[..., Settings]) -> Settings:
    seed = tmp_path / "seed"
    seed.mkdir()
    shutil.copy(SEED, seed / SEED.name)
    # Vector retrieval only: BM25 reads its index from disk anyway and would hide a
    # vector search that misses the new article.
    return fake_index(seed, retrieval="vector")


def test_open_pipeline_finds_by_vector_an_article_another_process_ingested_after_refresh(
    tmp_path: Path, seed_only: Settings
) -> None:
    from rag.pipeline import build_pipeline

    pipeline = build_pipeline(seed_only, embedder=HashEmbedder())
    assert all(h.chunk.article_id == SEED.stem for h in pipeline.retrieve(QUESTION))

    news = _folder(tmp_path, "news", {"glacier.txt": GLACIER})
    _ingest_in_another_process(news, seed_only.index_dir)
    pipeline.refresh()

    assert pipeline.retrieve(QUESTION, k=1)[0].chunk.article_id == "glacier"
    answer = pipeline.ask(QUESTION)
    assert not answer.refused, answer
    assert answer.citations[0].article_id == "glacier"
    assert "42 metres" in answer.citations[0].quote


def test_open_store_skips_an_article_another_process_deleted_then_reopens(
    tmp_path: Path, fake_index: Callable[..., Settings]
) -> None:
    from rag.store import ChromaStore

    seed = tmp_path / "seed"
    seed.mkdir()
    shutil.copy(SEED, seed / SEED.name)
    news = _folder(tmp_path, "news", {"glacier.txt": GLACIER})
    settings = fake_index(seed, news)
    store = ChromaStore(settings)  # opened, as a server's is, before the delete
    vector = HashEmbedder().embed([QUESTION])[0]
    assert store.query(vector, 3)[0][0].article_id == "glacier"

    deleted = run_rag("delete", "glacier", index=settings.index_dir)
    assert deleted.returncode == 0, deleted.stderr

    # Until it reopens, the store's in-memory vector index still holds the deleted
    # chunks; their records are gone, so they are skipped rather than crash the query.
    assert all(chunk.article_id != "glacier" for chunk, _ in store.query(vector, 3))
    assert store.reopen_if_stale()
    hits = store.query(vector, 3)
    assert hits and all(chunk.article_id == SEED.stem for chunk, _ in hits)


def test_store_is_not_reopened_while_nobody_writes(seed_only: Settings) -> None:
    from rag.store import ChromaStore

    store = ChromaStore(seed_only)
    client = store.client
    assert not store.reopen_if_stale()
    assert store.client is client


def test_a_background_reopen_swaps_in_the_new_vector_index_when_it_is_loaded(
    tmp_path: Path, seed_only: Settings
) -> None:
    from rag.pipeline import build_pipeline

    pipeline = build_pipeline(seed_only, embedder=HashEmbedder())
    news = _folder(tmp_path, "news", {"glacier.txt": GLACIER})
    _ingest_in_another_process(news, seed_only.index_dir)
    pipeline.refresh(wait=False)  # a server's refresh: returns at once
    store = pipeline.store
    assert store._reopening is not None
    store._reopening.join(timeout=60)
    assert store.opened_generation == store.generation()
    assert pipeline.retrieve(QUESTION, k=1)[0].chunk.article_id == "glacier"
    pipeline.refresh(wait=False)  # nothing new: no second reopen
    assert not store._reopening.is_alive()
