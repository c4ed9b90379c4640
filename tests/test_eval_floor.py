"""The regression floor: the starter gold set must not score below evals/floors.json.

The floors are measured values less a noise margin (`rag eval --gold
evals/gold/starter.jsonl --write-floors`), so a drop of more than the margin in any
headline metric fails CI; refresh them deliberately after a change that is meant to move
the numbers, and say why in the commit.
"""

from __future__ import annotations

import json

import pytest

from evals.gold import load_gold
from evals.runner import FLOORS_PATH, evaluate, floor_failures, floors_from, summarize
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def floors() -> dict:
    return json.loads(FLOORS_PATH.read_text(encoding="utf-8"))


def test_floors_are_the_measured_values_less_the_recorded_margin(floors: dict) -> None:
    recomputed = floors_from(floors["measured"], floors["margin"])
    assert floors["floors"] == recomputed["floors"]
    assert floors["ceilings"] == recomputed["ceilings"]
    assert 0 < floors["margin"] <= 0.05
    assert {
        "hit@3",
        "mrr",
        "answer_match",
        "citation_precision",
        "citation_recall",
        "refusal_accuracy",
    } <= set(floors["floors"])


def test_the_generated_near_miss_subset_has_floors_recorded_the_same_way(floors: dict) -> None:
    small = floors["sets"]["evals/gold/nearmiss-small.jsonl"]
    recomputed = floors_from(small["measured"], small["margin"])
    assert small["floors"] == recomputed["floors"]
    assert small["ceilings"] == recomputed["ceilings"]
    assert {"refusal_accuracy", "answer_match"} <= set(small["floors"])
    assert "false_refusal_rate" in small["ceilings"]
    items = load_gold(ROOT / small["gold"])
    variants = [i for i in items if not i.answerable]
    assert len(variants) >= 40 and all(i.original and i.variant for i in items)
    assert len({i.variant for i in variants}) == 5


@pytest.mark.slow
def test_generated_near_miss_subset_scores_at_or_above_every_floor(
    corpus_pipeline, floors: dict
) -> None:
    small = floors["sets"]["evals/gold/nearmiss-small.jsonl"]
    items = load_gold(ROOT / small["gold"])
    metrics = summarize(evaluate(corpus_pipeline, items, label="nearmiss", quiet=True))
    failures = floor_failures(metrics, small)
    assert not failures, (
        "near-miss floor broken:\n"
        + "\n".join(failures)
        + f"\n(if the change is meant to move these numbers: {small['how']})"
    )


@pytest.mark.slow
def test_starter_set_scores_at_or_above_every_floor(corpus_pipeline, floors: dict) -> None:
    items = load_gold(ROOT / floors["gold"])
    metrics = summarize(evaluate(corpus_pipeline, items, label="starter", quiet=True))
    failures = floor_failures(metrics, floors)
    assert not failures, (
        "eval floor broken:\n"
        + "\n".join(failures)
        + f"\n(if the change is meant to move these numbers: {floors['how']})"
    )
