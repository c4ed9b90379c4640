"""Normalised numbers, dates and labelled names, so that a question's parts can be found
in a sentence written differently: "three decades" is "30 years", "the 10th century" is
"the 900s", "six" is "6", "$2.5 billion" is 2,500,000,000 — and "Article 6" is not
"Article 5"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag import lexicon


@dataclass(frozen=True, slots=True)
class Quantity:
    """A figure as written and as a value (times its multiplier, in years for time)."""

    text: str
    value: float
    unit: str | None  # "year" for spans of time, the unit word otherwise, None when bare
    is_date: bool = False  # a year such as 1998 (dates are compared as spans, not values)


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    numbers = {w: float(v) for w, v in lexicon.pairs("number_words")}
    ordinals = {w: float(v) for w, v in lexicon.pairs("ordinal_words")}
    time_units = {w: float(v) for w, v in lexicon.pairs("time_units")}
    return numbers, ordinals, time_units


_MULTIPLIERS = {
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    "k": 1e3,
    "m": 1e6,
    "bn": 1e9,
    "tn": 1e12,
}
# Written onto the figure, news style: "$1.13bn" and "3tn" are always amounts; "£6m" and
# "£20k" only after a currency sign ("the 100m final" is a distance, in metres).
_ATTACHED_ALWAYS = frozenset({"bn", "tn"})
_ATTACHED_UNITS = {"m": "metre", "k": "k"}


@lru_cache(maxsize=1)
def _fraction_shares() -> dict[str, float]:
    return {w: float(v) for w, v in lexicon.pairs("fraction_words")}


@lru_cache(maxsize=1)
def _figure() -> re.Pattern[str]:
    numbers, _, _ = _tables()
    spelled = "|".join(sorted({*numbers, *_fraction_shares()}, key=len, reverse=True))
    return re.compile(
        r"(?<![\w.])(?P<cur>[£$€¥]\s?)?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
        rf"|(?:{spelled})(?:-(?:{spelled}))?)"
        r"(?:(?<=\d)(?P<attached>bn|tn|m|k)\b|(?![\w,]))"
        r"(?:\s*(?P<mult>thousand|million|billion|trillion|bn|m)\b)?"
        r"(?:\s+(?P<unit>[a-z]+))?",
        re.IGNORECASE,
    )


def _number(token: str) -> float | None:
    numbers, _, _ = _tables()
    token = token.lower()
    if re.fullmatch(r"[\d,]+(?:\.\d+)?", token):
        return float(token.replace(",", ""))
    if token in numbers:
        return numbers[token]
    if "-" in token:  # "twenty-five"
        parts = [numbers.get(p) for p in token.split("-")]
        if all(p is not None for p in parts) and len(parts) == 2:
            return float(parts[0] or 0) + float(parts[1] or 0)
    return None


_ONE_IN = re.compile(r"\b(?:one|a|1)\s+in\s+(?:every\s+)?(?P<n>[\w,]+)", re.IGNORECASE)


def _shares(text: str) -> tuple[list[Quantity], list[tuple[int, int]]]:
    """The share "one in (every) N" states, in per cent ("one in five" is 20 per cent,
    "one in every hundred" 1 per cent), and where those phrases are."""
    found, spans = [], []
    for match in _ONE_IN.finditer(text):
        n = _number(match.group("n"))
        if n is None and match.group("n").lower() in _MULTIPLIERS:
            n = _MULTIPLIERS[match.group("n").lower()]
        if n is None and match.group("n").lower() == "hundred":
            n = 100.0
        if n is not None and n >= 2:
            found.append(Quantity(match.group(), 100.0 / n, "per"))
            spans.append(match.span())
    return found, spans


def quantities(text: str) -> list[Quantity]:
    """The figures of `text`: digits and number words, with a multiplier ("2.5 billion")
    and a time unit turned into years ("three decades" → 30 years); "one in five" is the
    share 20 (per cent)."""
    _, _, time_units = _tables()
    found, shares = _shares(text)
    for match in _figure().finditer(text):
        if any(start <= match.start() < end for start, end in shares):
            continue
        raw = match.group("num")
        unit = (match.group("unit") or "").lower() or None
        share = _fraction_shares().get(raw.lower())
        if share is not None and raw.lower() != "half":
            # "a third of voters", not "the third time" (an ordinal)
            share = share if _A_BEFORE.search(text[: match.start()]) else None
        if share is not None and not match.group("mult") and unit not in time_units:
            # "roughly half the listeners": a share, the 50% an article may write
            found.append(Quantity(raw, share, "per"))
            continue
        value = _number(raw)
        if value is None:
            continue
        attached = (match.group("attached") or "").lower()
        if attached and (attached in _ATTACHED_ALWAYS or match.group("cur")):
            value *= _MULTIPLIERS[attached]
            raw += match.group("attached")
        elif attached:
            unit = _ATTACHED_UNITS[attached]
            raw += match.group("attached")
        if match.group("mult"):
            value *= _MULTIPLIERS[match.group("mult").lower()]
        is_date = bool(re.fullmatch(r"(1[0-9]|20)\d\d", raw)) and unit not in time_units
        if unit in time_units:
            value *= time_units[unit]
            unit = "year"
        if unit is None and raw.lower() == "one":
            continue  # "one of the…" is seldom a count
        shown = " ".join(
            x
            for x in (
                raw,
                match.group("mult"),
                unit and time_units and match.group("unit") if unit == "year" else None,
            )
            if x
        )
        found.append(Quantity(shown, value, unit, is_date))
    return found


_A_BEFORE = re.compile(r"\b(?:a|one)\s+$", re.IGNORECASE)
_FRACTION_CLOSE = 5.0  # points of a per cent a fraction word allows: "half" is "48%"


def same_quantity(a: Quantity, b: Quantity) -> bool:
    """Whether two figures state the same amount (units must agree when both have one
    that is a span of time). "One in three" is 33% give or take half a point; "half", "a
    third" name a share give or take five."""
    fractions = _fraction_shares()
    loose = a.text.lower() in fractions or b.text.lower() in fractions
    rounded = _ONE_IN.match(a.text) or _ONE_IN.match(b.text)  # "one in three" is 33%
    allowed = (
        _FRACTION_CLOSE
        if loose
        else 0.5
        if rounded
        else 1e-9 * max(abs(a.value), abs(b.value), 1.0)
    )
    if abs(a.value - b.value) > allowed:
        return False
    return not ((a.unit == "year") != (b.unit == "year") and a.unit and b.unit)


_DECADE = re.compile(r"\b(?:the\s+)?(?P<y>\d{2,4})['’]?s\b", re.IGNORECASE)
_CENTURY = re.compile(
    r"\b(?P<n>\d{1,2})(?:st|nd|rd|th)\s+century\b|\b(?P<w>[a-z]+(?:-[a-z]+)?)\s+century\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<![\d,.$])\b(?P<y>1[0-9]\d\d|20\d\d)\b(?!\d|,\d|['’]?s\b)")


def date_spans(text: str) -> list[tuple[int, int]]:
    """Years, decades and centuries of `text` as spans of years: 1998 → (1998, 1998),
    "the 1990s" → (1990, 1999), "the 900s" → (900, 999), "the 10th century" → (900, 999)."""
    _, ordinals, _ = _tables()
    spans = []
    for match in _CENTURY.finditer(text):
        n = (
            int(match.group("n"))
            if match.group("n")
            else int(ordinals.get((match.group("w") or "").lower(), 0))
        )
        if n:
            spans.append(((n - 1) * 100, n * 100 - 1))
    for match in _DECADE.finditer(text):
        year = int(match.group("y"))
        if year % 10:
            continue
        width = 100 if year % 100 == 0 and year < 1000 else 10
        spans.append((year, year + width - 1))
    spans.extend((int(m.group("y")), int(m.group("y"))) for m in _YEAR.finditer(text))
    return spans


def dates_in(text: str) -> list[str]:
    """The date spans of `text` written as keys ("0900-0999"), for display and tests."""
    return [f"{a:04d}-{b:04d}" for a, b in date_spans(text)]


def spans_agree(asked: tuple[int, int], stated: tuple[int, int]) -> bool:
    """Whether a date the question names is what a sentence states: one span holds the
    other ("in the 1990s" is answered by 1995; "in 1995" is not by 1996)."""
    return (asked[0] <= stated[0] and stated[1] <= asked[1]) or (
        stated[0] <= asked[0] and asked[1] <= stated[1]
    )


_LABELLED = re.compile(
    r"\b(?P<label>[A-Z][a-z]+)\s+(?P<num>\d+[A-Za-z]?|[IVX]{1,5})\b(?!\s*(?:%|per ?cent))"
)


def labelled_numbers(text: str) -> list[str]:
    """Names whose number is what distinguishes them: "Article 6", "Flight 370",
    "Section 44", "Game 7" (a capitalised word and a number; years and months aside)."""
    months = lexicon.words("months")
    found = []
    for match in _LABELLED.finditer(text):
        label, num = match.group("label"), match.group("num")
        if label.lower() in months or re.fullmatch(r"(1[0-9]|20)\d\d", num):
            continue
        found.append(f"{label} {num}")
    return found


def has_labelled(text: str, label: str) -> bool:
    """Whether `text` names the labelled thing with the same number ("Article 6"),
    case aside ("article 6")."""
    word, _, num = label.partition(" ")
    return bool(re.search(rf"\b{re.escape(word)}\s+{re.escape(num)}\b", text, re.IGNORECASE))
