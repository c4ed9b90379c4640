"""Who a sentence reports, and whether two mentions name one entity.

The analysis of speakers shared by the citation checker (`rag/verify.py`: does the claim
give the passage's words to the right person?) and the answerer (what did X say about Y?),
with the tokens and word lists that `rag/clauses.py` (negation, polarity, roles) builds
on. General English only; the word lists live in `rag/lexicon/`: `speech_verbs`,
`negations`, `pronouns`, `titles`, `clause_breaks`, `generic_speakers`, `demonyms`.

- `attribute(sentences, i)`: the speaker of sentence i of a passage — named in it
  ("Kaja Kallas said"), through a pronoun or a definite description ("she said", "the
  analyst said") resolved to an earlier speaker, or by context (a quotation following the
  sentence that introduces its speaker). `attributions` gives every speaker of a
  sentence ("…, the Times reported, although a spokesperson said …").
- `same_entity(a, b)`: two mentions of one person or organisation ("Kallas" and
  "Ms Kaja Kallas"; "Nato" and "NATO"; but "Article 6" is not "Article 5").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from rag import lexicon
from rag.terms import STOPWORDS, entities, stem

__all__ = [
    "Attribution",
    "alike",
    "antecedent_before",
    "attribute",
    "attributions",
    "described_person",
    "name_parts",
    "same_entity",
    "speaker_of_claim",
    "subject_name",
]


@dataclass(frozen=True, slots=True)
class Attribution:
    """Whom a sentence reports."""

    speaker: str | None  # the person/organisation, as written ("Kaja Kallas"); None if unknown
    via: str  # "direct" | "pronoun" | "context" | "none"
    verb: str | None  # the reporting verb ("said", "according to")
    described: str | None = None  # the description resolved to `speaker` ("the weekly")


NONE = Attribution(None, "none", None)

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*[A-Za-z0-9]|[A-Za-z0-9]|[,;:()\u2013\u2014]")
_BOUNDARY_PUNCT = frozenset(",;:()\u2013\u2014")
_DETERMINERS = frozenset("a an the this that these those its his her their our".split())
_RELATIVE = re.compile(r",\s*(?:who|which|whose|whom)\b[^,]*,")
# Where a speaker named after the verb ends ("…,” said Mr Hess on Sunday").
_AFTER_SPEAKER_END = re.compile(
    r"[,;:.“”\"(\u2013\u2014]|\s(?:that|on|in|at|to|last|this|earlier|about|of)\s"
)
_QUOTES_OPEN = "“‘"
_QUOTES_CLOSE = "”’"


@dataclass(frozen=True, slots=True)
class _Tok:
    text: str
    lower: str
    stem: str
    start: int
    end: int
    quoted: bool

    @property
    def punct(self) -> bool:
        return self.text in _BOUNDARY_PUNCT

    @property
    def content(self) -> bool:
        return not self.punct and self.lower not in STOPWORDS and self.lower not in _NEG_WORDS


def _norm(word: str) -> str:
    lower = word.lower().replace("’", "'")
    return lower[:-2] if lower.endswith("'s") else lower


@cache
def _canonical() -> dict[str, str]:
    return {stem(_norm(w)): stem(_norm(c)) for w, c in lexicon.pairs("synonyms")}


def _canonical_stem(base: str) -> str:
    """A stem as its synonym's stem, when the synonym list has one ("back" -> "support")."""
    return _canonical().get(base, base)


def _stem(word: str) -> str:
    """A word's stem, as its synonym's stem when the synonym list has one ("injured" -> "hurt")."""
    return _canonical_stem(stem(word))


@lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[_Tok, ...]:
    text = _double_apostrophes(text)
    quoted = _quoted_mask(text)
    out = []
    for m in _TOKEN.finditer(text):
        lower = _norm(m.group())
        out.append(
            _Tok(
                m.group(), lower, _stem(lower), m.start(), m.end(), any(quoted[m.start() : m.end()])
            )
        )
    return tuple(out)


def _double_apostrophes(text: str) -> str:
    """Two apostrophes written for a double quote (''Yes,'' she said) as one, padded to
    the same length so that positions still index the text."""
    return text.replace("''", '" ') if "''" in text else text


def _quoted_mask(text: str) -> list[bool]:
    """Which characters stand inside a quotation (curly or straight double quotes, or two
    apostrophes written for one)."""
    text = _double_apostrophes(text)
    mask = [False] * len(text)
    opened: int | None = None
    straight_open = False
    for i, ch in enumerate(text):
        if ch == "“" or (ch == '"' and not straight_open):
            opened, straight_open = i, ch == '"'
        elif ch == "”" or (ch == '"' and straight_open):
            begin = 0 if opened is None else opened
            for j in range(begin, i + 1):
                mask[j] = True
            opened, straight_open = None, False
    if opened is not None:
        for j in range(opened, len(text)):
            mask[j] = True
    return mask


# -- word lists -----------------------------------------------------------------------------


def _phrases(name: str) -> tuple[tuple[str, ...], ...]:
    """A word list as stem sequences, longest first (so "according to" wins over "to")."""
    seqs = {tuple(_stem(_norm(w)) for w in phrase.split()) for phrase in lexicon.words(name)}
    return tuple(sorted(seqs, key=lambda s: -len(s)))


@cache
def _speech() -> tuple[tuple[str, ...], ...]:
    # by exact lower-case form: "states" the verb, not "the United States" by stem
    return tuple(sorted({tuple(p.split()) for p in lexicon.words("speech_verbs")}, key=len)[::-1])


_NEG_WORDS = lexicon.words("negations")
_PRONOUNS = lexicon.words("pronouns")
_TITLES = lexicon.words("titles")
_CLAUSE_BREAKS = lexicon.words("clause_breaks")
_GENERIC_SPEAKERS = lexicon.words("generic_speakers")
_PERSON_NOUNS = lexicon.words("person_nouns")


def _find(seq: Sequence[str], phrase: Sequence[str]) -> list[int]:
    n = len(phrase)
    return [i for i in range(len(seq) - n + 1) if tuple(seq[i : i + n]) == tuple(phrase)]


# -- entities -------------------------------------------------------------------------------


def name_parts(mention: str) -> list[str]:
    """The words of a name that identify it, lower-cased: no titles, articles or stopwords."""
    parts = []
    for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9'’\-]*", mention):
        lower = _norm(w)
        acronym = w.isupper() and len(w) >= 2  # "US", "IT": a name, not "us", "it"
        if not acronym and (lower in _TITLES or lower in _DETERMINERS or lower in STOPWORDS):
            continue
        if lower in _CLAUSE_BREAKS:
            continue
        parts.append(lower)
    return parts


@cache
def _demonyms() -> frozenset[tuple[str, str]]:
    found = set()
    for a, b in lexicon.pairs("demonyms"):
        found |= {(a, b), (b, a)}
    return frozenset(found)


def alike(x: str, y: str) -> bool:
    """One name word for another (lower-case): equal, or a form of it ("Russia", "Russian",
    "Russians", "Authority", "Authorities"): the longer starts with the shorter (4+ letters)
    and adds at most 3, or is its plural in -ies."""
    if x == y or (x, y) in _demonyms():
        return True
    short, long_ = sorted((x, y), key=len)
    if len(short) >= 4 and short.endswith("y") and long_ == short[:-1] + "ies":
        return True  # "Authority", "Authorities"
    return len(short) >= 4 and long_.startswith(short) and len(long_) - len(short) <= 3


def same_entity(a: str, b: str) -> bool:
    """'Kallas' ≈ 'Kaja Kallas' ≈ 'Ms Kallas'; 'Nato' ≈ 'NATO'; 'Article 6' != 'Article 5'."""
    pa, pb = name_parts(a), name_parts(b)
    if not pa or not pb:
        return a.strip().lower() == b.strip().lower() and bool(a.strip())
    na = {p for p in pa if p[0].isdigit()}
    nb = {p for p in pb if p[0].isdigit()}
    if (na or nb) and na != nb:
        return False
    short, long_ = sorted((pa, pb), key=len)
    if all(any(alike(x, y) for y in long_) for x in short):
        return True
    if len(short) >= 2 and all(alike(x, y) for x, y in zip(pa[-2:], pb[-2:], strict=True)):
        return True  # "the ACA's Katherine Wolthuizen", "the association's Katherine Wolthuizen"
    # "ACA" for "the Australian Consumers Association"
    return any(p in _initials(b) for p in pa if len(p) >= 2) or any(
        p in _initials(a) for p in pb if len(p) >= 2
    )


def _initials(mention: str) -> set[str]:
    """Initials of the runs of capitalised words in a mention, lower-cased."""
    found = set()
    for run in re.findall(r"(?:[A-Z][\w’'-]*\s+(?:of\s+|and\s+|for\s+)?)+[A-Z][\w’'-]*", mention):
        capitals = [w[0] for w in run.split() if w[:1].isupper()]
        found.add("".join(capitals).lower())
        if run.split()[0] in ("The", "A", "An"):  # "The Community and Public Sector Union"
            found.add("".join(capitals[1:]).lower())
    return found


# -- attribution ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Report:
    verb: str
    start: int  # char offsets of the verb in the sentence
    end: int
    speaker: str | None
    via: str  # "direct" | "pronoun" (needs an antecedent) | "same" (the previous report's)


def _reports(sentence: str) -> list[_Report]:
    """Reporting verbs outside quotations, each with the speaker the sentence gives it."""
    sentence = _double_apostrophes(sentence)
    toks = _tokens(sentence)
    lowers = [t.lower for t in toks]
    found: list[tuple[int, int]] = []
    taken: set[int] = set()
    present = set(lowers)
    for phrase in _speech():
        if phrase[0] not in present:
            continue
        for i in _find(lowers, phrase):
            span = set(range(i, i + len(phrase)))
            if span & taken or any(toks[k].quoted for k in span):
                continue
            if not _verb_here(toks, i, len(phrase)):
                continue
            taken |= span
            found.append((i, i + len(phrase)))
    reports: list[_Report] = []
    for i, j in sorted(found):
        verb = " ".join(t.text for t in toks[i:j])
        # a report inside what another reports ("X says no one has confirmed…") has its
        # subject after the earlier verb
        begin = reports[-1].end if reports else 0
        speaker, via = _speaker_around(sentence, toks, i, j, begin)
        if via == "same":
            previous = reports[-1] if reports else None
            if previous is None:
                # "X has been critical of the plan, saying …": the clause's own subject
                head = _leading_name(sentence[begin : toks[i].start])
                if head:
                    speaker, via = head, "direct"
                elif _opens_with_pronoun(sentence[begin : toks[i].start]):
                    speaker, via = None, "pronoun"  # "He attacked X, telling …"
                else:
                    continue
            else:
                speaker, via = previous.speaker, previous.via
        reports.append(_Report(verb, toks[i].start, toks[j - 1].end, speaker, via))
    return reports


def _had_a_say(toks: Sequence[_Tok], i: int) -> bool:
    """Whether toks[i] ("say") is the noun of "have a say", "had the final say"."""
    window = [t.lower for t in toks[max(i - 3, 0) : i]]
    have = [k for k, w in enumerate(window) if w in ("have", "has", "had", "having")]
    return bool(have) and any(w in _DETERMINERS for w in window[have[-1] + 1 :])


def _verb_here(toks: Sequence[_Tok], i: int, n: int) -> bool:
    """Whether the speech-verb words at toks[i:i+n] are a verb here: not capitalised inside
    the sentence ("the United States"), not a noun ("media reports suggested", "the
    reports"), not a participle of belief ("people, believed to be 35", "is said to be")."""
    first = toks[i]
    if first.text[:1].isupper() and i > 0 and first.lower != "according":
        return False
    if n == 1:
        before = toks[i - 1].lower if i > 0 else ""
        after = toks[i + 1].lower if i + 1 < len(toks) else ""
        if before in _DETERMINERS:
            return False  # "the reports"
        if first.lower == "say" and _had_a_say(toks, i):
            return False  # "will have the final say": a noun
        if first.lower.endswith("s") and first.lower not in {"says", "tells", "adds"}:
            if after and any(p[0] == after for p in _speech()):
                return False  # "preliminary reports suggested"
            k = i - 1
            while k >= 0 and toks[k].text[:1].isupper():
                k -= 1
            if k < i - 1 and k >= 0 and toks[k].lower in _PREPOSITIONS:
                return False  # "critical of Federal Government claims that": a noun
        if after == "to" and first.lower.endswith(("ed", "id", "ght")):
            return False
        if before in _BE and first.lower.endswith(("ed", "ld", "id")) and after != "by":
            return False  # "the missions will not be revealed": no one reports
    return True


_TOLD = frozenset({"told", "tells", "tell"})  # the name after them is whom it was told to


def _speaker_around(
    sentence: str, toks: Sequence[_Tok], i: int, j: int, begin: int = 0
) -> tuple[str | None, str]:
    """The speaker of the reporting verb toks[i:j]: after it ("…,” said Mr Hess", "according
    to X", "emphasised by X") or before it (the subject: "Kaja Kallas, …, said")."""
    verb_lower = " ".join(t.lower for t in toks[i:j])
    after = sentence[toks[j - 1].end :]
    before = sentence[begin : toks[i].start]
    phrase = _AFTER_SPEAKER_END.split(after, maxsplit=1)[0]
    phrase = re.sub(r"^\s*by\s", " ", phrase).strip()
    phrase = _name_ahead(phrase)
    first = phrase.split()[0] if phrase.split() else ""
    names_after = (
        bool(first)
        and (
            first[:1].isupper()
            or first.lower() in _PRONOUNS
            # '…,” said a spokesman': a description after a closing quotation
            or (
                first.lower() in {"a", "an", "the"}
                and len(phrase.split()) > 1
                and bool(re.search(r"[”\"’]\s*$", before))
            )
            # '…,” said chief executive Jo Lo': a role, then the name
            or (
                _role_word(first)
                and any(w[:1].isupper() for w in phrase.split()[1:])
                and bool(re.search(r"[”\"’]\s*$", before))
            )
        )
    )
    if verb_lower.endswith("ing") and verb_lower != "according to":
        names_after = False  # "…, saying DFAT is …": what follows is what was said
    if verb_lower in _TOLD:
        names_after = False  # "…,” Jo Lee told Agence France Presse": the listener
    closes_quote = bool(re.search(r"[”\"’]\s*$|[,.!?]\s*[”\"’]?\s*$", before)) or not before.strip()
    if names_after and not re.search(r"[”\"’]\s*$", before) and before.strip():
        # "Her aide, Ann Lo, said Bo had left": after a comma a name followed by an
        # auxiliary is the reported clause's subject, not the speaker ("…, said Mr Bo.")
        at = after.find(phrase)
        rest = after[at + len(phrase) :] if phrase and at >= 0 else ""
        nxt = rest.split()[0].lower() if rest.split() else ""
        # "Frank Stone, who heads BT's unit, said BT hopes …": the clause opens with its
        # subject and a comma, so a name after the verb that a word of the reported
        # clause follows is that clause's subject ("…, said Mr Hess." has none after)
        opened = bool(re.match(r"\s*[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*)*\s*,", before))
        unquoted = not re.search(r"[“”\"]", before)
        if nxt in _AUX or nxt in _BE or (nxt[:1].islower() and opened and unquoted):
            names_after = False
    if (
        verb_lower == "according to"
        or re.match(r"\s+by\s", after)
        or (closes_quote and names_after)
    ):
        if first.lower() in _PRONOUNS:
            # "…,” said he." names the speaker; "Ruddock, says he is pleased" does not
            if re.match(r"\s*\w+\s*(?:[,.;:!?”\"]|$)", after):
                return None, "pronoun"
        elif phrase:
            # "according to the statistics office, Destatis, …": the name the description
            # stands beside is the speaker
            named = re.match(
                rf"\s*(?:by\s+)?{re.escape(phrase)}\s*,\s*([A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*)*)\s*,",
                after,
            )
            if named and not any(w[:1].isupper() for w in phrase.split()):
                return _speaker_phrase(named.group(1))
            return _speaker_phrase(phrase)
    return _subject_before(before, verb_lower)


def _speaker_phrase(phrase: str) -> tuple[str | None, str]:
    """A noun phrase as a speaker: a name, an anaphor ("the analyst") or a description."""
    words_ = phrase.split()
    while (
        words_
        and words_[0].lower() != "the"
        and (
            words_[0].lower() in _DETERMINERS
            or words_[0].lower().strip(",") in _CLAUSE_BREAKS
            or words_[0].lower().strip(",") in _AUX
        )
    ):
        if words_[0].lower() in _PRONOUNS:
            break
        words_ = words_[1:]
    if not words_:
        return None, "none"
    if words_[0].lower() in _PRONOUNS:
        return None, "pronoun"
    has_name = any(w[:1].isupper() for w in words_[1:]) or (
        words_[0][:1].isupper() and words_[0].lower() not in _DETERMINERS
    )
    if words_[0].lower() == "the" and not has_name and len(words_) <= 3:
        # a definite description stands for someone named earlier; its noun is kept as a
        # hint ("the department" → "the Department of Foreign Affairs")
        return " ".join(words_).strip(" ,"), "pronoun"
    if words_[0].lower() == "the":
        words_ = words_[1:]
    return " ".join(words_).strip(" ,"), "direct"


_PARTICIPLE_ASIDE = re.compile(r",\s*(?:[a-z]+ly\s+)?[a-z]{3,}ing\b[^,]*,")


def _subject_before(before: str, verb: str) -> tuple[str | None, str]:
    # "Parry, speaking to BBC Sport, also admits": the aside is no part of the subject
    text = _PARTICIPLE_ASIDE.sub("", _RELATIVE.sub("", before))
    # the clause the verb stands in: after a quotation, a semicolon or a clause word
    # "and" inside a name ("Foreign Affairs and Trade") starts no clause
    text = re.sub(r"\b([A-Z][\w’'-]*) and (?=[A-Z])", r"\1 & ", text)
    parts = _CLAUSE_START.split(text)
    text = parts[-1]
    if not text.strip() and len(parts) >= 3 and parts[-2] in ("and", "but"):
        # "X will not name them and says …": the subject of the clause before "and"
        text = parts[-3]
    # "…, criticised its record on the NHS, telling …": a name before the comma of a
    # participle is no speaker
    participle = verb.endswith("ing") and text.rstrip().endswith(",")
    trailing = None if participle else _trailing_name(text)
    if trailing:
        return trailing, "direct"
    segments = [s.strip() for s in text.split(",")]
    if verb.endswith("ing") and not segments[-1]:
        return None, "same"  # ", claiming that…": the subject of the report before
    tail = [s for s in segments if s]
    if not tail:
        return None, "none"
    last = _trim_predicate(tail[-1])
    if not last:
        return None, "same" if verb.endswith("ing") else "none"
    # "Max Hess, a Eurasia analyst at …, believes", "Ann Lo, the firm's boss, said" and
    # "Ann Lo, Acme's boss, said": the name, not its apposition ("In May, the boss said":
    # no name before it)
    # "Ann Lo, deputy head of Acme, says": a full name before a lower-case description
    apposition = re.match(r"(?i)(a|an|the|its|his|her|their)\s|[\w.&-]+[’']s\s", last)
    described = (
        len(tail) >= 2
        and last[:1].islower()
        and len(tail[-2].split()) >= 2
        and any(_norm(w) in _TITLES or _norm(w) in _PERSON_NOUNS for w in last.split())
        and not any(_norm(w) in _GENERIC_SPEAKERS for w in last.split())
    )
    if len(tail) >= 2 and (apposition or described):
        name = tail[-2].split()
        if (
            0 < len(name) <= 5
            and all(w[:1].isupper() for w in name)
            and name[0].lower() not in _PREPOSITIONS
        ):
            return _speaker_phrase(" ".join(name))
    return _speaker_phrase(last)


_CLAUSE_START = re.compile(
    r"[”\";:]|’(?![A-Za-z])|\b(that|although|though|while|whereas|but|and|because|since|"
    r"if|when|after|before|unless|until|once)\s",
    re.IGNORECASE,
)
_CONNECTORS = frozenset("of the for and".split())
_BE = frozenset("be been being is are was were".split())
_PREPOSITIONS = frozenset(
    "on in at by for with from to of near after before during since into over under".split()
)
_CALENDAR = lexicon.words("calendar")


def _name_ahead(phrase: str) -> str:
    """A speaker named after the verb, up to where the name ends: "Mr Martin" of "Mr Martin
    the company kept trading"; "a Goshen police dispatcher" whole (lower-case words go on
    until a capitalised name has been followed by one that is not a title)."""
    words_ = phrase.split()
    out: list[str] = []
    named = False
    owner = False  # after "Acme's": its "executive producer Jo Lo" is one speaker
    for k, w in enumerate(words_):
        bare = _norm(w.strip(",;:()"))
        nxt = words_[k + 1] if k + 1 < len(words_) else ""
        if w[:1].isupper() or w[:1] == "(":
            named = True
            owner = w.endswith(("'s", "’s"))
        elif owner and w.isalpha() and bare not in _PREPOSITIONS and bare not in _DETERMINERS:
            pass
        elif (
            named
            and not (
                (bare in _TITLES and bare not in _DETERMINERS)
                or bare in _PERSON_NOUNS
                or bare in _GENERIC_SPEAKERS
                or (bare in _ROLES and nxt[:1].isupper())  # "Acme boss Jo Lo"
                or (bare in _CONNECTORS and nxt[:1].isupper())
            )
        ):
            break
        out.append(w)
    return " ".join(out) if named else phrase


def _opens_with_pronoun(clause: str) -> bool:
    first = clause.split()[0].strip(",;:").lower() if clause.split() else ""
    return first in _PRONOUNS


def _leading_name(clause: str) -> str | None:
    """The name a clause opens with, as its subject: "Israel" of "Israel gave Arafat 12
    hours", "SG Australia's Glenn Maguire" of "SG Australia's Glenn Maguire expects …"."""
    words_ = clause.split()
    out: list[str] = []
    for k, w in enumerate(words_):
        bare = _norm(w.strip(",;:()"))
        nxt = words_[k + 1] if k + 1 < len(words_) else ""
        if not out and bare in _DETERMINERS:
            continue
        capital = w[:1].isupper() or (w[:1] == "(" and w[1:2].isupper())
        joins = nxt[:1].isupper() and (
            bare in _CONNECTORS or bare in _TITLES or bare in _PERSON_NOUNS
        )
        if not (capital or joins):
            break
        out.append(w)
        if w.endswith(","):
            break
    name = " ".join(out).strip(" ,")
    return name if name and name.lower() not in _PRONOUNS else None


def _trailing_name(segment: str) -> str | None:
    """The name that ends a clause with a verb and no comma before the name: "Four victims
    were taken to hospital at 3:00pm (7:00am AEDT) hospital spokeswoman Donna Rohrer" →
    "spokeswoman Donna Rohrer". None when the segment is a subject as it stands."""
    words_ = segment.split()
    k = len(words_)
    while k > 0:
        w = words_[k - 1]
        bare = _norm(w.strip(",;:()"))
        nxt = words_[k] if k < len(words_) else ""
        capital = w[:1].isupper() or (w[:1] == "(" and w[1:2].isupper())
        role = bare not in _DETERMINERS and (
            bare in _TITLES or bare in _PERSON_NOUNS or bare in _GENERIC_SPEAKERS
        )
        joins = bare in _CONNECTORS and nxt[:1].isupper() and k > 1 and words_[k - 2][:1].isupper()
        if not (capital or role or joins):
            break
        k -= 1
    name, rest = words_[k:], words_[:k]
    if not rest or not any(w[:1].isupper() for w in name):
        return None
    if _norm(rest[-1]) in _PREPOSITIONS or any(_norm(w) in _CALENDAR for w in name):
        return None  # "the document released on Monday says": not a speaker
    has_verb = any(
        w.lower() in _FINITE or re.fullmatch(r"[a-z]{3,}ed", w) or re.search(r"\d", w) for w in rest
    )
    while name and not name[0][:1].isupper() and _norm(name[0]) in _GENERIC_SPEAKERS:
        name = name[1:]  # "police spokesman Jim Smith": the person, not "police"
    return " ".join(name).strip(" ,") if has_verb and name else None


_AUX = frozenset(
    "has have had is was were are be been also already recently reportedly consistently "
    "previously later earlier then now still repeatedly publicly privately once again "
    "has been had been will would could".split()
)
_FINITE = frozenset(
    "has have had is are was were will would could can may might must did does do shall "
    "should".split()
)


def _trim_predicate(segment: str) -> str:
    """The subject of "X has also consistently said" or "X newspaper has quoted officials as":
    X, up to its verb (an auxiliary or a lower-case word in -ed after the first word)."""
    words_ = segment.split()
    for k, word in enumerate(words_[1:], 1):
        if word.lower() in _FINITE or re.fullmatch(r"[a-z]{3,}ed", word):
            words_ = words_[:k]
            break
    while words_ and (words_[-1].lower() in _AUX or words_[-1].lower().endswith("ly")):
        words_ = words_[:-1]
    return " ".join(words_)


def _persons(sentence: str) -> list[str]:
    """Names in a sentence that may be what a later "he"/"she" stands for (in order); not
    names inside quotations, which the speaker mentions."""
    mask = _quoted_mask(sentence)
    plain = "".join(" " if mask[i] else ch for i, ch in enumerate(sentence))
    names = []
    for e in entities(plain):
        parts = name_parts(e)
        if e.lower() in _HOLIDAYS or e.lower() in _CALENDAR:
            continue  # "in his annual Christmas speech": a day, not a person
        if _a_place(e):
            continue  # "the UK's economy", "Scotland": a country is no "he" or "she"
        if parts and not parts[0][0].isdigit():
            names.append(e)
    return names


_HOLIDAYS = lexicon.words("holidays")
_PLACES = frozenset(form for pair in lexicon.pairs("places") for form in pair)


def _a_place(name: str) -> bool:
    """Whether a name is a country's or a place's form (`places.txt`), possessive aside."""
    bare = name.removesuffix("'s").removesuffix("’s").lower()
    return bare in _PLACES


_ROLES = lexicon.words("role_nouns")


def _role_word(word: str) -> bool:
    """Whether a lower-case word names a role a person holds ("host", "co-chairman")."""
    parts = [_norm(p) for p in word.strip(",;:()").split("-") if p]
    return bool(parts) and any(
        p in _ROLES or p in _TITLES or p in _PERSON_NOUNS for p in parts if p not in _DETERMINERS
    )


_OPENING = lexicon.words("opening_words")


def _opener(word: str) -> bool:
    """Whether a sentence's first word opens something other than its subject ("In",
    "Along", "Despite")."""
    bare = _norm(word.strip(",;:()"))
    if bare in _TITLES:
        return False  # "Mr Lee said"
    return bare in _PREPOSITIONS or bare in _OPENING or bare in STOPWORDS - {"the"}


_PARTICLE = frozenset("bin ibn al el de da di du van von le la del".split())


def _participle(word: str, nxt: str) -> bool:
    """Whether a sentence's first word is a participle opening a clause before the
    subject ("Driving home from a session, he was hurt"; "Asked about it, she said"): a
    word of five letters or more in -ing or -ed, followed by a lower-case word that is
    neither a finite verb, a verb of speech nor a name's particle ("Beijing has said",
    "Ahmed told", "Mohammed bin")."""
    bare = _norm(word.strip(",;:()"))
    follower = _norm(nxt.strip(",;:()"))
    ends = len(bare) > 4 and bare.endswith(("ing", "ed"))
    return (
        ends
        and nxt[:1].islower()
        and follower not in _FINITE
        and follower not in _AUX
        and follower not in _PARTICLE
        and not _speech_word(follower)
    )


def _speech_word(word: str) -> bool:
    return (word,) in _speech()


_CONJUNCTIONS = frozenset("but and yet so or".split())


def _subject_words(sentence: str) -> list[str]:
    """The words of a sentence from where its subject starts (quotations blanked): after
    an opening phrase or participle clause ("Along with two others, Jo Lee …"); none when
    the sentence opens with such a phrase and has no comma to end it."""
    mask = _quoted_mask(sentence)
    plain = "".join(" " if mask[i] else ch for i, ch in enumerate(sentence))
    words_ = plain.split()
    if len(words_) > 1 and _norm(words_[0]) in _CONJUNCTIONS and words_[1][:1].isupper():
        words_ = words_[1:]  # "But Parry, speaking to the BBC, admits …": Parry
    opens = bool(words_) and (
        _opener(words_[0]) or _participle(words_[0], words_[1] if len(words_) > 1 else "")
    )
    if not opens:
        return words_
    return plain.split(",", 1)[1].split() if "," in plain else []


def pronoun_subject(sentence: str) -> bool:
    """Whether a sentence's subject is a personal pronoun ("Driving home, he was hurt"):
    it names nobody new for a later "he" to stand for."""
    words_ = _subject_words(sentence)
    return bool(words_) and _norm(words_[0].strip(",;:")) in {"he", "she"}


def _apposed_name(words_: Sequence[str]) -> str | None:
    """A capitalised name set off by a comma at the start of `words_` ("Gregory
    Ioannidis, reacted …"), or None."""
    name: list[str] = []
    for w in words_[:4]:
        if not w[:1].isupper():
            return None
        name.append(w.rstrip(","))
        if w.endswith(","):
            people = [e for e in _persons(" ".join(name)) if name_parts(e)]
            return people[-1] if people else None
    return None


@lru_cache(maxsize=4096)
def subject_name(sentence: str) -> str | None:
    """The person a sentence opens with as its subject, the roles before the name aside:
    "Liam Fox" of "Party co-chairman Liam Fox has opened …", "Jo Lee" of "Jo Lee helped …";
    None when it opens otherwise ("In May, Lee said", "The firm said")."""
    words_ = _subject_words(sentence)
    if not words_ or _opener(words_[0]):
        return None
    phrase: list[str] = []
    for k, w in enumerate(words_):
        bare = w.strip(",;:()")
        nxt = words_[k + 1].strip(",;:()") if k + 1 < len(words_) else ""
        fits = (
            bare[:1].isupper()
            or _role_word(bare)
            or (not phrase and _norm(bare) in _DETERMINERS)
            # a modifier of the role that follows: "talk show host", "sports minister"
            or (bare.islower() and (_role_word(nxt) or (nxt[:1].isupper() and k > 0)))
        )
        if not fits:
            break
        phrase.append(bare)
        if w.endswith((",", ";", ":")):
            if w.endswith(",") and _role_word(bare):
                # "Kenteris's lawyer, Gregory Ioannidis, reacted": the name the role
                # stands beside, not the owner of the role
                named = _apposed_name(words_[k + 1 :])
                if named:
                    return named
            break
    people = [e for e in _persons(" ".join(phrase)) if name_parts(e)]
    people = [e for e in people if not all(_norm(w) in _TITLES for w in e.split())]
    return people[-1] if people else None


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’]?\s+(?=[\"“‘A-Z])|\n\s*\n")


@lru_cache(maxsize=4096)
def antecedent_before(text: str) -> str | None:
    """Whom a "he" or "she" opening the text that follows `text` (the article before a
    passage) stands for: the subject, else the speaker, of the last of its last three
    sentences that has one."""
    sentences = [s for s in _SENTENCE_END.split(text) if s and s.strip()][-3:]
    for k in range(len(sentences) - 1, -1, -1):
        subject = subject_name(sentences[k])
        if subject:
            return subject
        for found in attributions(sentences, k):
            if found.speaker and name_parts(found.speaker):
                return found.speaker
    return None


@lru_cache(maxsize=4096)
def described_person(description: str, text: str) -> str | None:
    """The one person a text (an article) gives the role a description names: "the TV
    host" is "Jo Bloggs" where the text says "talk show host Jo Bloggs", "Jo Bloggs, the
    TV host," or opens a sentence with "The TV host …" next to one whose subject is Jo
    Bloggs. Every other word of the description must stand within a few words before the
    role ("the Belgian minister" for "The Belgian sports minister"). None when the text
    gives the role to no one or to two people."""
    said = [_norm(w) for w in re.findall(r"[\w’'-]+", description)]
    said = [w for w in said if w not in _DETERMINERS]
    if not said or not _role_word(said[-1]) or description.split()[-1][:1].isupper():
        return None
    head, qualifiers = said[-1], said[:-1]
    sentences = [s for s in _SENTENCE_END.split(text) if s and s.strip()]
    found: list[str] = []
    for k, sentence in enumerate(sentences):
        mask = _quoted_mask(sentence)
        plain = "".join(" " if mask[i] else ch for i, ch in enumerate(sentence))
        for m in re.finditer(rf"(?i)\b{re.escape(head)}\b", plain):
            before = re.split(r"[,;:.()\u2013\u2014]", plain[: m.start()])[-1]
            window = [_norm(w) for w in re.findall(r"[\w’'-]+", before)][-6:]
            if not all(any(alike(q, w) for w in window) for q in qualifiers):
                continue
            after = re.match(r",?\s+((?:[A-Z][\w’'-]+\s?){1,4})", plain[m.end() :])
            apposed = re.search(
                r"((?:[A-Z][\w’'-]+\s?){1,4}),\s*(?:the\s|a\s|an\s)?[^,]*$",
                plain[: m.start()],
            )
            lead = plain[: m.start()].split()
            # the sentence opens with the description: "The TV host said …"
            opening = lead[:1] in (["The"], []) and len(lead) <= 6 and "," not in before
            if after and name_parts(after.group(1)):
                found.append(after.group(1).strip())
            elif apposed and name_parts(apposed.group(1)):
                found.append(apposed.group(1).strip())
            elif opening and len(before) == m.start():
                near = [
                    subject_name(sentences[j]) for j in (k - 1, k + 1) if 0 <= j < len(sentences)
                ]
                person = next((p for p in near if p), None)
                if person:
                    found.append(person)
    people = [p for p in found if not all(_norm(w) in _TITLES for w in p.split())]
    if people and all(same_entity(people[0], p) for p in people):
        return people[0]
    return None


def attributions(sentences: Sequence[str], i: int) -> list[Attribution]:
    """Every speaker sentence i reports, in order (one Attribution with via "none" if none).

    A sentence that goes on with a quotation an earlier one opened (`“I won't. I don't
    believe in it,” he said.`) is read with the quotation's opening mark before it."""
    return _attributions(_continued(tuple(_double_apostrophes(x) for x in sentences)), i, 0)


_CARRY = 4  # the most sentences a quotation left open is carried on to


@lru_cache(maxsize=1024)
def _continued(sentences: tuple[str, ...]) -> tuple[str, ...]:
    """The sentences, each that starts inside a quotation opened before it given the
    opening mark it lacks (of the same kind: curly or straight)."""
    out = []
    mark = ""  # the opening mark of a quotation still open, "" when none
    carried = 0
    for sentence in sentences:
        if mark and carried < _CARRY and sentence.lstrip()[:1] not in '“‘"':
            sentence = mark + sentence
            carried += 1
        else:
            carried = 0
        mark = _left_open(sentence)
        out.append(sentence)
    return tuple(out)


def _left_open(text: str) -> str:
    """The opening mark of a quotation the text leaves open at its end, or ""."""
    open_mark = ""
    for ch in text:
        if ch == "“" or (ch == '"' and open_mark != '"'):
            open_mark = ch
        elif ch == "”" or (ch == '"' and open_mark == '"'):
            open_mark = ""
    return open_mark


@lru_cache(maxsize=4096)
def _attributions(sentences: tuple[str, ...], i: int, depth: int) -> list[Attribution]:
    sentence = sentences[i]
    out: list[Attribution] = []
    for report in _reports(sentence):
        if report.via == "pronoun":
            speaker = _antecedent(sentences, i, report.start, depth, report.speaker)
            out.append(Attribution(speaker, "pronoun", report.verb, report.speaker))
        elif report.speaker:
            out.append(Attribution(report.speaker, "direct", report.verb))
    if out:
        return out
    stripped = sentence.lstrip()
    quoted = _tokens(sentence)
    if (
        i > 0
        and depth < 3
        and (stripped[:1] in '“"‘' or (quoted and all(t.quoted for t in quoted)))
    ):
        before = _attributions(sentences, i - 1, depth + 1)
        if before and before[0].via != "none":
            return [Attribution(before[0].speaker, "context", before[0].verb)]
    return [NONE]


def _antecedent(
    sentences: tuple[str, ...], i: int, at: int, depth: int, description: str | None = None
) -> str | None:
    """Whom "she said" (at char `at` of sentence i) stands for: an earlier speaker in the same
    sentence or the ones before, else the last name before it. A description ("the
    department") stands first for the last name before it that holds its noun."""
    if description:
        head = _norm(description.split()[-1])
        for k in range(i, max(i - 6, -1), -1):
            text = sentences[k][:at] if k == i else sentences[k]
            for name in reversed(_persons(text)):
                if any(alike(head, p) for p in name_parts(name)):
                    return name
        if not _role_word(head):
            return None  # "the company said": no person stands for it, and no name holds it
    for report in _reports(sentences[i]):
        if report.start < at and report.via == "direct" and report.speaker:
            return report.speaker
    if depth >= 3:
        return None
    for k in range(i - 1, max(i - 4, -1), -1):
        for attribution in _attributions(sentences, k, depth + 1):
            if attribution.speaker:
                return attribution.speaker
        subject = subject_name(sentences[k])
        if subject:
            return subject  # the subject of the sentence before, the likeliest "he"
        if pronoun_subject(sentences[k]):
            continue  # "…, he was involved in a crash": the same "he", named earlier
        persons = _persons(sentences[k])
        if persons:
            return persons[-1]
    persons = _persons(sentences[i][:at])
    return persons[-1] if persons else None


def attribute(sentences: Sequence[str], i: int) -> Attribution:
    """Who sentence i of a passage (a list of sentences in reading order) reports."""
    return attributions(sentences, i)[0]


def speaker_of_claim(claim: str, described: bool = False) -> str | None:
    """The named speaker a single claim attributes its content to ("Kallas said …"), if any.

    Speakers given only as a pronoun or a common noun ("officials said") are not named.
    With `described`, a speaker described in two or more words, one of them more than a
    kind of speaker, counts too ("the local fire brigade says", "the maintenance unions
    point out"; not "police officials said")."""
    for report in _reports(claim):
        if not report.speaker:
            continue
        if report.verb.endswith("ing") and claim[: report.start].rstrip().endswith(","):
            # "A signed once B's deal was agreed, saying …": the participle's speaker is
            # the clause's subject A, not the name that ends the words before the comma
            subject = next(iter(entities(claim)), "")
            if not subject or not claim.startswith(subject):
                continue
            if not same_entity(subject, report.speaker):
                return subject
        if report.via == "direct":
            named = [
                w
                for w in report.speaker.split()
                if w[:1].isupper() and _norm(w) not in _GENERIC_SPEAKERS and _norm(w) not in _TITLES
            ]
            if named:
                return report.speaker
        if described and _description(report.speaker):
            return report.speaker
    return None


def _description(phrase: str) -> bool:
    """Whether a speaker phrase describes someone in two or more words of meaning, one of
    them more than a kind of speaker ("local fire brigade", not "senior officials")."""
    toks = [t for t in _tokens(phrase) if t.content]
    if len(toks) < 2 or any(t.lower in _PRONOUNS or t.text[:1].isdigit() for t in _tokens(phrase)):
        return False
    kinds = _GENERIC_SPEAKERS | _TITLES | _PERSON_NOUNS
    return any(t.lower not in kinds and t.text[:1].islower() for t in toks)
