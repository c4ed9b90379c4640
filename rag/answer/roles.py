"""Which party of a question's verb stands on which side of it in a sentence.

"Why is A suing B?" against "B is suing A": `roles_swapped` finds the question's verb in
the sentence and which side of it each name stands on; `roles_agree` the same way round.
`question_verb` gives the verb of such a question as written, which answerable.py looks
for beside the best sentences; `reversed_roles` reads a question asking for its verb's
subject against a passive sentence ("Who shot the guards?" / "he was shot by two
guards"). Split from `rag.answer.relation` and `rag.answer.answerable`, which gather these
with their other checks.
"""

from __future__ import annotations

import re
from functools import cache

from rag import lexicon
from rag.answer.mentions import mentions
from rag.terms import STOPWORDS, content_stems, entities, stem, words

_AUXILIARIES = frozenset(
    "did does do will would can could is are was were has have had should may might must".split()
)
_BE = frozenset("is are was were be been being".split())
# where a clause's subject may start: a relative or reported clause inside the sentence
_CLAUSE_START = re.compile(r"[;:]|,\s|\b(?:that|who|which|whom|while|whereas|but|and)\b")


@cache
def _demonyms() -> frozenset[str]:
    return frozenset(a for a, _ in lexicon.pairs("demonyms"))


def _adjective(word: str) -> bool:
    """A word for a country's people or things ("Iranian", "American"): it describes a
    noun that follows, it is not the subject itself."""
    return word in _demonyms() or word.endswith(("ian", "ese", "ish", "ern"))


@cache
def _not_verbs() -> frozenset[str]:
    return lexicon.words("titles") | lexicon.words("person_nouns")


@cache
def _bases() -> dict[str, str]:
    return dict(lexicon.pairs("irregular_verbs"))


def verb_stem(word: str) -> str:
    """A verb's stem with its irregular forms brought to the base ("sued" and "sues" alike,
    "won" as "win")."""
    lower = word.lower()
    return stem(_bases().get(lower, lower)).rstrip("e")


def _question_roles(question: str) -> tuple[str, str | None, tuple[str, ...]] | None:
    """The question's verb (as a stem), its subject (None when the question asks for it:
    "Who sued …") and the names after the verb; None when the question is not of the forms
    "wh… AUX Name verb …" or "Who/Which X verb-ed …", or is passive."""
    tokens = words(question)
    lower = [t.lower() for t in tokens]
    if not tokens or any(t in _BE for t in lower[1:]) and " by " in question:
        return None
    text_after = question
    verb: str | None = None
    subject: str | None = None
    for i, t in enumerate(lower[:-2]):
        if t not in _AUXILIARIES or i == 0:
            continue
        # "… will China supply …", "… is Hewlett Packard suing …", "… did Foster's reject …"
        j = i + 1
        if lower[j] == "the":
            j += 1
        k = j
        while k < len(tokens) and tokens[k][:1].isupper():
            k += 1
        if k == j or k >= len(tokens) or lower[k] in STOPWORDS or not tokens[k].isalpha():
            return None
        if lower[k] in _not_verbs():
            return None  # "did Deutsche Bank economist Tevfik Aksoy say": a title, not a verb
        if k + 1 < len(tokens) and tokens[k + 1][:1].islower() and lower[k + 1] not in STOPWORDS:
            return None  # "does the oil exporter sell": "oil" starts a noun phrase
        run = lower[j:k]
        if any(t.endswith(("'s", "’s")) for t in run[:-1]) or _adjective(run[-1]):
            return None  # "is Ryanair's Boeing order …", "did Iranian blogger X …": a modifier
        subject = " ".join(tokens[j:k]).removesuffix("'s").removesuffix("’s")
        verb = tokens[k]
        text_after = question[question.find(tokens[k], len(" ".join(tokens[:k]))) :]
        break
    if verb is None:
        match = re.match(r"^\s*(?:[Ww]ho|[Ww]hich\s+[a-z]+)\s+(?P<verb>[a-z]+)\b", question)
        if match is None:
            return None
        verb = match.group("verb")
        irregular = set(_bases()) | set(_bases().values())
        if verb in STOPWORDS or not (verb.endswith("ed") or verb in irregular):
            return None
        text_after = question[match.end() :]
    objects = tuple(
        e for e in entities(text_after) if not any(ch.isdigit() for ch in e) and e != subject
    )
    return verb_stem(verb), subject, objects


def question_verb(question: str) -> str | None:
    """The verb of a question of the forms `roles_swapped` reads ("Why was Emilio Botin
    removed", "will China supply"), as written; None for other questions."""
    roles = _question_roles(question)
    if roles is None:
        return None
    match = re.search(rf"\b({re.escape(roles[0])}[a-z]*)\b", question.lower())
    for word in words(question.lower()):
        if verb_stem(word) == roles[0]:
            return word
    return match.group(1) if match else None


def roles_swapped(question: str, sentence: str) -> bool:
    """Whether the sentence has the question's verb with its parties the other way round:
    the question's subject named only after the verb ("Why is A suing B?" / "B is suing
    A"), or, when the question asks for the subject, one of its objects named only before
    the verb ("Who described A as …?" / "A described C as …"). A passive verb ("A was
    sued by B") is left alone: its subject is not the doer."""
    return True in _roles(question, sentence)


def roles_agree(question: str, sentence: str) -> bool:
    """Whether the sentence has the question's verb with its parties the question's way
    round ("A is suing B" for "Why is A suing B?")."""
    return False in _roles(question, sentence)


def _owner_or_determiner(word: str) -> bool:
    lower = word.lower()
    return lower.endswith(("'s", "’s")) or lower in ("the", "a", "an", "its", "their", "his", "her")


def _roles(question: str, sentence: str) -> list[bool]:
    """For each use of the question's verb in the sentence whose sides name a party of the
    question: True when the parties stand the other way round, False when the same way."""
    roles = _question_roles(question)
    if roles is None:
        return []
    verb, subject, objects = roles
    if not verb or (subject is None and not objects):
        return []
    found = []
    for match in re.finditer(r"[A-Za-z’'\-]+", sentence):
        if verb_stem(match.group()) != verb or match.group()[:1].isupper():
            continue
        word = match.group().lower()
        before_words = sentence[: match.start()].split()
        if word.endswith(("ings", "ion", "ions")) or (
            word.endswith("ing") and before_words and _owner_or_determiner(before_words[-1])
        ):
            continue  # "Elvis Presley's earliest recordings": a noun, not the verb
        participle = word.endswith(("ed", "en")) or word in _bases()
        if participle and before_words and before_words[-1].lower() in _BE:
            continue  # passive: "A was sued by B"
        head = sentence[: match.start()]
        starts = [m.end() for m in _CLAUSE_START.finditer(head)]
        before = head[starts[-1] :] if starts else head
        if not any(w.lower() not in STOPWORDS for w in words(before)):
            continue  # "Since going on sale …": no subject of its own
        after = _CLAUSE_START.split(sentence[match.end() :], maxsplit=1)[0]
        if subject is not None:
            if mentions(before, subject):
                found.append(False)
            elif mentions(after, subject):
                found.append(True)
        elif any(mentions(before, o) and not mentions(after, o) for o in objects):
            found.append(True)
        elif any(mentions(after, o) for o in objects):
            found.append(False)
    return found


_WH_SUBJECT = re.compile(
    r"^\s*(?:[Ww]ho|[Ww]hich(?:\s+[\w\-]+){1,3}?)\s+(?P<verb>[a-z]+)\s+(?P<object>[^?]+)"
)
_PASSIVE_BY = re.compile(
    r"\b(?:is|are|was|were|be|been|being)\s+(?P<words>(?:[a-z]+\s+){1,3}?)"
    r"by\s+(?P<agent>(?:[\w'’\-]+\s*){1,5})",
    re.IGNORECASE,
)
_BEFORE_PREPOSITION = re.compile(
    r"\s(?:at|in|on|for|with|after|before|during|near|from|into|over|under|outside)\s"
)


def reversed_roles(question: str, sentence: str) -> bool:
    """Whether the sentence has the question's roles the other way round: "Who shot the
    two guards?" asks who did it to them, and "he was shot by two guards" says they did
    it to him. Read for a question whose asked part is the subject of its verb, against
    the sentence's passive clauses with that verb."""
    match = _WH_SUBJECT.match(question)
    if not match:
        return False
    bases = dict(lexicon.pairs("irregular_verbs"))
    verb = match.group("verb")
    if verb in STOPWORDS or not (verb.endswith("ed") or verb in bases):
        return False  # "Who was shot by…", "Which team did X beat": not the subject's act
    verbs = {stem(verb), stem(bases.get(verb, verb))}
    done_to = _BEFORE_PREPOSITION.split(f" {match.group('object')} ")[0]
    objects = set(content_stems(done_to)) - verbs
    if not objects:
        return False
    for passive in _PASSIVE_BY.finditer(sentence):
        said = passive.group("words").lower().split()
        acts = {stem(bases.get(x, x)) for x in said} | {stem(x) for x in said}
        if verbs & acts and objects & set(content_stems(passive.group("agent"))):
            return True
    return False
