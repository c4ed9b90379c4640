"""`rag feedback`: what people thought of the answers, and gold questions made from it.

    rag feedback stats [--json] [--days N]   answers, ratings, refusals, p95 time by door/day
    rag feedback export --gold FILE          rated answers as gold JSON Lines for `rag eval`
    rag feedback show ANSWER_ID              one logged answer with its rating

How a rated answer becomes a gold item (the gold format of `evals/gold.py`):

- 👍 on an answer → an answerable item: its (standalone) question, the cited articles as
  `article_ids`, the quoted words of the citations as suggested `answers`. A citation the
  person marked as wrong is left out.
- 👍 on a refusal → an unanswerable item (refusing was right).
- 👎 on an answer → an item marked for review (`review: "wrong-answer"`) with the comment;
  nobody has said yet what the right answer is.
- 👎 on a refusal → a "should have answered" candidate (`review: "should-have-answered"`),
  answerable, with the articles the refusal did mention as hints.

Every item carries `origin`: the answer id, front door, date, rating, comment, the answer
that was given and the configuration hash. `rag eval` runs the scored items and counts the
items marked for review without scoring them, until a person fills in `answers` and
`article_ids` and removes `review`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rag.answerlog import LoggedAnswer
from rag.errors import BadInputError

WRONG_ANSWER = "wrong-answer"
SHOULD_HAVE_ANSWERED = "should-have-answered"


def _origin(row: LoggedAnswer) -> dict[str, Any]:
    origin: dict[str, Any] = {
        "answer_id": row.id,
        "door": row.door,
        "date": row.day,
        "rating": row.rating,
        "config": row.config,
        "mode": row.mode,
        "answer": row.answer,
    }
    if row.embed_key:
        origin["embed_key"] = row.embed_key
    if row.comment:
        origin["comment"] = row.comment
    if row.wrong_citation is not None:
        origin["wrong_citation"] = row.wrong_citation
    if row.standalone:
        origin["asked"] = row.question
    return origin


def _distinct(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v and v.strip()))


def gold_item(row: LoggedAnswer) -> dict[str, Any] | None:
    """The gold record a rated answer becomes (None for an unrated one)."""
    if row.rating not in ("up", "down"):
        return None
    citations = [c for c in row.citations if c.get("n") != row.wrong_citation]
    articles = _distinct(str(c.get("article_id", "")) for c in citations)
    quotes = _distinct(" ".join(str(c.get("quote", "")).split()) for c in citations)
    record: dict[str, Any] = {
        "id": f"feedback-{row.id}",
        "question": row.standalone or row.question,
        "answers": [],
        "article_ids": [],
        "answerable": True,
        "type": "factoid",
    }
    if row.rating == "up" and row.refused:
        record.update(answerable=False, type="unanswerable")
    elif row.rating == "up" and articles and quotes:
        record.update(answers=quotes, article_ids=articles)
    elif row.rating == "up":  # an answer without usable citations: a person must look
        record["review"] = WRONG_ANSWER
    elif row.refused:
        record.update(review=SHOULD_HAVE_ANSWERED, article_ids=articles)
    else:
        record["review"] = WRONG_ANSWER
    record["origin"] = _origin(row)
    return record


def gold_items(rows: Sequence[LoggedAnswer]) -> list[dict[str, Any]]:
    """Gold records for every rated answer, one per question (the latest rating wins)."""
    latest: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: r.rated or ""):
        record = gold_item(row)
        if record is not None:
            latest[" ".join(record["question"].lower().split())] = record
    return list(latest.values())


def write_gold(records: Sequence[dict[str, Any]], path: Path) -> int:
    """Write the records as JSON Lines; BadInputError when there is nothing to write."""
    if not records:
        raise BadInputError("no rated answers in the log yet: nothing to export")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise BadInputError(f"cannot write {path}: {exc.strerror}") from None
    return len(records)


# -- text for people ---------------------------------------------------------------------------


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} ms"


def stats_text(body: dict[str, Any]) -> str:
    """`rag feedback stats` as a small table."""
    header = f"{'':<12}{'answers':>8}{'up':>6}{'down':>6}{'refused':>9}{'p95 time':>11}"

    def line(label: str, part: dict[str, Any]) -> str:
        return (
            f"{label:<12}{part['answers']:>8}{part['up']:>6}{part['down']:>6}"
            f"{_rate(part['refusal_rate']):>9}{_ms(part['p95_ms']):>11}"
        )

    lines = [header, line("all", body)]
    if body["by_door"]:
        lines += ["", "by front door"]
        lines += [line(door, part) for door, part in body["by_door"].items()]
    if body["by_day"]:
        lines += ["", "by day"]
        lines += [line(part["day"], part) for part in body["by_day"]]
    return "\n".join(lines)


def show_text(row: LoggedAnswer) -> str:
    """`rag feedback show`: one logged answer, its citations and its rating, as plain text."""
    door = f"{row.door} ({row.embed_key})" if row.embed_key else row.door
    lines = [
        f"answer {row.id}",
        f"time      {row.created}  via {door}  mode {row.mode}  config {row.config}",
        f"question  {row.question}",
    ]
    if row.standalone:
        lines.append(f"understood {row.standalone}")
    lines += [f"refused   {'yes' if row.refused else 'no'}", "", row.answer]
    for citation in row.citations:
        quote = " ".join(str(citation.get("quote", "")).split())
        lines.append(
            f"[{citation.get('n')}] {citation.get('chunk_id')} "
            f"{citation.get('char_start')}:{citation.get('char_end')}  “{quote}”"
        )
    total = row.timings_ms.get("total")
    lines += ["", f"time to answer {_ms(total)}"]
    if row.rating:
        lines.append(f"rating    {row.rating} ({row.rated})")
        if row.wrong_citation is not None:
            lines.append(f"wrong citation [{row.wrong_citation}]")
        if row.comment:
            lines.append(f"comment   {row.comment}")
    else:
        lines.append("rating    none")
    return "\n".join(lines)


# -- the command -------------------------------------------------------------------------------


def main(args: Any, settings: Any) -> int:
    """`rag feedback stats|export|show` (argparse namespace from rag/cli.py)."""
    from rag.answerlog import AnswerLog
    from rag.answerlog_stats import stats

    answer_log = AnswerLog(settings)
    if args.action == "stats":
        body = stats(answer_log.points(since_days=args.days))
        body["log"] = str(answer_log.path)
        if args.json:
            print(json.dumps(body, ensure_ascii=False))
        else:
            print(stats_text(body))
        return 0
    if args.action == "show":
        print(show_text(answer_log.get(args.answer_id)))
        return 0
    records = gold_items(answer_log.rated())
    count = write_gold(records, Path(args.gold))
    review = sum("review" in r for r in records)
    print(
        f"wrote {count} gold item{'' if count == 1 else 's'} to {args.gold} "
        f"({count - review} scored, {review} marked for review)"
    )
    return 0
