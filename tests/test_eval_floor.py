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


def test_claim_floors_are_the_measured_values_less_the_recorded_margin(floors: dict) -> None:
    claims = floors["claims"]
    for metric, value in claims["measured"].items():
        assert claims["floors"][metric] == round(value - claims["margin"], 3)


@pytest.mark.slow
def test_small_claim_set_scores_at_or_above_its_floors(real_embedder, floors: dict) -> None:
    from evals.claims import (
        corpus_chunks,
        corpus_idf,
        evaluate_claims,
        load_claims,
        summarize_claims,
    )
    from rag.config import load_settings

    claims = floors["claims"]
    chunks = corpus_chunks(ROOT / "corpus", load_settings())
    results = evaluate_claims(
        load_claims(ROOT / claims["file"]), chunks, real_embedder, corpus_idf(list(chunks.values()))
    )
    summary = summarize_claims(results)
    failures = [
        f"{metric}: {summary[metric]} < floor {floor}"
        for metric, floor in claims["floors"].items()
        if summary[metric] < floor
    ]
    assert not failures, "claim floor broken:\n" + "\n".join(failures) + f"\n({claims['how']})"


def test_writing_the_main_sets_floors_again_keeps_the_claim_floors_and_other_sets(
    tmp_path,
) -> None:
    from evals.runner import Config, write_floors

    path = tmp_path / "floors.json"
    gold = ROOT / "evals" / "gold" / "starter.jsonl"
    config = Config("hybrid", "hybrid", 256)
    path.write_text(
        json.dumps(
            {
                "gold": "evals/gold/starter.jsonl",
                "floors": {"answer_match": 0.1},
                "claims": {"floors": {"kept": 0.8}},
                "sets": {"evals/gold/other.jsonl": {"floors": {"answer_match": 0.5}}},
            }
        )
    )
    write_floors(path, gold, config, {"answer_match": 0.9, "refusal_accuracy": 0.8}, 0.03)
    whole = json.loads(path.read_text())
    assert whole["floors"]["answer_match"] == pytest.approx(0.87)
    assert whole["claims"] == {"floors": {"kept": 0.8}}
    assert "evals/gold/other.jsonl" in whole["sets"]
