"""Recency: questions that ask for the newest news, and answers that name their dates.

Two halves, kept apart so the answerer can call the second without the first:

- Retrieval (`recency_intent`, `prefer_recent`): a question with a cue from
  `rag/lexicon/recency.txt` ("latest", "recent", "this week" …) prefers newer articles.
  Among the retrieved passages that are about the question's subject (they carry most of
  its weighted subject words), the newest article comes first, then the next newest, and
  undated ones last; passages off the subject keep their place after them. A relative
  phrase from `rag/lexicon/recency_windows.txt` ("yesterday", "this week") also bounds
  the articles to that window when any fall in it. "Now" is `Settings.now` (`RAG_NOW`)
  when the operator sets it, else the date of the newest article in the index.
- Answer text (`date_phrase`, `name_the_date`, `resolve_weekday`): the answer to a recency
  question says the date of the article it comes from ("On 26 November 2024, …"), and a
  "when" answer whose sentence only says "on Tuesday" is given the date that Tuesday was,
  counted back from the article's publication date.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from rag import lexicon
from rag.dates import DateRange, day_of
from rag.terms import QUESTION_WORDS, content_stems
from rag.types import Answer, Hit

# A passage is about the question's subject when it carries at least this share of the
# best passage's (IDF-weighted) subject words.
SUBJECT_SHARE = 0.6
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = (
    "January February March April May June July August September October November December"
).split()


@dataclass(frozen=True, slots=True)
class RecencyIntent:
    """What a question asks about time: the cue that made it a recency question, and the
    window of days before "now" it names, if any (nearest, farthest)."""

    cue: str
    window: tuple[int, int] | None = None

    def dates(self, now: date) -> DateRange | None:
        """The date range the window covers, counted back from `now`."""
        if self.window is None:
            return None
        nearest, farthest = self.window
        return DateRange(now - timedelta(days=farthest), now - timedelta(days=nearest))


def _phrase_pattern(phrases: Sequence[str]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    ordered = sorted(phrases, key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(p) for p in ordered) + r")\b", re.IGNORECASE)


_CUES = _phrase_pattern(sorted(lexicon.words("recency")))
_WINDOWS = dict(lexicon.pairs("recency_windows"))
_WINDOW_PATTERN = _phrase_pattern(sorted(_WINDOWS))


def _window(spec: str) -> tuple[int, int]:
    nearest, _, farthest = spec.partition("-")
    return int(nearest), int(farthest or nearest)


def recency_intent(question: str) -> RecencyIntent | None:
    """The recency cue in a question, or None when it does not ask for the newest news."""
    if _CUES is None:
        return None
    cue = _CUES.search(question)
    if cue is None:
        return None
    window = _WINDOW_PATTERN.search(question) if _WINDOW_PATTERN is not None else None
    if window is not None:
        return RecencyIntent(window.group(1).lower(), _window(_WINDOWS[window.group(1).lower()]))
    return RecencyIntent(cue.group(1).lower())


def cue_words() -> frozenset[str]:
    """Every word of every recency cue: not part of what a question is about."""
    return frozenset(w for phrase in lexicon.words("recency") for w in phrase.split())


def subject_stems(question: str) -> list[str]:
    """Stems of what the question is about: content words less question and cue words."""
    return content_stems(question, extra_stop=QUESTION_WORDS | cue_words())


def prefer_recent(
    hits: Sequence[Hit], question: str, idf: Callable[[str], float], k: int
) -> list[Hit]:
    """The hits a recency question is answered from: the passages on its subject from the
    newest article date among them (best first), so the newest article is cited and wins
    over older ones that say otherwise. When no passage on the subject is dated, the hits
    are left as they are."""
    subject = list(dict.fromkeys(subject_stems(question)))
    weights = {s: idf(s) for s in subject}
    total = sum(weights.values())

    def coverage(hit: Hit) -> float:
        if total <= 0:
            return 1.0  # "What is the latest news?": every passage is on the subject
        present = set(content_stems(f"{hit.chunk.title}\n{hit.chunk.text}"))
        return sum(w for s, w in weights.items() if s in present) / total

    covered = [coverage(h) for h in hits]
    best = max(covered, default=0.0)
    dated = [
        (day, h)
        for h, c in zip(hits, covered, strict=True)
        if best > 0 and c >= SUBJECT_SHARE * best and (day := day_of(h.chunk.published))
    ]
    if not dated:
        return list(hits[:k])
    newest = max(day for day, _ in dated)
    return [h for day, h in dated if day == newest][:k]


# -- answer text ----------------------------------------------------------------------------


def date_phrase(published: str | None) -> str | None:
    """'26 November 2024' for a stored `published` value, or None when undated."""
    day = day_of(published)
    if day is None:
        return None
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def name_the_date(answer: Answer, question: str) -> Answer:
    """For a recency question, begin the answer with the date of the article its first
    citation comes from ("On 26 November 2024, …"). Other answers, refusals and answers
    whose first citation is undated are returned unchanged. For the answerer to call on
    the Answer it composed (the citations and their numbers are untouched)."""
    if answer.refused or not answer.citations or recency_intent(question) is None:
        return answer
    phrase = date_phrase(answer.citations[0].published)
    text = answer.answer.lstrip()
    if phrase is None or not text or text.startswith(f"On {phrase}"):
        return answer
    opening = text[0].lower() + text[1:] if _lower_ok(text) else text
    return replace(answer, answer=f"On {phrase}, {opening}")


def _lower_ok(text: str) -> bool:
    """Whether the answer's first word may be lower-cased after "On DATE," (not a name)."""
    first = text.split(" ", 1)[0]
    return first.lower() in {"the", "a", "an", "it", "there", "this", "that", "these", "those"}


_WEEKDAY = re.compile(
    r"\b(?:on|last|this|from|since|until|by)?\s*(" + "|".join(WEEKDAYS) + r")\b", re.I
)
_EXPLICIT = re.compile(
    r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:"
    + "|".join(_MONTHS)
    + r")\b|\b(?:"
    + "|".join(_MONTHS)
    + r")\s+\d{1,2}\b|\b\d{4}-\d{2}-\d{2}\b",
    re.I,
)


def _future(sentence: str) -> bool:
    words = " ".join(sentence.lower().split())
    return any(re.search(rf"\b{re.escape(m)}\b", words) for m in lexicon.words("future_markers"))


def resolve_weekday(sentence: str, published: str | None) -> date | None:
    """The date a bare weekday in a news sentence ("on Tuesday") most likely means: that
    weekday on or before the article's publication day (news reports what happened in the
    past week), or after it when the sentence speaks of the future ("will", "is expected
    to": `rag/lexicon/future_markers.txt`). None when a date stands beside the weekday
    ("Tuesday, 12 November"), the sentence has no weekday, or the article is undated."""
    day = day_of(published)
    match = _WEEKDAY.search(sentence)
    if day is None or match is None:
        return None
    beside = sentence[max(match.start() - 12, 0) : match.end() + 16]
    if _EXPLICIT.search(beside):
        return None  # "Tuesday, 12 November" already says which Tuesday
    target = WEEKDAYS.index(match.group(1).lower())
    if _future(sentence):
        return day + timedelta(days=(target - day.weekday()) % 7 or 7)
    return day - timedelta(days=(day.weekday() - target) % 7)


def date_of_weekday(sentence: str, published: str | None) -> str | None:
    """'Tuesday 26 November 2024' for a sentence that says only "on Tuesday", else None;
    for a "when" answer to add after the quoted sentence."""
    resolved = resolve_weekday(sentence, published)
    if resolved is None:
        return None
    return f"{WEEKDAYS[resolved.weekday()].title()} {date_phrase(resolved.isoformat())}"


_WHEN = re.compile(r"^\s*(when|what day|on what day|which day|what date|on what date)\b", re.I)


def name_weekday_dates(answer: Answer, question: str) -> Answer:
    """For a "when" question, write the date after a bare weekday the answer quotes
    ("on Tuesday" → "on Tuesday (26 November 2024)"), counted back from the publication
    date of the article the sentence is cited from. Other answers are returned unchanged."""
    if answer.refused or not answer.citations or not _WHEN.search(question):
        return answer
    text = answer.answer
    for citation in answer.citations:
        resolved = resolve_weekday(citation.quote, citation.published)
        if resolved is None:
            continue
        phrase = date_phrase(resolved.isoformat())
        match = _WEEKDAY.search(citation.quote)
        if match is None or phrase is None:
            continue
        quoted = text.find(citation.quote)
        if quoted < 0:
            continue  # the answer does not quote this sentence as it stands
        end = quoted + match.end(1)
        if text[end:].startswith(" ("):
            continue  # already dated
        text = f"{text[:end]} ({phrase}){text[end:]}"
    return answer if text == answer.answer else replace(answer, answer=text)


def with_dates(answer: Answer, question: str) -> Answer:
    """Both answer-text changes of this module, for the answerer (or the pipeline) to
    apply to a composed Answer."""
    return name_weekday_dates(name_the_date(answer, question), question)
