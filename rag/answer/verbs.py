"""The question's verb: the relation it asks about ("won", "founded") and whether it asks
about something that did not happen (read by `question.analyse_question`)."""

from __future__ import annotations

import re
from functools import lru_cache

from rag import clauses, lexicon
from rag.terms import QUESTION_WORDS, STOPWORDS, stem

AUX_WORDS = "did|does|do|was|were|is|are|has|have|had|will|would|can|could|should|might|may"


def negated_question(question: str) -> bool:
    """Whether the question asks about something that did not happen ("Who did not
    win…", "Which firm never paid…", "Which batters failed to score fifty?"). A verb of
    refusing ("Why did the board reject the bid?", "Who declined to comment?") names an
    act that did happen: its answer says "rejected" or "turned down", not "not", so those
    verbs (`refusal_acts.txt`) do not make the question negated, nor does a word that is
    only a synonym of a negation cue."""
    acts = sorted(lexicon.words("refusal_acts"), key=len, reverse=True)
    rest = re.sub(
        r"\b(?:" + "|".join(re.escape(a) for a in acts) + r")\b", " ", question, flags=re.I
    )
    # a cue of the question's own words ("opposing" is no "deny", though they are synonyms)
    said = rest.lower().replace("’", "'")
    cues = lexicon.words("negations") | lexicon.words("negation_cues")
    own = "n't" in said or any(re.search(rf"(?<![a-z]){re.escape(c)}(?![a-z])", said) for c in cues)
    return own and clauses.negated(rest)


def relation_verb(question: str, speaker: str | None) -> str | None:
    """The stem of the verb that relates the question's parts: "won" in "Who won the
    race?", "founded" in "When was the company founded?". None for "what did X say"
    (the relation is speech, checked through the speaker) and when no verb is found.
    A noun is no verb: "children" in "Why have children been barred…" and "bakery" in "What
    bakery opened…" are passed over for the verb after them."""
    if speaker is not None:
        return None
    lowered = question.lower()
    after_aux = re.search(rf"\b(?:{AUX_WORDS})\s+(?P<rest>.*)", lowered)
    if after_aux:
        for word in re.findall(r"[a-z'’\-]+", after_aux.group("rest"))[:6]:
            if word in STOPWORDS or word in QUESTION_WORDS:
                continue
            if _participle(word):
                return stem(word)
    head = re.match(r"^\s*(?P<wh>who|what|which)\s+(?P<rest>.*)", lowered)
    if not head:
        return None
    following = re.findall(r"[a-z'’\-]+", head.group("rest"))[:3]
    if head.group("wh") == "who":
        following = following[:1]  # "Who leads the party": the word after "who" is a verb
    else:
        # "What bakery opened…", "Which team won…": a verb after at most two nouns
        past = [w for w in following if _participle(w)]
        following = past[:1] or [w for w in following[:1] if _present(w)]
    verb = following[0] if following else ""
    if verb in STOPWORDS or verb in QUESTION_WORDS or len(verb) < 3:
        return None
    return stem(verb)


def _participle(word: str) -> bool:
    """A past form: regular ("barred") or irregular ("won", "taken"); "children", "seven"
    and "hundred" are none."""
    if word in _irregular_past():
        return True
    numbers = {a for a, _b in lexicon.pairs("number_words")}
    return word.endswith("ed") and len(word) > 4 and word not in numbers


def _present(word: str) -> bool:
    """A verb's third person singular present ("leads", "owns"), not "this" or "boss"."""
    return len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is"))


@lru_cache(maxsize=1)
def _irregular_past() -> frozenset[str]:
    return frozenset(past for past, _base in lexicon.pairs("irregular_verbs")) - {"been"}
