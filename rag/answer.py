"""The offline answerer: pick the sentences that best answer the question from the top
passages, cite each one, or refuse when the support is weak.

Each candidate sentence is scored on: how much of the question's meaningful vocabulary
(IDF-weighted) it and its immediate context cover; whether the question's named
entities appear; semantic similarity to the question (MiniLM, for the best few);
whether it holds the kind of thing asked for (a date for "when", a number for "how
many"); and, for "what did X say about Y", whether it attributes speech to X — also
through "she said" when the sentence before names X. Refusal compares a support score
with a threshold calibrated on the gold set (see evals/README.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from rag.chunk import split_sentences
from rag.condense import NOT_PERSON, strip_context
from rag.embed import Embedder
from rag.terms import (
    QUESTION_WORDS,
    STOPWORDS,
    content_stems,
    entities,
    stem,
    word_spans,
    words,
)
from rag.types import Answer, Citation, Hit
from rag.weights import section

# Calibrated on evals/gold/news.jsonl with `rag eval --calibrate` (see evals/README.md).
REFUSE_BELOW = float(section("answer").get("refuse_below", 0.55))  # fitted: rag eval --fit
MAX_SENTENCES = 3
ADD_SENTENCE_RATIO = 0.8
FOLLOWING_RATIO = 0.6
NEEDED_RATIO = 0.5
OTHER_ARTICLE_RATIO = 0.9
SEMANTIC_POOL = 8
SENTENCE_CACHE = 20_000

_SPEECH = re.compile(
    r"\b(said|says|say|told|tells|telling|claimed|claims|added|adds|argued|argues|stated|"
    r"states|warned|warns|insisted|insists|believes|believed|described|describes|explained|"
    r"explains|announced|announces|according to|urged|urges|suggested|suggests|noted|notes|"
    r"asked|asks|called|calls|wrote|writes|predicted|predicts|admitted|admits|denied|denies|"
    r"confirmed|confirms|signalled|indicated|emphasised|emphasized)\b",
    re.IGNORECASE,
)
_SAY_QUESTION = re.compile(
    r"\b(?:what|how)\b.*?\b(?:did|does|has|do|was|is)\s+(?P<who>.+?)\s+"
    r"(?:say|said|tell|told|claim|think|thinks|argue|warn|believe|describe|explain|announce|"
    r"predict|mean|feel|suggest|add|comment|state|respond|react|reply|assess|view|see|"
    r"characteri[sz]e|defend|justify|promise|admit|deny|insist|urge|call|capture|sum|"
    r"summari[sz]e|express|portray|depict|label|dismiss|welcome|rate|answer|address)\b|"
    r"\baccording to\s+(?P<who2>[^,?]+)|"
    r"\b(?:what\s+(?:was|is|were|are))\s+(?P<who3>.+?)['’]s?\s+"
    r"(?:view|position|stance|opinion|comment|response|reaction|message|warning|argument)",
    re.IGNORECASE,
)
_PRONOUN_SPEAKER = re.compile(
    r"\b(he|she|they|it)\s+(said|says|told|added|claimed|warned)\b|"
    r"\b(said|says|added)\s+(he|she)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(\d{4}|\d{1,2}(:\d{2})?\s*(am|pm)|(mon|tues|wednes|thurs|fri|satur|sun)day|"
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"yesterday|today|tonight|tomorrow|last (week|month|year|night)|next (week|month|year)|"
    r"this (week|month|year|morning|afternoon|evening)|ago|since|century|decade|"
    r"christmas|new year|easter|\d{1,2}(st|nd|rd|th))\b",
    re.IGNORECASE,
)
# Dates that name a day, not just a year ("October 2", "Tuesday", "last night").
_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
)
_DAY = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}}\b|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}|"
    r"(mon|tues|wednes|thurs|fri|satur|sun)day|yesterday|today|tonight|tomorrow|"
    r"last night|this (morning|afternoon|evening)|\d{1,2}(st|nd|rd|th)|christmas|new year|easter|"
    r"\d{1,2}(:\d{2})?\s*(am|pm))",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"\b(\d[\d,.]*(?:-[a-z]+)*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|"
    r"dozen|dozens|hundred|hundreds|thousand|thousands|million|millions|billion|half|"
    r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)\b",
    re.IGNORECASE,
)
_ANAPHOR = re.compile(
    r"^\W*(?i:he|she|they|it|his|her|their|its|this|these|those|"
    r"the (?:[\w-]+ ){0,2}(?:man|woman|boy|girl|men|women|boat|yacht|company|group|team|pair|"
    r"couple|suspect|victim|move|decision|plan|attack|incident))\b(?!,? [A-Z])"
)
_BRACKETED_NUMBER = re.compile(r"\[(\d+)\]")
_REASON = re.compile(
    r"\b(because|after|due to|so that|since|as a result|reason|in order to|following|"
    r"caused|blamed|led to)\b",
    re.IGNORECASE,
)


@dataclass(slots=True)
class Candidate:
    """A sentence of a retrieved passage and its scores."""

    hit: Hit
    hit_rank: int
    start: int  # offsets into the article's clean text
    end: int
    text: str
    context: str  # the sentence before it in the same passage ("" for the first)
    attribution: str = ""  # the last earlier sentence in the passage that names a speaker
    lexical: float = 0.0
    window: float = 0.0
    entity: float = 1.0
    semantic: float = 0.0
    kind: float = 0.0
    speech: float = 0.0
    score: float = 0.0
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QuestionInfo:
    text: str
    stems: tuple[str, ...]
    entities: tuple[str, ...]
    speaker: str | None
    asks: str | None  # "date" | "number" | "person" | "place" | "entity" | "reason" | None
    context_stems: tuple[str, ...] = ()  # from an earlier turn: they steer, weigh less
    head: str | None = None  # stem of the noun a "which X" question asks for ("hotel")
    topic: tuple[str, ...] = ()  # stems of Y in "what did X say about Y"


_PRONOUNS = frozenset({"he", "she", "they", "it", "him", "her", "them"})


# Hedges that say nothing about what is asked ("Roughly how many…", "About when…").
_HEDGE = re.compile(
    r"^\s*(?:roughly|approximately|about|around|exactly|precisely|just|so|and|but|also|then)"
    r"\s+(?=(?:how|what|which|when|who|where|why)\b)",
    re.IGNORECASE,
)
_HEDGE_WORDS = frozenset({"roughly", "approximately", "exactly", "precisely"})


def analyse_question(question: str) -> QuestionInfo:
    question, context = strip_context(question)
    question = _HEDGE.sub("", question)
    lowered = question.lower().strip()
    stems = tuple(dict.fromkeys(content_stems(question, extra_stop=QUESTION_WORDS | _HEDGE_WORDS)))
    context_stems = tuple(
        s
        for s in dict.fromkeys(content_stems(context, extra_stop=QUESTION_WORDS))
        if s not in stems
    )
    names = tuple(dict.fromkeys(e for e in entities(question) if len(e) > 1 or e.isdigit()))
    speaker = None
    match = _SAY_QUESTION.search(question)
    if match:
        who = match.group("who") or match.group("who2") or match.group("who3") or ""
        who = re.sub(r"^(the|a|an)\s+", "", who.strip(), flags=re.IGNORECASE)
        speaker = who if who and who.lower() not in _PRONOUNS else None
    topic: tuple[str, ...] = ()
    if speaker is not None:
        speaker_stems = set(content_stems(speaker))
        topic = tuple(s for s in stems if s not in speaker_stems)
    asks = None
    lowered = re.sub(r"^(and|so|but|also|then)\s+", "", lowered)
    # "According to the UN report, how many…": the question starts after the source
    lowered = re.sub(
        r"^(according to|in|from|under)\s+[^,?]+,\s*(?=(how|what|which|when|who)\b)", "", lowered
    )
    lowered = re.sub(
        r"^(for|in|by|of|at|on|to|from|until|since)\s+(?=(how|what|which|when)\b)", "", lowered
    )
    if re.match(r"^(when|what (year|date|day|month|time))\b", lowered) or re.search(
        r"\b(what|which) (year|date|day|month)\b|\b(since|until|till) when\b", lowered
    ):
        asks = "date"
    elif re.match(
        r"^(how (many|much|long|far|old|big|large|tall|high|heavy|fast|strong|powerful|"
        r"deep|wide|severe|hot|cold|often))\b",
        lowered,
    ) or (
        re.search(
            r"\b(what|which) ((is|was|were|are|will be) the ([a-z]+ ){0,2})?"
            r"(number|percentage|proportion|amount|figure|score|total|age|sum|price|cost|"
            r"fee|fine|margin|toll|tally|rate|size|term|length|distance|height|weight|speed|"
            r"temperature|population|salary|increase|rise|loss|profit|debt|value|budget|"
            r"duration|turnout|attendance|crowd)\b",
            lowered,
        )
    ):
        asks = "number"
    elif re.match(r"^(who|whom|whose)\b", lowered) or re.match(
        r"^(what|which) (\w+ ){0,2}(is|was|were|are) the name of the (\w+ ){0,2}?"
        r"(man|woman|person|boy|girl|gunman|suspect|driver|pilot|victim|player|officer|"
        r"soldier|leader|spokesman|spokeswoman|minister|judge|coach|skipper|captain|"
        r"\d+-year-old)\b",
        lowered,
    ):
        asks = "person"
    elif re.match(r"^where\b", lowered):
        asks = "place"
    elif re.match(r"^(why|what (caused|started|sparked|triggered|prompted|led to))\b", lowered):
        asks = "reason"
    elif (
        (re.search(r"\b(name|named|called)\b", lowered) and re.match(r"^(what|which)\b", lowered))
        or re.match(r"^what (nationality|country|city|town|state|company|team|party)\b", lowered)
        or re.match(
            r"^which (?!kind|type|sort|species|form|happened|did|does|do|was|were|is|are|has|have|"
            r"will|would|can|could)\w+",
            lowered,
        )
    ):
        asks = "entity"
    head = question_head(lowered) if asks in ("person", "entity", "place") else None
    return QuestionInfo(question, stems, names, speaker, asks, context_stems, head, topic)


_AUX = frozenset(
    [
        "is",
        "was",
        "were",
        "are",
        "be",
        "been",
        "did",
        "does",
        "do",
        "has",
        "have",
        "had",
        "will",
        "would",
        "can",
        "could",
        "should",
        "might",
        "may",
        "who",
        "whom",
        "that",
        "which",
        "in",
        "at",
        "on",
        "of",
        "for",
        "from",
        "to",
        "by",
        "with",
        "as",
        "when",
        "where",
        "after",
        "before",
    ]
)
_HEAD = re.compile(
    r"^(?:which|what)\s+(?:(?:is|was|were|are)\s+the\s+name\s+of\s+(?:the|a|an)\s+)?"
    r"(?P<phrase>(?:[\w'’\-]+\s+){0,3}?[\w'’\-]+)(?=\s+(?:"
    + "|".join(sorted(_AUX))
    + r")\b|\s*[?,]|$)"
)


def question_head(lowered: str) -> str | None:
    """The stem of the noun that "which X …" or "what is the name of the X …" asks for:
    "which paris hotel did…" gives "hotel", "what was the name of the gunman…" "gunman"."""
    match = _HEAD.match(lowered)
    if match:
        head = match.group("phrase").split()[-1]
    else:
        # "which company runs the plant…": the noun is the word before the verb, the verb
        # the word before an object's determiner
        following = re.sub(r"^(which|what)\s+", "", lowered).split()[:5]
        before_object = [
            i
            for i in range(1, len(following) - 1)
            if following[i + 1] in ("the", "a", "an", "his", "her", "its", "their", "to")
        ]
        if not before_object or not lowered.startswith(("which", "what")):
            return None
        head = following[before_object[0] - 1]
    if head in STOPWORDS or head in QUESTION_WORDS or head in ("name", "named", "called"):
        return None
    return stem(head)


def _mentions(text: str, name: str) -> bool:
    """Whether `text` mentions `name`, its surname ("Kallas" for "Kaja Kallas"), or, for
    a hyphenated or multi-word name, most of its parts ("Sydney to Hobart").

    A part matches a word of the text exactly, or by stem when that word is capitalised
    too ("Japanese" for "Japan"), never a common word that shares a stem ("marred", "Mars").
    """
    if re.fullmatch(r"[A-Z]{2,5}", name.strip()) and stem(name.strip().lower()) in _acronyms(text):
        return True  # "WA" for "Western Australia"
    lowered = re.sub(r"[-‐–]", " ", text.lower())
    name = re.sub(r"[-‐–]", " ", name.lower().strip())
    if not name:
        return False
    if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", lowered):
        return True
    parts = [p for p in name.split() if len(p) > 2 or p.isdigit()]
    if not parts:
        return False
    exact = {w.lower().removesuffix("'s").removesuffix("’s") for w in words(text)}
    capitalised = {stem(w) for w in words(text) if w[:1].isupper()}
    found = [p in exact or stem(p) in capitalised for p in parts]
    if len(parts) >= 2:
        return found[-1] or sum(found) * 2 >= len(parts) + 1
    return found[0]


_INDEFINITE = frozenset({"a", "an", "another", "one", "some"})
_NAMING = frozenset({"called", "named", "dubbed", "nicknamed", "known"})


def _head_mentions(head: str, text: str) -> list[tuple[bool, bool]]:
    """For each mention of the head noun in `text`: (indefinite, named). Indefinite when
    a/an/another comes just before it ("a Melbourne team"); named when a capitalised word
    stands just after it ("the gunman, Robert Wissman,") or, unless indefinite, just
    before it ("Mirwais Hospital")."""
    tokens = words(text)
    lowered = [t.lower() for t in tokens]

    def capitalised(j: int) -> bool:
        return tokens[j][:1].isupper() and stem(lowered[j]) != head

    found = []
    for i, token in enumerate(lowered):
        if stem(token) != head:
            continue
        indefinite = any(t in _INDEFINITE for t in lowered[max(i - 3, 0) : i])
        following = range(i + 1, min(i + 4, len(tokens)))
        after = any(capitalised(j) or lowered[j] in _NAMING for j in following)
        before = any(capitalised(j) for j in range(max(i - 2, 1), i))
        found.append((indefinite, after or (before and not indefinite)))
    return found


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
    if not any(indefinite for indefinite, _ in _head_mentions(head, best.text)):
        return False
    article = best.hit.chunk.article_id
    return not any(
        named
        for c in ranked
        if c.hit.chunk.article_id == article
        for _, named in _head_mentions(head, c.text)
    )


SLOT_KINDS = frozenset({"date", "number", "person", "place", "entity", "reason"})
SLOT_PENALTY = 0.3
MISSING_PENALTY = 0.45
DIRECT_BONUS = 0.1
QUOTE_RIDE = 0.95
UNNAMED_PENALTY = 0.45
SLOT_POOL = 3


_FOCUS = re.compile(
    r"\bhow (?:many|much)\s+(?P<phrase>(?:[a-z\-']+\s+){0,4}?)"
    r"(?=(?:did|does|do|was|were|is|are|has|have|had|will|would|can|could|should|might|may)\b)",
    re.IGNORECASE,
)
_UNIT_STEMS = frozenset(
    stem(w)
    for w in [
        "money",
        "dollars",
        "cost",
        "price",
        "percent",
        "hours",
        "days",
        "weeks",
        "months",
        "years",
        "metres",
        "kilometres",
        "tonnes",
        "time",
    ]
)
_UNIT = re.compile(
    r"\$|\b(per ?cent|%|dollars?|million|billion|thousand|hundred|tonnes?|"
    r"kilometres?|km|metres?|hours?|days?|weeks?|months?|years?)\b",
    re.I,
)


_EVENT = re.compile(
    r"\bhow (?:many|much)\b(?:(?!\band\b|\bhow\b)[^?])*?"
    r"\b(?:were|was|have been|has been|had been|will be|got)\s+"
    r"(?P<verb>[a-z]+(?:ed|en)|hurt|lost|shot|hit|built|sold|held|paid|spent|found|left|"
    r"cut|sent|brought|caught|bought|struck|kept|made|taken)\b",
    re.IGNORECASE,
)
# What news writes for the same event: "killed" is also "dead", "died", "deaths".
_EVENT_WORDS = [
    {
        "killed",
        "dead",
        "died",
        "die",
        "dies",
        "death",
        "deaths",
        "fatalities",
        "lives",
        "bodies",
        "toll",
        "perished",
        "fatal",
    },
    {
        "hurt",
        "injured",
        "injuries",
        "injury",
        "wounded",
        "wounds",
        "hospital",
        "hospitalised",
        "casualties",
    },
    {"arrested", "arrests", "arrest", "detained", "custody", "charged", "held", "caught"},
    {"destroyed", "razed", "lost", "burnt", "burned", "gutted", "damaged", "flattened"},
    {"evacuated", "evacuation", "evacuate", "fled", "vacate", "vacated", "homeless"},
    {"rescued", "rescue", "saved", "pulled", "winched", "recovered", "found"},
    {"missing", "unaccounted"},
]


def question_event(question: str) -> frozenset[str] | None:
    """Stems of what happened to the things a "how many X were killed/arrested…" question
    counts, with the words news uses for it, or None when it names no such event."""
    matches = list(_EVENT.finditer(question))
    if len(matches) != 1 or len(re.findall(r"\bhow (?:many|much)\b", question, re.I)) != 1:
        return None  # several counts asked: any of them may be the one a sentence holds
    match = matches[0]
    verb = match.group("verb").lower()
    group = next((g for g in _EVENT_WORDS if verb in g), {verb})
    return frozenset(stem(w) for w in group)


def question_focus(question: str) -> str | None:
    """The stem of the noun a "how many/much" question counts ("homes" in "How many homes…")."""
    match = _FOCUS.search(question.strip())
    if not match or not match.group("phrase").strip():
        return None
    noun = match.group("phrase").split()[-1].lower()
    if noun in QUESTION_WORDS or noun in STOPWORDS:
        return None
    return stem(noun)


_MONTHS = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    ]
)


def _in_date(tokens: list[str], i: int) -> bool:
    """Whether the number at `i` is part of a date or a year ("January 2", "in 1998"),
    which does not count anything."""
    token = tokens[i]
    if re.fullmatch(r"(1[89]|20)\d\d", token):
        return True
    if not token.isdigit():
        return False
    neighbours = tokens[max(0, i - 1) : i] + tokens[i + 1 : i + 2]
    return any(t.lower() in _MONTHS for t in neighbours)


_CAPITALISED_RUN = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:of\s+)?[A-Z][a-z]+)+")


def _acronyms(text: str) -> set[str]:
    """Lower-case initials of the text's multi-word names, as stems: "Western Australia"
    gives "wa", "Australian Workers Union" "awu", "United Nations" "un"."""
    out = set()
    for match in _CAPITALISED_RUN.finditer(text):
        parts = [w for w in match.group().split() if w != "of"]
        for size in range(2, min(len(parts), 4) + 1):
            for begin in range(len(parts) - size + 1):
                out.add(stem("".join(w[0] for w in parts[begin : begin + size]).lower()))
    return out


def _is_amount(sentence: str, span: tuple[int, int]) -> bool:
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


# Nouns news uses for the same things counted ("60,000 bank staff" for "how many employees").
_COUNTED_ALIKE = [
    frozenset(stem(w) for w in group.split())
    for group in [
        "employees staff workers personnel employee worker",
        "troops soldiers servicemen personnel forces marines commandos",
        "homes houses properties dwellings residences",
        "people persons residents",
        "children kids youngsters",
        "police officers policemen",
        "boats vessels ships",
        "cars vehicles",
        "planes aircraft jets",
        "jobs positions",
    ]
]


def _focus_stem(token: str, focus: str) -> str:
    """The token's stem, or `focus` when the token is a compound ending in it ("headstart"
    for "start") or a word news uses for the same things ("staff" for "employees")."""
    stemmed = stem(token.lower())
    if len(focus) >= 4 and len(stemmed) > len(focus) + 2 and stemmed.endswith(focus):
        return focus
    if any(stemmed in group and focus in group for group in _COUNTED_ALIKE):
        return focus
    return stemmed


def _near(stems: list[str], positions: list[int], target: str, window: int = 5) -> bool:
    return any(
        stems[j] == target
        for i in positions
        for j in range(max(0, i - window), min(len(stems), i + window + 1))
    )


_MID_SENTENCE_CAPITAL = re.compile(r"(?<=[a-z,;] )[A-Z][a-z'’\-]+")


def names_in(passage: str) -> frozenset[str]:
    """Words capitalised in the middle of a sentence of `passage`: names, not words that
    are capitalised because they start a sentence."""
    return frozenset(m.group() for m in _MID_SENTENCE_CAPITAL.finditer(passage))


def _new_names(
    info: QuestionInfo, sentence: str, people_only: bool, known: frozenset[str] = frozenset()
) -> list[str]:
    """Names in the sentence that the question does not already mention. A lone word
    that starts the sentence counts only when the passage capitalises it elsewhere
    too ("Warne was named man of the match" after "Shane Warne took…")."""
    found = []
    first_word = sentence.split(maxsplit=1)[0].strip("“\"'‘") if sentence.split() else ""
    for name in entities(sentence):
        if name.isdigit() or _mentions(info.text, name):
            continue
        parts = name.split()
        if len(parts) == 1 and parts[0] == first_word and parts[0] not in known:
            continue  # capitalised only because it starts the sentence
        if people_only and any(p.lower().strip("'’s") in NOT_PERSON for p in parts):
            continue
        if info.speaker is None and _is_source(info, sentence, name):
            continue
        found.append(name)
    return found


_SOURCE_AFTER = re.compile(
    r"^[\s,]*(?:(?:the\s+)?[A-Z][\w'’.\-]*[\s,]*){0,5}"
    r"(?:says|said|told|added|claims|claimed|warned|believes|according)\b"
)
_SOURCE_BEFORE = re.compile(r"\b(?:says|said|told|according to)\s+(?:the\s+)?$")


def _is_source(info: QuestionInfo, sentence: str, name: str) -> bool:
    """Whether `name` is who the sentence quotes ("Shire president, Ron Grant, says…",
    "…, said Mr Grant"): the source of a report is seldom the person or thing asked
    for, unless the sentence gives them the role the question names ("Privacy
    Commissioner Malcolm Crompton says" for "Who is the Privacy Commissioner?")."""
    at = sentence.find(name)
    if at < 0:
        return False
    before, after = sentence[:at], sentence[at + len(name) :]
    if not (_SOURCE_AFTER.match(after) or _SOURCE_BEFORE.search(before)):
        return False
    titled = words(name) if info.asks == "person" else []  # "Privacy Commissioner M. Crompton"
    role = {stem(w.lower()) for w in words(before)[-3:] + titled}
    return not role & set(info.stems)


def slot_filled(
    info: QuestionInfo, sentence: str, question_lower: str, known: frozenset[str] = frozenset()
) -> float:
    """1.0 when the sentence holds something new of the kind asked for, 0.0 when it holds
    nothing of that kind, 0.5 when unsure or when the question asks for no particular kind.

    For "how many X" the number must stand near X: "vacate their homes" beside
    "hundreds of people" does not count homes; a number with no X in sight is unsure.
    """
    if info.asks == "date":
        found = [
            m.group() for m in _DATE.finditer(sentence) if m.group().lower() not in question_lower
        ]
        if not found:
            return 0.0
        if re.search(r"\b(year|decade|century)\b", question_lower):
            return 1.0
        specific = any(m.group().lower() not in question_lower for m in _DAY.finditer(sentence))
        if re.search(r"\b(what|which) (date|day)\b", question_lower):
            return 1.0 if specific else 0.0  # "on what day": 1975 is not a day
        return 1.2 if specific else 1.0  # "when": a day says more than a year

    if info.asks == "number":
        tokens = words(sentence)
        numbers = [i for i, t in enumerate(tokens) if _NUMBER.fullmatch(t)]
        numbers = [
            i
            for i in numbers
            if tokens[i].lower() not in question_lower.split() and not _in_date(tokens, i)
        ]
        if re.search(r"\bhow many\b", question_lower):
            # a count: "$2.5 billion" or "1 per cent" counts nothing
            spans = word_spans(sentence)
            amounts = {i for i in numbers if _is_amount(sentence, spans[i])}
            amounts |= {i for i in numbers if i - 1 in amounts}  # "$2.5 billion"
            numbers = [i for i in numbers if i not in amounts]
        if not numbers:
            return 0.0
        done_to = question_event(info.text)
        if done_to is not None and not done_to & {stem(t.lower()) for t in tokens}:
            cap = 0.5  # "how many were killed": a count of the injured is not the answer
        else:
            cap = 1.2
        focus = question_focus(info.text)
        if focus is None:
            return min(cap, 1.0)
        stems = [_focus_stem(t, focus) for t in tokens]
        if focus in stems:
            if any(focus in stems[i + 1 : i + 4] for i in numbers):
                return min(cap, 1.2)  # "69 asylum seekers", "Fourteen homes": a count of them
            near = _near(stems, numbers, focus) or _UNIT.search(sentence)
            return min(cap, 1.0 if near else 0.0)
        return min(cap, 1.0 if _UNIT.search(sentence) and focus in _UNIT_STEMS else 0.5)
    if info.asks in ("person", "place", "entity"):
        names = _new_names(info, sentence, info.asks == "person", known)
        if not names:
            return 0.0
        if info.head is not None:
            # A name beside the noun asked for ("the hotel du Palais", "Bumblebee 5's
            # skipper") is the answer more surely than any other name.
            tokens = [t.lower() for t in words(sentence)]
            heads = [i for i, t in enumerate(tokens) if stem(t) == info.head]
            for name in names:
                first = name.split()[0].lower()
                if first in tokens and any(abs(tokens.index(first) - i) <= 3 for i in heads):
                    return 1.2
        return 1.0
    if info.asks == "reason":
        return 1.0 if _REASON.search(sentence) else 0.0
    return 0.5


class ExtractiveAnswerer:
    """Composes a short cited answer from retrieved passages, without a language model."""

    def __init__(
        self,
        embedder: Embedder,
        idf: Callable[[str], float],
        refuse_below: float = REFUSE_BELOW,
    ) -> None:
        self.embedder = embedder
        self.idf = idf
        self.refuse_below = refuse_below
        self._vectors: dict[str, np.ndarray] = {}

    # -- scoring -------------------------------------------------------------------------

    def sentence_vectors(self, texts: list[str]) -> np.ndarray:
        """Embed sentences, remembering recent ones (a conversation revisits its articles)."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        fresh: dict[str, np.ndarray] = {}
        if missing:
            fresh = dict(zip(missing, self.embedder.embed(missing), strict=True))
            self._vectors.update(fresh)
            while len(self._vectors) > SENTENCE_CACHE:  # oldest first
                self._vectors.pop(next(iter(self._vectors)), None)
        return np.stack([fresh[t] if t in fresh else self._vectors[t] for t in texts])

    def candidates(self, hits: Sequence[Hit]) -> list[Candidate]:
        seen: set[tuple[str, int]] = set()
        out: list[Candidate] = []
        for rank, hit in enumerate(hits):
            chunk = hit.chunk
            previous = ""
            attribution = ""  # the last sentence that named someone speaking
            for span in split_sentences(chunk.text, offset=chunk.char_start):
                key = (chunk.article_id, span.start)
                text = chunk.text[span.start - chunk.char_start : span.end - chunk.char_start]
                if key not in seen:
                    seen.add(key)
                    out.append(
                        Candidate(hit, rank, span.start, span.end, text, previous, attribution)
                    )
                previous = text
                if _SPEECH.search(text) and not _PRONOUN_SPEAKER.search(text):
                    attribution = text
        return out

    def _coverage(self, question_stems: Sequence[str], text_stems: set[str]) -> float:
        """IDF-weighted share of the question's stems the text has. A stem counts too when
        it ends a longer word of the text ("quake" in "earthquake"), or when the text spells
        out an acronym of the question ("WA" for "Western Australia", see `_acronyms`)."""
        if not question_stems:
            return 0.0
        total = sum(self.idf(s) for s in question_stems)
        found = sum(
            self.idf(s)
            for s in question_stems
            if s in text_stems
            or (len(s) >= 4 and any(len(t) > len(s) + 2 and t.endswith(s) for t in text_stems))
        )
        return found / total if total else 0.0

    def score(
        self, info: QuestionInfo, candidates: list[Candidate], query_vector: np.ndarray
    ) -> None:
        question_lower = info.text.lower()
        known: dict[str, frozenset[str]] = {}
        for c in candidates:
            sentence_stems = set(content_stems(c.text)) | _acronyms(c.text)
            context_stems = (
                sentence_stems
                | set(content_stems(c.context))
                | _acronyms(c.context)
                | set(content_stems(c.hit.chunk.title))
            )
            c.lexical = self._coverage(info.stems, sentence_stems)
            c.window = self._coverage(info.stems, context_stems)
            if info.context_stems:
                steer = self._coverage(info.context_stems, context_stems)
                c.window = (2 * c.window + steer) / 3
            window_text = f"{c.hit.chunk.title} {c.context} {c.text}"
            passage_text = f"{c.hit.chunk.title} {c.hit.chunk.text}"
            names = [
                e
                for e in info.entities
                if not (info.speaker and e in info.speaker) and not e.isdigit()
            ]
            if names:
                in_window = sum(_mentions(window_text, e) for e in names)
                in_passage = sum(_mentions(passage_text, e) for e in names)
                c.entity = (0.6 * in_window + 0.4 * in_passage) / len(names)
            chunk = c.hit.chunk
            if chunk.chunk_id not in known:
                known[chunk.chunk_id] = names_in(chunk.text)
            c.kind = slot_filled(info, c.text, question_lower, known[chunk.chunk_id])
            if info.speaker:
                speaks = bool(_SPEECH.search(c.text)) or c.text.lstrip().startswith(("“", '"'))
                named_here = _mentions(c.text, info.speaker)
                named_before = (
                    _mentions(c.context, info.speaker) or _mentions(c.attribution, info.speaker)
                ) and bool(
                    _PRONOUN_SPEAKER.search(c.text) or c.text.lstrip().startswith(("“", '"'))
                )
                c.speech = (
                    1.0
                    if speaks and (named_here or named_before)
                    else (0.4 if named_here or named_before else 0.0)
                )
                if c.speech and re.search(r"[“\"]", c.text):
                    c.speech += 0.2  # the person's own words
            rank_prior = 1.0 / (1.0 + c.hit_rank)
            c.score = 0.45 * c.lexical + 0.25 * c.window + 0.15 * c.entity + 0.05 * rank_prior
            c.score += 0.15 * c.kind
            if info.speaker:
                # what X said *about Y*: of X's sentences, the one on the topic
                c.score += 0.3 * c.speech + 0.25 * self._coverage(info.topic, sentence_stems)
        # Semantic similarity for the most promising few (embedding every sentence is slow).
        pool = sorted(candidates, key=lambda c: -c.score)[:SEMANTIC_POOL]
        if pool:
            vectors = self.sentence_vectors([c.text for c in pool])
            for c, similarity in zip(pool, vectors @ query_vector, strict=True):
                c.semantic = float(similarity)
                c.score += 0.35 * c.semantic
        if info.speaker:
            # X's own words follow the sentence that introduces them ("Skipper Ingvall says
            # his start tactics are easy. 'Don't break and don't collide…'"): the quote
            # is as relevant as its introduction.
            by_end = {(c.hit.chunk.chunk_id, c.end): c for c in candidates}
            for c in candidates:
                if c.speech < 1.2:
                    continue
                intro = next(
                    (
                        by_end[(c.hit.chunk.chunk_id, end)]
                        for end in range(c.start - 1, c.start - 4, -1)
                        if (c.hit.chunk.chunk_id, end) in by_end
                    ),
                    None,
                )
                if intro is not None and intro.speech >= 0.4:  # it names X
                    c.score = max(c.score, QUOTE_RIDE * intro.score)

    def support(self, info: QuestionInfo, ranked: Sequence[Candidate]) -> float:
        """How well the best sentences answer the question, on a 0–1-ish scale.

        When the question asks for a kind of thing (a date, a number, a name), only a
        sentence that holds one can carry full support; the best of the top few does.
        """

        def of(c: Candidate) -> float:
            value = 0.35 * c.window + 0.2 * c.lexical + 0.25 * c.entity
            value += 0.3 * max(c.semantic, 0.0)
            if info.speaker:
                value += 0.1 * (min(c.speech, 1.0) - 0.5)
            if c.kind > 1.0:
                value += DIRECT_BONUS  # "69 asylum seekers", "the hotel du Palais"
            return value

        if info.asks in SLOT_KINDS:
            filled = [of(c) for c in ranked[:SLOT_POOL] if c.kind >= 1.0]
            if unnamed(info, ranked) and not any(c.kind > 1.0 for c in ranked[:SLOT_POOL]):
                # The best sentence speaks of "a gunman" and names none: the article
                # does not know the name, and a name elsewhere is somebody else's.
                return min([of(ranked[0]), *filled]) - UNNAMED_PENALTY
            if filled:
                return max(filled)
            return of(ranked[0]) - (SLOT_PENALTY if info.asks == "reason" else MISSING_PENALTY)
        return of(ranked[0])

    # -- composing -----------------------------------------------------------------------

    def answer(
        self,
        question: str,
        hits: Sequence[Hit],
        query_vector: np.ndarray,
        standalone: str | None = None,
    ) -> Answer:
        info = analyse_question(standalone or question)
        candidates = self.candidates(hits)
        if not candidates:
            return refusal(question, standalone)
        self.score(info, candidates, query_vector)
        ranked = sorted(candidates, key=lambda c: -c.score)
        if self.support(info, ranked) < self.refuse_below:
            return refusal(question, standalone)
        return compose(question, self.select(info, ranked), standalone)

    def select(self, info: QuestionInfo, ranked: Sequence[Candidate]) -> list[Candidate]:
        """The best sentence, the one after it when it carries on (news leads restate the
        question; the detail or the quote usually follows), and close runners-up."""
        best = ranked[0]
        chosen = [best]
        same = [c for c in ranked[1:] if c.hit.chunk.article_id == best.hit.chunk.article_id]
        # What the question asks for must be in the answer when the article has it: the
        # person's own words for "what did X say", the date/number/name for the others.
        if info.speaker and best.speech < 1.2:
            quote = next((c for c in same if c.speech >= 1.2), None)
            if quote is not None and quote.score >= NEEDED_RATIO * best.score:
                chosen.append(quote)
        if info.asks in SLOT_KINDS:
            slots = [
                c
                for c in same
                if c.kind >= max(best.kind, 0.99) + 0.01
                and c not in chosen
                and c.score >= NEEDED_RATIO * best.score
            ]
            if slots:  # the surest filler of the slot first, then the best scored
                chosen.append(max(slots, key=lambda c: (c.kind, c.score)))
        following = _adjacent(ranked, best, after=True)
        if (
            following is not None
            and following not in chosen
            and following.score >= FOLLOWING_RATIO * best.score
        ):
            chosen.append(following)
        if _ANAPHOR.match(best.text):
            # "The Ian Murray-skippered boat appears to have clinched the title": who or
            # what it is was said in the sentence before.
            before = _adjacent(ranked, best, after=False)
            if before is not None and before not in chosen and len(chosen) < MAX_SENTENCES:
                chosen.insert(1, before)
        for c in ranked[1:]:
            if len(chosen) >= MAX_SENTENCES or c.score < ADD_SENTENCE_RATIO * best.score:
                break
            if c in chosen or any(_overlaps(c, other) for other in chosen):
                continue
            same_article = c.hit.chunk.article_id == best.hit.chunk.article_id
            if not same_article and c.score < OTHER_ARTICLE_RATIO * best.score:
                continue
            chosen.append(c)
        return chosen


def _adjacent(ranked: Sequence[Candidate], c: Candidate, after: bool) -> Candidate | None:
    """The sentence of the same article just after (or before) `c`, if it was retrieved."""
    for other in ranked:
        if other.hit.chunk.article_id != c.hit.chunk.article_id:
            continue
        gap = other.start - c.end if after else c.start - other.end
        if 0 < gap <= 3:
            return other
    return None


def _overlaps(a: Candidate, b: Candidate) -> bool:
    same = a.hit.chunk.article_id == b.hit.chunk.article_id
    return same and a.start < b.end and b.start < a.end


def refusal(question: str, standalone: str | None = None) -> Answer:
    topic = (standalone or question).strip().rstrip("?")
    return Answer(
        question=question,
        answer=f"The indexed articles don't say. I found nothing that answers: “{topic}?”",
        citations=(),
        refused=True,
        mode="extractive",
        condensed_question=standalone,
    )


def compose(question: str, chosen: Sequence[Candidate], standalone: str | None) -> Answer:
    """Number the chosen sentences in reading order; adjacent ones share one citation."""
    ordered = sorted(chosen, key=lambda c: (-_best_rank(c, chosen), c.start))
    groups: list[list[Candidate]] = []
    for c in ordered:
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and last.hit.chunk.chunk_id == c.hit.chunk.chunk_id
            and 0 <= c.start - last.end <= 3
        ):
            groups[-1].append(c)
        else:
            groups.append([c])
    parts: list[str] = []
    citations: list[Citation] = []
    for n, group in enumerate(groups, start=1):
        first, last = group[0], group[-1]
        chunk = first.hit.chunk
        quote = chunk.text[first.start - chunk.char_start : last.end - chunk.char_start]
        text = " ".join(" ".join(c.text.split()) for c in group)
        # A bracketed number in the article ("4 billion [3]") would read as a citation
        # marker; in the answer text it becomes "(3)". The quote stays verbatim.
        text = _BRACKETED_NUMBER.sub(r"(\1)", text)
        parts.append(f"{text} [{n}]")
        citations.append(
            Citation(
                n=n,
                chunk_id=chunk.chunk_id,
                article_id=chunk.article_id,
                title=chunk.title,
                published=chunk.published,
                source=chunk.source,
                quote=quote,
                char_start=first.start,
                char_end=first.start + len(quote),
                score=max(c.score for c in group),
                verified=True,
            )
        )
    return Answer(
        question=question,
        answer=" ".join(parts),
        citations=tuple(citations),
        refused=False,
        mode="extractive",
        condensed_question=standalone,
    )


def _best_rank(c: Candidate, chosen: Sequence[Candidate]) -> float:
    """Group sentences by article, articles in order of their best sentence."""
    return max(o.score for o in chosen if o.hit.chunk.article_id == c.hit.chunk.article_id)
