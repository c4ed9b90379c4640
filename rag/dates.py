"""Publication dates: one normal form, a day number to filter on, and date-range bounds.

`published` is kept as ISO 8601: the date (`2024-11-22`), followed by the time and zone
when the source gives them (`2024-11-22T09:30:00Z`, `2024-11-22T09:30:00+01:00`, or a
time without a zone when the source has none). The first ten characters are always the
date. Chroma's `where` compares numbers only, so each chunk also stores `published_day`,
the days since 1970-01-01 of that date; the keyword index keeps the same number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from rag.errors import BadInputError

EPOCH = date(1970, 1, 1)
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_HAS_TIME = re.compile(r"\d{1,2}:\d{2}")
_STRICT_BOUND = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _with_time(moment: datetime) -> str:
    text = moment.replace(microsecond=0).isoformat()
    if moment.tzinfo is not None and moment.utcoffset() == timedelta(0):
        text = text[: -len("+00:00")] + "Z"
    return text


def normalise_published(value: Any) -> str | None:
    """The normal form of a publication date from a date, a datetime or a string in a
    common format (ISO, RFC 822 as feeds write it, "Friday, November 22, 2024"), or None.

    A time (and its zone) is kept only when the source gives one: a bare date, or a
    datetime at exactly midnight without a zone, stays a date.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None and value.time() == datetime.min.time():
            return value.date().isoformat()
        return _with_time(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if not re.search(r"\d{4}", text):
        return None
    from dateutil import parser as dateparser

    try:
        parsed: datetime = dateparser.parse(text, fuzzy=False)
    except (ValueError, OverflowError):
        return None
    if not 1 <= parsed.year <= 9999:
        return None
    if not _HAS_TIME.search(text):
        return parsed.date().isoformat()
    return _with_time(parsed)


def day_of(published: str | None) -> date | None:
    """The calendar date of a stored `published` value (its first ten characters)."""
    if not published:
        return None
    match = _ISO_DAY.match(published)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def day_number(published: str | date | None) -> int | None:
    """Days since 1970-01-01 of a date or a stored `published` value, or None."""
    day = published if isinstance(published, date) else day_of(published)
    return None if day is None else (day - EPOCH).days


def from_day_number(number: int) -> date:
    return EPOCH + timedelta(days=number)


def parse_bound(value: str | date | None, name: str) -> date | None:
    """A `since`/`until` bound: an ISO date YYYY-MM-DD, or None; anything else is bad input."""
    if value is None:
        return None
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    if not _STRICT_BOUND.match(text):
        raise BadInputError(f"{name} must be a date as YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInputError(f"{name} is not a real date: {value!r}") from None


@dataclass(frozen=True, slots=True)
class DateRange:
    """Inclusive bounds on articles' `published` date; undated articles fall outside any
    range that has a bound."""

    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise BadInputError(
                f"since ({self.since.isoformat()}) is after until ({self.until.isoformat()})"
            )

    @classmethod
    def parse(cls, since: str | date | None, until: str | date | None) -> DateRange:
        """Bounds from user input (CLI flags, API fields); raises BadInputError."""
        return cls(parse_bound(since, "since"), parse_bound(until, "until"))

    @property
    def bounded(self) -> bool:
        return self.since is not None or self.until is not None

    @property
    def since_day(self) -> int | None:
        return day_number(self.since)

    @property
    def until_day(self) -> int | None:
        return day_number(self.until)

    def describe(self) -> str:
        """'between 2024-11-01 and 2024-11-30', 'since 2024-11-01' or 'until 2024-11-30'."""
        if self.since and self.until:
            return f"between {self.since.isoformat()} and {self.until.isoformat()}"
        if self.since:
            return f"since {self.since.isoformat()}"
        if self.until:
            return f"until {self.until.isoformat()}"
        return "at any date"

    def contains(self, published: str | None) -> bool:
        if not self.bounded:
            return True
        day = day_of(published)
        if day is None:
            return False
        return (self.since is None or day >= self.since) and (
            self.until is None or day <= self.until
        )

    def chroma_where(self) -> dict[str, Any] | None:
        """The Chroma `where` clause for this range (on the chunks' `published_day`)."""
        clauses: list[dict[str, Any]] = []
        if self.since is not None:
            clauses.append({"published_day": {"$gte": self.since_day}})
        if self.until is not None:
            clauses.append({"published_day": {"$lte": self.until_day}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def today_utc() -> date:
    return datetime.now(UTC).date()
