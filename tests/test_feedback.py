"""`rag feedback`: ratings become gold items that `rag eval` runs; stats and show as text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.gold import load_gold
from rag.answerlog import AnswerLog, Rating
from rag.feedback import SHOULD_HAVE_ANSWERED, WRONG_ANSWER, gold_items, write_gold
from rag.types import Answer
from tests.conftest import make_settings, run_rag
from tests.test_answerlog import answer, citation


def rated(answer_log: AnswerLog, given: Answer, rating: str, **extra: object) -> str:
    answer_id = str(answer_log.record(given, "widget", embed_key="k1").id)
    answer_log.rate(Rating(answer_id, rating, **extra))  # type: ignore[arg-type]
    return answer_id


@pytest.fixture
def answer_log(tmp_path: Path) -> AnswerLog:
    return AnswerLog(make_settings(tmp_path / "index"))


def test_each_kind_of_rating_becomes_the_right_kind_of_gold_item(
    answer_log: AnswerLog, tmp_path: Path
) -> None:
    up = rated(answer_log, answer("When did the fire cross?"), "up")
    down = rated(answer_log, answer("Who lit the fire?"), "down", comment="names the wrong man")
    refused_down = rated(answer_log, answer("How big was it?", refused=True), "down")
    refused_up = rated(answer_log, answer("Who won in 2030?", refused=True), "up")
    answer_log.record(answer("Not rated?"), "api")
    records = {r["origin"]["answer_id"]: r for r in gold_items(answer_log.rated())}
    assert set(records) == {up, down, refused_down, refused_up}

    good = records[up]
    assert good["answerable"] and "review" not in good
    assert good["answers"] == ["The fire crossed the river at dawn."]
    assert good["article_ids"] == ["lee/lee-017"]
    assert good["origin"]["door"] == "widget" and good["origin"]["date"]

    assert records[down]["review"] == WRONG_ANSWER
    assert records[down]["origin"]["comment"] == "names the wrong man"
    assert records[refused_down]["review"] == SHOULD_HAVE_ANSWERED
    assert records[refused_down]["answerable"] is True
    assert records[refused_up]["answerable"] is False and records[refused_up]["type"] == (
        "unanswerable"
    )

    path = tmp_path / "feedback.jsonl"
    write_gold(list(records.values()), path)
    items = {item.origin["answer_id"]: item for item in load_gold(path) if item.origin}
    assert items[up].review is None and items[down].review == WRONG_ANSWER


def test_a_citation_marked_wrong_is_not_a_suggested_answer(answer_log: AnswerLog) -> None:
    two = Answer(
        question="Where did the fire start?",
        answer="It began near the river [1] and spread east [2].",
        citations=(citation(1, "lee/lee-001"), citation(2, "lee/lee-002")),
        refused=False,
        mode="extractive",
        timings_ms={"total": 5.0},
    )
    rated(answer_log, two, "up", wrong_citation=2)
    (record,) = gold_items(answer_log.rated())
    assert record["article_ids"] == ["lee/lee-001"]


def test_nothing_rated_is_a_clear_error_not_an_empty_file(tmp_path: Path) -> None:
    from rag.errors import BadInputError

    with pytest.raises(BadInputError, match="nothing to export"):
        write_gold([], tmp_path / "x.jsonl")
    assert not (tmp_path / "x.jsonl").exists()


def test_feedback_commands_print_stats_show_and_export(
    answer_log: AnswerLog, tmp_path: Path
) -> None:
    answer_id = rated(answer_log, answer("<b>Who</b> lit it?"), "down", comment="[x](http://e.vil)")
    rated(answer_log, answer("When did the fire cross?"), "up")
    index = answer_log.path.parent

    result = run_rag("feedback", "stats", "--json", index=index)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert (body["answers"], body["up"], body["down"]) == (2, 1, 1)
    assert body["by_door"]["widget"]["answers"] == 2

    text = run_rag("feedback", "stats", index=index)
    assert text.returncode == 0 and "widget" in text.stdout

    shown = run_rag("feedback", "show", answer_id, index=index)
    assert shown.returncode == 0
    assert "<b>Who</b> lit it?" in shown.stdout and "[x](http://e.vil)" in shown.stdout

    missing = run_rag("feedback", "show", "nope", index=index)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert missing.stderr.count("\n") == 1

    out = tmp_path / "gold.jsonl"
    exported = run_rag("feedback", "export", "--gold", str(out), index=index)
    assert exported.returncode == 0, exported.stderr
    assert "1 scored, 1 marked for review" in exported.stdout
    assert len(load_gold(out)) == 2


def test_stats_on_an_index_with_no_log_yet_are_zero(tmp_path: Path) -> None:
    result = run_rag("feedback", "stats", "--json", index=tmp_path / "nothing")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["answers"] == 0


@pytest.mark.slow
def test_cli_answers_are_logged_only_with_log_and_their_export_runs_in_eval(
    seed_folder: Path, tmp_path: Path, real_embedder
) -> None:
    from rag.ingest import ingest
    from tests.conftest import KALLAS

    settings = make_settings(tmp_path / "index")
    ingest([seed_folder], settings, lambda: real_embedder, quiet=True)
    index = settings.index_dir

    unlogged = run_rag("ask", "--json", KALLAS, index=index)
    assert unlogged.returncode == 0 and "id" not in json.loads(unlogged.stdout)
    assert not settings.log_path.exists()

    logged = run_rag("ask", "--json", "--log", KALLAS, index=index)
    assert logged.returncode == 0, logged.stderr
    answer_id = json.loads(logged.stdout)["id"]
    text = run_rag("ask", "--log", "Who won the 2030 football world cup?", index=index)
    assert text.returncode == 0 and "rag feedback show" in text.stderr

    answer_log = AnswerLog(settings)
    assert [r.door for r in answer_log.answers()] == ["cli", "cli"]
    other = next(r.id for r in answer_log.answers() if r.id != answer_id)
    answer_log.rate(Rating(answer_id, "up"))
    answer_log.rate(Rating(other, "down", "should have said the articles do not say"))

    gold = tmp_path / "gold.jsonl"
    assert run_rag("feedback", "export", "--gold", str(gold), index=index).returncode == 0
    result = run_rag("eval", "--gold", str(gold), "--json", "-q", index=index)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["questions"] == 1 and body["review"] == 1
    assert body["configs"]["hybrid"]["answer_match"] == 1.0
    assert "marked for review are not scored" in result.stderr
