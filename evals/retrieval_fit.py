"""`python -m evals.retrieval_fit`: fit the retrieval weights by k-fold cross-validation.

    python -m evals.retrieval_fit --index /tmp/idx               # report, write nothing
    python -m evals.retrieval_fit --index /tmp/idx --write       # and keep the values
    python -m evals.retrieval_fit --index /tmp/idx --gold other.jsonl --gold-index /tmp/other

Every answerable question of the gold sets is searched once: its passage rankings, its
article rankings, the passages involved and each ranked article's passage nearest the
question are recorded (`rag.retrieve.gather_signals`). Each point of a grid over
`rag.weights.RetrievalWeights` is then scored by fusing those recorded signals again
with `rag.fusion.fuse` and ordering them with `rag.retrieve.ordered_hits`, exactly as
the retriever would (no searching, no answering), so the whole grid costs one pass.
The grid holds both fusions: reciprocal rank fusion's weights (`blend` 0) and the blend
of scaled scores' (`blend` 1). `--gold` adds question sets of another corpus, searched
in `--gold-index`.

Objective: the mean over gold sets of (hit@1 + hit@3 + hit@5) / 3 of the gold article
(hit@5: among the passages the answerer reads), each set weighing the same; direct
questions must not pay for reworded ones: every point of hit@1 on a `--guard` set (news,
holdout, starter) under what the
current weights score on the same questions costs ten points. Folds go by question
group (a paraphrase with the question it rewrites, a starter question with its news
twin), as `rag eval --fit` does (evals/fit.py); the figures reported are the held-out
folds', and the values written (`--write`, the `retrieval` section of
`rag/answer/weights.json`) are chosen on all questions. Questions with a recency intent
("the latest on …") are left out: their passages are reordered by date afterwards.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from functools import cache
from pathlib import Path
from typing import Any

from evals.fit import folds_of
from evals.gold import GoldItem, load_gold
from evals.retrieval import DEFAULT_SETS, HERE, K, figures, first_rank, standalone_question
from rag.errors import BadInputError, RagError
from rag.fusion import Signals, fuse
from rag.keyword import RESCORE
from rag.types import Chunk
from rag.weights import RetrievalWeights, retrieval_weights, write_section

GUARD = ("news", "holdout", "starter")
OVER_COST = 10.0
GRID: dict[str, tuple[float, ...]] = {  # reciprocal rank fusion (`blend` 0)
    "vector": (0.5, 0.75),
    "article": (0.5, 1.0),
    "article_vector": (0.5, 1.0),
    "rrf_k": (30.0, 60.0),
    "vector_slot": (0, 3, 5),
    "article_vector_slot": (0, 3, 5),
}
BLEND_GRID: dict[str, tuple[float, ...]] = {  # the blend of scaled scores (`blend` 1)
    "blend_keyword": (0.5, 1.0),
    "blend_vector": (0.5, 1.0),
    "blend_article": (0.5, 1.0, 2.0),
    "blend_article_keyword": (0.3, 0.5, 0.7),
}


@dataclass(frozen=True, slots=True)
class Recorded:
    """One question's signals, with what fusing them again needs."""

    set: str
    id: str
    group: str
    type: str
    gold: tuple[str, ...]
    signals: Signals
    closest: dict[str, str]  # article id → its passage nearest the question
    chunks: dict[str, Chunk]


def record(pipeline: Any, sets: dict[str, list[GoldItem]]) -> list[Recorded]:
    """Search every answerable question once and keep its signals."""
    from rag.recency import recency_intent
    from rag.retrieve import gather_signals

    retriever = pipeline.retriever
    if retriever.articles is None:
        from rag.articles import article_index_for

        retriever.articles = article_index_for(retriever.store)
    articles = retriever.articles
    text_of = {f"{n}:{i.id}": i.question for n, items in sets.items() for i in items}
    out = []
    pool = max(retriever.settings.candidates, K)
    for name, items in sets.items():
        for item in items:
            if not item.answerable or not item.article_ids or item.since or item.until:
                continue
            question = standalone_question(pipeline, item)
            if recency_intent(question) is not None:
                continue
            vector = retriever.embedder.embed([question])[0]
            vector_hits = retriever.store.query(vector, pool, None)
            scored = retriever.keyword.search(question, max(pool, RESCORE))
            bm25_hits = scored[:pool]
            chunks: dict[str, Chunk] = {c.chunk_id: c for c, _ in vector_hits}
            chunks.update(retriever.store.get_chunks([c for c, _ in bm25_hits]))
            bm25_hits = [(c, s) for c, s in bm25_hits if c in chunks]
            signals = gather_signals(
                vector_hits, bm25_hits, chunks, articles, question, vector, dict(scored)
            )
            closest: dict[str, str] = {}
            for article in {*signals.article_bm25, *signals.article_vector}:
                nearest = articles.closest_chunk(article, vector)
                if nearest is not None:
                    closest[article] = nearest
            closest.update(signals.closest)
            chunks.update(retriever.store.get_chunks(list(closest.values())))
            original = text_of.get(item.original or "")
            out.append(
                Recorded(
                    name,
                    item.id,
                    original or item.question,
                    item.type,
                    tuple(item.article_ids),
                    signals,
                    closest,
                    chunks,
                )
            )
    return out


@cache
def _near_duplicate(a: str, b: str) -> bool:
    from rag.retrieve import near_duplicate

    return near_duplicate(a, b)


def replay(sample: Recorded, weights: RetrievalWeights) -> int | None:
    """The gold article's rank among the top K passages these weights would give."""
    from rag.retrieve import ordered_hits

    fused, _ = fuse(sample.signals, weights, sample.closest.get)
    fused = {c: s for c, s in fused.items() if c in sample.chunks}
    hits = ordered_hits(fused, sample.chunks, K, None, similar=_near_duplicate)
    return first_rank([h.chunk.article_id for h in hits], sample.gold)


def scores(samples: Sequence[Recorded], weights: RetrievalWeights) -> dict[str, dict[str, Any]]:
    by_set: dict[str, list[int | None]] = {}
    for sample in samples:
        by_set.setdefault(sample.set, []).append(replay(sample, weights))
    return {name: figures(ranks) for name, ranks in by_set.items()}


def objective(
    samples: Sequence[Recorded], weights: RetrievalWeights, base: dict[str, dict[str, Any]]
) -> float:
    got = scores(samples, weights)
    value = sum((f["hit@1"] + f["hit@3"] + f["hit@5"]) / 3 for f in got.values())
    value /= max(len(got), 1)
    for name in GUARD:
        if name in got and name in base:
            value -= OVER_COST * max(0.0, base[name]["hit@1"] - got[name]["hit@1"])
    return float(value)


def points(
    current: RetrievalWeights,
    grid: dict[str, tuple[float, ...]] = GRID,
    blend_grid: dict[str, tuple[float, ...]] = BLEND_GRID,
) -> list[RetrievalWeights]:
    """The current weights, then every point of the rank-fusion grid (`blend` 0) and of
    the blend's (`blend` 1)."""
    out = [current]
    for mode, chosen in ((0, grid), (1, blend_grid)):
        names = list(chosen)
        for values in itertools.product(*(chosen[n] for n in names)):
            out.append(
                replace(current, blend=mode, **dict(zip(names, values, strict=True)))  # type: ignore[arg-type]
            )
    return out


def choose(
    samples: Sequence[Recorded], candidates: Sequence[RetrievalWeights], current: RetrievalWeights
) -> RetrievalWeights:
    """The best-scoring candidate (the current weights win ties: no change without gain)."""
    base = scores(samples, current)
    best, best_value = current, objective(samples, current, base)
    for weights in candidates:
        value = objective(samples, weights, base)
        if value > best_value + 1e-9:
            best, best_value = weights, value
    return best


def values_of(weights: RetrievalWeights) -> dict[str, float | int]:
    return {f.name: getattr(weights, f.name) for f in fields(weights)}


def fit(
    samples: Sequence[Recorded],
    k: int,
    current: RetrievalWeights,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Held-out-fold figures per set (current weights beside them), and the values chosen
    on all questions."""
    if k < 2:
        raise BadInputError("--folds must be at least 2")
    candidates = points(current)
    held: list[tuple[Recorded, int | None]] = []
    chosen = []
    folds = folds_of(samples, k)
    for i, fold in enumerate(folds):
        progress(f"fold {i + 1}/{len(folds)}")
        train = [s for j, f in enumerate(folds) if j != i for s in f]
        weights = choose(train, candidates, current)
        chosen.append(values_of(weights))
        held += [(s, replay(s, weights)) for s in fold]
    progress("all questions")
    final = choose(samples, candidates, current)
    by_set: dict[str, list[int | None]] = {}
    for sample, rank in held:
        by_set.setdefault(sample.set, []).append(rank)
    return {
        "folds": len(folds),
        "grid": {n: list(v) for n, v in GRID.items()},
        "blend_grid": {n: list(v) for n, v in BLEND_GRID.items()},
        "current": values_of(current),
        "at_current": scores(samples, current),
        "held_out": {n: figures(r) for n, r in by_set.items()},
        "chosen_per_fold": chosen,
        "fitted": values_of(final),
        "at_fitted": scores(samples, final),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m evals.retrieval_fit",
        description="k-fold cross-validated retrieval weights (rag/answer/weights.json)",
    )
    parser.add_argument("--index", help="index folder (default: the configured one)")
    parser.add_argument("--sets", default=",".join(DEFAULT_SETS), help="gold sets (comma list)")
    parser.add_argument(
        "--gold", action="append", default=[], help="another gold file (its set: the file's name)"
    )
    parser.add_argument(
        "--gold-index", help="index folder the --gold files' articles are in (default: --index)"
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="write the fitted values")
    args = parser.parse_args(argv)

    from rag.config import load_settings
    from rag.pipeline import build_pipeline

    try:
        overrides: dict[str, Any] = {"index_dir": Path(args.index)} if args.index else {}
        pipeline = build_pipeline(load_settings(**overrides))
        sets = {n: load_gold(HERE / "gold" / f"{n}.jsonl") for n in args.sets.split(",") if n}
        samples = record(pipeline, sets)
        if args.gold:
            extra = {Path(p).stem: load_gold(Path(p)) for p in args.gold}
            other = pipeline
            if args.gold_index:
                other = build_pipeline(load_settings(index_dir=Path(args.gold_index)))
            samples += record(other, extra)
        result = fit(samples, args.folds, retrieval_weights(), lambda s: print(s, file=sys.stderr))
    except RagError as exc:
        print(f"rag: {exc}", file=sys.stderr)
        return exc.exit_code
    if args.write:
        write_section("retrieval", result["fitted"])
        note = {
            "by": f"python -m evals.retrieval_fit --folds {args.folds} --write",
            "sets": sorted(result["held_out"]),
            "held_out": result["held_out"],
            "at_previous": result["at_current"],
        }
        write_section("retrieval_fitted", note)
        result["written"] = "rag/answer/weights.json (retrieval, retrieval_fitted)"
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
