"""Figures over the answer log: answers, ratings, refusals and answer time.

What `rag feedback stats` and the chat window's operator page show, computed from the
`Point`s that `AnswerLog.points` reads (`rag/answerlog.py`): overall, by front door and
by day.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation; None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True, slots=True)
class Point:
    """What statistics need of one logged answer (read without its text or citations)."""

    door: str
    day: str
    refused: bool
    rating: str | None
    total_ms: float | None


def _summary(rows: Sequence[Point]) -> dict[str, Any]:
    times = [r.total_ms for r in rows if r.total_ms is not None]
    refused = sum(r.refused for r in rows)
    p95 = percentile(times, 95)
    return {
        "answers": len(rows),
        "up": sum(r.rating == "up" for r in rows),
        "down": sum(r.rating == "down" for r in rows),
        "refused": refused,
        "refusal_rate": round(refused / len(rows), 4) if rows else None,
        "p95_ms": round(p95, 1) if p95 is not None else None,
    }


def stats(rows: Sequence[Point]) -> dict[str, Any]:
    """Answers, ratings, refusal rate and p95 answer time: overall, by front door, by day."""
    doors: dict[str, list[Point]] = {}
    days: dict[str, list[Point]] = {}
    for row in rows:
        doors.setdefault(row.door, []).append(row)
        days.setdefault(row.day, []).append(row)
    return {
        **_summary(rows),
        "by_door": {door: _summary(part) for door, part in sorted(doors.items())},
        "by_day": [{"day": day, **_summary(part)} for day, part in sorted(days.items())],
    }
