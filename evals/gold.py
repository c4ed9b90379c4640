"""Gold Q&A sets: the JSON Lines format, its loader and validator, and importers.

One question per line:

    {"id": "q001", "question": "What did Kallas say about Article 5?",
     "answers": ["would not lead to invocation", "Article 5"],
     "article_ids": ["us-red-lines-ukraine-2024-11-22"], "answerable": true, "type": "quote"}

`answers` are accepted answer strings (aliases); `article_ids` are the articles that
support the answer (empty when unanswerable); a `follow-up` carries `context`, the
earlier user questions of the same conversation, asked first. Items made from people's
ratings (`rag feedback export`) also carry `origin` (answer id, front door, date, rating,
comment); those still waiting for a person carry `review` ("wrong-answer",
"should-have-answered"), may lack `answers`/`article_ids`, and are counted, not scored, by
`rag eval` until someone fills them in and removes `review`. Importers turn SQuAD-style
JSON and a simple `question,answer,source` CSV into this format
(`python -m evals.importers`, see evals/README.md).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import BadInputError

TYPES = (
    "factoid",
    "quote",
    "date",
    "multi-sentence",
    "follow-up",
    "unanswerable",
    "near-miss",
    "recency",  # asks for the newest news ("What is the latest on …?"): the newest article
    "date-range",  # asked with `since`/`until` bounds: only articles published in range
    "paraphrase",  # answerable, reworded so it shares few words with its article
)
UNANSWERABLE_TYPES = ("unanswerable", "near-miss")
REQUIRED = ("id", "question", "answers", "article_ids", "answerable", "type")


@dataclass(frozen=True, slots=True)
class GoldItem:
    """One gold question with what counts as a right answer and where it is supported."""

    id: str
    question: str
    answers: tuple[str, ...]
    article_ids: tuple[str, ...]
    answerable: bool
    type: str
    context: tuple[str, ...] = field(default_factory=tuple)
    # Generated sets (evals/nearmiss.py): the question a variant was made from (`SET:ID`)
    # and how it was changed (`entity`, `number`…; `original` for the question itself).
    original: str | None = None
    variant: str | None = None
    since: str | None = None  # ISO date bounds the question is asked with (date-range)
    until: str | None = None
    review: str | None = None  # why a person must look at it first; not scored until then
    origin: dict[str, Any] | None = None  # where a feedback item came from

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "question": self.question,
            "answers": list(self.answers),
            "article_ids": list(self.article_ids),
            "answerable": self.answerable,
            "type": self.type,
        }
        if self.context:
            body["context"] = list(self.context)
        if self.original is not None:
            body["original"] = self.original
        if self.variant is not None:
            body["variant"] = self.variant
        for bound in ("since", "until"):
            if getattr(self, bound):
                body[bound] = getattr(self, bound)
        if self.review:
            body["review"] = self.review
        if self.origin:
            body["origin"] = self.origin
        return body


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def validate_record(record: Any) -> list[str]:
    """What is wrong with one gold record (empty when it is valid)."""
    if not isinstance(record, dict):
        return ["not a JSON object"]
    problems = [f"missing field {name!r}" for name in REQUIRED if name not in record]
    if problems:
        return problems
    if not isinstance(record["id"], str) or not record["id"].strip():
        problems.append("'id' must be a non-empty string")
    if not isinstance(record["question"], str) or not record["question"].strip():
        problems.append("'question' must be a non-empty string")
    if not _strings(record["answers"]):
        problems.append("'answers' must be a list of non-empty strings")
    if not _strings(record["article_ids"]):
        problems.append("'article_ids' must be a list of non-empty strings")
    if not isinstance(record["answerable"], bool):
        problems.append("'answerable' must be true or false")
    kind = record["type"]
    if kind not in TYPES:
        problems.append(f"'type' must be one of {', '.join(TYPES)}; got {kind!r}")
    review = record.get("review")
    if review is not None and (not isinstance(review, str) or not review.strip()):
        problems.append("'review' must be a non-empty string saying why")
    if "origin" in record and not isinstance(record["origin"], dict):
        problems.append("'origin' must be an object")
    if problems or review is not None:
        return problems  # an item for review may lack answers and articles
    if record["answerable"]:
        if kind in UNANSWERABLE_TYPES:
            problems.append(f"type {kind!r} must have answerable false")
        if not record["answers"]:
            problems.append("an answerable question needs at least one answer")
        if not record["article_ids"]:
            problems.append("an answerable question needs the article_ids that support it")
    elif record["article_ids"]:
        problems.append("an unanswerable question has no supporting article_ids")
    context = record.get("context")
    if kind == "follow-up":
        if not _strings(context) or not context:
            problems.append("a follow-up needs 'context': the earlier questions, asked first")
    elif context is not None:
        problems.append("'context' is only for type follow-up")
    for bound in ("since", "until"):
        value = record.get(bound)
        if value is not None and not (
            isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)
        ):
            problems.append(f"'{bound}' must be a date as YYYY-MM-DD")
    if kind == "date-range" and not (record.get("since") or record.get("until")):
        problems.append("a date-range question needs 'since' and/or 'until'")
    return problems


def item_from_record(record: dict[str, Any]) -> GoldItem:
    return GoldItem(
        id=record["id"],
        question=record["question"].strip(),
        answers=tuple(record["answers"]),
        article_ids=tuple(record["article_ids"]),
        answerable=record["answerable"],
        type=record["type"],
        context=tuple(record.get("context") or ()),
        original=record.get("original") if isinstance(record.get("original"), str) else None,
        variant=record.get("variant") if isinstance(record.get("variant"), str) else None,
        since=record.get("since"),
        until=record.get("until"),
        review=record.get("review"),
        origin=record.get("origin"),
    )


def load_gold(path: Path | str) -> list[GoldItem]:
    """Read and validate a gold JSONL file; a bad line raises BadInputError naming it."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BadInputError(f"cannot read gold set {path}: {exc.strerror}") from None
    items: list[GoldItem] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInputError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        problems = validate_record(record)
        if problems:
            raise BadInputError(f"{path}:{number}: {problems[0]}")
        if record["id"] in seen:
            raise BadInputError(f"{path}:{number}: duplicate id {record['id']!r}")
        seen.add(record["id"])
        items.append(item_from_record(record))
    if not items:
        raise BadInputError(f"gold set {path} has no questions")
    return items


def write_gold(items: Iterable[GoldItem], path: Path | str) -> int:
    """Write gold items as JSON Lines; returns how many."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for item in items:
            out.write(json.dumps(item.to_json(), ensure_ascii=False) + "\n")
            count += 1
    return count


# -- importers ------------------------------------------------------------------------------


def slug(text: str) -> str:
    """A file-name-safe id from a title: lower case, words joined by hyphens."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words)[:60] or "article"


def import_squad(path: Path | str, articles_out: Path | None = None) -> list[GoldItem]:
    """SQuAD 1.1/2.0 JSON → gold items; one article per paragraph (`{title-slug}-p{n}`).

    With `articles_out`, each paragraph's context is written there as `{article_id}.txt`
    (title on the first line), so `rag ingest ARTICLES_OUT` gives exactly those ids.
    SQuAD 2.0's `is_impossible` questions become `unanswerable` (their
    `plausible_answers` are not counted as answers).
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInputError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise BadInputError(f"{path}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise BadInputError(f"{path}: not SQuAD-style JSON (expected a top-level 'data' list)")
    items: list[GoldItem] = []
    used: set[str] = set()
    for document in data["data"]:
        title = str(document.get("title") or "untitled")
        for n, paragraph in enumerate(document.get("paragraphs") or []):
            article_id = f"{slug(title)}-p{n}"
            context = str(paragraph.get("context") or "")
            if articles_out is not None and context:
                articles_out.mkdir(parents=True, exist_ok=True)
                heading = title.replace("_", " ")
                (articles_out / f"{article_id}.txt").write_text(
                    f"{heading}\n\n{context}\n", encoding="utf-8"
                )
            for qa in paragraph.get("qas") or []:
                question = str(qa.get("question") or "").strip()
                if not question:
                    continue
                qid = str(qa.get("id") or f"{article_id}-q{len(items)}")
                if qid in used:
                    qid = f"{qid}-{len(items)}"
                used.add(qid)
                answers = list(
                    dict.fromkeys(
                        str(a.get("text", "")).strip()
                        for a in qa.get("answers") or []
                        if str(a.get("text", "")).strip()
                    )
                )
                impossible = bool(qa.get("is_impossible")) or not answers
                items.append(
                    GoldItem(
                        id=qid,
                        question=question,
                        answers=() if impossible else tuple(answers),
                        article_ids=() if impossible else (article_id,),
                        answerable=not impossible,
                        type="unanswerable" if impossible else "factoid",
                    )
                )
    if not items:
        raise BadInputError(f"{path}: no questions found")
    return items


def article_id_for_source(source: str, corpus_root: str = "corpus") -> str:
    """The article id a CSV `source` names: a path loses its corpus folder and extension."""
    source = source.strip()
    if re.match(r"^[a-z]+://", source):
        return source
    parts = Path(source).with_suffix("").as_posix()
    root = corpus_root.strip("/")
    if root and parts.startswith(root + "/"):
        parts = parts[len(root) + 1 :]
    return parts.lstrip("./")


def import_csv(
    path: Path | str, corpus_root: str = "corpus", id_prefix: str = "csv"
) -> list[GoldItem]:
    """`question,answer,source` CSV (header row required) → gold items.

    `answer` may hold several aliases separated by `|`; `source` several articles
    separated by `;` or `|` (paths such as `corpus/lee/lee-017.txt`, or article ids).
    An empty answer means the question is unanswerable.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise BadInputError(f"cannot read {path}: {exc.strerror}") from None
    reader = csv.DictReader(text.splitlines())
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "question" not in fields or "answer" not in fields:
        raise BadInputError(f"{path}: the CSV needs a header row with question,answer,source")
    items: list[GoldItem] = []
    for line, row in enumerate(reader, start=2):
        row = {str(k).strip().lower(): (v or "").strip() for k, v in row.items() if k}
        question = row.get("question", "")
        if not question:
            continue
        answers = tuple(a.strip() for a in row.get("answer", "").split("|") if a.strip())
        sources = [s for s in re.split(r"[;|]", row.get("source", "")) if s.strip()]
        article_ids = tuple(dict.fromkeys(article_id_for_source(s, corpus_root) for s in sources))
        answerable = bool(answers)
        if answerable and not article_ids:
            raise BadInputError(f"{path}:{line}: an answered question needs a source")
        items.append(
            GoldItem(
                id=f"{id_prefix}-{line - 1:04d}",
                question=question,
                answers=answers,
                article_ids=article_ids if answerable else (),
                answerable=answerable,
                type="factoid" if answerable else "unanswerable",
            )
        )
    if not items:
        raise BadInputError(f"{path}: no questions found")
    return items


def type_counts(items: Sequence[GoldItem]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item.type] = counts.get(item.type, 0) + 1
    return counts
