"""A `rag ingest` killed with SIGKILL at any point leaves an index that the next ingest
completes to exactly the state a clean ingest gives: same articles, same chunks (no
duplicates, no stale ones), BM25 over the same chunk ids.

The scenario is the hard one: an index of 40 articles, then an ingest of a new version of
the folder (5 articles shortened, so their extra chunks must go; 3 files deleted, pruned
with --prune; 3 new files) killed part-way, then run again. Kill points are the named
points of rag/ingest.py (reached through RAG_TEST_HOOK, which only config.py reads) plus
kills from outside after a delay, which land wherever the process happens to be.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from rag.ingest import HOOK_POINTS, INCOMPLETE
from tests.conftest import CORPUS, ROOT, make_settings, rag_command, run_rag

pytestmark = pytest.mark.slow

LEE = sorted((CORPUS / "lee").glob("lee-*.txt"))
SHORTENED = [f"lee-{i:03d}" for i in (1, 5, 9, 13, 17)]
DELETED = [f"lee-{i:03d}" for i in (20, 21, 22)]
ADDED = [f"lee-{i:03d}" for i in (40, 41, 42)]
TIMED_KILLS = (1.5, 3.0)  # seconds after start; lands wherever the ingest is by then


def _write_v1(folder: Path) -> None:
    """40 articles; the SHORTENED ones three times as long as in v2."""
    folder.mkdir(parents=True)
    for path in LEE[:40]:
        text = path.read_text(encoding="utf-8")
        if path.stem in SHORTENED:
            title, _, body = text.partition("\n\n")
            body = body.strip()
            text = f"{title}\n\n{body}\n\n{body} Again.\n\n{body} Once more.\n"
        (folder / path.name).write_text(text, encoding="utf-8")


def _turn_into_v2(folder: Path) -> None:
    for stem in SHORTENED:
        shutil.copy(CORPUS / "lee" / f"{stem}.txt", folder / f"{stem}.txt")
    for stem in DELETED:
        (folder / f"{stem}.txt").unlink()
    for stem in ADDED:
        shutil.copy(CORPUS / "lee" / f"{stem}.txt", folder / f"{stem}.txt")


def index_state(index: Path) -> dict[str, Any]:
    """Everything that must match a clean ingest, read straight from Chroma and the
    keyword index."""
    from rag.keyword import KeywordIndex
    from rag.store import ChromaStore

    store = ChromaStore(make_settings(index))
    chunk_page = store.chunks.get(include=["documents", "metadatas"])
    chunks = {
        cid: (
            doc,
            meta["article_id"],
            meta["n"],
            meta["char_start"],
            meta["char_end"],
            meta["hash"],
        )
        for cid, doc, meta in zip(
            chunk_page["ids"], chunk_page["documents"], chunk_page["metadatas"], strict=True
        )
    }
    article_page = store.articles.get(include=["documents", "metadatas"])
    articles = {
        aid: (doc, meta["hash"], meta["chunks"])
        for aid, doc, meta in zip(
            article_page["ids"], article_page["documents"], article_page["metadatas"], strict=True
        )
    }
    keyword = KeywordIndex.open(index)
    return {
        "chunk_ids_listed": chunk_page["ids"],
        "chunks": chunks,
        "articles": articles,
        "chunk_count": store.count_chunks(),
        "bm25_ids": keyword.chunk_ids,
        "bm25_fresh": keyword.generation == store.generation(),
        "marker": (index / INCOMPLETE).exists(),
    }


def assert_same_as_clean(state: dict[str, Any], clean: dict[str, Any]) -> None:
    assert set(state["articles"]) == set(clean["articles"])
    assert state["articles"] == clean["articles"]
    assert state["chunk_count"] == clean["chunk_count"] == len(clean["chunks"])
    assert len(state["chunk_ids_listed"]) == len(set(state["chunk_ids_listed"]))  # no duplicates
    assert state["chunks"] == clean["chunks"]  # no stale chunk, none missing, same offsets
    for article_id, (_, _, n_chunks) in state["articles"].items():
        ns = sorted(c[2] for c in state["chunks"].values() if c[1] == article_id)
        assert ns == list(range(n_chunks)), article_id
    assert sorted(state["bm25_ids"]) == sorted(clean["bm25_ids"]) == sorted(clean["chunks"])
    assert len(state["bm25_ids"]) == len(set(state["bm25_ids"]))
    assert state["bm25_fresh"] and not state["marker"]


@pytest.fixture(scope="module")
def crash_setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The folder (now at v2), an index of its v1, and the state of a clean v2 ingest."""
    base = tmp_path_factory.mktemp("crash")
    folder = base / "news"
    _write_v1(folder)
    template = base / "template-index"
    first = run_rag("ingest", str(folder), "--json", "--quiet", index=template)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["articles"] == 40
    _turn_into_v2(folder)
    clean_index = base / "clean-index"
    clean = run_rag("ingest", str(folder), "--json", "--quiet", index=clean_index)
    assert clean.returncode == 0, clean.stderr
    clean_state = index_state(clean_index)
    assert len(clean_state["articles"]) == 40
    v1_state = index_state(template)
    v1_counts = {a: v[2] for a, v in v1_state["articles"].items()}
    # The scenario really has stale chunks to remove and articles to prune.
    assert all(v1_counts[a] > clean_state["articles"][a][2] for a in SHORTENED)
    assert set(DELETED) <= set(v1_counts) and not set(DELETED) & set(clean_state["articles"])
    return {"base": base, "folder": folder, "template": template, "clean": clean_state}


def _fresh_copy(setup: dict[str, Any], name: str) -> Path:
    index = setup["base"] / name
    shutil.copytree(setup["template"], index)
    return index


def _start_ingest(folder: Path, index: Path, hook: str = "") -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAG_TEST_HOOK": hook}
    return subprocess.Popen(
        [
            *rag_command(),
            "ingest",
            str(folder),
            "--prune",
            "--json",
            "--quiet",
            "--index",
            str(index),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def _rerun_and_compare(setup: dict[str, Any], index: Path, embedder: Any = None) -> None:
    """Ingest again (`rag ingest`, or the same function in-process with `embedder`)."""
    if embedder is None:
        again = run_rag("ingest", str(setup["folder"]), "--prune", "--json", "--quiet", index=index)
        assert again.returncode == 0, again.stderr
        assert "Traceback" not in again.stderr
        report = json.loads(again.stdout)
    else:
        from rag.ingest import ingest

        report = ingest(
            [setup["folder"]], make_settings(index), lambda: embedder, prune=True, quiet=True
        ).to_json()
    assert report["articles"] == 40 and report["failed"] == []
    assert_same_as_clean(index_state(index), setup["clean"])


@pytest.mark.parametrize("point", HOOK_POINTS)
def test_ingest_killed_at_a_named_point_is_completed_by_the_next_ingest(
    crash_setup: dict[str, Any], point: str, real_embedder: Any
) -> None:
    index = _fresh_copy(crash_setup, f"killed-at-{point}")
    process = _start_ingest(crash_setup["folder"], index, hook=f"kill@{point}")
    process.communicate(timeout=300)
    assert process.returncode == -signal.SIGKILL, f"the hook at {point!r} was never reached"
    # The next ingest runs in-process (same code as `rag ingest`, without a second model
    # load per point); the timed kills below rerun the real command.
    _rerun_and_compare(crash_setup, index, embedder=real_embedder)


@pytest.mark.parametrize("delay", TIMED_KILLS)
def test_ingest_killed_from_outside_after_a_delay_is_completed_by_the_next_ingest(
    crash_setup: dict[str, Any], delay: float
) -> None:
    index = _fresh_copy(crash_setup, f"killed-after-{delay}s")
    process = _start_ingest(crash_setup["folder"], index)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    _rerun_and_compare(crash_setup, index)


def test_crash_hook_points_are_real_points_of_the_ingest(
    crash_setup: dict[str, Any], real_embedder: Any
) -> None:
    """Guard for the tests above: every named point is passed by a normal ingest."""
    index = _fresh_copy(crash_setup, "all-points")
    from rag.config import load_settings
    from rag.ingest import ingest

    reached: list[str] = []
    import rag.ingest as ingest_module

    real_hook = ingest_module.test_hook

    def record(settings: Any, point: str) -> None:
        reached.append(point)
        real_hook(settings, point)

    ingest_module.test_hook = record
    try:
        settings = load_settings(env={"RAG_TEST_HOOK": "sleep:0@chunks"}, index_dir=index)
        ingest([crash_setup["folder"]], settings, lambda: real_embedder, prune=True, quiet=True)
    finally:
        ingest_module.test_hook = real_hook
    assert [p for p in HOOK_POINTS if p in reached] == list(HOOK_POINTS)
