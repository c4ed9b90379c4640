#!/usr/bin/env python3
"""Validate the gold Q&A evaluation set (news.jsonl) and its CI subset (starter.jsonl).

Usage:  python evals/gold/check_gold.py  [--gold PATH] [--starter PATH] [--corpus DIR]

Checks
  * every line is a JSON object with exactly the expected fields and types
  * ids are unique
  * type is one of the allowed types; "context" present (non-empty list of str) only for follow-ups
  * answerable items: non-empty answers and article_ids; unanswerable / near-miss: both empty
  * every article_id maps to an existing file corpus/<article_id>.txt
  * every answer string occurs (case-insensitive) in the text of EVERY listed article
  * answers are short (1-6 words)
  * questions do not copy long passages from the supporting article (no 8-word overlap)
  * composition minimums (total, per type, unanswerable share, US article, distinct lee articles)
  * starter.jsonl: 36 items, a subset of news.jsonl (identical objects), >= 8 unanswerable/near-miss
Exits with status 1 if any error is found; prints per-type counts either way.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "corpus"

FIELDS = {"id", "question", "answers", "article_ids", "answerable", "type"}
OPTIONAL = {"context"}
TYPES = {"factoid", "quote", "date", "multi-sentence", "follow-up", "unanswerable", "near-miss"}
UNANSWERABLE_TYPES = {"unanswerable", "near-miss"}
US_ARTICLE = "us-red-lines-ukraine-2024-11-22"

MIN_TOTAL = 130
MIN_PER_TYPE = {"quote": 20, "follow-up": 12, "date": 8, "multi-sentence": 10}
MIN_UNANSWERABLE = 25  # unanswerable + near-miss
MIN_DISTINCT_LEE = 80
US_RANGE = (4, 6)
STARTER_SIZE = 36
STARTER_MIN_UNANSWERABLE = 8
MAX_ANSWER_WORDS = 6
COPY_NGRAM = 8


def load_jsonl(path: Path, errors: list[str]) -> list[dict[str, Any]]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            errors.append(f"{path.name}:{n}: blank line")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"{path.name}:{n}: invalid JSON ({e})")
            continue
        if not isinstance(obj, dict):
            errors.append(f"{path.name}:{n}: not a JSON object")
            continue
        items.append(obj)
    return items


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def ngrams(ws: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(ws[i : i + n]) for i in range(len(ws) - n + 1)}


def check_item(
    d: dict[str, Any], corpus: Path, cache: dict[str, str | None], errors: list[str]
) -> None:
    qid = d.get("id", "<no id>")
    keys = set(d)
    missing = FIELDS - keys
    extra = keys - FIELDS - OPTIONAL
    if missing:
        errors.append(f"{qid}: missing fields {sorted(missing)}")
    if extra:
        errors.append(f"{qid}: unexpected fields {sorted(extra)}")
    if missing:
        return

    if not isinstance(d["id"], str) or not d["id"]:
        errors.append(f"{qid}: id must be a non-empty string")
    if not isinstance(d["question"], str) or not d["question"].strip():
        errors.append(f"{qid}: question must be a non-empty string")
    if not (
        isinstance(d["answers"], list)
        and all(isinstance(a, str) and a.strip() for a in d["answers"])
    ):
        errors.append(f"{qid}: answers must be a list of non-empty strings")
        return
    if not (
        isinstance(d["article_ids"], list)
        and all(isinstance(a, str) and a for a in d["article_ids"])
    ):
        errors.append(f"{qid}: article_ids must be a list of non-empty strings")
        return
    if not isinstance(d["answerable"], bool):
        errors.append(f"{qid}: answerable must be a boolean")
    t = d["type"]
    if t not in TYPES:
        errors.append(f"{qid}: unknown type {t!r}")

    # context only (and always) for follow-ups
    if t == "follow-up":
        ctx = d.get("context")
        if not (
            isinstance(ctx, list) and ctx and all(isinstance(c, str) and c.strip() for c in ctx)
        ):
            errors.append(
                f"{qid}: follow-up needs a non-empty list of previous questions in 'context'"
            )
    elif "context" in d:
        errors.append(f"{qid}: 'context' is only allowed for type follow-up")

    # answerability consistency
    if t in UNANSWERABLE_TYPES:
        if d["answerable"] is not False:
            errors.append(f"{qid}: {t} item must have answerable=false")
        if d["answers"] or d["article_ids"]:
            errors.append(f"{qid}: {t} item must have empty answers and article_ids")
    else:
        if d["answerable"] is not True:
            errors.append(f"{qid}: {t} item must have answerable=true")
        if not d["answers"]:
            errors.append(f"{qid}: answerable item has no answers")
        if not d["article_ids"]:
            errors.append(f"{qid}: answerable item has no article_ids")
    if len(set(d["article_ids"])) != len(d["article_ids"]):
        errors.append(f"{qid}: duplicate article_ids")
    if len({a.lower() for a in d["answers"]}) != len(d["answers"]):
        errors.append(f"{qid}: duplicate answers")

    for a in d["answers"]:
        if not 1 <= len(a.split()) <= MAX_ANSWER_WORDS:
            errors.append(f"{qid}: answer {a!r} is not 1-{MAX_ANSWER_WORDS} words")

    qgrams = ngrams(words(d["question"]), COPY_NGRAM)
    for aid in d["article_ids"]:
        if aid not in cache:
            p = corpus / f"{aid}.txt"
            cache[aid] = p.read_text(encoding="utf-8") if p.is_file() else None
        text = cache[aid]
        if text is None:
            errors.append(f"{qid}: article file not found: corpus/{aid}.txt")
            continue
        low = text.lower()
        for a in d["answers"]:
            if a.lower() not in low:
                errors.append(f"{qid}: answer {a!r} not found in {aid}")
        if qgrams & ngrams(words(text), COPY_NGRAM):
            errors.append(f"{qid}: question copies an {COPY_NGRAM}+ word passage from {aid}")


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--gold", type=Path, default=HERE / "news.jsonl")
    ap.add_argument("--starter", type=Path, default=HERE / "starter.jsonl")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = ap.parse_args()

    errors: list[str] = []
    gold = load_jsonl(args.gold, errors)
    cache: dict[str, str | None] = {}

    ids = Counter(d.get("id") for d in gold)
    for i, c in ids.items():
        if c > 1:
            errors.append(f"duplicate id {i!r} ({c} times)")
    questions = Counter(d.get("question", "").strip().lower() for d in gold)
    for q, c in questions.items():
        if c > 1:
            errors.append(f"duplicate question {q!r}")

    for d in gold:
        check_item(d, args.corpus, cache, errors)

    # ---- composition ----
    types = Counter(d.get("type") for d in gold)
    n_unans = types["unanswerable"] + types["near-miss"]
    if len(gold) < MIN_TOTAL:
        errors.append(f"only {len(gold)} questions (< {MIN_TOTAL})")
    for t, m in MIN_PER_TYPE.items():
        if types[t] < m:
            errors.append(f"type {t}: {types[t]} (< {m})")
    if n_unans < MIN_UNANSWERABLE:
        errors.append(f"unanswerable+near-miss: {n_unans} (< {MIN_UNANSWERABLE})")
    if types["near-miss"] * 2 < n_unans:
        errors.append(
            f"near-miss {types['near-miss']} is less than half of {n_unans} unanswerable items"
        )
    us_items = [
        d
        for d in gold
        if US_ARTICLE in d.get("article_ids", [])
        or (
            d.get("type") in UNANSWERABLE_TYPES
            and re.search(r"ukrain|russia|kharkiv|kyiv", d.get("question", ""), re.I)
        )
    ]
    if not US_RANGE[0] <= len(us_items) <= US_RANGE[1]:
        errors.append(
            f"{len(us_items)} questions about {US_ARTICLE} (expected {US_RANGE[0]}-{US_RANGE[1]})"
        )
    if not any(re.search(r"\bKallas\b.*\bArticle 5\b", d.get("question", "")) for d in gold):
        errors.append("missing the 'What did Kallas say about Article 5?' question")
    lee = {a for d in gold for a in d.get("article_ids", []) if a.startswith("lee/")}
    if len(lee) < MIN_DISTINCT_LEE:
        errors.append(f"only {len(lee)} distinct lee articles (< {MIN_DISTINCT_LEE})")

    # ---- starter subset ----
    starter: list[dict[str, Any]] = []
    if args.starter.exists():
        starter = load_jsonl(args.starter, errors)
        by_id = {d.get("id"): d for d in gold}
        sids = Counter(d.get("id") for d in starter)
        for i, c in sids.items():
            if c > 1:
                errors.append(f"starter: duplicate id {i!r}")
        for d in starter:
            g = by_id.get(d.get("id"))
            if g is None:
                errors.append(f"starter: id {d.get('id')!r} not in {args.gold.name}")
            elif g != d:
                errors.append(f"starter: item {d.get('id')!r} differs from {args.gold.name}")
        if len(starter) != STARTER_SIZE:
            errors.append(f"starter has {len(starter)} items (expected {STARTER_SIZE})")
        st = Counter(d.get("type") for d in starter)
        if st["unanswerable"] + st["near-miss"] < STARTER_MIN_UNANSWERABLE:
            errors.append(f"starter has < {STARTER_MIN_UNANSWERABLE} unanswerable/near-miss items")
        missing_types = TYPES - set(st)
        if missing_types:
            errors.append(f"starter lacks types {sorted(missing_types)}")
    else:
        errors.append(f"starter file not found: {args.starter}")

    # ---- report ----
    print(
        f"{args.gold.name}: {len(gold)} questions, {len(lee)} distinct lee articles, "
        f"{len(us_items)} on {US_ARTICLE}"
    )
    for t in sorted(TYPES):
        print(f"  {t:15s} {types[t]:4d}")
    print(f"  {'(unanswerable+near-miss)':15s} {n_unans:4d}")
    if starter:
        st = Counter(d.get("type") for d in starter)
        print(
            f"{args.starter.name}: {len(starter)} questions: "
            + ", ".join(f"{t}={st[t]}" for t in sorted(TYPES))
        )
    if errors:
        print(f"\n{len(errors)} error(s):")
        for e in errors:
            print("  -", e)
        return 1
    print("\nOK: no errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
