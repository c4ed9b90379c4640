"""rag/recency.py: recency questions prefer the newest article on their subject, the newer
article wins a conflict, answers name the date, and bare weekdays become dates."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from rag.config import Settings, load_settings
from rag.embed import Embedder
from rag.errors import ConfigError
from rag.pipeline import Pipeline, build_pipeline
from rag.recency import (
    date_of_weekday,
    name_the_date,
    prefer_recent,
    recency_intent,
    resolve_weekday,
)
from rag.types import Answer, Chunk, Citation, Hit
from tests.conftest import ROOT
from tests.fakes import HashEmbedder

DATED = ROOT / "evals" / "dated-corpus"
NEWEST = {
    "Harbourton bridge": "harbourton-bridge-reopens",
    "Northvale rail strike": "northvale-strike-deal",
    "Cyclone Mara": "cyclone-mara-toll-rises",
    "Lumora Foods chief executive": "lumora-new-chief",
}


@pytest.fixture
def dated_settings(fake_index: Callable[..., Settings], tmp_path: Path) -> Settings:
    folder = tmp_path / "dated"
    shutil.copytree(DATED, folder)
    return fake_index(folder)


def hit(article_id: str, published: str | None, text: str, score: float) -> Hit:
    chunk = Chunk(f"{article_id}#0", article_id, 0, text, 0, len(text), "", published, "", "h")
    return Hit(chunk=chunk, score=score)


# -- which questions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "What is the latest on Ukraine?",
        "Any recent news about the strike?",
        "Who is the current chief executive?",
        "What happened yesterday in Perth?",
        "What did the council decide this week?",
        "What's the most recent death toll?",
    ],
)
def test_questions_asking_for_new_news_are_recency_questions(question: str) -> None:
    assert recency_intent(question) is not None


@pytest.mark.parametrize(
    "question", ["What did Kallas say about Article 5?", "When did the bridge open?"]
)
def test_other_questions_are_not(question: str) -> None:
    assert recency_intent(question) is None


def test_relative_phrases_name_a_window_counted_back_from_now() -> None:
    now = date(2024, 11, 27)
    week = recency_intent("What happened this week?")
    yesterday = recency_intent("What happened yesterday?")
    latest = recency_intent("What is the latest?")
    assert week is not None and yesterday is not None and latest is not None
    window = week.dates(now)
    assert window is not None and (window.since, window.until) == (date(2024, 11, 21), now)
    window = yesterday.dates(now)
    assert window is not None and window.since == window.until == date(2024, 11, 26)
    assert latest.dates(now) is None


def test_now_comes_from_rag_now_and_a_bad_one_is_a_config_error() -> None:
    assert load_settings(env={"RAG_NOW": "2024-11-19"}).now == date(2024, 11, 19)
    assert load_settings(env={}).now is None
    with pytest.raises(ConfigError, match="RAG_NOW"):
        load_settings(env={"RAG_NOW": "last Tuesday"})


# -- ranking ----------------------------------------------------------------------------------


def test_passages_on_the_subject_from_the_newest_date_are_kept_best_first() -> None:
    hits = [
        hit("old", "2024-11-01", "The bridge closed for repairs.", 0.9),
        hit("new", "2024-11-26", "The bridge reopened to traffic.", 0.5),
        hit("newest-off-topic", "2024-11-30", "Wheat prices rose sharply.", 0.8),
        hit("undated", None, "The bridge turns ninety.", 0.7),
    ]
    kept = prefer_recent(hits, "What is the latest on the bridge?", lambda stem: 1.0, k=5)
    assert [h.chunk.article_id for h in kept] == ["new"]


def test_hits_without_a_dated_passage_on_the_subject_are_left_as_they_were() -> None:
    hits = [
        hit("a", None, "Children are now more often obese.", 0.9),
        hit("b", None, "Obese children eat more sugar.", 0.5),
    ]
    kept = prefer_recent(hits, "What share of children are now obese?", lambda stem: 1.0, k=5)
    assert kept == hits


@pytest.fixture(scope="module")
def dated_real(tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder) -> Pipeline:
    """The dated corpus with the real model: whether an answer is given at all depends on
    support by meaning, which a hashing embedder cannot give."""
    from rag.ingest import ingest

    settings = load_settings(env={}, index_dir=tmp_path_factory.mktemp("dated-real"))
    ingest([DATED], settings, lambda: real_embedder, quiet=True)
    return build_pipeline(settings, embedder=real_embedder)


@pytest.mark.slow
@pytest.mark.parametrize(("subject", "newest"), sorted(NEWEST.items()))
def test_the_latest_on_a_story_cites_its_newest_article_first(
    dated_real: Pipeline, subject: str, newest: str
) -> None:
    pipeline = dated_real
    answer = pipeline.ask(f"What is the latest on the {subject}?")
    assert not answer.refused and answer.citations
    assert answer.citations[0].article_id == newest


def test_the_newer_article_wins_when_articles_conflict(dated_settings: Settings) -> None:
    pipeline = build_pipeline(dated_settings, embedder=HashEmbedder())
    plain = pipeline.retrieve("How many people has Cyclone Mara killed?", k=5)
    assert {h.chunk.article_id for h in plain} >= {"cyclone-mara-landfall"}  # says three
    answer = pipeline.ask("What is the latest death toll from Cyclone Mara?")
    assert "seven" in answer.answer and "killing three" not in answer.answer
    assert answer.answer.startswith("On 24 November 2024, ")


def test_a_window_is_counted_back_from_the_newest_article_unless_now_is_set(
    dated_settings: Settings,
) -> None:
    question = "What happened to the Harbourton bridge this week?"
    newest_now = build_pipeline(dated_settings, embedder=HashEmbedder())
    assert newest_now.ask(question).citations[0].article_id == "harbourton-bridge-reopens"
    earlier = replace(dated_settings, now=date(2024, 11, 19))
    set_now = build_pipeline(earlier, embedder=HashEmbedder())
    assert set_now.ask(question).citations[0].article_id == "harbourton-bridge-closed"


# -- answer text ------------------------------------------------------------------------------


def test_a_bare_weekday_means_the_one_before_the_article_unless_the_sentence_is_future() -> None:
    saturday = "2024-11-23"
    assert resolve_weekday("The cyclone hit on Friday.", saturday) == date(2024, 11, 22)
    assert resolve_weekday("Fans met on Saturday.", saturday) == date(2024, 11, 23)
    assert resolve_weekday("The bridge will open on Friday.", saturday) == date(2024, 11, 29)
    assert resolve_weekday("It hit on Friday, 22 November.", saturday) is None
    assert resolve_weekday("It hit on Friday.", None) is None
    assert resolve_weekday("It hit last night.", saturday) is None
    assert date_of_weekday("The cyclone hit on Friday.", saturday) == "Friday 22 November 2024"


def _answer(text: str, quote: str, published: str | None) -> Answer:
    citation = Citation(1, "a#0", "a", "T", published, "s", quote, 0, len(quote), 1.0, True)
    return Answer("q", text, (citation,), False, "extractive")


def test_a_recency_answer_begins_with_the_date_of_its_first_citation() -> None:
    quote = "The bridge reopened on Tuesday."
    answer = _answer(f"{quote} [1]", quote, "2024-11-26T09:30:00Z")
    named = name_the_date(answer, "What is the latest on the bridge?")
    assert named.answer == "On 26 November 2024, the bridge reopened on Tuesday. [1]"
    assert name_the_date(answer, "Why did the bridge reopen?") == answer
    assert name_the_date(_answer(f"{quote} [1]", quote, None), "What is the latest?").answer == (
        f"{quote} [1]"
    )


def test_when_answers_give_the_date_of_a_bare_weekday(dated_settings: Settings) -> None:
    pipeline = build_pipeline(dated_settings, embedder=HashEmbedder())
    answer = pipeline.ask("When did the Harbourton bridge reopen?")
    assert "on Tuesday (26 November 2024)" in answer.answer
    assert answer.citations[0].quote in answer.answer.replace(" (26 November 2024)", "")
