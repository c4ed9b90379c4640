"""Synthetic corpora that vary the real articles, built and queried by worker processes.

Sentences are recombined across articles, names and numbers swapped, so the text
statistics stay those of real news. Vectors are the model's (up to `--real-embed-max`
passages) or derived from the real passages' embeddings.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from rag.bench.measure import Log, dir_bytes, peak_rss_mb, query_latency, run_timed
from rag.config import Settings, load_settings
from rag.types import Article, Chunk

NOISE_SIGMA = 0.01  # per dimension, on unit vectors of 384 dims: |noise| ~ 0.2
REPLACE_SENTENCE = 0.3  # share of sentences taken from another article
SWAP_NAME = 0.5


_NAME = re.compile(r"(?<=[a-z,;] )[A-Z][a-z]{2,}(?: [A-Z][a-z]{2,})?")
_DIGITS = re.compile(r"\d+")


def save_material(material: dict[str, Any], work: Path) -> Path:
    """Sentences, names and vectors of the real passages, for the synthetic workers."""
    from rag.chunk import split_sentences

    chunks = material["chunks"]
    names: dict[str, int] = {}
    for chunk in chunks:
        sentences = [chunk["text"][s.start : s.end] for s in split_sentences(chunk["text"])]
        chunk["sentences"] = sentences or [chunk["text"]]
        found = sorted(set(_NAME.findall(chunk["text"])))
        chunk["names"] = found
        for name in found:
            names[name] = names.get(name, 0) + 1
    path = work / "material.json"
    path.write_text(json.dumps({"chunks": chunks, "names": sorted(names)}))
    np.save(work / "material.npy", material["vectors"])
    return path


def generate(
    material: dict[str, Any], vectors: np.ndarray, size: int, seed: int = 7
) -> tuple[list[tuple[Article, list[Chunk]]], np.ndarray]:
    """`size` passages in synthetic articles that vary the real ones, with derived vectors.

    Each synthetic article follows a real article passage by passage; about 30% of the
    sentences come from a passage of another article, about half of the names are
    swapped for other names from the corpus, and every number gets new digits. A
    passage's vector is the weighted mean of its source passages' vectors plus noise.
    """
    from rag.load import content_hash

    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    chunks = material["chunks"]
    pool = material["names"] or ["Smith"]
    by_article: dict[str, list[int]] = {}
    for i, chunk in enumerate(chunks):
        by_article.setdefault(chunk["article_id"], []).append(i)
    article_ids = list(by_article)

    def swap_numbers(text: str) -> str:
        def digits(match: re.Match[str]) -> str:
            n = len(match.group())
            first = str(rng.randint(1, 9)) if n > 1 else str(rng.randint(0, 9))
            return first + "".join(str(rng.randint(0, 9)) for _ in range(n - 1))

        return _DIGITS.sub(digits, text)

    items: list[tuple[Article, list[Chunk]]] = []
    rows: list[np.ndarray] = []
    count = 0
    number = 0
    while count < size:
        base_id = article_ids[number % len(article_ids)]
        donors = by_article[rng.choice(article_ids)]
        names = sorted({n for j in by_article[base_id] for n in chunks[j]["names"]})
        mapping = {n: rng.choice(pool) for n in names if rng.random() < SWAP_NAME}
        pattern = (
            re.compile("|".join(re.escape(n) for n in sorted(mapping, key=len, reverse=True)))
            if mapping
            else None
        )

        def vary(
            text: str, pattern: re.Pattern[str] | None = pattern, mapping: dict[str, str] = mapping
        ) -> str:
            if pattern is not None:
                text = pattern.sub(lambda m: mapping[m.group()], text)
            return swap_numbers(text)

        article_id = f"synthetic/{number:06d}"
        title = vary(chunks[by_article[base_id][0]]["title"])
        published = chunks[by_article[base_id][0]]["published"]
        pieces: list[str] = []
        weights: list[tuple[int, int, float]] = []
        for j in by_article[base_id][: size - count]:
            donor = rng.choice(donors)
            sentences = []
            kept = 0
            for sentence in chunks[j]["sentences"]:
                if rng.random() < REPLACE_SENTENCE:
                    sentences.append(rng.choice(chunks[donor]["sentences"]))
                else:
                    sentences.append(sentence)
                    kept += 1
            pieces.append(vary(" ".join(sentences)))
            weights.append((j, donor, kept / max(len(sentences), 1)))
        text = "\n\n".join(pieces)
        article = Article(
            article_id,
            title,
            text,
            published,
            f"synthetic:{base_id}",
            "synthetic",
            content_hash(title, text),
        )
        article_chunks = []
        offset = 0
        for n, piece in enumerate(pieces):
            article_chunks.append(
                Chunk(
                    f"{article_id}#{n}",
                    article_id,
                    n,
                    piece,
                    offset,
                    offset + len(piece),
                    title,
                    published,
                    article.source,
                    content_hash(piece),
                )
            )
            offset += len(piece) + 2
        for j, donor, share in weights:
            rows.append(share * vectors[j] + (1.0 - share) * vectors[donor])
        items.append((article, article_chunks))
        count += len(article_chunks)
        number += 1
    derived = np.asarray(rows, dtype=np.float32)
    derived += noise.normal(0.0, NOISE_SIGMA, derived.shape).astype(np.float32)
    derived /= np.clip(np.linalg.norm(derived, axis=1, keepdims=True), 1e-12, None)
    return items, derived


def _worker_settings(spec: dict[str, Any]) -> Settings:
    return replace(load_settings(), index_dir=Path(spec["index"]), chroma_host=None)


def worker_build(spec: dict[str, Any]) -> dict[str, Any]:
    """Generate a synthetic corpus and write it into Chroma + BM25 (a worker process)."""
    from rag.keyword import KeywordIndex
    from rag.retrieve import passage_for_embedding
    from rag.store import ChromaStore

    settings = _worker_settings(spec)
    work = Path(spec["work"])
    started = time.perf_counter()
    material = json.loads((work / "material.json").read_text())
    vectors = np.load(work / "material.npy")
    items, derived = generate(material, vectors, int(spec["size"]))
    generated = time.perf_counter()
    chunks = [c for _, cs in items for c in cs]
    embed_seconds = None
    if spec["real_vectors"]:
        from rag.pipeline import build_embedder

        embedder = build_embedder(settings)
        began = time.perf_counter()
        derived = embedder.embed([passage_for_embedding(c) for c in chunks])
        embed_seconds = round(time.perf_counter() - began, 2)
    began = time.perf_counter()
    store = ChromaStore(settings, create=True)
    store.bump_generation()
    first = 0
    group: list[tuple[Article, list[Chunk]]] = []
    for item in items:
        group.append(item)
        if sum(len(cs) for _, cs in group) >= 5000:
            n = sum(len(cs) for _, cs in group)
            store.write_many(group, derived[first : first + n])
            first += n
            group = []
    if group:
        store.write_many(group, derived[first:])
    written = time.perf_counter()
    seq = store.bump_generation()
    KeywordIndex.open(settings.index_dir).rebuild(chunks, store.generation(), seq)
    indexed = time.perf_counter()
    return {
        "passages": store.count_chunks(),
        "articles": len(items),
        "vectors": "model" if spec["real_vectors"] else "derived",
        "generate_seconds": round(generated - started, 2),
        "embed_seconds": embed_seconds,
        "write_chroma_seconds": round(written - began, 2),
        "bm25_seconds": round(indexed - written, 2),
        "build_seconds": round(indexed - started, 2),
        "index_mb": round(dir_bytes(settings.index_dir) / 2**20, 1),
    }


def worker_query(spec: dict[str, Any]) -> dict[str, Any]:
    """Open the synthetic index like `rag ask` does and time warm queries (a worker)."""
    from rag.pipeline import build_embedder, build_pipeline

    settings = _worker_settings(spec)
    started = time.perf_counter()
    embedder = build_embedder(settings)
    loaded = time.perf_counter()
    pipeline = build_pipeline(settings, embedder=embedder)
    opened = time.perf_counter()
    latency = query_latency(pipeline, spec["questions"], int(spec["queries"]))
    return {
        "model_load_seconds": round(loaded - started, 2),
        "index_open_seconds": round(opened - loaded, 2),
        "query_ms": latency,
    }


def _worker(task: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Run one synthetic task in a fresh process (its memory is its own)."""
    spec_path = Path(spec["work"]) / f"spec-{task}-{spec['size']}.json"
    spec_path.write_text(json.dumps(spec))
    wall, rss, out, code = run_timed([sys.executable, "-m", "rag.bench", task, str(spec_path)])
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if code != 0 or not lines:
        raise RuntimeError(f"bench worker {task} {spec['size']} failed (exit {code})")
    result: dict[str, Any] = json.loads(lines[-1])
    result["process_seconds"] = round(wall, 2)
    result.setdefault("peak_rss_mb", rss)
    return result


def bench_synthetic(
    size: int, work: Path, questions: list[str], queries: int, real_max: int, log: Log
) -> dict[str, Any]:
    index = work / f"synthetic-{size}"
    spec = {
        "work": str(work),
        "index": str(index),
        "size": size,
        "questions": questions,
        "queries": queries,
        "real_vectors": size <= real_max,
    }
    log(f"building a synthetic index of {size} passages …")
    build = _worker("build", spec)
    log(f"querying it ({queries} warm queries) …")
    query = _worker("query", spec)
    figures = {
        **{k: v for k, v in build.items() if k not in ("peak_rss_mb", "process_seconds")},
        "build_peak_rss_mb": build["peak_rss_mb"],
        "query_ms": query["query_ms"],
        "index_open_seconds": query["index_open_seconds"],
        "serve_peak_rss_mb": query["peak_rss_mb"],
    }
    shutil.rmtree(index, ignore_errors=True)
    return figures


def worker_main(argv: Sequence[str]) -> int:
    """One worker process: `build` or `query` the synthetic index its spec file describes."""
    from rag.config import prepare_offline_caches

    prepare_offline_caches()
    task, spec_path = argv
    spec = json.loads(Path(spec_path).read_text())
    result = worker_build(spec) if task == "build" else worker_query(spec)
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result), flush=True)
    return 0
