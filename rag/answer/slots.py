"""Whether a sentence holds the kind of thing the question asks for: a date for "when",
a count of the right things for "how many", a new name for "who"/"which X", a cause for
"why"."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from rag import lexicon
from rag.answer.equivalents import groups_in
from rag.answer.mentions import head_mentions, mentions
from rag.answer.question import QuestionInfo, question_event, question_focus
from rag.terms import entities, stem, word_spans, words

if TYPE_CHECKING:
    from rag.answer.candidates import Candidate


def _alternation(name: str) -> str:
    return "|".join(sorted((re.escape(w) for w in lexicon.words(name)), key=len, reverse=True))


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    months = "|".join(sorted(lexicon.words("months"), key=len, reverse=True))
    days = "|".join(lexicon.words("weekdays"))
    numbers = "|".join(w for w, _ in lexicon.pairs("number_words"))
    vague = "|".join(lexicon.words("vague_amounts") - {"several", "many", "few"})
    return {
        "date": re.compile(
            rf"\b(\d{{4}}|\d{{1,2}}(:\d{{2}})?\s*(am|pm)|{days}|{months}|"
            r"yesterday|today|tonight|tomorrow|last (week|month|year|night)|"
            r"next (week|month|year)|this (week|month|year|morning|afternoon|evening)|ago|since|"
            r"century|decade|christmas|new year|easter|\d{1,2}(st|nd|rd|th))\b",
            re.IGNORECASE,
        ),
        "day": re.compile(
            rf"\b(?:(?:{months})\s+\d{{1,2}}\b|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{months})|"
            rf"{days}|yesterday|today|tonight|tomorrow|"
            r"last night|this (morning|afternoon|evening)|\d{1,2}(st|nd|rd|th)|christmas|"
            r"new year|easter|\d{1,2}(:\d{2})?\s*(am|pm))",
            re.IGNORECASE,
        ),
        "clock": re.compile(
            r"\b(?:\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}|midnight|noon|"
            r"midday|dawn|dusk|(?:\w+ )?o'clock)",
            re.IGNORECASE,
        ),
        "number": re.compile(
            # "Twenty-eight" is one figure, as "28" is
            # and "6-2", "3-1" (a score) is a figure too, as "£6m" and "$1.13bn" are
            rf"\b(\d[\d,.]*(?:bn|tn|m|k)?(?:-(?:[a-z]+|\d+))*|(?:{numbers})(?:-(?:{numbers}))?|{vague})\b",
            re.IGNORECASE,
        ),
        "era": re.compile(r"\b((1[0-9]|20)\d\d|\d{2,4}s|century|centuries|decades?)\b"),
        "share": re.compile(
            r"\b(what|which) ((is|was|were|are) the )?"
            r"(share|portion|fraction|percentage|proportion)\b"
        ),
        "part": re.compile(
            r"%|\bper ?cent\b|\b(half|third|thirds|quarter|quarters|fifth|tenth|majority)\b",
            re.IGNORECASE,
        ),
        "unit": re.compile(
            rf"(?:\$|%|\b(?:{_alternation('units')})\b)",
            re.IGNORECASE,
        ),
        "reason": re.compile(rf"\b({_alternation('reason_markers')})\b", re.IGNORECASE),
        "source_after": re.compile(
            r"^[\s,]*(?:(?:the\s+)?[A-Z][\w'’.\-]*[\s,]*){0,5}"
            r"(?:says|said|told|added|claims|claimed|warned|believes|according)\b"
        ),
        "source_before": re.compile(r"\b(?:says|said|told|according to)\s+(?:the\s+)?$"),
    }


def in_date(tokens: list[str], i: int) -> bool:
    """Whether the number at `i` is part of a date or a year ("January 2", "in 1998"),
    which does not count anything."""
    token = tokens[i]
    if re.fullmatch(r"(1[89]|20)\d\d", token):
        return True
    if not token.isdigit():
        return False
    neighbours = tokens[max(0, i - 1) : i] + tokens[i + 1 : i + 2]
    return any(t.lower() in lexicon.words("months") for t in neighbours)


def is_amount(sentence: str, span: tuple[int, int]) -> bool:
    """Whether the number word at `span` is money or a share ("$2.5 billion", "80 per cent",
    "12%"): it counts nothing."""
    first, last = span  # widen to the whole figure ("2.5", "60,000")
    while first > 0 and (sentence[first - 1].isdigit() or sentence[first - 1] in ".,"):
        first -= 1
    while last < len(sentence) and (sentence[last].isdigit() or sentence[last] in ".,"):
        last += 1
    after = sentence[last:].lower()
    return sentence[first - 1 : first] in ("$", "£", "€") or bool(
        re.match(r"\s?(%|per ?cent)", after)
    )


def _focus_stem(token: str, focus: str) -> str:
    """The token's stem, or `focus` when the token is a compound ending in it
    ("headstart" for "start")."""
    stemmed = stem(token.lower())
    if len(focus) >= 4 and len(stemmed) > len(focus) + 2 and stemmed.endswith(focus):
        return focus
    return stemmed


def _near(stems: list[str], positions: list[int], target: str, window: int = 5) -> bool:
    return any(
        stems[j] == target
        for i in positions
        for j in range(max(0, i - window), min(len(stems), i + window + 1))
    )


def new_names(
    info: QuestionInfo, sentence: str, people_only: bool, known: frozenset[str] = frozenset()
) -> list[str]:
    """Names in the sentence that the question does not already mention. A lone word
    that starts the sentence counts only when the passage capitalises it elsewhere
    too ("Warne was named man of the match" after "Shane Warne took…")."""
    found = []
    not_person = lexicon.words("not_person")
    first_word = sentence.split(maxsplit=1)[0].strip("“\"'‘") if sentence.split() else ""
    for name in entities(sentence):
        parts = name.split()
        if name.isdigit() or mentions(info.text, name):
            continue
        if len(parts) == 1 and parts[0] == first_word and parts[0] not in known:
            continue  # capitalised only because it starts the sentence
        if people_only:
            # "Employment Minister Tony Abbott": the title is not the person; the name is
            titled = [i for i, p in enumerate(parts) if p.lower().strip("'’s") in not_person]
            if titled:
                parts = parts[titled[-1] + 1 :]
                if not parts:
                    continue
                name = " ".join(parts)
        if info.speaker is None and is_source(info, sentence, name):
            continue
        if country_asked(info) and not any(g.startswith("places:") for g in groups_in(name)):
            continue  # "which country": Birmingham is a city, St Kitts and Nevis a country
        found.append(name)
    return found


_COUNTRY_HEADS = frozenset({stem("country"), stem("nation"), stem("nationality")})


def country_asked(info: QuestionInfo) -> bool:
    """Whether the question asks which country ("which country", "what nationality")."""
    return info.head in _COUNTRY_HEADS


def is_source(info: QuestionInfo, sentence: str, name: str) -> bool:
    """Whether `name` is who the sentence quotes ("Shire president, Ron Grant, says…",
    "…, said Mr Grant"): the source of a report is seldom the person or thing asked
    for, unless the sentence gives them the role the question names ("Privacy
    Commissioner Malcolm Crompton says" for "Who is the Privacy Commissioner?")."""
    at = sentence.find(name)
    if at < 0:
        return False
    before, after = sentence[:at], sentence[at + len(name) :]
    patterns = _patterns()
    if not (patterns["source_after"].match(after) or patterns["source_before"].search(before)):
        return False
    titled = words(name) if info.asks == "person" else []  # "Privacy Commissioner M. Crompton"
    role = {stem(w.lower()) for w in words(before)[-3:] + titled}
    return not role & set(info.stems)


def slot_filled(
    info: QuestionInfo,
    sentence: str,
    question_lower: str,
    known: frozenset[str] = frozenset(),
    alias: Mapping[str, str] | None = None,
) -> float:
    """1.0 when the sentence holds something new of the kind asked for, 0.0 when it holds
    nothing of that kind, 0.5 when unsure or when the question asks for no particular kind;
    1.2 when it stands beside the noun asked for ("69 asylum seekers", "the hotel du Palais").

    For "how many X" the number must stand near X: "vacate their homes" beside
    "hundreds of people" does not count homes; a number with no X in sight is unsure.

    `alias` maps stems of the sentence to the question's stems they mean ("militants" for
    "rebels"): the counted noun and the event are then found by meaning too.
    """
    patterns = _patterns()
    if info.asks == "date":
        found = [
            m.group()
            for m in patterns["date"].finditer(sentence)
            if m.group().lower() not in question_lower
        ]
        if not found:
            return 0.0
        if re.search(r"\bhow (far back|long ago)\b", question_lower):
            # a time long past: a year, a decade or a century, not a day of the week
            return 1.2 if patterns["era"].search(sentence) else 0.5
        if re.search(r"\b(year|decade|century)\b", question_lower):
            return 1.0
        specific = any(
            m.group().lower() not in question_lower for m in patterns["day"].finditer(sentence)
        )
        if re.search(r"\b(what|which) (date|day)s?\b", question_lower):
            return 1.0 if specific else 0.0  # "on what day": 1975 is not a day
        if re.search(r"\bwhat time\b", question_lower):
            # "at what time": a time of day says more than the day
            return 1.2 if patterns["clock"].search(sentence) else (1.0 if specific else 0.5)
        return 1.2 if specific else 1.0  # "when": a day says more than a year
    if info.asks == "number":
        return _count_filled(info, sentence, question_lower, alias or {})
    if info.asks in ("person", "place", "entity"):
        names = new_names(info, sentence, info.asks == "person", known)
        if not names:
            return 0.0
        if info.head is not None:
            tokens = [t.lower() for t in words(sentence)]
            heads = [i for i, t in enumerate(tokens) if stem(t) == info.head]
            for name in names:
                first = name.split()[0].lower()
                if first in tokens and any(abs(tokens.index(first) - i) <= 3 for i in heads):
                    return 1.2
        return 1.0
    if info.asks == "reason":
        return 1.0 if patterns["reason"].search(sentence) else 0.0
    if info.asks == "thing" and info.head is not None:
        # "what operating system will it run": the sentence that names the system
        head = info.head
        return 1.0 if any(_focus_stem(t, head) == head for t in words(sentence)) else 0.5
    return 0.5


# an age as news writes it: "47-year-old", "47 years old", "aged 47", "Ana Bell, 47,"
_AGE = re.compile(
    r"\b\d{1,3}[\s\-‐–]+(?:year|month|week|day)s?[\s\-‐–]+old\b|\baged\s+\d{1,3}\b"
    r"|[A-Z][\w’'\-]+,\s+\d{1,3}(?:,|\s+(?:and|who|said|says|is|was|has|had)\b)"
)


def _count_filled(
    info: QuestionInfo, sentence: str, question_lower: str, alias: Mapping[str, str]
) -> float:
    if re.match(r"\s*how old\b", question_lower):
        # "how old is X": an age, not any number ("at number 31 on the list")
        return 1.0 if _AGE.search(sentence) else 0.0
    patterns = _patterns()
    tokens = words(sentence)
    numbers = [i for i, t in enumerate(tokens) if patterns["number"].fullmatch(t)]
    numbers = [
        i
        for i in numbers
        if tokens[i].lower() not in question_lower.split() and not in_date(tokens, i)
    ]
    if re.search(
        r"\b(?:what|which) (?:was|is|were|will be) the (?:\w+ )?score\b|"
        r"\bby what score\b",
        question_lower,
    ):
        # "what was the score": a result ("6-2 6-2", "3-1") says it; an age or a count less
        return 1.2 if re.search(r"\b\d{1,3}-\d{1,3}\b", sentence) else min(len(numbers), 1) * 0.5
    if patterns["share"].search(question_lower):
        # "what share of …": a percentage or a fraction, not a count
        return 1.2 if patterns["part"].search(sentence) else 0.5
    if re.search(r"\bhow many\b", question_lower):
        # a count: "$2.5 billion" or "1 per cent" counts nothing
        spans = word_spans(sentence)
        amounts = {i for i in numbers if is_amount(sentence, spans[i])}
        amounts |= {i for i in numbers if i - 1 in amounts}  # "$2.5 billion"
        numbers = [i for i in numbers if i not in amounts]
    asking = re.search(r"\b(?:how \w+|what|which|who|when|where|why)\b", question_lower)
    if asking is not None and asking.group() == "how much" and numbers:
        # an amount: money, a share or a measure ("£6m", "12%", "40 km", "5 million");
        # "nine embassies" counts things and measures nothing
        spans = word_spans(sentence)
        numbers = [i for i in numbers if is_amount(sentence, spans[i]) or _measured(tokens, i)]
        if not numbers:
            return 0.5
    if not numbers:
        return 0.0
    done_to = question_event(info.text)
    # "how many were killed": a count of the injured is not the answer
    said = {alias.get(s, s) for s in (stem(t.lower()) for t in tokens)}
    other_event = done_to is not None and not done_to & said
    cap = 0.5 if other_event else 1.2
    focus = question_focus(info.text)
    if focus is None:
        return min(cap, 1.0)
    stems = [alias.get(s, s) for s in (_focus_stem(t, focus) for t in tokens)]
    if focus in stems:
        if any(focus in stems[i + 1 : i + 4] for i in numbers):
            return min(cap, 1.2)  # "69 asylum seekers", "Fourteen homes": a count of them
        near = _near(stems, numbers, focus) or patterns["unit"].search(sentence)
        return min(cap, 1.0 if near or _after_asked_verb(info, tokens, numbers) else 0.0)
    units = {stem(w) for w in lexicon.words("count_units")}
    return min(cap, 1.0 if patterns["unit"].search(sentence) and focus in units else 0.5)


_MAGNITUDES = frozenset({"thousand", "million", "billion", "trillion", "bn", "m", "k"})


def _measured(tokens: list[str], i: int) -> bool:
    """Whether the number at `i` carries a magnitude or a unit ("6m", "5 million",
    "40 km", "a 200-metre lead", "12 per cent")."""
    if re.search(r"\d(?:bn|tn|m|k)$", tokens[i].lower()):
        return True
    unit = _patterns()["unit"].fullmatch(tokens[i].partition("-")[2])
    if unit is not None:  # "a 200-metre headstart"
        return True
    after = " ".join(tokens[i + 1 : i + 3]).lower()
    if after.split()[:1] and after.split()[0] in _MAGNITUDES:
        return True
    unit = _patterns()["unit"].match(after)
    return unit is not None and unit.start() == 0


def _after_asked_verb(info: QuestionInfo, tokens: list[str], numbers: list[int]) -> bool:
    """Whether a number follows the question's own verb ("Hayes scored 131 before…" for
    "how many runs did Hayes score"): the count of the things asked, though they go
    unnamed."""
    asked = {s for s in info.stems if s != question_focus(info.text)}
    return any(stem(tokens[j].lower()) in asked for i in numbers for j in range(max(0, i - 2), i))


def unnamed(info: QuestionInfo, ranked: Sequence[Candidate]) -> bool:
    """Whether the best sentence mentions the thing a "which X"/"name of the X" question
    asks for only indefinitely ("a Melbourne team took out the cup", "a 21-year-old man")
    and no retrieved sentence of its article names it ("… admitted to Mirwais Hospital",
    "the gunman, Robert Wissman,")."""
    best = ranked[0]
    head = info.head
    if head is None or info.asks not in ("person", "place", "entity"):
        return False
    if not re.search(r"[a-z]{3}", head):
        return False  # "6" from "the 6,800 kilogram bomb": no noun to look for
    if not any(indefinite for indefinite, _ in head_mentions(head, best.text)):
        return False
    article = best.hit.chunk.article_id
    return not any(
        named
        for c in ranked
        if c.hit.chunk.article_id == article
        for _, named in head_mentions(head, c.text)
    )


def filler_positions(
    info: QuestionInfo, tokens: Sequence[str], known: frozenset[str] = frozenset()
) -> list[int]:
    """Indexes of `tokens` (a sentence's words) that hold something of the kind asked
    for and new to the question: the figures of "how many/much", the dates of "when",
    the first words of new names for "who/where/which". Empty for other kinds."""
    question_lower = info.text.lower()
    asked = set(question_lower.split())
    if info.asks == "number":
        pattern = _patterns()["number"]
        return [
            i
            for i, t in enumerate(tokens)
            if pattern.fullmatch(t) and t.lower() not in asked and not in_date(list(tokens), i)
        ]
    if info.asks == "date":
        pattern = _patterns()["date"]
        return [i for i, t in enumerate(tokens) if pattern.fullmatch(t) and t.lower() not in asked]
    if info.asks in ("person", "place", "entity"):
        sentence = " ".join(tokens)
        firsts = {n.split()[0] for n in new_names(info, sentence, info.asks == "person", known)}
        return [i for i, t in enumerate(tokens) if t in firsts]
    return []
