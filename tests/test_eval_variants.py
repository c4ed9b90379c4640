"""rag eval on generated sets: refusal per kind of change, false refusal on the originals,
the refusal/false-refusal trade-off, and the answer-length and article-cited figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evals.metrics import answer_words
from evals.report import near_miss_section
from evals.runner import per_variant, summarize, tradeoff


def row(
    i: str, answerable: bool, refused: bool, variant: str, original: str, support: float | None
) -> dict[str, Any]:
    return {
        "id": i,
        "answerable": answerable,
        "refused": refused,
        "variant": variant,
        "original": original,
        "support": support,
    }


ROWS = [
    row("o1", True, False, "original", "s:1", 0.8),
    row("o2", True, True, "original", "s:2", 0.4),
    row("n1", False, True, "entity", "s:1", 0.3),
    row("n2", False, False, "entity", "s:2", 0.7),
    row("n3", False, True, "negation", "s:1", 0.5),
]


def test_refusal_is_reported_per_kind_with_false_refusal_on_the_originals_it_came_from() -> None:
    kinds = per_variant(ROWS)
    assert kinds["entity"] == {
        "variants": 2,
        "refused": 0.5,
        "originals": 2,
        "originals_refused": 0.5,
    }
    assert kinds["negation"] == {
        "variants": 1,
        "refused": 1.0,
        "originals": 1,
        "originals_refused": 0.0,
    }
    assert per_variant([{**r, "variant": None} for r in ROWS]) == {}


def test_the_trade_off_refuses_below_each_threshold() -> None:
    curve = {p["threshold"]: p for p in tradeoff(ROWS)}
    assert curve[0.2]["refusal_accuracy"] == 0.0 and curve[0.2]["false_refusal_rate"] == 0.0
    assert curve[0.6]["refusal_accuracy"] == 2 / 3 and curve[0.6]["false_refusal_rate"] == 0.5
    assert curve[0.8]["refusal_accuracy"] == 1.0 and curve[0.8]["false_refusal_rate"] == 0.5
    no_support = [{**r, "support": None} for r in ROWS]
    assert tradeoff(no_support) == []
    # refused for an ungrounded part: refused whatever the threshold
    blocked = [{**r, "blocked": True} if r["id"] == "n2" else r for r in ROWS]
    assert {p["threshold"]: p for p in tradeoff(blocked)}[0.2]["refusal_accuracy"] == 1 / 3


def test_the_report_gets_a_kind_table_and_a_trade_off_plot(tmp_path: Path) -> None:
    lines = near_miss_section({"hybrid": ROWS}, tmp_path)
    text = "\n".join(lines)
    assert "| hybrid | entity | 2 | 0.500 | 2 | 0.500 |" in text
    assert (tmp_path / "tradeoff.png").stat().st_size > 1000


def test_answer_words_leave_out_citation_markers() -> None:
    assert answer_words("The ferry was cancelled [1]. Winds rose [2].") == 6


def test_article_cited_and_median_words_are_summarised_over_answerable_and_answered() -> None:
    base = {
        "citation_valid": True,
        "pairs": 0,
        "claims": 0,
        "supporting_pairs": 0,
        "supported_claims": 0,
        "latency_ms": 1.0,
        "correct": 1.0,
    }
    answerable = {
        "hit@1": 1,
        "hit@3": 1,
        "hit@5": 1,
        "hit@10": 1,
        "recall@5": 1,
        "passage_hit@3": 1,
        "passage_recall@5": 1,
        "rr": 1,
        "passage_rr": 1,
        "match": 1.0,
        "f1": 0.1,
    }
    rows = [
        {
            **base,
            **answerable,
            "answerable": True,
            "refused": False,
            "article_cited": 1.0,
            "answer_words": 10,
        },
        {
            **base,
            **answerable,
            "answerable": True,
            "refused": False,
            "article_cited": 0.0,
            "answer_words": 30,
        },
        {**base, "answerable": False, "refused": False, "answer_words": 50},
    ]
    out = summarize(rows)
    assert out["article_cited"] == 0.5
    assert out["median_answer_words"] == 30
