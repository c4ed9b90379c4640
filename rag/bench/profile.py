"""`python -m rag.bench.profile --index DIR`: where a warm `ask` spends its time.

Runs the gold questions (as `rag bench` does: three to warm up, then `--queries` timed)
through one warm pipeline on an existing index, in this process, and prints p50/p95 of
each stage (retrieve, answer, total), the model's share (the question's vector and the
answerer's sentences and words, timed through the embedder seam), the CPU time of an
ask (all threads: on a shared machine wall time also counts waiting for a core), every
model call per ask by the function of `rag/` that asked for it (texts, ms), and, with
`--top N`, the functions of `rag/` that took longest (cProfile, cumulative; profiling
slows Python code, not the model, so read the ranking, not the milliseconds).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
import traceback
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.bench.measure import load_questions, percentiles
from rag.config import load_settings
from rag.embed import Embedder, Vectors
from rag.pipeline import Pipeline


class TimedEmbedder:
    """An embedder that adds up the time and the texts of the calls it passes on."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.seconds = 0.0
        self.texts = 0
        # caller ("module.function" of rag/, past the answerer's vector cache) →
        # [calls, texts, seconds]
        self.callers: defaultdict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])

    def embed(self, texts: Sequence[str]) -> Vectors:
        started = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            took = time.perf_counter() - started
            self.seconds += took
            self.texts += len(texts)
            entry = self.callers[caller()]
            entry[0] += 1
            entry[1] += len(texts)
            entry[2] += took


def caller() -> str:
    """The function of `rag/` that asked for vectors (past the answerer's vector cache)."""
    skip = ("vector_cache.", "extractive.vectors", "profile.")
    for frame in reversed(traceback.extract_stack()[:-2]):
        name = f"{Path(frame.filename).stem}.{frame.name}"
        if f"{os.sep}rag{os.sep}" in frame.filename and not name.startswith(skip):
            return name
    return "?"


def profile_asks(
    pipeline: Pipeline, timed: TimedEmbedder, questions: Sequence[str], count: int
) -> dict[str, Any]:
    """Stage percentiles (ms) of `count` warm asks; `timed` must be the pipeline's embedder."""
    for question in questions[:3]:
        pipeline.ask(question)
    stages: dict[str, list[float]] = {
        "total": [],
        "retrieve": [],
        "answer": [],
        "model": [],
        "rest": [],
        "texts_embedded": [],
        "cpu": [],
    }
    timed.callers.clear()
    for i in range(count):
        timed.seconds, timed.texts = 0.0, 0
        cpu = time.process_time()
        timings = pipeline.ask(questions[i % len(questions)]).timings_ms
        stages["cpu"].append((time.process_time() - cpu) * 1000)
        model = timed.seconds * 1000
        stages["total"].append(timings["total"])
        stages["retrieve"].append(timings["retrieve"])
        stages["answer"].append(timings["answer"])
        stages["model"].append(model)
        stages["rest"].append(timings["total"] - model)
        stages["texts_embedded"].append(float(timed.texts))
    return {
        "queries": count,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        **{stage: percentiles(values) for stage, values in stages.items()},
        "calls": {
            who: {
                "calls_per_ask": calls / count,
                "texts_per_ask": texts / count,
                "ms_per_ask": seconds * 1000 / count,
            }
            for who, (calls, texts, seconds) in sorted(
                timed.callers.items(), key=lambda item: -item[1][2]
            )
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.bench.profile", description=__doc__)
    parser.add_argument("--index", required=True, type=Path, help="an ingested index folder")
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--top", type=int, default=0, help="also profile: the N slowest functions")
    args = parser.parse_args(argv)
    from rag.pipeline import build_embedder, build_pipeline

    settings = load_settings(index_dir=args.index, chroma_host=None)
    timed = TimedEmbedder(build_embedder(settings))
    pipeline = build_pipeline(settings, embedder=timed)
    questions = load_questions()
    figures = profile_asks(pipeline, timed, questions, args.queries)
    print(f"{args.queries} warm asks, load average {figures['load_average']}")
    for stage in ("total", "retrieve", "answer", "model", "rest", "texts_embedded", "cpu"):
        p = figures[stage]
        print(f"  {stage:15s} p50 {p['p50']:8.1f}  p95 {p['p95']:8.1f}  mean {p['mean']:8.1f}")
    print("model calls per ask, by what asked for them:")
    for who, c in figures["calls"].items():
        print(
            f"  {who:40s} {c['calls_per_ask']:5.2f} calls  {c['texts_per_ask']:6.1f} texts"
            f"  {c['ms_per_ask']:7.1f} ms"
        )
    if args.top:
        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(args.queries):
            pipeline.ask(questions[i % len(questions)])
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(r"rag[/\\]", args.top)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
