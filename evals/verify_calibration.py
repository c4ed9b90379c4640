"""Calibrating the citation checker's support threshold on a gold Q&A set.

`python -m evals.verify_calibration evals/gold/news.jsonl [--index DIR] [--dump FILE]`
builds claims from the gold set's answerable questions (see `calibration_claims`), scores
them with the checker (`rag.verify.check`) against what the pipeline retrieves, and prints
the threshold and weights that best separate supported from unsupported claims as JSON.
`rag eval --claims FILE` (evals/claims.py) is the other measure: claims that keep the
passage's words but change its meaning.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evals.gold import load_gold
from rag.chunk import split_sentences
from rag.pipeline import Pipeline
from rag.types import Hit
from rag.verify import (
    SUPPORT_THRESHOLD,
    W_ENTITY,
    W_LEXICAL,
    W_SEMANTIC,
    check,
    is_instruction,
    support_score,
)


def calibration_claims(
    pipeline: Pipeline, gold_path: Path
) -> list[tuple[str, list[Hit], bool, str, str]]:
    """Claims a cited passage supports (True) or not (False), built from a gold set.

    For each answerable question, the passage sentence holding a gold answer is found among
    the retrieved passages; supported claims are that sentence, the words around the
    answer, and the question restated with its answer (how models tend to answer). The
    unsupported claims cited to the same passage are the same sentence with another
    question's answer swapped in, the question restated with a wrong answer, a related
    sentence from another retrieved article, and a sentence from an unrelated article.
    """
    answerable = [item for item in load_gold(gold_path) if item.answerable and item.answers]
    rng = random.Random(7)
    all_answers = [a for item in answerable for a in item.answers if len(a) > 3]
    all_ids = sorted(pipeline.store.all_article_ids())
    claims: list[tuple[str, list[Hit], bool, str, str]] = []
    for item in answerable:
        hits = pipeline.retrieve(item.question)
        found = None
        for n, hit in enumerate(hits, start=1):
            if hit.chunk.article_id not in item.article_ids:
                continue
            for span in split_sentences(hit.chunk.text):
                sentence = hit.chunk.text[span.start : span.end]
                answer = next(
                    (a for a in item.answers if a.lower() in sentence.lower() and len(a) > 2),
                    None,
                )
                if answer and not is_instruction(sentence):
                    found = (n, sentence, answer)
                    break
            if found:
                break
        if not found:
            continue
        n, sentence, answer = found
        at = sentence.lower().index(answer.lower())
        tokens_before = sentence[:at].split()[-8:]
        tokens_after = sentence[at + len(answer) :].split()[:8]
        window = " ".join([*tokens_before, sentence[at : at + len(answer)], *tokens_after])
        restated = item.question.rstrip("?").strip()
        wrong = rng.choice([a for a in all_answers if a.lower() not in sentence.lower()])
        swapped = sentence[:at] + wrong + sentence[at + len(answer) :]
        good = [
            (sentence, "verbatim sentence"),
            (window.strip(" ,.;:").capitalize(), "words around the answer"),
            (f"{restated}: {answer}", "question restated with its answer"),
        ]
        bad = [(swapped, "another answer swapped in"), (f"{restated}: {wrong}", "wrong answer")]
        other = [h for h in hits if h.chunk.article_id not in item.article_ids]
        if other:
            spans = split_sentences(other[0].chunk.text)
            if spans:
                pick = spans[len(spans) // 2]
                bad.append((other[0].chunk.text[pick.start : pick.end], "related other article"))
        unrelated = pipeline.store.get_article(rng.choice(all_ids))
        spans = split_sentences(unrelated.text) if unrelated else []
        if unrelated and spans and unrelated.article_id not in item.article_ids:
            pick = spans[rng.randrange(len(spans))]
            bad.append((unrelated.text[pick.start : pick.end], "unrelated article"))
        for text, kind in good:
            claims.append((f"{text} [{n}].", hits, True, kind, item.question))
        for text, kind in bad:
            claims.append((f"{text} [{n}].", hits, False, kind, item.question))
    return claims


def calibrate(pipeline: Pipeline, gold_path: Path) -> dict[str, Any]:
    """Score the calibration claims; the threshold that best separates them (balanced accuracy)."""
    cache: dict[str, np.ndarray] = {}

    class CachedEmbedder:
        """The pipeline's embedder, remembering passage sentences shared by many claims."""

        name = "cached"
        dim = 384

        def embed(self, texts: Sequence[str]) -> np.ndarray:
            missing = [t for t in dict.fromkeys(texts) if t not in cache]
            if missing:
                cache.update(zip(missing, pipeline.embedder.embed(missing), strict=True))
            return np.stack([cache[t] for t in texts])

    embedder = CachedEmbedder()
    rows: list[tuple[tuple[float, float, float], bool, str, bool]] = []
    for text, hits, supported, kind, question in calibration_claims(pipeline, gold_path):
        result = check(text, hits, embedder, question, pipeline.extractive.idf, threshold=-1.0)
        detail = result.details[0] if result.details else None
        if detail is None or not detail.features:
            continue
        features = next(iter(detail.features.values()))
        numbers_agree = bool(detail.supported)  # at threshold -1 only the rules remain
        rows.append((features, supported, kind, numbers_agree))

    def accuracy(weights: tuple[float, float, float], threshold: float) -> float:
        good = [r for r in rows if r[1]]
        bad = [r for r in rows if not r[1]]

        def keeps(row: tuple[tuple[float, float, float], bool, str, bool]) -> bool:
            score = sum(w * x for w, x in zip(weights, row[0], strict=True))
            return row[3] and score >= threshold

        kept = sum(keeps(r) for r in good) / max(len(good), 1)
        dropped = sum(not keeps(r) for r in bad) / max(len(bad), 1)
        return (kept + dropped) / 2

    thresholds = [t / 100 for t in range(20, 96)]
    weights = (W_SEMANTIC, W_LEXICAL, W_ENTITY)
    best_t = max(thresholds, key=lambda t: accuracy(weights, t))
    grid = [
        (a / 20, b / 20, round(1 - a / 20 - b / 20, 2))
        for a in range(2, 17)
        for b in range(2, 17)
        if 1 - a / 20 - b / 20 >= 0.099
    ]
    best_w, best_wt = max(
        ((w, t) for w in grid for t in thresholds), key=lambda wt: accuracy(wt[0], wt[1])
    )

    def kept_by_kind(threshold: float) -> dict[str, float]:
        kept: dict[str, list[bool]] = {}
        for features, _supported, kind, numbers_agree in rows:
            keep = numbers_agree and support_score(*features) >= threshold
            kept.setdefault(kind, []).append(keep)
        return {k: round(sum(v) / len(v), 3) for k, v in kept.items()}

    by_kind: dict[str, list[float]] = {}
    for features, _supported, kind, _numbers_agree in rows:
        by_kind.setdefault(kind, []).append(support_score(*features))
    return {
        "claims": len(rows),
        "supported": sum(1 for r in rows if r[1]),
        "weights": weights,
        "best_threshold": best_t,
        "balanced_accuracy_at_best": round(accuracy(weights, best_t), 4),
        "threshold_in_use": SUPPORT_THRESHOLD,
        "balanced_accuracy_in_use": round(accuracy(weights, SUPPORT_THRESHOLD), 4),
        "kept_in_use": kept_by_kind(SUPPORT_THRESHOLD),
        "kept_at_best": kept_by_kind(best_t),
        "mean_score": {k: round(sum(v) / len(v), 3) for k, v in by_kind.items()},
        "grid_best": {
            "weights": best_w,
            "threshold": best_wt,
            "balanced_accuracy": round(accuracy(best_w, best_wt), 4),
        },
        "rows": [[list(f), s, k, a] for f, s, k, a in rows],
    }


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m evals.verify_calibration GOLD [--index DIR]` prints the calibration as JSON."""
    import argparse
    import json

    from rag.config import load_settings, prepare_offline_caches

    parser = argparse.ArgumentParser(prog="python -m evals.verify_calibration")
    parser.add_argument("gold", metavar="GOLD", type=Path)
    parser.add_argument("--index", metavar="DIR", type=Path)
    parser.add_argument("--dump", metavar="FILE", type=Path, help="write the scored claims")
    args = parser.parse_args(argv)
    prepare_offline_caches()
    from rag.pipeline import build_pipeline

    settings = load_settings(index_dir=args.index, llm="extractive")
    report = calibrate(build_pipeline(settings), args.gold)
    rows = report.pop("rows")
    if args.dump:
        args.dump.write_text(json.dumps(rows))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
