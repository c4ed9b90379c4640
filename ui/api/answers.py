"""Between the routes and the pipeline: questions checked, answers made fit to show.

An answer leaves the API with each citation's `source` as a URL or a path below the folder
that was ingested (`corpus/lee/lee-017.txt`), never a server's absolute path: ingest stores
sources that way, and `public_source` shortens the absolute paths an older index holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import PurePosixPath, PureWindowsPath

from rag.config import Settings
from rag.errors import BadInputError
from rag.types import Answer

_LINE_SUFFIX = re.compile(r":\d+$")  # JSON Lines records: `folder/wire.jsonl:12`
_WINDOWS_ABSOLUTE = re.compile(r"^(?:[A-Za-z]:)?[\\/]")


def check_question(question: str, settings: Settings) -> str:
    """Refuse empty and over-long questions before any work is done (422)."""
    question = question.strip()
    if not question:
        raise BadInputError("the question is empty: send a non-empty 'question'")
    if len(question) > settings.max_question_chars:
        raise BadInputError(
            f"the question is {len(question)} characters long; "
            f"the limit is {settings.max_question_chars} characters"
        )
    return question


def public_source(source: str, article_id: str) -> str:
    """`source` as a client may see it: URLs and relative paths as they are; an absolute
    path cut to the path below the folder ingested, led by that folder's name.

    The article id of a file is its path below the folder ingested without the extension,
    so `/srv/news/corpus/lee/lee-017.txt` with id `lee/lee-017` shows as
    `corpus/lee/lee-017.txt`. When the id does not say (a JSON Lines record), the file's
    name and its folder's are shown: `/srv/news/corpus/wire.jsonl:3` → `corpus/wire.jsonl:3`.
    """
    if "://" in source:
        return source
    match = _LINE_SUFFIX.search(source)
    line = match.group(0) if match else ""
    path = source[: len(source) - len(line)]
    windows = "\\" in path or bool(re.match(r"^[A-Za-z]:", path))
    parts = (PureWindowsPath(path) if windows else PurePosixPath(path)).parts
    absolute = bool(_WINDOWS_ABSOLUTE.match(path))
    if not absolute and ".." not in parts:
        return source
    names = [p for p in parts if p not in ("/", "\\", "..", ".") and not p.endswith((":", ":\\"))]
    below = article_id.split("/")
    keep = 2
    if len(names) > len(below):
        tail = names[-len(below) :]
        tail[-1] = tail[-1].rsplit(".", 1)[0] if "." in tail[-1] else tail[-1]
        if tail == below:
            keep = len(below) + 1
    return "/".join(names[-keep:]) + line


def public_answer(answer: Answer) -> Answer:
    """The answer with every citation's source fit to show (see `public_source`)."""
    citations = tuple(
        replace(c, source=public_source(c.source, c.article_id)) for c in answer.citations
    )
    return replace(answer, citations=citations)


def public_events(events: Iterator[str | Answer]) -> Iterator[str | Answer]:
    """A pipeline's stream with its final Answer made fit to show."""
    for item in events:
        yield public_answer(item) if isinstance(item, Answer) else item


def opened(events: Iterator[str | Answer]) -> Iterator[str | Answer]:
    """Pull the first item now, so errors before any output become proper HTTP statuses;
    the Answer at the end is made fit to show."""
    first = next(events)

    def chained() -> Iterator[str | Answer]:
        yield first
        yield from events

    return public_events(chained())
