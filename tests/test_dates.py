"""rag/dates.py and date filters: normal form of `published`, day numbers, --since/--until
on both retrieval sides, the CLI and the gold format."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from rag.config import Settings
from rag.dates import DateRange, day_number, normalise_published, parse_bound
from rag.errors import BadInputError
from rag.keyword import KeywordIndex
from rag.pipeline import build_pipeline
from rag.store import ChromaStore
from tests.conftest import ROOT, run_rag
from tests.fakes import HashEmbedder

DATED = ROOT / "evals" / "dated-corpus"
FIVE_WEST = timezone(timedelta(hours=-5))


@pytest.fixture
def dated(tmp_path: Path) -> Path:
    folder = tmp_path / "dated"
    shutil.copytree(DATED, folder)
    return folder


# -- the normal form ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("2024-11-22", "2024-11-22"),
        ("Friday, November 22, 2024", "2024-11-22"),
        ("22 November 2024", "2024-11-22"),
        ("Fri, 22 Nov 2024 09:30:00 GMT", "2024-11-22T09:30:00Z"),
        ("Fri, 22 Nov 2024 09:30:00 +0100", "2024-11-22T09:30:00+01:00"),
        ("2024-11-22T09:30:00Z", "2024-11-22T09:30:00Z"),
        ("2024-11-22T09:30:00.123+10:00", "2024-11-22T09:30:00+10:00"),
        ("2024-11-22 09:30", "2024-11-22T09:30:00"),
        (date(2024, 11, 22), "2024-11-22"),
        (datetime(2024, 11, 22), "2024-11-22"),
        (datetime(2024, 11, 22, 9, 30, tzinfo=UTC), "2024-11-22T09:30:00Z"),
        (
            datetime(2024, 11, 22, 9, 30, tzinfo=timezone(timedelta(hours=-5))),
            "2024-11-22T09:30:00-05:00",
        ),
    ],
)
def test_published_is_an_iso_date_with_time_and_zone_only_when_the_source_gives_them(
    raw: object, normal: str
) -> None:
    assert normalise_published(raw) == normal
    assert normal[:10] == "2024-11-22"  # the first ten characters are always the date


@pytest.mark.parametrize("raw", [None, "", "yesterday", "no date here", "32/13/2024 99:99"])
def test_what_is_not_a_date_is_no_date(raw: object) -> None:
    assert normalise_published(raw) is None


def test_day_numbers_count_days_since_1970_from_the_first_ten_characters() -> None:
    assert day_number("1970-01-02") == 1
    assert day_number("2024-11-22T23:59:00-05:00") == day_number("2024-11-22")
    assert day_number(None) is None and day_number("garbage") is None


@pytest.mark.parametrize("bad", ["2024-13-01", "22/11/2024", "2024-11", "tomorrow", "2024-02-30"])
def test_a_bound_that_is_not_a_real_iso_date_is_bad_input(bad: str) -> None:
    with pytest.raises(BadInputError, match="since"):
        parse_bound(bad, "since")


def test_a_range_whose_since_is_after_its_until_is_bad_input() -> None:
    with pytest.raises(BadInputError, match="after"):
        DateRange.parse("2024-12-01", "2024-11-01")


def test_a_range_is_inclusive_and_leaves_undated_articles_out() -> None:
    november = DateRange.parse("2024-11-01", "2024-11-30")
    assert november.contains("2024-11-01") and november.contains("2024-11-30T23:00:00Z")
    assert not november.contains("2024-10-31") and not november.contains("2024-12-01")
    assert not november.contains(None)
    assert DateRange().contains(None)  # no bound: everything


# -- stored and filtered ---------------------------------------------------------------------


def test_chunks_store_a_day_number_that_chroma_where_filters_on(
    fake_index: Callable[..., Settings], dated: Path
) -> None:
    settings = fake_index(dated)
    store = ChromaStore(settings)
    page = store.chunks.get(
        where={"article_id": "harbourton-bridge-reopens"}, include=["metadatas"]
    )
    meta = page["metadatas"][0]
    assert meta["published"] == "2024-11-26T09:30:00Z"
    assert meta["published_day"] == day_number("2024-11-26")
    undated = store.chunks.get(
        where={"article_id": "harbourton-bridge-history"}, include=["metadatas"]
    )
    assert (
        "published_day" not in undated["metadatas"][0]
        and undated["metadatas"][0]["published"] == ""
    )


def test_keyword_search_keeps_only_passages_published_in_range(
    fake_index: Callable[..., Settings], dated: Path
) -> None:
    settings = fake_index(dated)
    keyword = KeywordIndex.open(settings.index_dir)
    everything = {c.split("#")[0] for c, _ in keyword.search("Harbourton bridge", 20)}
    assert "harbourton-bridge-history" in everything
    november = DateRange.parse("2024-11-01", "2024-11-20")
    found = {
        c.split("#")[0]
        for c, _ in keyword.search("Harbourton bridge", 20, november.since_day, november.until_day)
    }
    assert found == {"harbourton-bridge-closed"}


def test_retrieval_with_a_range_cites_only_articles_published_in_it(
    fake_index: Callable[..., Settings], dated: Path
) -> None:
    settings = fake_index(dated)
    pipeline = build_pipeline(settings, embedder=HashEmbedder())
    since = DateRange.parse("2024-11-20", None)
    hits = pipeline.retrieve("Harbourton bridge Lissen River", k=10, dates=since)
    assert hits[0].chunk.article_id == "harbourton-bridge-reopens"
    assert all(h.chunk.published and h.chunk.published >= "2024-11-20" for h in hits)
    until = DateRange.parse(None, "2024-10-31")
    hits = pipeline.retrieve("Harbourton bridge Lissen River", k=10, dates=until)
    assert hits[0].chunk.article_id == "harbourton-bridge-approved"
    assert {h.chunk.article_id for h in hits} <= {
        "harbourton-bridge-approved",
        "lumora-chief-resigns",
    }
    answer = pipeline.ask("What did Harbourton council vote for?", dates=until)
    assert answer.citations and {c.article_id for c in answer.citations} == {
        "harbourton-bridge-approved"
    }


def test_a_range_with_no_articles_in_it_refuses_and_says_why(
    fake_index: Callable[..., Settings], dated: Path
) -> None:
    settings = fake_index(dated)
    pipeline = build_pipeline(settings, embedder=HashEmbedder())
    answer = pipeline.ask("What happened to the bridge?", dates=DateRange.parse("2031-01-01", None))
    assert answer.refused and not answer.citations
    assert answer.notice and "2031-01-01" in answer.notice


def test_rag_ask_with_a_bad_date_exits_2_with_one_clear_line(tmp_path: Path) -> None:
    index = tmp_path / "index"
    bad = run_rag("ask", "What happened?", "--since", "2024-02-30", index=index)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip() == "rag: since is not a real date: '2024-02-30'"
    backwards = run_rag("ask", "x", "--since", "2024-12-01", "--until", "2024-11-01", index=index)
    assert backwards.returncode == 2 and "after until" in backwards.stderr


@pytest.mark.slow
def test_rag_ask_with_a_range_cites_only_articles_in_it(tmp_path: Path, dated: Path) -> None:
    ingested = run_rag("ingest", str(dated), "--quiet", index=tmp_path / "index")
    assert ingested.returncode == 0, ingested.stderr
    done = run_rag(
        "ask",
        "How many people did Cyclone Mara kill?",
        "--until",
        "2024-11-23",
        "--json",
        index=tmp_path / "index",
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["citations"]
    assert {c["article_id"] for c in answer["citations"]} <= {
        "cyclone-mara-forecast",
        "cyclone-mara-landfall",
    }
    assert all(c["published"][:10] <= "2024-11-23" for c in answer["citations"])


def test_the_dated_gold_set_is_valid_and_its_bounds_are_dates() -> None:
    from evals.gold import load_gold

    items = load_gold(ROOT / "evals" / "gold" / "dated.jsonl")
    assert {i.type for i in items} >= {"recency", "date-range", "date"}
    assert all(i.since or i.until for i in items if i.type == "date-range")
    ids = {p.stem for p in DATED.iterdir() if p.suffix in (".txt", ".md") and p.stem != "README"}
    assert all(set(i.article_ids) <= ids for i in items)
