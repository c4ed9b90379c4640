"""Retrieval alone, per gold set and question type: does the gold article come first?

    python -m evals.retrieval --index /tmp/idx                      # the six usual sets
    python -m evals.retrieval --index /tmp/idx --sets paraphrase --signals --misses
    python -m evals.retrieval --index /tmp/idx --gold my.jsonl --json

For every answerable question (follow-ups made standalone the way `rag ask` does, offline),
the retriever's top `k` (10) passages are ranked; the gold article's rank is the rank of
the first passage from one of its `article_ids`. Reported: hit@1, hit@3, hit@5 and MRR of that
rank, per set and per question type. No answering, so a set takes seconds, not minutes:
this is the measure for changes to `rag/retrieve.py`, `rag/articles.py`, `rag/keyword.py`.

`--signals` adds, per question, where the gold article stands in each ranking the fusion
reads (`vector` and `keyword`: the first passage of the article among each passage
ranking's candidates; `article_bm25`, `article_vector`: the whole-article rankings;
`article`: their fusion), and per set each signal's hit@1/hit@3, so a miss can be told
apart: no signal finds it, or one does and the fusion drowns it. `--misses` lists the
questions whose gold article is not first.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.gold import GoldItem, load_gold
from rag.dates import DateRange
from rag.errors import RagError
from rag.types import Turn

HERE = Path(__file__).resolve().parent
DEFAULT_SETS = ("news", "holdout", "starter", "paraphrase", "blind4-dev", "blind5-dev")
K = 10  # passages ranked per question (as rag eval's retrieval metrics)
SIGNALS = ("vector", "keyword", "article_bm25", "article_vector", "article")


@dataclass(frozen=True, slots=True)
class Ranked:
    """One question's result: the gold article's rank among the passages (None: not in
    the top k), and per signal its rank there (None: not among that signal's candidates)."""

    set_name: str
    item_id: str
    question: str
    type: str
    rank: int | None
    top_article: str | None
    gold: tuple[str, ...]
    signals: dict[str, int | None] = field(default_factory=dict)


def first_rank(articles: Sequence[str], gold: Sequence[str]) -> int | None:
    """1-based rank of the first of `articles` that is one of `gold` (None: none is)."""
    wanted = set(gold)
    for rank, article in enumerate(articles, start=1):
        if article in wanted:
            return rank
    return None


def standalone_question(pipeline: Any, item: GoldItem) -> str:
    """The question as retrieval sees it: a follow-up condensed with its context questions
    (the offline condenser reads only the user's turns, so no answers are needed)."""
    history: list[Turn] = []
    for earlier in item.context:
        history += [Turn("user", earlier), Turn("assistant", "")]
    return str(pipeline.standalone(item.question, history)) if history else item.question


def signal_ranks(
    retriever: Any, question: str, vector: Any, gold: Sequence[str]
) -> dict[str, int | None]:
    """Where the gold article stands in each ranking the hybrid fusion reads."""
    pool = max(retriever.settings.candidates, K)
    vector_hits = retriever.store.query(vector, pool, None)
    keyword_hits = retriever.keyword.search(question, pool)
    keyword_chunks = retriever.store.get_chunks([cid for cid, _ in keyword_hits])
    from rag.articles import article_index_for

    if retriever.articles is None:
        retriever.articles = article_index_for(retriever.store)
    articles = retriever.articles
    weights = retriever.weights
    return {
        "vector": first_rank([c.article_id for c, _ in vector_hits], gold),
        "keyword": first_rank(
            [keyword_chunks[c].article_id for c, _ in keyword_hits if c in keyword_chunks], gold
        ),
        "article_bm25": first_rank(articles.bm25_ranking(question, 50), gold),
        "article_vector": first_rank(articles.vector_ranking(vector, 50), gold),
        "article": first_rank(
            articles.rank(question, vector, vector_weight=weights.article_vector), gold
        ),
    }


def rank_items(
    pipeline: Any, set_name: str, items: Sequence[GoldItem], signals: bool = False
) -> list[Ranked]:
    """Retrieve every answerable item of a set and record its gold article's rank."""
    out: list[Ranked] = []
    for item in items:
        if not item.answerable or not item.article_ids:
            continue
        question = standalone_question(pipeline, item)
        dates = DateRange.parse(item.since, item.until) if item.since or item.until else None
        hits, vector = pipeline.retriever.retrieve(question, k=K, dates=dates)
        articles = [h.chunk.article_id for h in hits]
        out.append(
            Ranked(
                set_name,
                item.id,
                item.question,
                item.type,
                first_rank(articles, item.article_ids),
                articles[0] if articles else None,
                tuple(item.article_ids),
                signal_ranks(pipeline.retriever, question, vector, item.article_ids)
                if signals
                else {},
            )
        )
    return out


def figures(ranks: Sequence[int | None]) -> dict[str, float | int]:
    """hit@1, hit@3, hit@5 (the answerer reads the top 5 passages) and MRR of a list of
    gold ranks (None: missed)."""
    n = len(ranks)
    if not n:
        return {"n": 0, "hit@1": 0.0, "hit@3": 0.0, "hit@5": 0.0, "mrr": 0.0}
    return {
        "n": n,
        "hit@1": round(sum(1 for r in ranks if r == 1) / n, 3),
        "hit@3": round(sum(1 for r in ranks if r is not None and r <= 3) / n, 3),
        "hit@5": round(sum(1 for r in ranks if r is not None and r <= 5) / n, 3),
        "mrr": round(sum(1.0 / r for r in ranks if r is not None) / n, 3),
    }


def summarize(rows: Sequence[Ranked]) -> dict[str, Any]:
    """Per set: its figures, per type, and (when recorded) each signal's."""
    result: dict[str, Any] = {}
    for set_name in dict.fromkeys(r.set_name for r in rows):
        mine = [r for r in rows if r.set_name == set_name]
        entry: dict[str, Any] = dict(figures([r.rank for r in mine]))
        entry["types"] = {
            t: figures([r.rank for r in mine if r.type == t])
            for t in sorted({r.type for r in mine})
        }
        if mine and mine[0].signals:
            entry["signals"] = {s: figures([r.signals.get(s) for r in mine]) for s in SIGNALS}
        result[set_name] = entry
    return result


def table(summary: dict[str, Any]) -> str:
    lines = ["| set | type | n | hit@1 | hit@3 | hit@5 | MRR |", "|---|---|---|---|---|---|---|"]
    for set_name, entry in summary.items():
        lines.append(
            f"| {set_name} | all | {entry['n']} | {entry['hit@1']:.3f} | {entry['hit@3']:.3f} "
            f"| {entry['hit@5']:.3f} | {entry['mrr']:.3f} |"
        )
        for kind, f in entry["types"].items():
            lines.append(
                f"| | {kind} | {f['n']} | {f['hit@1']:.3f} | {f['hit@3']:.3f} "
                f"| {f['hit@5']:.3f} | {f['mrr']:.3f} |"
            )
        for signal, f in entry.get("signals", {}).items():
            lines.append(
                f"| | signal {signal} | {f['n']} | {f['hit@1']:.3f} | {f['hit@3']:.3f} "
                f"| {f['hit@5']:.3f} | {f['mrr']:.3f} |"
            )
    return "\n".join(lines)


def miss_lines(rows: Sequence[Ranked]) -> list[str]:
    lines = []
    for r in rows:
        if r.rank == 1:
            continue
        where = " ".join(f"{s}={r.signals.get(s)}" for s in SIGNALS) if r.signals else ""
        lines.append(
            f"{r.set_name}:{r.item_id} rank={r.rank} top={r.top_article} gold={','.join(r.gold)}"
            f" {where}\n    {r.question}"
        )
    return lines


def gold_files(sets: Sequence[str], extra: Sequence[str]) -> list[tuple[str, Path]]:
    files = [(name, HERE / "gold" / f"{name}.jsonl") for name in sets]
    files += [(Path(p).stem, Path(p)) for p in extra]
    return files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m evals.retrieval",
        description="retrieval alone: hit@1/hit@3/MRR of the gold article, per set and type",
    )
    parser.add_argument("--index", help="index folder (default: the configured one)")
    parser.add_argument(
        "--sets", default=",".join(DEFAULT_SETS), help="gold sets under evals/gold (comma list)"
    )
    parser.add_argument("--gold", action="append", default=[], help="another gold file")
    parser.add_argument("--signals", action="store_true", help="each fused signal's ranks too")
    parser.add_argument("--misses", action="store_true", help="list questions not at rank 1")
    parser.add_argument("--json", action="store_true", help="JSON instead of a table")
    args = parser.parse_args(argv)

    from rag.config import load_settings
    from rag.pipeline import build_pipeline

    try:
        overrides: dict[str, Any] = {"index_dir": Path(args.index)} if args.index else {}
        pipeline = build_pipeline(load_settings(**overrides))
        sets = [s for s in args.sets.split(",") if s] if args.sets else []
        rows: list[Ranked] = []
        for name, path in gold_files(sets, args.gold):
            rows += rank_items(pipeline, name, load_gold(path), signals=args.signals)
    except RagError as exc:
        print(f"rag: {exc}", file=sys.stderr)
        return exc.exit_code
    summary = summarize(rows)
    if args.json:
        body: dict[str, Any] = {"sets": summary}
        if args.misses:
            body["misses"] = [
                {
                    "set": r.set_name,
                    "id": r.item_id,
                    "question": r.question,
                    "rank": r.rank,
                    "top": r.top_article,
                    "gold": list(r.gold),
                    "signals": r.signals,
                }
                for r in rows
                if r.rank != 1
            ]
        print(json.dumps(body, indent=2))
    else:
        print(table(summary))
        if args.misses:
            print("\n".join(["", *miss_lines(rows)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
