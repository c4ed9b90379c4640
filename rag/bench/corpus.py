"""Figures on the real corpus: bare model against ingest, re-ingest, warm queries,
start-up of a fresh `rag ask`, memory and index size."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from rag.bench.measure import Log, dir_bytes, peak_rss_mb, query_latency, rag_command, run_timed
from rag.config import Settings
from rag.errors import BadInputError
from rag.types import Article


def _warm_chunker() -> None:
    """Load the sentence splitter and token counters, as a running ingest has them."""
    from rag.chunk import chunk_article

    chunk_article(Article("warm", "Warm up", "One sentence. Another one.", None, "warm"))


def _load_articles(corpus: Path, settings: Settings) -> list[Article]:
    """The corpus's articles, read as ingest reads them."""
    from rag.load import discover, load_file

    files, _, _ = discover([corpus])
    articles = []
    for source in files:
        result = load_file(source.path, source.article_id, source.root, settings.max_bytes)
        articles.extend(result.articles)
    return articles


def bench_corpus(
    corpus: Path, settings: Settings, work: Path, questions: list[str], queries: int, log: Log
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Figures on the real corpus; also returns the material for synthetic corpora."""
    from rag.chunk import chunk_article
    from rag.ingest import ingest
    from rag.pipeline import build_embedder, build_pipeline
    from rag.retrieve import passage_for_embedding
    from rag.store import ChromaStore
    from rag.vector_cache import answer_texts

    index = work / "corpus-index"
    local = replace(settings, index_dir=index, chroma_host=None)
    started = time.perf_counter()
    embedder = build_embedder(local)
    model_load = time.perf_counter() - started
    _warm_chunker()
    import chromadb  # noqa: F401 - imported once, as in a running process

    # The bare model runs before and after ingest, on the passages ingest embeds, and
    # the ratio uses their mean, so a machine that gets busier or quieter during the
    # run does not tilt it.
    before_chunks = [
        c
        for a in _load_articles(corpus, local)
        for c in chunk_article(a, local.chunk_tokens, local.chunk_overlap_sentences)
    ]
    before_texts = [passage_for_embedding(c) for c in before_chunks]
    log(f"bare model on the corpus's {len(before_texts)} passages …")
    started = time.perf_counter()
    embedder.embed(before_texts)
    bare_before = time.perf_counter() - started
    # Ingest also embeds the passages' sentences and words for the answerer
    # (rag/vector_cache.py): the bare model on those too gives the ratio on the same texts.
    sentences, vocab = answer_texts(before_chunks)
    answer_work = [*sentences, *vocab]
    log(f"bare model on their {len(sentences)} sentences and {len(vocab)} words …")
    started = time.perf_counter()
    embedder.embed(answer_work)
    bare_answer = time.perf_counter() - started
    log(f"ingesting {corpus} …")
    report = ingest([corpus], local, lambda: embedder, quiet=True)
    if report.articles == 0:
        raise BadInputError(f"no articles found in {corpus}")
    store = ChromaStore(local)
    chunks = list(store.iter_chunks())
    texts = [passage_for_embedding(c) for c in chunks]
    counter = getattr(embedder, "count_tokens", None)
    tokens = sum(min(n, 256) for n in counter(texts)) if counter else 0
    log("bare model again …")
    started = time.perf_counter()
    vectors = embedder.embed(texts)
    bare_after = time.perf_counter() - started
    bare = (bare_before + bare_after) / 2
    log("re-ingesting the unchanged corpus …")
    again = ingest([corpus], local, lambda: embedder, quiet=True)
    cli_wall, _, cli_out, _ = run_timed(
        rag_command("ingest", str(corpus), "--json", "--quiet", "--index", str(index))
    )
    try:
        cli_seconds = float(json.loads(cli_out.strip().splitlines()[-1])["seconds"])
    except (ValueError, KeyError, IndexError):
        cli_seconds = None
    log(f"{queries} warm queries …")
    pipeline = build_pipeline(local, embedder=embedder)
    latency = query_latency(pipeline, questions, queries)
    log("start-up of a fresh `rag ask` …")
    wall, ask_rss, ask_out, code = run_timed(
        rag_command("ask", "--json", questions[0], "--index", str(index))
    )
    try:
        first = json.loads(ask_out)
        load_ms = first["timings_ms"].get("load")
    except ValueError:
        first, load_ms = None, None
    figures: dict[str, Any] = {
        "path": str(corpus),
        "articles": report.articles,
        "passages": len(texts),
        "tokens": tokens,
        "model_load_seconds": round(model_load, 2),
        "bare_model": {
            "seconds": round(bare, 2),
            "runs_seconds": [round(bare_before, 2), round(bare_after, 2)],
            "tokens_per_second": round(tokens / bare) if bare else None,
            "passages_per_second": round(len(texts) / bare, 1) if bare else None,
        },
        "bare_model_all": {
            "seconds": round(bare + bare_answer, 2),
            "answer_texts": len(answer_work),
            "answer_texts_seconds": round(bare_answer, 2),
        },
        "ingest": {
            "seconds": round(report.seconds, 2),
            "tokens_per_second": round(tokens / report.seconds) if report.seconds else None,
            "throughput_ratio_to_bare": round(bare / report.seconds, 3) if report.seconds else None,
            "ratio_to_bare_same_texts": (
                round((bare + bare_answer) / report.seconds, 3) if report.seconds else None
            ),
            "time_over_bare": round(report.seconds / bare, 3) if bare else None,
        },
        "reingest_seconds": round(again.seconds, 2),
        "reingest_embedded": again.embedded,
        "reingest_cli": {
            "seconds_reported": cli_seconds,
            "process_wall_seconds": round(cli_wall, 2),
        },
        "query_ms": latency,
        "peak_rss_mb": peak_rss_mb(),
        "index_mb": round(dir_bytes(index) / 2**20, 2),
        "startup_to_first_answer_seconds": round(wall, 2) if code == 0 and first else None,
        "startup_model_and_index_load_ms": load_ms,
        "ask_process_peak_rss_mb": ask_rss,
    }
    material = {
        "chunks": [
            {"article_id": c.article_id, "title": c.title, "published": c.published, "text": c.text}
            for c in chunks
        ],
        "vectors": np.asarray(vectors, dtype=np.float32),
    }
    return figures, material
