"""`rag eval --fit`: thresholds chosen on k-1 folds, reported on the held-out one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.fit import (
    Sample,
    choose,
    cross_validate,
    folds_of,
    objective,
    score,
    summary_lines,
    write,
)
from rag.errors import BadInputError


def sample(
    i: int, answerable: bool, support: float, group: str | None = None, blocked: bool = False
) -> Sample:
    return Sample(
        "toy", f"q{i}", group or f"g{i}", answerable, support, blocked, answerable, answerable, 12
    )


# Answerable questions have support 0.6-0.9, unanswerable 0.3-0.5: a threshold near 0.55
# separates them; one answerable outlier at 0.4 cannot be saved.
SAMPLES = [sample(i, True, 0.6 + 0.01 * i) for i in range(30)]
SAMPLES += [sample(100 + i, False, 0.3 + 0.01 * i) for i in range(20)]
SAMPLES += [sample(200, True, 0.4)]


def test_the_chosen_threshold_separates_answerable_from_unanswerable() -> None:
    values = choose(SAMPLES)
    assert 0.5 <= values["refuse_below"] <= 0.6
    figures = score(SAMPLES, values).figures()
    assert figures["refusal_accuracy"] == 1.0
    assert figures["false_refusal_rate"] == pytest.approx(1 / 31)
    assert objective(SAMPLES, values) > objective(SAMPLES, {"refuse_below": 0.2})


def test_folds_keep_a_question_and_its_variants_together() -> None:
    grouped = [sample(i, i % 3 == 0, 0.5, group=f"g{i // 3}") for i in range(30)]
    folds = folds_of(grouped, 4)
    for fold in folds:
        groups = {s.group for s in fold}
        assert all(s.group in groups for s in grouped if s.group in groups)
        assert sum(len(f) for f in folds) == len(grouped)
    assert {frozenset(s.group for s in f) for f in folds} == {
        frozenset(s.group for s in f) for f in folds_of(grouped, 4)
    }


def test_cross_validation_reports_each_fold_scored_with_values_fitted_on_the_others() -> None:
    result = cross_validate(SAMPLES, 5)
    assert result["folds"] == 5 and len(result["chosen_per_fold"]) == 5
    held = result["held_out"]
    assert held["answerable"] == 31 and held["unanswerable"] == 20
    assert held["refusal_accuracy"] is not None and held["refusal_accuracy"] >= 0.9
    assert "toy" in result["held_out_by_set"]
    with pytest.raises(BadInputError):
        cross_validate(SAMPLES, 1)


def test_held_out_figures_are_worse_than_training_ones_when_a_fold_is_unlike_the_rest() -> None:
    # one group of unanswerable questions with high support: training on it lifts the
    # threshold; held out, it cannot be fitted to
    odd = [sample(300 + i, False, 0.85, group="odd") for i in range(10)]
    data = SAMPLES + odd
    trained = objective(data, choose(data))
    result = cross_validate(data, 3)
    held = result["held_out"]
    held_objective = (held["answer_match"] + held["refusal_accuracy"]) / 2
    assert held_objective <= trained


def test_fitted_values_are_written_into_the_answerer_weights_keeping_other_sections(
    tmp_path: Path,
) -> None:
    from rag.answer.weights import Weights

    path = tmp_path / "weights.json"
    path.write_text(json.dumps({"retrieval": {"article": 0.5}, "weights": {"slot_pool": 4}}))
    write({"refuse_below": 0.61}, {"folds": 5}, path)
    body = json.loads(path.read_text())
    assert body["retrieval"] == {"article": 0.5}
    assert body["fitted"] == {"folds": 5}
    loaded = Weights.load(path)
    assert loaded.refuse_below == 0.61 and loaded.slot_pool == 4


def test_the_summary_names_the_held_out_figures() -> None:
    result = cross_validate(SAMPLES, 3)
    result.update(questions=len(SAMPLES), sets=["toy"], fitted={"refuse_below": 0.55}, current={})
    text = "\n".join(summary_lines(result))
    assert "held-out-fold figures" in text and "toy" in text and "all" in text


def test_a_cap_on_false_refusals_keeps_the_threshold_below_the_answerable_questions() -> None:
    # near-misses look like answerable questions (support 0.5-0.7 against 0.6-0.9):
    # refusing them all would refuse a third of the answerable ones; capped, it does not
    answerable = [sample(i, True, 0.6 + 0.01 * i) for i in range(30)]
    lookalikes = [sample(100 + i, False, 0.5 + 0.01 * i) for i in range(20)]
    data = answerable + lookalikes
    loose = choose(data, cap=1.0)
    capped = choose(data, cap=0.05)
    assert capped["refuse_below"] < loose["refuse_below"]
    assert score(data, capped).figures()["false_refusal_rate"] <= 0.05


def test_a_question_refused_for_an_ungrounded_part_is_refused_at_every_threshold() -> None:
    blocked = [sample(400 + i, False, 0.9, blocked=True) for i in range(5)]
    figures = score(blocked, {"refuse_below": 0.2}).figures()
    assert figures["refusal_accuracy"] == 1.0


def test_the_grid_point_and_threshold_are_chosen_together_and_scored_on_held_out_folds() -> None:
    from evals.fit import REANSWERED_NAMES, choose_point, cross_validate_points

    # at the strict point every answerable question is refused for an ungrounded part;
    # at the loose point none is, and a threshold separates them
    strict = [sample(i, True, 0.8, blocked=True) for i in range(20)]
    strict += [sample(100 + i, False, 0.4, blocked=True) for i in range(20)]
    loose = [sample(i, True, 0.8) for i in range(20)]
    loose += [sample(100 + i, False, 0.4) for i in range(20)]
    runs = {(0.7, 0.7): strict, (0.5, 0.55): loose}
    point, values, value = choose_point(runs)
    assert point == (0.5, 0.55) and 0.4 < values["refuse_below"] <= 0.8 and value == 1.0
    result = cross_validate_points(runs, 4)
    assert all(c[REANSWERED_NAMES[0]] == 0.5 for c in result["chosen_per_fold"])
    assert result["held_out"]["false_refusal_rate"] == 0.0
    assert result["held_out"]["refusal_accuracy"] == 1.0


def test_each_gold_set_weighs_once_in_refusal_however_many_variants_it_holds() -> None:
    from dataclasses import replace as changed

    # 40 generated near-misses (support 0.5) and 4 hand-written ones (support 0.65): a
    # threshold that refuses only the generated ones must not look as good as one that
    # refuses both, though 40 of the 44 unanswerable questions are generated
    answerable = [sample(i, True, 0.7) for i in range(20)]
    generated = [changed(sample(100 + i, False, 0.5), set="gen") for i in range(40)]
    written = [changed(sample(200 + i, False, 0.65), set="own") for i in range(4)]
    data = answerable + generated + written
    at_low = objective(data, {"refuse_below": 0.55})  # generated all refused, own none
    at_high = objective(data, {"refuse_below": 0.68})  # both refused
    assert at_high > at_low
    assert at_low == (1.0 + (1.0 + 0.0) / 2) / 2


def test_fit_retrieves_once_answers_each_grid_point_and_reports_held_out_figures(
    fake_index, tmp_path: Path
) -> None:
    from evals.fit import REANSWERED, fit
    from rag.pipeline import build_pipeline
    from tests.fakes import HashEmbedder

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bridge.txt").write_text(
        "Harbour bridge to close\n\nMayor Elena Vostrikova said the harbour bridge would close "
        "on Tuesday for repairs. The repairs will cost 40 million dollars.\n"
    )
    (docs / "library.txt").write_text(
        "Library opens\n\nThe new library in Oakridge opened in March. It holds 20,000 books.\n"
    )
    gold = tmp_path / "gold"
    gold.mkdir()
    rows = [
        ("a1", "How much will the bridge repairs cost?", ["40 million"], ["bridge"]),
        ("a2", "How many books does the Oakridge library hold?", ["20,000"], ["library"]),
        ("u1", "How many books does the Dunmore library hold?", [], []),
        ("u2", "What did Vostrikova say about the airport?", [], []),
    ]
    (gold / "toy.jsonl").write_text(
        "".join(
            json.dumps(
                {
                    "id": i,
                    "question": q,
                    "answers": a,
                    "article_ids": arts,
                    "answerable": bool(a),
                    "type": "factoid" if a else "unanswerable",
                }
            )
            + "\n"
            for i, q, a, arts in rows
        )
    )
    pipeline = build_pipeline(fake_index(docs), embedder=HashEmbedder())
    before = pipeline.extractive.weights
    result = fit(pipeline, gold, ["toy"], k=2, quiet=True)
    assert pipeline.extractive.weights == before  # restored
    assert result["questions"] == 4 and len(result["samples"]) == 4
    assert result["folds"] == 2 and len(result["chosen_per_fold"]) == 2
    assert result["held_out"]["answerable"] == 2 and result["held_out"]["unanswerable"] == 2
    for p in REANSWERED:
        assert result["fitted"][p.name] in p.grid
    path = tmp_path / "weights.json"
    write(result["fitted"], {"held_out": result["held_out"]}, path)
    assert (
        json.loads(path.read_text())["weights"]["refuse_below"] == result["fitted"]["refuse_below"]
    )


def test_a_refusal_floor_keeps_the_threshold_above_the_unanswerable_questions() -> None:
    # answerable questions spread over 0.3-0.9; unanswerable ones sit at 0.5-0.6: with
    # only a cap on false refusals the threshold falls below them, with a floor it does not
    answerable = [sample(i, True, 0.3 + 0.02 * i) for i in range(30)]
    unanswerable = [sample(100 + i, False, 0.5 + 0.01 * i) for i in range(10)]
    data = answerable + unanswerable
    capped = choose(data, cap=0.05)
    floored = choose(data, cap=0.05, floor=0.9)
    assert floored["refuse_below"] > capped["refuse_below"]
    assert score(data, floored).figures()["refusal_accuracy"] >= 0.9


def test_a_gold_set_is_named_under_evals_gold_or_given_by_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from evals.fit import gold_path

    assert gold_path(tmp_path, "news") == tmp_path / "news.jsonl"
    outside = tmp_path / "elsewhere" / "blind.jsonl"
    assert gold_path(tmp_path, str(outside)) == outside
