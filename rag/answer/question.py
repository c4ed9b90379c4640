"""Question analysis: what a question asks, split into typed parts.

`analyse_question` reads a question once into a `QuestionInfo`: its content words, its
named entities, numbers and dates (normalised, see `normal.py`), the speaker of a
"what did X say about Y" question and its topic Y, the kind of thing asked for (a person,
a place, a number, a date, a reason, a name), the noun a "which X" question asks for, and
the relation verb ("won", "founded", "ruled out"). Later stages ground each part in the
chosen sentence (answerable.py) or refuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag import lexicon
from rag.answer.normal import Quantity, dates_in, labelled_numbers, quantities
from rag.answer.verbs import AUX_WORDS as _AUX_WORDS
from rag.answer.verbs import negated_question, relation_verb
from rag.condense import strip_context
from rag.terms import (
    NAME_WITH_FIGURES,
    QUESTION_WORDS,
    STOPWORDS,
    content_stems,
    entities,
    stem,
    words,
)

ASKED_KINDS = frozenset({"date", "number", "person", "place", "entity", "reason"})
# "thing": "what X …" asks for something its noun X names ("what operating system"); the
# sentence holding X is the likelier answer, but X need not be a name or a figure, so it
# is not a kind whose absence counts against the answer (not in ASKED_KINDS)
_PRONOUNS = frozenset({"he", "she", "they", "it", "him", "her", "them"})
_AUXILIARIES = frozenset(_AUX_WORDS.split("|"))


def _alternation(name: str) -> str:
    return "|".join(sorted((re.escape(w) for w in lexicon.words(name)), key=len, reverse=True))


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    say = _alternation("question_speech_verbs")
    opinion = _alternation("opinion_nouns")
    return {
        "say": re.compile(
            rf"\b(?:what|how)\b.*?\b(?:did|does|has|do|was|is)\s+(?P<who>.+?)\s+(?:{say})\b|"
            r"\baccording to\s+(?P<who2>[^,?]+)|"
            rf"\b(?:what\s+(?:was|is|were|are))\s+(?P<who3>.+?)['’]s?\s+(?:{opinion})",
            re.IGNORECASE,
        ),
        "hedge": re.compile(
            rf"^\s*(?:{_alternation('hedges')})\s+(?=(?:how|what|which|when|who|where|why)\b)",
            re.IGNORECASE,
        ),
        "number_noun": re.compile(
            # "what was the death toll", "what pay rise", "what were the longest jail terms"
            r"\b(what|which) ((is|was|were|are|will be) the )?([a-z]+ ){0,2}"
            rf"({_alternation('number_nouns')})s?\b"
        ),
        "person_noun": re.compile(
            r"^(what|which) (\w+ ){0,2}(is|was|were|are) the name of the (\w+ ){0,2}?"
            rf"({_alternation('person_nouns')}|\d+-year-old)\b"
        ),
        "head": re.compile(
            r"^(?:which|what)\s+(?:(?:is|was|were|are)\s+the\s+name\s+of\s+(?:the|a|an)\s+)?"
            r"(?P<phrase>(?:[\w'’\-]+\s+){0,3}?[\w'’\-]+)(?=\s+(?:"
            + _alternation("question_auxiliaries")
            + r")\b|\s*[?,]|$)"
        ),
        # "who is the federal minister responsible for jobs": the role asked for
        "who_head": re.compile(
            r"^whom?\s+(?:is|was|are|were)\s+(?:the|a|an)\s+"
            r"(?P<phrase>(?:[\w'’\-]+\s+){0,2}?[\w'’\-]+)(?=\s+(?:who|that|which|of|for|in|"
            r"at|on|to|with|from|behind|responsible|[a-z]+ing|[a-z]+ed\s+(?:of|by|with|as|to))\b|"
            r"\s*[?,]|$)"
        ),
        "relation": re.compile(
            rf"\b(?:{_AUX_WORDS})\s+(?:[\w'’\-]+\s+){{0,4}}?(?P<verb>[a-z]+(?:ed|en))\b|"
            r"^\s*(?:who|what|which(?:\s+\w+)?)\s+(?P<verb2>[a-z]+)\b",
        ),
    }


@dataclass(frozen=True, slots=True)
class QuestionInfo:
    """A question read into the parts an answer must ground."""

    text: str  # the question without hedges and appended context
    stems: tuple[str, ...]  # content-word stems (question words aside)
    entities: tuple[str, ...]  # capitalised phrases and figures, as written
    speaker: str | None  # X of "what did X say …"
    asks: str | None  # one of ASKED_KINDS, "thing", or None
    context_stems: tuple[str, ...] = ()  # from an earlier turn: they steer, weigh less
    head: str | None = None  # stem of the noun "which X" asks for ("hotel")
    topic: tuple[str, ...] = ()  # stems of Y in "what did X say about Y"
    topic_text: str = ""  # Y as written
    labelled: tuple[str, ...] = ()  # "Article 6", "Flight 370": a name whose number matters
    quantities: tuple[Quantity, ...] = ()  # numbers with their units, normalised
    dates: tuple[str, ...] = ()  # years, decades and centuries, normalised ("0900s")
    relation: str | None = None  # stem of the verb that relates the parts ("won")
    speaker_required: bool = False  # "what did X say" (True), "according to X" (False)
    negated: bool = False  # "Who did not win…": an affirmative sentence does not answer it

    @property
    def names(self) -> tuple[str, ...]:
        """Named entities other than the speaker and bare figures."""
        return tuple(
            e
            for e in self.entities
            if not (self.speaker and e in self.speaker)
            and not e.isdigit()
            and not any(e in label for label in self.labelled)
        )

    @property
    def role_names(self) -> tuple[str, ...]:
        """Names in the speaker's description other than the speaker's own: "Ford" in
        "Ford security chief Jabril Rajoub" (the story must name them too)."""
        if not self.speaker:
            return ()
        name = speaker_name(self.speaker)
        return tuple(
            e
            for e in self.entities
            if e in self.speaker and e not in name and name not in e and not e.isdigit()
        )


_OFFICE_OF = re.compile(
    r"^(?P<office>(?:[A-Za-z]+\s+){0,2}[A-Za-z]+)\s+of\s+(?:the\s+)?(?P<rest>.+)$"
)


def _office_holder(name: str) -> str:
    """The organisation or place of "CEO of Bombardier", "President of France": an office
    is not a name, and the article may write it otherwise ("Bombardier's chief
    executive"). Other names with "of" stay whole ("Bank of England")."""
    match = _OFFICE_OF.match(name)
    titles = lexicon.words("titles")
    if match and all(w.lower() in titles for w in match.group("office").split()):
        return match.group("rest")
    return name


def analyse_question(question: str) -> QuestionInfo:
    """Read a question into its parts (see the module docstring)."""
    question, context = strip_context(question)
    question = _patterns()["hedge"].sub("", question)
    hedges = lexicon.words("hedges")
    stems = tuple(dict.fromkeys(content_stems(question, extra_stop=QUESTION_WORDS | hedges)))
    context_stems = tuple(
        s
        for s in dict.fromkeys(content_stems(context, extra_stop=QUESTION_WORDS))
        if s not in stems
    )
    names = tuple(
        dict.fromkeys(
            _office_holder(e.strip("-‐–"))
            for e in entities(question)
            if (
                len(re.sub(r"[^A-Za-z]", "", e)) > 1
                or e.isdigit()
                or NAME_WITH_FIGURES.fullmatch(e)
            )
            and not _capitalised_by_position(e, question)
        )
    )
    speaker, speaker_required = _speaker(question)
    topic: tuple[str, ...] = ()
    topic_text = ""
    if speaker is not None:
        speaker_stems = set(content_stems(speaker))
        topic = tuple(s for s in stems if s not in speaker_stems)
        about = re.search(r"\b(?:about|on|of|regarding|over)\s+(?P<y>[^?]+)", question)
        topic_text = about.group("y").strip() if about else ""
    lowered = _bare(question.lower().strip())
    labelled = tuple(labelled_numbers(question))
    asks = asked_kind(lowered)
    head = question_head(lowered) if asks in ("person", "entity", "place", None) else None
    second = lowered.split()[1] if len(lowered.split()) > 1 else ""
    if asks is None and head is not None and speaker is None and second not in _AUXILIARIES:
        asks = "thing"  # "what operating system will it run": a thing named by its noun
    return QuestionInfo(
        text=question,
        stems=stems,
        entities=names,
        speaker=speaker,
        asks=asks,
        context_stems=context_stems,
        head=head,
        topic=topic,
        topic_text=topic_text,
        labelled=labelled,
        quantities=tuple(
            q for q in quantities(question) if _required(q, question, names, labelled)
        ),
        dates=tuple(dates_in(question)),
        relation=relation_verb(question, speaker),
        speaker_required=speaker_required,
        negated=negated_question(question),
    )


def _required(q: Quantity, question: str, names: tuple[str, ...], labels: tuple[str, ...]) -> bool:
    """Whether a figure of the question must be found in the article: not a year (dates
    are compared as spans), not part of a name ("Zeus Two", "Article 6"), and not the
    count of the thing asked for ("Which two yachts…")."""
    first = q.text.split()[0]
    named = [n for n in (*labels, *names) if not re.fullmatch(r"[\d,.]+", n)]  # not "40"
    if q.is_date or any(first in name for name in named):
        return False
    return not re.search(rf"\b(?:which|what)\s+{re.escape(first)}\b", question, re.IGNORECASE)


def _speaker(question: str) -> tuple[str | None, bool]:
    """X of "what did X say…" (the speaker must be grounded), or of "according to X"
    (only the source of the figure asked: it steers, it is not required)."""
    match = _patterns()["say"].search(question)
    if not match:
        return None, False
    who = match.group("who") or match.group("who2") or match.group("who3") or ""
    who = re.sub(r"^(the|a|an)\s+", "", who.strip(), flags=re.IGNORECASE)
    who = re.sub(r"['’]s$", "", who)
    if not who or who.lower() in _PRONOUNS or "," in who or len(who.split()) > 8:
        # "How big is the bill according to Immigration, and which claim…": no speaker
        return None, False
    return who, match.group("who2") is None


def speaker_name(speaker: str) -> str:
    """The name in a speaker described with a role: "former UN weapons inspector Richard
    Butler" → "Richard Butler"; the whole description when it ends in no name. The
    organisation a possessive puts before the name is its role too: "Acme Mills' Jo
    Brand" → "Jo Brand"."""
    run = re.search(r"(?:[A-Z][\w'’.\-]*\s+)*[A-Z][\w'’.\-]*$", speaker)
    if run is None:
        return speaker
    name = run.group().strip()
    owner = re.match(r"^(?:[A-Z][\w.\-]*\s+)*[A-Z][\w.\-]*(?:['’]s?)\s+(?=[A-Z])", name)
    if owner is not None:
        name = name[owner.end() :]
    words_ = name.split()
    while len(words_) > 1 and words_[0].lower() in lexicon.words("not_person"):
        words_ = words_[1:]
    return " ".join(words_)


def _capitalised_by_position(name: str, question: str) -> bool:
    """A single word that starts the question ("Near which island…", "Roughly…") is
    capitalised because it comes first, not because it is a name."""
    return " " not in name and question.lstrip(" \"'“‘(").startswith(name + " ")


def _bare(lowered: str) -> str:
    """The question from its question word on: leading "and", "according to the report,"
    and a preposition before the question word ("For how long…") dropped."""
    lowered = re.sub(r"^(and|so|but|also|then)\s+", "", lowered)
    # a leading phrase before the question word: "by the report's account, what time…",
    # "after the storm passed, how many…"
    lowered = re.sub(r"^[^,?]+,\s*(?=(how|what|which|when|who|where|why)\b)", "", lowered)
    return re.sub(
        r"^(for|in|by|of|at|on|to|from|until|since|under|with|among|between|through|"
        r"against|after|before|over|into|about|during)\s+(?=(how|what|which|when|whom)\b)",
        "",
        lowered,
    )


def asked_kind(lowered: str) -> str | None:
    """The kind of thing a (lower-cased, bare) question asks for, or None."""
    patterns = _patterns()
    if re.match(r"^(when|what (year|date|day|month|time))\b", lowered) or re.search(
        r"\b(what|which) (year|date|day|month)s?\b|\b(since|until|till) when\b", lowered
    ):
        return "date"
    if re.match(r"^how (far back|long ago)\b", lowered):
        return "date"  # "how far back…": a time, not a distance
    if re.match(
        r"^(how (many|much|long|far|old|big|large|tall|high|heavy|fast|strong|powerful|"
        r"deep|wide|severe|hot|cold|often))\b",
        lowered,
    ) or patterns["number_noun"].search(lowered):
        return "number"
    if re.match(r"^(who|whom|whose)\b", lowered) or patterns["person_noun"].match(lowered):
        return "person"
    if re.match(r"^where\b", lowered):
        return "place"
    if re.match(r"^(why|what (caused|started|sparked|triggered|prompted|led to))\b", lowered):
        return "reason"
    if (
        (re.search(r"\b(name|named|called)\b", lowered) and re.match(r"^(what|which)\b", lowered))
        or re.match(r"^what (nationality|country|city|town|state|company|team|party)\b", lowered)
        or re.match(
            r"^which (?!kind|type|sort|species|form|happened|did|does|do|was|were|is|are|has|have|"
            r"will|would|can|could)\w+",
            lowered,
        )
    ):
        return "entity"
    return None


def question_head(lowered: str) -> str | None:
    """The stem of the noun that "which X …" or "what is the name of the X …" asks for:
    "which paris hotel did…" gives "hotel", "what was the name of the gunman…" "gunman"."""
    match = _patterns()["head"].match(lowered) or _patterns()["who_head"].match(lowered)
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
    if lowered.startswith("what") and (head.endswith("ed") or head in _AUXILIARIES):
        return None  # "what happened", "what caused it": a verb, not a noun asked for
    return stem(head)


def question_focus(question: str) -> str | None:
    """The stem of the noun a "how many/much" question counts ("homes" in "How many homes…")."""
    match = re.search(
        rf"\bhow (?:many|much)\s+(?P<phrase>(?:[a-z\-']+\s+){{0,4}}?)(?=(?:{_AUX_WORDS})\b)",
        question.strip(),
        re.IGNORECASE,
    )
    if not match or not match.group("phrase").strip():
        # "how many times quicker than …": no verb within reach, the counted noun is
        # the word straight after "how many" when it is plural
        bare = re.search(r"\bhow many\s+(?P<noun>[a-z]+s)\b", question, re.IGNORECASE)
        if bare is None:
            return None
        noun = bare.group("noun").lower()
    else:
        noun = match.group("phrase").split()[-1].lower()
    if noun in QUESTION_WORDS or noun in STOPWORDS:
        return None
    return stem(noun)


_EVENT = re.compile(
    r"\bhow (?:many|much)\b(?:(?!\band\b|\bhow\b)[^?])*?"
    r"\b(?:were|was|have been|has been|had been|will be|got)\s+"
    r"(?P<verb>[a-z]+(?:ed|en)|hurt|lost|shot|hit|built|sold|held|paid|spent|found|left|"
    r"cut|sent|brought|caught|bought|struck|kept|made|taken)\b",
    re.IGNORECASE,
)


def question_event(question: str) -> frozenset[str] | None:
    """Stems of what happened to the things a "how many X were killed/arrested…" question
    counts, with the words news uses for it, or None when it names no such event."""
    matches = list(_EVENT.finditer(question))
    if len(matches) != 1 or len(re.findall(r"\bhow (?:many|much)\b", question, re.I)) != 1:
        return None  # several counts asked: any of them may be the one a sentence holds
    verb = matches[0].group("verb").lower()
    group = next((g for g in lexicon.groups("event_groups") if verb in g), frozenset({verb}))
    return frozenset(stem(w) for w in group)


def question_words(question: str) -> list[str]:
    """The question's words, lower-cased (a helper for the other stages)."""
    return [w.lower() for w in words(question)]
