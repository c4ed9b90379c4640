"""`rag eval`: run a gold set through the pipeline under one or more configurations.

    rag eval --gold evals/gold/news.jsonl                       # the default configuration
    rag eval --gold evals/gold/news.jsonl --configs all --out report/
    rag eval --gold evals/gold/starter.jsonl --write-floors     # refresh evals/floors.json
    python -m evals.runner ...                                  # the same as `rag eval ...`

A configuration is `RETRIEVAL[-CHUNK_TOKENS]`: `hybrid`, `vector`, `bm25`, `hybrid-96`…
Configurations with the index's chunk size share the index given by --index (built from
--corpus when it is missing); other chunk sizes get their own index, built from --corpus
under `OUT/indexes/` (kept for the next run) or a temporary folder.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from evals import metrics as m
from evals.gold import GoldItem, load_gold
from rag.config import Settings
from rag.dates import DateRange
from rag.errors import BadInputError, IndexMissingError, RagError
from rag.types import Answer, Hit, Turn

if TYPE_CHECKING:
    from evals.judge import LLMJudge
    from rag.embed import Embedder
    from rag.pipeline import Pipeline

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FLOORS_PATH = HERE / "floors.json"
SCHEMA_PATH = HERE / "answer.schema.json"
RETRIEVALS = ("hybrid", "vector", "bm25")
CHUNK_VARIANTS = (96, 160, 256)
RETRIEVE_K = 10  # passages ranked for retrieval metrics
WORST = 10  # questions shown in the report's debugging section

# The headline metrics, in table order; `lower` ones are better when smaller.
HEADLINE = (
    "hit@3",
    "mrr",
    "passage_hit@3",
    "answer_match",
    "token_f1",
    "citation_validity",
    "citation_precision",
    "citation_recall",
    "refusal_accuracy",
    "false_refusal_rate",
    "latency_p50_ms",
    "latency_p95_ms",
)
LOWER_IS_BETTER = ("false_refusal_rate", "latency_p50_ms", "latency_p95_ms")
# Floors cover quality only: latency depends on the machine.
FLOOR_METRICS = tuple(m for m in HEADLINE if not m.startswith("latency"))


# -- configurations ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Config:
    """One retrieval choice to score: how passages are found and how big they are."""

    name: str
    retrieval: str
    chunk_tokens: int


def parse_configs(text: str | None, settings: Settings) -> list[Config]:
    """`hybrid,vector,bm25-96` → Configs; `all` is every retrieval plus the chunk variants."""
    default_tokens = settings.chunk_tokens

    def named(retrieval: str, tokens: int) -> Config:
        name = retrieval if tokens == default_tokens else f"{retrieval}-{tokens}"
        return Config(name, retrieval, tokens)

    if not text:
        return [named(settings.retrieval, default_tokens)]
    configs: list[Config] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if part == "all":
            wanted = [named(r, default_tokens) for r in (settings.retrieval, *RETRIEVALS)]
            wanted += [named(settings.retrieval, t) for t in CHUNK_VARIANTS]
        else:
            retrieval, _, tokens = part.partition("-")
            if retrieval not in RETRIEVALS or (tokens and not tokens.isdigit()):
                raise BadInputError(
                    f"unknown configuration {part!r}: use RETRIEVAL[-CHUNK_TOKENS] with "
                    f"RETRIEVAL one of {', '.join(RETRIEVALS)} (e.g. hybrid-96), or all"
                )
            size = int(tokens) if tokens else default_tokens
            if not 16 <= size <= 256:
                raise BadInputError(f"chunk size {size} is outside 16–256 tokens")
            wanted = [named(retrieval, size)]
        for config in wanted:
            if config not in configs:
                configs.append(config)
    if not configs:
        raise BadInputError("--configs names no configuration")
    return configs


def _index_holds_chunks(settings: Settings) -> bool:
    from rag.store import ChromaStore

    try:
        return ChromaStore(settings).count_chunks() > 0
    except IndexMissingError:
        return False


def prepare_index(
    config: Config,
    settings: Settings,
    corpus: Path,
    cache: Path,
    embedder: Embedder,
    quiet: bool,
) -> Settings:
    """Settings whose index holds the corpus chunked as `config` asks (ingesting if needed)."""
    from rag.ingest import ingest

    if config.chunk_tokens == settings.chunk_tokens:
        chosen = settings.with_overrides(retrieval=config.retrieval)
        if _index_holds_chunks(chosen):
            return chosen
        if not corpus.exists():
            raise IndexMissingError(
                f"the index at {settings.index_dir} is empty and there is no corpus at "
                f"{corpus}: run `rag ingest PATH` or pass --corpus DIR"
            )
        print(
            f"eval: the index at {settings.index_dir} is empty; ingesting {corpus}", file=sys.stderr
        )
    else:
        if not corpus.exists():
            raise BadInputError(
                f"configuration {config.name} needs --corpus DIR ({corpus} is missing)"
            )
        # Variants always live in embedded Chroma folders of their own.
        chosen = replace(
            settings,
            index_dir=cache / f"chunks-{config.chunk_tokens}",
            chroma_host=None,
            retrieval=config.retrieval,
            chunk_tokens=config.chunk_tokens,
        )
    ingest([corpus], chosen, lambda: embedder, prune=True, quiet=quiet)
    return chosen


# -- running one question ---------------------------------------------------------------------


def ask_safely(
    pipeline: Pipeline, question: str, history: Sequence[Turn], dates: DateRange | None = None
) -> Answer:
    """The pipeline's answer; a question it rejects as bad input counts as a refusal."""
    from rag.answer import refusal

    try:
        answer: Answer = pipeline.ask(question, history=list(history), dates=dates)
        return answer
    except BadInputError:
        return refusal(question)


def context_history(pipeline: Pipeline, item: GoldItem) -> list[Turn]:
    """The conversation before a follow-up: its context questions asked, with their answers."""
    history: list[Turn] = []
    for earlier in item.context:
        previous = ask_safely(pipeline, earlier, history)
        history += [Turn("user", earlier), Turn("assistant", previous.answer)]
    return history


def retrieve_standalone(
    pipeline: Pipeline, item: GoldItem
) -> tuple[list[Hit], np.ndarray, str | None]:
    """The item's passages and question vector, retrieved for its standalone form (None when
    that is the question as asked), for re-answering the same passages many times."""
    standalone = pipeline.standalone(item.question, context_history(pipeline, item))
    hits, vector = pipeline.retriever.retrieve(standalone)
    return hits, vector, standalone if standalone != item.question else None


def run_item(pipeline: Pipeline, item: GoldItem) -> tuple[Answer, list[m.RetrievedPassage]]:
    """Ask the item's context questions, then the item; rank passages for its standalone form."""
    history = context_history(pipeline, item)
    dates = DateRange.parse(item.since, item.until) if item.since or item.until else None
    answer = ask_safely(pipeline, item.question, history, dates)
    standalone = answer.condensed_question or item.question
    hits = pipeline.retrieve(standalone, k=RETRIEVE_K, dates=dates)
    passages = [
        m.RetrievedPassage(
            rank=rank,
            chunk_id=h.chunk.chunk_id,
            article_id=h.chunk.article_id,
            text=h.chunk.text,
            score=float(h.score),
            vector_rank=h.vector_rank,
            bm25_rank=h.bm25_rank,
        )
        for rank, h in enumerate(hits, start=1)
    ]
    return answer, passages


def score_item(
    item: GoldItem,
    answer: Answer,
    passages: Sequence[m.RetrievedPassage],
    article_text: Callable[[str], str | None],
    schema: dict[str, Any] | None,
    similarity: m.Similarity | None,
) -> dict[str, Any]:
    """One question's row: what was asked, answered and retrieved, and its scores."""
    body = answer.to_json()
    row: dict[str, Any] = {
        "id": item.id,
        "type": item.type,
        "question": item.question,
        "context": list(item.context),
        "answerable": item.answerable,
        "original": item.original,
        "variant": item.variant,
        "answers": list(item.answers),
        "article_ids": list(item.article_ids),
        "standalone": answer.condensed_question,
        "answer": answer.answer,
        "refused": answer.refused,
        "mode": answer.mode,
        "citations": [
            {"n": c.n, "chunk_id": c.chunk_id, "quote": c.quote} for c in answer.citations
        ],
        "latency_ms": float(answer.timings_ms.get("total", 0.0)),
        "answer_words": None if answer.refused else m.answer_words(answer.answer),
        "retrieved": [
            {
                "rank": p.rank,
                "chunk_id": p.chunk_id,
                "article_id": p.article_id,
                "score": round(p.score, 5),
                "vector_rank": p.vector_rank,
                "bm25_rank": p.bm25_rank,
                "text": p.text,
            }
            for p in passages
        ],
    }
    if item.answerable:
        texts = [t for t in (article_text(a) for a in item.article_ids) if t is not None]
        row["question_overlap"] = m.question_overlap(item.question, texts)
    problems = m.citation_problems(body, article_text, schema)
    row["citation_problems"] = problems
    row["citation_valid"] = not problems
    cites = m.citation_scores(body, item.answers, similarity)
    row.update(
        claims=cites.claims,
        supported_claims=cites.supported_claims,
        pairs=cites.pairs,
        supporting_pairs=cites.supporting_pairs,
    )
    if item.answerable:
        article_flags, passage_flags = m.relevant_flags(passages, item.article_ids, item.answers)
        row.update(
            {
                "hit@1": m.hit_at(article_flags, 1),
                "hit@3": m.hit_at(article_flags, 3),
                "hit@5": m.hit_at(article_flags, 5),
                "hit@10": m.hit_at(article_flags, 10),
                "rr": m.reciprocal_rank(article_flags),
                "recall@5": m.article_recall_at(passages, item.article_ids, 5),
                "passage_hit@3": m.hit_at(passage_flags, 3),
                "passage_rr": m.reciprocal_rank(passage_flags),
                "passage_recall@5": m.alias_recall_at(passages, item.article_ids, item.answers, 5),
                "gold_ranks": [i + 1 for i, flag in enumerate(article_flags) if flag],
                "article_cited": float(
                    not answer.refused
                    and any(c.article_id in item.article_ids for c in answer.citations)
                ),
                "match": 0.0
                if answer.refused
                else float(m.contains_alias(answer.answer, item.answers)),
                "f1": 0.0 if answer.refused else m.token_f1(answer.answer, item.answers),
            }
        )
        row["correct"] = row["match"]
    else:
        row["correct"] = 1.0 if answer.refused else 0.0
    return row


# -- a whole run ------------------------------------------------------------------------------


def load_schema() -> dict[str, Any] | None:
    """The Answer JSON schema (a copy of the contract's), when jsonschema is installed."""
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        return None
    if not SCHEMA_PATH.exists():
        return None
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def evaluate(
    pipeline: Pipeline,
    items: Sequence[GoldItem],
    label: str = "eval",
    quiet: bool = False,
    judge: LLMJudge | None = None,
) -> list[dict[str, Any]]:
    """Run every item through `pipeline`; one scored row per item."""
    from tqdm import tqdm

    texts: dict[str, str | None] = {}

    def article_text(article_id: str) -> str | None:
        if article_id not in texts:
            article = pipeline.store.get_article(article_id)
            texts[article_id] = article.text if article is not None else None
        return texts[article_id]

    schema = load_schema()
    similarity = m.embedding_similarity(pipeline.embedder)
    # One throwaway question first: lazy loads (tokenizers, sentence splitter) are not
    # part of any question's warm time.
    ask_safely(pipeline, "What happened?", [])
    rows = []
    with recording_support(pipeline) as supports:
        for item in tqdm(items, desc=label, unit="q", file=sys.stderr, disable=quiet, leave=False):
            supports.clear()
            answer, passages = run_item(pipeline, item)
            row = score_item(item, answer, passages, article_text, schema, similarity)
            # the answerer's own support for the question, and whether it refused for
            # another reason (an ungrounded part); None: it never got that far
            row["support"] = supports[-1][0] if supports else None
            row["blocked"] = supports[-1][1] if supports else True
            rows.append(row)
            if judge is not None:
                row.update(judge.judge(item.question, answer.to_json()))
    return rows


@contextlib.contextmanager
def recording_support(pipeline: Any) -> Iterator[list[tuple[float, bool]]]:
    """Record the decision behind every extractive answer given in the block, as
    (support, refused for a reason other than support: an ungrounded part, no passages).
    The refusal/false-refusal trade-off across support thresholds is then a sweep over
    these, with no second run. Nothing is recorded for an answerer without `respond`."""
    answerer = getattr(pipeline, "extractive", None)
    recorded: list[tuple[float, bool]] = []
    if answerer is None or not hasattr(answerer, "respond"):
        yield recorded
        return
    original = answerer.respond
    had_own = "respond" in vars(answerer)

    def spy(*args: Any, **kwargs: Any) -> Any:
        reply = original(*args, **kwargs)
        decision = reply.decision
        blocked = decision.refused and any(
            not reason.startswith("support") for reason in decision.reasons
        )
        recorded.append((float(decision.support), bool(blocked)))
        return reply

    answerer.respond = spy
    try:
        yield recorded
    finally:
        if had_own:
            answerer.respond = original
        else:
            del answerer.respond


def summarize(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The run's metrics from its rows (see evals/metrics.py for definitions)."""
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    out: dict[str, Any] = {
        "questions": len(rows),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
    }
    for key in (
        "hit@1",
        "hit@3",
        "hit@5",
        "hit@10",
        "recall@5",
        "passage_hit@3",
        "passage_recall@5",
    ):
        out[key] = m.mean(r[key] for r in answerable)
    out["mrr"] = m.mean(r["rr"] for r in answerable)
    out["passage_mrr"] = m.mean(r["passage_rr"] for r in answerable)
    out["answer_match"] = m.mean(r["match"] for r in answerable)
    out["article_cited"] = m.mean(r.get("article_cited") for r in answerable)
    words = [r["answer_words"] for r in rows if r.get("answer_words") is not None]
    out["median_answer_words"] = m.percentile(words, 50)
    out["token_f1"] = m.mean(r["f1"] for r in answerable)
    out["citation_validity"] = m.mean(1.0 if r["citation_valid"] else 0.0 for r in rows)
    pairs = sum(r["pairs"] for r in rows)
    claims = sum(r["claims"] for r in rows)
    out["citation_precision"] = sum(r["supporting_pairs"] for r in rows) / pairs if pairs else None
    out["citation_recall"] = sum(r["supported_claims"] for r in rows) / claims if claims else None
    out["refusal_accuracy"] = m.mean(1.0 if r["refused"] else 0.0 for r in unanswerable)
    out["false_refusal_rate"] = m.mean(1.0 if r["refused"] else 0.0 for r in answerable)
    out["accuracy"] = m.mean(r["correct"] for r in rows)
    out["question_overlap"] = m.mean(r.get("question_overlap") for r in answerable)
    latencies = [r["latency_ms"] for r in rows]
    out["latency_p50_ms"] = m.percentile(latencies, 50)
    out["latency_p95_ms"] = m.percentile(latencies, 95)
    if any("faithfulness" in r for r in rows):
        out["faithfulness"] = m.mean(r.get("faithfulness") for r in rows)
        out["answer_relevancy"] = m.mean(r.get("answer_relevancy") for r in rows)
    return out


def per_type(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per question type: count, share correct (matched or rightly refused), hit@3, F1."""
    kinds: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        kinds.setdefault(r["type"], []).append(r)
    return {
        kind: {
            "questions": len(group),
            "correct": m.mean(r["correct"] for r in group),
            "hit@3": m.mean(r.get("hit@3") for r in group),
            "token_f1": m.mean(r.get("f1") for r in group),
            "refused": m.mean(1.0 if r["refused"] else 0.0 for r in group),
        }
        for kind, group in sorted(kinds.items())
    }


def per_variant(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """For a generated near-miss set: per kind of change, how many variants were refused,
    and how many of the originals they were made from were (wrongly) refused."""
    originals = {r["original"]: r for r in rows if r.get("variant") == "original"}
    kinds: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r.get("variant") not in (None, "original"):
            kinds.setdefault(r["variant"], []).append(r)
    out: dict[str, dict[str, Any]] = {}
    for kind, group in sorted(kinds.items()):
        sources = {r["original"] for r in group} & set(originals)
        out[kind] = {
            "variants": len(group),
            "refused": m.mean(1.0 if r["refused"] else 0.0 for r in group),
            "originals": len(sources),
            "originals_refused": m.mean(
                1.0 if originals[o]["refused"] else 0.0 for o in sorted(sources)
            ),
        }
    return out


THRESHOLDS = tuple(round(0.2 + 0.02 * i, 2) for i in range(31))


def tradeoff(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Refusal of unanswerable questions against false refusal of answerable ones, had the
    answerer refused below each support threshold t (a question refused for another
    reason, or with no recorded support, is refused whatever t is)."""

    def refused(r: dict[str, Any], t: float) -> bool:
        return r.get("support") is None or bool(r.get("blocked")) or r["support"] < t

    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    if not any(r.get("support") is not None for r in rows):
        return []
    return [
        {
            "threshold": t,
            "refusal_accuracy": m.mean(1.0 if refused(r, t) else 0.0 for r in unanswerable),
            "false_refusal_rate": m.mean(1.0 if refused(r, t) else 0.0 for r in answerable),
        }
        for t in THRESHOLDS
    ]


COMPARED = (("hit@3", "hit@3"), ("mrr", "rr"), ("answer_match", "match"), ("accuracy", "correct"))


def compare(
    rows_by_config: dict[str, list[dict[str, Any]]],
) -> dict[str, dict[str, dict[str, float]]]:
    """Each configuration against the first: paired differences with 95 % intervals."""
    names = list(rows_by_config)
    if len(names) < 2:
        return {}
    baseline = {r["id"]: r for r in rows_by_config[names[0]]}
    out: dict[str, dict[str, dict[str, float]]] = {}
    for name in names[1:]:
        pairs = [(baseline[r["id"]], r) for r in rows_by_config[name] if r["id"] in baseline]
        out[name] = {}
        for metric, key in COMPARED:
            both = [(a[key], b[key]) for a, b in pairs if a.get(key) is not None]
            if not both or _missing_in_other(pairs, key):
                continue
            delta, low, high = m.paired_bootstrap([a for a, _ in both], [b for _, b in both])
            changed = sum(1 for a, b in both if a != b)
            out[name][metric] = {"delta": delta, "low": low, "high": high, "changed": changed}
    return out


def _missing_in_other(pairs: Sequence[tuple[dict[str, Any], dict[str, Any]]], key: str) -> bool:
    return any(a.get(key) is not None and b.get(key) is None for a, b in pairs)


OVERLAP_BANDS = ((0.0, 0.6, "< 60 %"), (0.6, 1.0, "60–99 %"), (1.0, 1.01, "100 %"))


def by_overlap(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Answerable questions banded by how many of their words their article uses."""
    bands = []
    for low, high, label in OVERLAP_BANDS:
        group = [
            r
            for r in rows
            if r["answerable"]
            and r.get("question_overlap") is not None
            and low <= r["question_overlap"] < high
        ]
        bands.append(
            {
                "band": label,
                "questions": len(group),
                "hit@1": m.mean(r["hit@1"] for r in group),
                "answer_match": m.mean(r["match"] for r in group),
            }
        )
    return bands


def badness(row: dict[str, Any]) -> tuple[float, ...]:
    """Sort key, worst first: wrong, then low F1, then gold passages ranked low."""
    return (
        row["correct"],
        row.get("f1") or 0.0,
        row.get("rr") or 0.0,
        1.0 if row["citation_valid"] else 0.0,
    )


# -- floors -----------------------------------------------------------------------------------


def floors_from(metrics: dict[str, Any], margin: float) -> dict[str, dict[str, float]]:
    """Floors (and ceilings for lower-is-better metrics) = measured ∓ margin, at 3 decimals."""
    import math

    floors: dict[str, float] = {}
    ceilings: dict[str, float] = {}
    for name in FLOOR_METRICS:
        value = metrics.get(name)
        if value is None:
            continue
        if name in LOWER_IS_BETTER:
            ceilings[name] = math.ceil((value + margin) * 1000) / 1000
        else:
            floors[name] = max(math.floor((value - margin) * 1000) / 1000, 0.0)
    return {"floors": floors, "ceilings": ceilings}


def write_floors(
    path: Path, gold: Path, config: Config, metrics: dict[str, Any], margin: float
) -> dict[str, Any]:
    """Record floors for `gold`: the file's main set at the top level (the starter set),
    any other set (the generated near-miss subset) under `sets`, keeping the rest."""
    try:
        gold_label = gold.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        gold_label = str(gold)
    measured = {k: round(metrics[k], 4) for k in FLOOR_METRICS if metrics.get(k) is not None}
    body = {
        "gold": gold_label,
        "config": config.name,
        "margin": margin,
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ"),
        "how": f"rag eval --gold {gold_label} --write-floors (after `rag ingest corpus/`)",
        "measured": measured,
        **floors_from(measured, margin),
    }
    try:
        existing: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        existing = {}
    sets = dict(existing.get("sets") or {})
    if existing and existing.get("gold") != gold_label:
        sets[gold_label] = body
        whole = {**existing, "sets": sets}
    else:
        # the main set again: its own keys replaced, the other sections (claims) kept
        whole = {**existing, **body, **({"sets": sets} if sets else {})}
    path.write_text(json.dumps(whole, indent=2) + "\n", encoding="utf-8")
    return body


def floor_failures(metrics: dict[str, Any], floors: dict[str, Any]) -> list[str]:
    """Each headline metric below its floor (or above its ceiling), as a readable line."""
    failures = []
    for name, floor in floors.get("floors", {}).items():
        value = metrics.get(name)
        if value is None or value < floor:
            failures.append(f"{name} = {value} is below its floor {floor}")
    for name, ceiling in floors.get("ceilings", {}).items():
        value = metrics.get(name)
        if value is None or value > ceiling:
            failures.append(f"{name} = {value} is above its ceiling {ceiling}")
    return failures


# -- refusal calibration ----------------------------------------------------------------------


def calibrate(pipeline: Pipeline, items: Sequence[GoldItem], quiet: bool = False) -> dict[str, Any]:
    """Sweep the extractive answerer's refusal threshold over the gold set.

    Every question is answered once with the support threshold off, by an answerer that
    reports its support score as data (`Reply.decision`); a threshold t then refuses the
    questions whose support is below t (refusals for ungrounded parts stay). Reports the
    best t on all questions and, to show how much that choice overfits, a two-fold
    estimate (t chosen on one half, scored on the other).
    """
    from dataclasses import replace

    from tqdm import tqdm

    from rag.answer import ExtractiveAnswerer

    answerer = getattr(pipeline, "extractive", None)
    if pipeline.llm is not None or not isinstance(answerer, ExtractiveAnswerer):
        raise BadInputError("--calibrate tunes the offline extractive answerer (RAG_LLM unset)")
    original_threshold = answerer.weights.refuse_below
    # The same answerer with the support threshold off: every question gets its answer
    # and its support score, reported as data (`Reply.decision`), so that any threshold
    # can be tried afterwards. Refusals for ungrounded parts stay.
    open_answerer = ExtractiveAnswerer(
        answerer.embedder,
        answerer.idf,
        replace(answerer.weights, refuse_below=float("-inf")),
    )
    samples: list[tuple[float, bool, bool]] = []  # (support, answerable, matched)
    for item in tqdm(
        items, desc="calibrate", unit="q", file=sys.stderr, disable=quiet, leave=False
    ):
        hits, vector, standalone = retrieve_standalone(pipeline, item)
        reply = open_answerer.respond(item.question, hits, vector, standalone)
        support = reply.decision.support if not reply.answer.refused else float("-inf")
        matched = not reply.answer.refused and m.contains_alias(reply.answer.answer, item.answers)
        samples.append((support, item.answerable, matched))

    def accuracy(threshold: float, part: Sequence[tuple[float, bool, bool]]) -> float:
        good = sum(
            (s >= threshold and matched) if answerable else (s < threshold)
            for s, answerable, matched in part
        )
        return good / len(part) if part else 0.0

    def best(part: Sequence[tuple[float, bool, bool]]) -> float:
        grid = [round(0.2 + 0.01 * i, 2) for i in range(61)]
        scores = [accuracy(t, part) for t in grid]
        top = max(scores)
        winners = [t for t, s in zip(grid, scores, strict=True) if s == top]
        return winners[len(winners) // 2]  # middle of the best plateau

    chosen = best(samples)
    even, odd = samples[::2], samples[1::2]
    held_out = (accuracy(best(even), odd) + accuracy(best(odd), even)) / 2
    rows = []
    for t in [round(0.2 + 0.02 * i, 2) for i in range(31)]:
        answerable = [s for s in samples if s[1]]
        unanswerable = [s for s in samples if not s[1]]
        rows.append(
            {
                "threshold": t,
                "accuracy": accuracy(t, samples),
                "refusal_accuracy": m.mean(1.0 if s < t else 0.0 for s, _, _ in unanswerable),
                "false_refusal_rate": m.mean(1.0 if s < t else 0.0 for s, _, _ in answerable),
                "answer_match": m.mean(1.0 if (s >= t and ok) else 0.0 for s, _, ok in answerable),
            }
        )
    return {
        "current": original_threshold,
        "best": chosen,
        "accuracy_at_best": accuracy(chosen, samples),
        "accuracy_at_current": accuracy(original_threshold, samples),
        "two_fold_accuracy": held_out,
        "sweep": rows,
    }


# -- output -----------------------------------------------------------------------------------


def fmt(name: str, value: Any) -> str:
    if value is None:
        return "–"
    if name.endswith("_ms"):
        return f"{value:.0f}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def table_text(runs: dict[str, dict[str, Any]], columns: Sequence[str] = HEADLINE) -> str:
    """Configurations as rows, headline metrics as columns, aligned for a terminal."""
    header = ["config", *columns]
    lines = [[name, *(fmt(c, metrics.get(c)) for c in columns)] for name, metrics in runs.items()]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in lines]
    return "\n".join(out)


def main(args: argparse.Namespace, settings: Settings) -> int:
    """`rag eval`: score the gold set under each configuration; print, report, floors."""
    from rag.pipeline import build_embedder, build_pipeline

    if getattr(args, "fit", False):
        return fit_main(args, settings)
    if not getattr(args, "gold", None):
        raise BadInputError("rag eval needs --gold FILE (or --fit)")
    gold_path = Path(args.gold)
    items = load_gold(gold_path)
    # Items from feedback still marked for review have no agreed answer: count, don't score.
    review = [item for item in items if item.review]
    items = [item for item in items if not item.review]
    if review:
        print(
            f"eval: {len(review)} item(s) marked for review are not scored "
            "(fill in answers/article_ids and remove 'review' to score them)",
            file=sys.stderr,
        )
    if not items:
        print(f"eval: nothing to score in {gold_path} yet", file=sys.stderr)
        if getattr(args, "json", False):
            print(json.dumps({"gold": str(gold_path), "questions": 0, "review": len(review)}))
        return 0
    if getattr(args, "limit", None):
        items = items[: args.limit]
    configs = parse_configs(getattr(args, "configs", None), settings)
    quiet = bool(getattr(args, "quiet", False))
    corpus = Path(getattr(args, "corpus", None) or ROOT / "corpus")
    out_dir = Path(args.out) if getattr(args, "out", None) else None
    use_judge = settings.llm == "openai" and not getattr(args, "no_judge", False)

    embedder = build_embedder(settings)
    runs: dict[str, dict[str, Any]] = {}
    rows_by_config: dict[str, list[dict[str, Any]]] = {}
    calibration: dict[str, Any] | None = None
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rag-eval-") as scratch:
        cache = out_dir / "indexes" if out_dir else Path(scratch)
        for config in configs:
            chosen = prepare_index(config, settings, corpus, cache, embedder, quiet)
            pipeline = build_pipeline(chosen, embedder=embedder)
            judge = None
            if use_judge:
                from evals.judge import LLMJudge

                judge = LLMJudge(chosen, embedder)
            rows = evaluate(pipeline, items, label=config.name, quiet=quiet, judge=judge)
            if judge is not None and judge.failures:
                print(
                    f"eval: {judge.failures} model judgements failed or were unreadable "
                    f"({config.name}); they are left out of faithfulness/answer relevancy",
                    file=sys.stderr,
                )
            rows_by_config[config.name] = rows
            runs[config.name] = summarize(rows)
            if getattr(args, "calibrate", False) and calibration is None:
                calibration = calibrate(pipeline, items, quiet=quiet)
    seconds = time.perf_counter() - started

    report_paths: dict[str, str] = {}
    if out_dir is not None:
        from evals.report import write_report

        report_paths = write_report(out_dir, gold_path, runs, rows_by_config, calibration)
    floors_body = None
    if getattr(args, "write_floors", False):
        margin = float(getattr(args, "margin", None) or 0.03)
        floors_body = write_floors(
            FLOORS_PATH, gold_path, configs[0], runs[configs[0].name], margin
        )

    if getattr(args, "json", False):
        body: dict[str, Any] = {
            "gold": str(gold_path),
            "questions": len(items),
            "review": len(review),
            "seconds": round(seconds, 1),
            "configs": runs,
            "per_type": {name: per_type(rows) for name, rows in rows_by_config.items()},
            "compared_with_first": compare(rows_by_config),
        }
        variants = {name: per_variant(rows) for name, rows in rows_by_config.items()}
        if any(variants.values()):
            body["per_variant"] = variants
            body["tradeoff"] = {name: tradeoff(rows) for name, rows in rows_by_config.items()}
        if calibration is not None:
            body["calibration"] = calibration
        if report_paths:
            body["report"] = report_paths
        print(json.dumps(body, indent=2))
    else:
        print(
            f"{len(items)} questions from {gold_path}, {len(configs)} configuration(s), "
            f"{seconds:.0f} s"
        )
        print(table_text(runs))
        print(
            table_text(
                {
                    name: {k: r.get(k) for k in ("article_cited", "median_answer_words")}
                    for name, r in runs.items()
                },
                ("article_cited", "median_answer_words"),
            )
        )
        for name, rows in rows_by_config.items():
            for kind, v in per_variant(rows).items():
                print(
                    f"{name} near-miss {kind}: {v['variants']} variants, refused "
                    f"{fmt('x', v['refused'])}; their {v['originals']} originals refused "
                    f"{fmt('x', v['originals_refused'])}"
                )
        if calibration is not None:
            print(
                f"refusal threshold: best {calibration['best']} "
                f"(accuracy {calibration['accuracy_at_best']:.3f}; current "
                f"{calibration['current']} gives {calibration['accuracy_at_current']:.3f}; "
                f"two-fold held-out {calibration['two_fold_accuracy']:.3f})"
            )
        if report_paths:
            print(f"report: {report_paths['markdown']} and {report_paths['html']}")
    if floors_body is not None:
        print(f"floors written to {FLOORS_PATH}", file=sys.stderr)
    return 0


def fit_main(args: argparse.Namespace, settings: Settings) -> int:
    """`rag eval --fit`: cross-validated thresholds, written to rag/answer/weights.json."""
    from evals import fit
    from rag.pipeline import build_pipeline

    quiet = bool(getattr(args, "quiet", False))
    sets = [s for s in (getattr(args, "sets", None) or ",".join(fit.DEFAULT_SETS)).split(",") if s]
    corpus = Path(getattr(args, "corpus", None) or ROOT / "corpus")
    config = parse_configs(None, settings)[0]
    from rag.pipeline import build_embedder

    embedder = build_embedder(settings)
    with tempfile.TemporaryDirectory(prefix="rag-fit-") as scratch:
        chosen = prepare_index(config, settings, corpus, Path(scratch), embedder, quiet)
        pipeline = build_pipeline(chosen, embedder=embedder)
        cap = getattr(args, "max_false_refusals", None)
        result = fit.fit(
            pipeline,
            HERE / "gold",
            sets,
            int(args.folds),
            quiet=quiet,
            cap=fit.MAX_FALSE_REFUSALS if cap is None else float(cap),
            floor=float(getattr(args, "min_refusal", None) or fit.MIN_REFUSAL),
        )
    if not getattr(args, "no_write", False):
        note = {
            "by": "rag eval --fit",
            "sets": result["sets"],
            "folds": result["folds"],
            "max_false_refusals": result["max_false_refusals"],
            "min_refusal": result["min_refusal"],
            "held_out": result["held_out"],
        }
        result["written"] = str(fit.write(result["fitted"], note))
    if getattr(args, "json", False):
        print(json.dumps(result, indent=2))
    else:
        result.pop("samples", None)
        print("\n".join(fit.summary_lines(result)))
        if result.get("written"):
            print(f"fitted values written to {result['written']}")
    return 0


def cli(argv: Sequence[str] | None = None) -> int:
    """`python -m evals.runner ARGS` is `rag eval ARGS`."""
    from rag.cli import main as rag_main

    return rag_main(["eval", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    try:
        sys.exit(cli())
    except RagError as exc:  # pragma: no cover - rag.cli already maps these
        print(f"rag: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
