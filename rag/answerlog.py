"""The answer log: every answer a front door gives, and the ratings people give them.

One SQLite file (standard library `sqlite3`, WAL mode) beside the index by default
(`Settings.log_path`; `RAG_LOG_DB` moves it, `RAG_LOG=off` turns it off). Each record is
one short transaction, so a server killed while writing loses at most that record, and
the chat window and `rag serve` can write the same file at once (SQLite's own locking,
with a busy timeout).

The log is a bonus to answering, never a condition of it: a missing folder, a locked or
corrupt file makes `AnswerLog.record` log one warning and hand the answer back without an
id; answering goes on. Reading commands (`rag feedback ...`) and the feedback endpoint do
report such problems, as `LogUnavailableError`.

Stored per answer: time (UTC), front door (`ui`, `api`, `widget` with its embed key,
`openai`, `cli`), the question and the standalone question it became, the answer text,
its citations (ids, offsets, quotes), whether it refused, the mode, the timings and a short
hash of the configuration that produced it. No client addresses, no history beyond the
standalone question. Rows older than `RAG_LOG_DAYS` (default 30) are pruned.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from rag.answerlog_stats import Point
from rag.config import Settings
from rag.config_hash import answerer_weights, config_hash
from rag.errors import BadInputError, RagError
from rag.types import Answer

log = logging.getLogger("rag.answerlog")

DOORS = ("ui", "api", "widget", "openai", "cli")
RATINGS = ("up", "down")
MAX_COMMENT_CHARS = 2000
BUSY_TIMEOUT_S = 2.0  # a writer waits this long for another; answering must not stall longer
PRUNE_EVERY_S = 3600.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    created TEXT NOT NULL,          -- ISO 8601 UTC
    created_ts REAL NOT NULL,       -- seconds since the epoch, for pruning and ranges
    door TEXT NOT NULL,             -- ui | api | widget | openai | cli
    embed_key TEXT,                 -- the widget's embed key (widget only)
    question TEXT NOT NULL,
    standalone TEXT,                -- the question a follow-up became (NULL: the same)
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,        -- JSON list: n, chunk_id, article_id, title, offsets, quote
    refused INTEGER NOT NULL,
    mode TEXT NOT NULL,
    timings TEXT NOT NULL,          -- JSON object, milliseconds
    total_ms REAL,
    config TEXT NOT NULL            -- short hash of retrieval, chunking, model and weights
);
CREATE INDEX IF NOT EXISTS answers_created ON answers (created_ts);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id TEXT PRIMARY KEY REFERENCES answers (id) ON DELETE CASCADE,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT,
    wrong_citation INTEGER,
    door TEXT,
    updated TEXT NOT NULL,
    updated_ts REAL NOT NULL
);
"""


class LogUnavailableError(RagError):
    """The answer log is off, missing, locked or damaged (reading commands only)."""

    exit_code = 2


class UnknownAnswerError(BadInputError):
    """Feedback or a lookup names an answer id the log does not hold."""


@dataclass(frozen=True, slots=True)
class Rating:
    """A person's rating of one answer; a later rating of the same answer replaces it."""

    answer_id: str
    rating: str  # "up" | "down"
    comment: str | None = None
    wrong_citation: int | None = None  # the citation number the person says is wrong

    def checked(self) -> Rating:
        """This rating, or BadInputError saying what is wrong with it."""
        if self.rating not in RATINGS:
            raise BadInputError(f"rating must be 'up' or 'down', got {self.rating!r}")
        comment = (self.comment or "").strip() or None
        if comment is not None and len(comment) > MAX_COMMENT_CHARS:
            raise BadInputError(
                f"the comment is {len(comment)} characters long; the limit is {MAX_COMMENT_CHARS}"
            )
        if self.wrong_citation is not None and self.wrong_citation < 1:
            raise BadInputError("wrong_citation is a citation number, 1 or more")
        return replace(self, comment=comment)


@dataclass(frozen=True, slots=True)
class LoggedAnswer:
    """One row of the log with its rating, if any."""

    id: str
    created: str
    door: str
    embed_key: str | None
    question: str
    standalone: str | None
    answer: str
    citations: tuple[dict[str, Any], ...]
    refused: bool
    mode: str
    timings_ms: dict[str, float]
    config: str
    rating: str | None = None
    comment: str | None = None
    wrong_citation: int | None = None
    rated: str | None = None

    @property
    def day(self) -> str:
        return self.created[:10]

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"citations": list(self.citations)}


def new_answer_id() -> str:
    return uuid.uuid4().hex


def _now() -> tuple[str, float]:
    moment = time.time()
    iso = datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return iso, moment


def _citations_json(answer: Answer) -> str:
    return json.dumps(
        [
            {
                "n": c.n,
                "chunk_id": c.chunk_id,
                "article_id": c.article_id,
                "title": c.title,
                "published": c.published,
                "char_start": c.char_start,
                "char_end": c.char_end,
                "quote": c.quote,
                "verified": c.verified,
            }
            for c in answer.citations
        ],
        ensure_ascii=False,
    )


# -- the log ---------------------------------------------------------------------------------


class AnswerLog:
    """Writes answers and ratings to the SQLite log; reads them back for `rag feedback`.

    Safe to share between threads: each thread writes through its own connection, kept
    open between records and reopened when the file is deleted or replaced; reads open a
    short-lived connection of their own.
    """

    def __init__(self, settings: Settings, config: str | None = None) -> None:
        self.settings = settings
        self.enabled = settings.log_enabled
        self.path = settings.log_path
        self.config = config or config_hash(settings)
        self._ready = False
        self._pruned_at = 0.0
        self._warned = False
        self._lock = threading.Lock()
        self._local = threading.local()  # each thread's open writing connection

    @classmethod
    def for_pipeline(cls, pipeline: Any) -> AnswerLog:
        """The log for a pipeline's index, hashing its settings and its answerer's weights."""
        settings: Settings = pipeline.settings
        weights = answerer_weights(getattr(pipeline, "extractive", None))
        return cls(settings, config_hash(settings, weights))

    def logging(self, pipeline: Any, door: str, embed_key: str | None = None) -> LoggedPipeline:
        """The pipeline, with every answer it gives written to this log."""
        return LoggedPipeline(pipeline, self, door, embed_key)

    def logged(
        self, events: Iterator[str | Answer], door: str, embed_key: str | None = None
    ) -> Iterator[str | Answer]:
        """A token stream whose final Answer is logged (and carries its id) on its way out."""
        for item in events:
            if isinstance(item, Answer):
                item = self.record(item, door, embed_key)
            yield item

    # -- connections

    def _connect(self, create: bool) -> sqlite3.Connection:
        existed = self.path.exists()
        if not create and not existed:
            raise LogUnavailableError(
                f"no answer log at {self.path} yet: answers are logged by `rag serve`, "
                "`rag ui` and `rag ask --log`"
            )
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            connection.execute("PRAGMA foreign_keys = ON")
            if not self._ready or not existed:
                with self._lock:
                    self._set_up(connection)
                    self._ready = True
            # WAL with synchronous=NORMAL survives a killed process (not a power cut) with
            # every committed record; that is the promise made here.
            connection.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            connection.close()
            raise
        return connection

    @staticmethod
    def _set_up(connection: sqlite3.Connection) -> None:
        """WAL mode and the schema, retried for up to `BUSY_TIMEOUT_S`: two processes
        starting on a new log (the UI and the API) race for the switch to WAL and the
        schema, and SQLite reports that race as "locked" at once, without waiting."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    connection.execute("PRAGMA journal_mode = WAL")
                connection.executescript(SCHEMA)
                return
            except sqlite3.OperationalError as exc:
                text = str(exc)
                if ("locked" not in text and "busy" not in text) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def _identity(self) -> tuple[int, int] | None:
        try:
            status = os.stat(self.path)
        except OSError:
            return None
        return status.st_dev, status.st_ino

    def _writer(self) -> sqlite3.Connection:
        """This thread's open connection for writing.

        Kept open because closing the last connection to a WAL database checkpoints it and
        deletes the WAL file, which costs tens of milliseconds a record; reopened when the
        file was deleted or replaced under it.
        """
        cached: tuple[sqlite3.Connection, tuple[int, int] | None] | None = getattr(
            self._local, "writer", None
        )
        identity = self._identity()
        if cached is not None and identity is not None and cached[1] == identity:
            return cached[0]
        self._drop_writer()
        connection = self._connect(create=True)
        self._local.writer = (connection, self._identity())
        return connection

    def _drop_writer(self) -> None:
        cached = getattr(self._local, "writer", None)
        self._local.writer = None
        if cached is not None:
            with suppress(sqlite3.Error):
                cached[0].close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            connection = self._writer()
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error:
            self._drop_writer()
            raise
        try:
            yield connection
        except BaseException:
            with suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise
        try:
            connection.execute("COMMIT")
        except sqlite3.Error:
            with suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            self._drop_writer()
            raise

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        if not self.enabled:
            raise LogUnavailableError("the answer log is off (RAG_LOG=off)")
        try:
            with closing(self._connect(create=False)) as connection:
                yield connection
        except sqlite3.Error as exc:
            raise LogUnavailableError(self._describe(exc)) from None

    def _describe(self, exc: BaseException) -> str:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return f"the answer log {self.path} is locked by another process"
        if "not a database" in text or "malformed" in text:
            return (
                f"the answer log {self.path} is damaged ({text}); move it aside and a new "
                "one is started"
            )
        return f"the answer log {self.path} cannot be used: {text}"

    def _warn(self, exc: BaseException) -> None:
        if not self._warned:
            self._warned = True
            log.warning("%s; answering goes on without logging", self._describe(exc))
        else:
            log.debug("answer log still unavailable: %s", exc)

    # -- writing

    def record(
        self,
        answer: Answer,
        door: str,
        embed_key: str | None = None,
        config: str | None = None,
    ) -> Answer:
        """Log an answer; returns it with its new `id`, or unchanged if the log failed."""
        if not self.enabled:
            return answer
        if door not in DOORS:
            raise ValueError(f"unknown front door {door!r}")
        answer_id = new_answer_id()
        created, created_ts = _now()
        standalone = answer.condensed_question
        if standalone == answer.question:
            standalone = None
        row = (
            answer_id,
            created,
            created_ts,
            door,
            embed_key if door == "widget" else None,
            answer.question,
            standalone,
            answer.answer,
            _citations_json(answer),
            int(answer.refused),
            answer.mode,
            json.dumps({k: round(v, 2) for k, v in answer.timings_ms.items()}),
            answer.timings_ms.get("total"),
            config or self.config,
        )
        try:
            with self._transaction() as connection:
                connection.execute(
                    "INSERT INTO answers (id, created, created_ts, door, embed_key, question, "
                    "standalone, answer, citations, refused, mode, timings, total_ms, config) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
            self._warned = False
            self._maybe_prune(created_ts)
        except (sqlite3.Error, OSError) as exc:
            self._ready = False  # the file may have been replaced: set it up again next time
            self._warn(exc)
            return answer
        return replace(answer, id=answer_id)

    def rate(self, rating: Rating, door: str | None = None) -> LoggedAnswer:
        """Store (or replace) the rating of one logged answer; returns the rated answer."""
        rating = rating.checked()
        if not self.enabled:
            raise LogUnavailableError("the answer log is off (RAG_LOG=off): nothing to rate")
        updated, updated_ts = _now()
        try:
            with self._transaction() as connection:
                found = connection.execute(
                    "SELECT citations FROM answers WHERE id = ?", (rating.answer_id,)
                ).fetchone()
                if found is None:
                    raise UnknownAnswerError(f"no answer with id {rating.answer_id!r} in the log")
                cited = len(json.loads(found[0]))
                if rating.wrong_citation is not None and rating.wrong_citation > cited:
                    raise BadInputError(
                        f"wrong_citation {rating.wrong_citation}: the answer has "
                        f"{cited} citation{'' if cited == 1 else 's'}"
                    )
                connection.execute(
                    "INSERT INTO feedback (answer_id, rating, comment, wrong_citation, door, "
                    "updated, updated_ts) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (answer_id) DO UPDATE SET rating = excluded.rating, "
                    "comment = excluded.comment, wrong_citation = excluded.wrong_citation, "
                    "door = excluded.door, updated = excluded.updated, "
                    "updated_ts = excluded.updated_ts",
                    (
                        rating.answer_id,
                        rating.rating,
                        rating.comment,
                        rating.wrong_citation,
                        door,
                        updated,
                        updated_ts,
                    ),
                )
        except sqlite3.Error as exc:
            raise LogUnavailableError(self._describe(exc)) from None
        return self.get(rating.answer_id)

    def prune(self, now: float | None = None) -> int:
        """Delete answers (and their ratings) older than the retention; returns how many."""
        cutoff = (now if now is not None else time.time()) - self.settings.log_days * 86400
        with self._transaction() as connection:
            connection.execute(
                "DELETE FROM feedback WHERE answer_id IN "
                "(SELECT id FROM answers WHERE created_ts < ?)",
                (cutoff,),
            )
            removed = connection.execute(
                "DELETE FROM answers WHERE created_ts < ?", (cutoff,)
            ).rowcount
        return int(removed)

    def _maybe_prune(self, now: float) -> None:
        if now - self._pruned_at < PRUNE_EVERY_S:
            return
        self._pruned_at = now
        try:
            self.prune(now)
        except sqlite3.Error as exc:  # another writer holds the lock: prune next time
            log.debug("pruning the answer log failed: %s", exc)

    # -- reading

    def get(self, answer_id: str) -> LoggedAnswer:
        """One logged answer with its rating; UnknownAnswerError when the id is not there."""
        if self.enabled and not self.path.exists():
            raise UnknownAnswerError(f"no answer with id {answer_id!r}: nothing is logged yet")
        with self._reading() as connection:
            rows = list(self._select(connection, "WHERE a.id = ?", (answer_id,)))
        if not rows:
            raise UnknownAnswerError(f"no answer with id {answer_id!r} in the log")
        return rows[0]

    def answers(self, since_days: float | None = None) -> list[LoggedAnswer]:
        """Every logged answer (or those of the last `since_days`), oldest first."""
        if self.enabled and not self.path.exists():
            return []  # nothing logged yet
        where: str = ""
        args: tuple[Any, ...] = ()
        if since_days is not None:
            where = "WHERE a.created_ts >= ?"
            args = (time.time() - since_days * 86400,)
        with self._reading() as connection:
            return list(self._select(connection, where, args))

    def rated(self, rating: str | None = None) -> list[LoggedAnswer]:
        """Rated answers (only `rating` ones if given), most recently rated first."""
        if self.enabled and not self.path.exists():
            return []
        where: str = "WHERE f.rating IS NOT NULL"
        args: tuple[Any, ...] = ()
        if rating is not None:
            where, args = "WHERE f.rating = ?", (rating,)
        with self._reading() as connection:
            rows = list(self._select(connection, where, args))
        return sorted(rows, key=lambda r: r.rated or "", reverse=True)

    def points(self, since_days: float | None = None) -> list[Point]:
        """What `answerlog_stats.stats` needs of every answer (or those of the last
        `since_days`), oldest first; cheap enough for a year of answers."""
        if self.enabled and not self.path.exists():
            return []
        where: str = ""
        args: tuple[Any, ...] = ()
        if since_days is not None:
            where = "WHERE a.created_ts >= ?"
            args = (time.time() - since_days * 86400,)
        query = (
            "SELECT a.door, substr(a.created, 1, 10), a.refused, f.rating, a.total_ms "
            f"FROM answers a LEFT JOIN feedback f ON f.answer_id = a.id {where} "
            "ORDER BY a.created_ts"
        )
        with self._reading() as connection:
            return [
                Point(door, day, bool(refused), rating, total)
                for door, day, refused, rating, total in connection.execute(query, args)
            ]

    def count(self) -> int:
        with self._reading() as connection:
            return int(connection.execute("SELECT COUNT(*) FROM answers").fetchone()[0])

    def check(self) -> str:
        """SQLite's own integrity check of the log file ('ok' when sound)."""
        with self._reading() as connection:
            return str(connection.execute("PRAGMA integrity_check").fetchone()[0])

    @staticmethod
    def _select(
        connection: sqlite3.Connection, where: str, args: tuple[Any, ...]
    ) -> Iterator[LoggedAnswer]:
        query = (
            "SELECT a.id, a.created, a.door, a.embed_key, a.question, a.standalone, a.answer, "
            "a.citations, a.refused, a.mode, a.timings, a.config, f.rating, f.comment, "
            "f.wrong_citation, f.updated FROM answers a "
            f"LEFT JOIN feedback f ON f.answer_id = a.id {where} ORDER BY a.created_ts"
        )
        for row in connection.execute(query, args):
            yield LoggedAnswer(
                id=row[0],
                created=row[1],
                door=row[2],
                embed_key=row[3],
                question=row[4],
                standalone=row[5],
                answer=row[6],
                citations=tuple(json.loads(row[7])),
                refused=bool(row[8]),
                mode=row[9],
                timings_ms=json.loads(row[10]),
                config=row[11],
                rating=row[12],
                comment=row[13],
                wrong_citation=row[14],
                rated=row[15],
            )


class LoggedPipeline:
    """A pipeline whose `ask` and `stream` log each answer; everything else passes through."""

    def __init__(
        self, pipeline: Any, answer_log: AnswerLog, door: str, embed_key: str | None = None
    ) -> None:
        self.pipeline = pipeline
        self.answer_log = answer_log
        self.door = door
        self.embed_key = embed_key

    def ask(self, *args: Any, **kwargs: Any) -> Answer:
        answer: Answer = self.pipeline.ask(*args, **kwargs)
        return self.answer_log.record(answer, self.door, self.embed_key)

    def stream(self, *args: Any, **kwargs: Any) -> Iterator[str | Answer]:
        return self.answer_log.logged(
            self.pipeline.stream(*args, **kwargs), self.door, self.embed_key
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pipeline, name)
