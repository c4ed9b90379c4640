"""The answer log: records, ratings, retention, and faults that must not stop answering."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from rag.answerlog import (
    AnswerLog,
    LogUnavailableError,
    Rating,
    UnknownAnswerError,
)
from rag.answerlog_stats import stats
from rag.config import load_settings
from rag.config_hash import answerer_weights, config_hash
from rag.errors import BadInputError
from rag.types import Answer, Citation
from tests.conftest import ROOT, make_settings


def citation(n: int = 1, article: str = "lee/lee-017") -> Citation:
    return Citation(
        n=n,
        chunk_id=f"{article}#0",
        article_id=article,
        title="Fires near Sydney",
        published="2001-12-24",
        source=f"corpus/{article}.txt",
        quote="The fire crossed the river at dawn.",
        char_start=10,
        char_end=45,
        score=0.7,
        verified=True,
    )


def answer(question: str = "When did the fire cross the river?", refused: bool = False) -> Answer:
    return Answer(
        question=question,
        answer="The fire crossed the river at dawn. [1]",
        citations=(citation(),),
        refused=refused,
        mode="extractive",
        timings_ms={"retrieve": 12.0, "answer": 3.0, "total": 15.0},
    )


@pytest.fixture
def answer_log(tmp_path: Path) -> AnswerLog:
    return AnswerLog(make_settings(tmp_path / "index"))


def test_a_logged_answer_gets_an_id_that_reads_back_with_its_citations(
    answer_log: AnswerLog,
) -> None:
    logged = answer_log.record(answer(), "api")
    assert logged.id and logged.to_json()["id"] == logged.id
    row = answer_log.get(logged.id)
    assert row.question == "When did the fire cross the river?"
    assert row.door == "api" and row.mode == "extractive" and not row.refused
    assert row.citations[0]["quote"] == "The fire crossed the river at dawn."
    assert (row.citations[0]["char_start"], row.citations[0]["char_end"]) == (10, 45)
    assert row.timings_ms["total"] == 15.0
    assert len(row.config) == 10


def test_the_log_lives_beside_the_index_in_wal_mode(answer_log: AnswerLog, tmp_path: Path) -> None:
    answer_log.record(answer(), "ui")
    assert answer_log.path == tmp_path / "index" / "answers.sqlite3"
    with sqlite3.connect(answer_log.path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_ids_are_unique_and_an_answer_without_a_log_has_none(tmp_path: Path) -> None:
    on = AnswerLog(make_settings(tmp_path / "a"))
    ids = {on.record(answer(), "api").id for _ in range(50)}
    assert len(ids) == 50
    off = AnswerLog(load_settings(env={"RAG_LOG": "off"}, index_dir=tmp_path / "b"))
    assert off.record(answer(), "api").id is None
    assert not (tmp_path / "b" / "answers.sqlite3").exists()
    assert "id" not in answer().to_json()


def test_environment_moves_the_log_and_sets_its_retention(tmp_path: Path) -> None:
    settings = load_settings(
        env={"RAG_LOG_DB": str(tmp_path / "elsewhere" / "log.db"), "RAG_LOG_DAYS": "7"},
        index_dir=tmp_path / "index",
    )
    assert settings.log_path == tmp_path / "elsewhere" / "log.db"
    assert settings.log_days == 7.0
    assert AnswerLog(settings).record(answer(), "api").id is not None
    assert (tmp_path / "elsewhere" / "log.db").exists()


def test_the_widget_keeps_its_embed_key_and_no_client_address_is_stored(
    answer_log: AnswerLog,
) -> None:
    logged = answer_log.record(answer(), "widget", embed_key="intranet-key")
    assert answer_log.get(str(logged.id)).embed_key == "intranet-key"
    with sqlite3.connect(answer_log.path) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(answers)")]
    assert not any("ip" in c or "addr" in c or "host" in c for c in columns)


def test_a_rating_is_replaced_not_duplicated(answer_log: AnswerLog) -> None:
    answer_id = str(answer_log.record(answer(), "api").id)
    answer_log.rate(Rating(answer_id, "down", "wrong date"))
    row = answer_log.rate(Rating(answer_id, "up"))
    assert (row.rating, row.comment) == ("up", None)
    assert [r.id for r in answer_log.rated()] == [answer_id]
    body = stats(answer_log.points())
    assert (body["answers"], body["up"], body["down"]) == (1, 1, 0)


def test_bad_ratings_are_refused_with_a_reason(answer_log: AnswerLog) -> None:
    answer_id = str(answer_log.record(answer(), "api").id)
    with pytest.raises(UnknownAnswerError):
        answer_log.rate(Rating("no-such-answer", "up"))
    with pytest.raises(BadInputError, match="rating"):
        answer_log.rate(Rating(answer_id, "sideways"))
    with pytest.raises(BadInputError, match="2000"):
        answer_log.rate(Rating(answer_id, "down", "x" * 2001))
    with pytest.raises(BadInputError, match="1 citation"):
        answer_log.rate(Rating(answer_id, "down", wrong_citation=3))
    assert answer_log.rate(Rating(answer_id, "down", "y" * 2000, wrong_citation=1)).comment


def test_comments_and_questions_are_stored_exactly_as_written(answer_log: AnswerLog) -> None:
    hostile = "<script>alert(1)</script> [link](javascript:alert(2)) **bold** ' OR 1=1 --"
    answer_id = str(answer_log.record(answer(hostile), "api").id)
    answer_log.rate(Rating(answer_id, "down", hostile))
    row = answer_log.get(answer_id)
    assert row.question == hostile and row.comment == hostile


def test_old_answers_and_their_ratings_are_pruned(answer_log: AnswerLog) -> None:
    old = str(answer_log.record(answer("old?"), "api").id)
    answer_log.rate(Rating(old, "up"))
    new = str(answer_log.record(answer("new?"), "api").id)
    with sqlite3.connect(answer_log.path) as connection:
        connection.execute(
            "UPDATE answers SET created_ts = created_ts - 31 * 86400 WHERE id = ?", (old,)
        )
    assert answer_log.prune() == 1
    assert [r.id for r in answer_log.answers()] == [new]
    assert answer_log.rated() == []


def test_stats_count_answers_ratings_refusals_and_p95_by_door_and_day(
    answer_log: AnswerLog,
) -> None:
    for i in range(20):
        logged = answer_log.record(answer(f"q{i}?", refused=i % 4 == 0), "api" if i % 2 else "ui")
        if i < 3:
            answer_log.rate(Rating(str(logged.id), "up" if i else "down"))
    body = stats(answer_log.points())
    assert (body["answers"], body["up"], body["down"], body["refused"]) == (20, 2, 1, 5)
    assert body["refusal_rate"] == 0.25 and body["p95_ms"] == 15.0
    assert body["by_door"]["ui"]["answers"] == 10 and body["by_door"]["api"]["answers"] == 10
    assert len(body["by_day"]) == 1 and body["by_day"][0]["answers"] == 20


def test_the_configuration_hash_changes_with_retrieval_chunking_model_and_weights(
    tmp_path: Path,
) -> None:
    base = make_settings(tmp_path)
    seen = {
        config_hash(base),
        config_hash(base.with_overrides(retrieval="bm25")),
        config_hash(base.with_overrides(chunk_tokens=200)),
        config_hash(base.with_overrides(llm="openai", llm_model="m1")),
        config_hash(base.with_overrides(llm="openai", llm_model="m2")),
        config_hash(base, {"REFUSE_BELOW": 0.5}),
    }
    assert len(seen) == 6
    assert config_hash(base) == config_hash(make_settings(tmp_path))


def test_the_answerers_thresholds_count_as_its_weights() -> None:
    from rag.answer import ExtractiveAnswerer
    from tests.fakes import HashEmbedder

    # a real answerer: its Weights object (a module constant once stood in for it here)
    weights = answerer_weights(ExtractiveAnswerer(HashEmbedder(), lambda stem: 1.0))
    assert weights and all(isinstance(v, int | float) for v in weights.values())


# -- faults ---------------------------------------------------------------------------------


def test_a_corrupt_log_warns_once_and_answering_goes_on(
    answer_log: AnswerLog, caplog: pytest.LogCaptureFixture
) -> None:
    answer_log.path.parent.mkdir(parents=True)
    answer_log.path.write_bytes(b"this is not a database at all" * 200)
    with caplog.at_level(logging.WARNING, logger="rag.answerlog"):
        results = [answer_log.record(answer(), "api") for _ in range(3)]
    assert all(r.id is None and r.answer for r in results)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "damaged" in warnings[0].getMessage()
    with pytest.raises(LogUnavailableError, match="damaged"):
        answer_log.answers()


def test_a_locked_log_does_not_stop_answering(
    answer_log: AnswerLog, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rag.answerlog

    monkeypatch.setattr(rag.answerlog, "BUSY_TIMEOUT_S", 0.2)
    answer_log.record(answer(), "api")
    holder = sqlite3.connect(answer_log.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level(logging.WARNING, logger="rag.answerlog"):
            result = answer_log.record(answer(), "api")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.id is None and result.answer
    assert any("locked" in r.getMessage() for r in caplog.records)
    assert answer_log.record(answer(), "api").id is not None  # and it recovers


def test_an_unwritable_log_folder_does_not_stop_answering(tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    settings = load_settings(env={"RAG_LOG_DB": str(blocker / "log.db")}, index_dir=tmp_path)
    assert AnswerLog(settings).record(answer(), "api").id is None


def test_a_deleted_log_is_started_again(answer_log: AnswerLog) -> None:
    answer_log.record(answer(), "api")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{answer_log.path}{suffix}").unlink(missing_ok=True)
    answer_log.record(answer(), "api")  # may fail once while the schema is rebuilt
    assert answer_log.record(answer(), "api").id is not None


def test_concurrent_threads_all_land(answer_log: AnswerLog) -> None:
    ids: list[str | None] = []

    def write(n: int) -> None:
        for i in range(25):
            ids.append(answer_log.record(answer(f"thread {n} question {i}?"), "api").id)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert None not in ids and len(set(ids)) == 200
    assert answer_log.count() == 200


WRITER = """
import sys
from rag.answerlog import AnswerLog
from rag.config import load_settings
from tests.test_answerlog import answer
from pathlib import Path
log = AnswerLog(load_settings(env={}, index_dir=Path(sys.argv[1])))
missing = sum(log.record(answer(f"{sys.argv[2]} {i}?"), sys.argv[2]).id is None for i in range(100))
print(missing)
"""


def test_two_processes_writing_the_same_log_all_land(answer_log: AnswerLog) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    index = str(answer_log.path.parent)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, index, door],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for door in ("ui", "api")
    ]
    outputs = [w.communicate(timeout=120)[0].strip() for w in writers]
    assert outputs == ["0", "0"]
    body = stats(answer_log.points())
    assert body["by_door"]["ui"]["answers"] == 100 and body["by_door"]["api"]["answers"] == 100
    assert answer_log.check() == "ok"


def test_stats_of_a_log_not_yet_written_are_zero(answer_log: AnswerLog) -> None:
    body = stats(answer_log.points())
    assert json.loads(json.dumps(body))["answers"] == 0
    with pytest.raises(UnknownAnswerError):
        answer_log.get("anything")


@pytest.mark.parametrize(
    ("env", "problem"),
    [({"RAG_LOG": "maybe"}, "RAG_LOG"), ({"RAG_LOG_DAYS": "-1"}, "RAG_LOG_DAYS")],
)
def test_a_bad_log_setting_is_a_clear_configuration_error(
    env: dict[str, str], problem: str
) -> None:
    from rag.errors import ConfigError

    with pytest.raises(ConfigError, match=problem):
        load_settings(env=env)
    assert load_settings(env={"RAG_LOG": "OFF"}).log_enabled is False


class _RacingConnection:
    """A new log's connection whose first two attempts lose the race for WAL mode."""

    def __init__(self) -> None:
        self.losses = 2
        self.schemas = 0

    def execute(self, sql: str) -> _RacingConnection:
        if self.losses:
            self.losses -= 1
            raise sqlite3.OperationalError("database is locked")
        return self

    def fetchone(self) -> tuple[str]:
        return ("delete",)

    def executescript(self, sql: str) -> None:
        self.schemas += 1


def test_a_new_log_set_up_by_two_processes_at_once_retries_the_lost_race() -> None:
    racing = _RacingConnection()
    AnswerLog._set_up(racing)  # type: ignore[arg-type]
    assert racing.losses == 0 and racing.schemas == 1
