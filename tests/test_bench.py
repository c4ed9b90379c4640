"""rag/bench.py: `rag bench --json` reports every figure the performance issue asks for.

Only shapes and sanity are asserted here, never timings: performance is measured by
running `rag bench`, not by tests on a shared machine.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag.bench import generate, parse_sizes
from rag.errors import BadInputError
from tests.conftest import CORPUS, SEED, run_rag


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bench-corpus")
    shutil.copy(SEED, folder / SEED.name)
    for name in ("lee-000.txt", "lee-001.txt", "lee-002.txt", "lee-003.txt"):
        shutil.copy(CORPUS / "lee" / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def bench_report(small_corpus: Path) -> dict[str, Any]:
    result = run_rag(
        "bench",
        "--json",
        "--corpus",
        str(small_corpus),
        "--sizes",
        "40,200",
        "--real-embed-max",
        "40",
        "--queries",
        "4",
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@pytest.mark.slow
def test_bench_json_reports_every_figure_on_the_real_corpus(bench_report: dict[str, Any]) -> None:
    corpus = bench_report["corpus"]
    assert corpus["articles"] == 5 and corpus["passages"] > 5 and corpus["tokens"] > 1000
    assert corpus["bare_model"]["tokens_per_second"] > 0
    assert corpus["ingest"]["tokens_per_second"] > 0
    assert corpus["ingest"]["throughput_ratio_to_bare"] > 0
    assert corpus["ingest"]["time_over_bare"] > 0
    # ingest also embeds the answer's sentences and words: the ratio on the same texts
    assert corpus["bare_model_all"]["answer_texts"] > corpus["passages"]
    assert (
        corpus["ingest"]["ratio_to_bare_same_texts"] > corpus["ingest"]["throughput_ratio_to_bare"]
    )
    assert corpus["reingest_seconds"] >= 0 and corpus["reingest_embedded"] == 0
    assert corpus["reingest_cli"]["seconds_reported"] is not None
    for part in ("retrieve", "answer", "total"):
        assert corpus["query_ms"][part]["p95"] >= corpus["query_ms"][part]["p50"] > 0
    assert corpus["query_ms"]["queries"] == 4
    assert corpus["peak_rss_mb"] > 50 and corpus["ask_process_peak_rss_mb"] > 50
    assert corpus["index_mb"] > 0
    assert corpus["startup_to_first_answer_seconds"] > 0
    machine = bench_report["machine"]
    assert machine["cpus"] >= 1 and "load_average_at_end" in machine


@pytest.mark.slow
def test_bench_builds_synthetic_indexes_of_the_asked_sizes(bench_report: dict[str, Any]) -> None:
    rows = {row["passages"]: row for row in bench_report["synthetic"]}
    assert set(rows) == {40, 200}
    assert rows[40]["vectors"] == "model" and rows[40]["embed_seconds"] is not None
    assert rows[200]["vectors"] == "derived" and rows[200]["embed_seconds"] is None
    for row in rows.values():
        assert row["query_ms"]["total"]["p50"] > 0 and row["query_ms"]["retrieve"]["p95"] > 0
        assert row["serve_peak_rss_mb"] > 50 and row["build_peak_rss_mb"] > 50
        assert row["index_mb"] > 0 and row["write_chroma_seconds"] >= 0
    assert any("DERIVED" in note for note in bench_report["notes"])
    figures = {t["figure"] for t in bench_report["targets"]}
    assert "ingest throughput / bare model" in figures
    assert any(f.startswith("ingest / bare model on the texts ingest embeds") for f in figures)
    assert "query p50 at 200 passages (ms)" in figures


def _material() -> tuple[dict[str, Any], np.ndarray]:
    chunks = [
        {
            "article_id": "a",
            "title": "Smith visits Perth in 2001",
            "published": "2001-01-02",
            "text": "Mr Smith arrived on Monday with 42 staff. He met Jones at noon.",
            "sentences": ["Mr Smith arrived on Monday with 42 staff.", "He met Jones at noon."],
            "names": ["Smith", "Jones"],
        },
        {
            "article_id": "b",
            "title": "Floods in Queensland",
            "published": None,
            "text": "Rain fell for 3 days. The river rose by 12 metres near Brown's farm.",
            "sentences": [
                "Rain fell for 3 days.",
                "The river rose by 12 metres near Brown's farm.",
            ],
            "names": ["Brown"],
        },
    ]
    vectors = np.eye(2, 384, dtype=np.float32)
    return {"chunks": chunks, "names": ["Smith", "Jones", "Brown", "Kallas"]}, vectors


def test_synthetic_corpus_has_exactly_the_asked_passages_with_exact_offsets() -> None:
    material, vectors = _material()
    items, derived = generate(material, vectors, 7)
    chunks = [c for _, cs in items for c in cs]
    assert len(chunks) == 7 and derived.shape == (7, 384)
    assert np.allclose(np.linalg.norm(derived, axis=1), 1.0, atol=1e-5)
    for article, article_chunks in items:
        for chunk in article_chunks:
            assert article.text[chunk.char_start : chunk.char_end] == chunk.text
            assert chunk.chunk_id == f"{article.article_id}#{chunk.n}"
    assert len({c.chunk_id for c in chunks}) == 7


def test_synthetic_passages_vary_numbers_and_keep_real_sentences() -> None:
    material, vectors = _material()
    items, _ = generate(material, vectors, 40)
    texts = [c.text for _, cs in items for c in cs]
    assert any("42 staff" not in t and "staff" in t for t in texts)  # numbers re-drawn
    assert all(t.endswith(".") for t in texts)  # whole real sentences, recombined


def test_sizes_parse_counts_and_reject_nonsense() -> None:
    assert parse_sizes("1000,10k,100000") == [1000, 10000, 100000]
    assert parse_sizes("") == [] and parse_sizes("none") == []
    with pytest.raises(BadInputError):
        parse_sizes("lots")
    with pytest.raises(BadInputError):
        parse_sizes("0")


def test_bench_with_bad_sizes_exits_2_with_one_line() -> None:
    result = run_rag("bench", "--sizes", "many", timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "--sizes" in result.stderr
