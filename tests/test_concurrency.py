"""Two writers and readers on one index, with real `rag` processes.

A second `rag ingest` waits for the write lock (default --wait 30) or, with --wait 0,
exits 2 with "index is locked by process N"; a lock left by a killed process is no
lock; `rag ask` and an open pipeline keep answering while an ingest writes, and the
open pipeline sees the whole ingest once it is done. Writers are held at a point of
their ingest with RAG_TEST_HOOK="sleep:S@POINT" (tests only, read by rag/config.py).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS, KALLAS, ROOT, SEED, make_settings, rag_command, run_rag

pytestmark = pytest.mark.slow


def _folder(base: Path, name: str, first: int, count: int) -> Path:
    folder = base / name
    folder.mkdir()
    for i in range(first, first + count):
        shutil.copy(CORPUS / "lee" / f"lee-{i:03d}.txt", folder / f"lee-{i:03d}.txt")
    return folder


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _holds_lock(index: Path, process: subprocess.Popen[str]) -> Callable[[], bool]:
    def check() -> bool:
        assert process.poll() is None, process.communicate()
        try:
            return (index / "write.lock.pid").read_text().strip() == str(process.pid)
        except OSError:
            return False

    return check


@pytest.fixture
def start_ingest() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start `rag ingest` in the background; whatever is still running is killed at the end."""
    started: list[subprocess.Popen[str]] = []

    def start(folder: Path, index: Path, hook: str = "", *extra: str) -> subprocess.Popen[str]:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "RAG_TEST_HOOK": hook}
        process = subprocess.Popen(
            [
                *rag_command(),
                "ingest",
                str(folder),
                "--json",
                "--quiet",
                "--index",
                str(index),
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def _ids(index: Path) -> set[str]:
    from rag.store import ChromaStore

    return {row["article_id"] for row in ChromaStore(make_settings(index)).list_articles()}


def test_a_second_ingest_waits_for_the_first_then_both_are_in_the_index(
    tmp_path: Path, start_ingest: Callable[..., subprocess.Popen[str]]
) -> None:
    index = tmp_path / "index"
    a, b = _folder(tmp_path, "a", 0, 3), _folder(tmp_path, "b", 3, 3)
    first = start_ingest(a, index, "sleep:4@locked")
    _wait_for(_holds_lock(index, first), "the first ingest to hold the lock")
    began = time.monotonic()
    second = run_rag("ingest", str(b), "--json", "--quiet", index=index)
    waited = time.monotonic() - began
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["articles"] == 3
    assert waited > 2  # it queued behind the first writer instead of writing alongside it
    assert _ids(index) == {f"lee-{i:03d}" for i in range(6)}


def test_with_wait_0_a_second_ingest_exits_2_naming_the_holder(
    tmp_path: Path, start_ingest: Callable[..., subprocess.Popen[str]]
) -> None:
    index = tmp_path / "index"
    a, b = _folder(tmp_path, "a", 0, 2), _folder(tmp_path, "b", 2, 2)
    holder = start_ingest(a, index, "sleep:60@locked")
    _wait_for(_holds_lock(index, holder), "the first ingest to hold the lock")
    refused = run_rag("ingest", str(b), "--json", "--wait", "0", index=index)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"rag: index is locked by process {holder.pid} (waited 0 s; see --wait)"
    )
    assert holder.poll() is None  # the holder was not disturbed


def test_a_lock_left_by_a_killed_ingest_is_no_lock(
    tmp_path: Path, start_ingest: Callable[..., subprocess.Popen[str]]
) -> None:
    index = tmp_path / "index"
    a, b = _folder(tmp_path, "a", 0, 2), _folder(tmp_path, "b", 2, 2)
    holder = start_ingest(a, index, "sleep:60@locked")
    _wait_for(_holds_lock(index, holder), "the first ingest to hold the lock")
    holder.send_signal(signal.SIGKILL)
    holder.communicate(timeout=30)
    assert (index / "write.lock.pid").read_text().strip() == str(holder.pid)  # left behind
    after = run_rag("ingest", str(b), "--json", "--quiet", "--wait", "0", index=index)
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["articles"] == 2
    assert _ids(index) == {"lee-002", "lee-003"}


def test_readers_keep_answering_while_an_ingest_writes_and_see_it_when_done(
    tmp_path: Path, start_ingest: Callable[..., subprocess.Popen[str]], real_embedder: Any
) -> None:
    from rag.ingest import ingest
    from rag.pipeline import build_pipeline
    from rag.store import ChromaStore

    index = tmp_path / "index"
    seed = tmp_path / "seed"
    seed.mkdir()
    shutil.copy(SEED, seed / SEED.name)
    settings = make_settings(index)
    ingest([seed], settings, lambda: real_embedder, quiet=True)
    before = ChromaStore(settings).generation()
    bigger = _folder(tmp_path, "lee", 0, 40)

    # Held after bumping the generation and embedding, before writing any chunk.
    writer = start_ingest(bigger, index, "sleep:15@embedded")
    _wait_for(lambda: ChromaStore(settings).generation() != before, "the ingest to start writing")
    _wait_for(
        lambda: writer.poll() is None and (index / "ingest.incomplete").exists(),
        "the ingest marker",
    )

    asked = run_rag("ask", KALLAS, "--json", index=index)
    open_pipeline = build_pipeline(settings, embedder=real_embedder)
    during = open_pipeline.ask(KALLAS)
    assert writer.poll() is None, "the ingest ended before the readers ran"

    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert not answer["refused"] and answer["citations"]
    assert answer["citations"][0]["article_id"] == SEED.stem
    assert not during.refused and during.citations[0].article_id == SEED.stem

    out, err = writer.communicate(timeout=180)
    assert writer.returncode == 0, err
    assert json.loads(out)["articles"] == 40
    # The open pipeline built its BM25 from the half-written index; after the ingest the
    # generation has moved on again, so refresh() reloads the whole index.
    open_pipeline.refresh()
    store = ChromaStore(settings)
    all_chunks = {c.chunk_id for c in store.iter_chunks()}
    assert set(open_pipeline.retriever.bm25.chunk_ids) == all_chunks
    assert len(all_chunks) > 41
