"""Whether the chosen sentence says what the question asks *the same way round*.

Three near-misses share every name and most words with the sentence that answers the
original question, so coverage and name grounding pass them:

- **the sentence denies the question's event** ("Why does the app have to be trained?"
  against "the app does not have to be trained"): `denied` asks `rag.clauses` whether a
  negation in one of them covers words the other states plainly;
- **a figure of the question stands changed in the sentence** ("jailed for 12 years"
  against "jailed for 14 years"): `figure_changed` aligns the two word by word
  (`rag.clauses.substitutions`) and finds a number of the question where the sentence
  has another number, between the same words;
- **the two parties of the verb are swapped** ("Why is A suing B?" against "B is
  suing A"; "Who described A as …?" against "A described C as …"): `roles_swapped`
  (`rag.answer.roles`) finds the question's verb in the sentence and which side of it
  each name stands on.

Beside them (`contradictions` gathers the lot for the grounder): another name where the
question's stands (`name_changed`), no currency figure for "how much will it cost"
(`asks_money`), and the question's verb (`question_verb`, looked for beside the best
sentences by answerable.py). They read the best sentences only: the rest of the article
may well state the question's figure or event about something else.

The other way, two forms of a figure a reworded question may use: a bound ("over a
thousand", `bound_met`) and an age ("the 20-year-old", `age_stated`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from rag import clauses, lexicon
from rag.answer.equivalents import groups_in
from rag.answer.mentions import mentions
from rag.answer.normal import Quantity
from rag.answer.question import QuestionInfo
from rag.answer.roles import question_verb, roles_agree, roles_swapped, verb_stem
from rag.speech import same_entity
from rag.terms import QUESTION_WORDS, STOPWORDS, content_stems, entities, stem, words

_FIGURE = re.compile(r"\d[\d,.]*|[a-z]+-?(?:teen|ty|hundred|thousand|million|billion)")
_AUX_OPENERS = frozenset({"did", "does", "do", "is", "are", "was", "were", "has", "have", "had"})
# questions that take their event as given ("Why was X banned?", "Which team won?"),
# unlike "When will X report?", which "X declined to say" answers, and "What share of …",
# whose sentence may negate something beside the share ("is not surprised the share …")
_PRESUPPOSING = re.compile(r"^\s*(?:why|which|who|whom|whose)\b", re.IGNORECASE)
_QUESTION_OPENERS = frozenset(QUESTION_WORDS) | _AUX_OPENERS
_RESTATES = 0.6  # share of the question's common words a sentence restating it holds
_STOP_STEMS = frozenset(stem(w) for w in STOPWORDS)
_SHAPING = frozenset(stem(w) for w in QUESTION_WORDS)
# words capitalised by their place in a sentence, never the start of a name
_POSITIONAL = lexicon.words("opening_words") | STOPWORDS


def denied(question: str, sentence: str) -> bool:
    """Whether the sentence negates what the question states plainly ("Why was X banned?"
    against "X is not banned"), or says its opposite ("Why did X accept the offer?"
    against "X rejected the offer"). A question that is negated itself is left to the
    question's own negation check."""
    if clauses.negated(question) or not _PRESUPPOSING.match(question):
        return False
    conflict = clauses.polarity_conflict(question, sentence)
    if conflict not in ("negation", "antonym"):
        return False
    verb = question_verb(question)
    # the negated clause (or the one saying the opposite: "rejected" for "accept") must be
    # about the question's event, not another one beside it
    asked = {stem(w.lower()) for w in words(question) if w[:1].islower()} - _SHAPING
    asked = {s for s in asked if s not in _STOP_STEMS}
    return any(
        len(asked & set(content_stems(c.text))) * 2 > len(asked)
        and (
            c.negated
            if conflict == "negation"
            else verb is not None and clauses.opposite_in(verb, c.text)
        )
        for c in clauses.clauses(sentence)
    )


_HOW_MUCH = re.compile(r"^\s*(?:how\s+much|(?:at\s+)?what\s+(?:price|cost|fee|fare)s?)\b", re.I)
_MONEY = re.compile(
    r"[$£€¥]\s?\d|\d\s?(?:m|bn|k)?\s+(?:[a-z]+\s+)?(?:dollars?|pounds?|euros?|yen|francs?|"
    r"rupees?|yuan|cents?|pence|rand|pesos?|roubles?|won|dinars?|riyals?)\b|\b\d+p\b",
    re.IGNORECASE,
)


def asks_money(question: str) -> bool:
    """Whether the question asks an amount of money: "how much" (not "by how much", a
    change) with a word of paying or costing (`rag/lexicon/money_words.txt`), or "what
    price"."""
    if not _HOW_MUCH.match(question):
        return False
    if re.match(r"\s*what\s+(?:price|cost|fee|fare)", question, re.I) or re.match(
        r"\s*at\s+what", question, re.I
    ):
        return True
    return bool({w.lower() for w in words(question)} & lexicon.words("money_words"))


def holds_money(text: str) -> bool:
    """Whether the text states an amount of money ("$4bn", "£19", "160m euros", "50p")."""
    return bool(_MONEY.search(text))


@cache
def _number_words() -> frozenset[str]:
    """ "six", "dozen", "million": `number_words.txt` is a list of `word | value` pairs."""
    return frozenset(w for w, _ in lexicon.pairs("number_words"))


def _is_figure(tokens: tuple[str, ...]) -> bool:
    numbers = _number_words()
    return bool(tokens) and all(
        _FIGURE.fullmatch(t.lower()) or t.lower() in numbers for t in tokens
    )


def figure_changed(question: str, sentence: str) -> bool:
    """Whether a figure of the question stands in the sentence as another figure between
    the same words ("the 1985 riots" / "the 1981 riots", "a 20% rise" / "a 13.8% rise")."""
    if not re.search(r"\d", question) and not any(
        w.lower() in _number_words() for w in words(question)
    ):
        return False
    for change in clauses.substitutions(question, sentence):
        # "its six million" / "our five million": the determiner beside it is not the figure
        claimed = _strip_determiners(tuple(t.text for t in change.claimed))
        stated = _strip_determiners(tuple(t.text for t in change.stated))
        if not any(x and x not in STOPWORDS for x in (change.before, change.after)):
            continue  # no word of meaning around it in common: not the same place
        if _is_figure(claimed) and _is_figure(stated) and claimed != stated:
            return True
    return _figure_after_same_word(question, sentence)


_DETERMINERS = frozenset("a an the its their our his her my your this that these those".split())


def _strip_determiners(tokens: tuple[str, ...]) -> tuple[str, ...]:
    start = 0
    while start < len(tokens) - 1 and tokens[start].lower() in _DETERMINERS:
        start += 1
    return tokens[start:]


_TOKEN = re.compile(r"[£$€]?\d[\d,.]*%?|[A-Za-z’'\-]+")
_NEAR = 3  # words a figure may stand from the word it belongs to ("earning more than £5")


def _figure_tokens(text: str) -> list[str]:
    return [m.group().rstrip(",.") for m in _TOKEN.finditer(text)]


def _bound_words() -> frozenset[str]:
    return frozenset(w for phrase, _ in lexicon.pairs("amount_bounds") for w in phrase.split())


def _figure_value(token: str) -> str | None:
    digits = token.lstrip("£$€").rstrip("%").replace(",", "")
    return digits if re.fullmatch(r"\d+(?:\.\d+)?", digits) else None


def _figure_after_same_word(question: str, sentence: str) -> bool:
    """Whether a figure of the question in digits follows a word of meaning ("earns over
    £150,000") that the sentence has followed by another figure of the same kind ("earning
    more than £100,000"), the question's figure nowhere in the sentence. Bound words and
    small words may stand between; the word is matched by stem."""
    skip = _bound_words() | STOPWORDS
    q_tokens = _figure_tokens(question)
    s_tokens = _figure_tokens(sentence)
    s_values = {_figure_value(t) for t in s_tokens} - {None}
    for i, token in enumerate(q_tokens):
        value = _figure_value(token)
        if value is None or value in s_values or re.fullmatch(r"(?:19|20)\d\d", value):
            continue  # a year is a date, read by the date checks
        anchor = next(
            (t for t in reversed(q_tokens[max(0, i - _NEAR) : i]) if t.lower() not in skip),
            None,
        )
        if anchor is None or not anchor[:1].islower() or anchor.lower() in _SHAPING:
            continue
        for j, other in enumerate(s_tokens):
            if verb_stem(other) != verb_stem(anchor):
                continue
            for later in s_tokens[j + 1 : j + 1 + _NEAR]:
                stated = _figure_value(later)
                if stated is not None:
                    if stated != value and _same_kind(token, later):
                        return True
                    break
                if later.lower() not in skip:
                    break
    return False


def _same_kind(a: str, b: str) -> bool:
    """Both figures money of one currency, both shares, or both plain numbers."""
    return a[:1] == b[:1] and a.endswith("%") == b.endswith("%")


def name_changed(question: str, sentence: str) -> bool:
    """Whether a name of the question stands in the sentence as another name, after or
    before the same word ("fires at Kellerby" / "fires at Dunmore", "in Vass province" /
    "in the Ardo province"), the question's name nowhere in the sentence."""
    asked = {stem(w.lower()) for w in words(question) if w[:1].islower()} - _SHAPING
    asked -= _STOP_STEMS
    if not asked or len(asked & set(content_stems(sentence))) < _RESTATES * len(asked):
        return False  # not a restatement of the question: its names may be other things
    for change in clauses.substitutions(question, sentence):
        claimed = [t.text for t in change.claimed if t.text.lower() != "the"]
        if change.after and not change.before:  # "How many times was Air Deccan's
            k = len(claimed)  # [initial …]": the name before the shared word, past the
            # words that open the question
            while k > 0 and claimed[k - 1][:1].isupper():
                k -= 1
            claimed = claimed[k:] if k < len(claimed) else claimed
        while claimed and claimed[0][:1].isupper() and claimed[0].lower() in _POSITIONAL:
            claimed = claimed[1:]  # "Despite", "He", "Which": capitalised by position
        if not claimed or not all(t[:1].isupper() for t in claimed):
            continue
        if not (change.before or change.after) or change.before in _QUESTION_OPENERS:
            continue
        name = " ".join(claimed)
        if name.lower() in _QUESTION_OPENERS or mentions(sentence, name):
            continue
        # the other name stands right at the shared word: "at Dunmore", "Ardo province"
        stated = [t.text for t in change.stated]
        if _possessor(stated):
            continue  # "of Dan Brown's novel": the name owns a description, maybe of the same thing
        edges = [
            x
            for x, anchored in ((stated[0], change.before), (stated[-1], change.after))
            if anchored and x[:1].isupper() and x.lower() not in _QUESTION_OPENERS | {"the"}
        ]
        others = [e for e in entities(" ".join(stated)) if set(edges) & set(e.split())]
        if others and not any(_same_name(name, o) for o in others):
            return True
    return False


def _same_name(name: str, other: str) -> bool:
    """The same entity, its initials, or the same country or faith in another form
    ("UK-supplied" / "British")."""
    if same_entity(name, other) or _abbreviates(other, name):
        return True
    return bool(groups_in(name) & groups_in(other))


def _possessor(stated: Sequence[str]) -> bool:
    """Whether the stated words open with a name in the possessive followed by a noun of
    its own ("Dan Brown's best-selling novel")."""
    k = 0
    while k < len(stated) and stated[k][:1].isupper():
        k += 1
    if not 0 < k < len(stated) or not stated[k - 1].endswith(("'s", "’s")):
        return False
    noun = []  # the words it owns, to the first small word: "best-selling novel"
    for word in stated[k:]:
        if word.lower() in STOPWORDS:
            break
        noun.append(word)
    # "Afghanistan's south-eastern Paktika province": a name of its own is owned there
    return bool(noun) and all(w[:1].islower() for w in noun)


def _abbreviates(acronym: str, name: str) -> bool:
    """Whether `acronym` is the initials of the name's last words ("OSI" for "the
    Soros-funded Open Society Institute")."""
    if not acronym.isupper() or len(acronym) < 2:
        return False
    initials = "".join(w[0] for w in name.split() if w[:1].isupper())
    return initials.endswith(acronym)


def contradictions(info: QuestionInfo, best: Sequence[str]) -> tuple[str, ...]:
    """What the best sentences say otherwise than the question, as the parts missing:
    its parties the other way round, its event denied, its figure changed, no price for
    "how much will it cost", another name where the question's stands (the best sentence
    only). Not read for "what did X say": X may well deny something, and X's topic is
    grounded on its own; a figure of theirs is ("what share earns over £150,000, according
    to X" where X says "more than £100,000")."""
    if info.speaker:
        return ("the figure asked",) if _figure_changed_in(info.text, best) else ()
    found = []
    swapped = any(roles_swapped(info.text, s) for s in best)
    if swapped and not any(roles_agree(info.text, s) for s in best):
        found.append("who did it to whom")  # "B is suing A" for "why is A suing B"
    if any(denied(info.text, s) for s in best):
        found.append("what the question takes as given")  # "X was not banned"
    if _figure_changed_in(info.text, best) or ordinal_changed(info.text, best):
        found.append("the figure asked")  # "14 years" where "12 years" was asked
    if asks_money(info.text) and not any(holds_money(s) for s in best):
        found.append("the amount of money asked")  # "how much will it cost": no price
    if best and name_changed(info.text, best[0]):
        found.append("the name asked")  # "fires at Dunmore" where "at Kellerby" was asked
    return tuple(found)


@cache
def _ordinal_pattern() -> re.Pattern[str]:
    spelled = "|".join(sorted((w for w, _ in lexicon.pairs("ordinal_words")), key=len)[::-1])
    return re.compile(rf"\b(?P<rank>{spelled}|\d+(?:st|nd|rd|th))[\s\-]+(?P<noun>[a-z]+)\b", re.I)


def _ranked_nouns(text: str) -> set[tuple[int, str]]:
    """(rank, noun stem) of each ordinal before a noun: "the second quarter" (2, quarter),
    "its 3rd week" (3, week)."""
    values = {w: int(v) for w, v in lexicon.pairs("ordinal_words")}
    out = set()
    for m in _ordinal_pattern().finditer(text):
        rank = m.group("rank").lower()
        value = values.get(rank) or int(re.sub(r"\D", "", rank) or 0)
        out.add((value, stem(m.group("noun").lower())))
    return out


def ordinal_changed(question: str, best: Sequence[str]) -> bool:
    """Whether the best sentences give the noun of an ordinal of the question another rank
    and none gives it the question's ("the third quarter" where "the second quarter" was
    asked)."""
    asked = _ranked_nouns(question)
    if not asked:
        return False
    stated = set().union(*(_ranked_nouns(s) for s in best)) if best else set()
    return any(
        (rank, noun) not in stated and any(n == noun and r != rank for r, n in stated)
        for rank, noun in asked
    )


def _figure_changed_in(question: str, best: Sequence[str]) -> bool:
    """A figure of the question changed in one of the best sentences, and none of them
    states every figure of the question in digits (that one may be the answer, the other
    a figure of something else)."""
    if not any(figure_changed(question, s) for s in best):
        return False
    asked = {v for t in _figure_tokens(question) if (v := _figure_value(t)) is not None}
    if not asked:
        return True
    return not any(
        asked <= {v for t in _figure_tokens(s) if (v := _figure_value(t)) is not None} for s in best
    )


_BOUND_SPAN = 10.0  # "over a thousand" is met by 1,324, not by five million


def bound_met(question: str, asked: Quantity, stated: Sequence[Quantity]) -> bool:
    """Whether the question gives its figure as a bound ("over a thousand", "nearly 30%",
    `rag/lexicon/amount_bounds.txt`) that a figure of the article meets, within a factor
    of ten (a bound speaks of the same order of amount)."""
    for words_before, side in lexicon.pairs("amount_bounds"):
        pattern = rf"\b{re.escape(words_before)}\s+(?:a\s+|an\s+)?{re.escape(asked.text)}\b"
        if not re.search(pattern, question, re.IGNORECASE):
            continue
        for s in stated:
            if s.is_date or asked.is_date:
                continue
            if side == "above" and asked.value <= s.value < asked.value * _BOUND_SPAN:
                return True
            if side == "below" and asked.value / _BOUND_SPAN < s.value <= asked.value:
                return True
    return False


def age_stated(asked: Quantity, question: str, article: str) -> bool:
    """Whether an age the question writes "the 20-year-old" the article gives the way news
    copy does: "Name, 20," or "aged 20"."""
    n = re.escape(asked.text)
    if not re.search(rf"\b{n}-year-old\b", question):
        return False
    return bool(re.search(rf"[A-Za-z’'],\s+{n},|\baged\s+{n}\b|\b{n}-year-old\b", article))
