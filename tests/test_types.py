"""rag/types.py: frozen values at every boundary; `to_json` shapes the contract's JSON."""

from __future__ import annotations

import dataclasses

import jsonschema
import pytest

from rag.types import Answer, Article, Chunk, Citation, Hit, IngestReport, Turn


def citation(n: int = 1) -> Citation:
    return Citation(
        n=n,
        chunk_id="us-red-lines#7",
        article_id="us-red-lines",
        title="Red lines",
        published="2024-11-22",
        source="corpus/us-red-lines.txt",
        quote="Kallas said so.",
        char_start=10,
        char_end=25,
        score=0.712345,
        verified=True,
    )


def answer(**overrides: object) -> Answer:
    fields: dict[str, object] = {
        "question": "What did Kallas say?",
        "answer": "Kallas said so. [1]",
        "citations": (citation(),),
        "refused": False,
        "mode": "extractive",
        "timings_ms": {"retrieve": 12.3456, "total": 20.0},
    }
    fields.update(overrides)
    return Answer(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [
        Article("a", "t", "x", None, "s"),
        Chunk("a#0", "a", 0, "x", 0, 1, "t", None, "s", "h"),
        citation(),
        answer(),
        Turn("user", "hi"),
        IngestReport(1, 1, 1, 0, (), 0, 0, 0.1),
    ],
)
def test_boundary_values_are_frozen(value: object) -> None:
    field = dataclasses.fields(value)[0].name  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, field, "changed")


def test_hit_keeps_its_chunk_and_ranks() -> None:
    chunk = Chunk("a#0", "a", 0, "x", 0, 1, "t", None, "s", "h")
    hit = Hit(chunk, 0.03, vector_rank=1, bm25_rank=None, similarity=0.5)
    assert (hit.chunk, hit.vector_rank, hit.bm25_rank) == (chunk, 1, None)


def test_answer_json_validates_against_the_contract_schema(answer_schema: dict) -> None:
    jsonschema.validate(answer().to_json(), answer_schema)


def test_refused_answer_json_validates_against_the_contract_schema(answer_schema: dict) -> None:
    body = answer(answer="The indexed articles don't say.", citations=(), refused=True).to_json()
    jsonschema.validate(body, answer_schema)
    assert body["citations"] == [] and body["refused"] is True


def test_citation_json_has_every_contract_field_and_a_rounded_score() -> None:
    body = citation().to_json()
    assert body == {
        "n": 1,
        "chunk_id": "us-red-lines#7",
        "article_id": "us-red-lines",
        "title": "Red lines",
        "published": "2024-11-22",
        "source": "corpus/us-red-lines.txt",
        "quote": "Kallas said so.",
        "char_start": 10,
        "char_end": 25,
        "score": 0.7123,
        "verified": True,
    }


def test_answer_json_rounds_timings_and_omits_empty_optional_fields() -> None:
    body = answer().to_json()
    assert body["timings_ms"] == {"retrieve": 12.35, "total": 20.0}
    assert "notice" not in body and "condensed_question" not in body


def test_answer_json_shows_notice_and_a_condensed_question_that_differs() -> None:
    body = answer(notice="LLM timed out", condensed_question="What did Kaja Kallas say?").to_json()
    assert body["notice"] == "LLM timed out"
    assert body["condensed_question"] == "What did Kaja Kallas say?"


def test_answer_json_omits_condensed_question_equal_to_the_question() -> None:
    body = answer(condensed_question="What did Kallas say?").to_json()
    assert "condensed_question" not in body


def test_ingest_report_json_has_all_contract_keys() -> None:
    report = IngestReport(
        articles=3,
        chunks=9,
        embedded=4,
        skipped=1,
        failed=(("feed.jsonl:2", "not valid JSON"),),
        ignored=2,
        removed=1,
        seconds=1.23456,
    )
    body = report.to_json()
    assert body == {
        "articles": 3,
        "chunks": 9,
        "embedded": 4,
        "skipped": 1,
        "failed": [{"path": "feed.jsonl:2", "error": "not valid JSON"}],
        "ignored": 2,
        "removed": 1,
        "seconds": 1.235,
    }
